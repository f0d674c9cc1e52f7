"""The migrations are the only source of the schema, and they agree with the models."""

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from practice.core import migrate
from practice.core.database import Base
from tests.conftest import make_test_app
from tests.databases import fresh_database


def test_one_head():
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert len(script.get_heads()) == 1


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_upgrade_builds_exactly_the_models_schema(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        app = make_test_app(url, tmp_path / "instance")
        with app.app_context():
            engine = app.extensions["sqlalchemy"].engine
            # A host's own table and Alembic history must survive and be ignored.
            with engine.begin() as connection:
                connection.exec_driver_sql("CREATE TABLE alembic_version (version_num TEXT)")
                connection.exec_driver_sql("INSERT INTO alembic_version VALUES ('hostrev')")
            migrate.upgrade()
            assert migrate.is_at_head()
            app.extensions["sqlalchemy"].session.remove()  # end its (write) transaction
            with engine.connect() as connection:
                context = MigrationContext.configure(
                    connection,
                    opts={
                        "compare_type": True,
                        "include_name": lambda name, type_, parents: (
                            type_ != "table" or name in Base.metadata.tables
                        ),
                    },
                )
                differences = compare_metadata(context, Base.metadata)
                host_version = connection.exec_driver_sql(
                    "SELECT version_num FROM alembic_version"
                ).scalar()
            tables = set(sa.inspect(engine).get_table_names())
            engine.dispose()
    assert differences == []
    assert host_version == "hostrev"
    assert set(Base.metadata.tables) <= tables
    assert migrate.VERSION_TABLE in tables


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_downgrade_to_base_and_back(backend, tmp_path):
    from alembic import command

    with fresh_database(backend, tmp_path) as url:
        app = make_test_app(url, tmp_path / "instance")
        with app.app_context():
            engine = app.extensions["sqlalchemy"].engine
            migrate.upgrade()
            command.downgrade(migrate.alembic_config(), "base")
            left = set(sa.inspect(engine).get_table_names()) & set(Base.metadata.tables)
            migrate.upgrade()
            assert migrate.is_at_head()
            engine.dispose()
    assert left == set()


def test_default_vocabulary_is_seeded(app, db):
    from practice.models import MomentType, Script, Valence

    types = db.scalars(sa.select(MomentType)).all()
    by_valence = {v: [t for t in types if t.valence == v] for v in Valence}
    assert len(by_valence[Valence.ESCALATING]) == 11
    # 8 of DESIGN.md and the four antidotes of 0021.
    assert len(by_valence[Valence.DEESCALATING]) == 12
    assert len(by_valence[Valence.NEUTRAL]) == 3
    antidotes = {"gentle_startup", "appreciation", "taking_responsibility", "self_soothing"}
    assert antidotes <= {t.key for t in by_valence[Valence.DEESCALATING]}
    shortcuts = [t.shortcut for t in types if t.shortcut is not None]
    assert len(set(shortcuts)) == len(shortcuts)
    texts = set(db.scalars(sa.select(Script.text)))
    assert "I need time to process this, but I'm open to talk soon." in texts
    assert "When would be a good time for us to sit with this together?" in texts


def test_cli_upgrade_db_on_an_empty_database(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'cli.db'}", tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["practice", "upgrade-db"])
    assert result.exit_code == 0, result.output
    assert f"Database at {migrate.heads()[0]}" in result.output
    with app.app_context():
        assert migrate.is_at_head()
