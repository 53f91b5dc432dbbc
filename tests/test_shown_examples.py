"""A learner's report never shows a hidden example: the trained-model checks score the hidden set
and draw their pictures from public dev examples the probe also ran on.

Each check is given a crafted observation of the probe's shape (the scored set's outputs, then the
public dev examples'); what the figures are drawn from is recorded where the pictures module
receives it and held against the hidden inputs and answers, read here from their files. The score,
message and details must not move when only the public part of the observation changes.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from graders.judge import pictures
from graders.shared.registry import assignment
from graders.suites import c3w1, c3w2, c3w2_l4, c3w3, c3w4, common

SHOWN = 24  # public dev examples run beside a hidden set (common.SHOWN_COUNT)


def digest(array) -> str:
    array = np.ascontiguousarray(array)
    return hashlib.sha256(repr((array.shape, array.dtype.str)).encode() + array.tobytes()).hexdigest()


@pytest.fixture
def drawn(monkeypatch) -> dict:
    """What the pictures module is given to draw: images (whole, as the check hands them over), the
    true boxes drawn on them, and label maps."""
    seen = {"images": [], "boxes": [], "maps": []}
    worst_boxes_png, grey_rgb = pictures.worst_boxes_png, pictures.grey_rgb
    resized, label_map_rgb = pictures.resized, pictures.label_map_rgb

    def recording_worst(images, truth, predicted, iou, *args, **kwargs):
        def rendered(indices):
            made = images(indices)
            seen["images"].extend(made)
            seen["boxes"].extend(truth[i] for i in indices)
            return made
        return worst_boxes_png(rendered, truth, predicted, iou, *args, **kwargs)

    def recording_grey(image):
        seen["images"].append(image)
        return grey_rgb(image)

    def recording_resized(image, *args, **kwargs):
        seen["images"].append(image)
        return resized(image, *args, **kwargs)

    def recording_map(label_map, *args, **kwargs):
        seen["maps"].append(label_map)
        return label_map_rgb(label_map, *args, **kwargs)

    monkeypatch.setattr(pictures, "worst_boxes_png", recording_worst)
    monkeypatch.setattr(pictures, "grey_rgb", recording_grey)
    monkeypatch.setattr(pictures, "resized", recording_resized)
    monkeypatch.setattr(pictures, "label_map_rgb", recording_map)
    return seen


def assert_only_public(seen: list, public: np.ndarray, hidden: np.ndarray, least: int = 6) -> list[int]:
    """Every drawn array is one of the public dev examples and none of the hidden ones; their indices."""
    assert len(seen) >= least, f"only {len(seen)} pictures drawn"
    hidden_digests = {digest(item) for item in hidden}
    public_index = {digest(item): index for index, item in enumerate(public)}
    assert not hidden_digests & set(public_index), "the public and hidden sets share an example"
    for item in seen:
        assert digest(item) not in hidden_digests, "a hidden example is drawn"
    indices = [public_index.get(digest(item)) for item in seen]
    assert None not in indices, "a drawn example is not one of the public dev examples"
    return indices


def same_judgement(a, b) -> None:
    assert (a.score, a.message, a.details) == (b.score, b.message, b.details)


def scoring(suite):
    scored = suite._scoring_set()
    assert scored.hidden and assignment(suite.ASSIGNMENT.id).hidden_data_here, "needs the hidden set"
    return scored


# --- the mechanism --------------------------------------------------------------------------------
def test_beside_a_hidden_set_the_probe_also_runs_on_the_first_public_dev_examples():
    from graders.data import localization

    assert common.SHOWN_COUNT == SHOWN
    scored = scoring(c3w1)
    hidden_images, hidden_boxes = localization.load_split("hidden")
    dev_images, dev_boxes = localization.load_split("dev")
    sent = c3w1.trained_model_params()["images"]
    assert scored.probe_count == len(hidden_images) + SHOWN == len(sent)
    np.testing.assert_array_equal(sent[:len(hidden_images)], hidden_images)
    np.testing.assert_array_equal(sent[len(hidden_images):], dev_images[:SHOWN])
    outputs = np.arange(len(sent))
    assert list(scored.scored(outputs)) == list(range(len(hidden_images)))
    assert list(scored.shown(outputs)) == list(range(len(hidden_images), len(sent)))
    np.testing.assert_array_equal(scored.shown_answers, dev_boxes[:SHOWN])
    assert scored.shown_name == "public dev" and "never shown" in scored.shown_note


def test_in_a_learners_copy_the_scored_public_set_is_shown_and_nothing_is_added(monkeypatch):
    from graders.shared.registry import Assignment

    monkeypatch.setattr(Assignment, "hidden_data_here", property(lambda self: False))
    inputs, answers = np.arange(10.0)[:, None], np.arange(10)
    scored = common.scoring_set(c3w1.ASSIGNMENT, lambda: pytest.fail("the hidden set is read"),
                                lambda: (inputs, answers), "images")
    assert scored.probe_inputs is inputs and scored.probe_count == 10
    assert scored.shown_inputs is inputs and scored.shown_answers is answers
    outputs = np.arange(10) * 2
    np.testing.assert_array_equal(scored.shown(outputs), outputs)
    np.testing.assert_array_equal(scored.scored(outputs), outputs)
    assert scored.shown_note == ""


def test_the_pipelines_send_hidden_then_public_dev_frames_and_train_on_neither():
    for suite, data in ((c3w2, "detection"), (c3w2_l4, "ducks")):
        scored = scoring(suite)
        frames = suite.pipeline_params()["frames"]
        assert len(frames) == scored.probe_count == len(scored.inputs) + SHOWN
        np.testing.assert_array_equal(frames[len(scored.inputs):], scored.shown_inputs)
        module = __import__(f"graders.data.{data}", fromlist=["dev_frames"])
        first = next(module.dev_frames())[1]
        np.testing.assert_array_equal(scored.shown_inputs[0], first)
    # fine-tuning takes its batches from the training images, never from the frames it detects
    import inspect

    for probe in (c3w2.probe_pipeline, c3w2_l4.probe_pipeline):
        source = inspect.getsource(probe)
        assert source.index('params["frames"]') > source.index("for _ in range(COURSE_BATCHES)")
        assert source.count('params["frames"]') == 1


# --- C3W1 -----------------------------------------------------------------------------------------
def _c3w1_observation(scored_boxes, shown_boxes):
    return {"boxes": np.concatenate([scored_boxes, shown_boxes]).astype(np.float32), "params": 1000}


def test_c3w1_draws_public_dev_images_and_scores_the_hidden_ones(drawn):
    from graders.data import localization

    scored = scoring(c3w1)
    hidden_images, hidden_boxes = localization.load_split("hidden")
    dev_images, dev_boxes = localization.load_split("dev")
    rng = np.random.default_rng(0)
    guesses = hidden_boxes + rng.normal(0, 0.06, hidden_boxes.shape)  # some found, some not
    wrong = np.tile([0.0, 0.0, 0.1, 0.1], (SHOWN, 1))
    verdict = c3w1.check_trained_model(_c3w1_observation(guesses, wrong), None)
    indices = assert_only_public(drawn["images"], dev_images[:SHOWN], hidden_images)
    np.testing.assert_array_equal(np.stack(drawn["boxes"]), dev_boxes[indices])  # their own true boxes
    (figure,) = verdict.figures
    assert figure.caption.startswith("the 6 public dev images with the lowest IoU") and "never shown" in figure.caption
    # the score is the hidden set's alone: what the public part predicts moves nothing
    share = c3w1.box_score(c3w1.box_iou(guesses.astype(np.float32).astype(np.float64), hidden_boxes))
    assert 0 < share < 1 and verdict.score == pytest.approx(min(1.0, share / c3w1.PASS_SHARE))
    same_judgement(verdict, c3w1.check_trained_model(_c3w1_observation(guesses, dev_boxes[:SHOWN]), None))
    assert f"of the {len(hidden_boxes)} hidden boxes are found" in verdict.message
    assert scored.probe_count == len(hidden_boxes) + SHOWN


def test_c3w1_refuses_an_observation_of_the_scored_set_alone():
    from graders.data import localization

    _, hidden_boxes = localization.load_split("hidden")
    verdict = c3w1.check_trained_model({"boxes": hidden_boxes, "params": 1}, None)
    assert verdict.score == 0 and "expected" in verdict.message and not verdict.figures


# --- C3W3 -----------------------------------------------------------------------------------------
def test_c3w3_draws_public_dev_images_and_scores_the_hidden_ones(drawn):
    from graders.data import m2nist

    scoring(c3w3)
    hidden_images, hidden_labels = m2nist.load_split("hidden")
    dev_images, dev_labels = m2nist.load_split("dev")
    guesses = hidden_labels.copy()
    guesses[::3] = 10  # a third all background
    background = np.full((SHOWN, *hidden_labels.shape[1:]), 10, np.uint8)

    def observation(shown):
        return {"predictions": np.concatenate([guesses, shown]).astype(np.uint8), "params": 1000}

    verdict = c3w3.check_trained_model(observation(background), None)
    indices = assert_only_public(drawn["images"], dev_images[:SHOWN], hidden_images)
    truths = drawn["maps"][0::2]  # each row draws the true map, then the prediction
    np.testing.assert_array_equal(np.stack(truths), dev_labels[indices])
    assert not {digest(m) for m in drawn["maps"]} & {digest(m) for m in hidden_labels}
    captions = [figure.caption for figure in verdict.figures]
    assert captions[0] == "IoU and Dice per class on the hidden set"  # aggregates only
    assert captions[1].startswith("the six public dev images your model gets most wrong") and "never shown" in captions[1]
    iou, _ = c3w3.class_wise_scores(hidden_labels, guesses)
    assert f"is {c3w3.digit_score(iou):.1f}" in verdict.message and "on 500 hidden images" in verdict.message
    same_judgement(verdict, c3w3.check_trained_model(observation(dev_labels[:SHOWN]), None))


# --- C3W4 -----------------------------------------------------------------------------------------
def test_c3w4_draws_public_dev_pictures_and_scores_the_hidden_ones(drawn):
    from graders.data import cat_or_not

    scoring(c3w4)
    hidden_images, hidden_labels = cat_or_not.load_split("hidden")
    dev_images, dev_labels = cat_or_not.load_split("dev")
    right = np.eye(2)[hidden_labels]
    right[::4] = right[::4, ::-1]  # a quarter wrong
    shape = c3w4.trained_model_shape()

    def observation(shown):
        return {"probabilities": np.concatenate([right, shown]).astype(np.float32),
                "maps": shape["maps"], "expected": shape["expected"]}

    verdict = c3w4.check_trained_model(observation(np.full((SHOWN, 2), 0.5)), None)
    assert_only_public(drawn["images"], dev_images[:SHOWN], hidden_images)
    (figure,) = verdict.figures  # no maps submitted: the mistakes alone
    assert figure.caption.startswith("the public dev pictures your model is least sure of") and "never shown" in figure.caption
    accuracy = float(np.mean(np.argmax(right, -1) == hidden_labels))
    assert verdict.score == pytest.approx(0.5 * c3w4.accuracy_score(accuracy))
    assert f"accuracy {accuracy:.0%} on {len(hidden_labels)} hidden pictures" in verdict.message
    same_judgement(verdict, c3w4.check_trained_model(observation(np.eye(2)[dev_labels[:SHOWN]]), None))
    assert c3w4.scored_accuracy(observation(np.eye(2)[1 - dev_labels[:SHOWN]])["probabilities"]) == accuracy


# --- C3W2 and C3W2-L4: the fine-tuning runs --------------------------------------------------------
@pytest.mark.parametrize("suite, data", [(c3w2, "detection"), (c3w2_l4, "ducks")], ids=["c3w2", "c3w2_l4"])
def test_the_pipelines_draw_public_dev_frames_and_score_the_hidden_ones(drawn, suite, data):
    module = __import__(f"graders.data.{data}", fromlist=["hidden_frames"])
    scoring(suite)
    hidden_frames, hidden_boxes = c3w2.stacked(module.hidden_frames())
    dev_frames, dev_boxes = c3w2.stacked(module.dev_frames())
    guesses = hidden_boxes.copy()
    guesses[::3] = [0.0, 0.0, 0.05, 0.05]  # a third missed
    scores = np.where(np.arange(len(guesses)) % 5 == 0, 0.5, 0.95)

    def observation(shown_boxes, shown_scores):
        made = {"boxes": np.concatenate([guesses, shown_boxes]), "scores": np.concatenate([scores, shown_scores]),
                "losses": np.linspace(1.0, 0.1, 100), "train_seconds": 9.0}
        if suite is c3w2:
            made["batch_size"] = 4
        return made

    missed = np.tile([0.0, 0.0, 0.05, 0.05], (SHOWN, 1))
    verdict = suite.check_pipeline(observation(missed, np.zeros(SHOWN)), None)
    half = lambda frames: [frame[::2, ::2] for frame in frames]  # noqa: E731 - the figure's half size
    indices = assert_only_public(drawn["images"], half(dev_frames[:SHOWN]), half(hidden_frames))
    np.testing.assert_array_equal(np.stack(drawn["boxes"])[:, [1, 0, 3, 2]], dev_boxes[indices])
    (figure,) = verdict.figures
    assert figure.caption.startswith("the 6 public dev frames with the lowest IoU") and "never shown" in figure.caption
    iou = c3w2.box_iou(guesses, hidden_boxes)
    right, confident = c3w2.box_share(iou), c3w2.confident_share(scores, iou, suite.SCORE_THRESHOLD)
    assert f"on {len(hidden_boxes)} hidden frames, {right:.0%} of your top boxes are right" in verdict.message
    assert 0 < right < 1 and 0 < confident < right
    marks = c3w2.detection_score(right, confident) if suite is c3w2 else c3w2_l4.pipeline_score(right, confident)
    assert verdict.score == pytest.approx(marks)
    same_judgement(verdict, suite.check_pipeline(observation(dev_boxes[:SHOWN], np.ones(SHOWN)), None))
    assert suite.scored_run(observation(missed, np.zeros(SHOWN)))[0] == pytest.approx(iou)
