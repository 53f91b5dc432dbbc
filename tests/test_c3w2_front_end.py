"""C3W2 as a learner and a course team meet it: full marks and zero, the fine-tuning run on the
hidden frames, the results file in the forms the harness takes, and a hostile pickle.

The two exercises judged without a reference: the learner's own steps fine-tuned in the worker
and scored on hidden frames (a broken step shows there, as it would in the course), and the
course's results.data on the public frames.
"""

from __future__ import annotations

import csv
import json
import pickle
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from grading_helpers import (
    ROOT,
    feedback,
    grade,
    mutate,
    scores,
    solution_source,
    write_submission,
)

from graders.control.sandbox import bubblewrap_works
from graders.data import detection

MODULE = "c3w2_zombie_detection"


def test_solutions_get_full_marks_and_the_stubs_zero():
    solved = grade(ROOT / "solutions", "c3w2")
    assert solved.points == 100, feedback(solved)
    stubs = grade(ROOT / "exercises", "c3w2")
    status = {e.exercise: e.status for e in stubs.exercises}
    assert stubs.points == 0 and status.pop("results_file") == "failed", feedback(stubs)
    assert set(status.values()) == {"not_implemented"}, feedback(stubs)
    # no results file is not code left to write: the sentence says where it comes from
    assert "the course notebook writes results.data" in feedback(stubs)["results_file"]


def test_a_selection_without_the_class_head_fine_tunes_a_detector_that_finds_nothing(tmp_path):
    code = mutate(solution_source(MODULE), ',\n                         "WeightSharedConvolutionalBoxPredictor/'
                  'WeightSharedConvolutionalClassHead"', "")
    result = grade(write_submission(tmp_path, code, MODULE), "c3w2", exercises=["select_variables", "fine_tuned"])
    got, said = scores(result), feedback(result)
    assert got["select_variables"] == 0 and got["fine_tuned"] < 15, said
    first = said["fine_tuned"].splitlines()[0]
    assert "the boxes are not found: check the restore (Ex6)" in first, said["fine_tuned"]
    run = next(e for e in result.exercises if e.exercise == "fine_tuned")
    assert run.figures and run.figures[0].png.startswith(b"\x89PNG"), "the worst frames are drawn"
    caption = run.figures[0].caption  # of the public dev frames detected beside the hidden ones
    assert caption.startswith("the 6 public dev frames with the lowest IoU") and "never shown" in caption, caption
    assert "not the course's" in said["fine_tuned"]  # the criteria are said to be the harness's own


def _results_folder(tmp_path: Path, name: str, boxes) -> Path:
    folder = tmp_path / name.replace(".", "_")
    folder.mkdir()
    shutil.copy(ROOT / "solutions" / f"{MODULE}.py", folder / f"{MODULE}.py")
    path = folder / name
    if name.endswith(".npz"):
        np.savez(path, boxes=np.asarray(boxes, np.float32))
    elif name.endswith(".json"):
        path.write_text(json.dumps(np.asarray(boxes).tolist()))
    else:
        with open(path, "wb") as file:
            pickle.dump([np.asarray(b, np.float32) for b in boxes], file)
    return folder


@pytest.mark.parametrize("name", ["results.data", "results.npz", "results.json"])
def test_the_true_boxes_in_each_form_score_full_points(tmp_path, name):
    result = grade(_results_folder(tmp_path, name, detection.stored_test_boxes()), "c3w2", exercises=["results_file"])
    assert scores(result) == {"results_file": 0} and result.exercises[0].status == "passed", feedback(result)
    assert "100% of the 237 boxes" in feedback(result)["results_file"]
    assert "counts no points" in feedback(result)["results_file"]


def test_results_in_the_wrong_order_or_count_say_so(tmp_path):
    swapped = detection.stored_test_boxes()[:, [1, 0, 3, 2]]
    said = feedback(grade(_results_folder(tmp_path, "results.data", swapped), "c3w2", exercises=["results_file"]))
    assert "save detect's boxes as they are, (ymin, xmin, ymax, xmax)" in said["results_file"], said
    short = detection.stored_test_boxes()[:200]
    result = grade(_results_folder(tmp_path, "results.npz", short), "c3w2", exercises=["results_file"])
    assert result.exercises[0].status == "failed"
    assert "has 200 boxes; expected one for each of the 237 frames" in feedback(result)["results_file"]


@pytest.mark.skipif(bubblewrap_works() is not None, reason="needs the bubblewrap sandbox of `cvgrade batch`")
def test_a_results_pickle_that_runs_code_harms_nothing_outside_the_worker(tmp_path):
    marker = tmp_path / "outside" / "pwned.txt"
    marker.parent.mkdir()
    hidden_before = detection.HIDDEN_FILE.read_bytes()
    learners = tmp_path / "class"
    folder = learners / "hostile_pickle"
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "solutions" / f"{MODULE}.py", folder / f"{MODULE}.py")
    with open(folder / "results.data", "wb") as file:
        file.write(_self_contained_pickle(str(marker)))
    out = tmp_path / "out"
    try:
        completed = subprocess.run([sys.executable, "-m", "graders.frontends.cli", "batch", str(learners), "--out",
                                    str(out), "--assignment", "c3w2", "--sandbox", "bubblewrap", "--jobs", "1"],
                                   cwd=ROOT, capture_output=True, text=True, timeout=900)
        hidden_after = detection.HIDDEN_FILE.read_bytes()
    finally:  # without the sandbox the pickle does overwrite it: never leave the repository so
        detection.HIDDEN_FILE.write_bytes(hidden_before)
    assert completed.returncode in (0, 1), completed.stdout + completed.stderr
    assert not marker.exists(), "the pickle wrote outside the worker"
    assert hidden_after == hidden_before, "the pickle overwrote the hidden frames"
    with open(out / "gradebook.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert len(rows) == 1 and rows[0]["status"].startswith("graded"), rows


def _self_contained_pickle(marker: str) -> bytes:
    """A protocol-0 pickle calling builtins.exec on the hostile code (no module of the test needed)."""
    code = (
        "import pathlib\n"
        f"pathlib.Path({marker!r}).write_text('written by a results pickle')\n"
        f"hidden = pathlib.Path({str(detection.HIDDEN_FILE)!r})\n"
        "try:\n"
        "    hidden.write_bytes(b'overwritten')\n"
        "except OSError:\n"
        "    pass\n"
    )
    return b"cbuiltins\nexec\n(" + pickle.dumps(code, protocol=0)[:-1] + b"tR."
