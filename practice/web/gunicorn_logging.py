"""gunicorn's access log as the tracker wants it: probes quiet, JSON on request.

Named by ``logger_class`` in gunicorn.conf.py. Like the app's own request log, a line holds
the path without its query string and the request id, never the request line or referrer.
Every line, access or error, plain or JSON, has its control characters escaped
(``practice.core.log_text``): a path such as ``/x%0a<fake line>`` cannot add a line.
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger

from practice.core.log_text import escape_control, json_line
from practice.web.request_log import exception_summary, redact_path

# Load balancers and orchestrators ask these every few seconds; a success says nothing new.
PROBE_PATHS = frozenset({"/healthz", "/readyz"})


def _status_code(resp) -> int:
    code = getattr(resp, "status_code", None)
    if isinstance(code, int):
        return code
    try:
        return int(str(resp.status).split()[0])
    except (ValueError, IndexError, AttributeError):
        return 0


class _EscapingFormatter(logging.Formatter):
    """Wraps gunicorn's formatter: the finished text on one line, and an exception by its type
    and place only, never its message (a database error's message repeats the row it refused,
    a note's text, say).

    Backslashes are left alone: the access line's values are escaped already (``atoms``), and
    a JSON line's escapes must stay valid JSON."""

    def __init__(self, inner: logging.Formatter | None) -> None:
        super().__init__()
        self.inner = inner or logging.Formatter()

    def format(self, record: logging.LogRecord) -> str:
        summary = None
        if record.exc_info and record.exc_info[0] is not None:
            summary = exception_summary(record.exc_info)
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        text = self.inner.format(record)
        if summary is not None:
            text += f" exception={summary['type']} at {' < '.join(reversed(summary['stack']))}"
        return escape_control(text, backslashes=False)


class PracticeLogger(Logger):
    """Skips successful health probes; writes JSON lines when ``PRACTICE_LOG_JSON=1``;
    escapes control characters in every line."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if not isinstance(handler.formatter, _EscapingFormatter):
                    handler.setFormatter(_EscapingFormatter(handler.formatter))

    def atoms(self, resp, req, environ, request_time) -> dict:
        """gunicorn's values for ``access_log_format``, every text escaped (path, headers) and
        any check-in token replaced (``redact_path``): the request line, the path and the
        referrer alike."""
        atoms = super().atoms(resp, req, environ, request_time)
        return {
            key: escape_control(redact_path(v)) if isinstance(v, str) else v
            for key, v in atoms.items()
        }

    def access(self, resp, req, environ, request_time) -> None:
        status = _status_code(resp)
        if environ.get("PATH_INFO") in PROBE_PATHS and 200 <= status < 400:
            return
        if os.environ.get("PRACTICE_LOG_JSON") != "1":
            super().access(resp, req, environ, request_time)
            return
        if not self.access_log_enabled:
            return
        headers = getattr(resp, "headers", None) or []
        request_id = next((v for k, v in headers if k.lower() == "x-request-id"), "")
        line = {
            "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "level": "info",
            "logger": "gunicorn.access",
            "message": "access",
            "remote": environ.get("REMOTE_ADDR", ""),
            "method": environ.get("REQUEST_METHOD", ""),
            "path": redact_path(environ.get("PATH_INFO", "")),
            "status": status,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "request_id": request_id,
        }
        try:
            self.access_log.info(json_line(line))
        except Exception:  # as gunicorn's own access(): a log line never fails a request
            self.exception("access log line")
