"""The C3W2 data (graders.data.detection) and the detection API's drawing, label maps and Colab stand-in."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from graders.data import detection


def test_training_images_are_the_committed_files_byte_for_byte(tmp_path):
    written = detection.write_training(tmp_path)
    for path in written:
        committed = detection.TRAINING_DIR / path.name
        assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(committed.read_bytes()).digest(), path.name
    images, boxes = detection.training_images()
    assert len(images) == 5 and all(image.shape == (640, 853, 3) and image.dtype == np.uint8 for image in images)
    assert boxes.shape == (5, 4) and boxes.dtype == np.float32


def test_boxes_are_the_pasted_figure_exactly():
    images, boxes = detection.training_images()
    assert np.all((boxes >= 0) & (boxes <= 1)) and np.all(boxes[:, 2] > boxes[:, 0]) and np.all(boxes[:, 3] > boxes[:, 1])
    # the figure is what differs from the plain background, and it lies inside its box, touching every side
    row = detection.TRAINING_RECIPES[0]
    background = np.asarray(detection._background(detection.TRAINING_BACKGROUNDS[int(row[0])], tuple(row[1:4]),
                                                  (detection.FRAME_WIDTH, detection.FRAME_HEIGHT), bool(row[4])))
    changed = np.any(images[0] != background, axis=-1)
    ys, xs = np.nonzero(changed)
    pixel_box = np.array([ys.min() / 640, xs.min() / 853, (ys.max() + 1) / 640, (xs.max() + 1) / 853])
    np.testing.assert_allclose(pixel_box, boxes[0], atol=1e-6)


def test_test_frames_are_deterministic_and_walk():
    recipes = detection.test_recipes()
    assert len(recipes) == detection.NUM_TEST_FRAMES == 237
    (_, first, box), = detection.test_frames([5])
    (_, again, box_again), = detection.test_frames([5])
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(box, box_again)
    assert first.shape == (640, 853, 3)
    boxes = np.stack([b for _, _, b in detection.test_frames([0, 118, 236])])
    assert np.all(np.diff(boxes[:, 2] - boxes[:, 0]) > 0)  # it comes closer
    assert detection.test_frame_name(7) == "zombie-walk0007.jpg"


def test_committed_public_truth_is_rebuilt_byte_for_byte(tmp_path):
    boxes = detection.test_boxes()
    np.testing.assert_array_equal(boxes, detection.stored_test_boxes())
    rebuilt = detection.save_npz(tmp_path / "boxes.npz", boxes=boxes)
    assert rebuilt.read_bytes() == detection.TEST_TRUTH_FILE.read_bytes()
    assert boxes.shape == (237, 4) and np.all((boxes >= 0) & (boxes <= 1))


def test_hidden_frames_come_from_the_file_only():
    with np.load(detection.HIDDEN_FILE, allow_pickle=False) as stored:
        recipes, boxes = stored["recipes"], stored["boxes"]
    assert len(recipes) == len(boxes) >= 32
    index, frame, box = next(detection.hidden_frames())
    assert frame.shape == (640, 853, 3)
    np.testing.assert_allclose(detection.render_frame(recipes[0], detection.HIDDEN_BACKGROUNDS)[1], boxes[0])
    # nothing public draws them: a seeded draw is not the stored one
    assert not np.allclose(detection.draw_hidden_recipes(len(recipes), np.random.default_rng(0)), recipes)


def test_pretraining_samples_are_rebuilt_from_their_index():
    image, boxes, labels = detection.pretraining_sample(3)
    again = detection.pretraining_sample(3)
    np.testing.assert_array_equal(image, again[0])
    np.testing.assert_array_equal(boxes, again[1])
    assert image.shape == (240, 320, 3) and 1 <= len(boxes) <= 3 and len(labels) == len(boxes)
    assert set(np.concatenate([detection.pretraining_sample(i)[2] for i in range(40)])) == set(range(6))
    assert not np.array_equal(detection.pretraining_sample(3, "pretrain_dev")[0], image)


def test_the_data_module_does_not_import_tensorflow():
    code = "import sys, graders.data.detection as d; d.pretraining_sample(0); print('tensorflow' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


# --- drawing, label maps, Colab ------------------------------------------------------------------
def test_visualize_draws_boxes_above_the_threshold_in_place():
    from object_detection.utils import visualization_utils as viz_utils

    image = np.zeros((100, 200, 3), np.uint8)
    result = viz_utils.visualize_boxes_and_labels_on_image_array(
        image, np.array([[0.5, 0.25, 0.9, 0.75], [0.1, 0.1, 0.2, 0.2]]), np.array([1, 1]), np.array([0.95, 0.2]),
        {1: {"id": 1, "name": "zombie"}}, use_normalized_coordinates=True, max_boxes_to_draw=200,
        min_score_thresh=0.3)
    assert result is image
    assert image[50:91, 50, :].any() and image[70, 50:151].any()  # the kept box's edges and label
    assert not image[12:19, 12:19].any()  # the box under the threshold is not drawn
    assert not image[75, 100].any()  # the inside of a box stays untouched


def test_label_maps(tmp_path):
    from object_detection.utils import label_map_util

    path = tmp_path / "map.pbtxt"
    path.write_text("item {\n  id: 1\n  name: 'zombie'\n}\nitem { id: 2 name: 'duck' display_name: 'Rubber ducky' }\n")
    index = label_map_util.create_category_index_from_labelmap(str(path), use_display_name=True)
    assert index == {1: {"id": 1, "name": "zombie"}, 2: {"id": 2, "name": "Rubber ducky"}}
    assert label_map_util.create_category_index([{"id": 1, "name": "zombie"}]) == {1: {"id": 1, "name": "zombie"}}


def test_colab_annotate_says_what_to_do():
    from object_detection.utils import colab_utils

    with pytest.raises(RuntimeError, match="ref_gt_boxes"):
        colab_utils.annotate([np.zeros((4, 4, 3), np.uint8)], box_storage_pointer=[])


def test_the_course_imports():
    import object_detection
    from object_detection.builders import model_builder  # noqa: F401
    from object_detection.utils import colab_utils, config_util, label_map_util  # noqa: F401
    from object_detection.utils import visualization_utils as viz_utils  # noqa: F401

    assert object_detection.__file__.endswith("exercises/object_detection/__init__.py")
