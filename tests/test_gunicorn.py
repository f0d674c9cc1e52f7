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
import urllib.request
from pathlib import Path

import pytest

from practice import migrate
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
    deadline = time.monotonic() + 10  # the access log line is written after the response
    output = ""
    while "rid=proxy-req-1" not in output and time.monotonic() < deadline:
        time.sleep(0.1)
        log.seek(0)
        output = log.read()
    assert SECRET not in output
    app_line = next(
        json.loads(line)
        for line in output.splitlines()
        if line.startswith("{") and '"proxy-req-1"' in line
    )
    assert (app_line["path"], app_line["remote"]) == ("/login", "203.0.113.9")
    access_line = next(
        line for line in output.splitlines() if "rid=proxy-req-1" in line and '"GET' in line
    )
    assert '"GET /login HTTP/1.1" 200' in access_line
