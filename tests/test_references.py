"""The cached reference observations agree with what solutions/ produces now.

"Agree" is stated at two precisions, so that the test catches a changed solution but not
a different CPU (TensorFlow's float results differ in the last bits between machines of
one kind, through oneDNN's kernels and thread counts):
- every key, list length, shape and dtype is the same; float arrays within 1e-4 of their scale
  (the outputs of the deepest networks, U-Net's 23 convolutions and FCN-8's VGG-16, came out
  1.4e-5 and 1.1e-5 of their scale apart on two CPUs of one kind; shallower ones agree to
  1e-6), other floats within 1e-5;
  8-bit pictures (saliency maps, and the maps of known mistakes) differ in at most 1% of
  their pixels and by at most 0.1 grey level on average: a last-bit difference before
  rounding moves a pixel by one level, a JPEG round trip spreads that to its neighbours, and
  an input far outside [0, 1] magnifies it (measured between two runs: at most 0.5% of a
  map's pixels, 0.04 levels on average; every known wrong gradient moves most pixels);
- and the exercise's own check, given the fresh observation, gives it full marks against
  the cached one: a solution changed on purpose fails there at the check's own tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from graders.control.observe import observe_solutions
from graders.judge import compare
from graders.judge.references import load_reference
from graders.shared.registry import SUITES, assignment
from tests.grading_helpers import identical

ARRAY_SCALE = 1e-4  # share of a float array's scale its values may differ by
PICTURE_SHARE = 0.01  # share of an 8-bit picture's pixels that may differ
PICTURE_MEAN_LEVELS = 0.1  # grey levels its pixels may differ by on average


def same_picture(fresh: np.ndarray, cached: np.ndarray) -> tuple[bool, str]:
    if fresh.shape != cached.shape:
        return False, f"shape {fresh.shape}, cached {cached.shape}"
    if not cached.size:
        return True, "same (empty) picture"
    difference = np.abs(fresh.astype(np.int16) - cached.astype(np.int16))
    moved, mean = float(np.mean(difference > 0)), float(np.mean(difference))
    if moved > PICTURE_SHARE:
        return False, f"{moved:.2%} of the pixels differ (allowed {PICTURE_SHARE:.0%})"
    if mean > PICTURE_MEAN_LEVELS:
        return False, f"the pixels differ by {mean:.3f} grey levels on average (allowed {PICTURE_MEAN_LEVELS})"
    return True, "same picture"


def _assert_same(fresh, cached, where):
    if isinstance(cached, np.ndarray):
        assert isinstance(fresh, np.ndarray) and fresh.dtype == cached.dtype, where
        if cached.dtype == np.uint8:
            ok, reason = same_picture(fresh, cached)
        else:
            ok, reason = compare.check_array(fresh, cached, where, tolerance=ARRAY_SCALE)
        assert ok, f"{where}: {reason}"
    elif isinstance(cached, dict):
        assert fresh.keys() == cached.keys(), where
        for key in cached:
            _assert_same(fresh[key], cached[key], f"{where}.{key}")
    elif isinstance(cached, list):
        assert len(fresh) == len(cached), where
        for index, (a, b) in enumerate(zip(fresh, cached)):
            _assert_same(a, b, f"{where}[{index}]")
    elif isinstance(cached, float):
        assert abs(fresh - cached) <= 1e-5 * max(1.0, abs(cached)), where
    else:
        assert fresh == cached, where


@pytest.mark.parametrize("assignment_id", SUITES)
def test_reference_cache_matches_solutions(assignment_id):
    suite = assignment(assignment_id)
    fresh = observe_solutions(suite)
    assert set(fresh) == {e.id for e in suite.exercises if e.uses_reference}
    for exercise_id, observation in fresh.items():
        hint = f"{exercise_id} (run `cvgrade fixtures {assignment_id}` if solutions changed on purpose)"
        cached = load_reference(assignment_id, exercise_id)
        _assert_same(observation, cached, hint)
        verdict = suite.exercise(exercise_id).check(observation, cached)
        assert verdict.score == 1, f"{hint}: {verdict.message}"


@pytest.mark.parametrize("assignment_id", SUITES)
def test_every_probe_depends_on_the_seed(assignment_id):
    """A batch observes with a secret seed: no exercise's public reference (seed 0) may be the
    answer there, or replaying the fixtures would earn its points."""
    suite = assignment(assignment_id)
    for exercise_id, observation in observe_solutions(suite, seed=7).items():
        assert not identical(observation, load_reference(assignment_id, exercise_id)), exercise_id


pictures = hnp.arrays(np.uint8, hnp.array_shapes(min_dims=2, max_dims=2, min_side=32, max_side=120))


@given(pictures, st.data())
def test_a_picture_a_few_levels_off_in_few_pixels_is_the_same(picture, data):
    moved = picture.astype(np.int16).copy().ravel()
    count = int(PICTURE_SHARE * moved.size)
    step = data.draw(st.integers(1, 4))
    for index in data.draw(st.lists(st.integers(0, moved.size - 1), max_size=count, unique=True)):
        moved[index] += step if moved[index] + step <= 255 else -step
    assert same_picture(moved.reshape(picture.shape).astype(np.uint8), picture)[0]


@given(pictures, st.data())
def test_a_picture_changed_in_more_pixels_or_by_more_is_not(picture, data):
    changed = picture.astype(np.int16).copy().ravel()
    count = data.draw(st.integers(int(PICTURE_SHARE * changed.size) + 1, changed.size))
    chosen = np.random.default_rng(data.draw(st.integers(0, 2**32 - 1))).choice(changed.size, count, replace=False)
    changed[chosen] += np.where(changed[chosen] < 255, 1, -1).astype(np.int16)
    assert not same_picture(changed.reshape(picture.shape).astype(np.uint8), picture)[0]
    flipped = picture.copy()
    flipped[:4, :4] = 255 - flipped[:4, :4]  # a corner of 16 pixels inverted: a wrong picture
    if np.abs(flipped.astype(int) - picture).sum() > PICTURE_MEAN_LEVELS * picture.size:
        assert not same_picture(flipped, picture)[0]
