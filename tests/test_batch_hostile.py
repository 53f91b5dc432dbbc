"""One real `cvgrade batch` over a class of hostile submissions, and a batch killed midway.

The corpus (tests/submissions/make_batch_hostile.py, snippets in tests/submissions/batch_hostile/)
is mostly the reference solution, or the stubs, with one hostile addition each: stealing the
answers, patching the grader, forging results, faking scores on stdout, replaying the public
reference observations, exiting, hanging, fork bombs, memory hogs, the network, writing
outside, shell lines in a notebook, bad zips, a Lambda model, pickles and crafted bytes in the
reply pipe, modules planted for the next learner, SysV shared memory, files in /dev/shm, busy
threads. Every learner must get exactly the points
of their honest exercises, the hostile one 0, and no learner may change anyone else's grade,
the repository, the host or the run.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from graders.control.sandbox import bubblewrap_works

ROOT = Path(__file__).resolve().parents[1]
TIME_LIMIT = 20
BATCH = ("--assignment", "c3w3", "--time-limit", str(TIME_LIMIT), "--memory-limit", "1500")

pytestmark = pytest.mark.skipif(bubblewrap_works() is not None,
                                reason="the hostile corpus needs the bubblewrap sandbox")


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_batch_hostile", ROOT / "tests" / "submissions" / "make_batch_hostile.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


corpus = _generator()

EXERCISES = ("conv_block", "FCN8", "fcn8_decoder", "compile_model", "class_wise_metrics", "trained_model")
HONEST = {"conv_block": 15, "FCN8": 15, "fcn8_decoder": 20, "compile_model": 10,
          "class_wise_metrics": 10, "trained_model": 0}
ZERO = dict.fromkeys(EXERCISES, 0)


def honest(**changed) -> dict:
    return {**HONEST, **changed}


# learner -> (gradebook status, points per exercise; None where the entry was refused)
EXPECTED: dict[str, tuple[str, dict | None]] = {
    "steal_answers_on_stubs": ("graded", ZERO),
    "monkeypatch_checks_on_stubs": ("graded", ZERO),
    "forge_observations_on_stubs": ("graded (with errors)", ZERO),
    "cut_observations_on_solution": ("graded (with errors)", honest(conv_block=0, class_wise_metrics=0)),
    "forge_results_on_stubs": ("graded", ZERO),
    "print_fake_scores_on_stubs": ("graded", ZERO),
    "replay_public_reference": ("graded", honest(class_wise_metrics=0)),
    "sys_exit_at_import": ("graded", HONEST),
    "os_exit_at_import": ("graded", HONEST),
    "sys_exit_in_decoder": ("graded (with errors)", honest(fcn8_decoder=0)),
    "os_exit_in_decoder": ("graded (with errors)", honest(fcn8_decoder=0)),
    "endless_loop_in_compile": ("graded (with errors)", honest(compile_model=0)),
    "fork_bomb_in_metrics": ("graded (with errors)", honest(class_wise_metrics=0)),
    "memory_hog_in_conv_block": ("graded (with errors)", honest(conv_block=0)),
    "network_at_import": ("graded", HONEST),
    "write_outside_at_import": ("graded", HONEST),
    "notebook_with_shell_lines": ("graded", HONEST),
    "notebook_20000_statements": ("graded", HONEST),  # read in seconds, in a child under a time limit
    "notebook_over_statement_cap": ("refused", None),
    "zip_with_dotdot": ("refused", None),
    "zip_with_symlink": ("refused", None),
    "zip_nested_1200_folders": ("refused", None),
    "hidden_learner": ("refused", None),
    "lambda_model_folder": ("graded", HONEST),
    "forged_module_model": ("graded", HONEST),
    # class_wise_metrics: 0 (its reply was refused) or 10 (its honest result); checked below
    "pickle_into_reply_pipe": ("graded (with errors)", honest(class_wise_metrics=0)),
    "crafted_replies_in_probes": ("graded (with errors)", honest(conv_block=0, fcn8_decoder=0,
                                                                 class_wise_metrics=0)),
    "forge_worker_replies": ("graded", HONEST),
    "forge_line_event_at_import": ("graded", HONEST),
    "half_message_then_hang": ("graded (with errors)", honest(class_wise_metrics=0)),
    "plant_modules_in_shared_tmp": ("graded", HONEST),
    "lone_surrogate_in_metrics": ("graded (with errors)", honest(class_wise_metrics=0)),
    "victim_imports_colab_modules": ("graded", HONEST),
    "capture_reference_conv_block": ("graded (with errors)", {**ZERO, "FCN8": 15}),
    "rebuild_hidden_set": ("graded", HONEST),
    "non_utf8": ("refused", None),
    "empty_py": ("graded", ZERO),
    "empty_folder": ("refused", None),
    "empty_zip": ("refused", None),
    "zero_byte_zip": ("refused", None),
    "sysv_memory_in_decoder": ("graded (with errors)", honest(fcn8_decoder=0)),
    "sysv_objects_left_before_me": ("graded", HONEST),
    "dev_shm_hog_in_conv_block": ("graded (with errors)", honest(conv_block=0)),
    "busy_threads_in_compile": ("graded (with errors)", honest(compile_model=0)),
    "aa_honest_first": ("graded", HONEST),
    "honest_plain": ("graded", HONEST),
    "zz_honest_folder_last": ("graded", HONEST),
}

CANARY_NAME = "cvgrade-hostile-canary"  # what write_outside_at_import tries to create


def host_canaries() -> list[Path]:
    return [Path("/etc", CANARY_NAME), Path("/root", CANARY_NAME), Path.home() / CANARY_NAME,
            ROOT / CANARY_NAME, ROOT / "graders" / CANARY_NAME, Path("/tmp", CANARY_NAME),
            Path("/var/tmp", CANARY_NAME)]


def batch_command(submissions: Path, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "graders.frontends.cli", "batch", str(submissions), "--out", str(out),
            *BATCH, *extra]


def run_batch(submissions: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(batch_command(submissions, out, *extra), cwd=ROOT, capture_output=True,
                          text=True, timeout=900)


def gradebook(out: Path) -> dict[str, dict]:
    with open(out / "gradebook.csv", newline="") as handle:
        return {row["learner"]: row for row in csv.DictReader(handle)}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class Batch:
    base: Path
    submissions: Path
    out: Path
    completed: subprocess.CompletedProcess
    canary: Path
    compare_before: str
    compare_after: str

    @property
    def rows(self) -> dict[str, dict]:
        return gradebook(self.out)

    def record(self, learner: str) -> dict:
        return json.loads((self.out / "learners" / learner / "record.json").read_text())

    def feedback(self, learner: str) -> dict[str, str]:
        return {e["exercise"]: e["feedback"] for e in self.record(learner)["result"]["exercises"]}

    def load_problems(self, learner: str) -> list[str]:
        return self.record(learner)["result"]["load_problems"]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> Batch:
    base = tmp_path_factory.mktemp("hostile")
    canary = base / "unpickled-canary"
    submissions = base / "submissions"
    learners = corpus.write_corpus(submissions, str(canary))
    assert sorted(learners) == sorted(EXPECTED), "every corpus entry has an expectation here"
    for path in host_canaries():  # leftovers of a manual run would hide a new escape
        path.unlink(missing_ok=True)
    compare = ROOT / "graders" / "judge" / "compare.py"
    before = sha256(compare)
    out = base / "out"
    started = time.monotonic()
    completed = run_batch(submissions, out, "--jobs", "2")
    print(f"hostile batch: {time.monotonic() - started:.0f} s")
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-5000:]
    return Batch(base, submissions, out, completed, canary, before, sha256(compare))


def test_the_batch_finishes_with_a_row_for_every_learner(hostile):
    assert set(hostile.rows) == set(EXPECTED)
    graded = sum(status.startswith("graded") for status, _ in EXPECTED.values())
    assert f"{graded} of {len(EXPECTED)} learners graded" in hostile.completed.stdout
    assert (hostile.out / "summary.html").is_file()
    assert json.loads((hostile.out / "run.json").read_text())["seed"] != "0", "a secret seed, not the public one"


@pytest.mark.parametrize("learner", sorted(EXPECTED))
def test_points_and_status(hostile, learner):
    status, points = EXPECTED[learner]
    row = hostile.rows[learner]
    if learner == "pickle_into_reply_pipe" and row["class_wise_metrics"] == "10":
        status, points = "graded", HONEST  # the worker's honest reply got through; the pickle did not
    feedback = hostile.feedback(learner) if points is not None else {}
    assert row["status"] == status, (row, feedback)
    if points is None:
        assert row["total"] == "0" and all(row[e] == "" for e in EXERCISES)
        return
    assert {e: float(row[e]) for e in EXERCISES} == points, feedback
    assert float(row["total"]) == sum(points.values())
    results = json.loads((hostile.out / "learners" / learner / "results.json").read_text())
    assert results["score"] == sum(points.values())


def line_of(path: Path, text: str) -> int:
    """The line number of the one line of the submission at `path` that starts with `text`."""
    (number,) = [n for n, line in enumerate(path.read_text().splitlines(), 1) if line.startswith(text)]
    return number


def test_stolen_answers_are_not_there(hostile):
    problems = hostile.load_problems("steal_answers_on_stubs")
    code = hostile.submissions / "steal_answers_on_stubs.py"
    for statement in ("STOLEN = open(", "exec(compile(STOLEN", "HIDDEN = np.load(", "HIDDEN_IMAGES, HIDDEN_LABELS ="):
        assert any(p.startswith(f"line {line_of(code, statement)} raised ") for p in problems), (statement, problems)
    assert any("FileNotFoundError" in p and "solutions/c3w3_segmentation.py" in p for p in problems), problems
    assert set(hostile.feedback("steal_answers_on_stubs").values()) >= {"`conv_block` is not implemented yet"}


def test_patching_the_grader_in_the_worker_changes_nothing(hostile):
    feedback = hostile.feedback("monkeypatch_checks_on_stubs")
    assert all(feedback[e] == f"`{e}` is not implemented yet" for e in EXERCISES[:5]), feedback
    forged = hostile.feedback("forge_observations_on_stubs")
    for exercise in ("conv_block", "FCN8", "fcn8_decoder", "compile_model", "class_wise_metrics"):
        assert "observation its probe never makes" in forged[exercise], forged
    cut = hostile.feedback("cut_observations_on_solution")
    assert "['cases'] has 0 entries, where the probe gives 3" in cut["class_wise_metrics"], cut
    assert "['cases'] has 1 entries, where the probe gives 2" in cut["conv_block"], cut


def test_forged_results_reach_neither_the_output_nor_the_repository(hostile):
    assert hostile.compare_after == hostile.compare_before
    assert hostile.rows["forge_results_on_stubs"]["total"] == "0"
    results = json.loads((hostile.out / "learners" / "forge_results_on_stubs" / "results.json").read_text())
    assert results["score"] == 0
    problems = " | ".join(hostile.load_problems("forge_results_on_stubs"))
    assert "graders/judge/compare.py" in problems, problems
    for path in hostile.out.rglob("*"):
        if path.is_file():
            assert b"total 100/100" not in path.read_bytes(), path
    for path in (Path("/tmp/results.json"), Path("/tmp/gradebook.csv")):
        assert not path.exists() or b"forge_results_on_stubs" not in path.read_bytes()
        assert not path.exists() or b"total 100/100" not in path.read_bytes()


def test_printed_scores_are_not_scores(hostile):
    printed = hostile.completed.stdout + hostile.completed.stderr
    assert "100/100" not in printed and "all tests passed" not in printed
    assert hostile.rows["print_fake_scores_on_stubs"]["total"] == "0"


def test_replayed_reference_observations_fail_under_the_secret_seed(hostile):
    assert "IoU" in hostile.feedback("replay_public_reference")["class_wise_metrics"]


def test_the_replay_would_pass_with_the_public_seed(tmp_path):
    """The same replay, graded with the seed the public references were made with, passes:
    what defeats it in the batch above is the secret seed, not a flaw in the replay."""
    submissions = tmp_path / "submissions"
    corpus.write_corpus(submissions, str(tmp_path / "canary"), ["replay_public_reference"])
    completed = run_batch(submissions, tmp_path / "out", "--jobs", "1", "--seed", "0")
    assert completed.returncode == 0, completed.stderr[-3000:]
    row = gradebook(tmp_path / "out")["replay_public_reference"]
    assert row["class_wise_metrics"] == "10" and row["total"] == "70", row


def test_exits_are_reported_and_cost_only_their_exercise(hostile):
    assert any("sys.exit" in p for p in hostile.load_problems("sys_exit_at_import"))
    assert any("os._exit" in p and "skipped" in p for p in hostile.load_problems("os_exit_at_import"))
    for learner in ("sys_exit_in_decoder", "os_exit_in_decoder"):
        assert "ended the grading process" in hostile.feedback(learner)["fcn8_decoder"]


def test_hangs_bombs_and_hogs_are_stopped(hostile):
    limit = f"longer than the {TIME_LIMIT} s limit"
    assert limit in hostile.feedback("endless_loop_in_compile")["compile_model"]
    assert limit in hostile.feedback("fork_bomb_in_metrics")["class_wise_metrics"]
    assert limit in hostile.feedback("half_message_then_hang")["class_wise_metrics"]
    assert "memory" in hostile.feedback("memory_hog_in_conv_block")["conv_block"]
    for learner in ("fork_bomb_in_metrics", "endless_loop_in_compile", "half_message_then_hang"):
        assert hostile.record(learner)["seconds"] < 6 * TIME_LIMIT


def test_memory_outside_the_worker_is_charged_to_it(hostile):
    """SysV segments no process maps and files in /dev/shm are memory too: each stops its exercise
    with where the memory was, and nothing of it is there for the learner graded next."""
    decoder = hostile.feedback("sysv_memory_in_decoder")["fcn8_decoder"]
    assert re.search(r"1500 MiB memory limit \(\d+ MiB resident, \d+ MiB in SysV shared memory", decoder), decoder
    conv_block = hostile.feedback("dev_shm_hog_in_conv_block")["conv_block"]
    assert re.search(r"1500 MiB memory limit \(\d+ MiB resident, \d+ MiB in /dev/shm\)", conv_block), conv_block
    assert hostile.load_problems("sysv_objects_left_before_me") == []


def test_busy_threads_cost_their_exercise_only(hostile):
    """64 spinning threads are stopped by the exercise's CPU time (one core's worth of its time
    limit) or, on a machine too busy to give them that, by its time limit."""
    feedback = hostile.feedback("busy_threads_in_compile")["compile_model"]
    assert "of CPU time" in feedback or f"longer than the {TIME_LIMIT} s limit" in feedback, feedback
    assert hostile.record("busy_threads_in_compile")["seconds"] < 6 * TIME_LIMIT


def test_the_run_says_which_sandbox_graded(hostile):
    ran = json.loads((hostile.out / "run.json").read_text())["sandbox"]
    assert ran.startswith("bubblewrap (on: network, filesystem, answers, environment") and "ipc, tmpfs" in ran
    assert hostile.completed.stdout.strip().splitlines()[-1].endswith(f"sandbox: {ran}")
    assert f"<td>{ran}</td>" in (hostile.out / "summary.html").read_text()


def test_the_network_is_unreachable(hostile):
    problems = hostile.load_problems("network_at_import")
    assert len(problems) == 2 and all(" raised " in p for p in problems), problems
    assert any("gaierror" in p for p in problems) and any("unreachable" in p.lower() for p in problems)


def test_writes_outside_fail_and_leave_nothing_on_the_host(hostile):
    problems = " | ".join(hostile.load_problems("write_outside_at_import"))
    for place in ("/etc/", "/root/", str(ROOT) + "/", str(ROOT / "graders") + "/", "/var/tmp/"):
        assert f"{place}{CANARY_NAME}" in problems, problems
    for path in host_canaries():
        assert not path.exists(), path


def test_shell_lines_of_a_notebook_are_left_out(hostile):
    left_out = " | ".join(hostile.record("notebook_with_shell_lines")["result"]["left_out"])
    assert "shell line `!rm -rf --no-preserve-root /`" in left_out
    assert "magic line `%rm -rf ~`" in left_out and "cell magic `%%bash`" in left_out
    assert (ROOT / "graders" / "judge" / "compare.py").exists()


def test_a_long_notebook_is_graded_and_one_over_the_cap_refused_with_the_reason(hostile):
    record = hostile.record("notebook_20000_statements")
    assert record["result"]["left_out"] == [] and record["result"]["load_problems"] == []
    reason = hostile.rows["notebook_over_statement_cap"]["reason"]
    assert reason.startswith("notebook_over_statement_cap.ipynb has at least 50,001 statements (counted in "), reason
    assert reason.endswith("more than the 50,000 a submission may have; it was not graded"), reason
    assert "notebook_over_statement_cap" in (hostile.out / "summary.html").read_text()


def test_bad_zips_are_refused_with_the_reason(hostile):
    rows = hostile.rows
    assert "leaves its folder" in rows["zip_with_dotdot"]["reason"]
    assert "symbolic link" in rows["zip_with_symlink"]["reason"]
    assert list(hostile.base.rglob("cvgrade-zip-escape*")) == []
    assert not Path("/tmp/cvgrade-zip-escape.txt").exists()


def test_a_deep_zip_and_a_hidden_file_are_refused_with_the_reason(hostile):
    assert "1200 folders deep, more than the 32 allowed" in hostile.rows["zip_nested_1200_folders"]["reason"]
    assert "is a hidden file" in hostile.rows["hidden_learner"]["reason"]
    assert not (hostile.out / ".stations").exists()  # every stage was cleared and removed


def test_a_lambda_layer_is_refused(hostile):
    assert "Lambda layer" in hostile.feedback("lambda_model_folder")["trained_model"]


def test_a_model_file_cannot_import_the_learners_own_package(hostile):
    feedback = hostile.feedback("forged_module_model")["trained_model"]
    assert "asks for module `keras_hub`" in feedback, feedback
    assert "from the submission ran" not in feedback


def test_pickles_are_never_loaded(hostile):
    assert not hostile.canary.exists(), "something unpickled the learner's payload"
    feedback = hostile.feedback("pickle_into_reply_pipe")["class_wise_metrics"]
    assert hostile.rows["pickle_into_reply_pipe"]["class_wise_metrics"] == "10" or "not plain data" in feedback
    folder = hostile.out / "learners" / "pickle_into_reply_pipe"
    assert json.loads((folder / "results.json").read_text())["score"] in (60, 70)


def test_crafted_replies_are_refused_as_not_plain_data(hostile):
    feedback = hostile.feedback("crafted_replies_in_probes")
    for exercise in ("conv_block", "fcn8_decoder", "class_wise_metrics"):
        assert "sent something that is not plain data" in feedback[exercise], feedback


def test_forged_worker_messages_are_shown_as_text(hostile):
    problems = hostile.load_problems("forge_worker_replies")
    assert all(isinstance(p, str) for p in problems) and "<script>alert(1)</script>" in problems
    assert "<script>alert(1)" not in (hostile.out / "learners" / "forge_worker_replies" / "report.html").read_text()
    line_event = hostile.load_problems("forge_line_event_at_import")
    assert len(line_event) == 1 and "exit code 3" in line_event[0] and "skipped" in line_event[0], line_event


def test_a_string_utf8_cannot_hold_is_written_as_its_escape(hostile):
    folder = hostile.out / "learners" / "lone_surrogate_in_metrics"
    report = (folder / "report.html").read_text(encoding="utf-8")
    assert "bad \\ud800 block" in report
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert any("bad \ud800 block" in test.get("output", "") for test in results["tests"])
    assert (hostile.out / "gradebook.csv").exists() and (hostile.out / "summary.html").exists()


def test_the_next_learner_finds_nothing_of_the_previous_one(hostile):
    """Whichever station graded the planter, the victim's imports find no planted module."""
    problems = hostile.load_problems("victim_imports_colab_modules")
    assert all("cannot be imported here" in p for p in problems), problems  # and no planted file seen


def conv_block_lines() -> list[str]:
    """The non-trivial lines of the reference conv_block's body: no comment, no docstring, no
    line shorter than 12 characters (`x = input`)."""
    import ast

    source = (ROOT / "solutions" / "c3w3_segmentation.py").read_text()
    (node,) = [n for n in ast.parse(source).body if getattr(n, "name", "") == "conv_block"]
    lines = source.splitlines()[node.body[1].lineno - 1:node.end_lineno]  # after the docstring
    return [line.strip() for line in lines if len(line.strip()) >= 12 and not line.strip().startswith("#")]


def _readings(data: bytes) -> list[str]:
    """A file's text as written, with HTML entities and JSON escapes undone, spacing collapsed."""
    import html

    text = data.decode("utf-8", errors="replace")
    readings = [text, html.unescape(text), text.replace('\\"', '"'), html.unescape(text).replace('\\"', '"')]
    return readings + [re.sub(r"\s+", "", r) for r in readings]


def test_no_line_of_the_reference_conv_block_reaches_any_output(hostile):
    """The FCN8 of capture_reference_conv_block tried every route to the stand-in's source and
    wrote what it got into notes, layer names, an error message and its last printed lines."""
    lines = conv_block_lines()
    assert len(lines) >= 4, lines
    files = [path for path in hostile.out.rglob("*") if path.is_file()]
    assert any(path.name == "report.html" for path in files) and (hostile.out / "gradebook.csv") in files
    for path in files:
        for reading in _readings(path.read_bytes()):
            for line in lines:
                assert line not in reading and re.sub(r"\s+", "", line) not in reading, (path, line)
    learner = hostile.record("capture_reference_conv_block")["result"]["exercises"]
    notes = " ".join(note for e in learner for note in e["notes"])
    assert "LOAD_" in notes or "withheld" in notes, notes[:2000]  # the attack ran and reported
    feedback = hostile.feedback("capture_reference_conv_block")
    assert "raised RuntimeError" in feedback["fcn8_decoder"], feedback["fcn8_decoder"]
    assert "exit code 3" in feedback["compile_model"], feedback["compile_model"]


def untrained_score(folder: Path) -> str:
    """The mean digit IoU x100 of the corpus' untrained model on the hidden set, computed here
    and written as the feedback writes it."""
    import keras
    import numpy as np

    from graders.data import m2nist
    from graders.suites import c3w3

    model = keras.models.load_model(corpus.untrained_model(folder / "untrained.keras"))
    images, labels = m2nist.load_split("hidden")
    predictions = np.asarray(model.predict(c3w3._preprocess(images), batch_size=50, verbose=0)).argmax(-1)
    iou, _ = c3w3.class_wise_scores(labels, predictions.astype(np.uint8))
    return f"{iou[:10].mean() * 100:.1f}"


def test_a_rebuilt_hidden_set_earns_nothing(hostile, tmp_path):
    """The learner's code rebuilt the hidden set by every public route and patched Keras to
    predict it; its untrained model scores exactly what that model scores on the hidden set."""
    problems = " | ".join(hostile.load_problems("rebuild_hidden_set"))
    assert "rebuilt " in problems and "build_split: ValueError" in problems, problems
    said = hostile.feedback("rebuild_hidden_set")["trained_model"]
    measured = re.search(r"mean IoU of the 10 digit classes on 500 hidden images is ([0-9.]+)", said)
    assert measured, said
    assert measured.group(1) == untrained_score(tmp_path), said


def test_non_utf8_and_empty_submissions_say_why(hostile):
    assert "is not UTF-8 text" in hostile.rows["non_utf8"]["reason"]  # refused, not graded 0
    assert hostile.feedback("empty_py")["conv_block"] == "`conv_block` is not defined in your submission"
    rows = hostile.rows
    assert rows["empty_folder"]["reason"].endswith("it is empty")
    assert rows["empty_zip"]["reason"].endswith("it is empty")
    assert "not a readable zip file" in rows["zero_byte_zip"]["reason"]


def test_honest_learners_graded_after_the_hostile_ones_are_untouched(hostile):
    for learner in ("aa_honest_first", "honest_plain", "zz_honest_folder_last"):
        assert hostile.load_problems(learner) == []
        statuses = {e["exercise"]: e["status"] for e in hostile.record(learner)["result"]["exercises"]}
        assert statuses == {**dict.fromkeys(EXERCISES[:5], "passed"), "trained_model": "failed"}
    order = sorted(EXPECTED)
    assert order[0] == "aa_honest_first"
    assert order.index("honest_plain") > order.index("fork_bomb_in_metrics")
    assert order[-1] == "zz_honest_folder_last"


# --- a batch killed midway ------------------------------------------------------------------
RESUME_CORPUS = ["honest_plain", "plant_modules_in_shared_tmp", "stubs_only", "sys_exit_in_decoder",
                 "victim_imports_colab_modules", "zip_with_dotdot", "zz_honest_folder_last"]


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                command = Path(entry.path, "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if text in command:
                found.append(f"{entry.name}: {command[:200]}")
    return found


def test_a_killed_batch_resumes_to_the_same_gradebook(tmp_path):
    submissions = tmp_path / "submissions"
    corpus.write_corpus(submissions, str(tmp_path / "canary"), RESUME_CORPUS)
    whole_out, killed_out = tmp_path / "whole", tmp_path / "killed"
    options = ("--jobs", "1", "--seed", "7")
    logs = tmp_path / "logs"
    logs.mkdir()
    with open(logs / "whole.out", "w") as out, open(logs / "whole.err", "w") as err:
        whole = subprocess.Popen(batch_command(submissions, whole_out, *options), cwd=ROOT, stdout=out, stderr=err)
    with open(logs / "killed.out", "w") as out, open(logs / "killed.err", "w") as err:
        killed = subprocess.Popen(batch_command(submissions, killed_out, *options), cwd=ROOT, stdout=out, stderr=err)
    try:
        deadline = time.monotonic() + 400
        while len(list(killed_out.glob("learners/*/record.json"))) < 2:
            assert killed.poll() is None, (logs / "killed.err").read_text()[-3000:]
            assert time.monotonic() < deadline, "the batch graded fewer than 2 learners in time"
            time.sleep(0.05)
        killed.send_signal(signal.SIGKILL)
        killed.wait()
        graded_before_kill = len(list(killed_out.glob("learners/*/record.json")))
        assert 2 <= graded_before_kill < len(RESUME_CORPUS)
        assert not (killed_out / "gradebook.csv").exists()
        deadline = time.monotonic() + 30  # its sandboxes die with it
        while _processes_mentioning(str(killed_out)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _processes_mentioning(str(killed_out)) == []

        resumed = subprocess.run(batch_command(submissions, killed_out, *options), cwd=ROOT,
                                 capture_output=True, text=True, timeout=600)
        assert resumed.returncode == 0, resumed.stderr[-3000:]
        skipped = re.search(r"(\d+) of (\d+) learners already graded", resumed.stderr)
        assert skipped, resumed.stderr[-3000:]
        assert int(skipped.group(1)) >= graded_before_kill and int(skipped.group(2)) == len(RESUME_CORPUS)
        assert whole.wait(timeout=600) == 0, (logs / "whole.err").read_text()[-3000:]
    finally:
        for process in (whole, killed):
            if process.poll() is None:
                process.kill()
                process.wait()
    assert (killed_out / "gradebook.csv").read_text() == (whole_out / "gradebook.csv").read_text()
    rows = gradebook(whole_out)
    for learner in ("honest_plain", "plant_modules_in_shared_tmp", "victim_imports_colab_modules",
                    "zz_honest_folder_last"):
        assert rows[learner]["total"] == "70", rows[learner]  # the victim follows the planter on one station
    assert rows["stubs_only"]["total"] == "0" and rows["sys_exit_in_decoder"]["total"] == "50"
    assert rows["zip_with_dotdot"]["status"] == "refused"
