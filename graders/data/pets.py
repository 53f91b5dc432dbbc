"""A small Oxford-IIIT-Pets-like segmentation set, built from scikit-image's photographs.

The Oxford-IIIT Pets data set cannot be downloaded here, so the set is built
from photographs that ship inside scikit-image: the cat of `chelsea.png` and the
cup of `coffee.png`, each cut out along a segmentation computed from the
photograph itself (SLIC superpixels, deterministic, kept where they lie mostly
inside an ellipse around the subject), pasted at a random size and place on a
random crop of another photograph. Each mask is a trimap as the pets' are:
1 for the pet, 2 for the background, 3 for an outline band along the pet's edge.

Images are 128x128x3 uint8 and masks 128x128x1 uint8 with values 1-3; the course
divides the images by 255 and shifts the masks to 0-2 (`normalize`).
"""

from __future__ import annotations

import functools

import numpy as np

from graders.data.localization import photograph

SIZE = 128
PET, BACKGROUND, OUTLINE = 1, 2, 3
# photograph -> the ellipse around the subject: centre (row, column) and half-axes, as shares of
# the photograph's height and width
SUBJECTS = {"chelsea.png": (0.52, 0.55, 0.46, 0.36), "coffee.png": (0.47, 0.52, 0.36, 0.38)}
BACKGROUNDS = ("grass.png", "gravel.png", "brick.png", "motorcycle_left.png", "page.png", "rocket.jpg",
               "astronaut.png", "hubble_deep_field.jpg")
SPLIT_SEEDS = {"train": 31, "test": 32}
SPLIT_SIZES = {"train": 48, "test": 16}


@functools.lru_cache(maxsize=None)
def subject(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The photograph `name` cropped to its subject, and the subject's mask (bool)."""
    from skimage.segmentation import slic

    photo = photograph(name)
    height, width = photo.shape[:2]
    segments = slic(photo, n_segments=300, compactness=10, start_label=0)
    rows, columns = np.mgrid[:height, :width]
    row, column, half_height, half_width = SUBJECTS[name]
    inside = ((rows / height - row) / half_height) ** 2 + ((columns / width - column) / half_width) ** 2 <= 1
    share = np.bincount(segments.ravel(), weights=inside.ravel()) / np.bincount(segments.ravel())
    mask = share[segments] > 0.6
    found_rows, found_columns = np.nonzero(mask)
    top, bottom = found_rows.min(), found_rows.max() + 1
    left, right = found_columns.min(), found_columns.max() + 1
    return photo[top:bottom, left:right], mask[top:bottom, left:right]


def trimap(mask: np.ndarray, band: int = 2) -> np.ndarray:
    """1 inside the pet, 2 outside, 3 on a band `band` pixels either side of its edge."""
    import scipy.ndimage

    grown = scipy.ndimage.binary_dilation(mask, iterations=band)
    shrunk = scipy.ndimage.binary_erosion(mask, iterations=band)
    labels = np.full(mask.shape, BACKGROUND, dtype=np.uint8)
    labels[shrunk] = PET
    labels[grown & ~shrunk] = OUTLINE
    return labels


def sample(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One 128x128 image (uint8) and its trimap (uint8, 1-3, with a channel axis)."""
    from PIL import Image

    backdrop = photograph(BACKGROUNDS[rng.integers(len(BACKGROUNDS))])
    side = int(min(backdrop.shape[:2]) * rng.uniform(0.4, 1.0))
    top, left = (int(rng.integers(0, extent - side + 1)) for extent in backdrop.shape[:2])
    canvas = np.asarray(Image.fromarray(backdrop[top:top + side, left:left + side]).resize((SIZE, SIZE),
                                                                                         Image.BILINEAR))
    canvas = canvas.copy()
    photo, mask = subject(list(SUBJECTS)[rng.integers(len(SUBJECTS))])
    scale = rng.uniform(0.45, 0.9) * SIZE / max(photo.shape[:2])
    height, width = max(8, int(photo.shape[0] * scale)), max(8, int(photo.shape[1] * scale))
    pet = np.asarray(Image.fromarray(photo).resize((width, height), Image.BILINEAR))
    shape = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize((width, height), Image.NEAREST)) > 127
    if rng.random() < 0.5:
        pet, shape = pet[:, ::-1], shape[:, ::-1]
    row, column = int(rng.integers(0, SIZE - height + 1)), int(rng.integers(0, SIZE - width + 1))
    placed = np.zeros((SIZE, SIZE), dtype=bool)
    placed[row:row + height, column:column + width] = shape
    region = canvas[row:row + height, column:column + width]
    region[shape] = pet[shape]
    return canvas, trimap(placed)[..., None]


def load_split(split: str, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The `split` ("train" or "test"): images (N, 128, 128, 3) uint8 and masks (N, 128, 128, 1)
    uint8 with values 1-3, the same on every call."""
    if split not in SPLIT_SEEDS:
        raise ValueError(f"unknown split {split!r}; known: {', '.join(SPLIT_SEEDS)}")
    return samples(SPLIT_SEEDS[split], SPLIT_SIZES[split] if count is None else count)


def samples(seed: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """`count` samples drawn from `seed`."""
    rng = np.random.default_rng([seed, 77])
    pairs = [sample(rng) for _ in range(count)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def normalize(images: np.ndarray, masks: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The course's preprocessing: images to float32 / 255, masks 1-3 shifted to 0-2."""
    return np.asarray(images, dtype=np.float32) / 255.0, np.asarray(masks) - 1
