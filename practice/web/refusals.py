"""How pages answer the refusals operations raise (``practice.core.errors``), in one place.

A refused change is shown on the form that asked for it, filled in as the user left it, or as
a flash message where no form is on the page; a refusal no view expected becomes an error page
(409, or 404 for something not found). The operation's savepoint has already undone its writes,
so the request goes on and commits the rest (the audited read of the page it shows).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import flash
from wtforms import Form

from practice.core.errors import Conflict, NotFound, PracticeError, Refused


@contextmanager
def refusal_shown_on(form: Form) -> Iterator[None]:
    """Show a ``Refused`` raised in the block on ``form`` (its fields where named); go on after
    the block. Write the success path inside the block, so a refusal skips it::

        with refusal_shown_on(form):
            operations.close_case(case, member, form.reason.data)
            return redirect(url_for(".show", case_id=case.id))
        return render_template(..., form=form)
    """
    try:
        yield
    except Refused as refusal:
        show_on_form(form, refusal)


def show_on_form(form: Form, refusal: PracticeError) -> None:
    """Put ``refusal``'s message on ``form``: on the fields it names, else above the form."""
    placed = False
    for name, message in refusal.fields.items():
        field = form._fields.get(name)
        if field is not None:
            field.errors = [*field.errors, message]
            placed = True
    if not placed:
        form.form_errors.append(str(refusal))


@contextmanager
def refusal_flashed() -> Iterator[None]:
    """Flash a ``Refused`` raised in the block as an error; go on after the block."""
    try:
        yield
    except Refused as refusal:
        flash(str(refusal), "error")


def status_of(error: PracticeError) -> int:
    """The HTTP status that answers ``error`` when no view expected it."""
    if isinstance(error, NotFound):
        return 404
    if getattr(error, "status", None) == 429:  # a limit of the practice (report jobs)
        return 429
    if isinstance(error, Conflict | Refused):
        return 409
    return 400
