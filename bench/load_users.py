"""The simulated staff of the load test (``bench/load.py``): a counsellor's and a supervisor's day
as HTTP requests, each user a thread with its own connection and cookies, and what they record:
latencies, errors and the writes the server acknowledged."""

from __future__ import annotations

import http.client
import json
import os
import random
import re
import secrets
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from practice.accounts.models import Role
from practice.demo.seed import DEMO_PASSWORD, demo_email

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')
CASE_LINK = re.compile(r'href="/cases/(\d+)"')
ATTENDANCE = re.compile(r'<input[^>]*name="attendance"[^>]*value="(\d+)"')
VERSION = re.compile(r'<input[^>]*name="version"[^>]*value="(\d+)"')
TAG_BUTTON = re.compile(r'data-type="(\d+)" data-partner="(\d*)"')
SESSION_URL = re.compile(r"/sessions/(\d+)$")
JOB_STATUS = re.compile(r'data-status-url="(/jobs/\d+\.json)"')
REPORT_DOWNLOAD = re.compile(r"/reports/\d+/download")


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of ``values`` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, round(fraction * len(ordered) + 0.5))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass
class Sample:
    name: str
    status: int
    seconds: float
    pdf: bool
    ok: bool
    at: float = field(default_factory=time.perf_counter)  # when it ended
    request_id: str = ""


@dataclass
class Acks:
    """What the server said it saved, to be found in the database afterwards."""

    moments: set[int] = field(default_factory=set)
    notes: dict[int, tuple[int, str]] = field(default_factory=dict)  # session -> version, text
    sessions: set[int] = field(default_factory=set)
    signed: set[int] = field(default_factory=set)
    reports: int = 0


class Recorder:
    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.errors: list[str] = []
        self.acks = Acks()
        self.lock = threading.Lock()

    def add(self, sample: Sample, detail: str = "") -> None:
        with self.lock:
            self.samples.append(sample)
            if not sample.ok:
                self.errors.append(f"{sample.name}: {sample.status} {detail[:200]}")


class RunOver(Exception):
    """The run's time is up: a user sends nothing more."""


class Browser:
    """One user's connection, cookies and CSRF token; records every request.

    Once ``stop`` is set it refuses to send: otherwise every user, whose pauses then end at
    once, would rush through the rest of their round and the run would end in a burst of
    requests no person makes, which the latency figures would count.
    """

    def __init__(self, port: int, recorder: Recorder, stop: threading.Event) -> None:
        self.port = port
        self.recorder = recorder
        self.stop = stop
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.cookies: dict[str, str] = {}
        self.csrf = ""
        self.sent = 0

    def request(
        self,
        name: str,
        method: str,
        path: str,
        body: dict | None = None,
        json_body: dict | None = None,
        expect: tuple[int, ...] = (200,),
        pdf: bool = False,
    ) -> tuple[int, dict[str, str], str]:
        if self.stop.is_set():
            raise RunOver
        self.sent += 1
        request_id = f"load-{os.getpid()}-{id(self) % 100000}-{self.sent}"
        headers = {
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "X-Request-ID": request_id,
        }
        data = None
        if json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
            headers["X-CSRFToken"] = self.csrf
        elif body is not None:
            data = urllib.parse.urlencode(body, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=data, headers=headers)
            response = self.connection.getresponse()
            text = response.read().decode("utf-8", "replace")
            status = response.status
            response_headers = {k.lower(): v for k, v in response.getheaders()}
            for cookie in response.msg.get_all("Set-Cookie") or []:
                pair = cookie.split(";", 1)[0]
                key, _, value = pair.partition("=")
                if value:
                    self.cookies[key.strip()] = value.strip()
                else:
                    self.cookies.pop(key.strip(), None)
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            elapsed = time.perf_counter() - started
            self.recorder.add(Sample(name, 0, elapsed, pdf, False), repr(error))
            raise
        elapsed = time.perf_counter() - started
        ok = status in expect
        sample = Sample(name, status, elapsed, pdf, ok, request_id=request_id)
        self.recorder.add(sample, _problem(text))
        if not ok:
            raise RuntimeError(f"{name}: unexpected {status}")
        match = CSRF.search(text)
        if match:
            self.csrf = match.group(1)
        return status, response_headers, text


PROBLEM = re.compile(r'<div class="form-errors"[^>]*>\s*<p>([^<]*)|"message":\s*"([^"]*)"')


def _problem(text: str) -> str:
    """The message of a refused form or JSON request, else the start of the body."""
    match = PROBLEM.search(text)
    if match:
        return match.group(1) or match.group(2)
    return text[:120]


def think(mean: float, stop: threading.Event) -> None:
    stop.wait(random.uniform(0.5, 1.5) * mean)


def counsellor_email(number: int) -> str:
    return demo_email(Role.COUNSELLOR, number)


def counsellor(
    number: int,
    args,
    port: int,
    recorder: Recorder,
    stop: threading.Event,
    active_cases: dict[str, list[int]],
) -> None:
    """One counsellor's working day, compressed: session after session until ``stop``.

    Sessions are recorded in their active cases (a closed case takes none).
    """
    email = counsellor_email(number)
    browser = Browser(port, recorder, stop)
    rng = random.Random(number)
    try:
        browser.request("login page", "GET", "/login")
        browser.request(
            "log in",
            "POST",
            "/login",
            body={"email": email, "password": DEMO_PASSWORD, "csrf_token": browser.csrf},
            expect=(302,),
        )
        while not stop.is_set():
            think(args.think, stop)
            browser.request("dashboard (case list)", "GET", "/")
            case_id = rng.choice(active_cases[email])
            think(args.think, stop)
            browser.request("case page", "GET", f"/cases/{case_id}")
            if rng.random() < args.report_share:
                think(args.think, stop)
                _report_round(browser, case_id, args, recorder, stop)
                continue
            _session_workflow(browser, case_id, args, rng, recorder, stop)
    except Exception:  # recorded by Browser.request; this user stops
        if not stop.is_set():
            stop.wait(args.seconds)


def _report_round(browser, case_id, args, recorder, stop) -> None:
    """Ask for a client report. The request only records a job: poll its JSON as the page's
    script does, then download the PDF; the time from asking to the PDF being ready is
    recorded as "report turnaround (PDF)"."""
    today = date.today().isoformat()
    body = {
        "csrf_token": browser.csrf,
        "period_start": "2025-01-01",
        "period_end": today,
        "audience": "client",
        "narrative": "",
    }
    path = f"/cases/{case_id}/reports"
    asked = time.perf_counter()
    browser.request("ask for a report", "POST", path, body=body, expect=(302,))
    _, _, page = browser.request("reports page", "GET", path)
    status_urls = JOB_STATUS.findall(page)
    if not status_urls:
        raise RuntimeError("the queued report is not listed as in preparation")
    status_url = status_urls[-1]
    while True:
        if stop.wait(2.0):  # the page's script polls every 2 s
            return  # the run is over; a report still queued is not counted either way
        _, _, text = browser.request("report job status", "GET", status_url)
        status = json.loads(text)
        if not status["active"]:
            break
    ok = status["status"] == "finished" and status["done"] == 1
    recorder.add(
        Sample(
            "report turnaround (PDF)", 200 if ok else 500, time.perf_counter() - asked, True, ok
        ),
        "" if ok else "; ".join(status["failures"]),
    )
    if not ok:
        raise RuntimeError("the queued report failed")
    with recorder.lock:
        recorder.acks.reports += 1
    _, _, page = browser.request("reports page", "GET", path)
    download = REPORT_DOWNLOAD.search(page)
    browser.request("download report (PDF)", "GET", download.group(0), pdf=True)


def _session_workflow(browser, case_id, args, rng, recorder, stop) -> None:
    """Record a session, tag moments live, autosave the note, sign it."""
    think(args.think, stop)
    _, _, form = browser.request("new session form", "GET", f"/cases/{case_id}/sessions/new")
    attendance = ATTENDANCE.findall(form)
    start = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M")
    think(args.think, stop)
    _, headers, _ = browser.request(
        "record session",
        "POST",
        f"/cases/{case_id}/sessions/new",
        body={
            "csrf_token": browser.csrf,
            "starts_at": start,
            "duration_minutes": "50",
            "modality": "in_person",
            "attendance": attendance,
            "eft_stage": "",
        },
        expect=(302,),
    )
    session_id = int(SESSION_URL.search(headers["location"]).group(1))
    with recorder.lock:
        recorder.acks.sessions.add(session_id)
    _, _, live = browser.request("live screen", "GET", f"/sessions/{session_id}/live")
    buttons = TAG_BUTTON.findall(live)
    for _ in range(rng.randint(2, 5)):
        think(args.think, stop)
        type_id, partner = rng.choice(buttons)
        _, _, body = browser.request(
            "tag moment (live JSON)",
            "POST",
            f"/sessions/{session_id}/live/tags",
            json_body={
                "moment_type_id": int(type_id),
                "partner_id": int(partner) if partner else None,
                "intensity": rng.randint(1, 5),
            },
            expect=(201,),
        )
        with recorder.lock:
            recorder.acks.moments.add(json.loads(body)["moment"]["id"])
    think(args.think, stop)
    _, _, page = browser.request("session page", "GET", f"/sessions/{session_id}")
    version = int(VERSION.search(page).group(1))
    text = ""
    for round_ in range(rng.randint(2, 4)):
        think(args.think, stop)
        text = f"Load test note {secrets.token_hex(6)}, round {round_}. " * 8
        _, _, body = browser.request(
            "autosave draft (JSON)",
            "POST",
            f"/sessions/{session_id}/autosave",
            json_body={
                "version": version,
                "note_data": text,
                "note_assessment": text[::-1],
                "note_plan": text.upper(),
            },
        )
        version = json.loads(body)["version"]
        with recorder.lock:
            recorder.acks.notes[session_id] = (version, text)
    think(args.think, stop)
    browser.request("sign page", "GET", f"/sessions/{session_id}/sign")
    think(args.think, stop)
    browser.request(
        "sign note",
        "POST",
        f"/sessions/{session_id}/sign",
        body={"csrf_token": browser.csrf, "password": DEMO_PASSWORD, "version": str(version)},
        expect=(302,),
    )
    with recorder.lock:
        recorder.acks.signed.add(session_id)


def supervisor(number: int, args, port: int, recorder: Recorder, stop: threading.Event) -> None:
    """A supervisor reviewing caseloads: the supervision dashboard, then a case."""
    email = demo_email(Role.SUPERVISOR, number)
    browser = Browser(port, recorder, stop)
    rng = random.Random(1000 + number)
    try:
        browser.request("login page", "GET", "/login")
        browser.request(
            "log in",
            "POST",
            "/login",
            body={"email": email, "password": DEMO_PASSWORD, "csrf_token": browser.csrf},
            expect=(302,),
        )
        while not stop.is_set():
            think(args.think * 3, stop)
            _, _, board = browser.request("supervision dashboard", "GET", "/supervision")
            cases = sorted(set(CASE_LINK.findall(board)))
            if cases:
                think(args.think * 3, stop)
                browser.request("case page", "GET", f"/cases/{rng.choice(cases)}")
    except Exception:
        if not stop.is_set():
            stop.wait(args.seconds)


def run_group(
    counsellors: list[int],
    supervisors: list[int],
    args,
    active_cases: dict[str, list[int]],
    deadline: float,
) -> tuple[list[Sample], list[str], Acks]:
    """Run some of the users, one thread each, until ``deadline`` (a perf_counter time)."""
    recorder = Recorder()
    stop = threading.Event()
    threads = [
        threading.Thread(target=counsellor, args=(n, args, args.port, recorder, stop, active_cases))
        for n in counsellors
    ] + [
        threading.Thread(target=supervisor, args=(n, args, args.port, recorder, stop))
        for n in supervisors
    ]
    for thread in threads:
        thread.start()
        # People arrive one by one during the warm-up, not all in one instant in lockstep.
        time.sleep(args.warmup / max(1, len(threads)))
    stop.wait(max(0.0, deadline - time.perf_counter()))
    stop.set()
    for thread in threads:
        thread.join(timeout=90)
    return recorder.samples, recorder.errors, recorder.acks
