"""The tracker's Alembic migrations, installed as ``practice.migrations``.

A host app that runs its own Alembic or Flask-Migrate autogenerate on the same database would
otherwise see the tracker's tables as unknown and write ``drop_table`` for each of them. The
filters below hide them (every tracker table and its version table is named ``practice_*``)::

    from practice.migrations import include_name, include_object
    Migrate(app, db, include_name=include_name, include_object=include_object)

Only the standard library is imported here, so a host's ``env.py`` may import it cheaply.
"""

from __future__ import annotations

from typing import Any

# Every table of the tracker, and its Alembic version table, starts with this prefix.
TABLE_PREFIX = "practice_"

_TABLE_PARTS = frozenset(
    {"column", "index", "unique_constraint", "foreign_key_constraint", "check_constraint"}
)


def is_tracker_table(name: str | None) -> bool:
    """Whether ``name`` is one of the tracker's tables (which the tracker migrates itself)."""
    return bool(name) and name.startswith(TABLE_PREFIX)


def include_name(name: str | None, type_: str, parent_names: dict[str, Any]) -> bool:
    """Alembic ``include_name`` hook: skip the tracker's tables before they are reflected."""
    if type_ == "table":
        return not is_tracker_table(name)
    if type_ in _TABLE_PARTS:
        return not is_tracker_table(parent_names.get("table_name"))
    return True


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Alembic ``include_object`` hook: leave the tracker's tables and their parts out of a
    host's autogenerate (also when the host's metadata holds them, as the standalone's does)."""
    if type_ == "table":
        return not is_tracker_table(name)
    table = getattr(obj, "table", None)
    return not is_tracker_table(getattr(table, "name", None))
