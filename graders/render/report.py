"""One learner's standalone HTML report: opens offline, anywhere, with nothing to fetch."""

from __future__ import annotations

import html
import os

from graders.judge.results import ExerciseResult
from graders.render.gradebook import LearnerRecord, learner_status
from graders.render.html import exercise_html, html_summary
from graders.shared.files import atomic_write_text

PAGE_CSS = """
body{font-family:system-ui,sans-serif;margin:24px auto;max-width:1000px;padding:0 12px;color:#222}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd}
table.cvg{border-collapse:collapse;margin:4px 0}
table.cvg td,table.cvg th{border:1px solid #ccc;padding:2px 6px;font-size:12px;text-align:left}
table.cvg tr.differs td{background:#ffd6d6}
.status{display:inline-block;padding:0 6px;border-radius:3px;font-size:12px;background:#eee}
.status-passed,.status-graded{background:#d6f5d6}.status-partial{background:#fff0c2}
.status-failed,.status-error,.status-refused,.status-missing,.status-not_implemented{background:#ffd6d6}
.muted{color:#666;font-size:12px}
img{max-width:100%}
"""


def standalone_page(title: str, body: str) -> str:
    """A whole HTML document with inline CSS; `title` is escaped here, `body` must be already."""
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{PAGE_CSS}</style></head>"
            f"<body>{body}</body></html>\n")


def status_badge(status: str) -> str:
    css = "".join(c if c.isalnum() or c == "_" else "_" for c in status)
    return f'<span class="status status-{css}">{html.escape(status)}</span>'


def run_info_table(run_info: dict) -> str:
    """The reproducibility table: what ran (versions, seed, fixture hashes, sandbox)."""
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>"
                   for k, v in run_info.items())
    return f'<h2 id="reproducibility">Reproducibility</h2><table class="cvg reproducibility">{rows}</table>'


def _run_line(record: LearnerRecord) -> str:
    memory = f", peak memory {record.peak_memory_bytes / 2**20:.0f} MiB" if record.peak_memory_bytes else ""
    return f'<p class="muted">Grading took {record.seconds:.1f} s{memory}.</p>'


def _exercise_section(exercise: ExerciseResult) -> str:
    return (f'<section id="exercise-{html.escape(exercise.exercise)}">'
            f"<h2>{html.escape(exercise.title)} {status_badge(exercise.status)}</h2>"
            f"{exercise_html(exercise)}</section>")


def _not_graded_body(record: LearnerRecord) -> str:
    reason = html.escape(record.reason) if record.reason else "no reason was recorded"
    return (f"<h1>{html.escape(record.learner)}</h1>"
            f"<p>{status_badge(record.status)} This submission could not be graded: {reason}</p>")


def report_title(record: LearnerRecord) -> str:
    if record.result is None:
        return f"{record.learner}: not graded"
    return f"{record.learner}: {record.result.assignment} {record.result.title}"


def learner_report_html(record: LearnerRecord, run_info: dict) -> str:
    """Score table, then each exercise (feedback, details, notes, figures), then what ran."""
    result = record.result
    if result is None:
        body = _not_graded_body(record)
    else:
        reason = f"<p>{html.escape(record.reason)}</p>" if record.reason else ""
        body = (f"<h1>{html.escape(record.learner)}: {html.escape(result.assignment)} "
                f"{html.escape(result.title)}</h1>"
                f"<p>{status_badge(learner_status(record))} "
                f"<b>{result.points:g} / {result.max_points:g}</b> points</p>{reason}"
                + html_summary(result)
                + "".join(_exercise_section(e) for e in result.exercises))
    body += _run_line(record) + run_info_table(run_info)
    return standalone_page(report_title(record), body)


def write_learner_report(path: str | os.PathLike, record: LearnerRecord, run_info: dict) -> None:
    atomic_write_text(path, learner_report_html(record, run_info))
