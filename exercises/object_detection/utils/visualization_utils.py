"""Boxes and labels drawn on images in place, with the Object Detection API's arguments (Pillow)."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageColor, ImageDraw, ImageFont

STANDARD_COLORS = ("Chartreuse", "Aqua", "Orange", "DeepPink", "Yellow", "Red", "DodgerBlue", "Lime", "Violet",
                   "Gold", "Cyan", "Tomato", "SpringGreen", "Magenta", "Khaki", "Coral", "LightSkyBlue", "Salmon")


def _font(size: int = 16):
    try:
        return ImageFont.load_default(size=size)
    except TypeError:  # Pillow without sized default fonts
        return ImageFont.load_default()


def draw_bounding_box_on_image(image: Image.Image, ymin, xmin, ymax, xmax, color="red", thickness=4,
                               display_str_list=(), use_normalized_coordinates=True) -> None:
    """One box and its label lines (above the box, or inside it when there is no room above)."""
    draw = ImageDraw.Draw(image)
    width, height = image.size
    if use_normalized_coordinates:
        left, right, top, bottom = xmin * width, xmax * width, ymin * height, ymax * height
    else:
        left, right, top, bottom = xmin, xmax, ymin, ymax
    if thickness > 0:
        draw.rectangle([(left, top), (right, bottom)], outline=color, width=int(thickness))
    font = _font()
    lines = [str(s) for s in display_str_list]
    if not lines:
        return
    heights = [draw.textbbox((0, 0), s, font=font)[3] for s in lines]
    total = (1 + 2 * 0.05) * sum(heights)
    text_bottom = top if top > total else bottom + total
    for line, line_height in zip(reversed(lines), reversed(heights)):
        text_width = draw.textbbox((0, 0), line, font=font)[2]
        margin = int(np.ceil(0.05 * line_height))
        draw.rectangle([(left, text_bottom - line_height - 2 * margin), (left + text_width + 2 * margin, text_bottom)],
                       fill=color)
        draw.text((left + margin, text_bottom - line_height - margin), line, fill="black", font=font)
        text_bottom -= line_height + 2 * margin


def draw_bounding_box_on_image_array(image: np.ndarray, ymin, xmin, ymax, xmax, color="red", thickness=4,
                                     display_str_list=(), use_normalized_coordinates=True) -> None:
    pil = Image.fromarray(np.uint8(image)).convert("RGB")
    draw_bounding_box_on_image(pil, ymin, xmin, ymax, xmax, color, thickness, display_str_list,
                               use_normalized_coordinates)
    np.copyto(image, np.array(pil))


def visualize_boxes_and_labels_on_image_array(
        image, boxes, classes, scores, category_index, instance_masks=None, instance_boundaries=None,
        keypoints=None, keypoint_scores=None, keypoint_edges=None, track_ids=None,
        use_normalized_coordinates=False, max_boxes_to_draw=20, min_score_thresh=.5, agnostic_mode=False,
        line_thickness=4, mask_alpha=.4, groundtruth_box_visualization_color="black", skip_boxes=False,
        skip_scores=False, skip_labels=False, skip_track_ids=False):
    """Draw the boxes scoring at least min_score_thresh (the first max_boxes_to_draw of them) on
    `image`, a uint8 (H, W, 3) array changed in place and returned.

    boxes [N, 4] (ymin, xmin, ymax, xmax), classes [N] ids of `category_index`, scores [N] or
    None (ground truth: every box, in groundtruth_box_visualization_color, no score).
    Labels read "name: 95%". Masks and keypoints are not drawn by this implementation.
    """
    image = np.asarray(image) if not isinstance(image, np.ndarray) else image
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(f"image must be a uint8 array (height, width, 3), got {image.dtype} {image.shape}")
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    classes = np.asarray(classes).reshape(-1)
    limit = boxes.shape[0] if max_boxes_to_draw is None else min(int(max_boxes_to_draw), boxes.shape[0])
    pil = Image.fromarray(image)
    for i in range(limit):
        if scores is not None and float(np.asarray(scores).reshape(-1)[i]) < min_score_thresh:
            continue
        if scores is None:
            color, label = groundtruth_box_visualization_color, []
        else:
            score = float(np.asarray(scores).reshape(-1)[i])
            class_id = int(classes[i])
            name = category_index.get(class_id, {}).get("name", "N/A") if not agnostic_mode else ""
            text = "" if skip_labels else str(name)
            if not skip_scores:
                text = f"{text}: {int(round(100 * score))}%" if text else f"{int(round(100 * score))}%"
            label = [text] if text else []
            color = "DarkOrange" if agnostic_mode else STANDARD_COLORS[class_id % len(STANDARD_COLORS)]
        ymin, xmin, ymax, xmax = boxes[i]
        draw_bounding_box_on_image(pil, ymin, xmin, ymax, xmax, ImageColor.getrgb(color),
                                   0 if skip_boxes else line_thickness, label, use_normalized_coordinates)
    np.copyto(image, np.asarray(pil))
    return image
