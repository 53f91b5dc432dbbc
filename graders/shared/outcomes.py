"""What a probe answers when it observed nothing: a status word and its fields.

The worker builds these answers; the judge refuses any other shape for these statuses, so
the two sides agree on one list.
"""

from __future__ import annotations

FIELDS = {"not_implemented": (), "missing": ("function",), "failed": ("message",), "error": ("error",)}
SHAPES = {status: dict.fromkeys(fields, "") for status, fields in FIELDS.items()}  # for the conformance guard


def missing(function: str) -> dict:
    return {"status": "missing", "function": function}


def not_implemented() -> dict:
    return {"status": "not_implemented"}


def failed(message: str) -> dict:
    return {"status": "failed", "message": message}


def raised(error: str, where: str | None) -> dict:
    """The learner's code raised `error` (one line) at `where` (cell and line, when known)."""
    return {"status": "error", "error": error, "where": where}
