"""From the instructor's submissions folder to one staged folder per learner.

`cvgrade batch SUBMISSIONS/` reads one entry per learner (a .py file, a course
notebook, a folder or a .zip) and stages each into its own folder that
`load_submission` accepts. Learners' files are untrusted: a hostile entry is
refused for that learner alone, with one sentence for the gradebook
(`IntakeError`), and can never write outside its staging folder, make the
grader follow a link, or fill the disk.

A stage is built in a hidden sibling folder and renamed into place only once it
is complete, so a refusal, an error or a kill never leaves a half-written
folder that a later run would take for a good stage.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import stat
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from graders.shared.files import remove_tree
from graders.shared.registry import Assignment

__all__ = [
    "Entry",
    "IntakeError",
    "IntakeLimits",
    "discover",
    "entry_digest",
    "learner_id",
    "safe_member_path",
    "stage",
]

# What an entry's suffix says it is; a model file is never a submission alone.
SUBMISSION_KINDS = {".py": "py", ".ipynb": "ipynb", ".zip": "zip"}
MODEL_SUFFIXES = (".keras", ".h5")
# Operating-system litter inside folders and zips, never the learner's work.
SKIPPED_NAMES = frozenset({"__MACOSX", ".DS_Store"})
# A member smaller than this is not judged by its compression ratio: it cannot
# be a bomb by itself, and `max_bytes` bounds the total whatever the ratios.
RATIO_MIN_BYTES = 1 << 20
# How much of an untrusted name a message quotes.
SHOWN_CHARS = 200

_CHUNK = 1 << 20
_SAFE_ID = re.compile(r"[A-Za-z0-9._@+-]+")
_UNSAFE_ID_CHAR = re.compile(r"[^A-Za-z0-9._@+-]")
_DRIVE_LETTER = re.compile(r"[A-Za-z]:")
_NOT_A_SUBMISSION = "expected a .py file, a notebook (.ipynb), a folder or a .zip"


class IntakeError(Exception):
    """A learner's entry that cannot be staged; the message is one sentence for the gradebook."""


@dataclass(frozen=True)
class IntakeLimits:
    """How much one learner's entry may unpack to, so no entry can fill the disk."""

    max_bytes: int = 1 << 30
    max_files: int = 10_000
    max_ratio: float = 200.0
    max_depth: int = 32  # folders inside folders; far deeper trees break the tools that remove them


@dataclass(frozen=True)
class Entry:
    """One learner's files in the submissions folder: the submission first, then files grouped with it."""

    learner: str
    paths: tuple[Path, ...]
    kind: str  # "py" | "ipynb" | "folder" | "zip" | "unknown" | "hidden" (a dot file, refused)


# ---------------------------------------------------------------------------
# Discovery
# ---------------------------------------------------------------------------
def learner_id(name: str) -> str:
    """`name` itself when it is safe as a folder name and in a gradebook, else with "_" for each other character."""
    return name if _SAFE_ID.fullmatch(name) else _UNSAFE_ID_CHAR.sub("_", name)


def discover(folder: Path) -> list[Entry]:
    """Every learner's entry in `folder`, sorted by learner id.

    Files sharing a stem belong to one learner (`alice.py` with its trained
    `alice.keras`). Entries of no known kind are kept as "unknown" so the
    gradebook can say why they were not graded. Names that are already safe
    keep their id; a name made safe that collides gets `~2`, `~3`, ...
    """
    folder = Path(folder)
    groups: dict[tuple[str, bool], list[Path]] = {}
    hidden: list[Path] = []
    with os.scandir(folder) as scan:
        for item in scan:
            if item.name in SKIPPED_NAMES or item.name.startswith("._"):
                continue
            if item.name.startswith("."):
                if Path(item.name).suffix.lower() in (*SUBMISSION_KINDS, *MODEL_SUFFIXES):
                    hidden.append(folder / item.name)  # listed as refused: never dropped unseen
                continue
            is_folder = item.is_dir(follow_symlinks=False)
            key = item.name if is_folder else Path(item.name).stem
            groups.setdefault((key, is_folder), []).append(folder / item.name)

    found: list[tuple[str, tuple[Path, ...], str]] = [
        (Path(path.name.lstrip(".")).stem or "hidden", (path,), "hidden") for path in hidden]
    for (key, is_folder), paths in groups.items():
        if is_folder:
            found.append((key, (paths[0],), "folder"))
        else:
            found.append((key, *_group(paths)))

    # Safe names first, so a learner whose name needs no change always keeps it.
    found.sort(key=lambda item: (not _SAFE_ID.fullmatch(item[0]), item[0], item[1][0].name))
    taken: set[str] = set()
    entries = []
    for key, paths, kind in found:
        base = learner_id(key)
        learner, count = base, 1
        while learner in taken:
            count += 1
            learner = f"{base}~{count}"
        taken.add(learner)
        entries.append(Entry(learner=learner, paths=paths, kind=kind))
    return sorted(entries, key=lambda entry: entry.learner)


def _group(paths: list[Path]) -> tuple[tuple[Path, ...], str]:
    """The ordered paths and the kind of files sharing one stem: the one submission file decides."""
    paths = sorted(paths, key=lambda path: path.name)
    submissions = [path for path in paths if path.suffix.lower() in SUBMISSION_KINDS]
    if len(submissions) != 1:
        return tuple(paths), "unknown"
    first = submissions[0]
    return (first, *(path for path in paths if path != first)), SUBMISSION_KINDS[first.suffix.lower()]


# ---------------------------------------------------------------------------
# Digest
# ---------------------------------------------------------------------------
def entry_digest(entry: Entry) -> str:
    """sha256 of the entry's names and bytes (not times), so a resubmission is regraded and a touch is not.

    Links are hashed by their target text and never followed; anything that
    cannot be read is hashed by the reason, so the digest itself never fails.
    """
    total = hashlib.sha256(b"cvgrade intake entry v1\0")
    for path in sorted(entry.paths, key=lambda p: os.fsencode(p.name)):
        for relative, tag, digest in _tree_records(path):
            name = os.fsencode(relative)
            total.update(tag + len(name).to_bytes(8, "big") + name + digest)
    return total.hexdigest()


def _tree_records(top: Path) -> list[tuple[str, bytes, bytes]]:
    """(relative path, type tag, content sha256) for `top` and everything under it, sorted by path."""
    records = []
    stack = [(top, top.name)]
    while stack:
        path, relative = stack.pop()
        tag, digest, children = _record(path)
        records.append((relative, tag, digest))
        for name in children:
            if name not in SKIPPED_NAMES:
                stack.append((path / name, f"{relative}/{name}"))
    records.sort(key=lambda record: os.fsencode(record[0]))
    return records


def _record(path: Path) -> tuple[bytes, bytes, list[str]]:
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            return b"L", hashlib.sha256(os.fsencode(os.readlink(path))).digest(), []
        if stat.S_ISDIR(mode):
            return b"D", b"", os.listdir(path)
        if stat.S_ISREG(mode):
            content = hashlib.sha256()
            with _open_regular(path, path.name) as stream:
                for chunk in iter(lambda: stream.read(_CHUNK), b""):
                    content.update(chunk)
            return b"F", content.digest(), []
        return b"O", stat.S_IFMT(mode).to_bytes(4, "big"), []
    except (OSError, IntakeError) as error:
        reason = errno.errorcode.get(getattr(error, "errno", None) or 0, type(error).__name__)
        return b"E", reason.encode(), []


# ---------------------------------------------------------------------------
# Zip member names
# ---------------------------------------------------------------------------
def safe_member_path(name: str) -> PurePosixPath:
    """The relative path a zip member may be written to, or IntakeError if its name could leave the folder.

    Backslashes count as separators (zips made on Windows use them); "." and
    empty components are dropped, so the result has only plain names.
    """
    shown = _shown(name)
    normal = name.replace("\\", "/")
    if "\0" in normal:
        raise IntakeError(f"the zip holds a path with a NUL character: {shown}")
    if normal.startswith("/"):
        raise IntakeError(f"the zip holds an absolute path: {shown}")
    if _DRIVE_LETTER.match(normal):
        raise IntakeError(f"the zip holds a path with a drive letter: {shown}")
    parts = [part for part in normal.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise IntakeError(f"the zip holds a path that leaves its folder: {shown}")
    return PurePosixPath(*parts)


# ---------------------------------------------------------------------------
# Staging
# ---------------------------------------------------------------------------
def stage(entry: Entry, assignment: Assignment, destination: Path,
          limits: IntakeLimits = IntakeLimits()) -> Path:
    """Make `destination` a folder `load_submission(destination, assignment)` accepts, and return it.

    `destination` must not exist or be an empty folder. On IntakeError (or any
    other failure) it is left as it was: absent or empty.
    """
    destination = Path(destination)
    if os.path.lexists(destination) and (
            destination.is_symlink() or not destination.is_dir() or any(destination.iterdir())):
        raise FileExistsError(f"{destination} must not exist or must be an empty folder")
    for path in entry.paths:
        if os.path.islink(path):
            raise IntakeError(f"{_shown(path.name)} is a symbolic link, which the grader does not follow: "
                              "put the submission itself in the folder")
    if entry.kind == "unknown":
        raise IntakeError(_unknown_reason(entry))
    if entry.kind == "hidden":
        raise IntakeError(f"{_shown(entry.paths[0].name)} is a hidden file (its name starts with a dot), "
                          "which is not graded: rename it without the dot")
    if entry.kind not in ("py", "ipynb", "folder", "zip"):
        raise ValueError(f"unknown entry kind {entry.kind!r}")

    destination.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{destination.name}.staging-", dir=destination.parent))
    try:
        os.chmod(work, 0o755)  # mkdtemp's 0o700 would hide the stage from a sandboxed worker's user
        root = _build(entry, assignment, work, limits)
        if os.path.lexists(destination):
            destination.rmdir()
        os.rename(root, destination)
    finally:
        remove_tree(work)  # what is left of the work folder, or all of it on failure
    return destination


def _build(entry: Entry, assignment: Assignment, work: Path, limits: IntakeLimits) -> Path:
    """Fill `work` for the entry and return the folder that holds the code (inside `work`)."""
    submission, grouped = entry.paths[0], entry.paths[1:]
    if entry.kind == "py":
        budget = _Budget(limits, "the submission")
        _copy_file(submission, work / f"{assignment.module}.py", budget, _shown(submission.name))
    elif entry.kind == "ipynb":
        budget = _Budget(limits, "the submission")
        _copy_file(submission, work / f"{submission.stem}.ipynb", budget, _shown(submission.name))
    elif entry.kind == "folder":
        budget = _Budget(limits, "the folder")
        _copy_folder(submission, work, budget)
    else:
        budget = _Budget(limits, "the zip")
        _extract_zip(submission, work, budget)
    root = _unwrap(work)
    if not any((root / name).exists() for name in assignment.model_files):
        for model in grouped:
            target = _model_name(model, assignment)
            if target and not (root / target).exists():
                _copy_file(model, root / target, budget, _shown(model.name))
    _require_code(root, entry, assignment)
    return root


def _unknown_reason(entry: Entry) -> str:
    names = ", ".join(_shown(path.name) for path in entry.paths)
    submissions = [path for path in entry.paths if path.suffix.lower() in SUBMISSION_KINDS]
    if len(submissions) > 1:
        return f"{names} are several submissions from one learner: keep one"
    if entry.paths and all(path.suffix.lower() in MODEL_SUFFIXES for path in entry.paths):
        return (f"{names} is a model file without code: put it beside the learner's .py file or notebook "
                "with the same name, or in their folder or zip")
    return f"{names} {'is' if len(entry.paths) == 1 else 'are'} not a submission: {_NOT_A_SUBMISSION}"


def _model_name(model: Path, assignment: Assignment) -> str | None:
    """The name the assignment looks for a model file of this format under, if any."""
    suffix = model.suffix.lower()
    if suffix not in MODEL_SUFFIXES:
        return None
    return next((name for name in assignment.model_files if name.lower().endswith(suffix)), None)


def _unwrap(root: Path) -> Path:
    """The folder that holds the code: zips and folders often wrap everything in one folder."""
    while True:
        children = os.listdir(root)
        if len(children) != 1:
            return root
        only = root / children[0]
        if only.is_symlink() or not only.is_dir():
            return root
        root = only


def _require_code(root: Path, entry: Entry, assignment: Assignment) -> None:
    """Refuse a stage `load_submission` would not find code in (its rules), naming the learner's entry."""
    if (root / f"{assignment.module}.py").is_file():
        return
    names = sorted(os.listdir(root))
    notebooks = sorted(root.glob(assignment.notebook_glob)) or sorted(root.glob("*.ipynb"))
    scripts = [name for name in names if name.endswith(".py") and name != "__init__.py"]
    origin = _shown(entry.paths[0].name)
    if len(notebooks) > 1:
        raise IntakeError(f"{origin} holds several notebooks ({', '.join(_shown(n.name) for n in notebooks)}): "
                          f"keep one, or name the code {assignment.module}.py")
    if notebooks or len(scripts) == 1:
        return
    if scripts:
        raise IntakeError(f"{origin} holds several .py files ({', '.join(_shown(n) for n in scripts[:5])}) "
                          f"and none is named {assignment.module}.py")
    held = ", ".join(_shown(name) + ("/" if (root / name).is_dir() else "") for name in names[:5])
    raise IntakeError(f"{origin} holds no .py file or notebook (.ipynb) to grade"
                      + (f" at its top level, only {held}" if held else ", it is empty"))


class _Budget:
    """Counts what one stage writes, refusing the entry past the limits."""

    def __init__(self, limits: IntakeLimits, what: str):
        self.limits = limits
        self.what = what
        self.files = 0
        self.bytes = 0

    def add_file(self) -> None:
        self.files += 1
        if self.files > self.limits.max_files:
            raise IntakeError(f"{self.what} holds more than {self.limits.max_files} files")

    def add_bytes(self, count: int) -> None:
        self.bytes += count
        if self.bytes > self.limits.max_bytes:
            raise IntakeError(f"{self.what} holds more than {_size(self.limits.max_bytes)} of data")


def _open_regular(path: Path, shown: str) -> BinaryIO:
    """Open a regular file for reading without following a link or blocking on a pipe."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(path, flags)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise IntakeError(f"{shown} is a symbolic link, which the grader does not follow") from None
        raise IntakeError(f"{shown} could not be read ({error.strerror})") from None
    if not stat.S_ISREG(os.fstat(handle).st_mode):
        os.close(handle)
        raise IntakeError(f"{shown} is not a regular file")
    return os.fdopen(handle, "rb")


def _create(target: Path, shown: str) -> BinaryIO:
    """A new file for writing; a name the disk refuses is the learner's problem, a full disk is not."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        return os.fdopen(os.open(target, flags, 0o644), "wb")
    except FileExistsError:
        raise IntakeError(f"{shown} is there twice") from None
    except OSError as error:
        if error.errno in (errno.ENAMETOOLONG, errno.EINVAL, errno.EILSEQ, errno.ENOTDIR):
            raise IntakeError(f"{shown} has a name that cannot be written to disk ({error.strerror})") from None
        raise


def _make_folder(target: Path, shown: str) -> None:
    try:
        os.mkdir(target, 0o755)
    except FileExistsError:
        if target.is_symlink() or not target.is_dir():
            raise IntakeError(f"{shown} is there both as a file and as a folder") from None
    except OSError as error:
        if error.errno in (errno.ENAMETOOLONG, errno.EINVAL, errno.EILSEQ, errno.ENOTDIR):
            raise IntakeError(f"{shown} has a name that cannot be written to disk ({error.strerror})") from None
        raise


def _pump(source: BinaryIO, target: Path, budget: _Budget, shown: str, declared: int | None = None) -> None:
    """Copy an open stream into a new file, counting the real bytes: sizes in headers can lie."""
    with _create(target, shown) as out:
        written = 0
        while True:
            try:
                chunk = source.read(_CHUNK)
            except Exception as error:  # decoders of untrusted bytes fail in many ways
                raise IntakeError(f"{shown} could not be read ({_reason(error)})") from None
            if not chunk:
                return
            written += len(chunk)
            if declared is not None and written > declared:
                raise IntakeError(f"{shown} holds more bytes than its header declares")
            budget.add_bytes(len(chunk))
            out.write(chunk)


def _copy_file(source: Path, target: Path, budget: _Budget, shown: str) -> None:
    budget.add_file()
    with _open_regular(source, shown) as stream:
        _pump(stream, target, budget, shown)


def _copy_folder(source: Path, root: Path, budget: _Budget) -> None:
    """Copy regular files and folders; refuse links and devices rather than follow or open them."""
    stack = [PurePosixPath()]
    while stack:
        relative = stack.pop()
        here = source.joinpath(*relative.parts)
        try:
            names = sorted(os.listdir(here))
        except OSError as error:
            raise IntakeError(f"the folder {_shown(str(relative))} could not be read ({error.strerror})") from None
        for name in names:
            if name in SKIPPED_NAMES:
                continue
            inner = relative / name
            shown = _shown(inner.as_posix())
            try:
                mode = os.lstat(here / name).st_mode
            except OSError as error:
                raise IntakeError(f"the folder's {shown} could not be read ({error.strerror})") from None
            if stat.S_ISLNK(mode):
                raise IntakeError(f"the folder holds a symbolic link: {shown}")
            budget.add_file()
            if stat.S_ISDIR(mode):
                if len(inner.parts) >= budget.limits.max_depth:
                    raise IntakeError(f"the folder holds folders more than {budget.limits.max_depth} deep: "
                                      f"{shown}")
                _make_folder(root / inner, f"the folder's {shown}")
                stack.append(inner)
            elif stat.S_ISREG(mode):
                with _open_regular(here / name, f"the folder's {shown}") as stream:
                    _pump(stream, root / inner, budget, f"the folder's {shown}")
            else:
                raise IntakeError(f"the folder holds something that is neither a file nor a folder: {shown}")


def _extract_zip(path: Path, root: Path, budget: _Budget) -> None:
    """Unpack member by member after checking every member: no extractall, no trust in headers."""
    with _open_regular(path, _shown(path.name)) as raw:
        try:
            archive = zipfile.ZipFile(raw)
        except Exception:  # decoders of untrusted bytes fail in many ways
            raise IntakeError(f"{_shown(path.name)} is not a readable zip file") from None
        with archive:
            for info, member, is_folder in _checked_members(archive, budget.limits):
                shown = f"the zip member {_shown(info.filename)}"
                folder = root
                for part in (member.parts if is_folder else member.parts[:-1]):
                    folder = folder / part
                    _make_folder(folder, shown)
                if is_folder:
                    continue
                budget.add_file()
                try:
                    stream = archive.open(info)
                except Exception as error:  # bad local header, unknown compression, overlapping members
                    raise IntakeError(f"{shown} could not be read ({_reason(error)})") from None
                with stream:
                    _pump(stream, root / member, budget, shown, declared=info.file_size)


def _checked_members(archive: zipfile.ZipFile, limits: IntakeLimits
                     ) -> list[tuple[zipfile.ZipInfo, PurePosixPath, bool]]:
    """Every member to write, after refusing the whole zip for any one bad member."""
    infos = archive.infolist()
    if len(infos) > limits.max_files:
        raise IntakeError(f"the zip holds {len(infos)} members, more than the {limits.max_files} allowed")
    members = []
    files: set[PurePosixPath] = set()
    folders: set[PurePosixPath] = set()
    declared = 0
    for info in infos:
        member = safe_member_path(info.filename)
        shown = _shown(info.filename)
        if len(member.parts) > limits.max_depth:
            raise IntakeError(f"the zip holds a path {len(member.parts) - 1} folders deep, more than the "
                              f"{limits.max_depth} allowed: {shown}")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise IntakeError(f"the zip holds a symbolic link: {shown}")
        if info.flag_bits & 0x1:
            raise IntakeError(f"the zip holds an encrypted member: {shown}")
        if not member.parts or SKIPPED_NAMES.intersection(member.parts):
            continue
        is_folder = info.filename.replace("\\", "/").endswith("/")
        folders.update(member.parents)
        if is_folder:
            folders.add(member)
        else:
            if info.file_size > RATIO_MIN_BYTES and info.file_size > limits.max_ratio * max(info.compress_size, 1):
                raise IntakeError(f"the zip holds a member that unpacks to more than {limits.max_ratio:g} times "
                                  f"its packed size: {shown}")
            if member in files:
                raise IntakeError(f"the zip holds {shown} twice")
            files.add(member)
            declared += info.file_size
        members.append((info, member, is_folder))
    clash = sorted(files & folders)
    if clash:
        raise IntakeError(f"the zip holds {_shown(clash[0].as_posix())} both as a file and as a folder")
    if declared > limits.max_bytes:
        raise IntakeError(f"the zip would unpack to {_size(declared)}, more than the {_size(limits.max_bytes)} "
                          "allowed")
    return members


# ---------------------------------------------------------------------------
# Messages
# ---------------------------------------------------------------------------
def _shown(text: str) -> str:
    """An untrusted name as a gradebook may print it: control characters escaped, length capped."""
    text = "".join(char if char.isprintable() else ascii(char)[1:-1] for char in text)
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS] + "..."


def _reason(error: BaseException) -> str:
    return _shown(str(error) or type(error).__name__)


def _size(count: int) -> str:
    for unit, name in ((1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")):
        if count >= unit:
            return f"{count / unit:.3g} {name}"
    return f"{count} bytes"
