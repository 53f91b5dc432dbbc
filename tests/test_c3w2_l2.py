"""Lab C3W2-L2 (drawing a detector's boxes with Pillow) as a practice suite: solutions full marks,
stubs zero, other correct ways full marks, mutants that lose points on their own exercise only
with their hint (every exercise at least three), Pillow 10's removed names accepted with a
note, and the structure read from a drawing's mask."""

from __future__ import annotations

import textwrap

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from graders.shared.registry import assignment
from graders.suites import c3w2_l2
from tests.grading_helpers import (
    assert_costs_its_exercise_only,
    assert_solutions_full_and_stubs_zero,
    feedback,
    grade,
    mutants_per_exercise,
    mutate,
    solution_source,
    write_submission,
)

LAB, MODULE = "c3w2_l2", "c3w2_l2_drawing"
SCALE = ("    left, right = xmin * im_width, xmax * im_width\n"
         "    top, bottom = ymin * im_height, ymax * im_height\n")
PLACE = "    text_bottom = top if top > room_needed else top + room_needed\n"
LINE = "              width=thickness, fill=color)\n"
RECTANGLE = "                       fill=color)\n"
LOOP = "    for i in range(min(boxes.shape[0], max_boxes)):\n"
FLOOR = "        if scores[i] >= min_score:\n"
LABEL = '            label = "{}: {}%".format(class_names[i].decode("ascii"), int(100 * scores[i]))\n'
COPY_BACK = "            np.copyto(image, np.array(image_pil))\n"


def _mutant(exercise, edits, hint, *, id, points=None):
    if isinstance(edits[0], str):
        edits = (edits,)
    return pytest.param(LAB, exercise, edits, hint, points, id=id)


MUTANTS = [
    # --- draw_bounding_box_on_image ------------------------------------------------------------------
    _mutant("draw_bounding_box_on_image", (SCALE, "    left, right = xmin, xmax\n    top, bottom = ymin, ymax\n"),
            "scale the normalised coordinates by the image's size", id="not-scaled"),
    _mutant("draw_bounding_box_on_image", (SCALE, "    left, right = ymin * im_width, ymax * im_width\n"
                                                  "    top, bottom = xmin * im_height, xmax * im_height\n"),
            "(you swapped x and y)", id="x-and-y-swapped"),
    _mutant("draw_bounding_box_on_image", ("    im_width, im_height = image.size\n",
                                           "    im_height, im_width = image.size\n"),
            "`image.size` is (width, height)", id="width-and-height-swapped"),
    _mutant("draw_bounding_box_on_image", (LINE, LINE.replace("width=thickness", "width=4")),
            "draw the lines with width=thickness", id="thickness-ignored"),
    _mutant("draw_bounding_box_on_image", (LINE, LINE.replace("width=thickness, ", "")),
            "draw the lines with width=thickness", id="one-pixel-lines"),
    _mutant("draw_bounding_box_on_image", (PLACE, "    text_bottom = top\n"),
            "(you drew it above regardless)", id="label-always-above"),
    _mutant("draw_bounding_box_on_image", (PLACE, "    text_bottom = top + room_needed\n"),
            "(you drew it below the top edge regardless)", id="label-always-below"),
    _mutant("draw_bounding_box_on_image", ((LINE, LINE.replace("fill=color", 'fill="red"')),
                                           (RECTANGLE, RECTANGLE.replace("fill=color", 'fill="red"'))),
            "in `color`, the colour passed in", id="fixed-colour"),
    _mutant("draw_bounding_box_on_image", ("    for label in display_str_list[::-1]:",
                                           "    for label in display_str_list[:0]:"),
            "write each string of display_str_list", id="no-label"),
    _mutant("draw_bounding_box_on_image", ("    draw = ImageDraw.Draw(image)\n", "    draw = ImageDraw.Draw(image)\n"
                                           "    font = ImageFont.load_default(size=22)\n"),
            "write the labels with the `font` passed in", id="own-font"),
    _mutant("draw_bounding_box_on_image", ("    draw = ImageDraw.Draw(image)\n", "    draw = ImageDraw.Draw(image.copy())\n"),
            "draw on `image` itself", id="drawn-on-a-copy"),
    # --- draw_boxes ------------------------------------------------------------------------------
    _mutant("draw_boxes", (LOOP, "    for i in range(boxes.shape[0]):\n"),
            "consider only the first max_boxes boxes", id="max-boxes-ignored"),
    _mutant("draw_boxes", (FLOOR, "        if scores[i] >= 0:\n"),
            "draw a box only when its score is at least min_score", id="min-score-ignored"),
    _mutant("draw_boxes", (FLOOR, FLOOR.replace(">=", ">")),
            "scores[i] >= min_score, not >", id="strictly-above-min-score"),
    _mutant("draw_boxes", (("    colors = list(ImageColor.colormap.values())\n",
                            "    colors = list(ImageColor.colormap.values())\n    original = image.copy()\n"),
                           ("            image_pil = Image.fromarray(np.uint8(image))",
                            "            image_pil = Image.fromarray(np.uint8(original))")),
            "only the last box is left", id="each-box-on-the-original"),
    _mutant("draw_boxes", ("            ymin, xmin, ymax, xmax = tuple(boxes[i])\n",
                           "            xmin, ymin, xmax, ymax = tuple(boxes[i])\n"),
            "each box is (ymin, xmin, ymax, xmax)", id="box-read-as-x-first"),
    _mutant("draw_boxes", (LABEL, LABEL.replace('class_names[i].decode("ascii")', "class_names[i]")),
            "decode the class name", id="name-not-decoded"),
    _mutant("draw_boxes", (LABEL, LABEL.replace("int(100 * scores[i])", "scores[i]")),
            "the score in whole percent", id="score-as-a-fraction"),
    _mutant("draw_boxes", ("colors[hash(class_names[i]) % len(colors)]", "colors[(7 * i + 3) % len(colors)]"),
            "choose each box's colour by its class", id="colour-by-index"),
    _mutant("draw_boxes", (COPY_BACK, "            image = np.array(image_pil)\n"),
            "(you returned a new array)", id="new-array", points=12.5),
    _mutant("draw_boxes", ("    return image\n", "    return None\n"),
            "return `image` at the end (you returned None)", id="returns-none", points=12.5),
]


@pytest.mark.parametrize("lab, exercise, edits, hint, points", MUTANTS)
def test_mutant_loses_points_on_its_exercise_only_with_its_hint(tmp_path, lab, exercise, edits, hint, points):
    code = solution_source(MODULE)
    for old, new in edits:
        code = mutate(code, old, new)
    result = grade(write_submission(tmp_path, code, MODULE), lab)
    assert_costs_its_exercise_only(result, lab, exercise, hint, points)


def test_every_exercise_has_at_least_three_mutants():
    counts = mutants_per_exercise(MUTANTS, LAB)
    assert all(count >= 3 for count in counts.values()), counts


def test_solutions_full_marks_and_stubs_zero():
    suite = assignment(LAB)
    assert not suite.counts_for_grade and suite.max_points == 50
    assert_solutions_full_and_stubs_zero(LAB)


GETSIZE_NOTE = ("`font.getsize(text)` was removed in Pillow 10; accepted, but use `font.getbbox(text)` (its right "
                "and bottom) or `draw.textbbox((0, 0), text, font=font)`")
ANTIALIAS_NOTE = ("`Image.ANTIALIAS` was removed in Pillow 10; accepted, but use `Image.LANCZOS` (or "
                  "`Image.Resampling.LANCZOS`)")


def test_the_courses_pillow_9_names_cost_nothing_and_leave_a_note(tmp_path):
    """The solution is written as the course is (font.getsize, Image.ANTIALIAS in its resize
    helper); a learner's top-level use of the helper, as the notebook's cells make, runs too
    and is noted when the module loads."""
    code = solution_source(MODULE)
    assert "font.getsize(" in code and "Image.ANTIALIAS" in code
    code += "\nEXAMPLE = resize_image(np.zeros((60, 80, 3), np.uint8), 40, 30)\n"
    result = grade(write_submission(tmp_path, code, MODULE), LAB)
    assert result.points == assignment(LAB).max_points, feedback(result)
    notes = {graded.exercise: graded.notes for graded in result.exercises}
    assert GETSIZE_NOTE in notes["draw_bounding_box_on_image"], notes
    # draw_boxes is probed with the solution's draw_bounding_box_on_image standing in: its
    # getsize is the grader's code, not the learner's, and leaves no note there.
    assert notes["draw_boxes"] == [], notes
    assert f"note: {ANTIALIAS_NOTE}" in result.load_problems, result.load_problems


# Other correct ways: Pillow 10's own spellings (textbbox, no getsize), the outline drawn with
# draw.rectangle, a bigger font of the learner's choice, a colour kept per class in a dict.
ALTERNATIVES = textwrap.dedent('''
    import numpy as np
    from PIL import Image, ImageDraw, ImageFont


    def draw_bounding_box_on_image(image, ymin, xmin, ymax, xmax, color, font, thickness=4, display_str_list=()):
        draw = ImageDraw.Draw(image)
        width, height = image.size
        box = [xmin * width, ymin * height, xmax * width, ymax * height]
        draw.rectangle(box, outline=color, width=thickness)
        sizes = [draw.textbbox((0, 0), text, font=font)[2:] for text in display_str_list]
        needed = 1.1 * sum(h for _, h in sizes)
        bottom = box[1] if box[1] > needed else box[1] + needed
        for text, (w, h) in reversed(list(zip(display_str_list, sizes))):
            margin = int(np.ceil(0.05 * h))
            draw.rectangle([box[0], bottom - h - 2 * margin, box[0] + w, bottom], fill=color)
            draw.text((box[0] + margin, bottom - h - margin), text, fill=(0, 0, 0), font=font)
            bottom -= h + 2 * margin


    def draw_boxes(image, boxes, class_names, scores, max_boxes=10, min_score=0.1):
        palette, font = {}, ImageFont.load_default(size=16)
        picture = Image.fromarray(image)
        for i in range(min(len(boxes), max_boxes)):
            if scores[i] < min_score:
                continue
            name = class_names[i].decode("ascii")
            colour = palette.setdefault(name, ["crimson", "teal", "orchid", "khaki", "salmon"][len(palette) % 5])
            draw_bounding_box_on_image(picture, *boxes[i], colour, font,
                                       display_str_list=[f"{name}: {int(100 * scores[i])}%"])
        image[...] = np.asarray(picture)
        return image
''')


def test_other_correct_ways_get_full_marks(tmp_path):
    result = grade(write_submission(tmp_path, ALTERNATIVES, MODULE), LAB)
    assert result.points == assignment(LAB).max_points, feedback(result)
    assert not any(graded.notes for graded in result.exercises)


# --- the structure read from a mask (no worker) --------------------------------------------------------
def _drawn(size, box, thickness, labels=(), rectangle=False):
    image = Image.new("RGB", size[::-1], c3w2_l2.BACKGROUND)
    draw = ImageDraw.Draw(image)
    top, left, bottom, right = c3w2_l2.pixel_box(box, size)
    if rectangle:
        draw.rectangle([left, top, right, bottom], outline="red", width=thickness)
    else:
        draw.line([(left, top), (left, bottom), (right, bottom), (right, top), (left, top)], width=thickness, fill="red")
    for text in labels:
        draw.rectangle([left, top - 12, left + 50, top], fill="red")
        draw.text((left + 1, top - 11), text, fill="black")
    return c3w2_l2.changed(np.asarray(Image.new("RGB", size[::-1], c3w2_l2.BACKGROUND)), np.asarray(image))


@pytest.mark.parametrize("thickness", [1, 2, 3, 4, 5, 6, 7])
def test_an_outline_is_read_at_its_place_and_thickness(thickness):
    size, box = (120, 180), (0.3, 0.2, 0.85, 0.8)
    found = c3w2_l2.drawing(_drawn(size, box, thickness, ["Cat: 50%"]), c3w2_l2.pixel_box(box, size), thickness)
    assert found.outlined and found.label == "above"
    for edge in (found.left, found.right, found.bottom):
        assert edge.thickness == thickness and abs(edge.offset) <= 1.5
    elsewhere = c3w2_l2.drawing(_drawn(size, box, thickness), c3w2_l2.pixel_box((0.1, 0.1, 0.5, 0.5), size), thickness)
    assert not elsewhere.outlined and elsewhere.label == "none"


@settings(max_examples=60, deadline=None)
@given(st.integers(60, 200), st.integers(60, 240), st.floats(0.05, 0.45), st.floats(0.05, 0.45),
       st.floats(0.3, 0.5), st.floats(0.3, 0.5), st.integers(1, 7))
def test_any_outline_inside_the_canvas_is_read_at_its_place_and_thickness(height, width, ymin, xmin, tall, wide,
                                                                           thickness):
    """Wherever the lab's line outline lies inside a canvas, of whatever width, the reading finds
    its four edges, each as thick as drawn and within 1.5 pixels of its coordinates (Pillow drops
    a coordinate's fraction: a line's centre moves by up to one pixel and a half)."""
    box = (ymin, xmin, ymin + tall, xmin + wide)
    place = c3w2_l2.pixel_box(box, (height, width))
    found = c3w2_l2.drawing(_drawn((height, width), box, thickness), place, thickness)
    assert found.outlined and found.label == "none"
    for edge in (found.left, found.right, found.bottom):
        assert edge.thickness == thickness and abs(edge.offset) <= 1.5


def test_a_rectangle_outline_is_within_the_tolerance_of_a_line():
    size, box, thickness = (120, 180), (0.3, 0.2, 0.85, 0.8), 6
    place = c3w2_l2.pixel_box(box, size)
    line = c3w2_l2.drawing(_drawn(size, box, thickness), place, thickness)
    rectangle = c3w2_l2.drawing(_drawn(size, box, thickness, rectangle=True), place, thickness)
    assert c3w2_l2.edges_agree(rectangle, line, thickness) is None
    thicker = c3w2_l2.drawing(_drawn(size, box, thickness + 2), place, thickness)
    assert "pixels thick" in c3w2_l2.edges_agree(thicker, line, thickness)


def test_mask_agreement_counts_both_sides():
    mask = np.zeros((20, 20), np.uint8)
    mask[5, 5:15] = 1
    assert c3w2_l2.mask_agreement(mask, mask, 1) == (1.0, 1.0)
    shifted = np.roll(mask, 4, axis=0)
    assert c3w2_l2.mask_agreement(shifted, mask, 1) == (0.0, 0.0)
    assert c3w2_l2.mask_agreement(shifted, mask, 4) == (1.0, 1.0)
    more = mask | shifted
    assert c3w2_l2.mask_agreement(more, mask, 1) == (0.5, 1.0)


# --- colours by hash(): the observation must not depend on the process's hash seed ---------------------
PROBE_IN_A_CHILD = textwrap.dedent('''
    import contextlib, hashlib, importlib.util, json, sys
    import numpy as np
    from graders.suites import c3w2_l2

    spec = importlib.util.spec_from_file_location("c3w2_l2_drawing", "solutions/c3w2_l2_drawing.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    class Submission:
        def function(self, name):
            return getattr(module, name)

        def reference(self, name):
            return getattr(module, name)

        @contextlib.contextmanager
        def replaced(self, name, stand_in):
            yield

    # Pillow 10 has no getsize: the course's spelling, given back as the worker does.
    from graders.worker import drift
    drift.install([])
    observation = c3w2_l2.probe_boxes(Submission(), {"seed": 0})
    digest = hashlib.sha256()
    for case in observation["cases"]:
        digest.update(case["mask"].tobytes())
    colours = []
    for case in c3w2_l2.boxes_cases(0)[:1]:
        picture = module.draw_boxes(c3w2_l2._canvas(case), case["boxes"], [n.encode() for n in case["names"]],
                                    case["scores"], case["max_boxes"], case["min_score"])
        colours = [picture[int(b[0] * picture.shape[0] + 0.75 * (b[2] - b[0]) * picture.shape[0]),
                           int(b[1] * picture.shape[1])].tolist() for b in case["boxes"]]
    print(json.dumps({"masks": digest.hexdigest(), "by_class": [c["colours_by_class"] for c in observation["cases"]],
                      "colours": colours}))
''')


def test_draw_boxes_observations_do_not_depend_on_the_hash_seed():
    import json
    import os
    import subprocess
    import sys

    from tests.grading_helpers import ROOT

    runs = []
    for seed in ("1", "2"):
        done = subprocess.run([sys.executable, "-c", PROBE_IN_A_CHILD], cwd=ROOT, capture_output=True, text=True,
                              timeout=300, env={**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)})
        assert done.returncode == 0, done.stderr[-3000:]
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    assert runs[0]["colours"] != runs[1]["colours"]  # the seeds do change the colours, not the observation
    assert runs[0]["masks"] == runs[1]["masks"] and runs[0]["by_class"] == runs[1]["by_class"] == [True, True]


# The lab's code as a script, in the course's manner (not its text): its imports, the detector
# loaded from TF Hub at top level (refused at once: the grader works offline), a resize helper
# with Image.ANTIALIAS, a truetype font tried first with a message printed when it is missing,
# font.getsize, and the course's label loop, which steps up by the height less the margins.
COURSE_STYLE = textwrap.dedent('''
    import numpy as np
    import tensorflow as tf
    import tensorflow_hub as hub
    from PIL import Image, ImageColor, ImageDraw, ImageFont, ImageOps

    HANDLE = "https://tfhub.dev/google/openimages_v4/ssd/mobilenet_v2/1"
    detector = hub.load(HANDLE).signatures["default"]


    def fit_picture(path, width=256, height=256):
        return ImageOps.fit(Image.open(path), (width, height), Image.ANTIALIAS).convert("RGB")


    def draw_bounding_box_on_image(image, ymin, xmin, ymax, xmax, color, font, thickness=4, display_str_list=()):
        pen = ImageDraw.Draw(image)
        w, h = image.size
        x0, x1, y0, y1 = xmin * w, xmax * w, ymin * h, ymax * h
        pen.line([(x0, y0), (x0, y1), (x1, y1), (x1, y0), (x0, y0)], width=thickness, fill=color)
        heights = [font.getsize(s)[1] for s in display_str_list]
        needed = 1.1 * sum(heights)
        baseline = y0 if y0 > needed else y0 + needed
        for s in reversed(display_str_list):
            sw, sh = font.getsize(s)
            pad = np.ceil(0.05 * sh)
            pen.rectangle([(x0, baseline - sh - 2 * pad), (x0 + sw, baseline)], fill=color)
            pen.text((x0 + pad, baseline - sh - pad), s, fill="black", font=font)
            baseline -= sh - 2 * pad


    def draw_boxes(image, boxes, class_names, scores, max_boxes=10, min_score=0.1):
        palette = list(ImageColor.colormap.values())
        try:
            font = ImageFont.truetype("LiberationSansNarrow-Regular.ttf", 25)
        except IOError:
            print("no truetype font here: the default one")
            font = ImageFont.load_default()
        for k in range(min(boxes.shape[0], max_boxes)):
            if scores[k] < min_score:
                continue
            top, left, low, right = tuple(boxes[k])
            text = "%s: %d%%" % (class_names[k].decode("ascii"), int(100 * scores[k]))
            picture = Image.fromarray(np.uint8(image)).convert("RGB")
            draw_bounding_box_on_image(picture, top, left, low, right, palette[hash(class_names[k]) % len(palette)],
                                       font, display_str_list=[text])
            np.copyto(image, np.array(picture))
        return image
''')


def test_code_in_the_courses_manner_gets_full_marks_and_the_hub_download_is_refused(tmp_path):
    result = grade(write_submission(tmp_path, COURSE_STYLE, MODULE), LAB)
    assert result.points == assignment(LAB).max_points, feedback(result)
    assert any("cannot be downloaded: the grader works offline" in p for p in result.load_problems), \
        result.load_problems
    notes = {graded.exercise: graded.notes for graded in result.exercises}
    assert GETSIZE_NOTE in notes["draw_bounding_box_on_image"], notes
