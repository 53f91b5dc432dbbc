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


@pytest.mark.parametrize("name", ["c3w1", "c3w2", "c3w2_l4", "c3w3", "c3w4"])
def test_every_parts_measure_reads_a_perfect_observation_as_full(name):
    """Each part's measure is taken with its suite's own scoring set: an observation that gives every
    scored answer back measures 100, one that gives nothing right measures 0."""
    import numpy as np

    calibrate = _calibrate()
    part = calibrate.PARTS[name]
    suite = sys.modules[f"graders.suites.{name}"]
    answers = suite._scoring_set().answers
    if name in ("c3w1", "c3w2", "c3w2_l4"):
        far = np.tile([0.0, 0.0, 0.01, 0.01], (len(answers), 1))  # a corner speck: IoU 0 with every true box
        perfect, wrong = {"boxes": answers, "scores": np.ones(len(answers))}, {"boxes": far, "scores": np.ones(len(answers))}
    elif name == "c3w3":
        perfect, wrong = {"predictions": answers}, {"predictions": np.full_like(answers, 10)}  # all background
    else:
        one_hot = np.eye(2)[answers]
        perfect, wrong = {"probabilities": one_hot}, {"probabilities": one_hot[:, ::-1]}
    assert part.measure(perfect) == pytest.approx(100, abs=0.5)
    assert part.measure(wrong) == pytest.approx(0, abs=0.5)
