"""Configuration from the environment, the instance secret, and SQLite connection settings."""

import importlib
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from practice.standalone import create_app

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def config_module(monkeypatch):
    monkeypatch.syspath_prepend(str(REPO))
    sys.modules.pop("config", None)

    def load(**env):
        for key in ("DATABASE_URL", "SECRET_KEY", "PRACTICE_ENV"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        sys.modules.pop("config", None)
        return importlib.import_module("config")

    yield load
    sys.modules.pop("config", None)


def test_database_url_goes_through_psycopg3(config_module):
    config = config_module(DATABASE_URL="postgres://u:p@db.internal:5432/practice")
    settings = config.config_from_env()
    assert settings.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u:p@db.internal:5432/practice"


def test_default_database_is_sqlite_in_the_instance_folder(config_module, tmp_path):
    config = config_module()
    app = create_app(config.config_from_env(), instance_path=str(tmp_path))
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'practice.db'}"


def test_secret_key_is_generated_once_into_the_instance_folder(config_module, tmp_path):
    config = config_module()
    first = create_app(config.config_from_env(), instance_path=str(tmp_path))
    second = create_app(config.config_from_env(), instance_path=str(tmp_path))
    key_file = tmp_path / "secret_key"
    assert key_file.exists()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"] == key_file.read_text()
    assert len(first.config["SECRET_KEY"]) == 64


def test_secret_key_from_the_environment_wins(config_module, tmp_path):
    config = config_module(SECRET_KEY="from-the-environment")
    app = create_app(config.config_from_env(), instance_path=str(tmp_path))
    assert app.config["SECRET_KEY"] == "from-the-environment"
    assert not (tmp_path / "secret_key").exists()


def test_production_refuses_to_start_without_a_persistent_key(config_module, tmp_path):
    config = config_module(PRACTICE_ENV="production")
    with pytest.raises(RuntimeError, match="SECRET_KEY is not set"):
        create_app(config.config_from_env(), instance_path=str(tmp_path))


def test_production_starts_with_a_key(config_module, tmp_path):
    config = config_module(PRACTICE_ENV="production", SECRET_KEY="k" * 64)
    app = create_app(config.config_from_env(), instance_path=str(tmp_path))
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_every_sqlite_connection_has_wal_foreign_keys_and_busy_timeout(tmp_path):
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"},
        instance_path=str(tmp_path),
    )
    with app.app_context():
        engine = app.extensions["sqlalchemy"].engine
        for _ in range(2):  # a fresh pool connection each time
            with engine.connect() as connection:
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
            engine.dispose()


def test_sqlite_enforces_foreign_keys(app, db):
    from practice.models import Partner

    db.add(Partner(case_id=999_999, display_name="Nobody"))
    with pytest.raises(sa.exc.IntegrityError):
        db.flush()
    db.rollback()


def test_clinical_thresholds_come_from_the_environment(config_module, tmp_path, monkeypatch):
    monkeypatch.setenv("PRACTICE_CSI4_RELIABLE_CHANGE", "4.5")
    monkeypatch.setenv("PRACTICE_FLAG_SEVERE_DISTRESS", "5")
    monkeypatch.setenv("PRACTICE_BREAK_MIN_MINUTES", "25")
    config = config_module()
    app = create_app(config.config_from_env(), instance_path=str(tmp_path))
    assert app.config["PRACTICE_CSI4_RELIABLE_CHANGE"] == "4.5"
    assert app.config["PRACTICE_BREAK_MIN_MINUTES"] == "25"
    assert app.config["PRACTICE_FLAG_SEVERE_DISTRESS"] == "5"


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("PRACTICE_CSI4_RELIABLE_CHANGE", "five"),
        ("PRACTICE_CSI4_RELIABLE_CHANGE", "0"),
        ("PRACTICE_FLAG_SEVERE_DISTRESS", "40"),
        ("PRACTICE_BREAK_FLAG_RATE", "2"),
        ("PRACTICE_BREAK_MIN_MINUTES", "-5"),
    ],
)
def test_a_bad_clinical_threshold_stops_the_start_with_its_name(tmp_path, key, bad):
    from practice.core.settings import HostSetupError

    settings = {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", key: bad}
    with pytest.raises(HostSetupError, match=key):
        create_app(settings, instance_path=str(tmp_path))


def test_trusted_hosts_come_from_the_environment(config_module, tmp_path, monkeypatch):
    monkeypatch.delenv("PRACTICE_TRUSTED_HOSTS", raising=False)
    config = config_module()
    assert (
        create_app(config.config_from_env(), instance_path=str(tmp_path)).config["TRUSTED_HOSTS"]
        is None
    )
    config = config_module(PRACTICE_TRUSTED_HOSTS=" Tracker.Example.org , .example.net ")
    app = create_app(config.config_from_env(), instance_path=str(tmp_path))
    assert app.config["TRUSTED_HOSTS"] == ["tracker.example.org", ".example.net"]
