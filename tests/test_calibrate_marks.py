"""bench/calibrate_marks.py grades as the grader does: an untrained C3W4 classifier with its own maps is
graded by a real Grader, its measure taken with the suite's function, and the table says so."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from grading_helpers import ROOT

pytest.importorskip("keras")


def _calibrate():
    spec = importlib.util.spec_from_file_location("calibrate_marks", ROOT / "bench" / "calibrate_marks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


def test_an_untrained_classifier_is_graded_and_tabled(tmp_path, capsys):
    calibrate = _calibrate()
    assert calibrate.main(["c3w4", "--seeds", "1", "--first-seed", "2", "--untrained-only",
                           "--workdir", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    (row,) = [line for line in lines if line.startswith("c3w4") and "untrained" in line and "min" not in line]
    seed, kind, measure, points = row.split()[1:5]
    assert (seed, kind) == ("2", "untrained")
    accuracy = float(measure)
    assert 0 <= accuracy <= 100
    # the maps are the model's own: their half is full, the accuracy half follows the suite's ramp
    from graders.suites import c3w4

    assert float(points.split("/")[0]) == pytest.approx(15 + 15 * c3w4.accuracy_score(accuracy / 100), abs=0.05)
    assert lines[-1].startswith("marks in force: 0 points up to 55%, full from 60%")
    assert (tmp_path / "c3w4" / "untrained-2" / "cat_or_not.keras").is_file()



def test_every_measure_reads_the_scored_part_of_an_observation_only():
    """The probe also runs on public dev examples for the report's pictures; the bench's measures, taken
    with the suites' own functions, see the scored part (the hidden set here) and nothing else."""
    import numpy as np

    from graders.judge.boxes import box_iou
    from graders.suites import c3w1, c3w2, c3w2_l4, c3w3, c3w4

    calibrate = _calibrate()
    rng = np.random.default_rng(0)

    def both(part, shown_a, shown_b, key):
        return [{key: np.concatenate([part, shown])} for shown in (shown_a, shown_b)]

    scored = c3w1._scoring_set()
    assert scored.hidden
    boxes = scored.answers + rng.normal(0, 0.06, scored.answers.shape)
    extra = scored.probe_count - len(boxes)
    a, b = both(boxes, np.zeros((extra, 4)), scored.shown_answers, "boxes")
    expected = 100 * c3w1.box_score(box_iou(boxes, scored.answers))
    assert calibrate._c3w1_measure(a) == calibrate._c3w1_measure(b) == pytest.approx(expected)

    scored = c3w3._scoring_set()
    maps = scored.answers.copy()
    maps[::2] = 10
    a, b = both(maps, np.full_like(scored.shown_answers, 10), scored.shown_answers, "predictions")
    expected = c3w3.digit_score(c3w3.class_wise_scores(scored.answers, maps)[0])
    assert calibrate._c3w3_measure(a) == calibrate._c3w3_measure(b) == pytest.approx(expected)

    scored = c3w4._scoring_set()
    right = np.eye(2)[scored.answers]
    right[::3] = right[::3, ::-1]
    a, b = both(right, np.eye(2)[1 - scored.shown_answers], np.eye(2)[scored.shown_answers], "probabilities")
    expected = 100 * np.mean(np.argmax(right, -1) == scored.answers)
    assert calibrate._c3w4_measure(a) == calibrate._c3w4_measure(b) == pytest.approx(expected)

    for suite in (c3w2, c3w2_l4):
        scored = suite._scoring_set()
        boxes = scored.answers.copy()
        boxes[::4] = [0, 0, 0.05, 0.05]
        scores = np.where(np.arange(len(boxes)) % 3 == 0, 0.1, 0.99)
        extra = scored.probe_count - len(boxes)
        a, b = both(boxes, np.zeros((extra, 4)), scored.shown_answers, "boxes")
        a["scores"], b["scores"] = np.concatenate([scores, np.zeros(extra)]), np.concatenate([scores, np.ones(extra)])
        iou = box_iou(boxes, scored.answers)
        measure = calibrate._pipeline_measure(suite)
        assert measure(a) == measure(b) == pytest.approx(
            100 * c3w2.confident_share(scores, iou, suite.SCORE_THRESHOLD))
        assert calibrate._pipeline_right(suite, a) == pytest.approx(100 * c3w2.box_share(iou))
