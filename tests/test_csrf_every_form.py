"""CSRF on every form: each state-changing route refuses a request without a token, and nothing
changes in the database.

The walk covers every rule of the tracker's URL map that accepts POST, PUT, PATCH or DELETE,
signed in (by cookie) as someone the route admits, with a plausible form. The API's routes are
walked too: a browser session reaching them needs the CSRF header; only a bearer token, which a
browser never sends by itself, is exempt (see ``practice.csrf`` and the matrix test).
"""

from __future__ import annotations

from datetime import date

import pytest

from tests.conftest import PASSWORD, Auth
from tests.matrix_support import (
    ACCESS,
    ADMIN,
    ANONYMOUS,
    OWNER,
    SUPERVISOR,
    UNSAFE_METHODS,
    access_class,
    build_scenario,
    database_state,
    is_api,
    rolled_back,
    tracker_rules,
    urls_for,
)

CSRF_REFUSAL = "did not come from this site"

# Who signs in to use a route of each access class (someone it admits).
USER_OF_CLASS = {
    "public": ANONYMOUS,
    "staff": OWNER,
    "caseload": OWNER,
    "admin": ADMIN,
    "reviewer": SUPERVISOR,
    "read": OWNER,
    "edit": OWNER,
    "review": SUPERVISOR,
    "export": OWNER,
    "own": OWNER,
    "own or admin": OWNER,
    "unrouted": OWNER,
    "safety": OWNER,
    "safety edit": OWNER,
}


def plausible_form(scenario) -> dict[str, str]:
    """Values for the fields the tracker's forms use: what a user might really submit."""
    ids = scenario.objects
    return {
        "email": scenario.members[OWNER].email,
        "password": PASSWORD,
        "current_password": PASSWORD,
        "new_password": "a new sound passphrase 2026",
        "confirm_password": "a new sound passphrase 2026",
        "reason": "Entered in error.",
        "text": "An addendum to the note.",
        "body": "Please look at the plan.",
        "note_data": "They named the cycle.",
        "note_assessment": "Softening.",
        "note_plan": "Continue.",
        "narrative": "Steady work.",
        "name": "laptop",
        "label": "Label",
        "description": "A description.",
        "valence": "neutral",
        "colour": "#123456",
        "category": "repair",
        "intended_role": "either",
        "display_name": "Kim",
        "cycle_role": "pursuer",
        "role": "counsellor",
        "status": "paused",
        "audience": "clinical",
        "start": "2026-01-01",
        "end": date(2026, 2, 28).isoformat(),
        "period_start": "2026-01-01",
        "period_end": "2026-02-28",
        "minute": "5",
        "intensity": "3",
        "level": "2",
        "version": "1",
        "moment_type_id": str(ids["moment type"]),
        "partner_id": str(ids["partner"]),
        "script_id": str(ids["script"]),
        "assignment_id": str(ids["assignment"]),
        "session_id": str(ids["draft session"]),
        "case_id": str(ids["case"]),
        "confirm": "y",
        "submit": "Save",
    }


def plausible_json(scenario) -> dict:
    """A JSON body in the API's shapes (the CSRF gate must refuse before it is read)."""
    return {
        "display_name": "Kim",
        "moment_type_id": scenario.objects["moment type"],
        "minute": 5,
        "intensity": 3,
        "note_data": "They named the cycle.",
        "version": 1,
    }


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    folder = tmp_path / "store"
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_DIR", str(folder))
    return folder


def _changes(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after[name]]


def test_every_unsafe_route_refuses_a_request_without_a_csrf_token(
    app, db, make_staff, make_case, make_session, store, capsys
):
    scenario = build_scenario(app, db, make_staff, make_case, make_session)
    form, document = plausible_form(scenario), plausible_json(scenario)
    clients = {}
    for actor in (ANONYMOUS, OWNER, SUPERVISOR, ADMIN):
        client = app.test_client()
        if scenario.members[actor] is not None:
            assert Auth(client).login(scenario.members[actor]).status_code == 302
        clients[actor] = client
    tokens = {
        actor: Auth(client).csrf_token("/login" if actor == ANONYMOUS else "/")
        for actor, client in clients.items()
    }
    failures, tried = [], 0
    for rule in tracker_rules(app):
        if rule.endpoint == "practice.accounts.logout":
            continue  # below: a refused logout must leave the user signed in
        for method in [m for m in UNSAFE_METHODS if m in rule.methods]:
            assert rule.endpoint in ACCESS, f"{rule.endpoint}: classify it in matrix_support"
            actor = USER_OF_CLASS[access_class(rule.endpoint, method)]
            client = clients[actor]
            for kind, url in urls_for(app, rule, scenario):
                where = f"{method} {url} [{kind}] as {actor}"
                payload = {"json": document} if is_api(rule) else {"data": form}
                before = database_state(db)
                refused = client.open(url, method=method, **payload)
                changed = _changes(before, database_state(db))
                tried += 1
                if refused.status_code != 400 or not _is_csrf_refusal(refused, rule):
                    failures.append(f"{where}: not refused ({refused.status_code})")
                if changed:
                    failures.append(f"{where}: changed {changed}")
                # With the token (and nothing else, so that no job or login really starts)
                # the request passes the gate: the refusal above was the gate's.
                with rolled_back(db, client):
                    token = tokens[actor]
                    if is_api(rule):
                        passed = client.open(
                            url, method=method, json={}, headers={"X-CSRFToken": token}
                        )
                    else:
                        passed = client.open(url, method=method, data={"csrf_token": token})
                if _is_csrf_refusal(passed, rule):
                    failures.append(f"{where}: refused even with a valid token")
    with capsys.disabled():
        print(f"\nCSRF walk: {tried} unsafe requests without a token")
    assert failures == [], "\n".join(failures)
    assert tried >= 80


def _is_csrf_refusal(response, rule) -> bool:
    if response.status_code != 400:
        return False
    if is_api(rule):
        error = (response.get_json(silent=True) or {}).get("error", {})
        return error.get("code") == "bad_request" and CSRF_REFUSAL in error.get("message", "")
    return CSRF_REFUSAL in response.get_data(as_text=True)


def test_login_without_a_token_signs_nobody_in(client, db, make_staff):
    member = make_staff()
    before = database_state(db)
    response = client.post("/login", data={"email": member.email, "password": PASSWORD})
    assert response.status_code == 400
    assert CSRF_REFUSAL in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # still anonymous
    assert _changes(before, database_state(db)) == []


def test_logout_without_a_token_keeps_the_user_signed_in(client, auth, db, make_staff):
    auth.login(make_staff())
    before = database_state(db)
    response = client.post("/logout")
    assert response.status_code == 400
    assert CSRF_REFUSAL in response.get_data(as_text=True)
    assert _changes(before, database_state(db)) == []
    assert client.get("/").status_code == 200  # still signed in
    assert auth.logout().status_code == 302
    assert client.get("/").status_code == 302


def test_a_token_of_another_session_is_refused(app, client, auth, db, make_staff):
    """A token stolen from (or planted by) another browser session does not pass."""
    member = make_staff()
    other = app.test_client()
    foreign = Auth(other).csrf_token("/login")
    auth.login(member)
    response = client.post("/logout", data={"csrf_token": foreign})
    assert response.status_code == 400
    assert client.get("/").status_code == 200
