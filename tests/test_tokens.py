"""API tokens authenticate requests on their own: no cookie, no CSRF token, revocable."""

import pytest
from sqlalchemy import select

from practice.accounts.tokens import create_token, revoke_token
from practice.models import Account, ApiToken, AuditEvent, Role
from tests.conftest import PASSWORD, Auth

NEW_PASSWORD = "quiet harbour lantern 42"


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_token_is_stored_hashed_and_authenticates(app, client, make_staff, make_case, db):
    member = make_staff(Role.COUNSELLOR)
    make_case(member, reference="C-0777")
    with app.test_request_context():
        secret, record = create_token(member, "integration")
        db.commit()
    assert secret.startswith("cct_")
    assert secret not in record.token_hash
    page = client.get("/", headers=bearer(secret))
    assert page.status_code == 200
    assert "C-0777" in page.get_data(as_text=True)
    assert client.get_cookie("session") is None or "_user_id" not in str(
        client.get_cookie("session")
    )


def test_wrong_or_revoked_token_is_refused(app, client, make_staff, db):
    member = make_staff(Role.COUNSELLOR)
    with app.test_request_context():
        secret, record = create_token(member, "old")
        db.commit()
    assert client.get("/", headers=bearer("cct_not-a-real-token")).status_code == 401
    assert client.get("/", headers=bearer(secret)).status_code == 200
    with app.test_request_context():
        revoke_token(db.get(type(record), record.id), member)
        db.commit()
    assert client.get("/", headers=bearer(secret)).status_code == 401


def test_token_of_a_deactivated_member_is_refused(app, client, make_staff, db):
    member = make_staff(Role.COUNSELLOR)
    with app.test_request_context():
        secret, _ = create_token(member, "t")
        db.commit()
    db.get(type(member), member.id).active = False
    db.commit()
    assert client.get("/", headers=bearer(secret)).status_code == 401


def test_a_token_does_not_ride_on_a_browser_session(app, client, auth, make_staff, db):
    signed_in = make_staff(Role.ADMIN)
    auth.login(signed_in)
    assert client.get("/admin/staff").status_code == 200
    # A bad token with a good cookie is judged by the token alone.
    assert client.get("/admin/staff", headers=bearer("cct_bogus")).status_code == 401


def test_token_requests_need_no_csrf_token_but_cookie_requests_do(app, client, make_staff, db):
    member = make_staff(Role.COUNSELLOR)
    with app.test_request_context():
        secret, _ = create_token(member, "t")
        db.commit()
    # The logout route is a plain POST: with the token it passes the CSRF gate.
    assert client.post("/logout", headers=bearer(secret)).status_code == 302
    assert client.post("/logout").status_code in (302, 400)


def _issue(app, db, member, name: str = "t") -> tuple[str, ApiToken]:
    with app.test_request_context():
        secret, record = create_token(member, name)
        db.commit()
    return secret, record


def _revocations(db) -> list[AuditEvent]:
    query = select(AuditEvent).where(AuditEvent.action == "api_token_revoked")
    return db.scalars(query.order_by(AuditEvent.id)).all()


def _change_password(auth, current: str = PASSWORD):
    data = {
        "current_password": current,
        "new_password": NEW_PASSWORD,
        "confirm_password": NEW_PASSWORD,
    }
    return auth.post("/account/password", data)


def test_a_password_change_revokes_every_token_of_the_member(app, client, auth, make_staff, db):
    me, colleague = make_staff(Role.COUNSELLOR), make_staff(Role.COUNSELLOR)
    first, first_record = _issue(app, db, me, "calendar")
    second, second_record = _issue(app, db, me, "export")
    _old, old_record = _issue(app, db, me, "retired")
    with app.test_request_context():
        revoke_token(db.get(ApiToken, old_record.id), me)
        db.commit()
    revoked_before = db.get(ApiToken, old_record.id).revoked_at
    theirs, _ = _issue(app, db, colleague)
    auth.login(me)
    assert _change_password(auth).status_code == 302
    for secret in (first, second):
        assert client.get("/", headers=bearer(secret)).status_code == 401
    assert client.get("/", headers=bearer(theirs)).status_code == 200
    db.expire_all()
    rows = db.scalars(select(ApiToken).where(ApiToken.staff_id == me.id)).all()
    assert len(rows) == 3 and all(row.revoked_at is not None for row in rows)  # kept
    assert db.get(ApiToken, old_record.id).revoked_at == revoked_before
    events = [e for e in _revocations(db) if e.detail == {"reason": "password_changed"}]
    assert sorted(e.object_id for e in events) == sorted(
        [str(first_record.id), str(second_record.id)]
    )
    assert all(e.object_type == "ApiToken" and e.actor_id == me.id for e in events)


def test_a_refused_password_change_or_a_sign_out_keeps_the_tokens(
    app, client, auth, make_staff, db
):
    me = make_staff(Role.COUNSELLOR)
    secret, _ = _issue(app, db, me)
    auth.login(me)
    page = _change_password(auth, current="not my password").get_data(as_text=True)
    assert "The current password is not right." in page
    auth.logout()
    assert client.get("/", headers=bearer(secret)).status_code == 200
    assert _revocations(db) == []


@pytest.mark.parametrize(
    ("action", "reason"),
    [("active", "deactivated"), ("two-factor/reset", "two_factor_reset")],
)
def test_an_administrators_reset_or_deactivation_revokes_the_tokens(
    app, make_staff, db, action, reason
):
    admin, member = make_staff(Role.ADMIN), make_staff(Role.COUNSELLOR)
    db.scalar(select(Account).where(Account.email == member.email)).totp_secret = "JBSWY3DPEHPK3PXP"
    db.commit()
    secret, record = _issue(app, db, member)
    admin_auth = Auth(app.test_client())
    admin_auth.login(admin)
    assert admin_auth.post(f"/admin/staff/{member.id}/{action}").status_code == 302
    if action == "active":  # reactivated: the old token does not come back
        assert admin_auth.post(f"/admin/staff/{member.id}/active").status_code == 302
        db.expire_all()
        assert db.get(type(member), member.id).active
    script = app.test_client()
    assert script.get("/", headers=bearer(secret)).status_code == 401
    db.expire_all()
    assert db.get(ApiToken, record.id).revoked_at is not None
    [event] = _revocations(db)
    assert event.object_id == str(record.id) and event.detail == {"reason": reason}
    assert event.actor_id == admin.id
