"""The production server: gunicorn with gunicorn.conf.py serves the app from wsgi.py."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from practice.core import migrate
from tests.conftest import make_test_app
from tests.databases import on_ci

REPO = Path(__file__).resolve().parent.parent
SECRET = "Query-Held-Partner-Name"

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, headers: dict | None = None) -> tuple[int, dict, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def server(tmp_path):
    """gunicorn with 2 workers on a free loopback port and a migrated SQLite database."""
    if not on_ci():  # installed with the package; only a hand-made environment may lack it
        pytest.importorskip("gunicorn")
    url = f"sqlite:///{tmp_path / 'practice.db'}"
    app = make_test_app(url, tmp_path / "instance")
    with app.app_context():
        migrate.upgrade()
        app.extensions["sqlalchemy"].engine.dispose()
    port = _free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "DATABASE_URL": url,
        "SECRET_KEY": "gunicorn-test-secret",
        "PRACTICE_INSTANCE_PATH": str(tmp_path / "instance"),
        "PRACTICE_LOG_JSON": "1",
        "PROXY_COUNT": "1",
    }
    env.pop("PRACTICE_ENV", None)
    log = (tmp_path / "gunicorn.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            if _get(f"{base}/healthz")[0] == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            log.seek(0)
            pytest.fail(f"gunicorn did not start:\n{log.read()}")
        time.sleep(0.1)
    try:
        yield base, process, log
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def test_gunicorn_serves_the_app_with_two_workers(server):
    base, process, _log = server
    status, _, body = _get(f"{base}/healthz")
    assert (status, body) == (200, "ok")
    status, headers, body = _get(f"{base}/login")
    assert status == 200 and "Sign in" in body
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert _get(f"{base}/readyz")[0] == 200
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    deadline = time.monotonic() + 5  # the workers fork one after the other
    while len(children.read_text().split()) < 2 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert len(children.read_text().split()) == 2


def test_behind_a_trusted_proxy_and_logged_without_query_strings(server):
    base, _process, log = server
    status, headers, _ = _get(
        f"{base}/login?next={SECRET}",
        {
            "X-Forwarded-For": "203.0.113.9",
            "X-Forwarded-Proto": "https",
            "X-Request-ID": "proxy-req-1",
        },
    )
    assert status == 200
    assert headers["X-Request-ID"] == "proxy-req-1"
    # ProxyFix took the scheme from the proxy: the app answered as over HTTPS.
    assert headers["Strict-Transport-Security"].startswith("max-age=")
    lines = _json_lines_until(log, lambda found: _line(found, "gunicorn.access", "proxy-req-1"))
    log.seek(0)
    assert SECRET not in log.read()
    app_line = _line(lines, "practice.request", "proxy-req-1")
    assert (app_line["path"], app_line["remote"]) == ("/login", "203.0.113.9")
    access_line = _line(lines, "gunicorn.access", "proxy-req-1")
    assert (access_line["method"], access_line["path"], access_line["status"]) == (
        "GET",
        "/login",
        200,
    )


def _json_lines_until(log, condition, timeout: float = 10) -> list[dict]:
    """The log's JSON lines, once ``condition(lines)`` holds (access lines follow responses)."""
    deadline = time.monotonic() + timeout
    while True:
        log.seek(0)
        lines = [json.loads(line) for line in log.read().splitlines() if line.startswith("{")]
        if condition(lines) or time.monotonic() > deadline:
            return lines
        time.sleep(0.1)


def _line(lines: list[dict], logger: str, request_id: str) -> dict | None:
    return next(
        (
            line
            for line in lines
            if line.get("logger") == logger and line.get("request_id") == request_id
        ),
        None,
    )


def test_successful_probes_stay_out_of_the_access_log(server):
    base, _process, log = server
    for path in ("/healthz", "/readyz"):
        assert _get(f"{base}{path}", {"X-Request-ID": f"probe{path.replace('/', '-')}"})[0] == 200
    assert _get(f"{base}/nowhere", {"X-Request-ID": "after-probes"})[0] == 404
    lines = _json_lines_until(log, lambda found: _line(found, "gunicorn.access", "after-probes"))
    assert _line(lines, "gunicorn.access", "after-probes")["status"] == 404
    assert not [line for line in lines if str(line.get("request_id", "")).startswith("probe-")]


def test_a_forged_line_in_the_path_stays_one_json_line(server):
    base, _process, log = server
    fake = '{"logger":"gunicorn.access","path":"/admin","request_id":"forged"}'
    assert _get(f"{base}/x%0a{urllib.parse.quote(fake)}", {"X-Request-ID": "crlf-1"})[0] == 404
    lines = _json_lines_until(log, lambda found: _line(found, "gunicorn.access", "crlf-1"))
    assert not [line for line in lines if line.get("request_id") == "forged"]
    assert _line(lines, "gunicorn.access", "crlf-1")["path"] == "/x\n" + fake
    assert _line(lines, "practice.request", "crlf-1")["path"] == "/x\n" + fake


def _plain_access_logger(tmp_path, monkeypatch):
    from gunicorn.config import Config

    from practice.web.gunicorn_logging import PracticeLogger

    monkeypatch.delenv("PRACTICE_LOG_JSON", raising=False)
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    namespace: dict = {}
    exec((REPO / "gunicorn.conf.py").read_text(), namespace)
    cfg.set("access_log_format", namespace["access_log_format"])
    return PracticeLogger(cfg)


def test_the_plain_access_log_escapes_control_characters(tmp_path, monkeypatch):
    import datetime
    from types import SimpleNamespace

    logger = _plain_access_logger(tmp_path, monkeypatch)
    response = SimpleNamespace(
        status="404 NOT FOUND", status_code=404, sent=9, headers=[("X-Request-ID", "r1")]
    )
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": "/x%0afake",
        "PATH_INFO": '/x\n127.0.0.1 [01/Jan/2026] "GET /admin HTTP/1.1" 200\r\x1b\\',
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
    }
    logger.access(response, SimpleNamespace(headers=[]), environ, datetime.timedelta(0, 0, 5))
    logger.error("bad request line %s", "GET /\nforged line")
    for handler in logger.access_log.handlers + logger.error_log.handlers:
        handler.flush()
    access = (tmp_path / "access.log").read_text().splitlines()
    assert len(access) == 1
    assert '/x\\n127.0.0.1 [01/Jan/2026] \\"GET /admin' in access[0]
    assert '\\r\\x1b\\\\ HTTP/1.1" 404' in access[0]
    errors = (tmp_path / "error.log").read_text().splitlines()
    assert len(errors) == 1 and errors[0].endswith("GET /\\nforged line")


def test_the_error_log_names_an_exception_by_type_and_place_never_by_message(tmp_path, monkeypatch):
    logger = _plain_access_logger(tmp_path, monkeypatch)
    try:
        raise ValueError("Sam said he felt abandoned")  # as a database error repeats a row
    except ValueError:
        logger.exception("Error handling request %s", "/sessions/7")
    for handler in logger.error_log.handlers:
        handler.flush()
    errors = (tmp_path / "error.log").read_text().splitlines()
    assert len(errors) == 1
    assert "Error handling request /sessions/7" in errors[0]
    assert "exception=builtins.ValueError at " in errors[0]
    assert "test_gunicorn.py" in errors[0] and "abandoned" not in errors[0]
