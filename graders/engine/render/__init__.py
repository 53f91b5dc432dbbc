"""Renderers of the one results model (`results.py`): terminal, HTML, Gradescope JSON."""

from .gradescope import gradescope_document, write_gradescope
from .html import html_extras, html_summary
from .terminal import terminal_table

__all__ = ["gradescope_document", "html_extras", "html_summary", "terminal_table", "write_gradescope"]
