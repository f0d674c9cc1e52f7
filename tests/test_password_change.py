"""Changing one's password on the account page: policy, audit, other sessions ended."""

from sqlalchemy import select

from practice.accounts.passwords import verify_password
from practice.models import Account, AuditEvent
from tests.conftest import PASSWORD

NEW = "quiet harbour lantern 42"


def _change(auth, current=PASSWORD, new=NEW, again=None):
    data = {"current_password": current, "new_password": new, "confirm_password": again or new}
    return auth.post("/account/password", data)


def _account(db, member) -> Account:
    return db.scalar(select(Account).where(Account.email == member.email))


def test_account_page_offers_password_change_and_two_factor(client, auth, make_staff):
    auth.login(make_staff())
    page = client.get("/account").get_data(as_text=True)
    assert 'name="current_password"' in page and 'autocomplete="new-password"' in page
    assert 'href="/account/two-factor"' in page


def test_change_keeps_this_session_and_ends_the_others(app, client, auth, make_staff, db):
    me = make_staff()
    other = app.test_client()
    other_auth = type(auth)(other)
    other_auth.login(me)
    auth.login(me)
    captured = client.get_cookie("session").value
    response = _change(auth)
    assert response.status_code == 302 and response.headers["Location"] == "/account"
    assert client.get("/").status_code == 200  # still signed in, with the new version
    assert other.get("/").status_code == 302  # the other browser is signed out
    client.set_cookie("session", captured)  # a cookie from before the change is refused
    assert client.get("/").status_code == 302
    account = _account(db, me)
    assert verify_password(account.password_hash, NEW)
    events = db.scalars(select(AuditEvent).where(AuditEvent.action == "password_changed")).all()
    assert [e.outcome for e in events] == ["ok"]


def test_new_password_signs_in_and_the_old_one_does_not(client, auth, make_staff):
    me = make_staff()
    auth.login(me)
    _change(auth)
    auth.logout()
    assert auth.login(me).status_code == 200
    assert auth.login(me, password=NEW).status_code == 302


def test_wrong_current_password_changes_nothing(auth, make_staff, db):
    me = make_staff()
    auth.login(me)
    page = _change(auth, current="not my password").get_data(as_text=True)
    assert "The current password is not right." in page
    assert verify_password(_account(db, me).password_hash, PASSWORD)
    denied = db.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "password_changed", AuditEvent.outcome == "denied"
        )
    ).all()
    assert len(denied) == 1


def test_policy_and_confirmation_are_checked(auth, make_staff, db):
    me = make_staff()
    auth.login(me)
    cases = {
        "short": "Use at least 12 characters.",
        "qwertyuiopas": "too common",
        "Password2024!": "too common",
        me.email: "too common",  # built from the person's own email
    }
    for new, message in cases.items():
        assert message in _change(auth, new=new).get_data(as_text=True), new
    mismatch = _change(auth, again=NEW + "x").get_data(as_text=True)
    assert "The two new passwords are not the same." in mismatch
    same = _change(auth, new=PASSWORD).get_data(as_text=True)
    assert "Choose a new password" in same
    assert verify_password(_account(db, me).password_hash, PASSWORD)


def test_wrong_current_passwords_count_toward_the_lock(app, client, auth, make_staff, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_LOGIN_MAX_FAILURES", 3)
    me = make_staff()
    auth.login(me)
    for _ in range(3):
        _change(auth, current="not my password")
    locked = _change(auth).get_data(as_text=True)  # the right one, while locked
    assert "The current password is not right." in locked


def test_a_refused_new_password_keeps_the_current_one_as_given(
    app, auth, make_staff, monkeypatch, db
):
    # The right current password clears the earlier wrong guesses even when the new password
    # is then refused: the check and the change are separate steps.
    monkeypatch.setitem(app.config, "PRACTICE_LOGIN_MAX_FAILURES", 3)
    me = make_staff()
    auth.login(me)
    for _ in range(2):
        _change(auth, current="not my password")
    assert "Choose a new password" in _change(auth, new=PASSWORD).get_data(as_text=True)
    assert _account(db, me).failed_logins == 0
    for _ in range(2):
        _change(auth, current="not my password")
    assert _change(auth).status_code == 302
    assert verify_password(_account(db, me).password_hash, NEW)
