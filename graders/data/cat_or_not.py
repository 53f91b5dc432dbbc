"""The C3W4 classification set and the pictures learners draw saliency maps of.

The course trains on cats_vs_dogs, which cannot be downloaded here, and
scikit-image ships a photograph of a cat but none of a dog. So the set is "a
cat or not": class 0 (the course's "cat") is the cat photograph, class 1 (the
course's "dog") is one of three other subjects (an astronaut, a cup of coffee, a
rocket), each pasted at a random box on a random crop of another photograph, as
in `graders.data.localization`, at the course's 300x300 RGB. The model sees
x / 255.

The five *given pictures* (`exercises/c3w4_pictures/`) play the role of the
course's cat1, cat2, catanddog, dog1 and dog2: learners submit the saliency maps
of these files. They are committed (so everybody's input is byte for byte the
same) and `write_pictures` rebuilds them.

The hidden split is a small file of recipes drawn with secret randomness
(`python -m graders.data.cat_or_not --build-hidden 64`).
"""

from __future__ import annotations

import argparse
import functools
import os
from pathlib import Path

import numpy as np

from graders.data import localization
from graders.shared.paths import EXERCISES, FIXTURES

SIZE = 300
CAT = "chelsea.png"
NOT_CATS = ("astronaut.png", "coffee.png", "rocket.jpg")
OBJECTS = (CAT,) + NOT_CATS
CLASS_NAMES = ("cat", "not a cat")
SPLIT_SEEDS = {"train": 41, "dev": 42}
DEV_SIZE = 32
HIDDEN_FILE = FIXTURES / "c3w4" / "cat_or_not_hidden.npz"
PICTURES_DIR = EXERCISES / "c3w4_pictures"
# name -> label (render_picture says how each is made); none is 300x300 on purpose: the maps are
# of the 300x300 resize.
PICTURES = {
    "cat1.jpg": 0,
    "cat2.jpg": 0,
    "cat_and_cup.jpg": 0,
    "cup.jpg": 1,
    "astronaut.jpg": 1,
}


def draw_recipes(count: int, rng: np.random.Generator) -> np.ndarray:
    """Localization recipes at 300x300 whose object is the cat half of the time."""
    rows = localization.draw_recipes(count, rng, SIZE)
    cats = rng.random(count) < 0.5
    rows[:, 1] = np.where(cats, 0, 1 + rng.integers(0, len(NOT_CATS), count))
    return rows


def labels_of(recipes: np.ndarray) -> np.ndarray:
    return (recipes[:, 1] != 0).astype(np.int64)


def recipes(split: str, count: int | None = None) -> np.ndarray:
    return localization.split_recipes(split, count, HIDDEN_FILE, draw_recipes, SPLIT_SEEDS, DEV_SIZE)


def load_split(split: str, count: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(RGB images uint8 (N, 300, 300, 3), labels int64 (N,): 0 cat, 1 not a cat)."""
    rows = recipes(split, count)
    images, _ = localization.render_all(rows, SIZE, OBJECTS)
    return images, labels_of(rows)


def preprocess(images: np.ndarray) -> np.ndarray:
    """The course's scaling to [0, 1]."""
    return np.asarray(images, dtype=np.float32) / 255.0


# --- the given pictures -------------------------------------------------------------------------
def _paste(canvas, name: str, box: tuple[int, int, int, int]):
    from PIL import Image

    left, top, right, bottom = box
    thing = Image.fromarray(localization.photograph(name)).resize((right - left, bottom - top), Image.BILINEAR)
    canvas.paste(thing, (left, top))
    return canvas


def render_picture(name: str) -> np.ndarray:
    """One given picture as RGB uint8, at its own size (none is 300x300)."""
    from PIL import Image

    photo = Image.fromarray
    if name == "cat1.jpg":  # the photograph itself, 451x300
        return localization.photograph(CAT)
    if name == "cat2.jpg":  # the cat, mirrored, on grass, 400x360
        grass = photo(localization.photograph("grass.png")).resize((400, 360), Image.BILINEAR)
        cat = photo(localization.photograph(CAT)).transpose(Image.FLIP_LEFT_RIGHT).resize((240, 160), Image.BILINEAR)
        grass.paste(cat, (120, 150))
        return np.asarray(grass)
    if name == "cat_and_cup.jpg":  # both subjects on gravel, 480x320
        canvas = photo(localization.photograph("gravel.png")).resize((480, 320), Image.BILINEAR)
        canvas = _paste(canvas, CAT, (20, 60, 250, 213))
        return np.asarray(_paste(canvas, "coffee.png", (290, 90, 460, 217)))
    if name == "cup.jpg":  # the photograph itself, 400x600
        return localization.photograph("coffee.png")
    if name == "astronaut.jpg":  # the photograph, scaled to 360x360
        return np.asarray(photo(localization.photograph("astronaut.png")).resize((360, 360), Image.BILINEAR))
    raise KeyError(f"no given picture {name!r}; known: {', '.join(PICTURES)}")


def write_pictures(folder: os.PathLike | str = PICTURES_DIR) -> list[Path]:
    """Write the given pictures as JPEG files (what learners and the grader read)."""
    from PIL import Image

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in PICTURES:
        path = folder / name
        Image.fromarray(render_picture(name)).save(path, quality=95)
        written.append(path)
    return written


@functools.lru_cache(maxsize=None)
def picture_bytes(name: str) -> bytes:
    """The committed file of one given picture."""
    return (PICTURES_DIR / name).read_bytes()


def build_hidden(count: int = 64) -> Path:
    return localization.store_hidden(HIDDEN_FILE, draw_recipes, count)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-hidden", type=int, metavar="COUNT",
                        help="draw a new hidden split of COUNT samples (changes every learner's hidden score)")
    parser.add_argument("--write-pictures", action="store_true",
                        help=f"rewrite the given pictures in {PICTURES_DIR}")
    args = parser.parse_args(argv)
    if args.build_hidden:
        print(build_hidden(args.build_hidden))
    if args.write_pictures:
        for path in write_pictures():
            print(path)
    if not (args.build_hidden or args.write_pictures):
        for split in ("train", "dev", "hidden"):
            print(split, len(recipes(split)), "cats:", int(np.sum(labels_of(recipes(split)) == 0)))


if __name__ == "__main__":
    main()
