"""The tracker's declarative base and access to the host's Flask-SQLAlchemy session.

The tracker's tables live on their own ``MetaData`` so that its Alembic history never
touches a host's tables, while queries run through whatever ``SQLAlchemy`` object the
host (or the standalone app) registered.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import DeclarativeBase, scoped_session
from werkzeug.local import LocalProxy

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every tracker model."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


# Ids are ``integer`` columns (PostgreSQL's 4 bytes): a larger number can name nothing.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(sa.TypeDecorator):
    """A timestamp stored as naive UTC and always returned timezone-aware.

    SQLite keeps no time zone; normalising here means both databases compare alike.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def _host_session() -> scoped_session:
    return current_app.extensions["sqlalchemy"].session


# The database session of the current request, CLI command or job: the host's Flask-SQLAlchemy
# session (the tracker owns no engine of its own). The one name for it in the whole package.
db: scoped_session = LocalProxy(_host_session)  # type: ignore[assignment]


def engine() -> sa.Engine:
    """The default engine of the host's Flask-SQLAlchemy."""
    return current_app.extensions["sqlalchemy"].engine


def check_in(column: str, values: type[StrEnum]) -> str:
    """SQL for a CHECK that ``column`` holds one of the enum's values."""
    quoted = ", ".join(f"'{v.value}'" for v in values)
    return f"{column} IN ({quoted})"
