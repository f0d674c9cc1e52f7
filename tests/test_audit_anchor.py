"""`practice audit verify` remembers the newest verified event, so removing the newest rows
(which leaves no broken link behind) is caught on the next run; the chain and the anchor are
keyed, so a database writer can neither re-link edited rows nor forge or drop the anchor."""

import hashlib
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from practice.audit import trail as audit
from practice.audit.anchor import ANCHOR_FILE
from practice.models import AuditEvent


@pytest.fixture
def record(app, db):
    """``record()``: append an audit event as a CLI run would; returns its id."""

    def factory() -> int:
        with app.app_context():
            event_id = audit.record("case_viewed", object_type="Case", object_id=1).id
            db.commit()
        return event_id

    return factory


@pytest.fixture
def anchor(app):
    """The default anchor, which the log's first event starts."""
    return Path(app.instance_path) / ANCHOR_FILE


def _entries(anchor) -> list[dict]:
    return [json.loads(line) for line in anchor.read_text().splitlines()]


def _verify(runner, anchor):
    return runner.invoke(args=["practice", "audit", "verify", "--anchor", str(anchor)])


def test_verify_remembers_the_newest_event(runner, record, anchor, db):
    ids = [record() for _ in range(3)]
    result = _verify(runner, anchor)
    assert result.exit_code == 0, result.output
    assert f"the newest, #{ids[-1]}" in result.output
    started, saved = _entries(anchor)
    assert started["id"] == 0  # written with the log's first event
    newest = db.get(AuditEvent, ids[-1])
    assert (saved["id"], saved["row_hash"]) == (ids[-1], newest.row_hash)
    assert set(saved) == {"id", "row_hash", "key", "at", "mac"}
    # Events added since the last run are fine: the anchor moves on with them.
    later = record()
    assert _verify(runner, anchor).exit_code == 0
    assert _entries(anchor)[-1]["id"] == later


def test_removing_the_newest_events_is_caught(app_context, runner, record, anchor, db):
    ids = [record() for _ in range(4)]
    assert _verify(runner, anchor).exit_code == 0
    db.execute(delete(AuditEvent).where(AuditEvent.id >= ids[2]))
    db.commit()
    assert list(audit.broken_links()) == []  # the shorter chain still links up
    result = _verify(runner, anchor)
    assert result.exit_code == 1
    assert f"Event #{ids[-1]}, the newest one verified before, is gone" in result.output
    assert _entries(anchor)[-1]["id"] == ids[-1]  # a failed run keeps the anchor


def test_removing_and_appending_again_is_caught(runner, record, anchor, db):
    """New events after the removal do not hide it (SQLite may even reuse the ids)."""
    ids = [record() for _ in range(3)]
    assert _verify(runner, anchor).exit_code == 0
    db.execute(delete(AuditEvent).where(AuditEvent.id == ids[-1]))
    db.commit()
    record()
    record()
    result = _verify(runner, anchor)
    assert result.exit_code == 1
    assert f"Event #{ids[-1]}" in result.output


def test_the_newest_event_rewritten_with_its_hash_is_caught(
    app_context, runner, record, anchor, db
):
    ids = [record() for _ in range(2)]
    assert _verify(runner, anchor).exit_code == 0
    # Edited and re-hashed: the row checks out on its own and nothing follows it.
    newest = db.get(AuditEvent, ids[-1])
    newest.object_id = "2"
    newest.row_hash = audit.row_mac(newest)
    db.commit()
    assert list(audit.broken_links()) == []
    result = _verify(runner, anchor)
    assert result.exit_code == 1
    assert f"Event #{ids[-1]} changed since it was last verified." in result.output


def test_a_broken_chain_does_not_move_the_anchor(runner, record, anchor, db):
    ids = [record() for _ in range(3)]
    assert _verify(runner, anchor).exit_code == 0
    record()
    db.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(object_id="9"))
    db.commit()
    assert _verify(runner, anchor).exit_code == 1
    assert _entries(anchor)[-1]["id"] == ids[-1]


def test_an_unreadable_anchor_is_an_error_not_a_pass(runner, record, anchor):
    record()
    anchor.write_text("not json")
    result = _verify(runner, anchor)
    assert result.exit_code == 1
    assert "cannot be read (JSONDecodeError)" in result.output


def test_the_default_anchor_is_configurable(app, runner, record, tmp_path, monkeypatch, db):
    configured = tmp_path / "elsewhere.json"
    monkeypatch.setitem(app.config, "PRACTICE_AUDIT_ANCHOR", str(configured))
    newest = record()
    result = runner.invoke(args=["practice", "audit", "verify"])
    assert result.exit_code == 0, result.output
    assert _entries(configured)[-1]["id"] == newest
    assert db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == newest


def test_an_empty_log_verifies_and_writes_nothing(runner, tmp_path):
    anchor = tmp_path / "anchor.json"
    result = _verify(runner, anchor)
    assert result.exit_code == 0 and "No events yet." in result.output
    assert not anchor.exists()


def test_the_admin_page_checks_the_anchor_without_moving_it(
    client, auth, make_staff, runner, record, db
):
    from practice.models import Role

    auth.login(make_staff(Role.ADMIN))
    first = client.get("/admin/audit?verify=1").get_data(as_text=True)
    assert "The chain verifies." in first and "it has not run yet" in first
    ids = [record() for _ in range(3)]
    assert runner.invoke(args=["practice", "audit", "verify"]).exit_code == 0
    anchored = db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    page = client.get("/admin/audit?verify=1").get_data(as_text=True)
    assert f"it still holds event #{anchored}" in page
    db.execute(delete(AuditEvent).where(AuditEvent.id >= ids[1]))
    db.commit()
    tampered = client.get("/admin/audit?verify=1").get_data(as_text=True)
    assert "The anchor does not check out" in tampered
    assert f"Event #{anchored}, the newest one verified before, is gone" in tampered


# --- Keyed: what a database writer (who can also write the anchor) cannot forge ---------------


def _relink_unkeyed(db, from_id: int) -> None:
    """Re-link the chain from ``from_id`` on with plain SHA-256, as a database writer would."""
    previous = db.scalar(select(AuditEvent.row_hash).where(AuditEvent.id < from_id).order_by(
        AuditEvent.id.desc()).limit(1)) or ""  # fmt: skip
    for event in db.scalars(select(AuditEvent).where(AuditEvent.id >= from_id).order_by(
            AuditEvent.id)):  # fmt: skip
        event.prev_hash = previous
        event.row_hash = audit.legacy_row_digest(event)
        previous = event.row_hash
    db.commit()


def test_an_edited_row_relinked_with_plain_sha256_is_caught(
    app_context, runner, record, anchor, db
):
    ids = [record() for _ in range(4)]
    assert _verify(runner, anchor).exit_code == 0
    db.get(AuditEvent, ids[1]).object_id = "99"
    _relink_unkeyed(db, ids[1])
    assert list(audit.broken_links()) == ids[1:]
    result = _verify(runner, anchor)
    assert result.exit_code == 1 and "Audit chain broken at 3 event(s)" in result.output


def test_a_deleted_anchor_fails_verification(runner, record, anchor):
    record()
    record()
    assert _verify(runner, anchor).exit_code == 0
    anchor.unlink()
    result = _verify(runner, anchor)
    assert result.exit_code == 1
    assert "is missing, yet the log holds events" in result.output
    assert not anchor.exists()  # a failed run does not start a new one


def test_an_anchor_written_without_the_key_is_refused(app_context, runner, record, anchor, db):
    """A whole log rewritten without the key, with an anchor to match, does not pass."""
    ids = [record() for _ in range(3)]
    assert _verify(runner, anchor).exit_code == 0
    newest = db.get(AuditEvent, ids[-1])
    forged = {"id": newest.id, "row_hash": newest.row_hash, "key": "x", "at": "2026-01-01"}
    forged["mac"] = hashlib.sha256(json.dumps(forged).encode()).hexdigest()
    with anchor.open("a") as handle:
        handle.write(json.dumps(forged) + "\n")
    result = _verify(runner, anchor)
    assert result.exit_code == 1
    assert "was not written with the integrity key" in result.output


def test_the_admin_page_reports_a_deleted_anchor(client, auth, make_staff, record, anchor):
    from practice.models import Role

    auth.login(make_staff(Role.ADMIN))
    record()
    anchor.unlink()
    page = client.get("/admin/audit?verify=1").get_data(as_text=True)
    assert "The anchor does not check out" in page
    assert "is missing, yet the log holds events" in page


def test_the_anchor_and_key_are_private_whatever_the_umask(app, record, anchor):
    import os
    import stat

    from practice.core import integrity

    anchor.unlink(missing_ok=True)
    previous = os.umask(0o022)
    try:
        record()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(anchor.stat().st_mode) == 0o600
    assert stat.S_IMODE(integrity.key_path(app).stat().st_mode) == 0o600


# --- Reseal after the upgrade, and key rotation ------------------------------------------------


def test_reseal_chains_a_log_from_before_keyed_chaining(app_context, runner, record, anchor, db):
    ids = [record() for _ in range(3)]
    # The log as the upgrade leaves it: unkeyed, version 1, with an anchor of the old format.
    for event in db.scalars(select(AuditEvent).order_by(AuditEvent.id)):
        event.chain_version = audit.CHAIN_UNKEYED
    db.flush()
    _relink_unkeyed(db, ids[0])
    newest = db.get(AuditEvent, ids[-1])
    anchor.write_text(json.dumps({"id": newest.id, "row_hash": newest.row_hash}))
    result = _verify(runner, anchor)
    assert result.exit_code == 1 and "chained without the integrity key" in result.output
    resealed = runner.invoke(args=["practice", "integrity", "reseal"])
    assert resealed.exit_code == 0, resealed.output
    assert "re-chained 3 audit event(s)" in resealed.output
    after = _verify(runner, anchor)
    assert after.exit_code == 0, after.output
    event = db.scalar(select(AuditEvent).where(AuditEvent.action == "integrity_resealed"))
    assert event.detail["events"] == 3


def test_reseal_refuses_a_tampered_legacy_log(app_context, runner, record, db):
    ids = [record() for _ in range(3)]
    for event in db.scalars(select(AuditEvent)):
        event.chain_version = audit.CHAIN_UNKEYED
    db.flush()
    _relink_unkeyed(db, ids[0])
    db.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(object_id="7"))
    db.commit()
    result = runner.invoke(args=["practice", "integrity", "reseal"])
    assert result.exit_code == 1 and f"Event #{ids[1]} does not check out" in result.output
    assert db.scalar(select(AuditEvent.chain_version).where(AuditEvent.id == ids[-1])) == 1


def test_rotating_the_key_reseals_rechains_and_is_recorded(
    app, runner, record, anchor, db, counsellor, make_case, make_session
):
    from practice.core import integrity
    from practice.models import NoteStatus, TherapySession
    from practice.sessions import signed_notes

    key_file = integrity.key_path(app)
    old_text = key_file.read_text()
    with app.app_context():
        session = make_session(make_case(counsellor))
        session.note_data = "signed text"
        session.status = NoteStatus.SIGNED
        session.signed_by_id = counsellor.id
        session.signed_at = session.starts_at
        signed_notes.seal(session)
        db.commit()
    old_seal = session.note_sha256
    record()
    assert _verify(runner, anchor).exit_code == 0
    try:
        result = runner.invoke(args=["practice", "integrity", "rotate-key"])
        assert result.exit_code == 0, result.output
        assert "Sealed 1 signed note(s)" in result.output
        assert key_file.read_text() != old_text
        assert key_file.with_name("integrity.key.previous").read_text() == old_text
        verified = _verify(runner, anchor)
        assert verified.exit_code == 0, verified.output
        with app.app_context():
            db.expire_all()
            again = db.get(TherapySession, session.id)
            assert again.note_sha256 != old_seal and signed_notes.note_intact(again)
            rotated = db.scalar(
                select(AuditEvent).where(AuditEvent.action == "integrity_key_rotated")
            )
            assert rotated.detail["notes"] == 1
            assert rotated.detail["key_id"] == integrity.key_id()
            assert rotated.detail["previous_key_id"] != rotated.detail["key_id"]
    finally:
        key_file.write_text(old_text)
        integrity.forget_cached_key(app)


def test_rotating_a_key_set_in_the_environment(app, runner, record, anchor, db, monkeypatch):
    from practice.core import integrity

    old, new = "a" * 64, "b" * 64
    monkeypatch.setitem(app.config, "PRACTICE_INTEGRITY_KEY", old)
    integrity.forget_cached_key(app)
    try:
        anchor.unlink(missing_ok=True)
        record()
        assert _verify(runner, anchor).exit_code == 0
        refused = runner.invoke(args=["practice", "integrity", "rotate-key"])
        assert refused.exit_code == 1 and "--new-key-env" in refused.output
        monkeypatch.setenv("PRACTICE_NEW_KEY", new)
        args = ["practice", "integrity", "rotate-key", "--new-key-env", "PRACTICE_NEW_KEY"]
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        assert "Now set PRACTICE_INTEGRITY_KEY to the new key" in result.output
        # Until the setting changes, nothing checks out: the data is sealed under the new key.
        integrity.forget_cached_key(app)
        assert _verify(runner, anchor).exit_code == 1
        monkeypatch.setitem(app.config, "PRACTICE_INTEGRITY_KEY", new)
        integrity.forget_cached_key(app)
        verified = _verify(runner, anchor)
        assert verified.exit_code == 0, verified.output
        assert db.scalar(select(AuditEvent).where(AuditEvent.action == "integrity_key_rotated"))
    finally:
        integrity.forget_cached_key(app)
