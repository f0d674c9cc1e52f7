"""Personal API tokens: the page (list, create shown once, revoke) and ``flask practice token``."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from practice.accounts.tokens import TokenError, create_token, token_digest
from practice.core.database import utcnow
from practice.models import ApiToken, Case, Role
from tests.conftest import PASSWORD
from tests.test_api_support import API, audit_actions, bearer, issue_token

PAGE = "/account/tokens"
_SECRET = re.compile(r'value="(cct_[^"]+)"')


def test_the_page_lists_only_your_own_tokens(client, auth, app, db, make_staff):
    me, someone = make_staff(Role.COUNSELLOR), make_staff(Role.COUNSELLOR)
    issue_token(app, db, me, "Calendar sync")
    issue_token(app, db, someone, "Their script")
    auth.login(me)
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<h1>API tokens</h1>" in html
    assert "Calendar sync" in html and "Their script" not in html
    assert "Never" in html
    assert 'for="name"' in html  # every input has its label
    assert "cct_" in html  # the prefix only ...
    assert not re.search(r"cct_[A-Za-z0-9_-]{20,}", html)  # ... never a whole token


def test_a_token_is_created_and_shown_once(client, auth, db, make_staff):
    me = make_staff(Role.COUNSELLOR)
    auth.login(me)
    response = auth.post(PAGE, {"name": "Practice calendar", "password": PASSWORD})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "only time it is shown" in html
    secret = _SECRET.search(html).group(1)
    stored = db.scalar(select(ApiToken).where(ApiToken.staff_id == me.id))
    assert stored.token_hash == token_digest(secret) and secret not in stored.token_hash
    assert secret not in client.get(PAGE).get_data(as_text=True)
    assert client.get(f"{API}/cases", headers=bearer(secret)).status_code == 200
    assert "api_token_created" in audit_actions(db, actor_id=me.id)


def test_a_token_needs_a_name(client, auth, db, make_staff):
    auth.login(make_staff(Role.COUNSELLOR))
    response = auth.post(PAGE, {"name": "  ", "password": PASSWORD})
    assert response.status_code == 200
    assert "Name the token" in response.get_data(as_text=True)
    assert db.scalar(select(ApiToken.id)) is None


def test_a_token_is_revoked_and_stops_working(client, auth, app, db, make_staff):
    me = make_staff(Role.COUNSELLOR)
    secret = issue_token(app, db, me, "Old script")
    record = db.scalar(select(ApiToken).where(ApiToken.staff_id == me.id))
    auth.login(me)
    response = auth.post(f"{PAGE}/{record.id}/revoke")
    assert response.status_code == 302
    assert "Revoked" in client.get(PAGE).get_data(as_text=True)
    assert client.get(f"{API}/cases", headers=bearer(secret)).status_code == 401
    assert "api_token_revoked" in audit_actions(db, actor_id=me.id)


def test_someone_elses_token_cannot_be_revoked(client, auth, app, db, make_staff):
    me, someone = make_staff(Role.COUNSELLOR), make_staff(Role.COUNSELLOR)
    secret = issue_token(app, db, someone, "Theirs")
    record = db.scalar(select(ApiToken).where(ApiToken.staff_id == someone.id))
    auth.login(me)
    assert auth.post(f"{PAGE}/{record.id}/revoke").status_code == 404
    assert client.get(f"{API}/cases", headers=bearer(secret)).status_code == 200


def test_a_token_cannot_manage_tokens(client, app, db, make_staff):
    me = make_staff(Role.COUNSELLOR)
    secret = issue_token(app, db, me)
    assert client.get(PAGE, headers=bearer(secret)).status_code == 403
    created = client.post(
        PAGE, data={"name": "minted", "password": PASSWORD}, headers=bearer(secret)
    )
    assert created.status_code == 403
    assert len(db.scalars(select(ApiToken).where(ApiToken.staff_id == me.id)).all()) == 1


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_the_cli_prints_the_token_on_its_last_line(app, client, db, make_staff, runner):
    me = make_staff(Role.COUNSELLOR, email="cli.user@test.example")
    result = runner.invoke(
        args=["practice", "token", "create", "CLI.User@test.example", "--name", "schemathesis"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) >= 2
    secret = lines[-1]
    assert re.fullmatch(r"cct_[A-Za-z0-9_-]+", secret)
    assert client.get(f"{API}/cases", headers=bearer(secret)).status_code == 200
    assert db.scalar(select(ApiToken.name).where(ApiToken.staff_id == me.id)) == "schemathesis"


def test_the_cli_refuses_an_unknown_or_inactive_member(db, make_staff, runner):
    assert runner.invoke(args=["practice", "token", "create", "nobody@x.example"]).exit_code == 1
    gone = make_staff(Role.COUNSELLOR, active=False)
    result = runner.invoke(args=["practice", "token", "create", gone.email])
    assert result.exit_code == 1
    assert "No active staff member" in result.output


# --- Asked for the password again; expiry, scope and last use -------------------------------


def test_creating_a_token_asks_for_the_password_again(client, auth, db, make_staff):
    me = make_staff(Role.COUNSELLOR)
    auth.login(me)
    for password in ("", "not my password"):
        response = auth.post(PAGE, {"name": "Calendar", "password": password})
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "only time it is shown" not in html
        assert 'value="Calendar"' in html  # the form is shown again, filled in
    assert "No token was created" in html
    assert db.scalar(select(ApiToken.id)) is None
    assert "login_failed" in audit_actions(db)


def test_a_token_expires_after_the_chosen_days_shown_on_the_page(client, auth, db, make_staff):
    me = make_staff(Role.COUNSELLOR)
    auth.login(me)
    html = client.get(PAGE).get_data(as_text=True)
    assert '<option selected value="90">' in html
    response = auth.post(PAGE, {"name": "Short", "password": PASSWORD, "expires_in_days": "7"})
    assert response.status_code == 200
    stored = db.scalar(select(ApiToken).where(ApiToken.staff_id == me.id))
    assert (stored.expires_at - stored.created_at) == timedelta(days=7)
    assert stored.expires_at.strftime("%d %b %Y") in response.get_data(as_text=True)
    page = client.get(PAGE).get_data(as_text=True)
    assert ">Expires<" in page and stored.expires_at.strftime("%d %b %Y") in page


def test_the_default_expiry_is_90_days(app, db, make_staff):
    secret = issue_token(app, db, make_staff(Role.COUNSELLOR))
    stored = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    assert stored.expires_at - stored.created_at == timedelta(days=90)


@pytest.mark.parametrize("days", ["366", "0", "-1", "abc", "3650"])
def test_a_token_lasts_at_most_a_year(client, auth, db, make_staff, days):
    auth.login(make_staff(Role.COUNSELLOR))
    response = auth.post(PAGE, {"name": "Long", "password": PASSWORD, "expires_in_days": days})
    assert response.status_code == 200
    assert "only time it is shown" not in response.get_data(as_text=True)
    assert db.scalar(select(ApiToken.id)) is None


def test_the_operation_refuses_a_lifetime_over_a_year(app, db, make_staff):
    member = make_staff(Role.COUNSELLOR)
    with app.test_request_context(), pytest.raises(TokenError):
        create_token(member, "t", expires_in_days=366)


def test_an_expired_token_is_refused_with_401(app, client, db, make_staff):
    secret = issue_token(app, db, make_staff(Role.COUNSELLOR))
    assert client.get(f"{API}/cases", headers=bearer(secret)).status_code == 200
    stored = db.scalar(select(ApiToken).where(ApiToken.token_hash == token_digest(secret)))
    stored.expires_at = utcnow() - timedelta(seconds=1)
    db.commit()
    response = client.get(f"{API}/cases", headers=bearer(secret))
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "unauthorized"
    assert client.get("/", headers=bearer(secret)).status_code == 401


def test_an_expired_token_shows_as_expired(client, auth, app, db, make_staff):
    me = make_staff(Role.COUNSELLOR)
    issue_token(app, db, me, "Old sync")
    db.scalar(select(ApiToken)).expires_at = utcnow() - timedelta(days=1)
    db.commit()
    auth.login(me)
    html = client.get(PAGE).get_data(as_text=True)
    assert "Expired" in html and "Revoke<span" not in html


def test_a_read_only_token_reads_but_is_refused_changes(client, auth, app, db, make_staff):
    me = make_staff(Role.COUNSELLOR)
    auth.login(me)
    response = auth.post(PAGE, {"name": "Reader", "password": PASSWORD, "read_only": "y"})
    secret = _SECRET.search(response.get_data(as_text=True)).group(1)
    assert db.scalar(select(ApiToken.read_only)) is True
    assert "Read only" in client.get(PAGE).get_data(as_text=True)
    auth.logout()
    assert client.get(f"{API}/cases", headers=bearer(secret)).status_code == 200
    before = db.scalar(select(func.count()).select_from(Case))
    for method in ("post", "put", "patch", "delete"):
        response = getattr(client, method)(
            f"{API}/cases", json={"reference": "C-1"}, headers=bearer(secret)
        )
        assert response.status_code == 403, method
        error = response.get_json()["error"]
        assert error["code"] == "forbidden" and "read-only" in error["message"]
    assert db.scalar(select(func.count()).select_from(Case)) == before
    # Pages too: a plain POST with the token is refused.
    assert client.post("/logout", headers=bearer(secret)).status_code == 403
    assert "access_denied" in audit_actions(db) or "denied" in str(audit_actions(db))


def test_a_full_token_still_writes(client, app, db, make_staff):
    secret = issue_token(app, db, make_staff(Role.COUNSELLOR))
    response = client.post(f"{API}/cases", json={}, headers=bearer(secret))
    assert response.status_code == 422  # past the scope check, refused by the schema


def test_last_use_is_noted_at_most_once_a_minute(app, client, db, make_staff):
    secret = issue_token(app, db, make_staff(Role.COUNSELLOR))

    def last_used():
        db.expire_all()
        return db.scalar(select(ApiToken.last_used_at))

    assert last_used() is None
    client.get(f"{API}/cases", headers=bearer(secret))
    first = last_used()
    assert first is not None
    client.get(f"{API}/cases", headers=bearer(secret))
    assert last_used() == first  # within the minute: not written again
    stale = utcnow() - timedelta(minutes=2)
    db.scalar(select(ApiToken)).last_used_at = stale
    db.commit()
    client.get(f"{API}/cases", headers=bearer(secret))
    assert last_used() >= first


def test_the_cli_takes_an_expiry_and_read_only(app, db, make_staff, runner):
    me = make_staff(Role.COUNSELLOR, email="cli.scope@test.example")
    result = runner.invoke(
        args=["practice", "token", "create", me.email, "--expires-in-days", "30", "--read-only"]
    )
    assert result.exit_code == 0, result.output
    stored = db.scalar(select(ApiToken).where(ApiToken.staff_id == me.id))
    assert stored.read_only and stored.expires_at - stored.created_at == timedelta(days=30)
    too_long = ["practice", "token", "create", me.email, "--expires-in-days", "400"]
    assert runner.invoke(args=too_long).exit_code != 0
