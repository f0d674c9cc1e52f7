"""WTForms forms, one module per area."""


def strip_whitespace(value: str | None) -> str | None:
    """A field filter: surrounding white space is never meant."""
    return value.strip() if isinstance(value, str) else value
