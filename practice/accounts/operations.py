"""Standalone login accounts and staff records: signing in with throttling and lock-out, signing
out, changing a password, and the administrators' changes to staff.

Every function that writes runs in its own savepoint (``@atomic``), flushes, audits and never
commits: the request, CLI command or job around it owns the transaction. A change that is
refused raises ``AccountError``, which undoes the savepoint. A wrong password or code is not
raised but answered (None or False): what the check recorded (the account's failure count, the
address throttle, the ``login_failed`` event) must outlive the refusal the page then shows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import ColumnElement, case, func, literal, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from practice import audit
from practice.accounts import login_throttle, tokens, totp
from practice.accounts.models import SUPERVISING_ROLES, Account, Role, StaffMember
from practice.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from practice.accounts.queries import account_of, staff_for_account
from practice.cases.models import Case, CaseStatus
from practice.core import local_time
from practice.core.database import UTCDateTime, db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _, ngettext
from practice.core.unit_of_work import atomic

# Verified against when the email is unknown, so both answers take the same time.
_DUMMY_HASH = hash_password("not-a-real-password-for-timing")


class AccountError(Refused):
    """A change to an account or a staff record that is refused; the message says why, and
    ``fields`` names the form input at fault where there is one."""


def normalise_email(email: str) -> str:
    return email.strip().lower()


def client_address(raw: str | None) -> str:
    """The remote address as the throttle keys it (fits its column; never empty)."""
    return (raw or "unknown")[:45]


@atomic
def authenticate(email: str, password: str, address: str | None = None) -> Account | None:
    """The active account for these credentials, or None; counts and audits failures.

    Failures count against the account and against the remote ``address``; either one
    refuses sign-ins for a while when it has failed too often, never for good, and the
    caller cannot tell a throttled, locked, unknown or wrong-password account apart. An
    account with two-factor sign-in keeps its failure count until the code is accepted too.
    Without ``address`` (no request behind the check) only the account is counted.
    """
    email = normalise_email(email)
    account = db.scalar(select(Account).where(func.lower(Account.email) == email))
    now = utcnow()
    if address is not None and login_throttle.address_blocked(address, now):
        verify_password(_DUMMY_HASH, password)
        _audit_failure_once_a_window(account, email, "throttled", address, now)
        return None
    if account is None:
        verify_password(_DUMMY_HASH, password)
        _count_address_failure(address, now)
        _audit_failure_once_a_window(None, email, "denied", address, now)
        return None
    locked = _locked(account, now)
    # Verified even when locked, so the time taken does not tell a locked account apart.
    password_ok = verify_password(account.password_hash, password)
    if locked or not password_ok or not account.active:
        if not locked:
            # A concurrent attempt may have locked the account since it was read.
            locked = not _count_failure(account, now)
        _count_address_failure(address, now)
        _audit_failure(account, email, "locked" if locked else "denied")
        return None
    if needs_rehash(account.password_hash):
        account.password_hash = hash_password(password)
    if account.totp_secret is None:
        _clear_failures(account)
    return account


@atomic
def verify_second_factor(account: Account, code: str, address: str | None = None) -> str | None:
    """Which second factor ``code`` is for ``account`` ("totp" or "recovery_code"), or None.

    A fresh app code or an unused recovery code passes (and is spent); failures count as
    above.
    """
    now = utcnow()
    blocked = address is not None and login_throttle.address_blocked(address, now)
    if blocked or _locked(account, now):
        _audit_failure(account, account.email, "locked", step="code")
        return None
    if account.active:
        if totp.is_recovery_code(code):
            passed = "recovery_code" if totp.use_recovery_code(account, code, now) else None
        else:
            passed = "totp" if totp.verify_code(account, code, now) else None
        if passed:
            _clear_failures(account)
            return passed
    locked = not _count_failure(account, now)
    _count_address_failure(address, now)
    _audit_failure(account, account.email, "locked" if locked else "denied", step="code")
    return None


@atomic
def confirm_password(account: Account, password: str, address: str | None = None) -> bool:
    """Whether ``password`` is ``account``'s own, checked as a sign-in is: a wrong one counts
    towards the lock-out and the address throttle and is audited as a failed login."""
    confirmed = authenticate(account.email, password, address)
    return confirmed is not None and confirmed.id == account.id


@atomic
def confirm_host_password(
    member: StaffMember, check: Callable[[], bool], address: str | None = None
) -> bool:
    """Whether the host's ``check`` confirms its user's password, throttled as a sign-in is.

    In a host app the host holds the password; the tracker still counts wrong ones, per
    staff member (``PRACTICE_LOGIN_MAX_FAILURES``, then ``PRACTICE_LOGIN_LOCK_SECONDS``)
    and per address, so a hijacked session cannot try passwords without limit. While
    refused, the host is not asked at all; every failure is audited as a failed login.
    """
    now = utcnow()
    key = login_throttle.host_user_key(member.id)
    blocked = login_throttle.address_blocked(key, now) or (
        address is not None and login_throttle.address_blocked(address, now)
    )
    if not blocked and check():
        login_throttle.clear(key)
        return True
    if not blocked:
        config = current_app.config
        login_throttle.record_failure(
            key,
            now,
            max_failures=config["PRACTICE_LOGIN_MAX_FAILURES"],
            block_seconds=config["PRACTICE_LOGIN_LOCK_SECONDS"],
        )
        _count_address_failure(address, now)
    audit.record(
        "login_failed",
        obj=member,
        actor=member,
        outcome="locked" if blocked else "denied",
        detail={"step": "reauthenticate"},
    )
    return False


def _locked(account: Account, now: datetime) -> bool:
    return account.locked_until is not None and account.locked_until > now


def _not_locked(now: datetime) -> ColumnElement[bool]:
    return or_(Account.locked_until.is_(None), Account.locked_until <= now)


def _count_failure(account: Account, now: datetime) -> bool:
    """Count a failed password or code against ``account``; lock it when the limit is reached.

    Returns False, counting nothing, when the account is locked already. One UPDATE reads
    and writes the count: concurrent wrong guesses (each spends ~100 ms on argon2 between
    reading the account and counting) queue on the row instead of each writing back the
    count it read, which lost all but one of them.
    """
    config = current_app.config
    reached = Account.failed_logins + 1 >= config["PRACTICE_LOGIN_MAX_FAILURES"]
    until = now + timedelta(seconds=config["PRACTICE_LOGIN_LOCK_SECONDS"])
    row = db.execute(
        update(Account)
        # Re-checked here: on PostgreSQL a waiting UPDATE sees the row as the winner left it.
        .where(Account.id == account.id, _not_locked(now))
        .values(
            failed_logins=case((reached, 0), else_=Account.failed_logins + 1),
            locked_until=case((reached, literal(until, UTCDateTime())), else_=Account.locked_until),
        )
        .returning(Account.failed_logins, Account.locked_until)
        .execution_options(synchronize_session=False)
    ).one_or_none()
    if row is None:
        return False
    # The database's values, as if loaded: a flush must not write back the stale count.
    set_committed_value(account, "failed_logins", row.failed_logins)
    set_committed_value(account, "locked_until", row.locked_until)
    return True


def _count_address_failure(address: str | None, now: datetime) -> None:
    if address is not None:
        login_throttle.record_failure(address, now)


def _clear_failures(account: Account) -> None:
    # In the database, not on the object: failures counted by concurrent attempts since the
    # account was read must be cleared too (the object may still say 0).
    db.execute(
        update(Account)
        .where(
            Account.id == account.id,
            or_(Account.failed_logins != 0, Account.locked_until.is_not(None)),
        )
        .values(failed_logins=0, locked_until=None)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(account, "failed_logins", 0)
    set_committed_value(account, "locked_until", None)


def _audit_failure_once_a_window(
    account: Account | None, email: str, outcome: str, address: str | None, now: datetime
) -> None:
    """Audit a failure; one naming no account, per address, as one row per window with a
    count (anyone can send such guesses, each would otherwise be a row of the log)."""
    if account is not None or address is None:
        _audit_failure(account, email, outcome)
        return
    attempts = login_throttle.anonymous_failures_to_audit(address, now)
    if attempts is not None:
        # The name last tried stands for the lot; ``attempts`` counts them since the last row.
        _audit_failure(None, email, outcome, attempts=attempts)


def _audit_failure(
    account: Account | None, email: str, outcome: str, step: str = "", attempts: int = 0
) -> None:
    detail: dict = {"step": step} if step else {}
    if attempts:
        detail["unknown_account_attempts"] = attempts
    audit.record(
        "login_failed",
        object_type="Account" if account is not None else "",
        object_id=account.id if account is not None else "",
        actor_label=email,
        outcome=outcome,
        detail=detail or None,
    )


@atomic
def record_sign_in(account: Account, second_factor: str = "") -> None:
    """Audit that ``account`` passed every step of signing in (``second_factor``: which code
    it gave, if one was asked for)."""
    detail = {"second_factor": second_factor} if second_factor else None
    audit.record("login", obj=account, actor=staff_for_account(account), detail=detail)


@atomic
def sign_out(member: StaffMember, account: Account | None) -> None:
    """Audit ``member``'s sign-out; with the ``account`` of a standalone sign-in (None for a
    token or a host's user) also end every session cookie issued to it."""
    if account is not None:
        end_sessions(account)
    audit.record("logout", obj=member)


@atomic
def end_sessions(account: Account) -> None:
    """Invalidate every session cookie issued to ``account`` so far (API tokens stay: a
    sign-out is no reason to break the member's scripts)."""
    account.session_version += 1


@atomic
def confirm_current_password(account: Account, current: str, address: str | None = None) -> bool:
    """Whether ``current`` is ``account``'s password, asked before changing it; a wrong one
    counts like a failed sign-in and is also audited as a refused password change."""
    if confirm_password(account, current, address):
        return True
    audit.record("password_changed", obj=account, outcome="denied")
    return False


@atomic
def change_password(account: Account, new: str) -> None:
    """Replace ``account``'s password, end every session issued so far and revoke every
    API token: a new password says the old credentials may be compromised.

    The caller has confirmed the current password (``confirm_current_password``) and
    re-issues its own session afterwards (see ``session_limits.renew_session``). Raises
    AccountError when ``new`` repeats the current password or breaks the policy.
    """
    if verify_password(account.password_hash, new):
        message = "Choose a new password, not the current one."
        raise AccountError(message, fields={"new_password": message})
    problem = password_problem(new, (account.email, account.display_name))
    if problem:
        raise AccountError(problem, fields={"new_password": problem})
    account.password_hash = hash_password(new)
    account.password_changed_at = utcnow()
    end_sessions(account)
    db.flush()
    audit.record("password_changed", obj=account)
    _revoke_tokens(account, "password_changed")


def _revoke_tokens(account: Account, reason: str) -> None:
    member = staff_for_account(account)
    if member is not None:
        tokens.revoke_all_tokens(member, reason)


@atomic
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
    email = normalise_email(email)
    role = Role(role)
    _require_supervising_role(supervisor)
    if password is not None:
        problem = password_problem(password, (email, display_name))
        if problem:
            raise AccountError(problem)
        if db.scalar(select(Account.id).where(func.lower(Account.email) == email)):
            raise AccountError(_("An account with this email already exists."))
        account = Account(
            email=email, display_name=display_name, password_hash=hash_password(password)
        )
        db.add(account)
        db.flush()
        user_id = str(account.id)
    if not user_id:
        raise AccountError(_("A host user id or a password is needed."))
    if db.scalar(select(StaffMember.id).where(StaffMember.user_id == user_id)):
        raise AccountError(_("That user already has a staff record."))
    member = StaffMember(
        user_id=user_id,
        email=email,
        display_name=display_name,
        role=role,
        supervisor=supervisor,
    )
    db.add(member)
    db.flush()
    audit.record("staff_created", obj=member, actor_label=actor_label, detail={"role": role.value})
    return member


def _require_supervising_role(supervisor: StaffMember | None) -> None:
    if supervisor is not None and supervisor.role not in SUPERVISING_ROLES:
        raise AccountError(_("The chosen supervisor does not hold the supervisor role."))


@atomic
def set_local_preferences(member: StaffMember, time_zone: str | None, locale: str | None) -> None:
    """Set the member's own time zone and locale (None or empty: the practice's); audited as
    ``preferences_changed`` with the values before and after (names of zones, never clinical).

    Raises AccountError for a zone or locale that is not on offer.
    """
    time_zone = time_zone or None
    locale = locale or None
    if time_zone is not None and time_zone not in local_time.zone_names():
        raise AccountError(_("Choose a time zone from the list."))
    if locale is not None and locale not in local_time.OFFERED_LOCALES:
        raise AccountError(_("Choose a language and region from the list."))
    before = {"time_zone": member.time_zone, "locale": member.locale}
    member.time_zone = time_zone
    member.locale = locale
    db.flush()
    audit.record(
        "preferences_changed",
        obj=member,
        detail={"before": before, "after": {"time_zone": time_zone, "locale": locale}},
    )


@atomic
def change_role(member: StaffMember, role: Role | str, supervisor: StaffMember | None) -> None:
    """Re-role a staff member and set their supervisor; audited as a permission change.

    Raises AccountError for a supervisor who is the member or does not hold the role.
    """
    role = Role(role)
    if supervisor is not None and supervisor.id == member.id:
        raise AccountError(_("Nobody can supervise themselves."))
    _require_supervising_role(supervisor)
    before = {"role": member.role, "supervisor_id": member.supervisor_id}
    member.role = role
    member.supervisor = supervisor
    db.flush()
    audit.record(
        "permission_changed",
        obj=member,
        detail={
            "before": before,
            "after": {"role": role.value, "supervisor_id": member.supervisor_id},
        },
    )


def _open_case_count(member: StaffMember) -> int:
    """How many cases (active or paused) ``member`` carries as counsellor."""
    query = select(func.count(Case.id)).where(
        Case.counsellor_id == member.id, Case.status != CaseStatus.CLOSED
    )
    return db.scalar(query) or 0


@atomic
def set_active(member: StaffMember, active: bool, by: StaffMember | None = None) -> None:
    """Deactivate or reactivate a staff member; deactivation also ends their sessions and
    revokes their API tokens, so a reactivation does not bring old tokens back.

    Raises AccountError when ``by``, the administrator acting, would deactivate themselves, or
    when ``member`` still carries open cases (hand-over first: ``practice.cases.handover``).
    """
    if not active and by is not None and by.id == member.id:
        raise AccountError(_("You cannot deactivate your own account."))
    if not active:
        carried = _open_case_count(member)
        if carried:
            raise AccountError(
                ngettext(
                    "%(name)s carries %(num)d open case: hand them over first.",
                    "%(name)s carries %(num)d open cases: hand them over first.",
                    carried,
                    name=member.display_name,
                )
            )
    member.active = active
    account = account_of(member)
    if account is not None:
        account.active = active
        if not active:
            end_sessions(account)
    audit.record("staff_deactivated" if not active else "staff_reactivated", obj=member)
    if not active:
        tokens.revoke_all_tokens(member, "deactivated")


@atomic
def reset_two_factor(member: StaffMember) -> None:
    """An administrator turns off ``member``'s two-factor sign-in (a lost phone and lost
    recovery codes), ends their sessions and revokes their API tokens, as a password change
    does; audited as ``two_factor_reset``.

    Raises AccountError when the member has no login or no two-factor to reset.
    """
    account = account_of(member)
    if account is None or not account.totp_secret:
        raise AccountError(_("This person has no two-factor sign-in to reset."))
    totp.disable(account)
    end_sessions(account)
    audit.record("two_factor_reset", obj=member)
    tokens.revoke_all_tokens(member, "two_factor_reset")
