"""The accounts area's forms: signing in and its two-factor step, the account page's password
and two-factor forms, personal API tokens, and the administrators' staff forms."""

from __future__ import annotations

from babel import Locale
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    EqualTo,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from practice.accounts.models import Role
from practice.accounts.passwords import MAX_LENGTH, password_problem
from practice.accounts.tokens import DEFAULT_EXPIRY_DAYS, EXPIRY_CHOICES_DAYS, MAX_NAME_LENGTH
from practice.core import local_time
from practice.core.i18n import _, _l
from practice.web.forms import PracticeForm, strip_whitespace

_SIX_DIGITS = Regexp(r"^\s*\d{3}\s*\d{3}\s*$", message="Enter the 6-digit code from your app.")

_CODE_OR_RECOVERY = Regexp(
    r"^\s*(\d{3}\s*\d{3}|[0-9a-fA-F]{5}[\s-]?[0-9a-fA-F]{5})\s*$",
    message="Enter the 6-digit code from your app, or one of your recovery codes.",
)


def _meets_policy(form, field) -> None:
    """A new password follows the policy (an empty optional one is left to other checks)."""
    if field.data:
        problem = password_problem(field.data)
        if problem:
            raise ValidationError(problem)


# Signing in and the account page


class ResumeForm(PracticeForm):
    """Host mode: the password that resumes the tracker after its part of the session expired."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired("Enter your password."), Length(max=MAX_LENGTH)],
    )
    submit = SubmitField(_l("Go on"))


class LoginForm(PracticeForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)])
    submit = SubmitField(_l("Sign in"))


class CodeForm(PracticeForm):
    """The second step of signing in: a code from the authenticator app or a recovery code."""

    code = StringField(
        _l("Code from your authenticator app"),
        validators=[
            DataRequired(message="Enter the 6-digit code from your app."),
            Length(max=20),
            _CODE_OR_RECOVERY,
        ],
    )
    submit = SubmitField(_l("Verify"))


class EnrolForm(PracticeForm):
    """Confirms the authenticator app holds the new secret before two-factor is turned on, and
    asks for the password: a session left open must not tie the account to someone's phone."""

    code = StringField(
        _l("Code shown by the app"),
        validators=[DataRequired(message="Enter the 6-digit code from your app."), _SIX_DIGITS],
    )
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    submit = SubmitField(_l("Turn on two-factor sign-in"))


class PasswordChangeForm(PracticeForm):
    current_password = PasswordField(
        _l("Current password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), _meets_policy])
    confirm_password = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(),
            EqualTo("new_password", message="The two new passwords are not the same."),
        ],
    )
    submit = SubmitField(_l("Change password"))


class DisableTwoFactorForm(PracticeForm):
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    submit = SubmitField(_l("Turn off two-factor sign-in"))


class RecoveryCodesForm(PracticeForm):
    """New recovery codes replace the old ones; asks for the password first."""

    # Its own name: the account page also holds the two-factor form's ``password``.
    recovery_password = PasswordField(
        _l("Your password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    submit = SubmitField(_l("Make new recovery codes"))


def _lifetime(days: int) -> str:
    label = "1 year" if days == 365 else f"{days} days"
    return f"{label} (recommended)" if days == DEFAULT_EXPIRY_DAYS else label


class NewTokenForm(PracticeForm):
    """Name a new personal API token, its lifetime and scope; asks for the password again, so
    that a session left open cannot mint a credential that outlives it."""

    name = StringField(
        _l("Name"),
        filters=[strip_whitespace],
        validators=[
            DataRequired("Name the token, e.g. after the program that will use it."),
            Length(max=MAX_NAME_LENGTH, message=f"Keep the name to {MAX_NAME_LENGTH} characters."),
        ],
    )
    expires_in_days = SelectField(
        _l("Expires after"),
        coerce=int,
        choices=[SelectChoice(days, _lifetime(days)) for days in EXPIRY_CHOICES_DAYS],
        default=DEFAULT_EXPIRY_DAYS,
    )
    read_only = BooleanField(_l("Read-only: the token may read, but change nothing"))
    password = PasswordField(
        _l("Your password"), validators=[DataRequired(), Length(max=MAX_LENGTH)]
    )
    submit = SubmitField(_l("Create token"))


# Administrators' staff pages

ROLE_CHOICES = [SelectChoice(r.value, r.value.capitalize()) for r in Role]


class NewStaffForm(PracticeForm):
    """Add a staff member; in the standalone app this also creates their login."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    display_name = StringField(_l("Display name"), validators=[DataRequired(), Length(max=120)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default=Role.COUNSELLOR.value)
    supervisor_id = SelectField(_l("Supervisor"), coerce=int, validators=[Optional()])
    # Standalone only: the first password, which the person changes later.
    password = PasswordField(_l("Initial password"), validators=[Optional(), _meets_policy])
    # Host-app only: the host's id for this user.
    user_id = StringField(_l("Host user id"), validators=[Optional(), Length(max=64)])
    submit = SubmitField(_l("Add staff member"))


class EditStaffForm(PracticeForm):
    """Change a staff member's role and supervisor."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    supervisor_id = SelectField(_l("Supervisor"), coerce=int, validators=[Optional()])
    submit = SubmitField(_l("Save"))


class LocalPreferencesForm(PracticeForm):
    """The member's own time zone and locale; the first choice of each keeps the practice's."""

    time_zone = SelectField(
        _l("Time zone"),
        validate_choice=True,
        description=_l("Times are shown and entered in this zone."),
    )
    locale = SelectField(
        _l("Dates and language"),
        validate_choice=True,
        description=_l("How dates and times are written."),
    )
    submit = SubmitField(_l("Save time and language"))

    def offer(self, practice_zone: str, practice_locale: str) -> None:
        """Offer every IANA zone and the offered locales, after the practice's own."""
        self.time_zone.choices = [
            SelectChoice("", _("The practice's zone (%(zone)s)", zone=practice_zone))
        ] + [SelectChoice(name, name) for name in local_time.zone_names()]
        self.locale.choices = [
            SelectChoice("", _("The practice's (%(locale)s)", locale=_locale_name(practice_locale)))
        ] + [SelectChoice(code, _locale_name(code)) for code in local_time.OFFERED_LOCALES]


def _locale_name(code: str) -> str:
    """A locale in its own language: "English (United Kingdom)", "Deutsch (Deutschland)"."""
    return Locale.parse(code).get_display_name(code) or code
