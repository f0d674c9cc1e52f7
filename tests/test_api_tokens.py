"""Personal API tokens: the page (list, create shown once, revoke) and ``flask practice token``."""

import re

from sqlalchemy import select

from practice.accounts.tokens import token_digest
from practice.models import ApiToken, Role
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
    response = auth.post(PAGE, {"name": "Practice calendar"})
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
    response = auth.post(PAGE, {"name": "  "})
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
    created = client.post(PAGE, data={"name": "minted"}, headers=bearer(secret))
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
