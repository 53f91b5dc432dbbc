"""No hidden set can be rebuilt from what a learner's code can see.

Every suite with hidden data (C3W1, C3W3, C3W4) is attacked the same way: learner code calls
every public function of the suite's data module with the hidden split in every way the
signatures allow and reports a digest of every array shaped like the hidden labels. The trusted
side compares those digests with the true hidden labels. It runs inside a real sandboxed batch
worker (bubblewrap) and, without the sandbox, in this process with the hidden file moved away.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

from graders.control.sandbox import bubblewrap_works
from graders.shared.registry import assignment

# suite -> its data module, whose load_split("hidden") gives (images, labels) on the trusted side
SUITES = {
    "c3w1": "graders.data.localization",
    "c3w3": "graders.data.m2nist",
    "c3w4": "graders.data.cat_or_not",
}

# What the learner's code runs: kept as source so the sandboxed worker and this process run the
# very same attack. `rebuild_attempts(module, shape)` -> digests of what came out.
ATTACK = '''
import hashlib as _hashlib
import importlib as _importlib
import inspect as _inspect

import numpy as _np


def label_digest(array):
    """The same 16 hex digits for the same label values, whatever their dtype."""
    array = _np.asarray(array)
    return _hashlib.sha256(repr(array.shape).encode() + array.astype(_np.float64).tobytes()).hexdigest()[:16]


def _arrays(value):
    if isinstance(value, _np.ndarray):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _arrays(item)


def rebuild_attempts(module_name, shape):
    """Call every public function of the data module with the hidden split; digest what is shaped
    like the hidden labels."""
    module = _importlib.import_module(module_name)
    calls = [(("hidden",), {}), ((), {"name": "hidden"}), ((), {"split": "hidden"}),
             (("hidden",), {"force": True}), (("hidden", None), {}), (("hidden", None, None, True), {})]
    found = set()
    for name, function in sorted(vars(module).items()):
        if name.startswith("_") or not _inspect.isfunction(function) or function.__module__ != module_name:
            continue
        for args, kwargs in calls:
            try:
                result = function(*args, **kwargs)
            except BaseException:  # noqa: BLE001 - a refusal
                continue
            found.update(label_digest(a) for a in _arrays(result) if a.shape == tuple(shape))
    return sorted(found)
'''


def _attack_namespace() -> dict:
    namespace: dict = {}
    exec(compile(ATTACK, "attack", "exec"), namespace)
    return namespace


def hidden_labels(suite: str) -> np.ndarray:
    """The true hidden labels of a suite, read from its file (trusted side)."""
    module = importlib.import_module(SUITES[suite])
    return module.load_split("hidden")[1]


def true_digest(suite: str) -> str:
    return _attack_namespace()["label_digest"](hidden_labels(suite))


def test_the_attack_would_see_the_labels_when_they_can_be_had(tmp_path, monkeypatch):
    """With the hidden file readable (the trusted side's view) the attack reports the true labels:
    the tests below fail for the right reason when a hidden set becomes rebuildable."""
    monkeypatch.chdir(tmp_path)  # write_pictures("hidden") writes a folder named hidden here
    attack = _attack_namespace()
    for suite, module in SUITES.items():
        labels = hidden_labels(suite)
        assert true_digest(suite) in attack["rebuild_attempts"](module, labels.shape), suite


@pytest.mark.parametrize("suite", sorted(SUITES))
def test_no_public_builder_rebuilds_the_hidden_labels_without_the_file(suite, tmp_path, monkeypatch):
    """The hidden file moved away (worse than the sandbox's empty file): nothing reproduces it."""
    labels = hidden_labels(suite)
    expected = true_digest(suite)
    module = importlib.import_module(SUITES[suite])
    monkeypatch.chdir(tmp_path)  # what a careless call writes lands here
    if hasattr(module, "HIDDEN_FILE"):
        monkeypatch.setattr(module, "HIDDEN_FILE", tmp_path / "absent" / "hidden.npz")
    if hasattr(module, "FIXTURE_DIR"):
        monkeypatch.setattr(module, "FIXTURE_DIR", tmp_path / "absent")
        monkeypatch.setattr(module, "BUILD_DIR", tmp_path / "build")
        monkeypatch.setitem(module.SPLIT_SIZES, "train", 5)
    if hasattr(module, "PICTURES_DIR"):
        monkeypatch.setattr(module, "PICTURES_DIR", tmp_path / "pictures")
    assert expected not in _attack_namespace()["rebuild_attempts"](SUITES[suite], labels.shape)
    assert assignment(suite).hidden_data, "the suite declares its hidden file, so the sandbox covers it"


def _attacker_submission(suite: str) -> str:
    """Learner code that runs the attack at import and reports each digest as a load problem."""
    shape = tuple(hidden_labels(suite).shape)
    lines = [ATTACK, f"FOUND = rebuild_attempts({SUITES[suite]!r}, {shape!r})"]
    for index in range(8):  # one statement per digest: each raise is one load problem
        lines.append(f"if len(FOUND) > {index}:\n    raise RuntimeError('rebuilt ' + FOUND[{index}])")
    lines.append("raise RuntimeError(f'attack done: {len(FOUND)} candidates')")
    return "\n\n".join(lines) + "\n"


@pytest.mark.skipif(bubblewrap_works() is not None, reason="needs the bubblewrap sandbox")
def test_no_hidden_set_is_rebuilt_inside_a_sandboxed_worker(tmp_path):
    """The attack at import, in a batch station's sandboxed worker, for every suite."""
    from graders.control.grading import Grader
    from graders.frontends.batch.intake import Entry, stage
    from graders.frontends.batch.runner import hidden_paths_on_this_machine
    from graders.frontends.batch.station import Station, _open_to_workers
    from graders.shared.limits import Limits

    station = Station(0, tmp_path / "stations", "bubblewrap",
                      hidden_paths_on_this_machine([tmp_path]), Limits(probe_seconds=60, load_seconds=120))
    try:
        server = station.ensure_server()
        server.wait_ready()
        for suite in sorted(SUITES):
            suite_assignment = assignment(suite)
            source = tmp_path / "submissions" / suite / "attacker.py"
            source.parent.mkdir(parents=True)
            source.write_text(_attacker_submission(suite))
            station._clear_stage()
            staged = stage(Entry("attacker", (source,), "py"), suite_assignment, station.stage_dir / "learner")
            _open_to_workers(station.stage_dir)
            grader = Grader(suite_assignment, staged, station.limits, references=None,
                            isolate_model_files=True, launch=server, path_map=station.sandbox.path_in_sandbox)
            try:
                grader.grade(suite_assignment.exercises[0].id)  # a missing function: only the load matters
            finally:
                grader.close()
            problems = grader.result.load_problems
            assert any("attack done" in p for p in problems), (suite, problems)  # the attack ran to its end
            rebuilt = [p for p in problems if "rebuilt " in p]
            assert not any(true_digest(suite) in p for p in rebuilt), (suite, rebuilt)
    finally:
        station.close()


def test_the_old_public_seed_of_the_c3w3_hidden_split_is_no_way_in():
    """The seed the hidden split used to be built from (3303) now gives a set unrelated to it."""
    from graders.data import m2nist

    labels = hidden_labels("c3w3")
    old = m2nist.build_split("hidden", seed=3303)[1]
    assert old.shape == labels.shape and not np.array_equal(old, labels)
    assert (old == labels).mean() < 0.99  # not a near copy either (background is ~95% of pixels)
