"""Structured request logs: a request id, the path without its query string, never a body."""

from __future__ import annotations

import json
import logging
import re

import pytest

from practice.models import Role
from tests.conftest import make_test_app

PHRASE = "Violet-Harbour-Confession"


def _lines(captured: str) -> list[dict]:
    """The JSON objects among the captured stderr lines (other output is ignored)."""
    entries = []
    for line in captured.splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    return entries


def _requests(captured: str) -> list[dict]:
    return [entry for entry in _lines(captured) if entry.get("logger") == "practice.request"]


@pytest.fixture
def json_logs(app, monkeypatch, capsys):
    monkeypatch.setitem(app.config, "PRACTICE_LOG_JSON", True)
    capsys.readouterr()  # drop whatever earlier fixtures printed
    return capsys


def test_each_request_logs_one_json_line_with_its_request_id(client, json_logs):
    response = client.get("/login")
    entries = _requests(json_logs.readouterr().err)
    assert len(entries) == 1
    entry = entries[0]
    assert entry["request_id"] == response.headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", entry["request_id"])
    assert entry["method"] == "GET"
    assert entry["path"] == "/login"
    assert entry["status"] == 200
    assert isinstance(entry["duration_ms"], float) and entry["duration_ms"] >= 0
    assert entry["level"] == "info"
    assert entry["time"].endswith("Z")


def test_a_well_formed_incoming_request_id_is_kept(client, json_logs):
    response = client.get("/login", headers={"X-Request-ID": "lb-7f3a.42:1"})
    assert response.headers["X-Request-ID"] == "lb-7f3a.42:1"
    assert _requests(json_logs.readouterr().err)[0]["request_id"] == "lb-7f3a.42:1"


@pytest.mark.parametrize(
    "incoming", ["has space", "x" * 65, "new\\nline", "<script>", "-leading-dash", ""]
)
def test_a_malformed_request_id_is_replaced(client, json_logs, incoming):
    response = client.get("/login", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] != incoming
    assert re.fullmatch(r"[0-9a-f]{32}", response.headers["X-Request-ID"])


def test_the_query_string_never_reaches_the_log(client, auth, make_staff, json_logs):
    auth.login(make_staff(Role.COUNSELLOR))
    json_logs.readouterr()
    client.get(f"/cases?q={PHRASE}&status=all")
    captured = json_logs.readouterr().err
    assert PHRASE not in captured
    entry = _requests(captured)[-1]
    assert entry["path"] == "/cases"
    assert entry["staff_id"] is not None


def test_form_bodies_never_reach_the_log(client, auth, make_staff, json_logs):
    member = make_staff(Role.COUNSELLOR)
    auth.login(member, password=f"wrong {PHRASE}")
    auth.login(member)
    auth.post("/jobs", {"audience": PHRASE, "period_start": PHRASE})
    captured = json_logs.readouterr().err
    assert PHRASE not in captured
    assert {e["path"] for e in _requests(captured)} >= {"/login", "/jobs"}


def test_note_text_saved_by_autosave_never_reaches_the_log(
    client, auth, case, make_session, json_logs
):
    session = make_session(case)
    auth.login(case.counsellor)
    token = auth.csrf_token(f"/sessions/{session.id}")
    json_logs.readouterr()
    response = client.post(
        f"/sessions/{session.id}/autosave",
        json={
            "version": session.version,
            "note_data": f"Partner A said: {PHRASE}",
            "note_assessment": PHRASE,
            "note_plan": PHRASE,
        },
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    captured = json_logs.readouterr().err
    assert PHRASE not in captured
    assert _requests(captured)[-1]["path"] == f"/sessions/{session.id}/autosave"


def test_successful_health_probes_stay_out_of_the_log(client, json_logs):
    client.get("/healthz")
    client.get("/readyz")
    assert _requests(json_logs.readouterr().err) == []


def test_plain_text_lines_by_default(client, capsys):
    capsys.readouterr()
    response = client.get(f"/login?next={PHRASE}")
    captured = capsys.readouterr().err
    line = next(line for line in captured.splitlines() if "practice.request" in line)
    assert f"request_id={response.headers['X-Request-ID']}" in line
    assert "path=/login " in line and "status=200" in line
    assert PHRASE not in captured


def test_an_exception_is_logged_by_type_never_by_message(tmp_path, capsys):
    app = make_test_app(
        f"sqlite:///{tmp_path / 'p.db'}",
        tmp_path / "instance",
        TESTING=False,
        PROPAGATE_EXCEPTIONS=False,
        PRACTICE_LOG_JSON=True,
    )

    @app.route("/boom")
    def boom():
        raise RuntimeError(f"note text {PHRASE}")

    capsys.readouterr()
    response = app.test_client().get("/boom", headers={"X-Request-ID": "boom-1"})
    captured = capsys.readouterr().err
    assert response.status_code == 500
    assert PHRASE not in captured
    entries = _lines(captured)
    error = next(e for e in entries if "exception" in e)
    assert error["exception"]["type"] == "builtins.RuntimeError"
    assert error["request_id"] == "boom-1"
    assert any("in boom" in frame for frame in error["exception"]["stack"])
    assert _requests(captured)[-1]["status"] == 500


FORGED = "2026-01-01T00:00:00.000Z INFO practice.request: request path=/admin status=200"


def test_a_path_with_an_encoded_new_line_writes_one_escaped_plain_line(client, capsys):
    capsys.readouterr()
    client.get("/x%0a" + FORGED.replace(" ", "%20") + "%0d%1b[2J%7f%e2%80%a8")
    lines = [line for line in capsys.readouterr().err.splitlines() if line]
    assert not [line for line in lines if line.startswith("2026-01-01T00:00:00.000Z")]
    request_lines = [line for line in lines if "practice.request" in line]
    assert len(request_lines) == 1
    line = request_lines[0]
    assert "path=/x\\n2026-01-01T00:00:00.000Z" in line
    assert "\\r\\x1b[2J\\x7f\\u2028" in line
    assert not any(ch in line for ch in "\r\x1b\x7f\u2028")


def test_a_backslash_in_a_path_cannot_pass_for_an_escape(client, capsys):
    capsys.readouterr()
    client.get("/x%5cn")
    line = next(line for line in capsys.readouterr().err.splitlines() if "practice.request" in line)
    assert "path=/x\\\\n " in line


def test_json_lines_escape_every_control_character(client, json_logs):
    client.get("/x%0afake%7f%c2%85%e2%80%a8")
    captured = json_logs.readouterr().err
    raw = next(line for line in captured.splitlines() if '"practice.request"' in line)
    assert not any(ch in raw for ch in "\n\r\x7f\x85\u2028")
    assert _requests(captured)[-1]["path"] == "/x\nfake\x7f\x85\u2028"


def test_the_logged_exception_place_is_escaped():
    from practice.web.request_log import PracticeFormatter

    try:
        raise ValueError("x")
    except ValueError:
        import sys

        exc_info = sys.exc_info()
    record = logging.LogRecord("practice.x", logging.ERROR, "f", 1, "bad\nline", (), exc_info)
    text = PracticeFormatter().format(record)
    assert text.splitlines()[0].endswith("bad\\nline")
    assert all(line.startswith("  ") for line in text.splitlines()[1:])
