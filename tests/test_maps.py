"""The map measures: what they forgive (scale, offset, a good JPEG) and what they do not."""

from __future__ import annotations

import io

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from PIL import Image

from graders.judge import maps

varied_maps = arrays(np.float64, st.tuples(st.integers(4, 40), st.integers(4, 40)),
                     elements=st.floats(-1e3, 1e3, allow_nan=False)).filter(
    lambda a: float(a.max() - a.min()) > 1e-3 * max(1.0, float(np.abs(a).max())))


def _gradient_like(seed: int, size: int = 96) -> np.ndarray:
    """A saliency-like map: noisy, with a brighter blob."""
    rng = np.random.default_rng(seed)
    rows, columns = np.mgrid[:size, :size]
    blob = np.exp(-((rows - rng.uniform(20, 76)) ** 2 + (columns - rng.uniform(20, 76)) ** 2) / 300)
    return maps.as_levels(np.abs(rng.normal(size=(size, size))) * (0.3 + blob))


def _jpeg(levels: np.ndarray, quality: int) -> np.ndarray:
    buffer = io.BytesIO()
    Image.fromarray(levels).save(buffer, format="JPEG", quality=quality)
    return np.asarray(Image.open(io.BytesIO(buffer.getvalue())).convert("L"))


@given(varied_maps)
def test_a_map_agrees_with_itself(values):
    found = maps.agreement(values, values)
    assert found.ok and found.share_within == 1.0 and abs(found.correlation - 1) < 1e-9


@given(varied_maps, st.floats(1e-3, 1e3), st.floats(-1e3, 1e3))
def test_stretched_maps_forgive_a_positive_scale_and_an_offset(values, scale, offset):
    assert maps.agreement(values * scale + offset, values).ok


@given(varied_maps)
def test_a_negated_map_never_agrees(values):
    found = maps.agreement(-values, values)
    assert not found.ok and found.correlation < 0


@given(varied_maps, varied_maps)
def test_correlation_is_symmetric_and_bounded(a, b):
    if a.shape != b.shape:
        assert maps.agreement(a, b) is None
        return
    forward, backward = maps.correlation(a, b), maps.correlation(b, a)
    assert abs(forward - backward) < 1e-9 and -1 - 1e-9 <= forward <= 1 + 1e-9


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1), st.sampled_from([95, 100]))
def test_a_good_jpeg_of_a_map_still_agrees(seed, quality):
    levels = _gradient_like(seed)
    assert maps.agreement(_jpeg(levels, quality), levels).ok


@settings(max_examples=25)
@given(st.integers(0, 2**32 - 1))
def test_a_coarse_jpeg_does_not(seed):
    levels = _gradient_like(seed)
    assert not maps.agreement(_jpeg(levels, 50), levels).ok


def test_unstretched_comparison_sees_the_scale():
    levels = _gradient_like(0)
    assert maps.agreement(levels / 255.0, levels).ok  # stretched: the same pattern
    assert not maps.agreement(levels / 255.0, levels, levels=2, stretch=False).ok


def test_flat_maps_agree_only_with_flat_maps():
    assert maps.agreement(np.zeros((5, 5)), np.full((5, 5), 7.0)).ok
    assert not maps.agreement(np.zeros((5, 5)), np.arange(25.0).reshape(5, 5)).ok
