"""Pictures for reports, drawn with Pillow (light to import, unlike matplotlib)."""

from __future__ import annotations

import io

import numpy as np

# Ten distinct digit colours and black for the background (class 10).
SEGMENT_PALETTE = np.array([
    (230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48),
    (145, 30, 180), (70, 240, 240), (240, 50, 230), (210, 245, 60), (250, 190, 190),
    (0, 0, 0),
], dtype=np.uint8)


def label_map_rgb(label_map: np.ndarray, palette: np.ndarray = SEGMENT_PALETTE) -> np.ndarray:
    return palette[np.clip(label_map.astype(np.int64), 0, len(palette) - 1)]


def grey_rgb(image: np.ndarray) -> np.ndarray:
    """Any 2-D array (or HxWx1) as an RGB picture stretched to [0, 255]."""
    image = np.asarray(image, dtype=np.float64).squeeze()
    low, high = float(image.min()), float(image.max())
    scaled = np.zeros_like(image) if high <= low else (image - low) / (high - low) * 255
    return np.repeat(scaled.astype(np.uint8)[..., None], 3, axis=-1)


def difference_rgb(mask: np.ndarray) -> np.ndarray:
    """White where two maps agree, red where they differ."""
    picture = np.full(mask.shape + (3,), 255, dtype=np.uint8)
    picture[mask] = (220, 20, 20)
    return picture


def with_boxes(image: np.ndarray, boxes: list[tuple[np.ndarray, tuple[int, int, int]]],
               width: int = 2) -> np.ndarray:
    """`image` (HxWx3 uint8) with outlines of boxes given as normalised (xmin, ymin, xmax, ymax)."""
    from PIL import Image, ImageDraw

    picture = Image.fromarray(np.ascontiguousarray(image, dtype=np.uint8))
    draw = ImageDraw.Draw(picture)
    height, width_px = image.shape[:2]
    for box, colour in boxes:
        xmin, ymin, xmax, ymax = (float(v) for v in np.nan_to_num(np.asarray(box, dtype=np.float64)))
        left, right = sorted((xmin * width_px, xmax * width_px))
        top, bottom = sorted((ymin * height, ymax * height))
        draw.rectangle([max(-1e4, left), max(-1e4, top), min(1e4, right), min(1e4, bottom)],
                       outline=colour, width=width)
    return np.asarray(picture)


TRUE_BOX, PREDICTED_BOX = (40, 200, 40), (230, 30, 30)


def worst_boxes_png(images, truth: np.ndarray, predicted: np.ndarray, iou: np.ndarray, count: int = 6,
                    per_row: int = 3, label: str = "IoU", line: int = 2) -> tuple[list[int], bytes]:
    """The `count` images with the lowest IoU, worst first, each with its true box (green) and the
    prediction (red), boxes as (xmin, ymin, xmax, ymax); `images(indices)` gives those images, so
    a set rendered on demand is never held whole. Returns the indices shown and the PNG."""
    worst = [int(i) for i in np.argsort(iou, kind="stable")[:count]]
    shown = dict(zip(worst, images(worst)))
    rows = [worst[start:start + per_row] for start in range(0, len(worst), per_row)]
    cells = [[with_boxes(shown[i], [(truth[i], TRUE_BOX), (predicted[i], PREDICTED_BOX)], width=line) for i in row]
             for row in rows]
    captions = [[f"{label} {iou[i]:.2f}" for i in row] for row in rows]
    return worst, grid_png(cells, scale=1, captions=captions)


def grid_png(rows: list[list[np.ndarray]], column_titles: list[str] | None = None,
             scale: int = 3, gap: int = 4, captions: list[list[str]] | None = None) -> bytes:
    """A grid of equally sized RGB arrays, enlarged `scale` times, as PNG bytes; `captions`
    (one per cell, row by row) are written under the cells."""
    from PIL import Image, ImageDraw

    height, width = rows[0][0].shape[:2]
    cell_h, cell_w = height * scale, width * scale
    title_h = 14 if column_titles else 0
    caption_h = 14 if captions else 0
    cell_h += caption_h
    columns = max(len(r) for r in rows)
    canvas = Image.new("RGB", (columns * (cell_w + gap) + gap, title_h + len(rows) * (cell_h + gap) + gap),
                       (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    for c, title in enumerate(column_titles or []):
        draw.text((gap + c * (cell_w + gap), 1), title, fill=(0, 0, 0))
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            tile = Image.fromarray(np.ascontiguousarray(cell, dtype=np.uint8)).resize(
                (cell_w, cell_h - caption_h), Image.NEAREST)
            left, top = gap + c * (cell_w + gap), title_h + gap + r * (cell_h + gap)
            canvas.paste(tile, (left, top))
            if captions and c < len(captions[r]):
                draw.text((left, top + cell_h - caption_h + 1), captions[r][c], fill=(0, 0, 0))
    buffer = io.BytesIO()
    canvas.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def heat_rgb(values: np.ndarray, low: float = 0.0, high: float = 1.0) -> np.ndarray:
    """A 2-D array as a 'hot' heat map: black at `low`, through red and yellow, white at `high`.
    A fixed range (not each picture's own) lets two maps be compared by eye."""
    values = np.nan_to_num(np.asarray(values, dtype=np.float64).squeeze())
    share = np.clip((values - low) / (high - low), 0, 1) if high > low else np.zeros_like(values)
    channels = [np.clip(3 * share - offset, 0, 1) for offset in (0, 1, 2)]
    return (np.stack(channels, axis=-1) * 255).astype(np.uint8)


def difference_heat(actual: np.ndarray, expected: np.ndarray, full_red: float = 0.25) -> np.ndarray:
    """White where two maps (each stretched to [0, 1]) agree, deepening to pure red where they
    differ by `full_red` or more (small differences would otherwise be too pale to see)."""
    from graders.judge.maps import stretched

    difference = np.clip(np.abs(stretched(actual) - stretched(expected)) / full_red, 0, 1)
    fade = (255 * (1 - difference)).astype(np.uint8)
    return np.stack([np.full_like(fade, 255), fade, fade], axis=-1)


def resized(image: np.ndarray, size: tuple[int, int], box_filter: bool = False) -> np.ndarray:
    """An RGB or grey array resized to (height, width), for a report cell; `box_filter` averages
    each source block (a fair thumbnail of a noisy map) instead of interpolating."""
    from PIL import Image

    height, width = size
    array = np.ascontiguousarray(image, dtype=np.uint8)
    return np.asarray(Image.fromarray(array).resize((width, height), Image.BOX if box_filter else Image.BILINEAR))
