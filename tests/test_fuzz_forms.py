"""Hypothesis over every form of the tracker: any input, never a server error.

Every POST route outside the API (which schemathesis fuzzes) is found in the URL map and posted
to by a member who may use it, with a valid CSRF token, at URLs naming existing objects. Each
field is missing or carries any Unicode, huge strings, numbers out of range, impossible dates
or several values; unknown fields come along. A refused post to a route with a snapshot in
``tests/fuzz_support.py`` must leave its rows as they were. The login form and the query
arguments of the list pages get a smaller share. Runs are bounded and deterministic (derandomised,
no example database) and print what they tried.
"""

from __future__ import annotations

import time
import traceback
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from practice.models import TherapySession
from practice.reporting import queue
from tests.conftest import PASSWORD, Auth
from tests.fuzz_support import (
    API_PREFIX,
    DEFAULT_TARGETS,
    FORM_ROUTES,
    JUNK,
    LOGIN_ENDPOINT,
    QUERY_KEYS,
    FormRoute,
    World,
    apply_changes,
    build_world,
    form_payloads,
    json_payloads,
    nul_examples,
    query_strings,
)

# Below this many inputs over all form routes, the run did not try enough to mean anything.
MIN_FORM_INPUTS = 500
LOGIN_EXAMPLES = 30
QUERY_EXAMPLES = 6
# Every known argument at once, with what breaks queries most often.
NASTY_QUERIES = tuple(
    {key: value for key in QUERY_KEYS} for value in ("a\x00b", "-1", "9" * 40, ["1", "２"])
)


def _settings(examples: int) -> settings:
    # No shrinking: failures are collected with their input rather than raised, so that one run
    # reports every route that fails.
    return settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )


def _run(
    strategy: st.SearchStrategy,
    examples: int,
    body: Callable[[object], None],
    explicit: tuple = (),
) -> None:
    """Call ``body`` on the ``explicit`` inputs, then on ``examples`` drawn from ``strategy``."""

    @_settings(examples)
    @given(strategy)
    def each(value) -> None:
        body(value)

    for value in explicit:
        each = example(value)(each)
    each()


def _shown(value: object, limit: int = 300) -> str:
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


@dataclass
class Tally:
    """What a fuzz run tried and what went wrong, per route."""

    tried: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[int]] = field(default_factory=dict)
    seconds: Counter[str] = field(default_factory=Counter)
    refusals_checked: int = 0
    server_errors: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)

    def count(self, route: str, status: int) -> None:
        self.tried[route] += 1
        self.statuses.setdefault(route, Counter())[status] += 1

    def error(self, route: str, given_input: object, problem: str) -> None:
        if sum(1 for line in self.server_errors if line.startswith(route + ":")) < 3:
            self.server_errors.append(f"{route}: {problem}\n    input: {_shown(given_input)}")

    @property
    def total(self) -> int:
        return sum(self.tried.values())

    def report(self, label: str, seconds: float, per_route: bool) -> str:
        lines = [
            f"fuzz ({label}): {self.total} inputs over {len(self.tried)} routes, "
            f"{len(self.server_errors)} server errors, {self.refusals_checked} refusals checked "
            f"unchanged, {seconds:.1f} s"
        ]
        for route, statuses in sorted(self.statuses.items()) if per_route else ():
            shown = " ".join(f"{code}×{n}" for code, n in sorted(statuses.items()))
            lines.append(f"  {route}: {shown} ({self.seconds[route]:.1f} s)")
        return "\n".join(lines + self.server_errors + self.changed)


class Poster:
    """A test client signed in as one member, posting with a valid CSRF token."""

    def __init__(self, app: Flask, email: str | None) -> None:
        self.app = app
        self.email = email
        self.token = ""
        assert self.sign_in(), f"{email} could not sign in"

    def sign_in(self) -> bool:
        """Sign in afresh (after a route that signs out or renews the session); False if the
        password was refused."""
        self.client: FlaskClient = self.app.test_client()
        auth = Auth(self.client)
        signed_in = self.email is None or auth.login(self.email).status_code == 302
        self.token = auth.csrf_token("/login" if self.email is None or not signed_in else "/")
        return signed_in

    def post(self, url: str, payload: object, as_json: bool):
        if as_json:
            return self.client.post(url, json=payload, headers={"X-CSRFToken": self.token})
        return self.client.post(url, data={**payload, "csrf_token": self.token})


def _call(tally: Tally, route: str, given_input: object, request: Callable[[], object]):
    """Make one request; a 5xx answer or an exception is recorded. Returns the status or None."""
    started = time.monotonic()
    try:
        response = request()
    except Exception as error:  # the test client re-raises what the app did not handle
        frames = traceback.extract_tb(error.__traceback__)
        ours = [frame for frame in frames if "/practice/" in frame.filename] or frames
        where = f"{ours[-1].filename}:{ours[-1].lineno}"
        tally.error(route, given_input, f"{error!r} at {where}")
        tally.count(route, 500)
        return None
    tally.seconds[route] += time.monotonic() - started
    tally.count(route, response.status_code)
    if response.status_code >= 500:
        tally.error(route, given_input, f"HTTP {response.status_code}")
    return response.status_code


def form_post_endpoints(app: Flask) -> set[str]:
    """The tracker's endpoints that take a POST, outside the API."""
    return {
        rule.endpoint
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("practice.")
        and "POST" in rule.methods
        and not rule.rule.startswith(API_PREFIX)
    }


def _url(app: Flask, endpoint: str, route: FormRoute, world: World) -> str:
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    targets = {**DEFAULT_TARGETS, **route.targets}
    missing = rule.arguments - targets.keys()
    assert not missing, f"{endpoint}: say which object {missing} names (FormRoute.targets)"
    with app.test_request_context():
        return url_for(endpoint, **{name: getattr(world, targets[name]) for name in rule.arguments})


def _fuzz_route(app, db, world, poster: Poster, endpoint: str, route: FormRoute, tally) -> None:
    url = _url(app, endpoint, route, world)
    as_json = route.json is not None
    strategy = json_payloads(route, world.ids) if as_json else form_payloads(app, route, world.ids)

    def one(given_input) -> None:
        payload, changes = given_input
        if changes is not None:
            payload = apply_changes(route.valid(db, world), changes)
        before = route.snapshot(db, world) if route.snapshot else None
        db.remove()  # the request gets a session of its own, as in production
        status = _call(tally, endpoint, payload, lambda: poster.post(url, payload, as_json))
        if route.signs_out:
            poster.sign_in()
        if route.snapshot is None or status is None or route.accepted(status):
            return
        after = route.snapshot(db, world)
        db.remove()
        tally.refusals_checked += 1
        if after != before and len(tally.changed) < 5:
            tally.changed.append(
                f"{endpoint}: refused with {status} but changed {_shown(before)} → "
                f"{_shown(after)}\n    input: {_shown(payload)}"
            )

    explicit = nul_examples(route.valid(db, world)) if route.valid else []
    db.remove()
    _run(strategy, route.examples, one, explicit=tuple(explicit))


def test_every_post_route_is_fuzzed(app):
    """A new form route fails here until FORM_ROUTES says how to fuzz it."""
    posts = form_post_endpoints(app) - {LOGIN_ENDPOINT}
    assert sorted(posts - FORM_ROUTES.keys()) == [], "add these routes to FORM_ROUTES"
    assert sorted(FORM_ROUTES.keys() - posts) == [], "these routes are gone: drop them"


@pytest.fixture
def verbose(request) -> bool:
    """With ``-v``, the reports list the answers of every route."""
    return request.config.getoption("verbose") > 0


@pytest.fixture
def world(app, db, make_staff, make_case, make_session, monkeypatch) -> World:
    # Report batches are recorded, not run: rendering their PDFs is not what is fuzzed here.
    monkeypatch.setattr(queue, "enqueue", lambda job_id: None)
    built = build_world(app, db, make_staff, make_case, make_session)
    db.remove()
    return built


def test_no_form_input_causes_a_server_error(app, db, world, capsys, backend, verbose):
    started = time.monotonic()
    posters = {role: Poster(app, email) for role, email in world.emails.items()}
    tally = Tally()
    for endpoint, route in FORM_ROUTES.items():
        _fuzz_route(app, db, world, posters[route.role], endpoint, route, tally)

    with capsys.disabled():
        print("\n" + tally.report(f"forms, {backend}", time.monotonic() - started, verbose))
    assert tally.server_errors == []
    assert tally.changed == []
    assert set(tally.tried) == set(FORM_ROUTES)
    assert tally.total >= MIN_FORM_INPUTS
    assert tally.refusals_checked >= 100
    # The valid bodies still pass: fuzzed fields get past the others' checks.
    accepting = [route for route, statuses in tally.statuses.items() if statuses[302]]
    assert len(accepting) >= 20, accepting


def test_no_login_input_causes_a_server_error(app, world, capsys, backend, verbose):
    started = time.monotonic()
    tally = Tally()
    poster = Poster(app, None)
    email = st.one_of(st.sampled_from(sorted(world.emails.values())), JUNK)
    password = st.one_of(st.just(PASSWORD), JUNK)
    login = st.fixed_dictionaries({}, optional={"email": email, "password": password})
    after = st.one_of(st.none(), st.sampled_from(["/cases", "//evil.example", "/\\evil"]), JUNK)

    def one(given_input) -> None:
        nonlocal poster
        payload, next_url = given_input
        url = "/login" if next_url is None else f"/login?{_query({'next': next_url})}"
        status = _call(tally, LOGIN_ENDPOINT, given_input, lambda: poster.post(url, payload, False))
        if status == 302:  # signed in: the next input needs a signed-out client again
            poster = Poster(app, None)

    right = ({"email": world.emails["counsellor"], "password": PASSWORD}, None)
    _run(st.tuples(login, after), LOGIN_EXAMPLES, one, explicit=(right,))

    with capsys.disabled():
        print("\n" + tally.report(f"login, {backend}", time.monotonic() - started, verbose))
    assert tally.server_errors == []
    assert tally.total >= LOGIN_EXAMPLES * 0.9
    assert tally.statuses[LOGIN_ENDPOINT][302] >= 1  # the right password signs in


def _query(args: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(args, doseq=True)


def _list_pages(app: Flask) -> list[str]:
    """The tracker's GET pages without URL arguments (lists, searches, forms), API aside."""
    return sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("practice.")
        and "GET" in rule.methods
        and not rule.arguments
        and not rule.rule.startswith(API_PREFIX)
    )


def test_no_query_argument_causes_a_server_error(app, db, world, capsys, backend, verbose):
    started = time.monotonic()
    tally = Tally()
    posters = [Poster(app, email) for email in world.emails.values()]
    for path in _list_pages(app):
        # The first member who may open the page: the supervisor, an administrator or the
        # counsellor.
        client = next(
            (p.client for p in posters if p.client.get(path).status_code < 400), posters[0].client
        )

        def one(args, path=path, client=client) -> None:
            url = f"{path}?{_query(args)}"
            _call(tally, f"GET {path}", args, lambda: client.get(url))

        _run(query_strings(), QUERY_EXAMPLES, one, explicit=NASTY_QUERIES)

    with capsys.disabled():
        elapsed = time.monotonic() - started
        print("\n" + tally.report(f"query arguments, {backend}", elapsed, verbose))
    assert tally.server_errors == []
    assert len(tally.tried) >= 8


def test_a_null_character_is_refused_with_a_message(app, db, auth, counsellor, case, make_session):
    """What the fuzzer found on PostgreSQL, which cannot store NUL: every form refuses it on
    the field, re-shows the form, and saves nothing (here the note and the login)."""
    session = make_session(case, note_data="Before.")
    auth.login(counsellor)
    body = {"note_data": "a\x00b", "note_assessment": "", "note_plan": "", "version": "1"}
    response = auth.post(f"/sessions/{session.id}/note", body)
    assert response.status_code == 200
    assert "Remove the null character" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(TherapySession, session.id).note_data == "Before."
    assert auth.client.get("/cases?q=C-%00").status_code == 200
    auth.logout()
    body = {"email": "a\x00@test.example", "password": "x", "csrf_token": auth.csrf_token()}
    response = auth.client.post("/login", data=body)
    assert response.status_code == 200
    assert "Remove the null character" in response.get_data(as_text=True)
