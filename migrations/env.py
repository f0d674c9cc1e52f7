"""Alembic environment: the tracker's tables only, in the app's database."""

from alembic import context
from flask import current_app

import practice.models  # noqa: F401  (registers every table on the metadata)
from practice.core.database import Base, UTCDateTime
from practice.core.migrate import VERSION_TABLE

target_metadata = Base.metadata


def include_name(name, type_, parent_names) -> bool:
    """Leave a host's own tables alone when comparing schemas."""
    if type_ == "table":
        return name in target_metadata.tables
    return True


def render_item(type_, obj, autogen_context):
    """Write the UTC timestamp type as plain ``sa.DateTime`` so revisions need no app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        with current_app.extensions["sqlalchemy"].engine.connect() as connection:
            if connection.dialect.name == "sqlite":
                _run_without_foreign_keys(connection)
            else:
                _run(connection)
    else:
        _run(connection)


def _run_without_foreign_keys(connection) -> None:
    """Run the migrations on SQLite as its own procedure for changing a table says.

    SQLite changes a column by recreating its table; dropping the old one while foreign keys
    are enforced fails (or empties other tables) when rows refer to it. So enforcement is
    turned off before the transaction begins (the PRAGMA does nothing inside one), the keys
    are checked before the migrations commit, and enforcement is on again afterwards.
    """
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        _run(connection, check_foreign_keys=True)
        # Ended here, so that enforcement can be turned on again (not inside a transaction).
        if connection.in_transaction():
            connection.commit()
    except BaseException:
        if connection.in_transaction():
            connection.rollback()
        raise
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _run(connection, check_foreign_keys: bool = False) -> None:

    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        version_table=VERSION_TABLE,
        include_name=include_name,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()
        if check_foreign_keys:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"The migration left rows with broken foreign keys: {broken}")


run_migrations()
