"""Helpers the API tests share: tokens, a client that sends one, and a small seeded practice.

The other ``test_api_*`` modules import the fixtures from here. The one test below keeps the
helpers honest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from practice.accounts.tokens import create_token
from practice.models import (
    AuditEvent,
    Case,
    MeasureResponse,
    Moment,
    MomentType,
    Role,
    Script,
    ScriptAssignment,
    ScriptObservation,
    StaffMember,
    TherapySession,
)

API = "/api/v1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class ApiClient:
    """The test client with a bearer token on every request; paths are relative to /api/v1."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client = client
        self.token = token

    def _call(self, method: str, path: str, **kwargs):
        headers = {**bearer(self.token), **kwargs.pop("headers", {})}
        return getattr(self.client, method)(API + path, headers=headers, **kwargs)

    def get(self, path: str, **kwargs):
        return self._call("get", path, **kwargs)

    def post(self, path: str, json=None, **kwargs):
        return self._call("post", path, json=json, **kwargs)

    def put(self, path: str, json=None, **kwargs):
        return self._call("put", path, json=json, **kwargs)

    def patch(self, path: str, json=None, **kwargs):
        return self._call("patch", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs):
        return self._call("delete", path, **kwargs)


def issue_token(app, db, member: StaffMember, name: str = "tests") -> str:
    """A new API token of ``member`` (committed in the test's transaction)."""
    with app.test_request_context():
        secret, _record = create_token(member, name)
        db.commit()
    return secret


@pytest.fixture
def api_as(app, client, db):
    """``api_as(member)``: an ApiClient authenticated with a new token of ``member``."""

    def factory(member: StaffMember) -> ApiClient:
        return ApiClient(client, issue_token(app, db, member))

    return factory


def audit_actions(db, **where) -> list[str]:
    """The actions of the audit events matching ``where`` (column=value), oldest first."""
    query = select(AuditEvent.action).order_by(AuditEvent.id)
    for name, value in where.items():
        query = query.where(getattr(AuditEvent, name) == value)
    return list(db.scalars(query))


@dataclass
class Practice:
    """A small practice: a supervised counsellor's couple with two sessions, and an outsider."""

    supervisor: StaffMember
    counsellor: StaffMember
    other: StaffMember
    admin: StaffMember
    case: Case
    other_case: Case
    session: TherapySession  # a draft with moments, an assignment, adoption and CSI-4
    later: TherapySession  # a later, empty draft
    other_session: TherapySession  # a session of the other counsellor's case
    moment: Moment
    assignment: ScriptAssignment


def seed_practice(db, make_staff, make_case, make_session) -> Practice:
    supervisor = make_staff(Role.SUPERVISOR)
    counsellor = make_staff(Role.COUNSELLOR, supervisor=supervisor)
    other = make_staff(Role.COUNSELLOR)
    admin = make_staff(Role.ADMIN)
    case = make_case(counsellor, presenting_concerns="Repeated fights about chores.")
    other_case = make_case(other)
    session = make_session(
        case,
        starts_at=datetime(2026, 2, 3, 15, 0, tzinfo=UTC),
        note_data="They described the cycle.",
    )
    later = make_session(case, starts_at=datetime(2026, 2, 10, 15, 0, tzinfo=UTC))
    other_session = make_session(other_case, starts_at=datetime(2026, 2, 4, 15, 0, tzinfo=UTC))
    pursuer, withdrawer = case.partners
    types = {t.key: t for t in db.scalars(select(MomentType))}
    moment = Moment(
        session_id=session.id,
        moment_type=types["pursue"],
        partner_id=pursuer.id,
        minute=12,
        intensity=4,
        context="Raised voice about the dishes.",
        created_by_id=counsellor.id,
    )
    softening = types["softening"]
    db.add_all(
        [
            moment,
            Moment(
                session_id=session.id,
                moment_type=softening,
                partner_id=None,
                minute=30,
                intensity=3,
                created_by_id=counsellor.id,
            ),
        ]
    )
    script = db.scalars(select(Script).where(Script.active.is_(True)).order_by(Script.id)).first()
    assignment = ScriptAssignment(
        case_id=case.id,
        partner=withdrawer,
        script=script,
        assigned_session_id=session.id,
    )
    db.add(assignment)
    db.flush()
    db.add(ScriptObservation(assignment=assignment, session_id=session.id, level=1, note="Tried."))
    db.add(
        MeasureResponse(
            session_id=session.id,
            partner_id=pursuer.id,
            items=[3, 3, 3, 3],
            total=12,
            recorded_by_id=counsellor.id,
        )
    )
    db.commit()
    return Practice(
        supervisor,
        counsellor,
        other,
        admin,
        case,
        other_case,
        session,
        later,
        other_session,
        moment,
        assignment,
    )


@pytest.fixture
def practice(db, make_staff, make_case, make_session) -> Practice:
    return seed_practice(db, make_staff, make_case, make_session)


def test_the_seeded_practice_is_reachable_with_a_token(practice, api_as):
    api = api_as(practice.counsellor)
    assert api.get(f"/cases/{practice.case.id}").status_code == 200
    assert api.get(f"/moments/{practice.moment.id}").get_json()["minute"] == 12
