"""What ran, for the reports' reproducibility table: versions, fixture hashes, paths as shown."""

from __future__ import annotations

import re

from graders.frontends.run_info import fixture_hashes, fixtures_digest, shown_path, versions
from graders.shared.registry import assignment


def test_a_path_is_shown_relative_to_the_working_folder_or_by_its_name(tmp_path):
    (tmp_path / "work" / "sub").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    work = tmp_path / "work"
    assert shown_path(work / "sub", cwd=work) == "sub"
    assert shown_path(work / "sub" / "c3w3_segmentation.py", cwd=work) == "sub/c3w3_segmentation.py"
    assert shown_path(work, cwd=work) == "."
    assert shown_path(tmp_path / "elsewhere", cwd=work) == "elsewhere"  # not ../elsewhere, not absolute
    assert shown_path("sub/../sub", cwd=work) == "sub"  # a relative path is read from `cwd`


def test_versions_come_from_package_metadata():
    found = versions()
    assert set(found) == {"cvgrade", "tensorflow", "keras", "numpy", "python"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", found["python"])
    assert found["tensorflow"] != "not installed"


def test_fixture_digest_covers_every_fixture_file():
    suite = assignment("c3w3")
    hashes = fixture_hashes(suite)
    assert "c3w3/reference/conv_block.npz" in hashes
    assert fixtures_digest(suite).endswith(f"({len(hashes)} files)")
    assert fixtures_digest(suite) == fixtures_digest(suite)
