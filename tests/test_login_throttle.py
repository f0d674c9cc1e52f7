"""Failed sign-ins are throttled per account and per remote address, for a while only."""

import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import func, select

import practice.accounts.operations as accounts_service
from practice.accounts.views import LOGIN_REFUSED
from practice.core import migrate
from practice.core.database import db, utcnow
from practice.models import Account, AuditEvent, LoginThrottle, TherapySession
from tests.conftest import _PASSWORD_HASH, PASSWORD, make_test_app
from tests.databases import fresh_database


@pytest.fixture
def login(client, auth):
    """Post the login form from a given remote address."""

    def post(email: str, password: str, address: str = "192.0.2.1"):
        # Later requests come from the same address (the session is bound to it).
        client.environ_base["REMOTE_ADDR"] = address
        token = auth.csrf_token("/login")
        return client.post(
            "/login", data={"email": email, "password": password, "csrf_token": token}
        )

    return post


@pytest.fixture
def later(monkeypatch):
    """Move the login service's clock forward by some seconds."""

    def shift(seconds: int) -> None:
        moved = utcnow() + timedelta(seconds=seconds)
        monkeypatch.setattr(accounts_service, "utcnow", lambda: moved)

    return shift


@pytest.fixture
def small_limits(app, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_LOGIN_ADDRESS_MAX_FAILURES", 3)
    monkeypatch.setitem(app.config, "PRACTICE_LOGIN_MAX_FAILURES", 3)
    return app.config


def _refused(response) -> bool:
    return response.status_code == 200 and LOGIN_REFUSED in response.get_data(as_text=True)


def test_address_is_refused_after_failures_even_with_the_right_password(
    client, login, make_staff, small_limits, db
):
    me = make_staff()
    for n in range(3):  # different unknown accounts: only the address is counted
        assert _refused(login(f"nobody{n}@test.example", "some-wrong-guess", "192.0.2.7"))
    assert _refused(login(me.email, PASSWORD, "192.0.2.7"))
    assert client.get("/").status_code == 302
    # The same account from another address is not affected.
    assert login(me.email, PASSWORD, "198.51.100.4").status_code == 302
    row = db.scalar(select(LoginThrottle).where(LoginThrottle.address == "192.0.2.7"))
    assert row.blocked_until is not None
    outcomes = db.scalars(
        select(AuditEvent.outcome).where(AuditEvent.action == "login_failed")
    ).all()
    assert outcomes.count("throttled") == 1


def test_address_block_ends_by_itself(client, login, make_staff, small_limits, later):
    me = make_staff()
    for n in range(3):
        login(f"nobody{n}@test.example", "some-wrong-guess", "192.0.2.8")
    assert _refused(login(me.email, PASSWORD, "192.0.2.8"))
    later(small_limits["PRACTICE_LOGIN_ADDRESS_BLOCK_SECONDS"] + 1)
    assert login(me.email, PASSWORD, "192.0.2.8").status_code == 302
    assert client.get("/").status_code == 200


def test_failures_spread_beyond_the_window_do_not_block(login, make_staff, small_limits, later):
    me = make_staff()
    for n in range(2):
        login(f"nobody{n}@test.example", "some-wrong-guess", "192.0.2.9")
    later(small_limits["PRACTICE_LOGIN_ADDRESS_WINDOW_SECONDS"] + 1)
    login("nobody9@test.example", "some-wrong-guess", "192.0.2.9")
    assert login(me.email, PASSWORD, "192.0.2.9").status_code == 302


def test_account_lock_is_temporary_and_spans_addresses(
    client, login, make_staff, small_limits, later, db
):
    me = make_staff()
    for n in range(3):  # one guess each from three addresses
        login(me.email, "some-wrong-guess", f"203.0.113.{n}")
    assert _refused(login(me.email, PASSWORD, "203.0.113.99"))
    later(small_limits["PRACTICE_LOGIN_LOCK_SECONDS"] + 1)
    assert login(me.email, PASSWORD, "203.0.113.99").status_code == 302
    assert client.get("/").status_code == 200
    account = db.scalar(select(Account).where(Account.email == me.email))
    assert account.failed_logins == 0 and account.locked_until is None


def test_unknown_user_wrong_password_and_throttled_get_one_answer(login, make_staff, small_limits):
    me = make_staff()
    wrong = login(me.email, "some-wrong-guess", "192.0.2.20")
    unknown = login("nobody@test.example", "some-wrong-guess", "192.0.2.21")
    for n in range(3):
        login(f"nobody{n}@test.example", "some-wrong-guess", "192.0.2.22")
    throttled = login(me.email, PASSWORD, "192.0.2.22")
    for response in (wrong, unknown, throttled):
        assert _refused(response)
        assert "locked" not in response.get_data(as_text=True).replace(LOGIN_REFUSED, "")


def test_wrong_passwords_when_signing_count_toward_the_lock(
    app, client, auth, counsellor, case, make_session, small_limits, db
):
    draft = make_session(case)
    auth.login(counsellor)
    path = f"/sessions/{draft.id}/sign"
    for _ in range(3):
        page = auth.post(
            path, {"password": "not my password", "version": "1", "confirm_missing": "y"}
        )
        assert "That password is not right" in page.get_data(as_text=True)
    refused = auth.post(path, {"password": PASSWORD, "version": "1", "confirm_missing": "y"})
    assert "That password is not right" in refused.get_data(as_text=True)
    assert not db.get(TherapySession, draft.id).is_signed


@pytest.fixture
def own_database(backend, tmp_path) -> Iterator[Flask]:
    """An app on a migrated database of its own, where each app context gets its own
    connection (the ``app`` fixture's single connection would run attempts one by one)."""
    with fresh_database(backend, tmp_path) as url:
        app = make_test_app(url, tmp_path / "instance", PRACTICE_LOGIN_MAX_FAILURES=5)
        with app.app_context():
            migrate.upgrade()
        yield app
        with app.app_context():
            app.extensions["sqlalchemy"].engine.dispose()


def test_simultaneous_wrong_passwords_all_count_and_lock_the_account(own_database):
    app, attempts, email = own_database, 8, "target@test.example"
    with app.app_context():
        db.add(Account(email=email, display_name="T", password_hash=_PASSWORD_HASH))
        db.commit()
    start = threading.Barrier(attempts)
    answers, errors = [], []

    def attempt(n: int) -> None:
        try:
            with app.app_context():  # its own session, hence its own connection
                start.wait(timeout=30)
                answers.append(accounts_service.authenticate(email, f"wrong guess {n}"))
                db.commit()
        except Exception as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors and answers == [None] * attempts
    with app.app_context():
        account = db.scalar(select(Account).where(Account.email == email))
        assert account.locked_until is not None and account.locked_until > utcnow()
        # Five failures locked it; the three that came after found it locked and were not
        # counted towards a second lock (the counter starts again from zero).
        assert account.failed_logins == 0
        outcomes = db.execute(
            select(AuditEvent.outcome, func.count())
            .where(AuditEvent.action == "login_failed")
            .group_by(AuditEvent.outcome)
        )
        assert dict(outcomes.all()) == {"denied": 5, "locked": 3}
        assert accounts_service.authenticate(email, PASSWORD) is None
        db.rollback()


def test_failures_naming_no_account_are_audited_once_a_window_with_their_count(
    login, make_staff, small_limits, later, db
):
    def anonymous_rows() -> list[AuditEvent]:
        db.expire_all()
        query = select(AuditEvent).where(
            AuditEvent.action == "login_failed", AuditEvent.object_type == ""
        )
        return db.scalars(query.order_by(AuditEvent.id)).all()

    for n in range(2):
        login(f"guess{n}@test.example", "some-wrong-guess", "192.0.2.40")
    for n in range(30):  # blocked after the third: the rest are throttled, counted only
        login(f"more{n}@test.example", "some-wrong-guess", "192.0.2.40")
    rows = anonymous_rows()
    assert len(rows) == 1
    assert rows[0].detail == {"unknown_account_attempts": 1}
    assert rows[0].remote_addr == "192.0.2.40"
    # Another address has its own row.
    login("guess@test.example", "some-wrong-guess", "198.51.100.41")
    assert len(anonymous_rows()) == 2
    later(small_limits["PRACTICE_LOGIN_ADDRESS_WINDOW_SECONDS"] + 1)
    later(small_limits["PRACTICE_LOGIN_ADDRESS_BLOCK_SECONDS"] + 1)
    login("again@test.example", "some-wrong-guess", "192.0.2.40")
    rows = [row for row in anonymous_rows() if row.remote_addr == "192.0.2.40"]
    assert len(rows) == 2
    # Every failure counted: the 31 held back in the first window, and this one.
    assert rows[1].detail == {"unknown_account_attempts": 32}
    # A known account's failures are still audited one by one.
    me = make_staff()
    login(me.email, "some-wrong-guess", "203.0.113.50")
    login(me.email, "some-wrong-guess", "203.0.113.50")
    db.expire_all()
    known = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "login_failed", AuditEvent.object_type == "Account"
        )
    ).all()
    assert len(known) == 2
