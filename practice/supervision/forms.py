"""Forms of co-signature and supervision comments."""

from __future__ import annotations

from wtforms import (
    IntegerField,
    PasswordField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional
from wtforms.widgets import HiddenInput

from practice.core.i18n import _, _l
from practice.supervision.comments import MAX_COMMENT_LENGTH, normalise_body
from practice.web.forms import PracticeForm

_LOST = "The form lost what it needs. Reload the page and try again."


def _surface_hidden_errors(form: PracticeForm) -> None:
    """Errors of hidden fields have nowhere to show: list them with the form's own errors."""
    for field in form:
        if field.errors and isinstance(field.widget, HiddenInput) and field.name != "csrf_token":
            for message in field.errors:
                if message not in form.form_errors:
                    form.form_errors.append(message)


class _ReviewForm(PracticeForm):
    """A decision on a note as the reviewer read it: its version and how many addenda."""

    version = IntegerField(widget=HiddenInput(), validators=[InputRequired(_LOST)])
    addenda_seen = IntegerField(widget=HiddenInput(), validators=[InputRequired(_LOST)])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        _surface_hidden_errors(self)
        return valid

    def as_read(self) -> dict[str, int]:
        """The note as the reviewer read it, as ``cosign_note`` and ``return_note`` take it."""
        return {"expected_version": self.version.data, "addenda_seen": self.addenda_seen.data}


class CosignForm(_ReviewForm):
    """Co-signing asks for the password again."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired("Enter your password to co-sign."), Length(max=256)],
    )
    # A comment left with the co-signature (optional), added to the session's discussion.
    comment = TextAreaField(
        _l("Comment for the counsellor (optional)"),
        filters=[normalise_body],
        validators=[
            Optional(),
            Length(
                max=MAX_COMMENT_LENGTH,
                message=f"A comment can hold at most {MAX_COMMENT_LENGTH:,} characters.",
            ),
        ],
    )
    submit = SubmitField(_l("Co-sign note"))


class BatchCosignForm(PracticeForm):
    """Several notes of the queue co-signed at once, with one password entry.

    Each ticked box carries ``session id:version:addenda`` as the queue showed the note, so
    only the notes as they stood then are co-signed.
    """

    notes = SelectMultipleField("Notes to co-sign", choices=[], validate_choice=False)
    password = PasswordField(
        "Your password",
        validators=[DataRequired("Enter your password to co-sign."), Length(max=256)],
    )
    submit = SubmitField("Co-sign the selected notes")

    def selected(self) -> list[tuple[int, int, int]]:
        """The ticked notes as (session id, version, addenda seen); malformed values left out."""
        chosen = []
        for value in self.notes.data or []:
            parts = str(value).split(":")
            if len(parts) == 3 and all(p.isdigit() and len(p) <= 9 for p in parts):
                chosen.append((int(parts[0]), int(parts[1]), int(parts[2])))
        return chosen


def _comment_field(label: str, required: str) -> TextAreaField:
    return TextAreaField(
        label,
        filters=[normalise_body],
        validators=[
            DataRequired(required),
            Length(
                max=MAX_COMMENT_LENGTH,
                message=f"A comment can hold at most {MAX_COMMENT_LENGTH:,} characters.",
            ),
        ],
    )


class ReturnForm(_ReviewForm):
    """Returning a note needs a comment saying what to change."""

    comment = _comment_field(
        "What should the counsellor change?", "Write a comment saying why you return the note."
    )
    submit = SubmitField(_l("Return to the counsellor"))


class CommentForm(PracticeForm):
    """A comment on a case or session, or a reply to one (``parent_id``)."""

    body = _comment_field("Add a comment", "Write the comment before sending it.")
    parent_id = IntegerField(widget=HiddenInput(), validators=[Optional()])
    submit = SubmitField(_l("Add comment"))

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        if self.parent_id.errors:
            self.form_errors.append(_("The comment you answered could not be found."))
        return valid
