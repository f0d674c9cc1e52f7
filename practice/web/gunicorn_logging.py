"""gunicorn's access log as the tracker wants it: probes quiet, JSON on request.

Named by ``logger_class`` in gunicorn.conf.py. Like the app's own request log, a line holds
the path without its query string and the request id, never the request line or referrer.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

from gunicorn.glogging import Logger

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


class PracticeLogger(Logger):
    """Skips successful health probes; writes JSON lines when ``PRACTICE_LOG_JSON=1``."""

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
            "path": environ.get("PATH_INFO", ""),
            "status": status,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "request_id": request_id,
        }
        try:
            self.access_log.info(json.dumps(line))
        except Exception:  # as gunicorn's own access(): a log line never fails a request
            self.exception("access log line")
