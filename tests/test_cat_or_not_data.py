"""The C3W4 data: the cat-or-not set and the five given pictures."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

from graders.data import cat_or_not
from graders.shared.registry import assignment


def test_splits_are_fixed_balanced_and_at_the_course_size():
    images, labels = cat_or_not.load_split("dev", 8)
    again, same_labels = cat_or_not.load_split("dev", 8)
    assert images.shape == (8, 300, 300, 3) and images.dtype == np.uint8
    assert np.array_equal(images, again) and np.array_equal(labels, same_labels)
    train_labels = cat_or_not.labels_of(cat_or_not.recipes("train"))
    assert 0.4 < np.mean(train_labels == 0) < 0.6
    assert set(np.unique(train_labels)) == {0, 1}


def test_the_label_says_whether_the_pasted_object_is_the_cat():
    rows = cat_or_not.recipes("dev")
    objects = [cat_or_not.OBJECTS[int(row[1])] for row in rows]
    assert [int(obj != cat_or_not.CAT) for obj in objects] == cat_or_not.labels_of(rows).tolist()


def test_the_hidden_split_is_a_file_the_sandbox_hides():
    hidden = cat_or_not.recipes("hidden")
    assert len(hidden) == 64 and 0.3 < np.mean(cat_or_not.labels_of(hidden) == 0) < 0.7
    relative = str(cat_or_not.HIDDEN_FILE.relative_to(cat_or_not.FIXTURES.parent))
    assert relative in assignment("c3w4").hidden_data


def test_the_committed_pictures_are_the_rendered_ones():
    for name in cat_or_not.PICTURES:
        with Image.open(io.BytesIO(cat_or_not.picture_bytes(name))) as stored:
            decoded = np.asarray(stored.convert("RGB"), dtype=np.int64)
        rendered = cat_or_not.render_picture(name).astype(np.int64)
        assert decoded.shape == rendered.shape and decoded.shape[:2] != (300, 300), name
        assert np.mean(np.abs(decoded - rendered)) < 3, name  # a JPEG of quality 95
