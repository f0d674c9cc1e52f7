"""No lost updates: many people saving the same draft at once through gunicorn's workers.

Each round, every client reads the note's version, then all of them save their own text at the
same instant (a barrier releases them). Exactly one save per round may win; every other one gets
the conflict page with its text kept (autosave and the API: a 409), and nothing is
overwritten silently. Runs on SQLite (WAL, BEGIN IMMEDIATE) and PostgreSQL, with real processes.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path

import pytest
from sqlalchemy import select

from practice.accounts import operations as accounts
from practice.accounts import tokens
from practice.core import migrate
from practice.core.database import db
from practice.models import AuditEvent, Case, CycleRole, Partner, Role, TherapySession
from tests.conftest import BACKENDS, make_test_app
from tests.databases import fresh_database, on_ci

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "Concurrent-Saves-2026"
EMAIL = "counsellor@concurrency.example"
CLIENTS = 8
ROUNDS = 6
WORKERS = 3
VIAS = ("form", "autosave", "api")

pytestmark = pytest.mark.slow

_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
_VERSION = re.compile(r'<input[^>]*name="version"[^>]*value="(\d+)"')
_CONFLICT = "This note was saved elsewhere while you were writing"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to classify, not to follow


class Browser:
    """One person's browser (its own cookie jar, hence its own signed-in session), or a script
    calling the API with a token."""

    def __init__(self, base: str, token: str | None = None) -> None:
        self.base = base
        self.token = token
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect()
        )

    def request(self, path: str, data=None, headers=None) -> tuple[int, dict, str]:
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        if self.token and data is not None:
            request.method = "PATCH"
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read().decode()

    def post_form(self, path: str, fields: dict) -> tuple[int, dict, str]:
        return self.request(path, urllib.parse.urlencode(fields).encode())

    def csrf(self, page: str) -> str:
        match = _CSRF.search(page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def login(self) -> None:
        status, _, page = self.request("/login")
        assert status == 200
        fields = {"email": EMAIL, "password": PASSWORD, "csrf_token": self.csrf(page)}
        status, headers, _ = self.post_form("/login", fields)
        assert status == 302 and "/login" not in headers["Location"], "sign-in failed"


@dataclass
class Outcome:
    """One save as the client saw it."""

    round: int
    client: int
    via: str  # "form" or "autosave"
    read_version: int
    text: str
    status: int
    kind: str  # "saved", "conflict" or "error"
    version: int | None = None  # the version an autosave acknowledged
    detail: str = ""


@dataclass(frozen=True)
class Seeded:
    session_id: int
    api_token: str


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _seed(url: str, tmp_path) -> Seeded:
    """Migrate, then a counsellor with a login and an API token, a couple and one empty draft."""
    app = make_test_app(url, tmp_path / "instance")
    with app.app_context():
        migrate.upgrade()
        member = accounts.create_staff(
            email=EMAIL, display_name="Concurrent Counsellor", role=Role.COUNSELLOR,
            password=PASSWORD, actor_label="test",
        )  # fmt: skip
        case = Case(reference="C-RACE", counsellor=member, opened_on=date(2026, 1, 5))
        case.partners = [
            Partner(display_name="Alex", cycle_role=CycleRole.PURSUER, position=0),
            Partner(display_name="Sam", cycle_role=CycleRole.WITHDRAWER, position=1),
        ]
        draft = TherapySession(
            case=case,
            starts_at=datetime(2026, 1, 6, 15, 0, tzinfo=UTC),
            created_by_id=member.id,
            attendees=list(case.partners),
        )
        db.add_all([case, draft])
        secret, _ = tokens.create_token(member, "race")
        db.commit()
        seeded = Seeded(draft.id, secret)
        app.extensions["sqlalchemy"].engine.dispose()
    return seeded


@contextmanager
def _gunicorn(url: str, tmp_path):
    """gunicorn (sync workers) serving ``url`` on a free loopback port: (base URL, log path)."""
    port = _free_port()
    env = {
        **os.environ,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(WORKERS),
        "GUNICORN_THREADS": "1",
        "DATABASE_URL": url,
        "SECRET_KEY": "concurrency-test-secret",
        "PRACTICE_INSTANCE_PATH": str(tmp_path / "instance"),
    }
    env.pop("PRACTICE_ENV", None)
    env.pop("REDIS_URL", None)
    log_path = tmp_path / "gunicorn.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=REPO,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"gunicorn did not start:\n{log_path.read_text()}")
            time.sleep(0.1)
        yield base, log_path
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _save(browser: Browser, session_id: int, via: str, version: int, text: str, token: str):
    """Send one save; classify the answer as saved, conflict or error."""
    fields = {"note_data": text, "note_assessment": f"A {text}", "note_plan": f"P {text}"}
    if via == "api":
        body = json.dumps({"version": version, **fields}).encode()
        headers = {"Content-Type": "application/json"}
        status, _, page = browser.request(f"/api/v1/sessions/{session_id}", body, headers)
        payload = json.loads(page) if page.startswith("{") else {}
        if status == 200 and payload.get("note_data") == text:
            return status, "saved", payload["version"], ""
        if status == 409 and payload.get("error", {}).get("code") == "version_conflict":
            return status, "conflict", None, ""
        return status, "error", None, page[:300]
    if via == "autosave":
        body = json.dumps({"version": version, **fields}).encode()
        headers = {"Content-Type": "application/json", "X-CSRFToken": token}
        status, _, page = browser.request(f"/sessions/{session_id}/autosave", body, headers)
        payload = json.loads(page) if page.startswith("{") else {}
        if status == 200 and payload.get("version"):
            return status, "saved", payload["version"], ""
        if status == 409 and payload.get("error", {}).get("code") == "conflict":
            return status, "conflict", None, ""
        return status, "error", None, page[:300]
    form = {"csrf_token": token, "version": str(version), **fields}
    status, headers, page = browser.post_form(f"/sessions/{session_id}/note", form)
    if status == 302 and headers.get("Location", "").endswith(f"/sessions/{session_id}"):
        return status, "saved", None, ""
    if status == 409 and _CONFLICT in page:
        kept = unescape(page)
        if not all(value in kept for value in fields.values()):
            return status, "error", None, "conflict page without the submitted text"
        return status, "conflict", None, ""
    return status, "error", None, page[:300]


def _read(browser: Browser, session_id: int) -> tuple[int, str]:
    """The draft's version as this client reads it, and its CSRF token (none for the API)."""
    if browser.token:
        status, _, body = browser.request(f"/api/v1/sessions/{session_id}")
        assert status == 200, f"reading the draft gave {status}"
        return json.loads(body)["version"], ""
    status, _, page = browser.request(f"/sessions/{session_id}")
    assert status == 200, f"reading the draft gave {status}"
    return int(_VERSION.search(page).group(1)), browser.csrf(page)


def _race(base: str, seeded: Seeded) -> list[Outcome]:
    """CLIENTS people, ROUNDS rounds of simultaneous saves of the same draft: by the note form,
    by autosave and through the API."""
    session_id = seeded.session_id
    ways = [VIAS[index % len(VIAS)] for index in range(CLIENTS)]
    browsers = [Browser(base, seeded.api_token if via == "api" else None) for via in ways]
    for browser in browsers:
        if not browser.token:
            browser.login()
    start = threading.Barrier(CLIENTS, timeout=30)
    end = threading.Barrier(CLIENTS, timeout=30)
    outcomes: list[Outcome] = []
    lock = threading.Lock()
    failures: list[BaseException] = []

    def person(index: int) -> None:
        browser, via = browsers[index], ways[index]
        try:
            for round_ in range(ROUNDS):
                version, token = _read(browser, session_id)
                text = f"round {round_} client {index} {os.urandom(6).hex()}"
                start.wait()
                status, kind, acked, detail = _save(browser, session_id, via, version, text, token)
                with lock:
                    outcomes.append(
                        Outcome(round_, index, via, version, text, status, kind, acked, detail)
                    )
                end.wait()
        except BaseException as error:  # reported by the main thread
            failures.append(error)
            start.abort()
            end.abort()

    threads = [threading.Thread(target=person, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    real = [f for f in failures if not isinstance(f, threading.BrokenBarrierError)]
    # A client's own failure first: the others then only saw the barrier broken.
    assert not failures, f"a client failed: {(real or failures)[0]!r}"
    return outcomes


def _final_state(url: str, tmp_path, session_id: int) -> tuple[TherapySession, list[int]]:
    """The draft as stored now, and the versions of every note_saved event, in order."""
    app = make_test_app(url, tmp_path / "instance")
    with app.app_context():
        session = db
        draft = session.get(TherapySession, session_id)
        session.expunge(draft)
        events = session.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "note_saved", AuditEvent.object_id == str(session_id))
            .order_by(AuditEvent.id)
        ).all()
        versions = [event.detail["version"] for event in events]
        app.extensions["sqlalchemy"].engine.dispose()
    return draft, versions


@pytest.mark.parametrize("backend", BACKENDS)
def test_simultaneous_saves_of_one_draft_never_overwrite_silently(backend, tmp_path):
    if not on_ci():
        pytest.importorskip("gunicorn")
    with fresh_database(backend, tmp_path) as url:
        seeded = _seed(url, tmp_path)
        with _gunicorn(url, tmp_path) as (base, log_path):
            outcomes = _race(base, seeded)
        log = log_path.read_text()
        draft, saved_versions = _final_state(url, tmp_path, seeded.session_id)

    assert len(outcomes) == CLIENTS * ROUNDS
    errors = [o for o in outcomes if o.kind == "error"]
    assert not errors, f"{len(errors)} failed saves, e.g. {errors[0]}"
    locked = sum("database is locked" in text for text in (log, *(o.detail for o in outcomes)))
    assert locked == 0, "SQLite's lock leaked to a request"
    assert "Traceback" not in log and '" 500 ' not in log, log[-3000:]

    winners = []
    for round_ in range(ROUNDS):
        this_round = [o for o in outcomes if o.round == round_]
        # Everyone raced from the same version: the previous round's winner's.
        assert {o.read_version for o in this_round} == {round_ + 1}
        won = [o for o in this_round if o.kind == "saved"]
        assert len(won) == 1, f"round {round_}: {len(won)} saves acknowledged"
        if won[0].version is not None:  # autosave and the API say which version they made
            assert won[0].version == round_ + 2
        winners.append(won[0])

    # Nothing acknowledged was lost: one version per win, in order, and the last winner's
    # text is the one stored.
    assert saved_versions == list(range(2, ROUNDS + 2))
    assert draft.version == ROUNDS + 1
    last = winners[-1].text
    assert (draft.note_data, draft.note_assessment, draft.note_plan) == (
        last,
        f"A {last}",
        f"P {last}",
    )
    conflicts = sum(o.kind == "conflict" for o in outcomes)
    assert conflicts == len(outcomes) - ROUNDS
    print(
        f"concurrency {backend}: {len(outcomes)} saves, {len(winners)} won, {conflicts} "
        f"conflicts, 0 silent overwrites, {locked} locked"
    )
