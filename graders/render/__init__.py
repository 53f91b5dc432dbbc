"""Renderers of the one results model (`results.py`): terminal, HTML, Gradescope JSON."""

from graders.render.gradebook import LearnerRecord, gradebook_csv, write_gradebook
from graders.render.gradescope import (
    LEARNER_SIDE,
    batch_grading,
    gradescope_document,
    not_graded_document,
    write_gradescope,
    write_not_graded,
)
from graders.render.html import html_extras, html_summary
from graders.render.report import learner_report_html, report_html, write_learner_report, write_report
from graders.render.summary import histogram_bins, pass_rates, summary_html, write_summary
from graders.render.terminal import terminal_table, visible

__all__ = ["LEARNER_SIDE", "LearnerRecord", "batch_grading", "gradebook_csv", "gradescope_document", "histogram_bins", "html_extras",
           "html_summary", "learner_report_html", "not_graded_document", "pass_rates", "report_html", "summary_html",
           "terminal_table", "visible", "write_gradebook", "write_gradescope", "write_learner_report", "write_not_graded",
           "write_report", "write_summary"]
