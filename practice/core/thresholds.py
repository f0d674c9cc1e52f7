"""Positive-number thresholds a practice may set in its configuration, read and checked alike
by every rule area that has them (supervisor flags, break rules, change-event proposals).

Each area keeps its own table: field name -> (configuration key, ``int`` or ``float``). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

ConfigKeys = Mapping[str, tuple[str, type]]


def check_positive(thresholds: object, keys: ConfigKeys) -> None:
    """Raise ValueError naming the key of the first field of ``thresholds`` that is not a
    positive number, or not a whole one where ``keys`` says ``int``."""
    for name, (key, kind) in keys.items():
        value = getattr(thresholds, name)
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ValueError(f"{key} must be a positive number, got {value!r}")
        if kind is int and value != int(value):
            raise ValueError(f"{key} must be a whole number, got {value!r}")


def read_positive(config: Mapping[str, Any], keys: ConfigKeys) -> dict[str, int | float]:
    """The fields ``config`` sets (numbers, or the environment's strings), by field name;
    whole numbers as ``int`` where ``keys`` says so. Raises ValueError for a value that is not
    a number (``check_positive`` judges the rest)."""
    values: dict[str, int | float] = {}
    for name, (key, kind) in keys.items():
        if key not in config:
            continue
        raw = config[key]
        if isinstance(raw, bool):
            raise ValueError(f"{key} must be a positive number, got {raw!r}")
        try:
            number = float(raw)
        except (TypeError, ValueError):
            raise ValueError(f"{key} must be a positive number, got {raw!r}") from None
        values[name] = int(number) if kind is int and number == int(number) else number
    return values
