"""Asking for the password again before signing, co-signing and exporting."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user

from practice.accounts import operations as accounts
from practice.core.settings import state


def confirm_password(password: str) -> bool:
    """Whether ``password`` is the signed-in user's own.

    Standalone, the tracker's account is checked through the login's own check, so wrong
    guesses count towards its lock-out and the address throttle (a hijacked session cannot
    try passwords without limit); in a host app, the host's ``reauthenticate`` hook, and
    without one nothing can be confirmed.
    """
    if not password or not current_user.is_authenticated:
        return False
    practice_state = state(current_app)
    if practice_state.manages_accounts:
        account = current_user._get_current_object()
        address = accounts.client_address(request.remote_addr)
        confirmed = accounts.authenticate(account.email, password, address)
        return confirmed is not None and confirmed.id == account.id
    if practice_state.reauthenticate is None:
        return False
    return bool(practice_state.reauthenticate(current_user._get_current_object(), password))
