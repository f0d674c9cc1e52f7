"""The base of the tracker's forms, and the small forms several areas share."""

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    FieldList,
    Form,
    FormField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Length, ValidationError

from practice.core import local_time
from practice.core.database import MAX_ID
from practice.core.i18n import _l
from practice.core.voiding import MAX_VOID_REASON


class LocalDateTimeField(DateTimeLocalField):
    """A date and time entered as the viewer's wall clock shows it (their zone, else the
    practice's), held as an aware UTC datetime: ``data`` is UTC, the input shows local time.

    A time the clocks skipped (the hour lost when daylight saving starts) is refused with a
    message; one that occurs twice is read as its first occurrence (``local_time.from_local``).
    """

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            from practice.web.localisation import current_zone

            try:
                self.data = local_time.from_local(self.data, current_zone())
            except local_time.NonexistentLocalTime as error:
                self.data = None
                raise ValueError(str(error)) from None

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        if self.data is None:
            return ""
        from practice.web.localisation import local_input

        return local_input(self.data)


NUL_MESSAGE = "Remove the null character (\\0) from this text: it cannot be stored."


def strip_whitespace(value: str | None) -> str | None:
    """A field filter: surrounding white space is never meant."""
    return value.strip() if isinstance(value, str) else value


def refuse_nul(value):
    """A field filter: refuse text holding NUL, which PostgreSQL cannot store.

    Raises ValueError, which WTForms shows as the field's error, so the form is re-shown.
    """
    values = value if isinstance(value, list) else [value]
    if any(isinstance(item, str) and "\x00" in item for item in values):
        raise ValueError(NUL_MESSAGE)
    return value


NO_SUCH_RECORD = "This form refers to a record that does not exist. Reload the page and try again."
NUMBER_TOO_LARGE = f"Enter a number from {-MAX_ID - 1} to {MAX_ID}."
# Fields whose (coerced) values may be whole numbers: each is kept to the database's range.
_NUMBER_FIELDS = (IntegerField, SelectField, SelectMultipleField, RadioField)


def _fits(value: object) -> bool:
    if not isinstance(value, int) or isinstance(value, bool):
        return True  # not a number: other validators judge it
    return -MAX_ID - 1 <= value <= MAX_ID


def integer_in_range(_form, field) -> None:
    """Every whole number of ``field`` fits the database's ``integer``: a larger one names
    nothing, and sent to the database it would fail the query (a 500) instead of being refused.
    A record id (a field named ``…_id``) out of range is a record that does not exist."""
    if field.errors:
        return
    values = field.data if isinstance(field.data, list | tuple) else [field.data]
    if not all(_fits(value) for value in values):
        raise ValidationError(NO_SUCH_RECORD if field.name.endswith("_id") else NUMBER_TOO_LARGE)


class _RefuseNulMeta:
    """Form options: every field of the form runs ``refuse_nul`` before its own filters, and
    every whole number a field reads is kept to the database's range."""

    def bind_field(self, form, unbound_field, options):
        # Enclosing fields take no filters; the fields of the forms they hold have their own.
        if not issubclass(unbound_field.field_class, FormField | FieldList):
            filters = (refuse_nul, *unbound_field.kwargs.get("filters", ()))
            options = {**options, "filters": filters}
        if issubclass(unbound_field.field_class, _NUMBER_FIELDS):
            validators = (*unbound_field.kwargs.get("validators", ()), integer_in_range)
            options = {**options, "validators": validators}
        return super().bind_field(form, unbound_field, options)


class PracticeForm(FlaskForm):
    """The base of the tracker's forms (CSRF from Flask-WTF; NUL refused on every field;
    integers kept to the database's range)."""

    class Meta(_RefuseNulMeta):
        pass


class PracticeSubform(Form):
    """The base of forms nested in a PracticeForm (a row of a FieldList)."""

    class Meta(_RefuseNulMeta):
        pass


class VoidForm(PracticeForm):
    """The reason for taking a record back; kept with the record, shown in its history."""

    reason = StringField(_l("Reason (required, kept with the record)"))
    submit = SubmitField(_l("Remove"))

    max_length = MAX_VOID_REASON


class ExportConfirmForm(PracticeForm):
    """Exports ask for the password again, as signing does."""

    password = PasswordField(
        _l("Enter your password to export"),
        validators=[DataRequired("Enter your password to export."), Length(max=256)],
    )
    submit = SubmitField(_l("Download"))


class ConfirmForm(PracticeForm):
    """A button's form: it carries the CSRF token only, the action asks for nothing else."""

    submit = SubmitField(_l("Confirm"))
