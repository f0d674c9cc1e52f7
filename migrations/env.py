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
            _run(connection)
    else:
        _run(connection)


def _run(connection) -> None:
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


run_migrations()
