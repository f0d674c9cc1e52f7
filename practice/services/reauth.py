"""Asking for the password again before signing, co-signing and exporting."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from practice.extension import state
from practice.passwords import verify_password


def confirm_password(password: str) -> bool:
    """Whether ``password`` is the signed-in user's own.

    Standalone, the tracker's account is checked; in a host app, the host's
    ``reauthenticate`` hook, and without one nothing can be confirmed.
    """
    if not password or not current_user.is_authenticated:
        return False
    practice_state = state(current_app)
    if practice_state.manages_accounts:
        return verify_password(current_user.password_hash, password)
    if practice_state.reauthenticate is None:
        return False
    return bool(practice_state.reauthenticate(current_user._get_current_object(), password))
