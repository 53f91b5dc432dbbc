"""The C3W2 detection data: a pre-training set of pasted photographs and the zombie frames.

The course fine-tunes a COCO RetinaNet on 5 photographs of a zombie and tests it on 237
frames of a zombie walking; none of this can be downloaded here. Everything is built
from photographs that ship inside installed packages (scikit-image's data folder,
scikit-learn's two sample images, Matplotlib's portrait of Grace Hopper):

* **Pre-training set** (`pretraining_batch`): 240x320 images (the 3:4 of the course's
  640x853 frames), each a crop of a background photograph with 1 to 3 objects of six
  classes pasted at known boxes: a cat, a cup of coffee, a rocket, a horse (scikit-image's
  silhouette, textured), a motorcycle, and a *person*, a walking figure drawn here with a
  face and clothes cut from the photographs. Sample `i` of a split is drawn from its own
  seed, so any batch can be rebuilt alone. The person plays COCO's "person": what the
  zombie resembles in the pre-training.
* **The zombie** (`figure`): the same walking figure, with the astronaut's face and suit
  turned grey-green, arms held forward. Its true box is the bounding box of its mask
  where it is pasted: exact, never a model's output.
* **Training images**: `training-zombie1.jpg` .. `5.jpg`, 640x853, one zombie each, boxes
  in `TRAINING_BOXES`' order (ymin, xmin, ymax, xmax) normalised, as the course's
  `ref_gt_boxes`. Committed in `fixtures/c3w2/training/` (what learners load; rebuilt
  byte for byte by `write_training`).
* **Test frames**: `zombie-walk0000.jpg` .. `0236.jpg`, 640x853: the zombie walking towards
  the camera across a panning photograph. 237 JPEG frames would be ~25 MB, so they are
  not committed: `write_test_frames(dir)` renders them deterministically (into
  `build/c3w2/results/` by default) and `test_boxes()` gives their true boxes.
* **Hidden frames**: walks whose recipe (background, pan, path, size, direction, tint) is
  drawn with os.urandom and kept only in `fixtures/c3w2/zombie_hidden.npz` (recipes and
  true boxes); `python -m graders.data.detection --build-hidden` draws a new set.

Command line: ``python -m graders.data.detection [--write-training] [--write-test DIR]
[--write-truth] [--build-hidden [COUNT]]``. The detector is pre-trained on this data by
``python -m object_detection.pretrain``.

Trusted project code: numpy and Pillow only, no TensorFlow.
"""

from __future__ import annotations

import argparse
import functools
import io
import os
from pathlib import Path

import numpy as np

from graders.shared import files

REPO_ROOT = Path(__file__).resolve().parents[2]
FIXTURE_DIR = REPO_ROOT / "fixtures" / "c3w2"
TRAINING_DIR = FIXTURE_DIR / "training"
HIDDEN_FILE = FIXTURE_DIR / "zombie_hidden.npz"
TEST_TRUTH_FILE = FIXTURE_DIR / "zombie_walk_boxes.npz"  # the public frames' true boxes, [237, 4]
BUILD_DIR = REPO_ROOT / "build" / "c3w2"

FRAME_HEIGHT, FRAME_WIDTH = 640, 853
PRETRAIN_HEIGHT, PRETRAIN_WIDTH = 240, 320
CLASS_NAMES = ("cat", "cup", "rocket", "horse", "motorcycle", "person")
ZOMBIE_NAME = "zombie"
NUM_TEST_FRAMES = 237
JPEG_QUALITY = 88

# (package, path inside it)
PHOTOGRAPHS = {
    "astronaut": ("skimage", "data/astronaut.png"), "chelsea": ("skimage", "data/chelsea.png"),
    "coffee": ("skimage", "data/coffee.png"), "rocket": ("skimage", "data/rocket.jpg"),
    "horse": ("skimage", "data/horse.png"), "motorcycle": ("skimage", "data/motorcycle_left.png"),
    "grass": ("skimage", "data/grass.png"), "gravel": ("skimage", "data/gravel.png"),
    "brick": ("skimage", "data/brick.png"), "camera": ("skimage", "data/camera.png"),
    "moon": ("skimage", "data/moon.png"), "page": ("skimage", "data/page.png"),
    "hubble": ("skimage", "data/hubble_deep_field.jpg"), "coins": ("skimage", "data/coins.png"),
    "retina": ("skimage", "data/retina.jpg"), "ihc": ("skimage", "data/ihc.png"),
    "china": ("sklearn", "datasets/images/china.jpg"), "flower": ("sklearn", "datasets/images/flower.jpg"),
    "hopper": ("matplotlib", "mpl-data/sample_data/grace_hopper.jpg"),
}
PRETRAIN_BACKGROUNDS = ("grass", "gravel", "brick", "camera", "moon", "page", "hubble", "coins", "retina",
                        "ihc", "flower", "china")
# the zombie's backgrounds: training images, the public walk, the hidden walks
TRAINING_BACKGROUNDS = ("grass", "gravel", "brick", "flower", "page")
TEST_BACKGROUND = "china"
HIDDEN_BACKGROUNDS = ("china", "flower", "grass", "gravel", "brick", "camera", "coins", "page")
SPLIT_SEEDS = {"pretrain": 7_000_000, "pretrain_dev": 9_000_000}


@functools.lru_cache(maxsize=None)
def photograph(name: str) -> np.ndarray:
    """A photograph shipped by an installed package, RGB uint8 (RGBA kept for the horse silhouette)."""
    from importlib.util import find_spec

    from PIL import Image

    package, inside = PHOTOGRAPHS[name]
    spec = find_spec(package)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"the C3W2 data is built from {package}'s photographs: pip install {package}")
    with Image.open(Path(spec.origin).parent / inside) as image:
        array = np.asarray(image.convert("RGBA" if name == "horse" else "RGB"), dtype=np.uint8)
    array.setflags(write=False)
    return array


def _image(array: np.ndarray):
    from PIL import Image

    return Image.fromarray(np.ascontiguousarray(array))


def _crop(name: str, box: tuple[float, float, float, float]):
    """A crop of a photograph by shares of its size (left, top, right, bottom)."""
    photo = photograph(name)
    height, width = photo.shape[:2]
    left, top, right, bottom = box
    return _image(photo[int(top * height):int(bottom * height), int(left * width):int(right * width)])


def _tinted(image, tint: tuple[float, float, float], grey: float):
    """Desaturate by `grey` (0..1) and multiply the channels by `tint`."""
    array = np.asarray(image.convert("RGB"), dtype=np.float32)
    luminance = array @ np.array([0.299, 0.587, 0.114], np.float32)
    array = array * (1 - grey) + luminance[..., None] * grey
    return _image(np.clip(array * np.asarray(tint, np.float32), 0, 255).astype(np.uint8))


# --- the walking figure -------------------------------------------------------------------------
CANVAS = (200, 400)  # width, height of the figure's drawing canvas
ZOMBIE_STYLE = {"face": ("astronaut", (0.29, 0.03, 0.59, 0.37)), "cloth": ("astronaut", (0.05, 0.55, 0.70, 1.0)),
                "legs": ("gravel", (0.0, 0.0, 0.5, 0.5)), "tint": (0.62, 1.0, 0.55), "grey": 0.75,
                "arms": "forward"}
PERSON_FACES = (("hopper", (0.30, 0.10, 0.72, 0.52)), ("astronaut", (0.29, 0.03, 0.59, 0.37)),
                ("chelsea", (0.35, 0.05, 0.75, 0.6)))
PERSON_CLOTHES = (("hopper", (0.05, 0.6, 0.95, 1.0)), ("brick", (0, 0, 0.6, 0.6)), ("coffee", (0.0, 0.0, 0.4, 0.4)),
                  ("flower", (0.3, 0.3, 0.7, 0.8)), ("china", (0.0, 0.0, 0.4, 0.5)))


def _figure_masks(phase: float, arms: str) -> dict:
    """The figure's parts as L masks on the canvas: head, body (torso and arms), legs."""
    from PIL import Image, ImageDraw

    width, height = CANVAS
    swing = 0.45 * np.sin(2 * np.pi * phase)  # leg angle, radians
    masks = {}
    head = Image.new("L", CANVAS, 0)
    ImageDraw.Draw(head).ellipse((70, 8, 130, 84), fill=255)
    masks["head"] = head
    body = Image.new("L", CANVAS, 0)
    draw = ImageDraw.Draw(body)
    draw.rectangle((94, 78, 106, 96), fill=255)  # neck
    draw.rounded_rectangle((64, 92, 136, 230), radius=18, fill=255)  # torso
    if arms == "forward":  # a zombie's outstretched arms, bobbing a little with the step
        lift = int(6 * np.sin(2 * np.pi * phase + 1.0))
        draw.line((120, 110, 192, 118 + lift), fill=255, width=20)
        draw.line((112, 124, 186, 134 - lift), fill=255, width=18)
    else:
        for side, sign in ((70, -1), (130, 1)):
            angle = -sign * swing * 0.6
            draw.line((side, 104, side + sign * 6 + 100 * np.sin(angle), 104 + 100 * np.cos(angle)), fill=255, width=18)
    masks["body"] = body
    legs = Image.new("L", CANVAS, 0)
    draw = ImageDraw.Draw(legs)
    for hip, sign in ((86, 1), (114, -1)):
        angle = sign * swing
        foot = (hip + 160 * np.sin(angle), 222 + 160 * np.cos(angle))
        draw.line((hip, 222, *foot), fill=255, width=24)
        draw.ellipse((foot[0] - 13, foot[1] - 9, foot[0] + 19, foot[1] + 9), fill=255)
    masks["legs"] = legs
    return masks


def figure(phase: float, style: dict | None = None):
    """The walking figure as an RGBA canvas (Pillow image): the zombie by default."""
    from PIL import Image

    style = ZOMBIE_STYLE if style is None else style
    masks = _figure_masks(phase, style.get("arms", "down"))
    tint, grey = style.get("tint", (1.0, 1.0, 1.0)), style.get("grey", 0.0)
    canvas = Image.new("RGBA", CANVAS, (0, 0, 0, 0))
    for part, source in (("legs", style["legs"]), ("body", style["cloth"]), ("head", style["face"])):
        texture = _tinted(_crop(*source).resize(CANVAS if part != "head" else (60, 76), Image.BILINEAR), tint, grey)
        if part == "head":
            layer = Image.new("RGB", CANVAS)
            layer.paste(texture, (70, 8))
            texture = layer
        shade = 0.82 if part == "legs" else 1.0
        if shade != 1.0:
            texture = _tinted(texture, (shade, shade, shade), 0.0)
        canvas.paste(texture, (0, 0), masks[part])
        alpha = canvas.getchannel("A")
        canvas.putalpha(Image.fromarray(np.maximum(np.asarray(alpha), np.asarray(masks[part]))))
    return canvas


def paste_figure(frame, sprite, height: int, left: int, bottom: int, mirror: bool = False) -> tuple[int, int, int, int]:
    """Scale the figure to `height` pixels, paste it with its feet at (left, bottom); return its
    true box in pixels (top, left, bottom, right), the bounding box of the pasted mask."""
    from PIL import Image

    if mirror:
        sprite = sprite.transpose(Image.FLIP_LEFT_RIGHT)
    bbox = sprite.getchannel("A").getbbox()
    sprite = sprite.crop(bbox)
    scale = height / sprite.height
    sprite = sprite.resize((max(1, round(sprite.width * scale)), int(height)), Image.BILINEAR)
    alpha = np.asarray(sprite.getchannel("A"))
    alpha = np.where(alpha >= 128, 255, 0).astype(np.uint8)  # hard edge: the box is the mask's
    top = bottom - sprite.height
    frame.paste(sprite.convert("RGB"), (left, top), Image.fromarray(alpha))
    ys, xs = np.nonzero(alpha)
    frame_h, frame_w = frame.height, frame.width
    y0, y1 = max(top + ys.min(), 0), min(top + ys.max() + 1, frame_h)
    x0, x1 = max(left + xs.min(), 0), min(left + xs.max() + 1, frame_w)
    return int(y0), int(x0), int(y1), int(x1)


def _background(name: str, crop: tuple[float, float, float], size: tuple[int, int], flip: bool = False):
    """A crop of a photograph at the frame's aspect ratio, resized to size (width, height).

    crop = (x share, y share, scale share): the crop window is `scale` of the largest
    window of that aspect, at relative position (x, y) in the free space."""
    from PIL import Image

    photo = photograph(name)
    height, width = photo.shape[:2]
    aspect = size[0] / size[1]
    window_w = min(width, height * aspect) * crop[2]
    window_h = window_w / aspect
    left = crop[0] * (width - window_w)
    top = crop[1] * (height - window_h)
    image = _image(photo[..., :3]).resize(size, Image.BILINEAR, box=(left, top, left + window_w, top + window_h))
    return image.transpose(Image.FLIP_LEFT_RIGHT) if flip else image


# --- zombie frames from recipes -------------------------------------------------------------------
# A frame recipe: background index (into the recipe's background list), crop x, crop y, crop
# scale, mirror the background, figure height (share of the frame), figure centre x (share),
# feet y (share), walk phase, figure mirrored, tint scale.
FRAME_FIELDS = ("background", "crop_x", "crop_y", "crop_scale", "flip_background", "height", "centre_x",
                "feet_y", "phase", "mirror", "tint")


def render_frame(recipe: np.ndarray, backgrounds: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """One 640x853 frame (uint8) and its true box (ymin, xmin, ymax, xmax) normalised, float32."""
    row = [float(v) for v in recipe]
    frame = _background(backgrounds[int(row[0])], (row[1], row[2], row[3]), (FRAME_WIDTH, FRAME_HEIGHT),
                        bool(row[4]))
    tint = tuple(np.clip(np.asarray(ZOMBIE_STYLE["tint"]) * row[10], 0.3, 1.2))
    sprite = _sprite(round(row[8] % 1.0, 3), tint)
    height = int(round(row[5] * FRAME_HEIGHT))
    width_guess = int(height * sprite.width / sprite.height)
    left = int(round(row[6] * FRAME_WIDTH - width_guess / 2))
    bottom = int(round(row[7] * FRAME_HEIGHT))
    top, x0, bottom_px, x1 = paste_figure(frame, sprite, height, left, bottom, bool(row[9]))
    box = np.array([top / FRAME_HEIGHT, x0 / FRAME_WIDTH, bottom_px / FRAME_HEIGHT, x1 / FRAME_WIDTH], np.float32)
    return np.asarray(frame, dtype=np.uint8), box


@functools.lru_cache(maxsize=64)
def _sprite(phase: float, tint: tuple[float, ...]):
    style = dict(ZOMBIE_STYLE, tint=tint)
    return figure(phase, style)


def _walk(count: int, background: int, pan: tuple[float, float, float, float], start: tuple[float, float, float],
          end: tuple[float, float, float], steps: float, mirror: bool, tint: float, crop_scale: float) -> np.ndarray:
    """Recipes of a walk: the figure goes from start to end (height, centre x, feet y) while the
    background pans from (pan[0], pan[1]) to (pan[2], pan[3]) and the legs take `steps` strides."""
    t = np.linspace(0.0, 1.0, count)
    rows = np.zeros((count, len(FRAME_FIELDS)))
    rows[:, 0] = background
    rows[:, 1] = pan[0] + (pan[2] - pan[0]) * t
    rows[:, 2] = pan[1] + (pan[3] - pan[1]) * t
    rows[:, 3] = crop_scale
    for column, (a, b) in zip((5, 6, 7), zip(start, end)):
        rows[:, column] = a + (b - a) * t
    rows[:, 8] = (steps * t) % 1.0
    rows[:, 9] = float(mirror)
    rows[:, 10] = tint
    return rows


# the training images: (background, crop, figure height, centre x, feet y, phase, mirrored)
TRAINING_RECIPES = np.array([
    # bg crop_x crop_y scale flip height cx   feet  phase mirror tint
    [0, 0.20, 0.30, 0.80, 0, 0.62, 0.30, 0.88, 0.10, 0, 1.00],
    [1, 0.60, 0.50, 0.90, 1, 0.48, 0.62, 0.80, 0.35, 1, 0.95],
    [2, 0.40, 0.20, 0.70, 0, 0.72, 0.55, 0.95, 0.60, 0, 1.05],
    [3, 0.50, 0.40, 0.85, 0, 0.55, 0.75, 0.90, 0.85, 0, 1.00],
    [4, 0.30, 0.60, 0.90, 1, 0.40, 0.40, 0.75, 0.25, 1, 0.90],
])


def test_recipes() -> np.ndarray:
    """The 237 public frames: the zombie walks from the far left towards the camera, right of centre."""
    return _walk(NUM_TEST_FRAMES, 0, (0.05, 0.55, 0.75, 0.35), start=(0.40, 0.16, 0.74),
                 end=(0.80, 0.66, 0.97), steps=9.0, mirror=False, tint=1.0, crop_scale=0.8)


def training_images() -> tuple[list[np.ndarray], np.ndarray]:
    """The 5 training images (uint8 640x853x3) and their boxes [5, 4]."""
    frames = [render_frame(row, TRAINING_BACKGROUNDS) for row in TRAINING_RECIPES]
    return [f for f, _ in frames], np.stack([b for _, b in frames])


def test_boxes() -> np.ndarray:
    """True boxes [237, 4] of the public frames (rendered to find the mask's extent)."""
    return np.stack([render_frame(row, (TEST_BACKGROUND,))[1] for row in test_recipes()])


def stored_test_boxes() -> np.ndarray:
    """The committed true boxes of the public frames (what `test_boxes` computes, without rendering)."""
    with np.load(TEST_TRUTH_FILE, allow_pickle=False) as stored:
        return stored["boxes"]


def write_test_truth() -> Path:
    return save_npz(TEST_TRUTH_FILE, boxes=test_boxes())


def test_frames(indices=None):
    """Yield (index, frame uint8, true box) of the public walk."""
    recipes = test_recipes()
    for index in range(len(recipes)) if indices is None else indices:
        frame, box = render_frame(recipes[index], (TEST_BACKGROUND,))
        yield index, frame, box


def test_frame_name(index: int) -> str:
    return f"zombie-walk{index:04d}.jpg"


def _save_jpeg(array: np.ndarray, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    _image(array).save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    path.write_bytes(buffer.getvalue())
    return path


def write_training(folder: os.PathLike | str = TRAINING_DIR) -> list[Path]:
    """Write training-zombie1.jpg .. 5.jpg (byte-reproducible with the same Pillow)."""
    images, _ = training_images()
    return [_save_jpeg(image, Path(folder) / f"training-zombie{i}.jpg") for i, image in enumerate(images, 1)]


def write_test_frames(folder: os.PathLike | str = BUILD_DIR / "results", indices=None) -> list[Path]:
    """Write zombie-walk0000.jpg .. 0236.jpg into `folder` and return the paths."""
    return [_save_jpeg(frame, Path(folder) / test_frame_name(index)) for index, frame, _ in test_frames(indices)]


def training_boxes() -> np.ndarray:
    """The course's `ref_gt_boxes`: [5, 4] float32 (ymin, xmin, ymax, xmax) normalised."""
    return training_images()[1]


# --- the hidden frames ------------------------------------------------------------------------------
def draw_hidden_recipes(count: int, rng: np.random.Generator) -> np.ndarray:
    """`count` frames from walks of 8 to 16 frames, each walk's parameters drawn from `rng`."""
    rows = []
    while sum(len(r) for r in rows) < count:
        length = int(rng.integers(8, 17))
        h0 = rng.uniform(0.3, 0.55)
        h1 = np.clip(h0 + rng.uniform(-0.1, 0.3), 0.3, 0.85)
        feet0 = rng.uniform(h0 + 0.02, 0.99)
        feet1 = np.clip(feet0 + (h1 - h0) * rng.uniform(0.3, 1.0), h1 + 0.02, 0.99)
        x0 = rng.uniform(0.12, 0.88)
        x1 = np.clip(x0 + rng.uniform(-0.45, 0.45), 0.12, 0.88)
        rows.append(_walk(length, int(rng.integers(0, len(HIDDEN_BACKGROUNDS))), tuple(rng.uniform(0, 1, 4)),
                          (h0, x0, feet0), (h1, x1, feet1), rng.uniform(0.5, 2.5), bool(x1 < x0),
                          rng.uniform(0.85, 1.1), rng.uniform(0.6, 1.0)))
        rows[-1][:, 4] = rng.integers(0, 2)
        rows[-1][:, 8] = (rows[-1][:, 8] + rng.uniform()) % 1.0
    return np.concatenate(rows)[:count]


def build_hidden(count: int = 64) -> Path:
    """Draw hidden walks with randomness nobody keeps; store their recipes and true boxes."""
    rng = np.random.default_rng(int.from_bytes(os.urandom(16), "little"))
    recipes = draw_hidden_recipes(count, rng)
    boxes = np.stack([render_frame(row, HIDDEN_BACKGROUNDS)[1] for row in recipes])
    return save_npz(HIDDEN_FILE, recipes=recipes, boxes=boxes)


DEV_SEED, DEV_SIZE = 64_000, 64  # the public dev frames: walks drawn as the hidden ones are, from a fixed seed


def seeded_frames(draw, render, backgrounds, size: int, seed: int):
    """Yield (index, frame, true box) of `size` recipes `draw` makes from `seed`, rendered: a public
    dev set drawn like a hidden set (a learner's copy, which has no hidden set, scores on it)."""
    for index, row in enumerate(draw(size, np.random.default_rng(seed))):
        frame, box = render(row, backgrounds)
        yield index, frame, box


def dev_frames():
    """The public dev walks (`seeded_frames`)."""
    return seeded_frames(draw_hidden_recipes, render_frame, HIDDEN_BACKGROUNDS, DEV_SIZE, DEV_SEED)


def hidden_frames():
    """Yield (index, frame, true box) of the hidden set (trusted side only)."""
    if not HIDDEN_FILE.exists():
        raise FileNotFoundError(f"the hidden frames are missing: {HIDDEN_FILE} "
                                "(`python -m graders.data.detection --build-hidden` draws new ones)")
    with np.load(HIDDEN_FILE, allow_pickle=False) as stored:
        recipes, boxes = stored["recipes"], stored["boxes"]
    for index, row in enumerate(recipes):
        frame, _ = render_frame(row, HIDDEN_BACKGROUNDS)
        yield index, frame, boxes[index]


def hidden_boxes() -> np.ndarray:
    with np.load(HIDDEN_FILE, allow_pickle=False) as stored:
        return stored["boxes"]


def save_npz(path: os.PathLike | str, **arrays: np.ndarray) -> Path:
    """np.savez_compressed with fixed zip timestamps, so equal arrays give equal bytes."""
    return files.reproducible_npz(path, arrays)


# --- the pre-training set ---------------------------------------------------------------------------
OBJECT_SOURCES = {"cat": ("chelsea", (0.2, 0.0, 0.95, 1.0)), "cup": ("coffee", (0.1, 0.05, 0.9, 0.95)),
                  "rocket": ("rocket", (0.25, 0.0, 0.62, 1.0)), "motorcycle": ("motorcycle", (0.0, 0.05, 1.0, 0.95))}
# how often each class is pasted: people twice as often, as COCO is rich in them
CLASS_SHARES = np.array([1, 1, 1, 1, 1, 2]) / 7
# typical height / width of each class's box, before the random stretch
ASPECTS = {"cat": 0.8, "cup": 1.0, "rocket": 2.6, "horse": 0.85, "motorcycle": 0.7, "person": 2.3}


def _object_sprite(label: int, rng: np.random.Generator):
    """An RGBA cut-out of class `label` (a rectangle photograph, a textured silhouette or a figure)."""
    from PIL import Image

    name = CLASS_NAMES[label]
    if name == "person":
        style = {"face": PERSON_FACES[rng.integers(len(PERSON_FACES))],
                 "cloth": PERSON_CLOTHES[rng.integers(len(PERSON_CLOTHES))],
                 "legs": PERSON_CLOTHES[rng.integers(len(PERSON_CLOTHES))],
                 "tint": tuple(rng.uniform(0.7, 1.15, 3)), "grey": rng.uniform(0, 0.6),
                 "arms": "forward" if rng.random() < 0.5 else "down"}
        sprite = figure(float(rng.uniform()), style)
        return sprite.crop(sprite.getchannel("A").getbbox())
    if name == "horse":
        silhouette = photograph("horse")
        mask = (silhouette[..., :3].mean(axis=-1) < 128) & (silhouette[..., 3] > 0)
        texture = _background(PRETRAIN_BACKGROUNDS[rng.integers(len(PRETRAIN_BACKGROUNDS))],
                              tuple(rng.uniform(0, 1, 2)) + (0.5,), (mask.shape[1], mask.shape[0]))
        texture = _tinted(texture, tuple(rng.uniform([0.5, 0.3, 0.15], [0.9, 0.6, 0.35])), 0.6)
        sprite = texture.convert("RGBA")
        sprite.putalpha(Image.fromarray((mask * 255).astype(np.uint8)))
        return sprite.crop(sprite.getchannel("A").getbbox())
    source, box = OBJECT_SOURCES[name]
    return _crop(source, box).convert("RGBA")


def pretraining_sample(index: int, split: str = "pretrain") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample `index` of a pre-training split: image uint8 (240, 320, 3), boxes [n, 4] normalised
    (ymin, xmin, ymax, xmax), labels [n] int64 (0-based into CLASS_NAMES); n is 1 to 3."""
    from PIL import Image

    rng = np.random.default_rng([SPLIT_SEEDS[split], index])
    canvas = _background(PRETRAIN_BACKGROUNDS[rng.integers(len(PRETRAIN_BACKGROUNDS))],
                         (rng.uniform(), rng.uniform(), rng.uniform(0.4, 1.0)), (PRETRAIN_WIDTH, PRETRAIN_HEIGHT),
                         bool(rng.integers(2)))
    boxes, labels = [], []
    for _ in range(int(rng.integers(1, 4))):
        label = int(rng.choice(len(CLASS_NAMES), p=CLASS_SHARES))
        sprite = _object_sprite(label, rng)
        for _attempt in range(10):
            height = int(PRETRAIN_HEIGHT * rng.uniform(0.18, 0.85))
            aspect = ASPECTS[CLASS_NAMES[label]] * rng.uniform(0.75, 1.33)  # height / width in pixels
            width = int(min(PRETRAIN_WIDTH - 2, max(8, height / aspect)))
            top = int(rng.integers(0, PRETRAIN_HEIGHT - height + 1))
            left = int(rng.integers(0, PRETRAIN_WIDTH - width + 1))
            candidate = np.array([top, left, top + height, left + width], np.float64)
            if all(_pixel_iou(candidate, other) < 0.2 for other in boxes):
                break
        else:
            continue
        thing = sprite.resize((width, height), Image.BILINEAR)
        if rng.integers(2):
            thing = thing.transpose(Image.FLIP_LEFT_RIGHT)
        alpha = np.where(np.asarray(thing.getchannel("A")) >= 128, 255, 0).astype(np.uint8)
        canvas.paste(thing.convert("RGB"), (left, top), Image.fromarray(alpha))
        ys, xs = np.nonzero(alpha)
        boxes.append(np.array([top + ys.min(), left + xs.min(), top + ys.max() + 1, left + xs.max() + 1], np.float64))
        labels.append(label)
    # an object pasted later may cover an earlier one; boxes keep what was placed
    scale = np.array([PRETRAIN_HEIGHT, PRETRAIN_WIDTH, PRETRAIN_HEIGHT, PRETRAIN_WIDTH], np.float64)
    return (np.asarray(canvas, np.uint8), (np.stack(boxes) / scale).astype(np.float32),
            np.asarray(labels, np.int64))


def _pixel_iou(a: np.ndarray, b: np.ndarray) -> float:
    height = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    width = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = height * width
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def pretraining_batch(start: int, size: int, split: str = "pretrain"):
    """Samples start .. start + size - 1: images uint8 [size, 240, 320, 3], lists of boxes and labels."""
    samples = [pretraining_sample(i, split) for i in range(start, start + size)]
    return np.stack([s[0] for s in samples]), [s[1] for s in samples], [s[2] for s in samples]


def label_map_text() -> str:
    """The pre-training classes as a label map (1-based ids, as the API's files)."""
    return "".join(f"item {{\n  id: {i}\n  name: '{name}'\n  display_name: '{name}'\n}}\n"
                   for i, name in enumerate(CLASS_NAMES, 1))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-training", action="store_true", help=f"rewrite the 5 images in {TRAINING_DIR}")
    parser.add_argument("--write-test", metavar="DIR", nargs="?", const=str(BUILD_DIR / "results"),
                        help="render the 237 public frames into DIR")
    parser.add_argument("--write-truth", action="store_true", help=f"rewrite {TEST_TRUTH_FILE.name}")
    parser.add_argument("--build-hidden", type=int, nargs="?", const=64, metavar="COUNT",
                        help="draw new hidden frames (changes every learner's hidden score)")
    args = parser.parse_args(argv)
    if args.write_training:
        for path in write_training():
            print(path)
    if args.write_test:
        paths = write_test_frames(args.write_test)
        print(f"{len(paths)} frames in {args.write_test}")
    if args.write_truth:
        print(write_test_truth())
    if args.build_hidden:
        print(build_hidden(args.build_hidden))
    if not (args.write_training or args.write_test or args.write_truth or args.build_hidden):
        print("training boxes:\n", np.round(training_boxes(), 4))


if __name__ == "__main__":
    main()
