"""The batch intake: discovering learners' entries and staging them safely, on real files."""

from __future__ import annotations

import json
import os
import stat
import struct
import warnings
import zipfile
from pathlib import Path, PurePosixPath

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graders.frontends.batch.intake import (
    Entry,
    IntakeError,
    IntakeLimits,
    discover,
    entry_digest,
    safe_member_path,
    stage,
)
from graders.shared.registry import assignment
from graders.submissions.loading import load_submission

C3W3 = assignment("c3w3")
MODULE = f"{C3W3.module}.py"
CODE = "def conv_block(input, filters, kernel_size, pooling_size, pool_strides):\n    return input\n"
MODEL = b"not really a keras model, only bytes to find"


def notebook_bytes(code: str = CODE) -> bytes:
    notebook = {
        "cells": [
            {"cell_type": "markdown", "metadata": {}, "source": ["# C3W3"]},
            {"cell_type": "code", "metadata": {}, "execution_count": None, "outputs": [], "source": [code]},
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5,
    }
    return json.dumps(notebook).encode()


def write(path: Path, data: bytes | str = CODE) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def make_zip(path: Path, members: dict[str, bytes | str], compression=zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def patch_member(path: Path, name: str, local_offset: int, central_offset: int, value: int, size: str = "<I") -> None:
    """Overwrite one header field of member `name` in both its local header and the central directory."""
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        local = archive.getinfo(name).header_offset
    central = raw.index(name.encode(), raw.index(b"PK\x01\x02")) - 46
    assert raw[local:local + 4] == b"PK\x03\x04" and raw[central:central + 4] == b"PK\x01\x02"
    struct.pack_into(size, raw, local + local_offset, value)
    struct.pack_into(size, raw, central + central_offset, value)
    path.write_bytes(bytes(raw))


def only_entry(folder: Path) -> Entry:
    entries = discover(folder)
    assert len(entries) == 1, entries
    return entries[0]


def refused(entry: Entry, destination: Path, limits: IntakeLimits = IntakeLimits()) -> str:
    """Stage an entry that must be refused; check nothing is left behind; return the reason."""
    with pytest.raises(IntakeError) as caught:
        stage(entry, C3W3, destination, limits)
    assert not destination.exists()
    assert [p.name for p in destination.parent.iterdir() if p.name.startswith(f".{destination.name}.")] == []
    return str(caught.value)


@pytest.fixture
def subs(tmp_path: Path) -> Path:
    folder = tmp_path / "submissions"
    folder.mkdir()
    return folder


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


# ---------------------------------------------------------------------------
# discover
# ---------------------------------------------------------------------------
def test_discover_finds_each_kind_sorted_by_learner(subs):
    write(subs / "dora.py")
    write(subs / "carl.ipynb", notebook_bytes())
    write(subs / "bea" / MODULE)
    make_zip(subs / "abe.zip", {MODULE: CODE})
    write(subs / "eve.txt", "hello")
    write(subs / "fay.pdf", b"%PDF-1.4")
    entries = discover(subs)
    assert [(e.learner, e.kind) for e in entries] == [
        ("abe", "zip"), ("bea", "folder"), ("carl", "ipynb"), ("dora", "py"), ("eve", "unknown"), ("fay", "unknown")]
    assert all(len(e.paths) == 1 and e.paths[0].parent == subs for e in entries)


def test_discover_groups_code_and_model_sharing_a_stem(subs):
    write(subs / "alice.py")
    write(subs / "alice.keras", MODEL)
    write(subs / "bob.ipynb", notebook_bytes())
    write(subs / "bob.h5", MODEL)
    write(subs / "carol.keras", MODEL)
    entries = {e.learner: e for e in discover(subs)}
    assert set(entries) == {"alice", "bob", "carol"}
    assert entries["alice"] == Entry("alice", (subs / "alice.py", subs / "alice.keras"), "py")
    assert entries["bob"] == Entry("bob", (subs / "bob.ipynb", subs / "bob.h5"), "ipynb")
    assert entries["carol"] == Entry("carol", (subs / "carol.keras",), "unknown")


def test_discover_lists_hidden_submissions_as_refused_and_skips_litter(subs, out):
    write(subs / "alice.py")
    write(subs / ".hidden_learner.py")
    write(subs / ".DS_Store", b"\0\0")
    write(subs / "._alice.py", b"\0")
    write(subs / "__MACOSX" / "._alice.py", b"\0")
    write(subs / ".git" / "config", "x")
    entries = {e.learner: e for e in discover(subs)}
    assert sorted(entries) == ["alice", "hidden_learner"]
    assert entries["hidden_learner"].kind == "hidden"
    reason = refused(entries["hidden_learner"], out / "hidden_learner")
    assert reason == (".hidden_learner.py is a hidden file (its name starts with a dot), which is not "
                      "graded: rename it without the dot")


def test_discover_makes_unsafe_names_safe_and_unique(subs):
    for name in ("a_b.py", "a b.py", "a?b.py", "josé.py", "x@y.com+1.py", "Ann-Lee.v2.py"):
        write(subs / name)
    write(subs / "zed" / MODULE)
    write(subs / "zed.py")
    entries = discover(subs)
    ids = {e.paths[0].name: e.learner for e in entries}
    assert ids == {
        "a_b.py": "a_b",  # already safe: keeps its name even though "a b" sorts first
        "a b.py": "a_b~2",
        "a?b.py": "a_b~3",
        "josé.py": "jos_",
        "x@y.com+1.py": "x@y.com+1",
        "Ann-Lee.v2.py": "Ann-Lee.v2",
        "zed": "zed",
        "zed.py": "zed~2",
    }
    assert [e.learner for e in entries] == sorted(ids.values())
    assert discover(subs) == entries  # deterministic


def test_discover_keeps_other_kinds_as_unknown_and_stage_says_why(subs, out):
    write(subs / "eve.txt", "my answers")
    write(subs / "carol.keras", MODEL)
    write(subs / "dan.py")
    write(subs / "dan.ipynb", notebook_bytes())
    entries = {e.learner: e for e in discover(subs)}
    assert {e.kind for e in entries.values()} == {"unknown"}
    assert refused(entries["eve"], out / "eve") == (
        "eve.txt is not a submission: expected a .py file, a notebook (.ipynb), a folder or a .zip")
    assert "model file without code" in refused(entries["carol"], out / "carol")
    assert "several submissions" in refused(entries["dan"], out / "dan")


# ---------------------------------------------------------------------------
# stage: accepted forms
# ---------------------------------------------------------------------------
def test_stage_py_with_grouped_model_loads(subs, out):
    write(subs / "alice.py")
    write(subs / "alice.keras", MODEL)
    staged = stage(only_entry(subs), C3W3, out / "alice")
    assert staged == out / "alice"
    assert sorted(os.listdir(staged)) == sorted([MODULE, C3W3.model_files[0]])
    loaded = load_submission(staged, C3W3)
    assert loaded.source.code == CODE
    assert loaded.model_file == str((staged / C3W3.model_files[0]).resolve())
    assert Path(loaded.model_file).read_bytes() == MODEL


def test_stage_h5_model_gets_the_h5_name(subs, out):
    write(subs / "bob.py")
    write(subs / "bob.h5", MODEL)
    staged = stage(only_entry(subs), C3W3, out / "bob")
    assert (staged / "c3w3_model.h5").read_bytes() == MODEL
    assert Path(load_submission(staged, C3W3).model_file).name == "c3w3_model.h5"


def test_stage_notebook_keeps_its_name_and_loads(subs, out):
    write(subs / "carl.ipynb", notebook_bytes())
    (out / "carl").mkdir()  # an empty destination is fine too
    staged = stage(only_entry(subs), C3W3, out / "carl")
    assert os.listdir(staged) == ["carl.ipynb"]
    loaded = load_submission(staged, C3W3)
    assert "def conv_block" in loaded.source.code
    assert loaded.model_file is None


def test_stage_folder_copies_files_and_folders(subs, out):
    write(subs / "bea" / MODULE)
    write(subs / "bea" / "helpers" / "util.py", "X = 1\n")
    write(subs / "bea" / "c3w3_model.keras", MODEL)
    write(subs / "bea" / ".DS_Store", b"\0")
    staged = stage(only_entry(subs), C3W3, out / "bea")
    assert sorted(os.listdir(staged)) == sorted([MODULE, "helpers", "c3w3_model.keras"])
    assert (staged / "helpers" / "util.py").read_text() == "X = 1\n"
    loaded = load_submission(staged, C3W3)
    assert loaded.source.code == CODE
    assert Path(loaded.model_file).name == "c3w3_model.keras"


def test_stage_zip_with_one_top_folder_moves_it_up(subs, out):
    make_zip(subs / "abe.zip", {
        "week3/": b"",
        f"week3/{MODULE}": CODE,
        "week3/model.h5": MODEL,
        "week3/data/inner.zip": make_zip(out / "inner.zip", {"x.txt": "x"}).read_bytes(),
        "__MACOSX/week3/._c3w3_segmentation.py": b"\0\0",
        "week3/.DS_Store": b"\0",
    })
    (out / "inner.zip").unlink()
    staged = stage(only_entry(subs), C3W3, out / "abe")
    assert sorted(os.listdir(staged)) == sorted([MODULE, "model.h5", "data"])
    assert zipfile.is_zipfile(staged / "data" / "inner.zip")  # nested zips are just files
    loaded = load_submission(staged, C3W3)
    assert loaded.source.code == CODE
    assert Path(loaded.model_file).name == "model.h5"
    assert sorted(os.listdir(out)) == ["abe"]  # no staging leftovers


def test_stage_flat_zip_and_backslash_names(subs, out):
    make_zip(subs / "abe.zip", {
        MODULE: CODE,
        "c3w3_model.keras": MODEL,
        "extra\\notes.txt": "made on Windows",
    })
    staged = stage(only_entry(subs), C3W3, out / "abe")
    assert (staged / "extra" / "notes.txt").read_text() == "made on Windows"
    assert Path(load_submission(staged, C3W3).model_file).name == "c3w3_model.keras"


def test_stage_zip_with_grouped_model_beside_it(subs, out):
    make_zip(subs / "abe.zip", {f"abe/{MODULE}": CODE})
    write(subs / "abe.keras", MODEL)
    entry = only_entry(subs)
    assert entry.kind == "zip" and len(entry.paths) == 2
    staged = stage(entry, C3W3, out / "abe")
    assert Path(load_submission(staged, C3W3).model_file).name == "c3w3_model.keras"


def test_stage_refuses_a_destination_that_holds_something(subs, out):
    write(subs / "alice.py")
    write(out / "alice" / "old.txt", "earlier run")
    with pytest.raises(FileExistsError):
        stage(only_entry(subs), C3W3, out / "alice")
    assert os.listdir(out / "alice") == ["old.txt"]


def test_stage_refuses_a_zip_without_code(subs, out):
    make_zip(subs / "abe.zip", {"README.md": "hi", "src/thing.py": "x = 1"})
    reason = refused(only_entry(subs), out / "abe")
    assert reason.startswith("abe.zip holds no .py file or notebook (.ipynb) to grade")
    assert "README.md" in reason and "src/" in reason


# ---------------------------------------------------------------------------
# stage: hostile zips
# ---------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "expected"), [
    ("../evil.py", "the zip holds a path that leaves its folder: ../evil.py"),
    ("week3/../../../etc/evil.py", "leaves its folder"),
    ("..\\..\\evil.py", "leaves its folder"),
    ("/etc/evil.py", "the zip holds an absolute path: /etc/evil.py"),
    ("\\\\server\\share\\evil.py", "absolute path"),
    ("C:/Windows/evil.py", "the zip holds a path with a drive letter: C:/Windows/evil.py"),
    ("c:evil.py", "drive letter"),
])
def test_stage_refuses_zip_paths_that_leave_the_folder(subs, out, tmp_path, name, expected):
    make_zip(subs / "mal.zip", {MODULE: CODE, name: "import os\n"})
    assert expected in refused(only_entry(subs), out / "mal")
    assert not (tmp_path / "evil.py").exists() and not (out / "evil.py").exists()


def test_stage_refuses_a_zip_nested_deeper_than_the_limit(subs, out):
    deep = "/".join(["d"] * 1200) + "/" + MODULE
    make_zip(subs / "deep.zip", {MODULE: CODE, deep: CODE})
    reason = refused(only_entry(subs), out / "deep")
    assert reason.startswith("the zip holds a path 1200 folders deep, more than the 32 allowed: d/d/d")
    assert len(reason) < 400 and not (out / "deep").exists()


def test_stage_refuses_a_folder_nested_deeper_than_the_limit(subs, out):
    write(subs / "deb" / MODULE)
    write(subs / "deb" / Path(*["d"] * 40) / "notes.txt", "x")
    assert "the folder holds folders more than 32 deep" in refused(only_entry(subs), out / "deb")
    assert not (out / "deb").exists()


def test_remove_tree_removes_any_depth_and_follows_no_link(tmp_path):
    from graders.shared.files import remove_tree

    top = tmp_path / "tree"
    top.mkdir()
    keep = write(tmp_path / "outside" / "kept.txt", "kept")
    folder = os.open(top, os.O_RDONLY)
    for _ in range(1500):  # deeper than Python's recursion limit
        os.mkdir("a", dir_fd=folder)
        inner = os.open("a", os.O_RDONLY, dir_fd=folder)
        os.close(folder)
        folder = inner
    os.symlink(keep.parent, "link", dir_fd=folder)
    os.close(folder)
    assert remove_tree(top) == [] and not top.exists()
    assert keep.read_text() == "kept"
    assert remove_tree(top) == []  # already gone: nothing to say


def test_stage_refuses_a_symlink_member(subs, out):
    link = zipfile.ZipInfo("secrets")
    link.create_system = 3
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    with zipfile.ZipFile(subs / "mal.zip", "w") as archive:
        archive.writestr(MODULE, CODE)
        archive.writestr(link, "/etc/passwd")
    assert refused(only_entry(subs), out / "mal") == "the zip holds a symbolic link: secrets"


def test_stage_refuses_a_zip_bomb_by_declared_size(subs, out):
    make_zip(subs / "bomb.zip", {MODULE: CODE, "zeros.bin": bytes(50 << 20)})
    assert refused(only_entry(subs), out / "bomb", IntakeLimits(max_bytes=10 << 20))  # by size or by ratio
    reason = refused(only_entry(subs), out / "bomb", IntakeLimits(max_bytes=10 << 20, max_ratio=1e9))
    assert reason == "the zip would unpack to 50 MiB, more than the 10 MiB allowed"


def test_stage_refuses_a_member_with_a_huge_compression_ratio(subs, out):
    make_zip(subs / "bomb.zip", {MODULE: CODE, "zeros.bin": bytes(5 << 20)})
    reason = refused(only_entry(subs), out / "bomb")
    assert reason == "the zip holds a member that unpacks to more than 200 times its packed size: zeros.bin"


def test_small_highly_compressible_files_are_not_judged_by_ratio(subs, out):
    make_zip(subs / "abe.zip", {MODULE: CODE + "#" * 100_000})
    staged = stage(only_entry(subs), C3W3, out / "abe")
    assert (staged / MODULE).stat().st_size == len(CODE) + 100_000


def test_stage_refuses_a_member_whose_header_lies_about_its_size(subs, out):
    path = make_zip(subs / "liar.zip", {MODULE: CODE, "zeros.bin": bytes(3 << 20)})
    # Declare 1000 bytes in both the local header and the central directory.
    patch_member(path, "zeros.bin", local_offset=22, central_offset=24, value=1000)
    reason = refused(only_entry(subs), out / "liar", IntakeLimits(max_ratio=1e9))
    assert reason.startswith("the zip member zeros.bin could not be read (Bad CRC-32")


def test_stage_refuses_too_many_members(subs, out):
    make_zip(subs / "many.zip", {MODULE: CODE, **{f"f{i}.txt": "x" for i in range(10)}})
    assert refused(only_entry(subs), out / "many", IntakeLimits(max_files=10)) == (
        "the zip holds 11 members, more than the 10 allowed")


def test_stage_refuses_an_encrypted_member(subs, out):
    path = make_zip(subs / "enc.zip", {MODULE: CODE, "answers.py": "x = 1"})
    # zipfile cannot encrypt; set the "encrypted" flag bit the way an encrypting tool would.
    patch_member(path, "answers.py", local_offset=6, central_offset=8, value=0x1, size="<H")
    assert refused(only_entry(subs), out / "enc") == "the zip holds an encrypted member: answers.py"


def test_stage_refuses_a_member_written_twice(subs, out):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate it is asked to write
        with zipfile.ZipFile(subs / "dup.zip", "w") as archive:
            archive.writestr(MODULE, CODE)
            archive.writestr(MODULE, "import os; os.system('true')")
    assert refused(only_entry(subs), out / "dup") == f"the zip holds {MODULE} twice"


def test_stage_refuses_a_file_that_is_not_a_zip(subs, out):
    write(subs / "fake.zip", "this is plain text, not a zip")
    assert refused(only_entry(subs), out / "fake") == "fake.zip is not a readable zip file"


# ---------------------------------------------------------------------------
# stage: hostile folders and links
# ---------------------------------------------------------------------------
def test_stage_refuses_a_folder_holding_a_symlink(subs, out, tmp_path):
    write(tmp_path / "secret.txt", "top secret")
    write(subs / "bea" / MODULE)
    (subs / "bea" / "data").mkdir()
    os.symlink(tmp_path / "secret.txt", subs / "bea" / "data" / "leak.txt")
    assert refused(only_entry(subs), out / "bea") == "the folder holds a symbolic link: data/leak.txt"


def test_stage_refuses_a_folder_over_the_limits(subs, out):
    write(subs / "bea" / MODULE)
    write(subs / "bea" / "big.bin", bytes(3000))
    assert refused(only_entry(subs), out / "bea", IntakeLimits(max_bytes=2000)) == (
        "the folder holds more than 1.95 KiB of data")
    for index in range(4):
        write(subs / "bea" / f"f{index}.txt", "x")
    assert refused(only_entry(subs), out / "bea", IntakeLimits(max_files=5)) == (
        "the folder holds more than 5 files")


def test_stage_refuses_a_symlinked_entry(subs, out, tmp_path):
    write(tmp_path / "elsewhere" / MODULE)
    os.symlink(tmp_path / "elsewhere" / MODULE, subs / "alice.py")
    os.symlink(tmp_path / "elsewhere", subs / "bob")
    entries = {e.learner: e for e in discover(subs)}
    for learner in ("alice", "bob"):
        assert "is a symbolic link" in refused(entries[learner], out / learner)


# ---------------------------------------------------------------------------
# entry_digest
# ---------------------------------------------------------------------------
def test_digest_follows_content_not_times(subs, tmp_path):
    write(subs / "alice.py")
    write(subs / "bea" / MODULE)
    write(subs / "bea" / "sub" / "util.py", "X = 1\n")
    entries = {e.learner: e for e in discover(subs)}
    before = {learner: entry_digest(entry) for learner, entry in entries.items()}
    assert len(set(before.values())) == 2 and all(len(d) == 64 for d in before.values())

    os.utime(subs / "alice.py", (1, 1))
    os.utime(subs / "bea" / "sub" / "util.py", (1, 1))
    assert {learner: entry_digest(entry) for learner, entry in entries.items()} == before

    write(subs / "alice.py", CODE + "# changed\n")
    write(subs / "bea" / "sub" / "util.py", "X = 2\n")
    assert entry_digest(entries["alice"]) != before["alice"]
    assert entry_digest(entries["bea"]) != before["bea"]


def test_digest_sees_renames_grouped_models_and_links_without_following(subs, tmp_path):
    write(subs / "bea" / MODULE)
    entry = only_entry(subs)
    first = entry_digest(entry)
    (subs / "bea" / MODULE).rename(subs / "bea" / "other.py")
    assert entry_digest(entry) != first

    write(tmp_path / "target.txt", "one")
    os.symlink(tmp_path / "target.txt", subs / "bea" / "link")
    with_link = entry_digest(entry)
    write(tmp_path / "target.txt", "two")
    assert entry_digest(entry) == with_link  # the link's text is hashed, not what it points at

    write(subs / "alice.py")
    alone = entry_digest(Entry("alice", (subs / "alice.py",), "py"))
    write(subs / "alice.keras", MODEL)
    grouped = {e.learner: e for e in discover(subs)}["alice"]
    assert entry_digest(grouped) != alone


# ---------------------------------------------------------------------------
# property: an accepted member path never leaves its folder
# ---------------------------------------------------------------------------
_PIECES = st.sampled_from(["/", "..", "\\", ".", "a", "b.py", "C:", "~", " ", "...", "//", "\\\\", ":"])
_NAMES = st.one_of(
    st.lists(_PIECES, max_size=12).map("".join),
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=30),
    st.text(alphabet=st.sampled_from("./\\a:C"), max_size=30),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=_NAMES)
def test_safe_member_path_never_leaves_the_folder(tmp_path, name):
    base = (tmp_path / "base").resolve()
    try:
        member = safe_member_path(name)
    except IntakeError as error:
        assert str(error).startswith("the zip holds ")
        return
    assert isinstance(member, PurePosixPath) and not member.is_absolute()
    assert "\\" not in str(member) and ".." not in member.parts
    landed = (base / member).resolve()
    assert landed == base or base in landed.parents


def test_a_class_is_not_graded_without_the_hidden_set(tmp_path, monkeypatch):
    """Official grades never fall back on the public dev set a learner's copy scores on: with the
    hidden file gone, the run refuses before grading anyone, naming the file."""
    from graders.frontends.batch.runner import BatchOptions, BatchRun
    from graders.shared.registry import Assignment

    (tmp_path / "subs").mkdir()
    (tmp_path / "subs" / "alice.py").write_text("x = 1\n")
    monkeypatch.setattr(Assignment, "hidden_data_here", property(lambda self: False))
    run = BatchRun(BatchOptions(tmp_path / "subs", "c3w3", tmp_path / "out", sandbox="off"))
    with pytest.raises(FileNotFoundError, match="m2nist_hidden.npz"):
        run.run()
    assert not (tmp_path / "out").exists()
