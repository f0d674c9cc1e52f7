"""Administrators' forms for staff accounts."""

from wtforms import EmailField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from practice.accounts.models import Role
from practice.accounts.passwords import password_problem
from practice.web.forms import PracticeForm

ROLE_CHOICES = [SelectChoice(r.value, r.value.capitalize()) for r in Role]


def _policy(form, field) -> None:
    if field.data:
        problem = password_problem(field.data)
        if problem:
            raise ValidationError(problem)


class NewStaffForm(PracticeForm):
    """Add a staff member; in the standalone app this also creates their login."""

    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField("Display name", validators=[DataRequired(), Length(max=120)])
    role = SelectField("Role", choices=ROLE_CHOICES, default=Role.COUNSELLOR.value)
    supervisor_id = SelectField("Supervisor", coerce=int, validators=[Optional()])
    # Standalone only: the first password, which the person changes later.
    password = PasswordField("Initial password", validators=[Optional(), _policy])
    # Host-app only: the host's id for this user.
    user_id = StringField("Host user id", validators=[Optional(), Length(max=64)])
    submit = SubmitField("Add staff member")


class EditStaffForm(PracticeForm):
    """Change a staff member's role and supervisor."""

    role = SelectField("Role", choices=ROLE_CHOICES)
    supervisor_id = SelectField("Supervisor", coerce=int, validators=[Optional()])
    submit = SubmitField("Save")


class ConfirmForm(PracticeForm):
    """A bare form whose only job is to carry the CSRF token of a button."""

    submit = SubmitField("Confirm")
