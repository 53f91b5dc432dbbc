"""Lab C3W2-L2: object detection with drawn boxes (practice exercise).

The lab runs a detector from TF Hub on photographs and draws what it found with two helpers
of its own, written with Pillow: one box with its labels on a PIL image, and all of a
detector's confident boxes on an image array. The grader calls them on its own canvases and
boxes and looks at where the pixels changed: the outline, its thickness, where the label sits.

The course's code uses `Image.ANTIALIAS` and `font.getsize`, which Pillow 10 removed; both are
accepted (with a note naming today's spelling).

Fill in each `### START CODE HERE ###` part, then run `pytest graders/test_c3w2_l2.py`.
This lab is practice: it is scored, but counts for nothing in a grade.
"""

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont, ImageOps

FONT_PATH = "/usr/share/fonts/truetype/liberation/LiberationSansNarrow-Regular.ttf"
FONT_SIZE = 25


def resize_image(image, new_width=256, new_height=256):
    """(Given by the course.) An RGB uint8 array fitted to `new_width` x `new_height`: cropped
    to that aspect ratio around its centre, then resized with a Lanczos filter."""
    pil_image = Image.fromarray(np.uint8(image)).convert("RGB")
    pil_image = ImageOps.fit(pil_image, (new_width, new_height), Image.ANTIALIAS)
    return np.array(pil_image)


def draw_bounding_box_on_image(image, ymin, xmin, ymax, xmax, color, font, thickness=4, display_str_list=()):
    """Draw one box and its labels on `image`, a PIL Image, which is changed in place.

    The coordinates are normalised (0 to 1): scale them by the image's width and height. The
    outline is drawn with `ImageDraw.line` through the four corners, `thickness` pixels wide,
    in `color`. Each string of `display_str_list` is written in black on a rectangle filled
    with `color`, at the box's left edge: above the box when there is room above it (the box's
    top is below the labels' total height, each label with a margin of 5% of its height above
    and below), otherwise just below the box's top edge, inside the box.

    Returns:
        Nothing: `image` itself carries the drawing.
    """
    ### START CODE HERE ###
    raise NotImplementedError("draw_bounding_box_on_image")
    ### END CODE HERE ###


def draw_boxes(image, boxes, class_names, scores, max_boxes=10, min_score=0.1):
    """Draw a detector's boxes with their labels on `image`.

    Args:
        image: an RGB uint8 array (height, width, 3); the boxes are drawn into it.
        boxes: (N, 4) normalised boxes, each (ymin, xmin, ymax, xmax), the detector's order.
        class_names: N class names as bytes (b"Cat"), as the detector gives them.
        scores: N scores in [0, 1].
        max_boxes: only the first `max_boxes` boxes are considered.
        min_score: a box is drawn when its score is at least `min_score`.

    Each box drawn is labelled "<class name>: <score in whole percent>%" (the name decoded from
    ASCII, the percentage rounded down), drawn with `draw_bounding_box_on_image` on a PIL copy
    of the image in a colour chosen by the box's class (the same class, the same colour), then
    copied back into `image` with `np.copyto`.

    Returns:
        `image`, with the boxes drawn.
    """
    ### START CODE HERE ###
    raise NotImplementedError("draw_boxes")
    ### END CODE HERE ###
