"""HTML fragments of the results model: prose, figures, one exercise, the score table.

The learner's report (`report.py`) is built from them, and so are the pytest-html extras
(`html_extras`, `html_summary`) for those who ask pytest for `--html`.
"""

from __future__ import annotations

import base64
import html
import re

from graders.judge.results import AssignmentResult, ExerciseResult
from graders.shared.registry import Figure

_STYLE = ("<style>table.cvg{border-collapse:collapse;margin:4px 0}"
          "table.cvg td,table.cvg th{border:1px solid #ccc;padding:2px 6px;font-size:12px}"
          "table.cvg tr.differs td{background:#ffd6d6}</style>")

_CODE_SPAN = re.compile(r"`([^`\n]+)`")


def plain(text: str) -> str:
    """Escaped text; a backtick becomes an entity, so none reaches the page as such."""
    return html.escape(str(text)).replace("`", "&#96;")


def prose(text: str) -> str:
    """A sentence of feedback: escaped first, then its `code` spans made <code> (a lone
    backtick stays a character); the escaping is done before, so nothing in a span is markup."""
    escaped = html.escape(str(text))
    return _CODE_SPAN.sub(r"<code>\1</code>", escaped).replace("`", "&#96;")


def has_picture(result: ExerciseResult) -> bool:
    return any(figure.png is not None for figure in result.figures)


def figure_html(figure: Figure) -> str:
    caption = f'<div class="caption">{plain(figure.caption)}</div>'
    if figure.png is not None:
        data = base64.b64encode(figure.png).decode()
        return f'<figure>{caption}<img src="data:image/png;base64,{data}" alt="{plain(figure.caption)}"></figure>'
    rows = []
    for index, row in enumerate(figure.table or []):
        tag = "th" if index == 0 else "td"
        css = ' class="differs"' if index in figure.marked_rows else ""
        rows.append(f"<tr{css}>" + "".join(f"<{tag}>{plain(c)}</{tag}>" for c in row) + "</tr>")
    return f'<figure>{caption}<div class="scroll"><table class="cvg">{"".join(rows)}</table></div></figure>'


def feedback_html(result: ExerciseResult) -> str:
    """Points and the one sentence, then details and notes."""
    parts = [f'<p class="feedback"><b>{result.points:g}/{result.max_points:g}</b> {prose(result.feedback)}</p>']
    parts += [f'<p class="detail">{prose(d)}</p>' for d in result.details]
    parts += [f'<p class="note">note: {prose(n)}</p>' for n in result.notes]
    return "".join(parts)


def exercise_html(result: ExerciseResult) -> str:
    """Feedback, details, notes and every figure, open."""
    return feedback_html(result) + "".join(figure_html(f) for f in result.figures)


def html_extras(result: ExerciseResult) -> list:
    from pytest_html import extras

    return [extras.html(_STYLE + exercise_html(result))]


def score_table(result: AssignmentResult, anchor=None) -> str:
    """Exercise, status, points, max, one row each (a row short of full points marked), and the
    total. With `anchor(exercise)`, each exercise's name links to its section; the feedback is
    left to the sections, so that each sentence is said once."""
    rows = ["<tr><th>exercise</th><th>status</th><th>points</th><th>max</th></tr>"]
    for exercise in result.exercises:
        name = plain(exercise.title)
        if anchor is not None:
            name = f'<a href="#{anchor(exercise)}">{name}</a>'
        css = "" if exercise.passed else ' class="differs"'
        rows.append(f"<tr{css}><td>{name}</td><td>{status_badge(exercise.status)}</td>"
                    f"<td>{exercise.points:g}</td><td>{exercise.max_points:g}</td></tr>")
    rows.append(f'<tr class="total"><th>total</th><th></th><th>{result.points:g}</th>'
                f"<th>{result.max_points:g}</th></tr>")
    return f'<div class="scroll"><table class="cvg scores">{"".join(rows)}</table></div>'


def status_badge(status: str) -> str:
    css = "".join(c if c.isalnum() or c == "_" else "_" for c in status)
    return f'<span class="status status-{css}">{plain(status.replace("_", " "))}</span>'


def loading_html(result: AssignmentResult) -> str:
    """What happened while the submission was read: problems, and statements left out."""
    parts = []
    if result.load_problems:
        parts.append("<p><b>While loading</b></p><ul>" + "".join(
            f"<li>{prose(p)}</li>" for p in result.load_problems) + "</ul>")
    if result.left_out:
        parts.append("<details><summary>Left out of the run (not graded)</summary><ul>" + "".join(
            f"<li>{prose(p)}</li>" for p in result.left_out) + "</ul></details>")
    return "".join(parts)


def html_summary(result: AssignmentResult) -> str:
    """pytest-html's summary: the score table with each sentence (pytest-html shows no sections)."""
    rows = [["exercise", "points", "max", "feedback"]] + [
        [e.title, f"{e.points:g}", f"{e.max_points:g}", e.feedback] for e in result.exercises]
    rows.append(["total", f"{result.points:g}", f"{result.max_points:g}", ""])
    marked = tuple(i + 1 for i, e in enumerate(result.exercises) if not e.passed)
    return (_STYLE + figure_html(Figure(f"{result.title}: {result.submission}", table=rows, marked_rows=marked))
            + loading_html(result))
