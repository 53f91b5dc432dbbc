"""The learner's standalone HTML report: opens offline, anywhere, with nothing to fetch.

One function, `report_html`, makes it for both front ends: `cvgrade batch` writes one per
learner (one assignment), `pytest --report PATH` one per run (each assignment it graded).
Pictures and the tables of an exercise short of full points are open; a passed exercise
without pictures keeps its tables behind a click.
"""

from __future__ import annotations

import os

from graders.judge.results import AssignmentResult, ExerciseResult
from graders.render.gradebook import LearnerRecord, learner_status
from graders.render.html import feedback_html, figure_html, has_picture, loading_html, plain, score_table, status_badge
from graders.shared.files import atomic_write_text

PAGE_CSS = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1000px;padding:0 16px;color:#222;
 line-height:1.4;overflow-wrap:anywhere}
h1{font-size:22px;margin-bottom:6px}
h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:2px}
h3{font-size:16px;margin-top:24px}
section.assignment{border-top:3px solid #4a7fc1;margin-top:36px}
section.assignment>h2{font-size:20px;border-bottom:none;margin-top:12px}
code{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:90%;background:#f2f2f2;padding:0 3px;
 border-radius:3px}
table.cvg{border-collapse:collapse;margin:4px 0}
table.cvg td,table.cvg th{border:1px solid #ccc;padding:2px 6px;font-size:12px;text-align:left;
 overflow-wrap:normal}
table.cvg tr.differs td{background:#ffd6d6}
table.scores td,table.scores th,table.toc td,table.toc th{font-size:14px;padding:3px 8px}
table.reproducibility td{overflow-wrap:anywhere}
.scroll{overflow-x:auto;max-width:100%}
.status{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;font-weight:normal;
 background:#eee;vertical-align:middle}
.status-passed,.status-graded{background:#d6f5d6}.status-partial{background:#fff0c2}
.status-failed,.status-error,.status-refused,.status-missing,.status-not_implemented,
.status-graded__with_errors_{background:#ffd6d6}
.points{font-size:15px}
.feedback{font-size:15px;margin:6px 0}
.detail{margin:4px 0}
.note{margin:4px 0;color:#555;font-style:italic}
.muted{color:#666;font-size:12px}
figure{margin:12px 0}
figure .caption{font-weight:bold;margin-bottom:4px}
img{max-width:100%;height:auto}
svg{max-width:100%;height:auto}
a.up{font-size:12px;font-weight:normal;margin-left:8px}
details>summary{cursor:pointer;color:#335;margin:6px 0}
"""


def standalone_page(title: str, body: str) -> str:
    """A whole HTML document with inline CSS; `title` is escaped here, `body` must be already."""
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{plain(title)}</title><style>{PAGE_CSS}</style></head>"
            f"<body>{body}</body></html>\n")


def run_info_table(run_info: dict) -> str:
    """The reproducibility table: what ran (versions, seed, fixture hashes, sandbox)."""
    rows = "".join(f"<tr><th>{plain(k)}</th><td>{plain(v)}</td></tr>" for k, v in run_info.items())
    return f'<h2 id="reproducibility">Reproducibility</h2><table class="cvg reproducibility">{rows}</table>'


def anchor(result: AssignmentResult, exercise: ExerciseResult) -> str:
    return plain(f"{result.assignment}-{exercise.exercise}")


def _cost(record: LearnerRecord) -> str:
    memory = f", peak memory {record.peak_memory_bytes / 2**20:.0f} MiB" if record.peak_memory_bytes else ""
    return f'<p class="muted">Grading took {record.seconds:.1f} s{memory}.</p>'


def _exercise_section(result: AssignmentResult, exercise: ExerciseResult, level: int) -> str:
    figures = "".join(figure_html(f) for f in exercise.figures)
    if figures and exercise.passed and not has_picture(exercise):
        names = ", ".join(plain(f.caption) for f in exercise.figures)
        figures = f"<details><summary>{names}</summary>{figures}</details>"
    return (f'<section class="exercise" id="{anchor(result, exercise)}">'
            f"<h{level}>{plain(exercise.title)} {status_badge(exercise.status)}</h{level}>"
            f"{feedback_html(exercise)}{figures}</section>")


def score_status(record: LearnerRecord) -> str:
    """The badge of an assignment on the page: how far its points are (the gradebook's word,
    `learner_status`, says only whether it was graded)."""
    status = learner_status(record)
    if status != "graded":
        return status
    result = record.result
    if result.points >= result.max_points:
        return "passed"
    return "partial" if result.points > 0 else "failed"


def _headline(record: LearnerRecord) -> str:
    result = record.result
    practice = "" if result.counts_for_grade else ' <span class="muted">practice: does not count for a grade</span>'
    reason = f"<p>{plain(record.reason)}</p>" if record.reason else ""
    return (f'<p class="points">{status_badge(score_status(record))} '
            f"<b>{result.points:g} / {result.max_points:g}</b> points{practice}</p>{reason}")


def _not_graded(record: LearnerRecord) -> str:
    reason = plain(record.reason) if record.reason else "no reason was recorded"
    return f"<p>{status_badge(record.status)} This submission could not be graded: {reason}</p>"


def assignment_section(record: LearnerRecord, level: int) -> str:
    """One assignment: points, score table, what loading said, each exercise, the time it took.
    `level` is the heading level of its exercises."""
    result = record.result
    if result is None:
        return _not_graded(record) + _cost(record)
    return (_headline(record) + score_table(result, lambda e: anchor(result, e)) + loading_html(result)
            + "".join(_exercise_section(result, e, level) for e in result.exercises) + _cost(record))


def record_name(record: LearnerRecord) -> str:
    return record.result.title if record.result is not None else "not graded"


def _contents(records: list[LearnerRecord]) -> str:
    """The table of contents of a page with several assignments: one row each, with its points."""
    rows = ["<tr><th>assignment</th><th>status</th><th>points</th><th>max</th></tr>"]
    for index, record in enumerate(records):
        result = record.result
        points = (f"<td>{result.points:g}</td><td>{result.max_points:g}</td>" if result is not None
                  else "<td></td><td></td>")
        rows.append(f'<tr><td><a href="#assignment-{index + 1}">{plain(record_name(record))}</a></td>'
                    f"<td>{status_badge(score_status(record))}</td>{points}</tr>")
    return f'<h2 id="contents">Contents</h2><div class="scroll"><table class="cvg toc">{"".join(rows)}</table></div>'


def report_title(learner: str, records: list[LearnerRecord]) -> str:
    if len(records) == 1:
        return f"{learner}: {record_name(records[0])}"
    return f"{learner}: {len(records)} assignments"


def report_html(learner: str, records: list[LearnerRecord], run_info: dict) -> str:
    """The page for one learner's `records` (one per assignment): headline and score table, then
    each exercise (feedback, details, notes, figures), then what ran. With several assignments,
    a table of contents first and one section per assignment."""
    title = report_title(learner, records)
    if len(records) == 1:
        body = f"<h1>{plain(title)}</h1>" + assignment_section(records[0], 2)
    else:
        body = f"<h1>{plain(title)}</h1>" + _contents(records) + "".join(
            f'<section class="assignment" id="assignment-{index + 1}"><h2>{plain(record_name(record))} '
            '<a class="up" href="#contents">contents</a></h2>'
            f"{assignment_section(record, 3)}</section>" for index, record in enumerate(records))
    return standalone_page(title, body + run_info_table(run_info))


def write_report(path: str | os.PathLike, learner: str, records: list[LearnerRecord], run_info: dict) -> None:
    atomic_write_text(path, report_html(learner, records, run_info))


def learner_report_html(record: LearnerRecord, run_info: dict) -> str:
    """A batch learner's page: `report_html` of their one record."""
    return report_html(record.learner, [record], run_info)


def write_learner_report(path: str | os.PathLike, record: LearnerRecord, run_info: dict) -> None:
    write_report(path, record.learner, [record], run_info)
