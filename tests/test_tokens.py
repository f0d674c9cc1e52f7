"""API tokens authenticate requests on their own: no cookie, no CSRF token, revocable."""

from practice.models import Role
from practice.services.tokens import create_token, revoke_token


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
