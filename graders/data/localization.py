"""The C3W1 localization set: real photographs with a pasted object of known box.

Caltech-UCSD Birds 2010 cannot be downloaded here, so the set is built from the
photographs that ship inside scikit-image: a background is a random crop of one
photograph, the object is another photograph (a cat, an astronaut, a cup of
coffee, ...) resized into a random box and pasted on it. Every sample is a
*recipe* of a few numbers; pixels are rendered from the recipe, so the hidden
split is a small file of recipes drawn with secret randomness
(`python -m graders.data.localization --build-hidden`), and the training and dev
splits come from fixed seeds.

Images come out as the course's: 224x224x3 uint8 (the model sees x / 127.5 - 1),
boxes as (xmin, ymin, xmax, ymax) normalised by the width and height.

`load_caltech_birds(DIR, split)` reads the real data set from a local copy in
TensorFlow Datasets' layout (`caltech_birds2010/<version>/*.tfrecord*`) instead.
"""

from __future__ import annotations

import argparse
import functools
import os
from pathlib import Path

import numpy as np

from graders.shared.paths import FIXTURES

SIZE = 224
BACKGROUNDS = ("grass.png", "gravel.png", "brick.png", "hubble_deep_field.jpg", "moon.png",
               "motorcycle_left.png", "retina.jpg", "ihc.png", "page.png", "camera.png", "coins.png",
               "rocket.jpg")
OBJECTS = ("chelsea.png", "astronaut.png", "coffee.png")
SPLIT_SEEDS = {"train": 1, "dev": 2}
HIDDEN_FILE = FIXTURES / "c3w1" / "localization_hidden.npz"
DEV_SIZE = 32
# Recipe columns: background, object, crop (x, y, side as shares of the photograph),
# box in pixels of the 224x224 image, mirror flags.
RECIPE_FIELDS = ("background", "object", "crop_x", "crop_y", "crop_side",
                 "xmin", "ymin", "xmax", "ymax", "flip_background", "flip_object")


@functools.lru_cache(maxsize=None)
def photograph(name: str) -> np.ndarray:
    """One of the photographs in scikit-image's data folder, as RGB uint8."""
    from importlib.util import find_spec

    from PIL import Image

    spec = find_spec("skimage")
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError("the C3W1 data set is built from scikit-image's photographs: "
                                  "pip install scikit-image")
    with Image.open(Path(spec.origin).parent / "data" / name) as image:
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def draw_recipes(count: int, rng: np.random.Generator, size: int = SIZE) -> np.ndarray:
    """`count` random samples as rows of RECIPE_FIELDS (float64), for `size`x`size` images."""
    rows = np.zeros((count, len(RECIPE_FIELDS)))
    rows[:, 0] = rng.integers(0, len(BACKGROUNDS), count)
    rows[:, 1] = rng.integers(0, len(OBJECTS), count)
    rows[:, 4] = rng.uniform(0.35, 1.0, count)
    rows[:, 2] = rng.uniform(0, 1, count) * (1 - rows[:, 4])
    rows[:, 3] = rng.uniform(0, 1, count) * (1 - rows[:, 4])
    scale = size / SIZE
    width = (rng.integers(56, 180, count) * scale).astype(int)
    height = np.clip((width * rng.uniform(0.6, 1.5, count)).astype(int), int(48 * scale), int(200 * scale))
    rows[:, 5] = [rng.integers(0, size - w + 1) for w in width]
    rows[:, 6] = [rng.integers(0, size - h + 1) for h in height]
    rows[:, 7] = rows[:, 5] + width
    rows[:, 8] = rows[:, 6] + height
    rows[:, 9:11] = rng.integers(0, 2, (count, 2))
    return rows


def render(recipe: np.ndarray, size: int = SIZE, objects: tuple[str, ...] = OBJECTS) -> tuple[np.ndarray, np.ndarray]:
    """The `size`x`size`x3 image and the normalised box of one recipe."""
    from PIL import Image

    background = photograph(BACKGROUNDS[int(recipe[0])])
    height, width = background.shape[:2]
    side = int(recipe[4] * min(height, width))
    left, top = int(recipe[2] * (width - side)), int(recipe[3] * (height - side))
    canvas = Image.fromarray(background[top:top + side, left:left + side]).resize((size, size), Image.BILINEAR)
    if recipe[9]:
        canvas = canvas.transpose(Image.FLIP_LEFT_RIGHT)
    xmin, ymin, xmax, ymax = (int(v) for v in recipe[5:9])
    thing = Image.fromarray(photograph(objects[int(recipe[1])])).resize((xmax - xmin, ymax - ymin), Image.BILINEAR)
    if recipe[10]:
        thing = thing.transpose(Image.FLIP_LEFT_RIGHT)
    canvas.paste(thing, (xmin, ymin))
    box = np.array([xmin, ymin, xmax, ymax], dtype=np.float32) / size
    return np.asarray(canvas, dtype=np.uint8), box


def render_all(recipes: np.ndarray, size: int = SIZE,
               objects: tuple[str, ...] = OBJECTS) -> tuple[np.ndarray, np.ndarray]:
    images = np.zeros((len(recipes), size, size, 3), dtype=np.uint8)
    boxes = np.zeros((len(recipes), 4), dtype=np.float32)
    for index, recipe in enumerate(recipes):
        images[index], boxes[index] = render(recipe, size, objects)
    return images, boxes


def split_recipes(split: str, count: int | None, hidden_file: Path, draw, seeds: dict[str, int],
                  dev_size: int) -> np.ndarray:
    """The recipes of one split of a recipe-built set: the hidden split from its file, the others
    drawn by `draw(count, rng)` from their fixed seeds (1000 for training, `dev_size` for dev)."""
    if split == "hidden":
        if not hidden_file.exists():
            raise FileNotFoundError(f"the hidden split is missing: {hidden_file}")
        with np.load(hidden_file, allow_pickle=False) as stored:
            rows = stored["recipes"]
        return rows if count is None else rows[:count]
    if split not in seeds:
        raise ValueError(f"unknown split {split!r}: {', '.join(seeds)} or hidden")
    default = dev_size if split == "dev" else 1000
    return draw(default if count is None else count, np.random.default_rng(seeds[split]))


def store_hidden(hidden_file: Path, draw, count: int) -> Path:
    """Draw a hidden split with randomness nobody keeps, and store its recipes."""
    rows = draw(count, np.random.default_rng(int.from_bytes(os.urandom(16), "little")))
    hidden_file.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(hidden_file, recipes=rows)
    return hidden_file


def recipes(split: str, count: int | None = None) -> np.ndarray:
    return split_recipes(split, count, HIDDEN_FILE, draw_recipes, SPLIT_SEEDS, DEV_SIZE)


def load_split(split: str, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 224, 224, 3), boxes float32 (N, 4) as normalised xmin, ymin, xmax, ymax)."""
    return render_all(recipes(split, count))


def preprocess(images: np.ndarray) -> np.ndarray:
    """The course's scaling to [-1, 1]."""
    return np.asarray(images, dtype=np.float32) / 127.5 - 1.0


def load_caltech_birds(directory: os.PathLike | str, split: str = "train",
                       limit: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Caltech Birds 2010 from a local TensorFlow Datasets copy, resized and boxed as the course does.

    TFDS stores each box as (ymin, xmin, ymax, xmax), normalised; the course's order
    is (xmin, ymin, xmax, ymax)."""
    import tensorflow as tf

    files = sorted(str(p) for p in Path(directory).expanduser().rglob(f"*-{split}.tfrecord*"))
    if not files:
        raise FileNotFoundError(f"no {split} TFRecord files of caltech_birds2010 under {directory}")
    spec = {"image": tf.io.FixedLenFeature([], tf.string),
            "bbox": tf.io.FixedLenFeature([4], tf.float32)}
    images, boxes = [], []
    for record in tf.data.TFRecordDataset(files).take(-1 if limit is None else limit):
        example = tf.io.parse_single_example(record, spec)
        image = tf.image.decode_image(example["image"], channels=3, expand_animations=False)
        images.append(tf.image.resize(image, (SIZE, SIZE)).numpy().round().clip(0, 255).astype(np.uint8))
        ymin, xmin, ymax, xmax = example["bbox"].numpy()
        boxes.append((xmin, ymin, xmax, ymax))
    return np.stack(images), np.asarray(boxes, dtype=np.float32)


def build_hidden(count: int = 48) -> Path:
    return store_hidden(HIDDEN_FILE, draw_recipes, count)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-hidden", type=int, metavar="COUNT",
                        help="draw a new hidden split of COUNT samples (changes every learner's hidden score)")
    args = parser.parse_args(argv)
    if args.build_hidden:
        print(build_hidden(args.build_hidden))
    else:
        for split in ("train", "dev", "hidden"):
            print(split, len(recipes(split)))


if __name__ == "__main__":
    main()
