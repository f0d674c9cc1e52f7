"""Bulk inserts with primary keys assigned here, so that no row needs a flush of its own.

The builder hands out ids above each table's current maximum (:class:`IdAllocator`), buffers
rows (:class:`RowBuffer`) and writes them with one INSERT per chunk, parents before children.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from practice.core.database import db

# Rows per INSERT statement.
CHUNK_ROWS = 5_000

# A model class or a plain table (an association table such as ``session_attendance``).
Target = type | sa.Table


class IdAllocator:
    """Hands out primary keys above the current maximum of each table.

    On PostgreSQL the tables' sequences are moved past the ids used afterwards
    (:meth:`advance_sequences`), so rows added later through the ORM do not collide.
    """

    def __init__(self, models: Sequence[type]) -> None:
        self.next: dict[type, int] = {}
        for model in models:
            top = db.scalar(sa.select(sa.func.max(model.__table__.c.id)))
            self.next[model] = (top or 0) + 1

    def take(self, model: type) -> int:
        """The next id of ``model``'s table."""
        value = self.next[model]
        self.next[model] = value + 1
        return value

    def advance_sequences(self) -> None:
        """Move each table's PostgreSQL sequence past its highest id (nothing on SQLite)."""
        if db.get_bind().dialect.name != "postgresql":
            return
        for model in self.next:
            table = model.__table__.name
            # GREATEST ignores NULLs: never move a sequence backwards, nor for an empty table.
            db.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST((SELECT MAX(id) FROM {table}), "
                    f"pg_sequence_last_value(pg_get_serial_sequence('{table}', 'id')::regclass))) "
                    f"WHERE EXISTS (SELECT 1 FROM {table})"
                )
            )


def insert(target: Target, rows: list[dict]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into a model's or table's table, in chunks."""
    statement = sa.insert(target)
    for start in range(0, len(rows), CHUNK_ROWS):
        db.execute(statement, rows[start : start + CHUNK_ROWS])


class RowBuffer:
    """Rows waiting to be inserted, the ids they were given, and how many of each were added."""

    def __init__(self, order: Sequence[Target]) -> None:
        """``order``: the tables rows go into, parents before children; ids are handed out for
        the models among them."""
        self.order = tuple(order)
        self.ids = IdAllocator([target for target in self.order if isinstance(target, type)])
        self.count: dict[Target, int] = dict.fromkeys(self.order, 0)
        self.waiting: dict[Target, list[dict]] = {target: [] for target in self.order}

    def add(self, target: Target, row: dict) -> None:
        """Buffer ``row`` for ``target``; the dict may still change until it is written."""
        self.waiting[target].append(row)
        self.count[target] += 1

    def flush(self) -> None:
        """Write the buffered rows, parents before children."""
        for target in self.order:
            if self.waiting[target]:
                insert(target, self.waiting[target])
            self.waiting[target] = []

    def finish(self) -> None:
        """Write what is left and let the ORM's ids follow those handed out here."""
        self.flush()
        self.ids.advance_sequences()
