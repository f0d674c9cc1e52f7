"""A host's own Flask-Migrate autogenerate never sees, so never drops, the tracker's tables."""

from __future__ import annotations

import logging.config

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from practice.core.database import Base
from practice.migrations import include_name, include_object, is_tracker_table
from tests.plugin import host_app
from tests.plugin.conftest import build_host


def test_every_tracker_table_is_caught_by_the_filter():
    import practice.models  # noqa: F401  (every table on the metadata)

    assert Base.metadata.tables
    assert all(is_tracker_table(name) for name in Base.metadata.tables)
    assert is_tracker_table("practice_alembic_version")
    assert not is_tracker_table("host_user")


# Flask-Migrate 4.1's own env.py template still calls the deprecated get_engine().
@pytest.mark.filterwarnings("ignore:.get_engine. is deprecated:DeprecationWarning")
def test_host_autogenerate_leaves_the_tracker_alone(host_url, tmp_path, monkeypatch):
    # Flask-Migrate's env.py configures logging from its alembic.ini, which would disable the
    # loggers of the rest of this test run; a host's own process is its own business.
    monkeypatch.setattr(logging.config, "fileConfig", lambda *args, **kwargs: None)
    app = build_host(host_url, tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["practice", "upgrade-db"])
    assert result.exit_code == 0, result.output
    directory = str(tmp_path / "host-migrations")
    versions = tmp_path / "host-migrations" / "versions"

    with app.app_context():
        engine = host_app.db.engine
        tracker_tables = {name for name in sa.inspect(engine).get_table_names()}
        assert "practice_case" in tracker_tables
        # Without the filters the host's autogenerate would drop every tracker table.
        with engine.connect() as connection:
            unfiltered = compare_metadata(
                MigrationContext.configure(connection), host_app.db.metadata
            )
        dropped = {diff[1].name for diff in unfiltered if diff[0] == "remove_table"}
        assert dropped >= {"practice_case", "practice_alembic_version"}

        flask_migrate.init(directory)
        flask_migrate.migrate(directory, message="host users")
        (first,) = versions.glob("*.py")
        script = first.read_text()
        assert "host_user" in script
        assert "practice_" not in script

        flask_migrate.upgrade(directory)
        flask_migrate.migrate(directory, message="nothing changed")
        assert list(versions.glob("*.py")) == [first]  # no operations: no revision at all

        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"include_name": include_name, "include_object": include_object}
            )
            assert compare_metadata(context, host_app.db.metadata) == []
        assert tracker_tables <= set(sa.inspect(engine).get_table_names())
        engine.dispose()
