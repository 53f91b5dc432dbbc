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
PIXEL_BOUND = 8 / 255  # after stretching both maps to [0, 1]
MIN_SHARE_WITHIN = 0.99


def stretched(values) -> np.ndarray:
    """`values` as float64 in [0, 1] by min-max; a flat map becomes all zeros."""
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0 or not np.all(np.isfinite(values)):
        return np.zeros_like(values)
    low, high = float(values.min()), float(values.max())
    return np.zeros_like(values) if high <= low else (values - low) / (high - low)


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
    share_within: float  # of pixels within PIXEL_BOUND of the other map
    largest: float  # largest difference, in [0, 1]

    @property
    def ok(self) -> bool:
        return self.correlation >= MIN_CORRELATION and self.share_within >= MIN_SHARE_WITHIN

    def text(self) -> str:
        return (f"correlation {self.correlation:.3f} (at least {MIN_CORRELATION:g} needed), "
                f"{self.share_within:.1%} of pixels within {PIXEL_BOUND * 255:.0f}/255 of the expected "
                f"map (at least {MIN_SHARE_WITHIN:.0%} needed), both stretched to [0, 1]")


def agreement(actual, expected) -> Agreement | None:
    """How well `actual` matches `expected`; None when their shapes differ."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if actual.shape != expected.shape:
        return None
    difference = np.abs(stretched(actual) - stretched(expected))
    return Agreement(correlation(actual, expected), float(np.mean(difference <= PIXEL_BOUND + 1e-12)),
                     float(difference.max()) if difference.size else 0.0)


def matches(actual, expected) -> bool:
    found = agreement(actual, expected)
    return found is not None and found.ok
