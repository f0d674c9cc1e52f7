"""Fixtures: a migrated app per database backend, per-test rollback, users and cases."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import scoped_session, sessionmaker

from practice.accounts.passwords import hash_password
from practice.audit.anchor import ANCHOR_FILE
from practice.core import migrate
from practice.models import (
    Account,
    Case,
    CaseStatus,
    CycleRole,
    Partner,
    Role,
    StaffMember,
    TherapySession,
)
from practice.safety.models import SafetyScreen
from practice.safety.screening import DEFAULT_SCREEN_DAYS, ScreenDecision
from practice.standalone import create_app
from tests.databases import fresh_database

PASSWORD = "test-password-2026"
_PASSWORD_HASH = hash_password(PASSWORD)  # argon2 is slow on purpose; hash once per run

BACKENDS = ["sqlite", "postgresql"]


def make_test_app(database_url: str, instance_path, **overrides) -> Flask:
    config = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key",
        "TESTING": True,
        # Report jobs run where they are asked for, on the test's connection (no consumer).
        "PRACTICE_REPORT_QUEUE_IMMEDIATE": True,
        # Signing a note would render a PDF in every test that signs one; the tests of the
        # prepared default report turn it on.
        "PRACTICE_PRERENDER_REPORTS": False,
    }
    config.update(overrides)
    return create_app(config, instance_path=str(instance_path))


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture(scope="session")
def migrated_app(backend, tmp_path_factory) -> Iterator[Flask]:
    """One app per backend whose database was built by the migrations, shared by tests."""
    tmp = tmp_path_factory.mktemp(f"db-{backend}")
    with fresh_database(backend, tmp) as url:
        app = make_test_app(url, tmp / "instance")
        with app.app_context():
            migrate.upgrade()
        yield app
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()


@pytest.fixture
def app(migrated_app) -> Iterator[Flask]:
    """The migrated app, with everything a test writes rolled back afterwards.

    Requests commit as usual; the commits land in SAVEPOINTs inside one outer transaction.
    """
    ext = migrated_app.extensions["sqlalchemy"]
    original_session = ext.session
    with migrated_app.app_context():
        engine = ext.engine
    # No app context stays pushed during the test: each request must get its own, as in
    # production (``g`` and teardown are per request).
    connection = engine.connect()
    outer = connection.begin()
    ext.session = scoped_session(
        sessionmaker(
            bind=connection,
            join_transaction_mode="create_savepoint",
            # Objects arranged by a test stay readable after requests end the session.
            expire_on_commit=False,
        )
    )
    try:
        yield migrated_app
    finally:
        ext.session.remove()
        ext.session = original_session
        outer.rollback()
        connection.close()
        # The audit anchor lives outside the database, so the rollback does not undo it.
        (Path(migrated_app.instance_path) / ANCHOR_FILE).unlink(missing_ok=True)


@pytest.fixture
def app_context(app):
    """An app context for tests that call services directly."""
    with app.app_context():
        yield


@pytest.fixture
def db(app):
    """The session tests use to arrange data (the same one the app's requests use)."""
    return app.extensions["sqlalchemy"].session


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


class Auth:
    """Signs a test client in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def csrf_token(self, path: str = "/login") -> str:
        page = self.client.get(path).get_data(as_text=True)
        match = _CSRF.search(page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, member: StaffMember | str, password: str = PASSWORD):
        email = member if isinstance(member, str) else member.email
        token = self.csrf_token("/login")
        return self.client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    def logout(self):
        token = self.csrf_token("/")
        return self.client.post("/logout", data={"csrf_token": token})

    def post(self, path: str, data: dict | None = None, **kwargs):
        """POST with a valid CSRF token, as a browser submitting our form would."""
        payload = {"csrf_token": self.csrf_token("/"), **(data or {})}
        return self.client.post(path, data=payload, **kwargs)


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)


@pytest.fixture
def make_staff(db):
    """Create a staff member with a login account; password is ``PASSWORD``."""
    counter = iter(range(1, 10_000))

    def factory(role: Role = Role.COUNSELLOR, supervisor: StaffMember | None = None, **kw):
        n = next(counter)
        email = kw.pop("email", f"{role.value}{n}@test.example")
        account = Account(
            email=email,
            display_name=kw.get("display_name", f"{role} {n}"),
            password_hash=_PASSWORD_HASH,
        )
        db.add(account)
        db.flush()
        member = StaffMember(
            user_id=str(account.id),
            email=email,
            display_name=kw.pop("display_name", f"{role.value.capitalize()} {n}"),
            role=role,
            supervisor=supervisor,
            **kw,
        )
        db.add(member)
        db.commit()
        return member

    return factory


@pytest.fixture
def supervisor(make_staff) -> StaffMember:
    return make_staff(Role.SUPERVISOR)


@pytest.fixture
def counsellor(make_staff, supervisor) -> StaffMember:
    """A counsellor supervised by ``supervisor``."""
    return make_staff(Role.COUNSELLOR, supervisor=supervisor)


@pytest.fixture
def case(make_case, counsellor) -> Case:
    """A couple in the care of ``counsellor``."""
    return make_case(counsellor)


@pytest.fixture
def make_case(db):
    """Create (committed inside the test's transaction) a couple: a pursuer and a withdrawer."""
    counter = iter(range(1, 10_000))

    def factory(counsellor: StaffMember, partners=("Alex", "Sam"), **kw) -> Case:
        n = next(counter)
        screened = kw.pop("screened", True)
        case = Case(
            reference=kw.pop("reference", f"T-{n:04d}"),
            counsellor=counsellor,
            opened_on=kw.pop("opened_on", date(2026, 1, 5)),
            status=kw.pop("status", CaseStatus.ACTIVE),
            **kw,
        )
        roles = [CycleRole.PURSUER, CycleRole.WITHDRAWER]
        for position, name in enumerate(partners):
            case.partners.append(
                Partner(display_name=name, cycle_role=roles[position % 2], position=position)
            )
        db.add(case)
        db.flush()
        if screened and case.kind == "couple":
            screen_partners(db, case, case.opened_on)
        db.commit()
        return case

    return factory


def screen_partners(
    db, case: Case, on: date, decision: str = ScreenDecision.JOINT_OK, **items
) -> list[SafetyScreen]:
    """Record a safety screen of each partner of ``case`` on ``on`` (HITS all "never" unless
    ``items`` say otherwise, not afraid): what joint notes need before they can be signed."""
    answers = {"hurt": 1, "insult": 1, "threaten": 1, "scream": 1, **items}
    screens = [
        SafetyScreen(
            case_id=case.id,
            partner_id=partner.id,
            screened_on=on,
            afraid=False,
            decision=decision,
            recorded_by_id=case.counsellor_id,
            **answers,
        )
        for partner in case.partners
    ]
    db.add_all(screens)
    db.flush()
    return screens


def _screened_for(db, case: Case, day: date) -> bool:
    """Whether every partner of ``case`` has a screen within the default window up to ``day``."""
    earliest = day - timedelta(days=DEFAULT_SCREEN_DAYS)
    covered = {
        partner_id
        for partner_id, screened_on in db.execute(
            select(SafetyScreen.partner_id, SafetyScreen.screened_on).where(
                SafetyScreen.case_id == case.id
            )
        )
        if earliest <= screened_on <= day
    }
    return {p.id for p in case.partners} <= covered


@pytest.fixture
def make_session(db):
    """Create a draft session of a case, a week after the previous one by default."""

    def factory(case: Case, starts_at: datetime | None = None, **kw) -> TherapySession:
        if starts_at is None:
            base = datetime(2026, 1, 6, 15, 0, tzinfo=UTC)
            starts_at = base + timedelta(weeks=len(case.sessions))
        screened = kw.pop("screened", True)
        session = TherapySession(
            case=case,
            starts_at=starts_at,
            created_by_id=case.counsellor_id,
            attendees=list(case.partners),
            **kw,
        )
        db.add(session)
        day = starts_at.date()
        if screened and case.kind == "couple" and not _screened_for(db, case, day):
            # A joint session of a couple is signed only with both partners screened.
            screen_partners(db, case, min(day, max(case.opened_on, day - timedelta(days=1))))
        db.commit()
        return session

    return factory


def pytest_collection_modifyitems(config, items) -> None:
    """Mark as ``unit`` every test that needs no database, server or browser: the fast subset
    ``make check`` runs."""
    for item in items:
        needs = set(getattr(item, "fixturenames", ()))
        on_a_database = "[sqlite" in item.name or "[postgresql" in item.name
        if on_a_database or "migrated_app" in needs or "backend" in needs:
            continue
        if item.get_closest_marker("slow") or item.get_closest_marker("browser"):
            continue
        item.add_marker(pytest.mark.unit)
