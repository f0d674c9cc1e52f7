"""Deny by default, object by object: every tracker route × every actor × every object.

One scenario (``tests.matrix_support``): counsellor A owns a case holding one object of every
kind; counsellor B owns another; S1 supervises A, S2 supervises B; an admin; and anonymous.
Every rule of the tracker's URL map is requested with A's objects, by every actor, with every
method it accepts. What each actor should get comes from two small tables below: which access
class each endpoint belongs to (a new endpoint fails the test until it is classified), and what
each class means for each actor. Unsafe requests are undone one by one with a savepoint, so no
request changes what the next one sees.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from practice.accounts.tokens import create_token
from practice.models import AuditEvent
from practice.web import access
from tests.conftest import PASSWORD, Auth
from tests.matrix_support import (
    ACCESS,
    ACTORS,
    ALLOW,
    ANONYMOUS,
    CLASSES,
    FORBID,
    HIDE,
    LOGIN,
    MARKER_BYTES,
    OTHER_COUNSELLOR,
    OTHER_SUPERVISOR,
    REFERENCE_BYTES,
    SAFETY_CLASSES,
    UNSAFE_METHODS,
    access_class,
    build_scenario,
    database_state,
    header_problems,
    is_api,
    methods_of,
    rolled_back,
    tracker_rules,
    urls_for,
)

# Who must never see anything of A's case, whatever the route answers.
OUTSIDERS = (ANONYMOUS, OTHER_COUNSELLOR, OTHER_SUPERVISOR)
CSRF_REFUSAL = b"did not come from this site"
# A minimum the walk must reach, so that a broken walk cannot pass by trying nothing.
MINIMUM_CASES = 700
# Of which refusals of signed-in actors, each of which must leave one audit event.
MINIMUM_REFUSALS = 300


def verdict(outcome: str, response, api: bool) -> str | None:
    """Why ``response`` does not match ``outcome``, or None if it does."""
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if outcome == ALLOW:
        ok = status not in (401, 403, 404, 405)
    elif outcome == LOGIN:
        location = response.headers.get("Location", "")
        ok = status == 401 if api else status == 302 and "/login" in location
    elif outcome == FORBID:
        ok = status == 403
    else:
        ok = status == 404
    return None if ok else f"expected {outcome}, got {status}"


def test_the_access_table_matches_the_declared_policies(app, app_context):
    """Classes that name roles agree with the view's decorator, and every route is classified."""
    policy_roles = {
        "public": None,
        "admin": {"admin"},
        "reviewer": {"supervisor", "admin"},
        "caseload": {"counsellor", "supervisor"},
        "review": {"supervisor", "admin"},
    }
    problems = []
    for rule in tracker_rules(app):
        if rule.endpoint not in ACCESS:
            problems.append(f"{rule.endpoint}: not in ACCESS; classify it")
            continue
        policy = access.policy_of(rule.endpoint)
        declared = ACCESS[rule.endpoint]
        if declared == "public":
            if not policy.public:
                problems.append(f"{rule.endpoint}: classified public, policy is not")
        elif policy.public:
            problems.append(f"{rule.endpoint}: public policy, classified {declared}")
        elif declared in policy_roles:
            if set(policy.roles) != policy_roles[declared]:
                problems.append(f"{rule.endpoint}: roles {sorted(policy.roles)} vs {declared}")
        elif policy.roles:  # the other classes admit any staff member; scoping does the rest
            problems.append(f"{rule.endpoint}: roles {sorted(policy.roles)} vs {declared}")
        sensitive = policy.sensitivity == access.Sensitivity.SAFETY
        if sensitive != (declared in SAFETY_CLASSES):
            problems.append(f"{rule.endpoint}: sensitivity {policy.sensitivity} vs {declared}")
    assert problems == []


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    folder = tmp_path / "store"
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_DIR", str(folder))
    return folder


def test_every_route_every_actor_every_object(
    app, db, make_staff, make_case, make_session, store, capsys
):
    scenario = build_scenario(app, db, make_staff, make_case, make_session)
    plan = []
    for rule in tracker_rules(app):
        assert rule.endpoint in ACCESS, f"{rule.endpoint}: classify it in ACCESS"
        for kind, url in urls_for(app, rule, scenario):
            for method in methods_of(rule):
                plan.append((rule, kind, url, method))
    # Reads first, then writes; logging out ends the actor's turn.
    plan.sort(key=lambda step: (step[3] != "GET", step[0].endpoint == "practice.accounts.logout"))

    failures: list[str] = []
    tried = audited = 0
    for actor in ACTORS:
        member = scenario.members[actor]
        browser = app.test_client()
        auth = Auth(browser)
        api_headers = {}
        if member is not None:
            assert auth.login(member).status_code == 302
            api_headers = {"Authorization": f"Bearer {_token_for(app, db, member)}"}
        csrf = auth.csrf_token("/login" if member is None else "/")
        for rule, kind, url, method in plan:
            api = is_api(rule)
            outcome = CLASSES[access_class(rule.endpoint, method)][actor]
            # The refusal's audit event is looked for inside the savepoint, which undoes it.
            if method == "GET":
                since = _last_event_id(db)
                response = _send(app, browser, api, api_headers, method, url, csrf)
                denials = _denials_since(db, since)
            else:
                with rolled_back(db, browser):
                    since = _last_event_id(db)
                    response = _send(app, browser, api, api_headers, method, url, csrf)
                    denials = _denials_since(db, since)
            tried += 1
            where = f"{actor:16} {method:6} {url} [{kind}]"
            problem = verdict(outcome, response, api)
            if problem:
                failures.append(f"{where}: {problem}")
            expected = _expected_denial(actor, outcome, access_class(rule.endpoint, method))
            audited += bool(expected and denials)
            problem = _denial_problem(expected, denials, member, rule.endpoint, method, response)
            if problem:
                failures.append(f"{where}: {problem}")
            cacheable = rule.endpoint == "practice.static"
            for problem in header_problems(response, cacheable=cacheable):
                failures.append(f"{where}: {problem}")
            if method in UNSAFE_METHODS and not api and CSRF_REFUSAL in response.data:
                failures.append(f"{where}: refused by the CSRF gate despite a valid token")
            if (outcome != ALLOW or actor in OUTSIDERS) and _shows_data_of_a(response):
                failures.append(f"{where}: the response shows A's data")
    with capsys.disabled():
        print(f"\nauthorization matrix: {tried} cases (route × method × actor × object)")
        print(f"authorization matrix: {audited} refusals of signed-in actors audited")
    assert failures == [], "\n".join(failures)
    assert tried >= MINIMUM_CASES
    assert audited >= MINIMUM_REFUSALS


def _last_event_id(db) -> int:
    return db.scalar(select(func.max(AuditEvent.id))) or 0


def _denials_since(db, since: int) -> list[tuple]:
    """(actor id, detail) of the ``access_denied`` events after id ``since``."""
    query = select(AuditEvent.actor_id, AuditEvent.outcome, AuditEvent.detail).where(
        AuditEvent.id > since, AuditEvent.action == "access_denied"
    )
    return [tuple(row) for row in db.execute(query)]


def _expected_denial(actor: str, outcome: str, declared: str) -> bool:
    """Whether the request must leave an ``access_denied`` event: every refusal (403, 404) of
    a signed-in actor, except for URLs no route answers (the API's catch-all)."""
    return actor != ANONYMOUS and outcome in (FORBID, HIDE) and declared != "unrouted"


def _denial_problem(
    expected: bool, denials: list[tuple], member, endpoint: str, method: str, response
) -> str | None:
    """What is wrong with the refusal events one request left, or None."""
    if not expected:
        return f"unexpected access_denied events: {denials}" if denials else None
    if len(denials) != 1:
        return f"{len(denials)} access_denied events, expected exactly one"
    actor_id, outcome, detail = denials[0]
    want = {"endpoint": endpoint, "method": method, "status": response.status_code}
    got = {key: detail.get(key) for key in want}
    if actor_id != member.id or outcome != "denied" or got != want:
        return f"access_denied event {actor_id}/{outcome}/{got}, expected {member.id}/{want}"
    return None


def _shows_data_of_a(response) -> bool:
    return MARKER_BYTES in response.data or REFERENCE_BYTES in response.data


def _token_for(app, db, member) -> str:
    with app.test_request_context():
        secret, _record = create_token(member, "matrix")
        db.commit()
    return secret


def _send(app, browser, api: bool, api_headers: dict, method: str, url: str, csrf: str):
    """One request as the actor: pages through the signed-in browser (with a valid CSRF
    token on unsafe methods), the API with the actor's bearer token and no cookie."""
    if api:
        client = app.test_client()
        kwargs = {"json": {}} if method in UNSAFE_METHODS else {}
        return client.open(url, method=method, headers=api_headers, **kwargs)
    if method in UNSAFE_METHODS:
        # The password lets confirmed actions (exports, signing) go through for those allowed,
        # so that what they answer is checked for leaks too.
        form = {"csrf_token": csrf, "password": PASSWORD}
        return browser.open(url, method=method, data=form, headers={"X-CSRFToken": csrf})
    return browser.get(url)


def test_ids_of_another_case_in_a_request_body_are_refused(
    app, db, make_staff, make_case, make_session, store
):
    """Counsellor B, on B's own case, names A's objects in the body: nothing of A's is touched
    or shown (the URL is B's, so the check must come from the services, not the scoping)."""
    scenario = build_scenario(app, db, make_staff, make_case, make_session)
    ids = scenario.objects
    other = scenario.members[OTHER_COUNSELLOR]
    headers = {"Authorization": f"Bearer {_token_for(app, db, other)}"}
    session, case = ids["other session"], ids["other case"]
    partner = ids["partner"]
    api_requests = [
        ("POST", f"/api/v1/sessions/{session}/moments",
         {"moment_type_id": ids["moment type"], "partner_id": partner, "minute": 5}),
        ("PUT", f"/api/v1/sessions/{session}/measures",
         {"responses": [{"partner_id": partner, "items": [3, 3, 3, 3]}]}),
        ("PUT", f"/api/v1/sessions/{session}/observations",
         {"levels": [{"assignment_id": ids["assignment"], "level": 2}]}),
        ("POST", f"/api/v1/cases/{case}/assignments",
         {"partner_id": partner, "script_id": ids["script"], "session_id": session}),
        ("POST", f"/api/v1/cases/{case}/sessions",
         {"starts_at": "2026-02-20T15:00:00Z", "attendee_ids": [partner]}),
        ("PATCH", f"/api/v1/sessions/{session}", {"version": 1, "attendee_ids": [partner]}),
        ("PATCH", f"/api/v1/cases/{case}",
         {"version": 1, "partners": [{"id": partner, "display_name": "Taken"}]}),
        ("POST", f"/api/v1/cases/{case}/score-consents",
         {"partner_id": partner, "audience": "partner", "given_on": "2026-02-20"}),
        ("POST", f"/api/v1/cases/{case}/score-consents/withdraw",
         {"partner_id": partner, "audience": "partner", "withdrawn_on": "2026-02-20"}),
    ]  # fmt: skip
    browser = app.test_client()
    auth = Auth(browser)
    auth.login(other)
    before = database_state(db, leave_out=("practice_audit_event",))
    failures = []
    for method, url, body in api_requests:
        response = app.test_client().open(url, method=method, json=body, headers=headers)
        # 409: the rule refused (422 would only mean the body missed the schema).
        if response.status_code not in (404, 409):
            failures.append(f"{method} {url}: {response.status_code}")
        if _shows_data_of_a(response):
            failures.append(f"{method} {url}: shows A's data")
    reply = auth.post(f"/cases/{case}/comments", {"body": "A reply.", "parent_id": ids["comment"]})
    if reply.status_code >= 500 or _shows_data_of_a(reply):
        failures.append(f"reply to A's comment: {reply.status_code}")
    after = database_state(db, leave_out=("practice_audit_event",))
    changed = [name for name in before if before[name] != after[name]]
    assert failures == [] and changed == [], "\n".join(failures) + f"\nchanged: {changed}"
