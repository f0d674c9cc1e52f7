"""Administrators add, re-role and deactivate staff; nobody else can."""

import pytest
from sqlalchemy import select

from practice.models import Account, AuditEvent, Role, StaffMember


@pytest.fixture
def admin(make_staff):
    return make_staff(Role.ADMIN)


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.SUPERVISOR])
def test_only_admins_reach_staff_pages(client, auth, make_staff, role):
    auth.login(make_staff(role))
    assert client.get("/admin/staff").status_code == 403
    assert auth.post("/admin/staff", {"email": "x@test.example"}).status_code == 403


def test_admin_adds_a_counsellor_who_can_then_sign_in(client, auth, admin, make_staff, db):
    supervisor = make_staff(Role.SUPERVISOR)
    auth.login(admin)
    response = auth.post(
        "/admin/staff",
        {
            "email": "New.Person@Test.example",
            "display_name": "New Person",
            "role": "counsellor",
            "supervisor_id": str(supervisor.id),
            "password": "a long new passphrase",
        },
    )
    assert response.status_code == 302
    member = db.scalar(select(StaffMember).where(StaffMember.email == "new.person@test.example"))
    assert member.role == Role.COUNSELLOR
    assert member.supervisor_id == supervisor.id
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "staff_created"))
    auth.logout()
    assert auth.login("new.person@test.example", "a long new passphrase").status_code == 302
    assert client.get("/").status_code == 200


def test_invalid_new_staff_is_refused_with_the_form_refilled(client, auth, admin, db):
    auth.login(admin)
    before = db.scalar(select(StaffMember.id).order_by(StaffMember.id.desc()))
    response = auth.post(
        "/admin/staff",
        {
            "email": "kept@test.example",
            "display_name": "Kept Name",
            "role": "counsellor",
            "supervisor_id": "0",
            "password": "short",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Use at least 12 characters." in page
    assert 'value="kept@test.example"' in page
    assert 'value="Kept Name"' in page
    assert db.scalar(select(StaffMember.id).order_by(StaffMember.id.desc())) == before


def test_duplicate_email_is_refused(client, auth, admin, make_staff):
    existing = make_staff()
    auth.login(admin)
    response = auth.post(
        "/admin/staff",
        {
            "email": existing.email,
            "display_name": "Twin",
            "role": "counsellor",
            "supervisor_id": "0",
            "password": "a long new passphrase",
        },
    )
    assert "already exists" in response.get_data(as_text=True)


def test_admin_re_roles_and_sets_supervisor(client, auth, admin, make_staff, db):
    member = make_staff(Role.COUNSELLOR)
    supervisor = make_staff(Role.SUPERVISOR)
    auth.login(admin)
    response = auth.post(
        f"/admin/staff/{member.id}", {"role": "supervisor", "supervisor_id": str(supervisor.id)}
    )
    assert response.status_code == 302
    db.expire_all()
    changed = db.get(StaffMember, member.id)
    assert changed.role == Role.SUPERVISOR
    assert changed.supervisor_id == supervisor.id
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "permission_changed"))
    assert event.detail["before"]["role"] == "counsellor"


def test_supervisor_must_hold_the_supervisor_role(client, auth, admin, make_staff, db):
    member = make_staff(Role.COUNSELLOR)
    peer = make_staff(Role.COUNSELLOR)
    auth.login(admin)
    response = auth.post(
        f"/admin/staff/{member.id}", {"role": "counsellor", "supervisor_id": str(peer.id)}
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_deactivation_ends_the_members_session_and_login(app, make_staff, admin, db):
    member = make_staff(Role.COUNSELLOR)
    from tests.conftest import Auth

    member_client = app.test_client()
    member_auth = Auth(member_client)
    member_auth.login(member)
    assert member_client.get("/").status_code == 200

    admin_client = app.test_client()
    admin_auth = Auth(admin_client)
    admin_auth.login(admin)
    assert admin_auth.post(f"/admin/staff/{member.id}/active").status_code == 302

    assert member_client.get("/").status_code == 302
    assert member_auth.login(member).status_code == 200  # refused, form shown again
    db.expire_all()
    account = db.scalar(select(Account).where(Account.email == member.email))
    assert account.active is False


def test_admin_cannot_deactivate_themselves(client, auth, admin, db):
    auth.login(admin)
    response = auth.post(f"/admin/staff/{admin.id}/active", follow_redirects=True)
    assert "cannot deactivate your own account" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(StaffMember, admin.id).active


def test_cli_create_user_makes_a_login(runner, db, app):
    result = runner.invoke(
        args=[
            "practice",
            "create-user",
            "cli@test.example",
            "--name",
            "Cli Person",
            "--role",
            "supervisor",
            "--password",
            "a long cli passphrase",
        ]
    )
    assert result.exit_code == 0, result.output
    member = db.scalar(select(StaffMember).where(StaffMember.email == "cli@test.example"))
    assert member.role == Role.SUPERVISOR


def test_cli_create_user_refuses_a_weak_password(runner, db):
    result = runner.invoke(
        args=["practice", "create-user", "weak@test.example", "--name", "W", "--password", "short"]
    )
    assert result.exit_code != 0
    assert "at least 12" in result.output
    assert db.scalar(select(StaffMember).where(StaffMember.email == "weak@test.example")) is None


def test_admin_turns_off_a_members_lost_two_factor_and_ends_their_sessions(
    app, client, auth, admin, make_staff, db
):
    member = make_staff(Role.COUNSELLOR)
    account = db.scalar(select(Account).where(Account.email == member.email))
    account.totp_secret = "JBSWY3DPEHPK3PXP"
    db.commit()
    version = account.session_version
    auth.login(admin)
    page = client.get(f"/admin/staff/{member.id}").get_data(as_text=True)
    assert "Turn off two-factor sign-in" in page
    response = auth.post(f"/admin/staff/{member.id}/two-factor/reset")
    assert response.status_code == 302
    db.expire_all()
    account = db.get(Account, account.id)
    assert account.totp_secret is None and account.session_version == version + 1
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.action.in_(("totp_disabled", "two_factor_reset")))
    ).all()
    assert {e.action for e in events} == {"totp_disabled", "two_factor_reset"}
    assert all(e.actor_id == admin.id for e in events)


def test_resetting_absent_two_factor_is_refused_without_change(client, auth, admin, make_staff, db):
    member = make_staff(Role.COUNSELLOR)
    auth.login(admin)
    response = auth.post(f"/admin/staff/{member.id}/two-factor/reset", follow_redirects=True)
    assert "no two-factor sign-in to reset" in response.get_data(as_text=True)
    assert not db.scalars(select(AuditEvent).where(AuditEvent.action == "two_factor_reset")).all()


@pytest.mark.parametrize("role", [Role.COUNSELLOR, Role.SUPERVISOR])
def test_only_admins_reset_two_factor(client, auth, make_staff, db, role):
    member = make_staff(Role.COUNSELLOR)
    auth.login(make_staff(role))
    assert auth.post(f"/admin/staff/{member.id}/two-factor/reset").status_code == 403


def test_an_administrator_cannot_be_made_a_supervisor(client, auth, admin, make_staff, db):
    # Administrators read no clinical record (but by break-glass): as a supervisor they would
    # see none of the supervisee's cases, so neither the form nor the operation offers them.
    member = make_staff(Role.COUNSELLOR)
    auth.login(admin)
    page = client.get(f"/admin/staff/{member.id}").get_data(as_text=True)
    assert f'value="{admin.id}"' not in page
    response = auth.post(
        f"/admin/staff/{member.id}", {"role": "counsellor", "supervisor_id": str(admin.id)}
    )
    assert response.status_code == 200
    assert "Not a valid choice" in response.get_data(as_text=True)
    assert db.get(StaffMember, member.id).supervisor_id is None


def test_the_operation_refuses_an_administrator_as_supervisor(app, admin, make_staff, db):
    from practice.accounts import operations
    from practice.accounts.operations import AccountError

    member = make_staff(Role.COUNSELLOR)
    with app.test_request_context(), pytest.raises(AccountError, match="supervisor role"):
        operations.change_role(member, Role.COUNSELLOR, admin)
