"""Lab C3W2-L2 "Object detection with drawn boxes", as a practice suite.

The lab draws a detector's boxes with two Pillow helpers of its own:
`draw_bounding_box_on_image` (one box and its labels on a PIL image, in place) and
`draw_boxes` (a detector's confident boxes on an image array, through the first). The probes
call them on the grader's canvases and boxes and send where the pixels changed; the checks
read the drawing's structure from that: each edge of each box where its normalised
coordinates put it, as thick as asked, the label above the box or, with no room above, below
its top edge, which boxes were drawn at all.

`draw_boxes` colours a box by `hash(class_name)`, which Python randomises per process, so no
colour and no exact pixel is compared with a picture of the solution's: only where pixels
changed (on a canvas of a colour no named colour has), and whether boxes of one class share
their colour. It scores like an assignment but counts for nothing in a grade.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import numpy as np

from graders.authoring import Assignment, Exercise, Figure, Hint, Verdict, pictures
from graders.suites import common

BACKGROUND = (7, 93, 151)  # a blank canvas's colour: no colour Pillow names is this one
COLOURS = ("magenta", "orange", "lime", "cyan", "yellow", "deeppink", "gold", "springgreen")
CLASS_NAMES = (b"Cat", b"Dog", b"Person", b"Bicycle", b"Kite")
PHOTOGRAPHS = ("chelsea.png", "coffee.png", "astronaut.png")
DEFAULT_THICKNESS = 4
SEARCH = 8  # pixels either side of where an edge belongs in which its line is looked for
THICKNESS_TOLERANCE = 1  # pixels an edge may be thicker or thinner than the solution's
COLOUR_SHARE = 0.5  # of the changed pixels, at least this share has the box's colour exactly
LABEL_SHARE = 0.6  # of a small window just above (or below) a box's top edge, changed for a label
AGREEMENT = 0.97  # share of each drawing's changed pixels found near the other's


# --- cases (both sides: the trusted side reads them from the reference's echo) -----------------------
def box_cases(seed: int) -> list[dict]:
    """Four drawings for `draw_bounding_box_on_image`, all drawn from the seed (seed 0: the
    public ones): on photographs and on blank canvases, never square (so that swapped x and y
    show); a box with room above for its label, one whose top is too near the canvas's top for
    it (its label goes below the top edge), one without a label drawn at the default thickness."""
    rng = np.random.default_rng([seed, 53])
    # Two thicknesses at least two pixels from the default either way: a thickness ignored shows.
    kinds = [("photo", "room", True, int(rng.choice([2, 3, 5, 6]))),
             ("blank", "top", True, int(rng.choice([1, 2]))),
             ("blank", "room", False, None),
             ("photo", "room", True, int(rng.choice([6, 7])))]
    cases = []
    for canvas, place, labelled, thickness in kinds:
        height, width = int(rng.integers(110, 150)), int(rng.integers(165, 220))
        if place == "top":
            ymin = float(rng.uniform(7, 9)) / height
        else:
            ymin = float(rng.uniform(0.25, 0.4))
        box = [ymin, float(rng.uniform(0.08, 0.25)), float(rng.uniform(0.7, 0.9)), float(rng.uniform(0.62, 0.88))]
        label = f"{rng.choice(CLASS_NAMES).decode()}: {int(rng.integers(30, 100))}%"
        case = {"canvas": str(rng.choice(PHOTOGRAPHS)) if canvas == "photo" else "blank", "size": [height, width],
                "corner": [int(rng.integers(0, 100)), int(rng.integers(0, 150))], "box": box,
                "thickness": thickness, "labels": [label] if labelled else [], "colour": str(rng.choice(COLOURS))}
        cases.append(case)
    return cases


def boxes_cases(seed: int) -> list[dict]:
    """Two detections for `draw_boxes` on blank canvases, one box to a cell of a grid (so that
    no box hides another): the first with a seeded `max_boxes` and `min_score` (scores below it,
    one exactly at it, boxes past `max_boxes` that score well), the second with the defaults
    (12 boxes, so `max_boxes=10` leaves two out; one scores below 0.1)."""
    rng = np.random.default_rng([seed, 59])
    cases = []
    for rows, max_boxes, min_score in ((2, int(rng.integers(5, 8)), float(rng.choice([0.25, 0.375, 0.5]))),
                                       (3, None, None)):
        count, limit, floor = rows * 4, max_boxes or 10, min_score or 0.1
        height, width = int(rng.integers(130, 150)) * rows, int(rng.integers(400, 440))
        cell_h, cell_w = height / rows, width / 4
        boxes = []
        for index in range(count):
            row, column = divmod(index, 4)
            boxes.append([(row + rng.uniform(0.3, 0.4)) * cell_h / height, (column + rng.uniform(0.05, 0.15)) * cell_w / width,
                          (row + rng.uniform(0.8, 0.92)) * cell_h / height, (column + rng.uniform(0.85, 0.95)) * cell_w / width])
        scores = rng.uniform(floor + 0.05, 0.99, count)
        considered = 2 + rng.permutation(limit - 2)  # boxes 0 and 1, of one class, are drawn
        scores[considered[:2]] = floor - rng.uniform(0.03, 0.08, 2)  # two boxes that score too little
        if min_score is not None:
            scores[considered[2]] = min_score  # exactly the floor: drawn (>=)
        names = [rng.choice(CLASS_NAMES) for _ in range(count)]
        names[1] = names[0]  # one class twice at least, both drawn: the same colour
        cases.append({"size": [height, width], "boxes": np.asarray(boxes, np.float32),
                      "scores": scores.astype(np.float32), "names": [name.decode() for name in names],
                      "max_boxes": max_boxes, "min_score": min_score})
    return cases


# --- in the worker ------------------------------------------------------------------------------
def _canvas(case) -> np.ndarray:
    height, width = case["size"]
    if case.get("canvas", "blank") == "blank":
        return np.broadcast_to(np.asarray(BACKGROUND, np.uint8), (height, width, 3)).copy()
    from graders.data.localization import photograph

    photo = photograph(case["canvas"])
    top, left = case["corner"]
    return np.ascontiguousarray(photo[top:top + height, left:left + width])


def changed(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """Where an RGB picture changed, as a uint8 mask (1 changed)."""
    return np.any(before != after, axis=-1).astype(np.uint8)


@contextlib.contextmanager
def written_texts():
    """The strings drawn with `ImageDraw.text` while it is open (a call inside another, as
    `multiline_text` makes, is the outer one's)."""
    from PIL import ImageDraw

    texts, depth, original = [], [0], ImageDraw.ImageDraw.text

    def text(self, xy, text, *args, **kwargs):
        if depth[0] == 0:
            texts.append(text.decode("latin-1") if isinstance(text, bytes) else str(text))
        depth[0] += 1
        try:
            return original(self, xy, text, *args, **kwargs)
        finally:
            depth[0] -= 1

    ImageDraw.ImageDraw.text = text
    try:
        yield texts
    finally:
        ImageDraw.ImageDraw.text = original


@contextlib.contextmanager
def one_font():
    """Every TrueType font asked for is Pillow's own built-in one, at the size asked for, while it
    is open: the course's code loads Liberation Sans Narrow by its path on the machine and falls back
    to Pillow's font where it is missing, so the same code would draw other labels (and leave another
    reference) wherever that font happens to be installed."""
    from PIL import ImageFont

    original, builtin = ImageFont.truetype, ImageFont.load_default(size=10)

    def truetype(font=None, size=10, *args, **kwargs):
        return builtin.font_variant(size=size)  # not load_default(size), which calls truetype

    ImageFont.truetype = truetype
    try:
        yield
    finally:
        ImageFont.truetype = original


def probe_box(submission, params) -> dict:
    from PIL import Image, ImageColor, ImageFont

    function = submission.function("draw_bounding_box_on_image")
    font = ImageFont.load_default()
    cases = []
    for case in box_cases(common.probe_seed(params)):
        before = _canvas(case)
        image = Image.fromarray(before.copy())
        keywords = {"display_str_list": list(case["labels"])}
        if case["thickness"] is not None:
            keywords["thickness"] = case["thickness"]
        with one_font(), written_texts() as texts:
            function(image, *case["box"], case["colour"], font, **keywords)
        after = np.asarray(image.convert("RGB"))
        if after.shape != before.shape:
            raise common.fail(f"draw_bounding_box_on_image changed the image's size to {image.size}; draw on "
                              "it, do not resize it")
        mask = changed(before, after)
        colour = np.asarray(ImageColor.getrgb(case["colour"]), np.uint8)
        in_colour = np.all(after == colour, axis=-1) & mask.astype(bool)
        cases.append({"case": case, "mask": mask, "texts": texts[:20],
                      "colour_share": float(in_colour.sum() / max(1, int(mask.sum())))})
    return {"cases": cases}


def _returned(value, image: np.ndarray) -> str:
    if value is image:
        return "image"
    if value is None:
        return "none"
    if isinstance(value, np.ndarray):
        return "array" if value.shape == image.shape else "other shape"
    return type(value).__name__


def _colours_follow_classes(picture: np.ndarray, before: np.ndarray, case) -> bool:
    """Boxes of one class have one colour: each box's colour read halfway down its left edge's
    lower part, where no label lies (boxes not drawn there are left out)."""
    height, width = case["size"]
    seen: dict[str, set] = {}
    for box, name in zip(case["boxes"], case["names"]):
        row = int(round((box[0] + 0.75 * (box[2] - box[0])) * height))
        column = int(round(box[1] * width))
        if 0 <= row < height and 0 <= column < width and np.any(picture[row, column] != before[row, column]):
            seen.setdefault(name, set()).add(tuple(int(v) for v in picture[row, column]))
    return all(len(colours) == 1 for colours in seen.values())


def probe_boxes(submission, params) -> dict:
    function = submission.function("draw_boxes")
    cases = []
    with common.reference_parts(submission, ("draw_bounding_box_on_image",)):
        for case in boxes_cases(common.probe_seed(params)):
            before = _canvas(case)
            image = before.copy()
            keywords = {key: case[key] for key in ("max_boxes", "min_score") if case[key] is not None}
            names = [name.encode("ascii") for name in case["names"]]
            with one_font(), written_texts() as texts:
                value = function(image, case["boxes"].copy(), names, case["scores"].copy(), **keywords)
            returned = _returned(value, image)
            drawn = np.asarray(value) if returned in ("image", "array") else image
            if drawn.dtype != np.uint8:
                drawn = np.clip(np.nan_to_num(drawn.astype(np.float64)), 0, 255).astype(np.uint8)
            dtype = str(value.dtype) if isinstance(value, np.ndarray) else type(value).__name__
            cases.append({"case": case, "returned": returned, "dtype": dtype,
                          "input_changed": bool(np.any(image != before)), "mask": changed(before, drawn),
                          "texts": texts[:40], "colours_by_class": _colours_follow_classes(drawn, before, case)})
    return {"cases": cases}


# --- on the trusted side: a drawing's structure, read from its mask -------------------------------------
@dataclass(frozen=True)
class Edge:
    present: bool
    thickness: float = 0.0  # the median length of the line's runs across the edge
    offset: float = 0.0  # the median of the runs' centres minus where the edge belongs

    def text(self) -> str:
        return f"{self.thickness:g} pixels thick" if self.present else "missing"


def _run_near(line: np.ndarray, position: float) -> tuple[int, float] | None:
    """The run of changed pixels on `line` nearest `position` (within SEARCH): length, centre."""
    low, high = max(0, int(np.floor(position - SEARCH))), min(len(line), int(np.ceil(position + SEARCH)) + 1)
    best = None
    index = low
    while index < high:
        if not line[index]:
            index += 1
            continue
        start = index
        while start > 0 and line[start - 1]:
            start -= 1
        end = index
        while end + 1 < len(line) and line[end + 1]:
            end += 1
        centre = (start + end) / 2
        if best is None or abs(centre - position) < abs(best[1] - position):
            best = (end - start + 1, centre)
        index = end + 1
    return best


def _edge(mask: np.ndarray, vertical: bool, position: float, span: tuple[float, float]) -> Edge:
    """A vertical edge at column `position` (or a horizontal one at that row), looked for on
    five lines across it within `span` (rows, or columns)."""
    runs = []
    for along in np.linspace(span[0], span[1], 5):
        index = int(round(along))
        limit = mask.shape[0] if vertical else mask.shape[1]
        if not 0 <= index < limit:
            return Edge(False)
        found = _run_near(mask[index, :] if vertical else mask[:, index], position)
        if found is None:
            return Edge(False)
        runs.append(found)
    return Edge(True, float(np.median([r[0] for r in runs])), float(np.median([r[1] for r in runs])) - position)


def _window_share(mask: np.ndarray, rows: tuple[float, float], columns: tuple[float, float]) -> float:
    top, bottom = max(0, int(np.ceil(rows[0]))), min(mask.shape[0], int(np.floor(rows[1])) + 1)
    left, right = max(0, int(np.ceil(columns[0]))), min(mask.shape[1], int(np.floor(columns[1])) + 1)
    if bottom <= top or right <= left:
        return 0.0
    return float(mask[top:bottom, left:right].mean())


@dataclass(frozen=True)
class Drawing:
    """What a mask shows of one box: its edges, and whether a label sits above its top edge or
    below it (inside the box)."""

    left: Edge
    right: Edge
    bottom: Edge
    top: bool
    above: bool
    below: bool

    @property
    def outlined(self) -> bool:
        return self.left.present and self.right.present and self.bottom.present and self.top

    @property
    def label(self) -> str:
        return "both" if self.above and self.below else "above" if self.above else "below" if self.below else "none"


def pixel_box(box, size) -> tuple[float, float, float, float]:
    """(top, left, bottom, right) in pixels of a normalised (ymin, xmin, ymax, xmax) box."""
    height, width = size
    ymin, xmin, ymax, xmax = (float(v) for v in box)
    return ymin * height, xmin * width, ymax * height, xmax * width


def drawing(mask: np.ndarray, box: tuple[float, float, float, float], thickness: float) -> Drawing:
    """The structure of the box at pixel place `box` in `mask`: its left, right and bottom
    edges on lines through the lower part of the box (labels lie at its top), the top edge on
    its right end, and the windows where a label would be."""
    top, left, bottom, right = box
    height, width = bottom - top, right - left
    rows = (top + 0.6 * height, top + 0.9 * height)
    half = thickness / 2
    top_edge = _edge(mask, False, top, (right - 0.12 * width, right - 0.04 * width))
    columns = (left + half + 2, left + half + 10)
    return Drawing(left=_edge(mask, True, left, rows), right=_edge(mask, True, right, rows),
                   bottom=_edge(mask, False, bottom, (left + 0.6 * width, left + 0.9 * width)),
                   top=top_edge.present,
                   above=_window_share(mask, (top - half - 6, top - half - 2), columns) >= LABEL_SHARE,
                   below=_window_share(mask, (top + half + 2, top + half + 6), columns) >= LABEL_SHARE)


def edges_agree(mine: Drawing, theirs: Drawing, thickness: float) -> str | None:
    """Which edge (if any) is missing, misplaced or of another thickness than the solution's."""
    for name in ("left", "right", "bottom"):
        a, b = getattr(mine, name), getattr(theirs, name)
        if not a.present:
            return f"the {name} edge is missing"
        if abs(a.thickness - b.thickness) > THICKNESS_TOLERANCE:
            return f"the {name} edge is {a.thickness:g} pixels thick, expected {b.thickness:g}"
        if abs(a.offset - b.offset) > 1 + thickness / 2:
            return f"the {name} edge is {a.offset - b.offset:+.0f} pixels from where the coordinates put it"
    if not mine.top:
        return "the top edge is missing"
    return None


def dilated(mask: np.ndarray, radius: int) -> np.ndarray:
    grown = mask.astype(bool)
    padded = np.pad(grown, radius)
    out = np.zeros_like(grown)
    for dy in range(2 * radius + 1):
        for dx in range(2 * radius + 1):
            out |= padded[dy:dy + grown.shape[0], dx:dx + grown.shape[1]]
    return out


def mask_agreement(mine: np.ndarray, theirs: np.ndarray, radius: int) -> tuple[float, float]:
    """The share of my changed pixels within `radius` of theirs, and of theirs within `radius`
    of mine (1.0 for an empty side)."""
    mine, theirs = mine.astype(bool), theirs.astype(bool)
    near_theirs = float((mine & dilated(theirs, radius)).sum() / max(1, mine.sum())) if mine.any() else 1.0
    near_mine = float((theirs & dilated(mine, radius)).sum() / max(1, theirs.sum())) if theirs.any() else 1.0
    return near_theirs, near_mine


def _thickness(case) -> int:
    return DEFAULT_THICKNESS if case["thickness"] is None else case["thickness"]


def _case_name(case) -> str:
    height, width = case["size"]
    ymin, xmin, ymax, xmax = case["box"]
    where = "blank" if case["canvas"] == "blank" else case["canvas"].split(".")[0]
    thickness = "default thickness" if case["thickness"] is None else f"thickness={case['thickness']}"
    label = f"label {case['labels'][0]!r}" if case["labels"] else "no label"
    return (f"a {width}x{height} {where} canvas, box (ymin, xmin, ymax, xmax)=({ymin:.3f}, {xmin:.3f}, {ymax:.3f}, "
            f"{xmax:.3f}), {thickness}, {label}")


def mask_rgb(mask: np.ndarray, boxes=()) -> np.ndarray:
    """A mask as a picture, changed pixels dark on white, over thin outlines of `boxes`
    (normalised (ymin, xmin, ymax, xmax), colour): an outline shows where nothing was drawn."""
    blank = np.full(mask.shape + (3,), 255, np.uint8)
    picture = pictures.with_boxes(blank, [((b[1], b[0], b[3], b[2]), colour) for b, colour in boxes], width=1)
    return np.where(mask.astype(bool)[..., None], np.uint8(40), picture)


def _figure(observation, reference, caption: str, boxes_of) -> Figure:
    rows, captions = [], []
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        expected_boxes = [(box, pictures.TRUE_BOX) for box in boxes_of(theirs)]
        yours = mine["mask"] if mine["mask"].shape == theirs["mask"].shape else np.zeros_like(theirs["mask"])
        rows.append([mask_rgb(yours, expected_boxes), mask_rgb(theirs["mask"], expected_boxes)])
        height, width = theirs["case"]["size"]
        captions.append([f"{width}x{height}", ""])
    width = max(row[0].shape[1] for row in rows)
    height = max(row[0].shape[0] for row in rows)
    padded = [[np.pad(cell, ((0, height - cell.shape[0]), (0, width - cell.shape[1]), (0, 0)), constant_values=255)
               for cell in row] for row in rows]
    return Figure(caption, png=pictures.grid_png(padded, ["yours", "expected"], scale=1, captions=captions))


def _box_figure(observation, reference) -> Figure:
    return _figure(observation, reference, "where your drawing changed the canvas (dark) and where the solution's "
                   "did, over the box's place in green", lambda theirs: [theirs["case"]["box"]])


def _structures(observation, reference) -> list[tuple[dict, Drawing, Drawing]]:
    """Each case: the reference's case, the learner's drawing and the solution's, read at the
    place the reference's case gives (never the learner's echo)."""
    found = []
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        case = theirs["case"]
        place, thickness = pixel_box(case["box"], case["size"]), _thickness(case)
        found.append((case, drawing(mine["mask"], place, thickness) if mine["mask"].shape == theirs["mask"].shape
                      else None, drawing(theirs["mask"], place, thickness)))
    return found


def check_box(observation, reference) -> Verdict:
    figure = _box_figure(observation, reference)
    details = []
    for (case, mine, theirs), got, expected in zip(_structures(observation, reference), observation["cases"],
                                                   reference["cases"]):
        where = _case_name(case)
        if mine is None:
            return Verdict.failed(f"{where}: the mask has the wrong size", figures=[figure])
        if not got["mask"].any():
            return Verdict.failed(f"{where}: nothing was drawn on the image", figures=[figure])
        problem = edges_agree(mine, theirs, _thickness(case))
        if problem:
            return Verdict.failed(f"{where}: {problem}", details=details, figures=[figure])
        if mine.label != theirs.label:
            expected_place = {"above": "above the box", "below": "inside the box, below its top edge",
                              "none": "nowhere (no label was given)"}[theirs.label]
            found = {"above": "above the box", "below": "below the top edge", "both": "above and below the top edge",
                     "none": "nowhere"}[mine.label]
            return Verdict.failed(f"{where}: the label is drawn {found}, expected {expected_place}",
                                  details=details, figures=[figure])
        if got["texts"] != expected["texts"]:
            return Verdict.failed(f"{where}: the text drawn is {got['texts']}, expected {expected['texts']}",
                                  details=details, figures=[figure])
        if got["colour_share"] < COLOUR_SHARE <= expected["colour_share"]:
            return Verdict.failed(f"{where}: only {got['colour_share']:.0%} of the changed pixels are in "
                                  f"color={case['colour']!r}", details=details, figures=[figure])
        near_theirs, near_mine = mask_agreement(got["mask"], expected["mask"], 1 + int(np.ceil(_thickness(case) / 2)))
        if min(near_theirs, near_mine) < AGREEMENT:
            return Verdict.failed(f"{where}: {1 - near_theirs:.1%} of your changed pixels lie away from the expected "
                                  f"drawing and {1 - near_mine:.1%} of its pixels away from yours", details=details,
                                  figures=[figure])
        details.append(f"{where}: edges {mine.left.text()}, label {mine.label}")
    return Verdict.passed(f"{len(reference['cases'])} boxes drawn where their coordinates put them, as thick as asked, "
                          "each label above the box or, with no room above, inside it", details=details,
                          figures=[figure])


def _swapped_xy(box):
    ymin, xmin, ymax, xmax = box
    return [xmin, ymin, xmax, ymax]


def outline_mask(size, place: tuple[float, float, float, float], thickness: int) -> np.ndarray:
    """Where the lab's outline of a box at pixel `place` lies on a canvas of `size` (the part
    inside the canvas), drawn as the lab draws it."""
    from PIL import Image, ImageDraw

    height, width = size
    canvas = Image.new("L", (width, height), 0)
    top, left, bottom, right = (float(np.clip(v, -1e4, 1e4)) for v in place)
    ImageDraw.Draw(canvas).line([(left, top), (left, bottom), (right, bottom), (right, top), (left, top)],
                                width=thickness, fill=1)
    return np.asarray(canvas, dtype=bool)


def covered(mask: np.ndarray, outline: np.ndarray) -> float:
    """The share of `outline`'s pixels changed in `mask` (0.0 for an outline off the canvas)."""
    return float((mask.astype(bool) & outline).sum() / outline.sum()) if outline.any() else 0.0


def drawn_as(mask: np.ndarray, size, box, thickness: int, transform) -> bool:
    """The box is outlined where `transform(box, size)` puts it (in pixels), not where it belongs."""
    wrong = outline_mask(size, transform(box, size), thickness)
    right = outline_mask(size, pixel_box(box, size), thickness)
    return mask.shape == right.shape and covered(mask, wrong) >= 0.9 and covered(mask, right & ~wrong) < 0.5


def _outlined_as(o, r, transform) -> bool:
    """Every case's box is outlined where `transform` (of the normalised box and the canvas
    size) puts it, instead of at its place."""
    cases = list(zip(o["cases"], r["cases"]))
    return bool(cases) and all(drawn_as(mine["mask"], theirs["case"]["size"], theirs["case"]["box"],
                                        _thickness(theirs["case"]), transform) for mine, theirs in cases)


def _as_pixels(box, size) -> tuple[float, float, float, float]:
    """The normalised coordinates taken for pixels, unscaled: (top, left, bottom, right)."""
    ymin, xmin, ymax, xmax = (float(v) for v in box)
    return ymin, xmin, ymax, xmax


def label_area(mask: np.ndarray, size, box, thickness: int) -> int:
    """How many changed pixels lie off the box's outline (a pixel's margin around it): the
    labels', on a drawing that is right otherwise."""
    outline = dilated(outline_mask(size, pixel_box(box, size), thickness), 1)
    return int((mask.astype(bool) & ~outline).sum()) if mask.shape == outline.shape else 0


def _other_font(o, r) -> bool:
    """Every label sits where it belongs but covers a clearly other area than the solution's,
    drawn with the `font` passed in."""
    ratios = []
    for (case, mine, theirs), got, expected in zip(_structures(o, r), o["cases"], r["cases"]):
        if not case["labels"]:
            continue
        if mine is None or mine.label != theirs.label:
            return False
        args = (case["size"], case["box"], _thickness(case))
        ratios.append(label_area(got["mask"], *args) / max(1, label_area(expected["mask"], *args)))
    return bool(ratios) and all(ratio < 0.7 or ratio > 1.4 for ratio in ratios)


def _labels(o, r) -> list[tuple[str, str]]:
    """(the learner's label place, the solution's), case by case."""
    return [(mine.label if mine else "none", theirs.label) for _, mine, theirs in _structures(o, r)]


def _thicknesses(o, r) -> list[tuple[float, float]]:
    return [(mine.left.thickness, theirs.left.thickness) for _, mine, theirs in _structures(o, r)
            if mine is not None and mine.left.present]


BOX_HINTS = (
    Hint("draw on `image` itself: ImageDraw.Draw(image) changes it in place (nothing changed on it)",
         lambda o, r: not any(case["mask"].any() for case in o["cases"])),
    Hint("scale the normalised coordinates by the image's size: left = xmin * im_width, top = ymin * im_height "
         "(everything was drawn in the top-left corner)", lambda o, r: _outlined_as(o, r, _as_pixels)),
    Hint("the coordinates are (ymin, xmin, ymax, xmax): x goes with the width, y with the height "
         "(you swapped x and y)",
         lambda o, r: _outlined_as(o, r, lambda box, size: pixel_box(_swapped_xy(box), size))),
    Hint("`image.size` is (width, height): scale x by the width and y by the height (you swapped them)",
         lambda o, r: _outlined_as(o, r, lambda box, size: pixel_box(box, size[::-1]))),
    Hint("draw the lines with width=thickness: the outline is `thickness` pixels wide (yours kept one width)",
         lambda o, r: len({round(a) for a, _ in _thicknesses(o, r)}) == 1 < len({round(b) for _, b in _thicknesses(o, r)})),
    Hint("draw the label below the box's top edge when there is no room above it (top <= the labels' "
         "total height), above it otherwise (you drew it above regardless)",
         lambda o, r: any(b == "below" and a == "above" for a, b in _labels(o, r))
         and all(a == b for a, b in _labels(o, r) if b == "above")),
    Hint("draw the label above the box when there is room above it (top > the labels' total height) "
         "(you drew it below the top edge regardless)",
         lambda o, r: any(b == "above" and a == "below" for a, b in _labels(o, r))),
    Hint("write each string of display_str_list: a rectangle filled with `color`, the text on it in black",
         lambda o, r: all(a == "none" for a, b in _labels(o, r) if b != "none")),
    Hint("write the labels with the `font` passed in (yours are of another size)", _other_font),
    Hint("draw the outline and the label's rectangle in `color`, the colour passed in",
         lambda o, r: max(case["colour_share"] for case in o["cases"]) < COLOUR_SHARE),
)


# --- draw_boxes ---------------------------------------------------------------------------------
def _box_states(observation, reference) -> list[list[tuple[Drawing | None, Drawing]]]:
    """For each case, each input box: the learner's drawing at its place and the solution's."""
    states = []
    for mine, theirs in zip(observation["cases"], reference["cases"]):
        case = theirs["case"]
        same = mine["mask"].shape == theirs["mask"].shape
        states.append([(drawing(mine["mask"], pixel_box(box, case["size"]), DEFAULT_THICKNESS) if same else None,
                        drawing(theirs["mask"], pixel_box(box, case["size"]), DEFAULT_THICKNESS))
                       for box in case["boxes"]])
    return states


def drawn_boxes(observation, reference) -> list[tuple[list[int], list[int]]]:
    """For each case, the indices of the input boxes outlined in the learner's drawing and in
    the solution's."""
    return [([i for i, (mine, _) in enumerate(boxes) if mine is not None and mine.outlined],
             [i for i, (_, theirs) in enumerate(boxes) if theirs.outlined])
            for boxes in _box_states(observation, reference)]


def _limits(case) -> tuple[int, float]:
    return (case["max_boxes"] or 10), (case["min_score"] or 0.1)


def _boxes_figure(observation, reference) -> Figure:
    return _figure(observation, reference, "where your draw_boxes changed the canvas (dark) and where the solution's "
                   "did, over every box given in green (drawn or not)", lambda theirs: list(theirs["case"]["boxes"]))


def _case_text(case) -> str:
    height, width = case["size"]
    limits = ("the default max_boxes and min_score" if case["max_boxes"] is None else
              f"max_boxes={case['max_boxes']}, min_score={case['min_score']:g}")
    return f"{len(case['boxes'])} boxes on a {width}x{height} canvas, {limits}"


def check_boxes(observation, reference) -> Verdict:
    figure = _boxes_figure(observation, reference)
    details = []
    states = _box_states(observation, reference)
    for (mine_drawn, theirs_drawn), boxes, got, expected in zip(drawn_boxes(observation, reference), states,
                                                                 observation["cases"], reference["cases"]):
        case = expected["case"]
        where = _case_text(case)
        if got["mask"].shape != expected["mask"].shape:
            return Verdict.failed(f"{where}: the result has another size", figures=[figure])
        if mine_drawn != theirs_drawn:
            return Verdict.failed(f"{where}: boxes {mine_drawn} were drawn, expected {theirs_drawn} (scores "
                                  f"{', '.join(f'{s:.3g}' for s in case['scores'])})", details=details,
                                  figures=[figure])
        for index in theirs_drawn:
            mine, theirs = boxes[index]
            problem = edges_agree(mine, theirs, DEFAULT_THICKNESS)
            if problem:
                return Verdict.failed(f"{where}: box {index}: {problem}", details=details, figures=[figure])
            if mine.label == "none":
                return Verdict.failed(f"{where}: box {index} has no label at its top-left corner", details=details,
                                      figures=[figure])
        if got["texts"] != expected["texts"]:
            return Verdict.failed(f"{where}: the labels written are {got['texts']}, expected {expected['texts']}",
                                  details=details, figures=[figure])
        if not got["colours_by_class"]:
            return Verdict.failed(f"{where}: boxes of one class have different colours", details=details,
                                  figures=[figure])
        details.append(f"{where}: boxes {mine_drawn} drawn, labelled {got['texts']}")
    returned = {case["returned"] for case in observation["cases"]}
    if returned != {"image"} or not all(case["input_changed"] for case in observation["cases"]):
        how = ("you returned None" if returned == {"none"} else
               "you returned a new array and left `image` as it was"
               if not any(case["input_changed"] for case in observation["cases"]) else
               f"you returned {', '.join(sorted(returned))}")
        return Verdict(common.FORM_SHARE, f"the right boxes are drawn, but draw_boxes must draw into `image` "
                       f"(np.copyto) and return it: {how}", details=details, figures=[figure])
    return Verdict.passed(f"the first max_boxes boxes scoring at least min_score drawn in {len(reference['cases'])} "
                          "detections (seeded limits and the defaults), labelled by class and percent, one colour "
                          "per class, into `image`", details=details, figures=[figure])


def _drawn_with(o, r, rule) -> bool:
    """In some case the learner drew a box the solution did not, and `rule(case, index)` holds
    for every such box."""
    extra = []
    for (mine, theirs), expected in zip(drawn_boxes(o, r), r["cases"]):
        extra += [(expected["case"], i) for i in mine if i not in theirs]
    return bool(extra) and all(rule(case, i) for case, i in extra)


def _missed_only_at_the_floor(o, r) -> bool:
    missed = []
    for (mine, theirs), expected in zip(drawn_boxes(o, r), r["cases"]):
        if set(mine) - set(theirs):
            return False
        missed += [(expected["case"], i) for i in theirs if i not in mine]
    return bool(missed) and all(case["min_score"] is not None and float(case["scores"][i]) == case["min_score"]
                                for case, i in missed)


def _only_the_last(o, r) -> bool:
    found = drawn_boxes(o, r)
    return all(len(theirs) > 1 and mine == theirs[-1:] for mine, theirs in found)


def _boxes_outlined_as_xy(o, r) -> bool:
    """In every case, every box the solution drew is outlined with x and y swapped instead."""
    for mine, theirs, (_, drawn) in zip(o["cases"], r["cases"], drawn_boxes(o, r)):
        case = theirs["case"]
        if not drawn or not all(drawn_as(mine["mask"], case["size"], case["boxes"][i], DEFAULT_THICKNESS,
                                         lambda box, size: pixel_box(_swapped_xy(box), size)) for i in drawn):
            return False
    return True


def _texts(o, r, expected_to_mine) -> bool:
    pairs = [(case["texts"], theirs["texts"]) for case, theirs in zip(o["cases"], r["cases"])]
    return any(mine for mine, _ in pairs) and all(mine == [expected_to_mine(t) for t in theirs] for mine, theirs in pairs)


def _undecoded(text: str) -> str:
    name, _, rest = text.partition(": ")
    return f"{str(name.encode('ascii'))}: {rest}"


def _score_not_percent(o, r) -> bool:
    """The labels' numbers are not the whole percentages (the names are right)."""
    for mine, theirs in zip(o["cases"], r["cases"]):
        if len(mine["texts"]) != len(theirs["texts"]) or not mine["texts"]:
            return False
        for a, b in zip(mine["texts"], theirs["texts"]):
            name_a, _, number_a = a.partition(": ")
            name_b, _, number_b = b.partition(": ")
            if name_a != name_b:
                return False
        if mine["texts"] == theirs["texts"]:
            return False
    return True


BOXES_HINTS = (
    # First: boxes drawn with x and y swapped can also cover the places of boxes that were not to be
    # drawn, which the limits' hints below would read as extra boxes.
    Hint("each box is (ymin, xmin, ymax, xmax): pass ymin, xmin, ymax, xmax to draw_bounding_box_on_image "
         "(you swapped x and y)", _boxes_outlined_as_xy),
    Hint("consider only the first max_boxes boxes: for i in range(min(boxes.shape[0], max_boxes))",
         lambda o, r: _drawn_with(o, r, lambda case, i: i >= _limits(case)[0])),
    Hint("draw a box only when its score is at least min_score (scores[i] >= min_score)",
         lambda o, r: _drawn_with(o, r, lambda case, i: float(case["scores"][i]) < _limits(case)[1])),
    Hint("a box that scores exactly min_score is drawn: scores[i] >= min_score, not >",
         _missed_only_at_the_floor),
    Hint("copy each box's drawing back into `image` (np.copyto) before the next box starts from it "
         "(only the last box is left)", _only_the_last),
    Hint("decode the class name: class_names[i].decode('ascii') (you wrote the bytes, b'...')",
         lambda o, r: _texts(o, r, _undecoded)),
    Hint("the label's number is the score in whole percent: int(100 * scores[i])", _score_not_percent),
    Hint("choose each box's colour by its class, colors[hash(class_names[i]) % len(colors)]: boxes of one "
         "class share their colour", lambda o, r: not all(case["colours_by_class"] for case in o["cases"])),
    Hint("write into `image` with np.copyto(image, np.array(image_pil)) and return `image` (you returned a new array)",
         lambda o, r: not any(case["input_changed"] for case in o["cases"])
         and all(case["returned"] == "array" for case in o["cases"])),
    Hint("return `image` at the end (you returned None)",
         lambda o, r: all(case["returned"] == "none" for case in o["cases"])),
)


ASSIGNMENT = Assignment(
    id="c3w2_l2",
    title="C3W2-L2 Object detection with drawn boxes (practice)",
    module="c3w2_l2_drawing",
    notebook_glob="C3W2*L2*.ipynb",
    counts_for_grade=False,
    exercises=(
        Exercise("draw_bounding_box_on_image", "draw_bounding_box_on_image", 25, probe_box, check_box, BOX_HINTS,
                 functions=("draw_bounding_box_on_image",)),
        Exercise("draw_boxes", "draw_boxes", 25, probe_boxes, check_boxes, BOXES_HINTS, functions=("draw_boxes",),
                 stand_ins=("draw_bounding_box_on_image",)),
    ),
)
