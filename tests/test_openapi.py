"""The OpenAPI document: generated from the routes, and real responses match it.

Every documented operation is called with real data below; each answer's status must be one the
document lists for the operation, and its JSON must validate (formats included) against the
schema the document gives for that status.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import jsonschema_rs
import pytest

from tests.conftest import PASSWORD
from tests.test_api_support import API, bearer, issue_token

pytest_plugins = ["tests.test_api_support"]

_PARAMETER = re.compile(r"\{(\w+)\}")


@pytest.fixture
def document(client) -> dict:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_the_document_is_openapi_3_1_and_public(client, document):
    assert document["openapi"] == "3.1.0"
    assert document["servers"] == [{"url": "/api/v1"}]
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert document["security"] == [{"bearerAuth": []}]
    assert "Authorization" not in client.get(f"{API}/openapi.json").request.headers


def test_every_api_route_is_documented_and_nothing_else(app, document):
    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    routed = set()
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("practice.api."):
            continue
        name = rule.endpoint.rsplit(".", 1)[-1]
        if name in ("unmatched", "openapi_document"):
            continue
        path = re.sub(r"<(?:\w+(?:\([^)]*\))?:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routed.add((method, path.removeprefix(API)))
    assert documented == routed
    # appointments 6; breaks 3; check-ins 4; safety 2; review 5; sign check 1; cycle map 5;
    # goals 6; change events 4; session interaction 1; measure registry 3
    assert len(documented) == 81


def test_request_schemas_are_closed_and_ids_bounded(document):
    schemas = document["components"]["schemas"]
    for name in ("CaseCreate", "CaseUpdate", "SessionUpdate", "MomentCreate", "Sign"):
        assert schemas[name]["additionalProperties"] is False, name
    starts_at = schemas["SessionCreate"]["properties"]["starts_at"]
    assert starts_at["format"] == "date-time" and starts_at["pattern"].startswith("^(19|20)")
    case_read = document["paths"]["/cases/{case_id}"]
    (parameter,) = case_read["parameters"]
    assert parameter["schema"] == {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}


class Conformance:
    """Calls the API and checks every answer against the document."""

    def __init__(self, client, document: dict, tokens: dict[str, str]) -> None:
        self.client = client
        self.document = document
        self.tokens = tokens
        self.covered: set[tuple[str, str]] = set()
        self._validators: dict[str, jsonschema_rs.Validator] = {}

    def call(self, who: str | None, method: str, template: str, body=None, query=None, **params):
        path = _PARAMETER.sub(lambda m: str(params[m.group(1)]), template)
        headers = bearer(self.tokens[who]) if who else {}
        response = self.client.open(
            API + path, method=method, json=body, query_string=query, headers=headers
        )
        self.check(method, template, response)
        return response

    def check(self, method: str, template: str, response) -> None:
        operation = self.document["paths"][template][method.lower()]
        status = str(response.status_code)
        assert status in operation["responses"], (method, template, status, response.data[:300])
        self.covered.add((method, template))
        documented = operation["responses"][status]
        if "$ref" in documented:
            documented = self._resolve(documented["$ref"])
        content = documented.get("content")
        if content is None:
            assert response.data == b""
            return
        (media_type,) = content
        assert response.mimetype == media_type, (method, template)
        if media_type != "application/json":
            return
        schema = content[media_type]["schema"]
        errors = [str(e) for e in self._validator(schema).iter_errors(response.get_json())]
        assert errors == [], (method, template, status, errors)

    def _resolve(self, pointer: str) -> dict:
        node = self.document
        for part in pointer.removeprefix("#/").split("/"):
            node = node[part]
        return node

    def _validator(self, schema: dict) -> jsonschema_rs.Validator:
        key = repr(schema)
        if key not in self._validators:
            root = {**schema, "components": self.document["components"]}
            self._validators[key] = jsonschema_rs.Draft202012Validator(root, validate_formats=True)
        return self._validators[key]


def test_every_operation_answers_as_documented(app, db, client, document, practice):
    tokens = {
        name: issue_token(app, db, getattr(practice, name))
        for name in ("counsellor", "supervisor", "admin", "other")
    }
    api = Conformance(client, document, tokens)
    c = "counsellor"

    # Cases and partners.
    api.call(c, "GET", "/cases")
    new = {
        "kind": "family",
        "opened_on": "2026-01-10",
        "partners": [{"display_name": "Ann"}, {"display_name": "Bo", "pronouns": None}],
    }
    case_id = api.call(c, "POST", "/cases", new).get_json()["id"]
    version = api.call(c, "GET", "/cases/{case_id}", case_id=case_id).get_json()["version"]
    api.call(c, "PATCH", "/cases/{case_id}", {"version": version, "eft_stage": 1}, case_id=case_id)
    api.call(c, "GET", "/cases/{case_id}/partners", case_id=case_id)
    api.call(c, "POST", "/cases/{case_id}/partners", {"display_name": "Cy"}, case_id=case_id)

    # Sessions.
    api.call(c, "GET", "/cases/{case_id}/sessions", case_id=case_id)
    session = api.call(
        c,
        "POST",
        "/cases/{case_id}/sessions",
        {"starts_at": "2026-01-12T10:00:00Z"},
        case_id=case_id,
    ).get_json()
    session_id = session["id"]
    partner_id = session["attendee_ids"][0]
    api.call(c, "GET", "/sessions/{session_id}", session_id=session_id)
    note = {"version": session["version"], "note_data": "Both spoke about the cycle."}
    api.call(c, "PATCH", "/sessions/{session_id}", note, session_id=session_id)

    # Appointments: planned, moved, one cancelled, one made into its session record.
    planned = {"starts_at": "2026-01-19T10:00:00Z", "mode": "video"}
    appointment = api.call(
        c, "POST", "/cases/{case_id}/appointments", planned, case_id=case_id
    ).get_json()
    appointment_id = appointment["id"]
    api.call(c, "GET", "/cases/{case_id}/appointments", case_id=case_id)
    api.call(c, "GET", "/appointments/{appointment_id}", appointment_id=appointment_id)
    moved = {"version": appointment["version"], "duration_minutes": 60}
    api.call(c, "PATCH", "/appointments/{appointment_id}", moved, appointment_id=appointment_id)
    api.call(c, "POST", "/appointments/{appointment_id}/session", {}, appointment_id=appointment_id)
    other = api.call(
        c, "POST", "/cases/{case_id}/appointments", planned, case_id=case_id
    ).get_json()["id"]
    cancel = {"status": "cancelled", "cancelled_by": "both"}
    api.call(c, "POST", "/appointments/{appointment_id}/outcome", cancel, appointment_id=other)

    # Moments and the vocabulary.
    types = api.call(c, "GET", "/moment-types").get_json()["items"]
    type_id = types[0]["id"]
    api.call(c, "GET", "/moment-types/{type_id}", type_id=type_id)
    new_type = {"label": "Checked in", "valence": "neutral", "colour": "#445566"}
    new_type_id = api.call("admin", "POST", "/moment-types", new_type).get_json()["id"]
    api.call("admin", "PATCH", "/moment-types/{type_id}", {"active": False}, type_id=new_type_id)
    api.call(c, "GET", "/sessions/{session_id}/moments", session_id=session_id)
    moment = {"moment_type_id": type_id, "partner_id": partner_id, "minute": 5}
    moment_id = api.call(
        c, "POST", "/sessions/{session_id}/moments", moment, session_id=session_id
    ).get_json()["id"]
    api.call(c, "GET", "/moments/{moment_id}", moment_id=moment_id)
    api.call(c, "PATCH", "/moments/{moment_id}", {"intensity": 5}, moment_id=moment_id)
    api.call(c, "GET", "/sessions/{session_id}/interaction", session_id=session_id)
    api.call(c, "DELETE", "/moments/{moment_id}", moment_id=moment_id)

    # Scripts, assignments, adoption.
    scripts = api.call(c, "GET", "/scripts").get_json()["items"]
    api.call(c, "GET", "/scripts/{script_id}", script_id=scripts[0]["id"])
    api.call(
        "admin",
        "POST",
        "/scripts",
        {"text": "Let me try that again, softer.", "category": "Repair"},
    )
    assign = {"session_id": session_id, "partner_id": partner_id, "script_id": scripts[0]["id"]}
    assignment_id = api.call(
        c, "POST", "/cases/{case_id}/assignments", assign, case_id=case_id
    ).get_json()["id"]
    api.call(c, "GET", "/cases/{case_id}/assignments", case_id=case_id)
    api.call(c, "GET", "/assignments/{assignment_id}", assignment_id=assignment_id)
    levels = {"levels": [{"assignment_id": assignment_id, "level": 2, "note": "Used it once."}]}
    api.call(c, "PUT", "/sessions/{session_id}/observations", levels, session_id=session_id)
    api.call(c, "GET", "/sessions/{session_id}/observations", session_id=session_id)
    csi4 = {"responses": [{"partner_id": partner_id, "items": [4, 3, 3, 4]}]}
    api.call(c, "PUT", "/sessions/{session_id}/measures", csi4, session_id=session_id)
    api.call(c, "GET", "/sessions/{session_id}/measures", session_id=session_id)
    api.call(c, "GET", "/cases/{case_id}/csi4-change", case_id=case_id)
    api.call(c, "GET", "/measures/registry")
    csi16 = {"measure": "CSI-16", "partner_id": partner_id, "items": [3] * 16}
    path = "/sessions/{session_id}/measure-responses"
    api.call(c, "POST", path, csi16, session_id=session_id)
    api.call(c, "GET", path, session_id=session_id)
    consent = {"partner_id": partner_id, "audience": "partner", "given_on": "2026-01-12"}
    api.call(c, "POST", "/cases/{case_id}/score-consents", consent, case_id=case_id)
    withdrawal = {"partner_id": partner_id, "audience": "partner", "withdrawn_on": "2026-01-13"}
    api.call(c, "POST", "/cases/{case_id}/score-consents/withdraw", withdrawal, case_id=case_id)
    api.call(c, "GET", "/cases/{case_id}/score-consents", case_id=case_id)
    link = api.call(
        c, "POST", "/cases/{case_id}/checkin-links", {"partner_id": partner_id}, case_id=case_id
    ).get_json()
    assert "/checkin/" in link["url"] and link["state"] == "open"
    api.call(c, "GET", "/cases/{case_id}/checkin-links", case_id=case_id)
    api.call(c, "POST", "/checkin-links/{link_id}/revoke", link_id=link["id"])
    api.call(c, "GET", "/cases/{case_id}/checkins", case_id=case_id)
    screen = {
        "partner_id": partner_id,
        "screened_on": "2026-01-11",
        "items": [1, 2, 1, 1],
        "afraid": False,
        "decision": "joint_ok",
    }
    api.call(c, "POST", "/cases/{case_id}/safety-screens", screen, case_id=case_id)
    api.call(c, "GET", "/cases/{case_id}/safety-screens", case_id=case_id)
    # Breaks: a partner's account, then a correction.
    a_break = {
        "told_by_id": partner_id,
        "called_by_id": partner_id,
        "called_at": "2026-01-14T20:00:00Z",
        "with_script": True,
        "resumed_at": "2026-01-14T20:40:00+00:00",
        "resumed_by_id": partner_id,
        "outcome": "calmer",
    }
    episode = api.call(c, "POST", "/cases/{case_id}/breaks", a_break, case_id=case_id).get_json()
    account = episode["accounts"][0]
    correction = {**a_break, "version": account["version"], "heart_rate": 104}
    del correction["told_by_id"]
    api.call(c, "PUT", "/breaks/accounts/{account_id}", correction, account_id=account["id"])
    api.call(c, "GET", "/cases/{case_id}/breaks", case_id=case_id)
    # The cycle map: a family's case has none (refused), so it reads empty.
    sides = {"sides": [{"partner_id": partner_id, "trigger": "A raised voice"}]}
    refused = api.call(
        c,
        "PUT",
        "/cases/{case_id}/cycle-map/sessions/{session_id}",
        sides,
        case_id=case_id,
        session_id=session_id,
    )
    assert refused.status_code == 409
    assert (
        api.call(c, "GET", "/cases/{case_id}/cycle-map", case_id=case_id).get_json()["current"]
        is None
    )
    api.call(c, "GET", "/cases/{case_id}/cycle-map/revisions", case_id=case_id)
    api.call(c, "GET", "/cycle-map/revisions/{revision_id}", revision_id=1)
    diff = {"old": 1, "new": 1}
    api.call(c, "GET", "/cases/{case_id}/cycle-map/diff", query=diff, case_id=case_id)
    # Goals: one added, rated at the draft session, read, retired.
    a_goal = {"title": "Stay in the room", "opened_on": "2026-01-12"}
    goal = api.call(c, "POST", "/cases/{case_id}/goals", a_goal, case_id=case_id).get_json()
    rating = {"session_id": session_id, "partner_id": partner_id, "rating": 6}
    api.call(c, "POST", "/goals/{goal_id}/ratings", rating, goal_id=goal["id"])
    api.call(c, "GET", "/goals/{goal_id}/ratings", goal_id=goal["id"])
    api.call(c, "GET", "/cases/{case_id}/goals", case_id=case_id)
    api.call(c, "GET", "/goals/{goal_id}", goal_id=goal["id"])
    retire_goal = {**a_goal, "status": "achieved", "version": goal["version"]}
    api.call(c, "PUT", "/goals/{goal_id}", retire_goal, goal_id=goal["id"])
    # Change events: the proposals, an event confirmed with its evidence, listed, voided.
    api.call(c, "GET", "/cases/{case_id}/change-events/proposals", case_id=case_id)
    moments = api.call(c, "GET", "/sessions/{session_id}/moments", session_id=session_id)
    event = {
        "kind": "injury_resolved",
        "session_id": session_id,
        "occurred_on": "2026-01-14",
        "evidence_ids": [m["id"] for m in moments.get_json()["items"]][:1],
    }
    event_id = api.call(
        c, "POST", "/cases/{case_id}/change-events", event, case_id=case_id
    ).get_json()["id"]
    api.call(c, "GET", "/cases/{case_id}/change-events", case_id=case_id)
    void = {"reason": "Recorded on the wrong case."}
    api.call(c, "POST", "/change-events/{event_id}/void", void, event_id=event_id)
    retire = {"session_id": session_id}
    api.call(c, "POST", "/assignments/{assignment_id}/retire", retire, assignment_id=assignment_id)

    # Signing, reports, the caseload.
    sign = {"password": PASSWORD}
    api.call(c, "GET", "/sessions/{session_id}/before-signing", session_id=session_id)
    api.call(c, "POST", "/sessions/{session_id}/sign", sign, session_id=session_id)
    report = {"audience": "referrer"}
    report_id = api.call(c, "POST", "/cases/{case_id}/reports", report, case_id=case_id).get_json()[
        "id"
    ]
    api.call(c, "GET", "/cases/{case_id}/reports", case_id=case_id)
    api.call(c, "GET", "/reports/{report_id}", report_id=report_id)
    api.call(c, "GET", "/reports/{report_id}/download", report_id=report_id)
    # The default report: being prepared (202), then, prepared on the queue, its bytes.
    pending = api.call(c, "GET", "/cases/{case_id}/reports/default", case_id=case_id)
    assert pending.status_code == 202 and pending.headers["Location"].endswith("/default")
    ready = api.call(c, "GET", "/cases/{case_id}/reports/default", case_id=case_id)
    assert ready.status_code == 200
    api.call("supervisor", "GET", "/caseload")

    # Supervision: a comment, the co-signature with a comment, a batch with nothing left to
    # co-sign (409), and a hand-over by an administrator.
    comment = {"body": "Good pacing."}
    s = "supervisor"
    api.call(s, "POST", "/sessions/{session_id}/comments", comment, session_id=session_id)
    api.call(c, "GET", "/sessions/{session_id}/comments", session_id=session_id)
    cosign = {"password": PASSWORD, "comment": "Co-signed."}
    state = api.call(s, "POST", "/sessions/{session_id}/cosign", cosign, session_id=session_id)
    assert state.get_json()["review_status"] == "cosigned"
    note = {"session_id": session_id, "version": state.get_json()["version"], "addenda_seen": 0}
    again = api.call(s, "POST", "/review/cosign", {"password": PASSWORD, "notes": [note]})
    assert again.status_code == 409
    handing = {"to_counsellor_id": practice.other.id, "reason": "Caseload balance."}
    api.call("admin", "POST", "/cases/{case_id}/reassign", handing, case_id=practice.case.id)

    documented = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert api.covered == documented

    # Errors follow the same document: 401, 403, 404, 409, 422 with the Error schema.
    assert api.call(None, "GET", "/cases").status_code == 401
    assert (
        api.call(
            "supervisor", "PATCH", "/cases/{case_id}", {"version": 1}, case_id=case_id
        ).status_code
        == 403
    )
    assert (
        api.call("other", "GET", "/sessions/{session_id}", session_id=session_id).status_code == 404
    )
    assert (
        api.call(c, "POST", "/sessions/{session_id}/sign", sign, session_id=session_id).status_code
        == 409
    )
    stale = api.call(c, "PATCH", "/cases/{case_id}", {"version": 1, "goals": "x"}, case_id=case_id)
    assert stale.status_code == 409 and "current_version" in stale.get_json()
    assert api.call(c, "POST", "/cases", {"kind": 1}).status_code == 422
    assert api.call(c, "GET", "/cases", query={"per_page": 999}).status_code == 422


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_the_api_mounts_with_the_tracker_in_a_host(database, tmp_path):
    from practice.accounts.tokens import create_token
    from practice.core import migrate
    from practice.models import Case, Role, StaffMember, TherapySession
    from tests.databases import fresh_database
    from tests.test_plugin import build_host

    with fresh_database(database, tmp_path) as url:
        app, db, host_user = build_host(url, tmp_path / "instance")
        with app.app_context():
            db.create_all()
            migrate.upgrade()
            user = host_user(username="dana")
            db.session.add(user)
            db.session.flush()
            member = StaffMember(
                user_id=str(user.id),
                email="dana@host.example",
                display_name="D",
                role=Role.COUNSELLOR,
            )
            db.session.add(member)
            db.session.flush()
            case = Case(reference="C-7001", counsellor=member, opened_on=date(2026, 3, 1))
            session = TherapySession(
                case=case,
                starts_at=datetime(2026, 3, 2, 10, tzinfo=UTC),
                created_by_id=member.id,
                note_data="Notes.",
            )
            db.session.add_all([case, session])
            db.session.flush()
            session_id = session.id
            with app.test_request_context():
                secret, _ = create_token(member, "host")
            db.session.commit()
        client = app.test_client()
        document = client.get("/practice/api/v1/openapi.json").get_json()
        assert document["servers"] == [{"url": "/practice/api/v1"}]
        assert "/cases/{case_id}" in document["paths"]
        assert client.get("/practice/api/v1/cases", headers=bearer(secret)).status_code == 200
        # The host redirects its anonymous visitors to its login page; the API answers 401.
        anonymous = client.get("/practice/api/v1/cases")
        assert anonymous.status_code == 401 and anonymous.is_json
        assert client.get("/practice/api/v1/nope", headers=bearer(secret)).status_code == 404
        # The host holds the passwords: a token request cannot confirm one, so nothing is signed.
        response = client.post(
            f"/practice/api/v1/sessions/{session_id}/sign",
            json={"password": "whatever"},
            headers=bearer(secret),
        )
        assert response.status_code == 403
        assert response.get_json()["error"]["code"] == "password_incorrect"
        with app.app_context():
            db.engine.dispose()
