"""Standalone login accounts: authentication with lock-out, and creating staff with a login."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select

from practice.database import db_session, utcnow
from practice.models import Account, Role, StaffMember
from practice.passwords import hash_password, needs_rehash, password_problem, verify_password
from practice.services import audit

# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = hash_password("not-a-real-password-for-timing")


class AccountError(ValueError):
    """A request about an account that cannot be carried out; the message says why."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def authenticate(email: str, password: str) -> Account | None:
    """The active account for these credentials, or None; counts and audits failures.

    An account locks for a while after too many failures, never for good, and the caller
    cannot tell a locked, unknown or wrong-password account apart.
    """
    session = db_session()
    email = normalise_email(email)
    account = session.scalar(select(Account).where(func.lower(Account.email) == email))
    now = utcnow()
    if account is None:
        verify_password(_DUMMY_HASH, password)
        audit.record("login_failed", actor_label=email, outcome="denied")
        return None
    locked = account.locked_until is not None and account.locked_until > now
    if locked or not verify_password(account.password_hash, password) or not account.active:
        if not locked:
            account.failed_logins += 1
            if account.failed_logins >= current_app.config["PRACTICE_LOGIN_MAX_FAILURES"]:
                seconds = current_app.config["PRACTICE_LOGIN_LOCK_SECONDS"]
                account.locked_until = now + timedelta(seconds=seconds)
                account.failed_logins = 0
        audit.record(
            "login_failed",
            object_type="Account",
            object_id=account.id,
            actor_label=email,
            outcome="locked" if locked else "denied",
        )
        return None
    account.failed_logins = 0
    account.locked_until = None
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    return account


def end_sessions(account: Account) -> None:
    """Invalidate every session cookie issued to ``account`` so far."""
    account.session_version += 1


def staff_for_account(account: Account) -> StaffMember | None:
    return db_session().scalar(select(StaffMember).where(StaffMember.user_id == str(account.id)))


def create_staff(
    *,
    email: str,
    display_name: str,
    role: Role | str,
    password: str | None = None,
    user_id: str | None = None,
    supervisor: StaffMember | None = None,
    actor_label: str | None = None,
) -> StaffMember:
    """Add a staff member; with ``password`` also a standalone login account.

    Raises AccountError for a taken email or user id, a weak password, or a supervisor who
    is not a supervisor.
    """
    session = db_session()
    email = normalise_email(email)
    role = Role(role)
    if supervisor is not None and supervisor.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise AccountError("The chosen supervisor does not hold the supervisor role.")
    if password is not None:
        problem = password_problem(password)
        if problem:
            raise AccountError(problem)
        if session.scalar(select(Account.id).where(func.lower(Account.email) == email)):
            raise AccountError("An account with this email already exists.")
        account = Account(
            email=email, display_name=display_name, password_hash=hash_password(password)
        )
        session.add(account)
        session.flush()
        user_id = str(account.id)
    if not user_id:
        raise AccountError("A host user id or a password is needed.")
    if session.scalar(select(StaffMember.id).where(StaffMember.user_id == user_id)):
        raise AccountError("That user already has a staff record.")
    member = StaffMember(
        user_id=user_id,
        email=email,
        display_name=display_name,
        role=role,
        supervisor=supervisor,
    )
    session.add(member)
    session.flush()
    audit.record("staff_created", obj=member, actor_label=actor_label, detail={"role": role.value})
    return member


def change_role(member: StaffMember, role: Role | str, supervisor: StaffMember | None) -> None:
    """Re-role a staff member and set their supervisor; audited as a permission change."""
    role = Role(role)
    if supervisor is not None:
        if supervisor.id == member.id:
            raise AccountError("Nobody can supervise themselves.")
        if supervisor.role not in (Role.SUPERVISOR, Role.ADMIN):
            raise AccountError("The chosen supervisor does not hold the supervisor role.")
    before = {"role": member.role, "supervisor_id": member.supervisor_id}
    member.role = role
    member.supervisor = supervisor
    db_session().flush()
    audit.record(
        "permission_changed",
        obj=member,
        detail={
            "before": before,
            "after": {"role": role.value, "supervisor_id": member.supervisor_id},
        },
    )


def set_active(member: StaffMember, active: bool) -> None:
    """Deactivate or reactivate a staff member; deactivation also ends their sessions."""
    member.active = active
    account = db_session().get(Account, int(member.user_id)) if member.user_id.isdigit() else None
    if account is not None:
        account.active = active
        if not active:
            end_sessions(account)
    audit.record("staff_deactivated" if not active else "staff_reactivated", obj=member)
