"""Mounting changes nothing of the host's own: its SQLite engine, its users."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from practice.models import StaffMember
from tests.plugin import host_app
from tests.plugin.conftest import add_host_user, build_host


def _pragmas(app) -> tuple[str, int]:
    with app.app_context():
        with host_app.db.engine.connect() as connection:
            mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
            keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar()
        host_app.db.engine.dispose()
    return mode, keys


def test_the_hosts_sqlite_engine_is_left_as_the_host_made_it(tmp_path):
    app = build_host(f"sqlite:///{tmp_path / 'h.db'}", tmp_path / "instance")
    assert _pragmas(app) == ("delete", 0)


def test_a_host_may_opt_in_to_the_trackers_sqlite_settings(tmp_path):
    app = build_host(
        f"sqlite:///{tmp_path / 'h.db'}", tmp_path / "instance", PRACTICE_SQLITE_PRAGMAS=True
    )
    assert _pragmas(app) == ("wal", 1)


def _create_user(app, *args: str, input: str | None = None):
    return app.test_cli_runner().invoke(
        args=["practice", "create-user", "robin@host.example", "--name", "Robin", *args],
        input=input,
    )


def _staff(app) -> list[str]:
    with app.app_context():
        return list(host_app.db.session.scalars(select(StaffMember.user_id)))


@pytest.mark.parametrize("user_id", ["999", "abc"])
def test_create_user_refuses_an_id_the_host_does_not_know(host, user_id):
    result = _create_user(host, "--user-id", user_id)
    assert result.exit_code != 0
    assert f"The host app has no user with id {user_id}" in result.output
    assert _staff(host) == []


def test_create_user_in_a_host_asks_for_no_password(host):
    user_id = add_host_user(host, "robin@host.example")
    result = _create_user(host, "--user-id", str(user_id), input="")
    assert result.exit_code == 0, result.output
    assert "Password" not in result.output
    assert _staff(host) == [str(user_id)]


def test_create_user_in_a_host_refuses_a_password_or_a_missing_id(host):
    user_id = add_host_user(host, "robin@host.example")
    with_password = _create_user(host, "--user-id", str(user_id), "--password", "x" * 20)
    assert with_password.exit_code != 0
    assert "leave out --password" in with_password.output
    without_id = _create_user(host)
    assert without_id.exit_code != 0
    assert "--user-id is needed" in without_id.output
    assert _staff(host) == []
