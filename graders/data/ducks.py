"""The C3W2-L4 lab's data: a yellow rubber duck pasted on photographs.

The course's lab fine-tunes the same detector on 5 photographs of a rubber duck
(`robertducky1.jpg` .. `5.jpg`) and tests it on 49 frames of the duck floating by; none
of it can be downloaded here. The duck is drawn here (`duck`): a body ellipse, a tail, a
head circle, an orange beak and an eye, shaded from above and lightly textured by a
photograph, and pasted on the photographs of installed packages with the zombie's
machinery (graders.data.detection: the backgrounds, the pasting and its exact boxes, the
JPEG and npz writers, the walk recipes).

* **Training images**: `robertducky1.jpg` .. `5.jpg`, 640x853, one duck each, boxes in
  `training_boxes()` (ymin, xmin, ymax, xmax) normalised, as the lab's `gt_boxes`.
  Committed in `fixtures/c3w2_l4/training/` (rebuilt byte for byte by `write_training`).
* **Test frames**: `out1.jpg` .. `out49.jpg`, 640x853: the duck drifting across a panning
  photograph, rendered deterministically (`write_test_frames`, into `build/c3w2_l4/test/`
  by default; not committed), true boxes from `test_boxes()`.
* **Hidden frames**: drifts whose recipes (background, pan, path, size, bobbing, tint) are
  drawn with os.urandom and kept only in `fixtures/c3w2_l4/duck_hidden.npz` (recipes and
  true boxes); `python -m graders.data.ducks --build-hidden` draws a new set.

A frame recipe has detection.FRAME_FIELDS' columns; for the duck, "phase" is its bobbing
(a tilt of up to TILT degrees) and "tint" scales its yellow.

Trusted project code: numpy and Pillow only, no TensorFlow.
"""

from __future__ import annotations

import argparse
import functools
import os
from pathlib import Path

import numpy as np

from graders.data import detection

FIXTURE_DIR = detection.REPO_ROOT / "fixtures" / "c3w2_l4"
TRAINING_DIR = FIXTURE_DIR / "training"
HIDDEN_FILE = FIXTURE_DIR / "duck_hidden.npz"
BUILD_DIR = detection.REPO_ROOT / "build" / "c3w2_l4"
DUCK_NAME = "rubber_ducky"
NUM_TRAINING = 5
NUM_TEST_FRAMES = 49
CANVAS = (240, 200)  # width, height of the duck's drawing canvas
TILT = 9.0  # degrees of bobbing either way
YELLOW = np.array([250, 214, 40], np.float32)
BEAK = np.array([240, 120, 20], np.float32)

TRAINING_BACKGROUNDS = ("grass", "gravel", "brick", "flower", "page")
TEST_BACKGROUND = "china"
HIDDEN_BACKGROUNDS = ("china", "flower", "grass", "gravel", "brick", "camera", "coins", "page")

# bg crop_x crop_y scale flip height cx   bottom phase mirror tint
TRAINING_RECIPES = np.array([
    [0, 0.30, 0.40, 0.80, 0, 0.34, 0.36, 0.80, 0.10, 0, 1.00],
    [1, 0.60, 0.50, 0.90, 1, 0.26, 0.66, 0.70, 0.35, 1, 0.95],
    [2, 0.40, 0.20, 0.70, 0, 0.42, 0.52, 0.90, 0.60, 0, 1.05],
    [3, 0.50, 0.40, 0.85, 0, 0.30, 0.74, 0.62, 0.85, 1, 1.00],
    [4, 0.30, 0.60, 0.90, 1, 0.22, 0.30, 0.55, 0.25, 0, 0.90],
])


@functools.lru_cache(maxsize=64)
def duck(phase: float = 0.0, tint: float = 1.0):
    """The duck as an RGBA canvas (Pillow image), facing right, tilted by its bobbing phase."""
    from PIL import Image, ImageDraw, ImageFilter

    width, height = CANVAS
    parts = {name: Image.new("L", CANVAS, 0) for name in ("body", "beak", "eye", "wing")}
    draw = ImageDraw.Draw(parts["body"])
    draw.ellipse((20, 92, 200, 190), fill=255)  # body
    draw.polygon([(24, 140), (4, 96), (60, 120)], fill=255)  # tail
    draw.ellipse((118, 20, 196, 98), fill=255)  # head
    ImageDraw.Draw(parts["beak"]).polygon([(186, 56), (234, 66), (188, 82)], fill=255)
    ImageDraw.Draw(parts["eye"]).ellipse((162, 42, 176, 56), fill=255)
    ImageDraw.Draw(parts["wing"]).ellipse((62, 118, 150, 164), fill=255)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    light = np.clip(1.15 - 0.55 * np.hypot((xs - 120) / width, (ys - 40) / height), 0.55, 1.1)  # lit from above
    grain = np.asarray(detection.photograph("coffee").mean(axis=-1), np.float32)[:height, :width]
    grain = np.asarray(Image.fromarray(grain.astype(np.uint8)).filter(ImageFilter.GaussianBlur(3)), np.float32)
    light = light * (0.9 + 0.2 * grain / 255)
    yellow = np.clip(YELLOW * np.array([1.0, tint, 2 - tint], np.float32), 0, 255)
    rgb = yellow[None, None, :] * light[..., None]
    for part, colour in (("wing", yellow * 0.8), ("beak", BEAK), ("eye", np.array([20, 20, 20], np.float32))):
        mask = np.asarray(parts[part])[..., None] > 127
        rgb = np.where(mask, colour[None, None, :] * (light[..., None] if part != "eye" else 1.0), rgb)
    alpha = np.maximum.reduce([np.asarray(parts[p]) for p in ("body", "beak", "eye")])
    sprite = Image.fromarray(np.dstack([np.clip(rgb, 0, 255).astype(np.uint8), alpha]), "RGBA")
    angle = TILT * np.sin(2 * np.pi * phase)
    return sprite.rotate(angle, resample=Image.BILINEAR, expand=True)


def render_frame(recipe: np.ndarray, backgrounds: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """One 640x853 frame (uint8) and the duck's true box (ymin, xmin, ymax, xmax) normalised, float32."""
    row = [float(v) for v in recipe]
    frame = detection._background(backgrounds[int(row[0])], (row[1], row[2], row[3]),
                                  (detection.FRAME_WIDTH, detection.FRAME_HEIGHT), bool(row[4]))
    sprite = duck(round(row[8] % 1.0, 3), round(row[10], 3))
    height = int(round(row[5] * detection.FRAME_HEIGHT))
    width_guess = int(height * sprite.width / sprite.height)
    left = int(round(row[6] * detection.FRAME_WIDTH - width_guess / 2))
    bottom = int(round(row[7] * detection.FRAME_HEIGHT))
    top, x0, bottom_px, x1 = detection.paste_figure(frame, sprite, height, left, bottom, bool(row[9]))
    box = np.array([top / detection.FRAME_HEIGHT, x0 / detection.FRAME_WIDTH, bottom_px / detection.FRAME_HEIGHT,
                    x1 / detection.FRAME_WIDTH], np.float32)
    return np.asarray(frame, dtype=np.uint8), box


def training_images() -> tuple[list[np.ndarray], np.ndarray]:
    """The 5 training images (uint8 640x853x3) and their boxes [5, 4]."""
    frames = [render_frame(row, TRAINING_BACKGROUNDS) for row in TRAINING_RECIPES]
    return [f for f, _ in frames], np.stack([b for _, b in frames])


def training_boxes() -> np.ndarray:
    """The lab's `gt_boxes`: [5, 4] float32 (ymin, xmin, ymax, xmax) normalised."""
    return training_images()[1]


def training_name(index: int) -> str:
    """The lab's name of training image `index` (0-based)."""
    return f"robertducky{index + 1}.jpg"


def write_training(folder: os.PathLike | str = TRAINING_DIR) -> list[Path]:
    """Write robertducky1.jpg .. 5.jpg (byte-reproducible with the same Pillow)."""
    images, _ = training_images()
    return [detection._save_jpeg(image, Path(folder) / training_name(i)) for i, image in enumerate(images)]


def test_recipes() -> np.ndarray:
    """The 49 public frames: the duck drifts from left to right, coming a little closer, bobbing."""
    return detection._walk(NUM_TEST_FRAMES, 0, (0.10, 0.60, 0.70, 0.40), start=(0.20, 0.18, 0.62),
                           end=(0.30, 0.78, 0.80), steps=3.0, mirror=False, tint=1.0, crop_scale=0.8)


def test_frames(indices=None):
    """Yield (index, frame uint8, true box) of the public frames."""
    recipes = test_recipes()
    for index in range(len(recipes)) if indices is None else indices:
        frame, box = render_frame(recipes[index], (TEST_BACKGROUND,))
        yield index, frame, box


def test_boxes() -> np.ndarray:
    return np.stack([box for _, _, box in test_frames()])


def test_frame_name(index: int) -> str:
    """The lab's name of test frame `index` (0-based): out1.jpg .. out49.jpg."""
    return f"out{index + 1}.jpg"


def write_test_frames(folder: os.PathLike | str = BUILD_DIR / "test", indices=None) -> list[Path]:
    return [detection._save_jpeg(frame, Path(folder) / test_frame_name(index))
            for index, frame, _ in test_frames(indices)]


# --- the hidden frames ------------------------------------------------------------------------------
def draw_hidden_recipes(count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` frames from drifts of 6 to 12 frames, each drift's parameters drawn from `rng`."""
    rows = []
    while sum(len(r) for r in rows) < count:
        length = int(rng.integers(6, 13))
        h0 = rng.uniform(0.16, 0.40)
        h1 = float(np.clip(h0 + rng.uniform(-0.08, 0.12), 0.16, 0.45))
        bottom0 = rng.uniform(h0 + 0.04, 0.97)
        bottom1 = float(np.clip(bottom0 + rng.uniform(-0.15, 0.15), h1 + 0.04, 0.97))
        x0 = rng.uniform(0.18, 0.82)
        x1 = float(np.clip(x0 + rng.uniform(-0.4, 0.4), 0.18, 0.82))
        rows.append(detection._walk(length, int(rng.integers(0, len(HIDDEN_BACKGROUNDS))),
                                    tuple(rng.uniform(0, 1, 4)), (h0, x0, bottom0), (h1, x1, bottom1),
                                    rng.uniform(0.5, 2.0), bool(x1 < x0), rng.uniform(0.9, 1.05),
                                    rng.uniform(0.6, 1.0)))
        rows[-1][:, 4] = rng.integers(0, 2)
        rows[-1][:, 8] = (rows[-1][:, 8] + rng.uniform()) % 1.0
    return np.concatenate(rows)[:count]


def build_hidden(count: int = 48) -> Path:
    """Draw hidden drifts with randomness nobody keeps; store their recipes and true boxes."""
    rng = np.random.default_rng(int.from_bytes(os.urandom(16), "little"))
    recipes = draw_hidden_recipes(count, rng)
    boxes = np.stack([render_frame(row, HIDDEN_BACKGROUNDS)[1] for row in recipes])
    return detection.save_npz(HIDDEN_FILE, recipes=recipes, boxes=boxes)


DEV_SEED, DEV_SIZE = 48_000, 48  # the public dev frames: drifts drawn as the hidden ones are, from a fixed seed


def dev_frames():
    """The public dev drifts (`detection.seeded_frames`)."""
    return detection.seeded_frames(draw_hidden_recipes, render_frame, HIDDEN_BACKGROUNDS, DEV_SIZE, DEV_SEED)


def hidden_frames():
    """Yield (index, frame, true box) of the hidden set (trusted side only)."""
    if not HIDDEN_FILE.exists():
        raise FileNotFoundError(f"the hidden frames are missing: {HIDDEN_FILE} "
                                "(`python -m graders.data.ducks --build-hidden` draws new ones)")
    with np.load(HIDDEN_FILE, allow_pickle=False) as stored:
        recipes, boxes = stored["recipes"], stored["boxes"]
    for index, row in enumerate(recipes):
        frame, _ = render_frame(row, HIDDEN_BACKGROUNDS)
        yield index, frame, boxes[index]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-training", action="store_true", help=f"rewrite the 5 images in {TRAINING_DIR}")
    parser.add_argument("--write-test", metavar="DIR", nargs="?", const=str(BUILD_DIR / "test"),
                        help="render the 49 public frames into DIR")
    parser.add_argument("--build-hidden", type=int, nargs="?", const=48, metavar="COUNT",
                        help="draw new hidden frames (changes every learner's hidden score)")
    args = parser.parse_args(argv)
    if args.write_training:
        for path in write_training():
            print(path)
    if args.write_test:
        print(f"{len(write_test_frames(args.write_test))} frames in {args.write_test}")
    if args.build_hidden:
        print(build_hidden(args.build_hidden))
    if not (args.write_training or args.write_test or args.build_hidden):
        print("training boxes:\n", np.round(training_boxes(), 4))


if __name__ == "__main__":
    main()
