"""The databases the suite runs against: SQLite always, PostgreSQL when configured.

Under CI (``CI=true``) PostgreSQL is required: an unreachable server fails the run.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

DEFAULT_CI_URL = "postgresql://postgres@127.0.0.1:5432/test"


def on_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"


def postgres_server_url() -> str | None:
    """The PostgreSQL URL to test with (psycopg 3 driver), or None to skip PostgreSQL."""
    raw = os.environ.get("TEST_DATABASE_URL") or (DEFAULT_CI_URL if on_ci() else None)
    if not raw:
        return None
    return raw.replace("postgresql://", "postgresql+psycopg://", 1).replace(
        "postgres://", "postgresql+psycopg://", 1
    )


def require_postgres() -> str:
    """The server URL, or skip (fail under CI) when PostgreSQL is not available."""
    url = postgres_server_url()
    if url is None:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    try:
        engine = sa.create_engine(url)
        with engine.connect():
            pass
        engine.dispose()
    except sa.exc.OperationalError as error:
        message = f"PostgreSQL at {url} is not reachable: {error.orig}"
        if on_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for the duration of the block."""
    server_url = sa.make_url(require_postgres())
    name = f"practice_test_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@contextmanager
def fresh_database(backend: str, tmp_dir) -> Iterator[str]:
    """A new, empty database of ``backend`` ("sqlite" or "postgresql")."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / f'practice-{uuid.uuid4().hex[:8]}.db'}"
    else:
        with fresh_postgres_database() as url:
            yield url
