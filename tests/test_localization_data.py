"""The C3W1 localization set: deterministic, in the course's format, hidden split hidden, and the
real Caltech Birds 2010 read from a TensorFlow Datasets layout."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graders.data import localization
from graders.suites import c3w1


def test_splits_are_in_the_course_format():
    images, boxes = localization.load_split("dev")
    assert images.shape == (localization.DEV_SIZE, 224, 224, 3) and images.dtype == np.uint8
    assert boxes.shape == (localization.DEV_SIZE, 4) and boxes.dtype == np.float32
    assert np.all((boxes >= 0) & (boxes <= 1))
    assert np.all(boxes[:, 2] > boxes[:, 0]) and np.all(boxes[:, 3] > boxes[:, 1])
    scaled = localization.preprocess(images)
    assert scaled.min() >= -1 and scaled.max() <= 1


def test_training_and_dev_are_reproducible_and_differ():
    first, second = localization.load_split("train", 8), localization.load_split("train", 8)
    assert np.array_equal(first[0], second[0]) and np.array_equal(first[1], second[1])
    assert not np.array_equal(localization.load_split("dev", 8)[1], first[1])


def test_hidden_split_is_stored_as_recipes_and_declared_hidden():
    images, boxes = localization.load_split("hidden")
    assert len(images) == len(boxes) >= 40
    assert "fixtures/c3w1/localization_hidden.npz" in c3w1.ASSIGNMENT.hidden_data
    assert localization.HIDDEN_FILE.stat().st_size < 20_000


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_the_pasted_object_lies_exactly_inside_its_box(seed):
    recipe = localization.draw_recipes(1, np.random.default_rng(seed))[0]
    image, box = localization.render(recipe)
    xmin, ymin, xmax, ymax = np.round(box * localization.SIZE).astype(int)
    thing = localization.photograph(localization.OBJECTS[int(recipe[1])])
    assert 0 <= xmin < xmax <= 224 and 0 <= ymin < ymax <= 224
    # The paste's mean colour is the object's, not the background's.
    assert np.allclose(image[ymin:ymax, xmin:xmax].mean(axis=(0, 1)), thing.mean(axis=(0, 1)), atol=12)


def _tfds_record(tf, image: np.ndarray, ymin_xmin_ymax_xmax) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="JPEG", quality=95)
    feature = {
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[buffer.getvalue()])),
        "bbox": tf.train.Feature(float_list=tf.train.FloatList(value=list(ymin_xmin_ymax_xmax))),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[3])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def test_caltech_birds_are_read_from_a_tfds_copy(tmp_path):
    tf = pytest.importorskip("tensorflow")
    folder = tmp_path / "caltech_birds2010" / "0.1.1"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    pictures = [rng.integers(0, 255, (300, 400, 3), dtype=np.uint8) for _ in range(3)]
    boxes = [(0.1, 0.2, 0.6, 0.9), (0.0, 0.0, 1.0, 1.0), (0.3, 0.25, 0.5, 0.75)]
    with tf.io.TFRecordWriter(str(folder / "caltech_birds2010-train.tfrecord-00000-of-00001")) as writer:
        for picture, box in zip(pictures, boxes):
            writer.write(_tfds_record(tf, picture, box))
    images, read = localization.load_caltech_birds(tmp_path, "train")
    assert images.shape == (3, 224, 224, 3) and images.dtype == np.uint8
    # TFDS stores (ymin, xmin, ymax, xmax); the course's order is (xmin, ymin, xmax, ymax).
    assert np.allclose(read, [(0.2, 0.1, 0.9, 0.6), (0.0, 0.0, 1.0, 1.0), (0.25, 0.3, 0.75, 0.5)])
    with pytest.raises(FileNotFoundError, match="no test TFRecord"):
        localization.load_caltech_birds(tmp_path, "test")
