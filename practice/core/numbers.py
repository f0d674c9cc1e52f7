"""Checks shared by the pure clinical rules."""

from __future__ import annotations


def check_whole_number(value: object, minimum: int, maximum: int, what: str) -> None:
    """Raise ValueError unless ``value`` is a whole number in ``minimum..maximum``."""
    # bool is an int subclass, but True/False in a score is a data error, not a 1/0.
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{what} must be a whole number, got {value!r}")
    if not minimum <= value <= maximum:
        raise ValueError(f"{what} must be between {minimum} and {maximum}, got {value}")
