"""Properties of Grad-CAM heat maps on the grading path: for any seed (the network's weights),
the maps of every class of every case have the layer's size brought to the image's, lie in [0, 1]
and are normalised by their maximum; a picture with something in it has some non-zero map, the
black image none. Each property is shown to fail on a mutant."""

from __future__ import annotations

import numpy as np
import pytest
from grading_helpers import SOLUTIONS, mutate, solution_source, write_submission
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.control.session import WorkerSession
from graders.judge.references import reference_code
from graders.shared.registry import assignment
from graders.submissions.loading import load_submission
from graders.suites.c3w4_l4 import CASES, CLASSES, IMAGE_SHAPE
from tests.test_c3w4_labs import L4_CAM, L4_GUARD

SUITE = assignment("c3w4_l4")
EXERCISE = SUITE.exercise("grad_cam")


def _session(path) -> WorkerSession:
    return WorkerSession("c3w4_l4", load_submission(path, SUITE))


@pytest.fixture(scope="module")
def solution():
    session = _session(SOLUTIONS)
    yield session
    session.close()


def _observe(session: WorkerSession, seed: int) -> dict:
    observation = session.probe(EXERCISE.id, EXERCISE.probe_params(seed), reference_code(SUITE, EXERCISE.stand_ins),
                                EXERCISE.functions, EXERCISE.stand_ins)
    assert observation["status"] == "ok", observation
    return observation


def maps_sized_and_normalised(observation: dict) -> bool:
    for case in observation["cases"]:
        heat = np.asarray(case["maps"])
        if heat.shape != (CLASSES,) + IMAGE_SHAPE[:2] or not np.all(np.isfinite(heat)):
            return False
        if heat.min() < 0 or heat.max() > 1 + 1e-6:
            return False
        if not all(np.isclose(one.max(), 1, atol=1e-5) or one.max() == 0 for one in heat):
            return False
    return True


def evidence_where_there_is_something(observation: dict) -> bool:
    for (name, _), case in zip(CASES, observation["cases"]):
        peaks = np.asarray(case["maps"]).reshape(CLASSES, -1).max(axis=1)
        if (name is None) != bool(np.all(peaks == 0)):  # only the black image has no evidence
            return False
    return True


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**63 - 1))
def test_every_heat_map_is_sized_normalised_and_has_evidence_where_the_picture_has_something(solution, seed):
    observation = _observe(solution, seed)
    assert maps_sized_and_normalised(observation)
    assert evidence_where_there_is_something(observation)


@pytest.mark.parametrize("edit, holds", [
    ((L4_GUARD, ""), maps_sized_and_normalised),  # not divided by its maximum
    ((L4_CAM, "cam = -tf.nn.relu(tf.reduce_sum(weights * activations, axis=-1))"), evidence_where_there_is_something),
], ids=["not-normalised", "evidence-negated"])
def test_each_property_fails_on_a_mutant(tmp_path, edit, holds):
    code = mutate(solution_source(SUITE.module), *edit)
    session = _session(write_submission(tmp_path, code, SUITE.module))
    try:
        assert not holds(_observe(session, 3))
    finally:
        session.close()
