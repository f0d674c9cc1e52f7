"""Two-factor sign-in: enrolment on the account page, the code step, one use per code."""

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from practice.accounts.tokens import create_token
from practice.accounts.totp import (
    DRIFT_STEPS,
    ENCRYPTED,
    matching_step,
    open_secret,
    seal_secret,
)
from practice.core.database import utcnow
from practice.models import Account, AuditEvent, RecoveryCode
from practice.web import session_limits
from tests.conftest import PASSWORD

RECOVERY = re.compile(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>")


def _account(db, member) -> Account:
    return db.scalar(select(Account).where(Account.email == member.email))


def _clear(app, stored: str) -> str:
    """A stored secret in clear, decrypted with the integrity key (outside the database)."""
    with app.app_context():
        return open_secret(stored)


@pytest.fixture
def with_totp(db, make_staff):
    """A staff member whose account has two-factor sign-in on; returns (member, secret)."""

    def factory():
        member = make_staff()
        secret = pyotp.random_base32()
        _account(db, member).totp_secret = secret
        db.commit()
        return member, secret

    return factory


def _send_code(auth, code: str):
    token = auth.csrf_token("/login/code")
    return auth.client.post("/login/code", data={"code": code, "csrf_token": token})


def _actions(db, action: str) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
    return db.scalars(query).all()


def test_enrolment_shows_a_qr_code_and_needs_a_current_code(app, client, auth, make_staff, db):
    me = make_staff()
    auth.login(me)
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    stored = _account(db, me).totp_pending_secret
    secret = _clear(app, stored)
    # Encrypted at rest: the column does not hold the secret an authenticator app is given.
    assert stored.startswith(ENCRYPTED) and secret not in stored
    assert secret and " ".join(secret[i : i + 4] for i in range(0, 32, 4)) in page
    wrong = auth.post("/account/two-factor", {"code": "000000", "password": PASSWORD})
    assert "That code was not accepted" in wrong.get_data(as_text=True)
    assert _account(db, me).totp_secret is None
    confirming = pyotp.TOTP(secret).now()
    no_password = auth.post("/account/two-factor", {"code": confirming, "password": "wrong"})
    assert "That is not your password" in no_password.get_data(as_text=True)
    assert _account(db, me).totp_secret is None
    right = auth.post("/account/two-factor", {"code": confirming, "password": PASSWORD})
    assert right.status_code == 200
    assert len(RECOVERY.findall(right.get_data(as_text=True))) == 10
    account = _account(db, me)
    assert account.totp_secret.startswith(ENCRYPTED) and secret not in account.totp_secret
    assert _clear(app, account.totp_secret) == secret and account.totp_pending_secret is None
    assert len(_actions(db, "totp_enabled")) == 1
    # The confirming code is spent: it cannot open a new sign-in. (The same code, not now():
    # a 30-second step may have passed, and the next step's code is rightly accepted.)
    auth.logout()
    auth.login(me)
    assert "not accepted" in _send_code(auth, confirming).get_data(as_text=True)


def test_password_step_alone_does_not_sign_in(client, auth, with_totp):
    me, _secret = with_totp()
    response = auth.login(me)
    assert response.headers["Location"] == "/login/code"
    assert client.get("/").status_code == 302
    page = client.get("/login/code").get_data(as_text=True)
    assert 'autocomplete="one-time-code"' in page


def test_code_signs_in_once_and_reuse_is_refused(client, auth, with_totp, db):
    me, secret = with_totp()
    code = pyotp.TOTP(secret).now()
    auth.login(me)
    assert _send_code(auth, code).status_code == 302
    assert client.get("/").status_code == 200
    login = _actions(db, "login")[-1]
    assert login.detail == {"second_factor": "totp"} and login.outcome == "ok"
    auth.logout()
    auth.login(me)
    replay = _send_code(auth, code)
    assert replay.status_code == 200
    assert "That code was not accepted" in replay.get_data(as_text=True)
    assert client.get("/").status_code == 302


def test_one_step_of_clock_drift_is_allowed(app_context):
    secret = pyotp.random_base32()
    otp, now = pyotp.TOTP(secret), utcnow()
    step = otp.timecode(now)
    for drift in range(-DRIFT_STEPS, DRIFT_STEPS + 1):
        code = otp.at(now + timedelta(seconds=30 * drift))
        assert matching_step(secret, code, now) == step + drift
    assert matching_step(secret, otp.at(now + timedelta(seconds=90)), now) is None
    assert matching_step(secret, otp.at(now - timedelta(seconds=90)), now) is None
    assert matching_step(secret, "12345", now) is None


def test_wrong_codes_count_toward_the_lock(app, client, auth, with_totp, db, monkeypatch):
    monkeypatch.setitem(app.config, "PRACTICE_LOGIN_MAX_FAILURES", 3)
    me, secret = with_totp()
    auth.login(me)
    for _ in range(3):
        assert "not accepted" in _send_code(auth, "000000").get_data(as_text=True)
    assert _account(db, me).locked_until is not None
    refused = _send_code(auth, pyotp.TOTP(secret).now())
    assert "not accepted" in refused.get_data(as_text=True)
    assert client.get("/").status_code == 302
    failures = [e for e in _actions(db, "login_failed") if e.detail == {"step": "code"}]
    assert len(failures) == 4


def test_stale_password_step_must_start_again(client, auth, with_totp):
    me, _secret = with_totp()
    auth.login(me)
    with client.session_transaction() as session:
        pending = dict(session[session_limits.PENDING])
        pending["at"] -= 3600
        session[session_limits.PENDING] = pending
    response = client.get("/login/code")
    assert response.headers["Location"] == "/login"
    assert client.get("/login/code").headers["Location"] == "/login"


def test_mandatory_two_factor_sends_the_user_to_enrol(
    app, client, auth, make_staff, db, monkeypatch
):
    monkeypatch.setitem(app.config, "PRACTICE_TOTP_REQUIRED", True)
    me = make_staff()
    auth.login(me)
    for path in ("/", "/account", "/account/tokens"):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["Location"] == "/account/two-factor", path
    api = client.get("/api/v1/cases", headers={"Accept": "application/json"})
    assert api.status_code == 403
    page = client.get("/account/two-factor").get_data(as_text=True)
    assert "requires two-factor sign-in" in page
    secret = _clear(app, _account(db, me).totp_pending_secret)
    token = auth.csrf_token("/account/two-factor")
    code = pyotp.TOTP(secret).now()
    client.post(
        "/account/two-factor", data={"code": code, "password": PASSWORD, "csrf_token": token}
    )
    assert client.get("/").status_code == 200
    refused = auth.post("/account/two-factor/disable", {"password": PASSWORD})
    assert refused.status_code == 302
    assert _clear(app, _account(db, me).totp_secret) == secret


def test_mandatory_two_factor_refuses_the_token_of_a_member_who_has_not_enrolled(
    app, client, make_staff, db, monkeypatch
):
    me = make_staff()
    with app.test_request_context():
        secret, _record = create_token(me, "made before the requirement")
        db.commit()
    headers = {"Authorization": f"Bearer {secret}"}
    monkeypatch.setitem(app.config, "PRACTICE_TOTP_REQUIRED", True)
    for path in ("/api/v1/cases", "/"):
        refused = client.get(path, headers=headers)
        assert refused.status_code == 403, path
        assert refused.get_json()["error"]["code"] == "two_factor_required", path
    assert client.get("/api/v1/openapi.json", headers=headers).status_code == 200  # public
    unknown = {"Authorization": "Bearer cct_not-a-real-token"}
    assert client.get("/api/v1/cases", headers=unknown).status_code == 401
    _account(db, me).totp_secret = pyotp.random_base32()
    db.commit()
    assert client.get("/api/v1/cases", headers=headers).status_code == 200


def test_turning_two_factor_off_needs_the_password(app, client, auth, with_totp, db):
    me, secret = with_totp()
    auth.login(me)
    _send_code(auth, pyotp.TOTP(secret).now())
    auth.post("/account/recovery-codes", {"recovery_password": PASSWORD})
    wrong = auth.post("/account/two-factor/disable", {"password": "not my password"})
    assert "That is not your password" in wrong.get_data(as_text=True)
    assert _clear(app, _account(db, me).totp_secret) == secret
    right = auth.post("/account/two-factor/disable", {"password": PASSWORD})
    assert right.status_code == 302
    assert _account(db, me).totp_secret is None
    assert len(_actions(db, "totp_disabled")) == 1
    assert db.scalars(select(RecoveryCode)).all() == []


def test_a_recovery_code_signs_in_once(client, auth, with_totp, db):
    me, secret = with_totp()
    auth.login(me)
    _send_code(auth, pyotp.TOTP(secret).now())
    page = auth.post("/account/recovery-codes", {"recovery_password": PASSWORD})
    codes = RECOVERY.findall(page.get_data(as_text=True))
    assert len(codes) == 10
    auth.logout()
    auth.login(me)
    assert _send_code(auth, codes[3].upper()).status_code == 302
    assert "9 left" in client.get("/").get_data(as_text=True)
    assert _actions(db, "login")[-1].detail == {"second_factor": "recovery_code"}
    auth.logout()
    auth.login(me)
    assert "not accepted" in _send_code(auth, codes[3]).get_data(as_text=True)
    assert "not accepted" in _send_code(auth, "abcde-01234").get_data(as_text=True)


def test_new_recovery_codes_need_the_password_and_replace_the_old(client, auth, with_totp):
    me, secret = with_totp()
    auth.login(me)
    _send_code(auth, pyotp.TOTP(secret).now())
    first = RECOVERY.findall(
        auth.post("/account/recovery-codes", {"recovery_password": PASSWORD}).get_data(as_text=True)
    )
    wrong = auth.post("/account/recovery-codes", {"recovery_password": "not my password"})
    assert "That is not your password" in wrong.get_data(as_text=True)
    assert not RECOVERY.findall(wrong.get_data(as_text=True))
    assert "10 of 10 unused" in client.get("/account").get_data(as_text=True)
    auth.post("/account/recovery-codes", {"recovery_password": PASSWORD})
    auth.logout()
    auth.login(me)
    assert "not accepted" in _send_code(auth, first[0]).get_data(as_text=True)


def test_a_plaintext_secret_from_before_is_encrypted_on_its_next_use(
    app, client, auth, with_totp, db
):
    me, secret = with_totp()  # stored in plaintext, as before encryption at rest
    assert _account(db, me).totp_secret == secret
    auth.login(me)
    assert _send_code(auth, pyotp.TOTP(secret).now()).status_code == 302
    db.expire_all()
    stored = _account(db, me).totp_secret
    assert stored.startswith(ENCRYPTED) and secret not in stored
    assert _clear(app, stored) == secret


def test_reseal_encrypts_plaintext_secrets(app, runner, with_totp, db):
    me, secret = with_totp()
    result = runner.invoke(args=["practice", "integrity", "reseal"])
    assert result.exit_code == 0, result.output
    assert "encrypted 1 two-factor secret(s)" in result.output
    db.expire_all()
    stored = _account(db, me).totp_secret
    assert secret not in stored and _clear(app, stored) == secret


def test_a_secret_that_does_not_decrypt_signs_nobody_in(app, client, auth, with_totp, db):
    me, secret = with_totp()
    with app.app_context():
        _account(db, me).totp_secret = seal_secret(secret, b"another key" * 4)
        db.commit()
    auth.login(me)
    assert "not accepted" in _send_code(auth, pyotp.TOTP(secret).now()).get_data(as_text=True)
