"""The password asked again before an export leaves the tracker, shared by every export."""

from __future__ import annotations

from collections.abc import Callable

from practice.accounts.reauth import confirm_password
from practice.core.database import db
from practice.web.forms import ExportConfirmForm

WRONG_PASSWORD = "That password is not right. Nothing was exported."


def password_confirmed(form: ExportConfirmForm, record_refusal: Callable[[], None]) -> bool:
    """Whether ``form`` was posted with the user's own password.

    A wrong password is audited through ``record_refusal`` (committed at once, since the
    export itself does not happen) and shown on the form.
    """
    if not form.validate_on_submit():
        return False
    if confirm_password(form.password.data):
        return True
    record_refusal()
    db.commit()
    form.form_errors.append(WRONG_PASSWORD)
    return False
