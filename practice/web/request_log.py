"""Structured request logs for the standalone app: one line per request, with a request id.

``init_logging(app)`` is called by the standalone factory; a host app keeps its own logging.
A line holds the request id, method, path (never the query string), status, duration, the staff
id and the client address; never a form body, a query string or an exception's message, any of
which may carry clinical text. ``PRACTICE_LOG_JSON`` turns the lines into JSON objects.
"""

from __future__ import annotations

import logging
import re
import sys
import time
import traceback
import uuid
from time import perf_counter

import sqlalchemy as sa
from flask import Flask, Response, current_app, g, has_app_context, request

from practice.core.log_text import escape_control, json_line

REQUEST_ID_HEADER = "X-Request-ID"
# What a proxy or load balancer may hand us as a request id; anything else is replaced, so a
# client cannot inject text (or a new line) into the logs through the header.
_WELL_FORMED_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")

request_logger = logging.getLogger("practice.request")
# A partner's check-in link carries its token in the path (``/checkin/<token>``): a log line
# names the route, never the token.
_SECRET_PATH = re.compile(r"(/checkin/)[^/?#\s]+")
REDACTED = "[token]"


def redact_path(path: str) -> str:
    """``path`` with any check-in token replaced by ``[token]``, for every log line."""
    return _SECRET_PATH.sub(r"\g<1>" + REDACTED, path)


# Probes a load balancer sends every few seconds: logged only when they fail.
_QUIET_ENDPOINTS = frozenset({"practice.health.alive", "practice.health.ready"})


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time (test captures included)."""

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def exception_summary(exc_info) -> dict:
    """The exception's type and where it was raised, without its message or values.

    Messages of database errors repeat the row they refused (a note's text, say).
    """
    error_type, _error, tb = exc_info
    frames = [f"{f.filename}:{f.lineno} in {f.name}" for f in traceback.extract_tb(tb)]
    return {"type": f"{error_type.__module__}.{error_type.__qualname__}", "stack": frames}


class PracticeFormatter(logging.Formatter):
    """JSON lines when the app's ``PRACTICE_LOG_JSON`` is set, plain text otherwise."""

    converter = time.gmtime  # timestamps in UTC, as the database stores them

    def __init__(self, json_lines: bool = False) -> None:
        super().__init__()
        self.json_lines = json_lines

    def _wants_json(self) -> bool:
        if has_app_context():
            return bool(current_app.config.get("PRACTICE_LOG_JSON", self.json_lines))
        return self.json_lines

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "fields", {}))
        request_id = getattr(record, "request_id", None)
        if request_id and "request_id" not in entry:
            entry["request_id"] = request_id
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = exception_summary(record.exc_info)
        if self._wants_json():
            return json_line(entry, default=str, separators=(",", ":"))
        # Every value escaped: a path like ``/x%0a<fake line>`` stays on its own line.
        extra = " ".join(
            f"{escape_control(key)}={escape_control(value)}"
            for key, value in entry.items()
            if key not in ("time", "level", "logger", "message", "exception")
        )
        line = (
            f"{entry['time']} {entry['level'].upper()} {escape_control(record.name)}: "
            f"{escape_control(entry['message'])} {extra}"
        ).rstrip()
        if "exception" in entry:
            # The one multi-line form, made here: each continuation line is indented, and
            # what goes into it is escaped.
            summary = entry["exception"]
            parts = [escape_control(summary["type"]), *map(escape_control, summary["stack"])]
            line += "\n  " + "\n  ".join(parts)
        return line


class _RequestIdFilter(logging.Filter):
    """Stamps the current request's id on every record logged while it runs."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id") and has_app_context():
            record.request_id = g.get("request_id")
        return True


def request_id() -> str | None:
    """The current request's id (from a well-formed ``X-Request-ID``, else generated)."""
    return g.get("request_id")


def _start_request() -> None:
    incoming = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = incoming if _WELL_FORMED_ID.match(incoming) else uuid.uuid4().hex
    g.request_started = perf_counter()


def _finish_request(response: Response) -> Response:
    if "request_id" not in g:  # an earlier hook ended the request before ours ran
        g.request_id = uuid.uuid4().hex
    response.headers[REQUEST_ID_HEADER] = g.request_id
    started = g.get("request_started")
    staff = g.get("practice_staff")
    fields = {
        "request_id": g.get("request_id"),
        "method": request.method,
        # The path only: query strings may carry search terms, and those may be names.
        "path": redact_path(request.script_root + request.path),
        "status": response.status_code,
        "duration_ms": round((perf_counter() - started) * 1000, 1) if started else None,
        "remote": request.remote_addr,
        # The identity key, not ``staff.id``: after the commit the object is expired and an
        # attribute would cost a query on every request.
        "staff_id": sa.inspect(staff).identity[0] if staff is not None else None,
    }
    quiet = request.endpoint in _QUIET_ENDPOINTS and response.status_code < 400
    request_logger.log(
        logging.DEBUG if quiet else logging.INFO, "request", extra={"fields": fields}
    )
    return response


def init_logging(app: Flask) -> None:
    """Request ids and one structured line per request for ``app``; tracker logs to stderr.

    The hooks are app-wide, so only the standalone factory calls this, never the extension.
    """
    handler = _StderrHandler()
    handler.setFormatter(PracticeFormatter(bool(app.config.get("PRACTICE_LOG_JSON"))))
    handler.addFilter(_RequestIdFilter())
    for logger in (logging.getLogger("practice"), app.logger):
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False
    # The development server's own access lines include query strings; ours replace them.
    # Its warnings and errors go through our formatter, escaped like every other line.
    werkzeug_logger = logging.getLogger("werkzeug")
    werkzeug_logger.setLevel(logging.WARNING)
    for old in list(werkzeug_logger.handlers):
        werkzeug_logger.removeHandler(old)
    werkzeug_logger.addHandler(handler)
    werkzeug_logger.propagate = False
    app.before_request(_start_request)
    app.after_request(_finish_request)
