"""Running the tracker's Alembic migrations against the current app's database."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from practice.core.database import db
from practice.core.resources import package_dir

# The tracker's own version table, so a host's Alembic history is never touched.
VERSION_TABLE = "practice_alembic_version"


def alembic_config() -> Config:
    """An Alembic config pointing at the migrations installed with the package."""
    config = Config()
    config.set_main_option("script_location", str(package_dir("migrations")))
    return config


def upgrade(revision: str = "head") -> None:
    """Bring the current app's database to ``revision``; call inside an app context."""
    command.upgrade(alembic_config(), revision)


def heads() -> tuple[str, ...]:
    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def current_revisions() -> tuple[str, ...]:
    """The revisions the database is at (empty for a database never migrated).

    Asked through the request's session, so it shares its transaction rather than
    queueing behind it for SQLite's write lock.
    """
    context = MigrationContext.configure(db.connection(), opts={"version_table": VERSION_TABLE})
    return tuple(context.get_current_heads())


def is_at_head() -> bool:
    return set(current_revisions()) == set(heads())
