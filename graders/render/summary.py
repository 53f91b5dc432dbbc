"""The class summary page: where a cohort stands, drawn as inline SVG (no matplotlib, no JS).

Statistics are small pure functions; pictures are small pure functions of those numbers,
so each can be tested without a browser.
"""

from __future__ import annotations

import os
import statistics
from collections import Counter

from graders.render.gradebook import LearnerRecord, learner_status, learner_total
from graders.render.html import plain, prose
from graders.render.report import run_info_table, standalone_page, status_badge
from graders.shared.files import atomic_write_text

_SVG_FONT = 'font-family="system-ui,sans-serif" font-size="11"'
_LABEL_CHARS = 40


# --- statistics ------------------------------------------------------------------------------

def graded_records(records: list[LearnerRecord]) -> list[LearnerRecord]:
    """Learners with a result from a run that finished; only they enter the score statistics."""
    return [r for r in records if r.result is not None and r.status == "graded"]


def histogram_bins(scores: list[float], maximum: float, bins: int = 10) -> list[int]:
    """Counts per bin over [0, maximum]; the last bin is closed so a full score lands in it.

    Scores outside the range (there should be none) go into the nearest end bin, so the
    counts always add up to the number of scores.
    """
    counts = [0] * bins
    for score in scores:
        clamped = min(max(score, 0.0), maximum)
        index = int(clamped * bins / maximum) if maximum > 0 else 0
        counts[min(index, bins - 1)] += 1
    return counts


def bin_edges(maximum: float, bins: int = 10) -> list[float]:
    return [maximum * i / bins for i in range(bins + 1)]


def pass_rates(exercise_ids: list[str], records: list[LearnerRecord]) -> dict[str, float]:
    """Share of graded learners with full points on each exercise (0.0 when nobody was graded)."""
    graded = graded_records(records)
    rates = {}
    for exercise_id in exercise_ids:
        full = sum(1 for r in graded for e in r.result.exercises if e.exercise == exercise_id and e.passed)
        rates[exercise_id] = full / len(graded) if graded else 0.0
    return rates


def frequent_feedback(records: list[LearnerRecord], top: int = 10) -> list[tuple[str, str, int]]:
    """(exercise id, feedback sentence, learners) for those short of full points, most frequent first."""
    counter: Counter[tuple[str, str]] = Counter()
    for record in graded_records(records):
        counter.update({(e.exercise, e.feedback) for e in record.result.exercises if not e.passed})
    ranked = sorted(counter.items(), key=lambda item: (-item[1], item[0]))
    return [(exercise, feedback, count) for (exercise, feedback), count in ranked[:top]]


def slowest(records: list[LearnerRecord], top: int = 10) -> list[tuple[str, float]]:
    """(learner, seconds) for the longest gradings: where a batch's time went."""
    ranked = sorted(records, key=lambda r: (-r.seconds, r.learner))
    return [(r.learner, r.seconds) for r in ranked[:top]]


def cohort_counts(records: list[LearnerRecord]) -> dict[str, str]:
    """Headline numbers, already formatted for the page."""
    totals = [learner_total(r) for r in graded_records(records)]
    statuses = Counter(learner_status(r) for r in records)
    return {
        "learners": str(len(records)),
        "graded": str(len(totals)),
        "graded with an exercise error": str(statuses["graded (with errors)"]),
        "refused": str(statuses["refused"]),
        "errors": str(statuses["error"]),
        "mean total": f"{statistics.fmean(totals):.2f}" if totals else "-",
        "median total": f"{statistics.median(totals):g}" if totals else "-",
    }


# --- pictures --------------------------------------------------------------------------------

def _short(text: str) -> str:
    """Truncate before escaping, so an entity is never cut in half."""
    return text if len(text) <= _LABEL_CHARS else text[:_LABEL_CHARS - 1] + "\u2026"


def _svg(title: str, width: int, height: int, content: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" {_SVG_FONT}><title>{plain(title)}</title>'
            f"{content}</svg>")


def histogram_svg(title: str, counts: list[int], edges: list[float]) -> str:
    """Vertical bars with the count above each bar and the bin's range below it."""
    left, top, bar_width, plot_height = 10, 20, 56, 160
    width, height = left * 2 + bar_width * len(counts), top + plot_height + 40
    tallest = max(counts, default=0) or 1
    parts = []
    for i, count in enumerate(counts):
        x = left + i * bar_width
        bar = plot_height * count / tallest
        y = top + plot_height - bar
        label = f"{edges[i]:.3g}\u2013{edges[i + 1]:.3g}"
        parts.append(
            f'<rect x="{x + 3}" y="{y:.1f}" width="{bar_width - 6}" height="{bar:.1f}" fill="#4a7fc1">'
            f"<title>{plain(label)}: {count}</title></rect>"
            f'<text class="count" x="{x + bar_width / 2}" y="{y - 4:.1f}" text-anchor="middle">{count}</text>'
            f'<text class="bin" x="{x + bar_width / 2}" y="{top + plot_height + 16}" '
            f'text-anchor="middle">{plain(label)}</text>')
    axis = (f'<line x1="{left}" y1="{top + plot_height}" x2="{width - left}" '
            f'y2="{top + plot_height}" stroke="#333"/>')
    return _svg(title, width, height, "".join(parts) + axis)


def hbar_svg(title: str, rows: list[tuple[str, float, str]], maximum: float) -> str:
    """Horizontal bars: (label, value, value label) per row, scaled to `maximum`."""
    label_width, bar_area, row_height = 260, 320, 22
    width, height = label_width + bar_area + 90, row_height * max(len(rows), 1) + 8
    parts = []
    for i, (label, value, value_label) in enumerate(rows):
        y = 4 + i * row_height
        length = bar_area * value / maximum if maximum > 0 else 0.0
        parts.append(
            f'<text class="label" x="{label_width - 6}" y="{y + 15}" text-anchor="end">'
            f"{plain(_short(label))}</text>"
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="{row_height - 6}" fill="#4a7fc1"/>'
            f'<text class="value" x="{label_width + length + 4:.1f}" y="{y + 15}">{plain(value_label)}</text>')
    if not rows:
        parts.append('<text x="6" y="18">nothing to show</text>')
    return _svg(title, width, height, "".join(parts))


# --- page ------------------------------------------------------------------------------------

def _table(header: list[str], rows: list[list[str]], css: str = "cvg", sentences: tuple[int, ...] = ()) -> str:
    """A table of plain strings; escapes every cell (the `sentences` columns as feedback prose)."""
    head = "".join(f"<th>{plain(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{prose(c) if i in sentences else plain(c)}</td>" for i, c in enumerate(row))
                   + "</tr>" for row in rows)
    return f'<table class="{css}"><tr>{head}</tr>{body}</table>'


def _counts_section(records: list[LearnerRecord]) -> str:
    rows = "".join(f"<tr><th>{plain(k)}</th><td>{plain(v)}</td></tr>"
                   for k, v in cohort_counts(records).items())
    return f'<h2>Counts</h2><table class="cvg counts">{rows}</table>'


def _histogram_section(max_total: float, records: list[LearnerRecord]) -> str:
    totals = [learner_total(r) for r in graded_records(records)]
    svg = histogram_svg("Histogram of total scores of graded learners",
                        histogram_bins(totals, max_total), bin_edges(max_total))
    return f"<h2>Total scores</h2><p class=\"muted\">out of {max_total:g} points</p>{svg}"


def _pass_rate_section(exercises: list[tuple[str, str, float]], records: list[LearnerRecord]) -> str:
    rates = pass_rates([e[0] for e in exercises], records)
    rows = [(title, rates[exercise_id] * 100, f"{rates[exercise_id]:.0%}") for exercise_id, title, _ in exercises]
    return ("<h2>Pass rate per exercise</h2><p class=\"muted\">share of graded learners with full points</p>"
            + hbar_svg("Pass rate per exercise", rows, 100.0))


def _feedback_section(exercises: list[tuple[str, str, float]], records: list[LearnerRecord]) -> str:
    titles = {exercise_id: title for exercise_id, title, _ in exercises}  # a title names its exercise
    rows = [[titles.get(exercise, exercise), feedback, str(count)]
            for exercise, feedback, count in frequent_feedback(records)]
    return ("<h2>Most frequent feedback</h2><p class=\"muted\">among learners short of full points</p>"
            + _table(["exercise", "feedback", "learners"], rows, "cvg feedback", sentences=(1,)))


def _slowest_section(records: list[LearnerRecord]) -> str:
    ranked = slowest(records)
    rows = [(learner, seconds, f"{seconds:.1f} s") for learner, seconds in ranked]
    return "<h2>Slowest submissions</h2>" + hbar_svg(
        "Slowest submissions (seconds)", rows, max((s for _, s in ranked), default=0.0))


def _not_graded_section(records: list[LearnerRecord]) -> str:
    rows = sorted((r for r in records if r.status != "graded"), key=lambda r: r.learner)
    body = "".join(f"<tr><td>{plain(r.learner)}</td><td>{status_badge(r.status)}</td>"
                   f"<td>{plain(r.reason)}</td></tr>" for r in rows)
    return ('<h2>Refused and failed submissions</h2><table class="cvg not-graded">'
            f"<tr><th>learner</th><th>status</th><th>reason</th></tr>{body}</table>")


def summary_html(title: str, exercise_ids_and_max: list[tuple[str, str, float]],
                 records: list[LearnerRecord], run_info: dict) -> str:
    """Counts, score histogram, pass rates, frequent feedback, slowest runs, refusals, what ran."""
    max_total = sum(maximum for _, _, maximum in exercise_ids_and_max)
    body = (f"<h1>{plain(title)}</h1>"
            + _counts_section(records)
            + _histogram_section(max_total, records)
            + _pass_rate_section(exercise_ids_and_max, records)
            + _feedback_section(exercise_ids_and_max, records)
            + _slowest_section(records)
            + _not_graded_section(records)
            + run_info_table(run_info))
    return standalone_page(title, body)


def write_summary(path: str | os.PathLike, title: str, exercise_ids_and_max: list[tuple[str, str, float]],
                  records: list[LearnerRecord], run_info: dict) -> None:
    atomic_write_text(path, summary_html(title, exercise_ids_and_max, records, run_info))
