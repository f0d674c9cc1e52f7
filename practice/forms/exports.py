"""Confirming the password before an export leaves the tracker."""

from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, Length

from practice.forms import PracticeForm


class ExportConfirmForm(PracticeForm):
    """Exports ask for the password again, as signing does."""

    password = PasswordField(
        "Enter your password to export",
        validators=[DataRequired("Enter your password to export."), Length(max=256)],
    )
    submit = SubmitField("Download")
