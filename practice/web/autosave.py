"""What every autosave route shares: the refusal of a body that is not what the page sends, and
the one JSON shape of an answer the page's script reads.

The routes are the pages' own (CSRF from the X-CSRFToken header, ``practice.web.csrf``); each
validates its body, calls its area's operation (which checks the rules and audits) and answers
``{"error": {"code", "message", "fields"}}`` with 400 for bad input, 409 for a signed note or a
conflict, nothing changed either way.
"""

from __future__ import annotations

from datetime import datetime

from flask import Response, jsonify

from practice.web import localisation


class PayloadError(ValueError):
    """An autosave request whose JSON is not what the page sends; ``fields`` say where."""

    def __init__(self, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.fields = fields or {}


def json_error(
    status: int, code: str, message: str, fields: dict | None = None, **extra: object
) -> tuple[Response, int]:
    """The error answer of an autosave route."""
    body = {"error": {"code": code, "message": message, "fields": fields or {}}, **extra}
    return jsonify(body), status


def whole_number(value: object) -> bool:
    """Whether a JSON value is a whole number (true and false are not)."""
    return isinstance(value, int) and not isinstance(value, bool)


def saved_at(moment: datetime) -> str:
    """When something was saved, as the status line shows it: the time of day in the viewer's
    zone, named ("14:05 AEDT"); formatted here so the page's script needs no zone data."""
    return localisation.local_time_of_day(moment)
