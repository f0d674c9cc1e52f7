"""Revision 0011: tokens made before expiry existed end 90 days after they were made, but never
sooner than two weeks after the upgrade, and keep their full scope."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command

from practice.core import migrate
from tests.conftest import make_test_app
from tests.databases import fresh_database


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_existing_tokens_get_an_expiry_and_keep_their_scope(backend, tmp_path):
    now = datetime.now(UTC).replace(tzinfo=None)
    recent, old = now - timedelta(days=10), now - timedelta(days=400)
    with fresh_database(backend, tmp_path) as url:
        app = make_test_app(url, tmp_path / "instance")
        with app.app_context():
            engine = app.extensions["sqlalchemy"].engine
            migrate.upgrade("0008")
            with engine.begin() as connection:
                connection.execute(
                    sa.text(
                        "INSERT INTO practice_staff (id, user_id, email, display_name, role, "
                        "active, created_at) VALUES (1, '1', 'c@example.com', 'C', "
                        "'counsellor', :true, :now)"
                    ),
                    {"true": True, "now": now},
                )
                for token_id, created in ((1, recent), (2, old)):
                    connection.execute(
                        sa.text(
                            "INSERT INTO practice_api_token (id, staff_id, name, token_hash, "
                            "prefix, created_at) VALUES (:id, 1, 't', :hash, 'cct_x', :created)"
                        ),
                        {"id": token_id, "hash": str(token_id) * 64, "created": created},
                    )
            migrate.upgrade()
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.text("SELECT id, expires_at, read_only FROM practice_api_token ORDER BY id")
                ).all()
            command.downgrade(migrate.alembic_config(), "0008")
            engine.dispose()
    expires = {row[0]: row[1] for row in rows}
    if isinstance(expires[1], str):
        expires = {key: datetime.fromisoformat(value) for key, value in expires.items()}
    assert abs(expires[1] - (recent + timedelta(days=90))) < timedelta(seconds=1)
    # Long past its 90 days: two weeks from the upgrade, not at once.
    assert timedelta(days=13) < expires[2] - now < timedelta(days=15)
    assert [bool(row[2]) for row in rows] == [False, False]
