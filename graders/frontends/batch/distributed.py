"""Batch grading spread over a Dask cluster (`cvgrade batch ... --executor dask --scheduler ADDR`).

The instructor's machine stays the trusted hub: it takes the submissions in
(refusals happen here), observes the solutions once with the run's secret seed,
and writes every file. A Dask worker receives only a learner's staged files as
bytes, grades them on a station of its own (a sandboxed fork server, exactly as
in a local run) and returns the record as plain JSON data. So the cluster needs
no shared file system, only the project installed on each machine.
"""

from __future__ import annotations

import itertools
import os
import queue
import tempfile
from pathlib import Path

from graders.frontends.batch.intake import Entry, IntakeError, stage
from graders.shared.limits import Limits
from graders.shared.registry import assignment as find_assignment

_STATIONS: queue.Queue = queue.Queue()
_STATION_INDEX = itertools.count()  # next() is atomic under the GIL


def _borrow_station(sandbox: str, limits: Limits):
    """A station of this Dask worker process; one per task running at once, kept between tasks."""
    from graders.frontends.batch.runner import hidden_paths_on_this_machine
    from graders.frontends.batch.station import Station

    try:
        return _STATIONS.get_nowait()
    except queue.Empty:
        index = next(_STATION_INDEX)
        stage_root = Path(tempfile.mkdtemp(prefix="cvgrade-stations-"))
        return Station(index, stage_root, sandbox, hidden_paths_on_this_machine([stage_root]), limits)


def _unpack(files: dict[str, bytes], folder: Path) -> None:
    for name, data in files.items():
        path = (folder / name).resolve()
        if folder.resolve() not in path.parents:
            raise ValueError(f"refusing to write {name} outside {folder}")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def grade_on_worker(assignment_id: str, learner: str, files: dict[str, bytes], references: dict,
                    seed: int, limits: Limits, sandbox: str) -> dict:
    """Runs on a Dask worker: the record of one learner, as plain data."""
    from graders.frontends.batch.runner import record_to_dict

    assignment = find_assignment(assignment_id)
    station = _borrow_station(sandbox, limits)
    try:
        with tempfile.TemporaryDirectory(prefix="cvgrade-learner-") as folder:
            _unpack(files, Path(folder) / "files")
            entry = Entry(learner, (Path(folder) / "files",), "folder")
            record = station.grade(entry, assignment, references, seed)
        return {**record_to_dict(record), "worker": os.uname().nodename,
                "protections": station.sandbox.report(), "sandbox": station.sandbox.describe()}
    finally:
        _STATIONS.put(station)


def pack_folder(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes()
            for path in sorted(folder.rglob("*")) if path.is_file() and not path.is_symlink()}


class DaskExecutor:
    """Stage here, grade there, write here."""

    def __init__(self, batch):
        from distributed import Client

        self.batch = batch
        self.client = Client(batch.options.scheduler, timeout="30s")
        self.workdir = Path(tempfile.mkdtemp(prefix="cvgrade-dask-"))

    def run(self, todo: list[tuple[Entry, str]]) -> None:
        from distributed import as_completed

        from graders.frontends.batch.runner import record_from_dict
        from graders.render import LearnerRecord

        batch = self.batch
        options = batch.options
        references = batch.references()  # trusted, on this machine, once per run
        shared = self.client.scatter(references, broadcast=True)
        info = None
        futures = {}
        for index, (entry, digest) in enumerate(todo):
            try:
                staged = stage(entry, batch.assignment, self.workdir / f"{index}")
            except IntakeError as error:
                record = LearnerRecord(entry.learner, None, "refused", str(error))
                info = info or batch.record_run(["(not known yet: no learner reached a worker)"],
                                                "not known yet: no learner reached a Dask worker")
                batch.finished(entry, digest, record, info)
                continue
            future = self.client.submit(
                grade_on_worker, batch.assignment.id, entry.learner, pack_folder(staged), shared,
                batch.seed, options.limits, options.sandbox, key=f"cvgrade-{batch.seed}-{entry.learner}",
                pure=False)
            futures[future] = (entry, digest)
        for future in as_completed(futures):
            entry, digest = futures[future]
            data = future.result()
            if info is None or info.get("protection 1", "").startswith("(not known"):
                info = batch.record_run([f"{line} (on {data['worker']})" for line in data["protections"]],
                                        f"{data.get('sandbox', '?')} (on {data['worker']})")
            batch.finished(entry, digest, record_from_dict(data), info)

    def close(self) -> None:
        import shutil

        self.client.close()
        shutil.rmtree(self.workdir, ignore_errors=True)
