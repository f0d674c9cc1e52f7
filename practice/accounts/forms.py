"""Signing in, the two-factor code, and the account page's password and two-factor forms."""

from wtforms import EmailField, PasswordField, StringField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length, Regexp, ValidationError

from practice.accounts.passwords import MAX_LENGTH, password_problem
from practice.web.forms import PracticeForm


class LoginForm(PracticeForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=256)])
    submit = SubmitField("Sign in")


_SIX_DIGITS = Regexp(r"^\s*\d{3}\s*\d{3}\s*$", message="Enter the 6-digit code from your app.")


_CODE_OR_RECOVERY = Regexp(
    r"^\s*(\d{3}\s*\d{3}|[0-9a-fA-F]{5}[\s-]?[0-9a-fA-F]{5})\s*$",
    message="Enter the 6-digit code from your app, or one of your recovery codes.",
)


class CodeForm(PracticeForm):
    """The second step of signing in: a code from the authenticator app or a recovery code."""

    code = StringField(
        "Code from your authenticator app",
        validators=[
            DataRequired(message="Enter the 6-digit code from your app."),
            Length(max=20),
            _CODE_OR_RECOVERY,
        ],
    )
    submit = SubmitField("Verify")


class EnrolForm(PracticeForm):
    """Confirms the authenticator app holds the new secret before two-factor is turned on."""

    code = StringField(
        "Code shown by the app",
        validators=[DataRequired(message="Enter the 6-digit code from your app."), _SIX_DIGITS],
    )
    submit = SubmitField("Turn on two-factor sign-in")


def _policy(form, field) -> None:
    problem = password_problem(field.data or "")
    if problem:
        raise ValidationError(problem)


class PasswordChangeForm(PracticeForm):
    current_password = PasswordField(
        "Current password", validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    new_password = PasswordField("New password", validators=[DataRequired(), _policy])
    confirm_password = PasswordField(
        "New password again",
        validators=[
            DataRequired(),
            EqualTo("new_password", message="The two new passwords are not the same."),
        ],
    )
    submit = SubmitField("Change password")


class DisableTwoFactorForm(PracticeForm):
    password = PasswordField("Your password", validators=[DataRequired(), Length(max=MAX_LENGTH)])
    submit = SubmitField("Turn off two-factor sign-in")


class RecoveryCodesForm(PracticeForm):
    """New recovery codes replace the old ones; asks for the password first."""

    # Its own name: the account page also holds the two-factor form's ``password``.
    recovery_password = PasswordField(
        "Your password", validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    submit = SubmitField("Make new recovery codes")
