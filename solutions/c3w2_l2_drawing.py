"""Lab C3W2-L2 "Object detection with drawn boxes": reference solutions.

Written as the course writes it, with Pillow 9's `Image.ANTIALIAS` and `font.getsize`, which
Pillow 10 removed: the grader accepts both with a note.
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
    draw = ImageDraw.Draw(image)
    im_width, im_height = image.size
    left, right = xmin * im_width, xmax * im_width
    top, bottom = ymin * im_height, ymax * im_height
    draw.line([(left, top), (left, bottom), (right, bottom), (right, top), (left, top)],
              width=thickness, fill=color)

    label_heights = [font.getsize(label)[1] for label in display_str_list]
    room_needed = (1 + 2 * 0.05) * sum(label_heights)
    text_bottom = top if top > room_needed else top + room_needed
    for label in display_str_list[::-1]:  # the last label lowest, the first on top
        text_width, text_height = font.getsize(label)
        margin = np.ceil(0.05 * text_height)
        draw.rectangle([(left, text_bottom - text_height - 2 * margin), (left + text_width, text_bottom)],
                       fill=color)
        draw.text((left + margin, text_bottom - text_height - margin), label, fill="black", font=font)
        text_bottom -= text_height + 2 * margin


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
    colors = list(ImageColor.colormap.values())
    try:
        font = ImageFont.truetype(FONT_PATH, FONT_SIZE)
    except IOError:
        font = ImageFont.load_default()

    for i in range(min(boxes.shape[0], max_boxes)):
        if scores[i] >= min_score:
            ymin, xmin, ymax, xmax = tuple(boxes[i])
            label = "{}: {}%".format(class_names[i].decode("ascii"), int(100 * scores[i]))
            color = colors[hash(class_names[i]) % len(colors)]
            image_pil = Image.fromarray(np.uint8(image)).convert("RGB")
            draw_bounding_box_on_image(image_pil, ymin, xmin, ymax, xmax, color, font, display_str_list=[label])
            np.copyto(image, np.array(image_pil))
    return image
