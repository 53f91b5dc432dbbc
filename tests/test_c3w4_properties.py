"""Properties of do_salience's grading path: whatever seed a run draws (a batch's is secret), the
maps the probe reads back are the course's format, and every known mistake stays told apart from
the right map, so the hints can name it. Each property is shown to fail on a mutant."""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import SOLUTIONS, mutate, solution_source, write_submission
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.control.session import WorkerSession
from graders.judge import maps
from graders.shared.registry import assignment
from graders.submissions.loading import load_submission
from graders.suites.c3w4 import MAP_SHAPE, MISTAKES
from tests.test_c3w4_mutants import STRETCH

SUITE = assignment("c3w4")
EXERCISE = SUITE.exercise("do_salience")
seeds = st.integers(0, 2**63 - 1)
grading_path = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _session(path) -> WorkerSession:
    return WorkerSession("c3w4", load_submission(path, SUITE))


@pytest.fixture(scope="module")
def solution():
    session = _session(SOLUTIONS)
    yield session
    session.close()


def _observe(session: WorkerSession, seed: int) -> dict:
    observation = session.probe(EXERCISE.id, EXERCISE.probe_params(seed))
    assert observation["status"] == "ok", observation
    return observation


def maps_in_the_course_format(observation: dict) -> bool:
    made = [np.asarray(one) for one in observation["maps"]]
    return len(made) == len(observation["pictures"]) > 0 and all(
        one.shape == MAP_SHAPE and one.dtype == np.uint8 and one.min() == 0 and one.max() == 255 for one in made)


def mistakes_told_apart(observation: dict) -> bool:
    first = np.asarray(observation["maps"][0])
    return set(observation["mistakes"]) == set(MISTAKES) and not any(
        maps.matches(first, np.asarray(wrong)) for wrong in observation["mistakes"].values())


@grading_path
@given(seeds)
def test_every_map_is_a_300x300_picture_stretched_to_the_full_range(solution, seed):
    assert maps_in_the_course_format(_observe(solution, seed))


@grading_path
@given(seeds)
def test_every_known_mistake_gives_a_map_the_right_one_is_told_apart_from(solution, seed):
    assert mistakes_told_apart(_observe(solution, seed))


def test_the_properties_fail_on_a_map_left_unstretched_and_on_a_mistake_made(solution, tmp_path):
    code = mutate(solution_source(SUITE.module), STRETCH, "stretched = grayscale")
    unstretched = _session(write_submission(tmp_path, code, SUITE.module))
    try:
        assert not maps_in_the_course_format(_observe(unstretched, 5))
    finally:
        unstretched.close()
    observation = _observe(solution, 5)
    observation["mistakes"]["no_abs"] = observation["maps"][0]  # the right map among the wrong ones
    assert not mistakes_told_apart(observation)
