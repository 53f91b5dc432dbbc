"""Measures of boxes, for the checks that score a learner's boxes against the true ones."""

from __future__ import annotations

import numpy as np


def box_iou(pred: np.ndarray, true: np.ndarray, smoothing: float = 0.0) -> np.ndarray:
    """IoU of each row pair of boxes given as (min, min, max, max) along two axes: C3W1's
    (xmin, ymin, xmax, ymax) or the detection API's (ymin, xmin, ymax, xmax), as long as both
    sides use one order (IoU does not depend on which axis comes first). Malformed predictions
    (inverted or not finite) count as empty. With `smoothing`, C3W1's (overlap + s) / (union + s)."""
    pred = np.nan_to_num(np.asarray(pred, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    true = np.asarray(true, dtype=np.float64)
    width = np.clip(np.minimum(pred[:, 2], true[:, 2]) - np.maximum(pred[:, 0], true[:, 0]), 0, None)
    height = np.clip(np.minimum(pred[:, 3], true[:, 3]) - np.maximum(pred[:, 1], true[:, 1]), 0, None)
    overlap = width * height
    pred_area = np.clip(pred[:, 2] - pred[:, 0], 0, None) * np.clip(pred[:, 3] - pred[:, 1], 0, None)
    true_area = (true[:, 2] - true[:, 0]) * (true[:, 3] - true[:, 1])
    union = pred_area + true_area - overlap
    if smoothing:
        return (overlap + smoothing) / (union + smoothing)
    return np.where(union > 0, overlap / np.where(union > 0, union, 1), 0.0)
