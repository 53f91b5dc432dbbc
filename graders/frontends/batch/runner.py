"""`cvgrade batch`: grade a folder of submissions into a gradebook, reports and a class summary.

The order of work, and why:
1. Discover the learners and skip those already graded with the same content
   (their record is on disk), so a killed run resumes where it stopped.
2. Draw a secret seed for this run and observe `solutions/` with it in a
   trusted worker outside the sandbox: seeded weights and random inputs that no
   learner could know in advance, so copied reference observations are worth
   nothing. This overlaps with the stations' fork servers importing TensorFlow
   and with the first learners' probes: a check waits for the references only
   when it first needs one (`PendingReferences`).
3. Grade each learner on a station (or on a Dask cluster); each finished
   learner's record, report and results.json are written at once, atomically.
4. Write the gradebook and the class summary from every record on disk.
"""

from __future__ import annotations

import concurrent.futures
import json
import queue
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from graders import render
from graders.control.observe import observe_solutions
from graders.control.sandbox import UNCOVERED
from graders.frontends.batch.intake import Entry, discover, entry_digest
from graders.frontends.batch.progress import Progress
from graders.frontends.run_info import fixture_hashes, versions
from graders.judge.references import require_solutions
from graders.judge.results import result_from_dict, result_to_dict
from graders.render import LearnerRecord
from graders.shared.files import atomic_write_text
from graders.shared.limits import Limits
from graders.shared.paths import ROOT
from graders.shared.registry import Assignment, all_assignments
from graders.shared.registry import assignment as find_assignment

RECORD_FORMAT = 1


@dataclass
class BatchOptions:
    submissions: Path
    assignment: str
    out: Path
    jobs: int = 2
    limits: Limits = field(default_factory=Limits)
    sandbox: str = "auto"  # auto | bubblewrap (both: bubblewrap or refuse) | off
    executor: str = "local"  # local | dask
    scheduler: str | None = None
    redo: bool = False
    seed: int | None = None  # None: a secret seed drawn for this run


def _importable_solutions() -> list[Path]:
    """Every folder an import finder of this interpreter would take `solutions` from, besides
    ROOT's: an editable install made from another checkout maps the package to that checkout."""
    import sys

    found = []
    for finder in sys.meta_path:
        try:
            spec = finder.find_spec("solutions", None)
        except Exception:  # noqa: BLE001 - a finder that cannot answer finds nothing
            continue
        if spec is not None:
            found += [Path(p).resolve() for p in spec.submodule_search_locations or []]
    return found


def hidden_paths_on_this_machine(extra: list[Path]) -> list[Path]:
    """What learner code must not see: answers, hidden sets, and the `extra` folders."""
    paths = [ROOT / name for name in UNCOVERED] + _importable_solutions()
    paths += [ROOT / p for a in all_assignments() for p in a.hidden_data]
    return paths + [p.resolve() for p in extra]


def hidden_paths(options: BatchOptions) -> list[Path]:
    """... and, for a local run, the submissions (other learners) and the output folder."""
    return hidden_paths_on_this_machine([options.submissions, options.out])


def learner_folder(out: Path, learner: str) -> Path:
    return out / "learners" / learner


def record_to_dict(record: LearnerRecord) -> dict:
    """Plain JSON data: what a Dask worker sends back and what record.json holds."""
    return {"learner": record.learner, "status": record.status, "reason": record.reason,
            "seconds": record.seconds, "peak_memory_bytes": record.peak_memory_bytes,
            "result": result_to_dict(record.result) if record.result else None}


def record_from_dict(data: dict) -> LearnerRecord:
    result = result_from_dict(data["result"]) if data.get("result") else None
    return LearnerRecord(data["learner"], result, data["status"], data.get("reason", ""),
                         data.get("seconds", 0.0), data.get("peak_memory_bytes", 0))


def stored_record(out: Path, entry: Entry, digest: str, assignment_id: str) -> LearnerRecord | None:
    """The record of an earlier run, if it graded this very content for this assignment."""
    path = learner_folder(out, entry.learner) / "record.json"
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("format") != RECORD_FORMAT or data.get("digest") != digest:
        return None
    if data.get("run", {}).get("assignment") != assignment_id:
        return None
    return record_from_dict(data)


def write_learner(out: Path, record: LearnerRecord, digest: str, run_info: dict) -> None:
    """Report and results.json first, the record last: a record on disk means all three are."""
    folder = learner_folder(out, record.learner)
    render.write_learner_report(folder / "report.html", record, run_info)
    results = [record.result] if record.result else []
    if results:
        render.write_gradescope(folder / "results.json", results, render.batch_grading(run_info))
    else:
        render.write_not_graded(folder / "results.json", record.reason)
    stored = {"format": RECORD_FORMAT, "digest": digest, "run": run_info, **record_to_dict(record)}
    atomic_write_text(folder / "record.json", json.dumps(stored))


def run_info(assignment: Assignment, seed: int, options: BatchOptions, protections: list[str],
             sandbox: str) -> dict:
    """What a regrade needs to reproduce a result, flat strings for the reports."""
    info = {"assignment": assignment.id, "seed": str(seed),
            "graded at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            **versions(),
            "limits": (f"{options.limits.probe_seconds:g} s per exercise, "
                       f"{options.limits.read_seconds:g} s to read a submission, "
                       f"{options.limits.memory_bytes >> 20} MiB, {options.limits.cpu_seconds} s CPU, "
                       f"{options.limits.processes} processes, CPU per exercise: its time on "
                       f"{options.limits.cpu_cores:g} core(s)"),
            "sandbox": sandbox}
    info.update({f"fixture {name}": digest for name, digest in fixture_hashes(assignment).items()})
    info.update({f"protection {i + 1}": line for i, line in enumerate(protections)})
    return info


class BatchRun:
    def __init__(self, options: BatchOptions, progress: Progress | None = None):
        self.options = options
        self.assignment = find_assignment(options.assignment)
        self.out = options.out.resolve()
        self.progress = progress or Progress(quiet=True)
        self.seed = options.seed if options.seed is not None else secrets.randbits(31)
        self.records: dict[str, LearnerRecord] = {}
        self.sandbox = "none started (no learner needed grading)"  # what ran: `Sandbox.describe`

    def entries(self) -> list[Entry]:
        """The learners of this run: one per entry of the submissions folder."""
        return discover(self.options.submissions)

    def plan(self) -> tuple[list[tuple[Entry, str]], list[tuple[Entry, str]]]:
        """(to grade, already graded) with each entry's content digest."""
        todo, done = [], []
        for entry in self.entries():
            digest = entry_digest(entry)
            stored = None if self.options.redo else stored_record(self.out, entry, digest, self.assignment.id)
            if stored is not None:
                self.records[entry.learner] = stored
                done.append((entry, digest))
            else:
                todo.append((entry, digest))
        return todo, done

    def run(self) -> list[LearnerRecord]:
        require_solutions("grading a class")  # every learner is judged against the solutions, observed anew
        if not self.assignment.hidden_data_here:  # an official grade is never the public dev set's
            missing = [path for path in self.assignment.hidden_data if not (ROOT / path).is_file()] \
                or list(self.assignment.hidden_data)
            raise FileNotFoundError(f"grading a class needs the hidden set of {self.assignment.id}, and "
                                    f"{', '.join(missing)} is missing: restore it (it is the only copy) or draw a "
                                    "new one with its data module's --build-hidden")
        if not self.options.submissions.is_dir():
            raise FileNotFoundError(f"{self.options.submissions} is not a folder of submissions")
        self.out.mkdir(parents=True, exist_ok=True)
        todo, done = self.plan()
        self.progress.start(len(todo) + len(done), already=len(done))
        if todo:
            if self.options.executor == "dask":
                from graders.frontends.batch.distributed import DaskExecutor as executor_class
            else:
                executor_class = LocalExecutor
            executor = executor_class(self)
            try:
                executor.run(todo)
            finally:
                executor.close()
        self.write_class_files()
        self.progress.finish()
        return [self.records[name] for name in sorted(self.records)]

    def references(self) -> dict:
        """The solutions observed with this run's seed, in a fresh worker outside any sandbox."""
        return observe_solutions(self.assignment, self.seed, self.options.limits)

    def finished(self, entry: Entry, digest: str, record: LearnerRecord, info: dict) -> None:
        """Write one learner's files; when they cannot be written, that learner (and no other)
        gets an error row saying why, and is graded again by the next run."""
        try:
            write_learner(self.out, record, digest, info)
        except (OSError, ValueError) as error:
            record = LearnerRecord(record.learner, None, "error",
                                   f"this learner's files could not be written ({type(error).__name__}: "
                                   f"{str(error)[:200]}); the next run grades them again",
                                   seconds=record.seconds)
        self.records[record.learner] = record
        self.progress.advance(record)

    def write_class_files(self) -> None:
        records = [self.records[name] for name in sorted(self.records)]
        exercises = self.assignment.exercises
        render.write_gradebook(self.out / "gradebook.csv", [e.id for e in exercises], records)
        info = self.run_info_for_summary()
        render.write_summary(self.out / "summary.html", self.assignment.title,
                             [(e.id, e.title, e.points) for e in exercises], records, info)

    def run_info_for_summary(self) -> dict:
        path = self.out / "run.json"
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError):
            return {"assignment": self.assignment.id}

    def record_run(self, protections: list[str], sandbox: str | None = None) -> dict:
        if sandbox is not None:
            self.sandbox = sandbox
        info = run_info(self.assignment, self.seed, self.options, protections, self.sandbox)
        atomic_write_text(self.out / "run.json", json.dumps(info, indent=2))
        return info


class ReferencesFailed(RuntimeError):
    """The solutions could not be observed: no learner can be judged in this run."""


class PendingReferences(Mapping):
    """Reference observations still being made in another thread: reading one waits for them,
    so learners' workers start and probe meanwhile and only judging waits."""

    def __init__(self, observe):
        self._observations: dict = {}
        self._failure: BaseException | None = None
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(observe,), name="references", daemon=True)
        self._thread.start()

    def _run(self, observe) -> None:
        try:
            self._observations.update(observe())
        except BaseException as error:  # noqa: BLE001 - raised to every reader, then to the run
            self._failure = error
        finally:
            self._done.set()

    def wait(self) -> dict:
        self._done.wait()
        if self._failure is not None:
            raise ReferencesFailed(f"the solutions could not be observed: {self._failure}") from self._failure
        return self._observations

    def __getitem__(self, key):
        return self.wait()[key]

    def __iter__(self):
        return iter(self.wait())

    def __len__(self) -> int:
        return len(self.wait())


class LocalExecutor:
    """Stations on this machine, one thread each; the references are observed meanwhile."""

    def __init__(self, batch: BatchRun):
        from graders.frontends.batch.station import Station

        self.batch = batch
        options = batch.options
        hidden = hidden_paths(options)
        stage_root = batch.out / ".stations"
        self.stations = [Station(i, stage_root, options.sandbox, hidden, options.limits)
                         for i in range(max(1, options.jobs))]
        self.protections = self.stations[0].sandbox.report()
        self.info = batch.record_run(self.protections, self.stations[0].sandbox.describe())
        batch.progress.note(f"sandbox: {batch.sandbox}")
        for line in self.protections:
            batch.progress.note(f"  {line}")

    def run(self, todo: list[tuple[Entry, str]]) -> None:
        batch = self.batch
        references = PendingReferences(batch.references)
        free: queue.Queue = queue.Queue()
        for station in self.stations:
            free.put(station)
        for station in self.stations:  # their TensorFlow import overlaps the references'
            _try_start(station)

        def grade(item):
            entry, digest = item
            station = free.get()
            try:
                record = station.grade(entry, batch.assignment, references, batch.seed)
            except ReferencesFailed:
                raise  # nobody can be judged: the run stops, and no learner's record is written
            except Exception as error:  # noqa: BLE001 - a grader bug costs one learner, not the batch
                record = LearnerRecord(entry.learner, None, "error",
                                       f"the grader failed on this submission: {type(error).__name__}: "
                                       f"{str(error)[:200]}")
            finally:
                free.put(station)
            batch.finished(entry, digest, record, self.info)

        with concurrent.futures.ThreadPoolExecutor(len(self.stations)) as pool:
            futures = [pool.submit(grade, item) for item in todo]
            try:
                for future in futures:
                    future.result()
            except ReferencesFailed:
                for future in futures:
                    future.cancel()
                raise

    def close(self) -> None:
        for station in self.stations:
            station.close()
        try:
            (self.batch.out / ".stations").rmdir()
        except OSError:
            pass


def _try_start(station) -> None:
    try:
        station.ensure_server()
    except Exception:  # noqa: BLE001 - retried, and reported per learner, by Station.grade
        pass
