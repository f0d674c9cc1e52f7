"""`practice audit verify` remembers the newest verified event, so removing the newest rows
(which leaves no broken link behind) is caught on the next run."""

import json

import pytest
from sqlalchemy import delete, select, update

from practice.audit import trail as audit
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
def anchor(tmp_path):
    return tmp_path / "anchor" / "audit-anchor.json"


def _verify(runner, anchor):
    return runner.invoke(args=["practice", "audit", "verify", "--anchor", str(anchor)])


def test_verify_remembers_the_newest_event(runner, record, anchor, db):
    ids = [record() for _ in range(3)]
    result = _verify(runner, anchor)
    assert result.exit_code == 0, result.output
    assert f"the newest, #{ids[-1]}" in result.output
    saved = json.loads(anchor.read_text())
    newest = db.get(AuditEvent, ids[-1])
    assert saved == {"id": ids[-1], "row_hash": newest.row_hash}
    # Events added since the last run are fine: the anchor moves on with them.
    later = record()
    assert _verify(runner, anchor).exit_code == 0
    assert json.loads(anchor.read_text())["id"] == later


def test_removing_the_newest_events_is_caught(app_context, runner, record, anchor, db):
    ids = [record() for _ in range(4)]
    assert _verify(runner, anchor).exit_code == 0
    db.execute(delete(AuditEvent).where(AuditEvent.id >= ids[2]))
    db.commit()
    assert list(audit.broken_links()) == []  # the shorter chain still links up
    result = _verify(runner, anchor)
    assert result.exit_code == 1
    assert f"Event #{ids[-1]}, the newest one verified before, is gone" in result.output
    assert json.loads(anchor.read_text())["id"] == ids[-1]  # a failed run keeps the anchor


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
    newest.row_hash = audit._row_digest(newest)
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
    assert json.loads(anchor.read_text())["id"] == ids[-1]


def test_an_unreadable_anchor_is_an_error_not_a_pass(runner, record, anchor):
    record()
    anchor.parent.mkdir(parents=True)
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
    assert json.loads(configured.read_text())["id"] == newest
    assert db.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == newest


def test_an_empty_log_verifies_and_writes_nothing(runner, anchor):
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
    assert "The newest events were tampered with." in tampered
    assert f"Event #{anchored}, the newest one verified before, is gone" in tampered
