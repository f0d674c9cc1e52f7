"""Confirming the password before an export leaves the tracker."""

from flask_wtf import FlaskForm
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, Length


class ExportConfirmForm(FlaskForm):
    """Exports ask for the password again, as signing does."""

    password = PasswordField(
        "Enter your password to export",
        validators=[DataRequired("Enter your password to export."), Length(max=256)],
    )
    submit = SubmitField("Download")
