"""Properties of the grading path itself: whatever seed a batch draws, the cases a probe draws
from it tell every known mistake from the solution.

A probe's inputs come from the run's seed (a batch's is secret), so a seed that drew degenerate
cases (no absent class, a batch size that divides every length, a black image where nothing
speaks) would let a wrong function pass. Each property draws seeds with hypothesis, observes the
solution and each known mutant of that exercise with exactly the parameters grading uses
(`Exercise.probe_params(seed)`, the stand-ins included) and judges them as grading does.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.control.session import WorkerSession
from graders.judge.judging import judge
from graders.judge.references import reference_code
from graders.shared.registry import assignment
from graders.submissions.loading import load_submission
from tests import test_c3w1_mutants, test_c3w2_l2, test_c3w3_mutants, test_c3w4_labs, test_c3w4_mutants
from tests.grading_helpers import SOLUTIONS, mutate, solution_source, write_submission

seeds = st.integers(0, 2**63 - 1)


def _edits(parameters, exercise_id: str, lab: str | None = None) -> list[tuple[str, tuple]]:
    """(id, edits) of the known mutants of one exercise, from the mutant tests' own tables."""
    found = []
    for parameter in parameters:
        values = parameter.values
        if lab is not None:
            if values[0] != lab:
                continue
            values = values[1:]
        exercise, edits = values[0], values[1]
        base = values[4] if len(values) > 4 else None  # an alternative course template
        if exercise == exercise_id and base is None:
            found.append((parameter.id, edits))
    return found


class Observer:
    """A worker per submission (the solution and each mutant), probing as grading does."""

    def __init__(self, assignment_id: str, exercise_id: str, mutants, tmp_path):
        self.suite = assignment(assignment_id)
        self.exercise = self.suite.exercise(exercise_id)
        self.sessions = {"solution": WorkerSession(assignment_id, load_submission(SOLUTIONS, self.suite))}
        for index, (name, edits) in enumerate(mutants):
            code = solution_source(self.suite.module)
            for old, new in edits:
                code = mutate(code, old, new)
            path = write_submission(tmp_path / f"mutant{index}", code, self.suite.module)
            self.sessions[name] = WorkerSession(assignment_id, load_submission(path, self.suite))

    def observe(self, name: str, seed: int) -> dict:
        exercise = self.exercise
        return self.sessions[name].probe(exercise.id, exercise.probe_params(seed),
                                         reference_code(self.suite, exercise.stand_ins),
                                         exercise.functions, exercise.stand_ins)

    def close(self) -> None:
        for session in self.sessions.values():
            session.close()


def _observer(request, tmp_path_factory, assignment_id, exercise_id, mutants):
    observer = Observer(assignment_id, exercise_id, mutants, tmp_path_factory.mktemp(exercise_id))
    request.addfinalizer(observer.close)
    return observer


def _assert_every_mutant_fails(observer: Observer, seed: int) -> None:
    solution = observer.observe("solution", seed)
    assert solution["status"] == "ok", solution
    verdict, _ = judge(observer.exercise, solution, solution)
    assert verdict.score == 1, verdict.message
    for name in observer.sessions:
        if name == "solution":
            continue
        verdict, status = judge(observer.exercise, observer.observe(name, seed), solution)
        assert verdict.score < 1, f"seed {seed}: mutant {name} passed: {verdict.message}"
        assert "observation its probe never makes" not in verdict.message, (name, verdict.message)


def grading_path(examples: int):
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def class_wise_metrics(request, tmp_path_factory):
    return _observer(request, tmp_path_factory, "c3w3", "class_wise_metrics",
                     _edits(test_c3w3_mutants.MUTANTS, "class_wise_metrics"))


@grading_path(25)
@given(seeds)
def test_class_wise_metrics_cases_catch_every_known_mistake(class_wise_metrics, seed):
    assert len(class_wise_metrics.sessions) >= 5  # smoothing, union, Dice, classes, order
    _assert_every_mutant_fails(class_wise_metrics, seed)


@pytest.fixture(scope="module")
def compute_steps(request, tmp_path_factory):
    return _observer(request, tmp_path_factory, "c3w1", "compute_steps",
                     _edits(test_c3w1_mutants.MUTANTS, "compute_steps"))


@grading_path(25)
@given(seeds)
def test_compute_steps_cases_catch_every_known_mistake(compute_steps, seed):
    assert len(compute_steps.sessions) >= 4  # floor division, order, one too many
    _assert_every_mutant_fails(compute_steps, seed)


@pytest.fixture(scope="module")
def intersection_over_union(request, tmp_path_factory):
    return _observer(request, tmp_path_factory, "c3w1", "intersection_over_union",
                     _edits(test_c3w1_mutants.MUTANTS, "intersection_over_union"))


@grading_path(25)
@given(seeds)
def test_iou_cases_catch_every_known_mistake(intersection_over_union, seed):
    assert len(intersection_over_union.sessions) >= 5  # clipping, smoothing, box order, union
    _assert_every_mutant_fails(intersection_over_union, seed)


@pytest.fixture(scope="module")
def do_salience(request, tmp_path_factory):
    return _observer(request, tmp_path_factory, "c3w4", "do_salience",
                     _edits(test_c3w4_mutants.MUTANTS, "do_salience"))


@grading_path(3)
@given(seeds)
def test_do_salience_cases_catch_every_known_mistake(do_salience, seed):
    """Three seeds: each makes five maps and the eight mistakes' maps per submission."""
    assert len(do_salience.sessions) >= 9
    _assert_every_mutant_fails(do_salience, seed)


@pytest.fixture(scope="module")
def grad_cam(request, tmp_path_factory):
    return _observer(request, tmp_path_factory, "c3w4_l4", "grad_cam",
                     _edits(test_c3w4_labs.MUTANTS, "grad_cam", lab="c3w4_l4"))


@grading_path(4)
@given(seeds)
def test_grad_cam_cases_catch_every_known_mistake(grad_cam, seed):
    """Four seeds: each builds a seeded network and 40 heat maps per submission."""
    assert len(grad_cam.sessions) >= 8
    _assert_every_mutant_fails(grad_cam, seed)


@pytest.fixture(scope="module")
def cats_vs_dogs_cam(request, tmp_path_factory):
    return _observer(request, tmp_path_factory, "c3w4_l2", "class_activation_map",
                     _edits(test_c3w4_labs.MUTANTS, "class_activation_map", lab="c3w4_l2"))


@grading_path(4)
@given(seeds)
def test_cats_vs_dogs_cam_cases_catch_every_known_mistake(cats_vs_dogs_cam, seed):
    """Four seeds: each draws the 37x37x128 features and the unit's weights the maps are made of."""
    assert len(cats_vs_dogs_cam.sessions) >= 8  # orders 0, 1, 3, 300 // 37, no zoom, the kernel, rescaled, relu
    _assert_every_mutant_fails(cats_vs_dogs_cam, seed)


@pytest.fixture(scope="module")
def augmentimages(request, tmp_path_factory):
    return _observer(request, tmp_path_factory, "c3w4_l2", "augmentimages",
                     _edits(test_c3w4_labs.MUTANTS, "augmentimages", lab="c3w4_l2"))


@grading_path(10)
@given(seeds)
def test_augmentimages_cases_catch_every_known_mistake(augmentimages, seed):
    """The seed picks where the pictures are cut from; every mistake shows whichever it picks
    (antialias only in the pictures made smaller, which every draw holds)."""
    assert len(augmentimages.sessions) >= 7  # unscaled, [-1, 1], 150x150, nearest, antialias, one-hot label
    _assert_every_mutant_fails(augmentimages, seed)


@pytest.fixture(scope="module")
def drawn_box(request, tmp_path_factory):
    return _observer(request, tmp_path_factory, "c3w2_l2", "draw_bounding_box_on_image",
                     _edits(test_c3w2_l2.MUTANTS, "draw_bounding_box_on_image", lab="c3w2_l2"))


@grading_path(10)
@given(seeds)
def test_drawn_box_cases_catch_every_known_mistake(drawn_box, seed):
    """The seed draws the canvases, boxes, thicknesses and labels: a box near the top always
    leaves no room for its label, the canvases are never square, two thicknesses are not 4."""
    assert len(drawn_box.sessions) >= 10
    _assert_every_mutant_fails(drawn_box, seed)


@pytest.fixture(scope="module")
def drawn_boxes(request, tmp_path_factory):
    return _observer(request, tmp_path_factory, "c3w2_l2", "draw_boxes",
                     _edits(test_c3w2_l2.MUTANTS, "draw_boxes", lab="c3w2_l2"))


@grading_path(10)
@given(seeds)
def test_drawn_boxes_cases_catch_every_known_mistake(drawn_boxes, seed):
    """Whatever the seed, some box scores too little, one exactly min_score, some lie past
    max_boxes with a good score, and two boxes of one class are drawn."""
    assert len(drawn_boxes.sessions) >= 10
    _assert_every_mutant_fails(drawn_boxes, seed)
