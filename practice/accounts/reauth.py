"""Asking for the password again before signing, co-signing and exporting.

For views: these read the signed-in user and the request. A wrong password is answered with
False, not raised, so that what the check recorded (the failure towards the lock-out, the
audit row) is kept when the page says no; the request commits it.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, request
from flask_login import current_user

from practice.accounts import operations as accounts
from practice.accounts.models import Account, StaffMember
from practice.core.database import db
from practice.core.settings import state
from practice.web import access
from practice.web.access import load_current_staff
from practice.web.forms import ExportConfirmForm

EXPORT_PASSWORD_WRONG = "That password is not right. Nothing was exported."
PASSWORD_WRONG = "That password is not right, or too many were wrong: wait a while."


def confirm_password(password: str) -> bool:
    """Whether ``password`` is the signed-in user's own.

    Standalone, the tracker's account is checked through the login's own check, so wrong
    guesses count towards its lock-out and the address throttle (a hijacked session cannot
    try passwords without limit); in a host app, the host's ``reauthenticate`` hook, throttled
    the same way by the tracker, and without one nothing can be confirmed.
    """
    if not password or not current_user.is_authenticated:
        return False
    practice_state = state(current_app)
    if practice_state.manages_accounts:
        account = current_user._get_current_object()
        address = accounts.client_address(request.remote_addr)
        return accounts.confirm_password(account, password, address)
    hook = practice_state.reauthenticate
    member = load_current_staff()
    if hook is None or member is None:
        return False
    user = current_user._get_current_object()
    address = accounts.client_address(request.remote_addr)
    return accounts.confirm_host_password(member, lambda: bool(hook(user, password)), address)


def export_password_confirmed(form: ExportConfirmForm, record_refusal: Callable[[], None]) -> bool:
    """Whether ``form`` was posted with the user's own password: the one check before any
    export leaves the tracker (cases, supervision, the audit log).

    A wrong password is audited through ``record_refusal`` and shown on the form; the
    request keeps that record, since the page answers normally.
    """
    if not form.validate_on_submit():
        return False
    if confirm_password(form.password.data):
        return True
    record_refusal()
    form.form_errors.append(EXPORT_PASSWORD_WRONG)
    return False


def api_password_confirmed(member: StaffMember, password: str) -> bool:
    """Whether ``password`` is the API caller's own (signing, co-signing through the API).

    A token request has no signed-in user: the token owner's standalone account is checked,
    through the login's own check, so that wrong guesses count towards its lock-out and a
    stolen token cannot be used to try passwords without limit. In a host app the host holds
    the password, and only a browser session (the host's ``reauthenticate`` hook) confirms it.
    """
    if not access.authenticated_by_token():
        return confirm_password(password)
    if not state(current_app).manages_accounts or not member.user_id.isdigit():
        return False
    account = db.get(Account, int(member.user_id))
    if account is None:
        return False
    confirmed = accounts.authenticate(account.email, password)
    return confirmed is not None and confirmed.id == account.id
