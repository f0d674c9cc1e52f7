"""Revision 0010: seals and audit events made before keyed integrity are marked unkeyed (never
shown as intact), and `practice integrity reseal` gives the ones that still match a keyed seal."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from practice.accounts.totp import ENCRYPTED
from practice.audit import trail
from practice.core import migrate
from practice.models import Account, AuditEvent, RecoveryCode, TherapySession
from practice.sessions import signed_notes
from tests.conftest import make_test_app
from tests.databases import fresh_database
from tests.test_observation_status_migration import ROWS, filler

SIGNED_AT = datetime(2026, 1, 6, 17, 0, tzinfo=UTC)
OCCURRED_AT = datetime(2026, 1, 6, 17, 5, tzinfo=UTC)
SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
NOTE = {"note_data": "Signed data.", "note_assessment": "Assessed.", "note_plan": "Planned."}


def _old_rows(connection: sa.Connection) -> None:
    """A signed note and an audit event as revision 0008 left them: unkeyed SHA-256s."""
    metadata = sa.MetaData()
    for name, values in ROWS[:4]:  # staff, case, partner, session
        table = sa.Table(name, metadata, autoload_with=connection)
        row = dict(values)
        for column in table.c:
            if column.name not in row and not column.nullable:
                row[column.name] = filler(column)
        connection.execute(table.insert().values(**row))
    # An account with two-factor on (a plaintext secret) and a recovery code referring to it:
    # SQLite recreates the account table to widen the secret's column.
    for name, values in (
        ("practice_account", {"id": 1, "email": "a@example.com", "totp_secret": SECRET}),
        ("practice_recovery_code", {"id": 1, "account_id": 1, "used_at": None}),
    ):
        table = sa.Table(name, metadata, autoload_with=connection)
        row = dict(values)
        for column in table.c:
            if column.name not in row and not column.nullable:
                row[column.name] = filler(column)
        connection.execute(table.insert().values(**row))
    note = TherapySession(id=1, signed_by_id=1, signed_at=SIGNED_AT, **NOTE)
    sessions = sa.Table("practice_session", metadata)
    connection.execute(
        sessions.update().values(
            status="signed",
            signed_by_id=1,
            signed_at=SIGNED_AT.replace(tzinfo=None),
            note_sha256=signed_notes.legacy_digest(note),
            **NOTE,
        )
    )
    event = AuditEvent(
        occurred_at=OCCURRED_AT,
        actor_id=None,
        actor_label="",
        action="case_viewed",
        object_type="Case",
        object_id="1",
        case_id=None,
        outcome="ok",
        remote_addr="cli",
        detail={},
        prev_hash="",
    )
    events = sa.Table("practice_audit_event", metadata, autoload_with=connection)
    connection.execute(
        events.insert().values(
            occurred_at=OCCURRED_AT.replace(tzinfo=None),
            actor_label="",
            action="case_viewed",
            object_type="Case",
            object_id="1",
            outcome="ok",
            remote_addr="cli",
            detail={},
            prev_hash="",
            row_hash=trail.legacy_row_digest(event),
        )
    )


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_old_seals_read_as_unkeyed_until_resealed(backend, tmp_path):
    with fresh_database(backend, tmp_path) as url:
        app = make_test_app(url, tmp_path / "instance")
        db = app.extensions["sqlalchemy"].session
        with app.app_context():
            engine = app.extensions["sqlalchemy"].engine
            migrate.upgrade("0008")
            with engine.begin() as connection:
                _old_rows(connection)
            migrate.upgrade()
            if backend == "sqlite":  # enforcement is back on the pooled connection
                with engine.connect() as connection:
                    assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            kept = (
                db.scalar(sa.select(Account.totp_secret)),
                db.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)),
            )
            note = db.get(TherapySession, 1)
            before = (
                note.note_seal_version,
                signed_notes.seal_status(note),
                db.get(AuditEvent, 1).chain_version,
                list(trail.broken_links()),
            )
            db.remove()
        runner = app.test_cli_runner()
        resealed = runner.invoke(args=["practice", "integrity", "reseal"])
        verified = runner.invoke(args=["practice", "audit", "verify"])
        with app.app_context():
            note = db.get(TherapySession, 1)
            after = (note.note_seal_version, signed_notes.seal_status(note))
            stored = db.scalar(sa.select(Account.totp_secret))
            actions = db.scalars(sa.select(AuditEvent.action).order_by(AuditEvent.id)).all()
            db.remove()
            engine.dispose()
    assert kept == (SECRET, 1)  # the recreated account table kept its rows and references
    assert before == (1, signed_notes.UNKEYED, 1, [1])
    assert resealed.exit_code == 0, resealed.output
    assert "Sealed 1 signed note(s), re-chained 1 audit event(s)" in resealed.output
    assert "encrypted 1 two-factor secret(s)" in resealed.output
    assert verified.exit_code == 0, verified.output
    assert after == (signed_notes.SEAL_KEYED, signed_notes.INTACT)
    assert actions == ["case_viewed", "integrity_resealed"]
    assert stored.startswith(ENCRYPTED) and SECRET not in stored
