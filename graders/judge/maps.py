"""Comparing importance maps (saliency maps, heat maps): measures that suit pictures.

Two maps of the same gradients differ by the rounding of a JPEG file and by the
scale someone chose; they do not differ in where the weight lies. So both maps
are first stretched to [0, 1], then compared by Pearson correlation (the
pattern) and by the share of pixels within a small bound (the values). A JPEG
of quality 95 or more keeps both measures well inside the bounds; each of the
known wrong gradients (colour channels swapped, no absolute value, max instead
of sum, unscaled input, another resize) falls far outside them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_CORRELATION = 0.99
PIXEL_LEVELS = 8  # grey levels (of 255) two maps may differ by in one pixel, after stretching
MIN_SHARE_WITHIN = 0.99


def stretched(values) -> np.ndarray:
    """`values` as float64 in [0, 1] by min-max; a flat map becomes all zeros."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or not np.all(np.isfinite(values)):
        return np.zeros_like(values)
    low, high = float(values.min()), float(values.max())
    return np.zeros_like(values) if high <= low else (values - low) / (high - low)


def as_levels(values) -> np.ndarray:
    """`values` stretched to [0, 255] and truncated to uint8, the course's normalisation."""
    return (stretched(values) * 255).astype(np.uint8)


def is_flat(values) -> bool:
    values = np.asarray(values)
    return values.size == 0 or not np.all(np.isfinite(values)) or float(values.max()) == float(values.min())


def correlation(a, b) -> float:
    """Pearson correlation of two maps; two flat maps agree (1), a flat and a varied one do not (0)."""
    a, b = np.asarray(a, dtype=np.float64).ravel(), np.asarray(b, dtype=np.float64).ravel()
    flat_a, flat_b = is_flat(a), is_flat(b)
    if flat_a or flat_b:
        return 1.0 if flat_a and flat_b else 0.0
    a, b = a - a.mean(), b - b.mean()
    return float(np.dot(a, b) / np.sqrt(np.dot(a, a) * np.dot(b, b)))


@dataclass(frozen=True)
class Agreement:
    correlation: float
    share_within: float  # of pixels within `levels` grey levels of the other map
    largest: float  # largest difference, in grey levels
    levels: float
    stretch: bool

    @property
    def ok(self) -> bool:
        return self.correlation >= MIN_CORRELATION and self.share_within >= MIN_SHARE_WITHIN

    def text(self) -> str:
        return (f"correlation {self.correlation:.3f} (at least {MIN_CORRELATION:g} needed), "
                f"{self.share_within:.1%} of pixels within {self.levels:g} grey levels of the expected "
                f"map (at least {MIN_SHARE_WITHIN:.0%} needed)"
                + (", both stretched to [0, 255]" if self.stretch else ""))


def agreement(actual, expected, levels: float = PIXEL_LEVELS, stretch: bool = True) -> Agreement | None:
    """How well `actual` matches `expected`; None when their shapes differ. With `stretch`, both
    are first stretched to [0, 255] (a saved JPEG's scale is the learner's); without, their values
    are compared as they are, so a map on the wrong scale fails the per-pixel bound."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        return None
    if stretch:
        a, b = stretched(actual) * 255, stretched(expected) * 255
    else:
        a, b = (np.nan_to_num(np.asarray(x, dtype=np.float64), nan=np.inf) for x in (actual, expected))
    with np.errstate(invalid="ignore"):
        difference = np.abs(a - b)
    difference = np.where(np.isfinite(difference), difference, np.inf)
    return Agreement(correlation(actual, expected), float(np.mean(difference <= levels + 1e-9)),
                     float(difference.max()) if difference.size else 0.0, levels, stretch)


def matches(actual, expected, levels: float = PIXEL_LEVELS, stretch: bool = True) -> bool:
    found = agreement(actual, expected, levels, stretch)
    return found is not None and found.ok
