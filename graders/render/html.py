"""pytest-html extras: pictures and tables beside each exercise, a score table on top."""

from __future__ import annotations

import base64
import html

from graders.judge.results import AssignmentResult, ExerciseResult
from graders.shared.registry import Figure

_STYLE = ("<style>table.cvg{border-collapse:collapse;margin:4px 0}"
          "table.cvg td,table.cvg th{border:1px solid #ccc;padding:2px 6px;font-size:12px}"
          "table.cvg tr.differs td{background:#ffd6d6}</style>")


def figure_html(figure: Figure) -> str:
    caption = f"<div><b>{html.escape(figure.caption)}</b></div>"
    if figure.png is not None:
        data = base64.b64encode(figure.png).decode()
        return caption + f'<img src="data:image/png;base64,{data}" alt="{html.escape(figure.caption)}">'
    rows = []
    for index, row in enumerate(figure.table or []):
        tag = "th" if index == 0 else "td"
        css = ' class="differs"' if index in figure.marked_rows else ""
        rows.append(f"<tr{css}>" + "".join(f"<{tag}>{html.escape(str(c))}</{tag}>" for c in row) + "</tr>")
    return caption + f'<table class="cvg">{"".join(rows)}</table>'


def exercise_html(result: ExerciseResult) -> str:
    parts = [_STYLE, f"<p><b>{result.points:g}/{result.max_points:g}</b> {html.escape(result.feedback)}</p>"]
    parts += [f"<div>{html.escape(d)}</div>" for d in result.details]
    parts += [f"<div><i>note: {html.escape(n)}</i></div>" for n in result.notes]
    parts += [figure_html(f) for f in result.figures]
    return "".join(parts)


def html_extras(result: ExerciseResult) -> list:
    from pytest_html import extras

    return [extras.html(exercise_html(result))]


def html_summary(result: AssignmentResult) -> str:
    rows = [["exercise", "points", "max", "feedback"]] + [
        [e.title, f"{e.points:g}", f"{e.max_points:g}", e.feedback] for e in result.exercises]
    rows.append(["total", f"{result.points:g}", f"{result.max_points:g}", ""])
    marked = tuple(i + 1 for i, e in enumerate(result.exercises) if not e.passed)
    parts = [_STYLE, figure_html(Figure(f"{result.title}: {result.submission}", table=rows, marked_rows=marked))]
    if result.load_problems:
        parts.append("<p><b>While loading</b></p><ul>" + "".join(
            f"<li>{html.escape(p)}</li>" for p in result.load_problems) + "</ul>")
    if result.left_out:
        parts.append("<details><summary>Left out of the run (not graded)</summary><ul>" + "".join(
            f"<li>{html.escape(p)}</li>" for p in result.left_out) + "</ul></details>")
    return "".join(parts)
