"""Tests of the M2NIST-like data builder (graders/data/m2nist.py). No TensorFlow."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from graders.data import m2nist


@pytest.fixture(scope="module")
def dev_build():
    return m2nist.build_split("dev", return_layout=True)


@pytest.fixture(scope="module")
def small_builds():
    """A small build of every split, with layouts (the hidden pool with a test's own seed: the
    hidden split has no public one)."""
    return {name: m2nist.build_split(name, count=120, seed=None if name in m2nist.SPLIT_SEEDS else 31,
                                     return_layout=True) for name in m2nist.SPLITS}


def test_module_does_not_import_tensorflow():
    # In a fresh interpreter: other test files may have imported TensorFlow here.
    code = ("import sys, graders.data.m2nist as m; m.build_split('dev', count=2); "
            "sys.exit('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], cwd=m2nist.REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


def test_split_constants():
    assert m2nist.SPLIT_SIZES == {"train": 4000, "dev": 500, "hidden": 500}
    assert (m2nist.HEIGHT, m2nist.WIDTH, m2nist.NUM_CLASSES, m2nist.BACKGROUND) == (64, 84, 11, 10)


def test_pools_are_disjoint_stratified_and_deterministic():
    pools = m2nist.digit_pools()
    _, classes = m2nist.load_mnist_digits()
    assert {k: v.size for k, v in pools.items()} == {"train": 3000, "dev": 1000, "hidden": 1000}
    union = np.concatenate(list(pools.values()))
    assert np.unique(union).size == 5000  # disjoint and covering all digits
    for name, size in m2nist.POOL_SIZES_PER_CLASS.items():
        assert np.all(np.bincount(classes[pools[name]], minlength=10) == size)
    again = m2nist.digit_pools()
    for name in pools:
        np.testing.assert_array_equal(pools[name], again[name])


@pytest.mark.parametrize("name", m2nist.SPLITS)
def test_build_is_deterministic(name):
    first = m2nist.build_split(name, count=60, seed=7)
    second = m2nist.build_split(name, count=60, seed=7)
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    other = m2nist.build_split(name, count=60, seed=8)
    assert not np.array_equal(first[0], other[0])


def test_splits_only_use_their_own_pool(small_builds):
    pools = m2nist.digit_pools()
    for name, (_, _, layout) in small_builds.items():
        used = layout[..., 0][layout[..., 0] >= 0]
        assert np.isin(used, pools[name]).all(), name
        others = np.concatenate([p for n, p in pools.items() if n != name])
        assert not np.isin(used, others).any(), name


def test_shapes_dtypes_and_ranges(dev_build):
    images, labels, _ = dev_build
    assert images.shape == labels.shape == (500, 64, 84)
    assert images.dtype == labels.dtype == np.uint8
    assert labels.max() <= 10
    assert set(np.unique(labels)) <= set(range(11))
    assert images.max() == 255 and images.min() == 0


def test_every_image_has_one_to_three_digits(small_builds, dev_build):
    for _, labels, layout in list(small_builds.values()) + [dev_build]:
        counts = (layout[..., 0] >= 0).sum(axis=1)
        assert counts.min() >= 1 and counts.max() <= 3
        # Slots are filled from the front.
        assert np.all((layout[:, 1:, 0] >= 0) <= (layout[:, :-1, 0] >= 0))
        # Every placed digit leaves at least one labelled pixel, and no image is empty.
        assert np.all((labels != 10).any(axis=(1, 2)))
    dev_counts = (dev_build[2][..., 0] >= 0).sum(axis=1)
    assert set(np.unique(dev_counts)) == {1, 2, 3}  # all three counts occur


def test_digits_fully_inside_canvas_and_match_layout(small_builds):
    digits, classes = m2nist.load_mnist_digits()
    for images, labels, layout in small_builds.values():
        for i in range(images.shape[0]):
            for k, cls, row, col in layout[i]:
                if k < 0:
                    continue
                assert cls == classes[k]
                assert 0 <= row <= 64 - 28 and 0 <= col <= 84 - 28
                tile = digits[k]
                window = images[i, row:row + 28, col:col + 28]
                # Ink never overlaps, so the composed image shows the digit as is.
                np.testing.assert_array_equal(window[tile > 0], tile[tile > 0])
                lab = labels[i, row:row + 28, col:col + 28]
                assert np.all(lab[tile >= m2nist.INK_THRESHOLD] == cls)


def test_labels_agree_with_ink(small_builds, dev_build):
    for images, labels, _ in list(small_builds.values()) + [dev_build]:
        ink = images >= m2nist.INK_THRESHOLD
        np.testing.assert_array_equal(labels != m2nist.BACKGROUND, ink)


def test_ink_of_digits_never_overlaps(small_builds):
    digits, _ = m2nist.load_mnist_digits()
    for images, _, layout in small_builds.values():
        for i in range(images.shape[0]):
            cover = np.zeros((64, 84), dtype=int)
            for k, _, row, col in layout[i]:
                if k >= 0:
                    cover[row:row + 28, col:col + 28] += digits[k] > 0
            assert cover.max() <= 1


def test_committed_dev_fixture_matches_fresh_build(tmp_path):
    path = m2nist.split_path("dev")
    assert path.is_file(), f"missing fixture {path}; run python -m graders.data.m2nist"
    assert path.stat().st_size < 1_500_000
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["images", "labels"]
        committed = (data["images"], data["labels"])
    fresh = m2nist.build_split("dev")
    for a, b in zip(committed, fresh):
        assert a.dtype == b.dtype
        np.testing.assert_array_equal(a, b)
    loaded = m2nist.load_split("dev")
    np.testing.assert_array_equal(loaded[0], fresh[0])
    # The writer is byte-reproducible: a rewrite has the same sha256.
    copy = m2nist.save_npz(tmp_path / "dev.npz", *fresh)
    assert m2nist.fixture_sha256(copy) == m2nist.fixture_sha256(path)


def test_committed_hidden_fixture_is_its_own_layout_from_the_hidden_pool(tmp_path):
    """The hidden file cannot be compared with a rebuild (there is none): it is checked against
    the layout it stores, which must use hidden-pool digits only, 1 to 3 per image."""
    path = m2nist.split_path("hidden")
    assert path.is_file() and path.stat().st_size < 1_500_000
    with np.load(path, allow_pickle=False) as data:
        assert sorted(data.files) == ["images", "labels", "layout"]
    images, labels = m2nist.load_split("hidden")
    layout = m2nist.hidden_layout()
    assert images.shape == (500, 64, 84) and layout.shape == (500, 3, 4)
    composed = m2nist.compose(layout)
    np.testing.assert_array_equal(composed[0], images)
    np.testing.assert_array_equal(composed[1], labels)
    used = layout[..., 0][layout[..., 0] >= 0]
    pools = m2nist.digit_pools()
    assert np.isin(used, pools["hidden"]).all()
    assert not np.isin(used, np.concatenate([pools["train"], pools["dev"]])).any()
    counts = (layout[..., 0] >= 0).sum(axis=1)
    assert set(np.unique(counts)) == {1, 2, 3}
    # Every digit class is there in about its share (100 pool digits per class, about 1000 placed).
    assert np.bincount(layout[..., 1][layout[..., 1] >= 0], minlength=10).min() >= 60
    copy = m2nist.save_npz(tmp_path / "hidden.npz", images, labels, layout=layout.astype(np.int16))
    assert m2nist.fixture_sha256(copy) == m2nist.fixture_sha256(path)


def _every_public_builder_on_hidden(module):
    """What each public function of `module` returns when asked for the hidden split in the ways
    its signature allows: name -> result, or the error it raised."""
    import inspect

    found = {}
    calls = [(("hidden",), {}), ((), {"name": "hidden"}), ((), {"split": "hidden"}),
             (("hidden",), {"force": True}), (("hidden", None, None, True), {})]
    for name, function in vars(module).items():
        if name.startswith("_") or not inspect.isfunction(function) or function.__module__ != module.__name__:
            continue
        for args, kwargs in calls:
            try:
                found[f"{name}{args}{kwargs}"] = function(*args, **kwargs)
            except (Exception, SystemExit) as error:  # noqa: BLE001 - refusing is the point
                found[f"{name}{args}{kwargs}"] = error
    return found


def _holds(value, labels: np.ndarray) -> bool:
    values = value if isinstance(value, (tuple, list)) else (value,)
    return any(isinstance(v, np.ndarray) and v.shape == labels.shape and np.array_equal(v, labels)
               for v in values)


def test_the_hidden_split_cannot_be_rebuilt_without_its_file(tmp_path, monkeypatch):
    """With the hidden file absent (as the sandbox shows it, or worse), no public builder, the old
    public seed or a scan of small seeds reproduces the hidden labels; nothing is written either."""
    _, labels = m2nist.load_split("hidden")
    monkeypatch.setattr(m2nist, "FIXTURE_DIR", tmp_path / "fixtures")
    monkeypatch.setattr(m2nist, "BUILD_DIR", tmp_path / "build")
    monkeypatch.setitem(m2nist.SPLIT_SIZES, "train", 5)  # what a careless call builds stays small
    results = _every_public_builder_on_hidden(m2nist)
    assert any(isinstance(r, FileNotFoundError) for r in results.values())
    assert any(isinstance(r, ValueError) and "no public seed" in str(r) for r in results.values())
    assert not [name for name, result in results.items() if _holds(result, labels)]
    for seed in [3303, *range(64)]:
        assert not np.array_equal(m2nist.build_split("hidden", seed=seed)[1], labels), seed
    assert not (tmp_path / "fixtures" / "m2nist_hidden.npz").exists()


def test_dev_and_hidden_differ():
    dev, _ = m2nist.load_split("dev")
    hidden, _ = m2nist.load_split("hidden")
    assert not np.array_equal(dev, hidden)


def test_save_npz_is_reproducible_and_loadable(tmp_path):
    images, labels = m2nist.build_split("train", count=10)
    a = m2nist.save_npz(tmp_path / "a.npz", images, labels)
    b = m2nist.save_npz(tmp_path / "sub" / "b.npz", images, labels)
    assert m2nist.fixture_sha256(a) == m2nist.fixture_sha256(b)
    with np.load(a, allow_pickle=False) as data:
        np.testing.assert_array_equal(data["images"], images)
        np.testing.assert_array_equal(data["labels"], labels)


def test_ensure_split_builds_missing_file(tmp_path, monkeypatch):
    monkeypatch.setattr(m2nist, "BUILD_DIR", tmp_path / "build")
    monkeypatch.setitem(m2nist.SPLIT_SIZES, "train", 25)
    path = m2nist.ensure_split("train")
    assert path == tmp_path / "build" / "m2nist_train.npz" and path.is_file()
    images, labels = m2nist.load_split("train")
    assert images.shape == (25, 64, 84)
    expected = m2nist.build_split("train")
    np.testing.assert_array_equal(labels, expected[1])


def test_unknown_split_rejected():
    with pytest.raises(ValueError, match="unknown M2NIST split"):
        m2nist.build_split("test")


def test_one_hot_round_trip(dev_build):
    labels = dev_build[1][:20]
    one_hot = m2nist.label_maps_to_one_hot(labels)
    assert one_hot.shape == (20, 64, 84, 11)
    assert np.all(one_hot.sum(axis=-1) == 1)
    np.testing.assert_array_equal(m2nist.one_hot_to_label_maps(one_hot), labels)
    assert m2nist.label_maps_to_one_hot(labels, dtype=np.int32).dtype == np.int32
    with pytest.raises(ValueError):
        m2nist.label_maps_to_one_hot(np.array([[11]]))
    with pytest.raises(ValueError):
        m2nist.one_hot_to_label_maps(np.zeros((2, 10)))


def _write_fake_real_m2nist(directory, n=6, seg_dtype=np.float64):
    images, labels = m2nist.build_split("dev", count=n, seed=99)
    np.save(directory / "combined.npy", images)
    np.save(directory / "segmented.npy", m2nist.label_maps_to_one_hot(labels, dtype=seg_dtype))
    return images, labels


@pytest.mark.parametrize("seg_dtype", [np.float64, np.uint8])
def test_real_m2nist_reader(tmp_path, seg_dtype):
    images, labels = _write_fake_real_m2nist(tmp_path, seg_dtype=seg_dtype)
    got_images, got_labels = m2nist.load_real_m2nist(tmp_path)
    assert got_images.dtype == got_labels.dtype == np.uint8
    np.testing.assert_array_equal(got_images, images)
    np.testing.assert_array_equal(got_labels, labels)


def test_real_m2nist_missing_files(tmp_path):
    with pytest.raises(FileNotFoundError, match="combined.npy, segmented.npy"):
        m2nist.load_real_m2nist(tmp_path)
    np.save(tmp_path / "combined.npy", np.zeros((2, 64, 84), np.uint8))
    with pytest.raises(FileNotFoundError, match="segmented.npy"):
        m2nist.load_real_m2nist(tmp_path)


def test_real_m2nist_bad_shapes(tmp_path):
    np.save(tmp_path / "combined.npy", np.zeros((2, 64, 80), np.uint8))
    np.save(tmp_path / "segmented.npy", np.zeros((2, 64, 80, 11), np.uint8))
    with pytest.raises(ValueError, match="combined.npy"):
        m2nist.load_real_m2nist(tmp_path)
    np.save(tmp_path / "combined.npy", np.zeros((2, 64, 84), np.uint8))
    np.save(tmp_path / "segmented.npy", np.zeros((2, 64, 84, 10), np.uint8))
    with pytest.raises(ValueError, match="segmented.npy"):
        m2nist.load_real_m2nist(tmp_path)
    np.save(tmp_path / "segmented.npy", np.zeros((2, 64, 84, 11), np.uint8))
    with pytest.raises(ValueError, match="not one-hot"):
        m2nist.load_real_m2nist(tmp_path)
