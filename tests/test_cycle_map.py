"""The cycle map through the operations, the pages, the API and the reports: a revision per
session, read-only once the session's note is signed, the next one starting from the last one's
content, a diff, the milestones, and who may see or change it."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select, update

from practice.accounts.models import Role
from practice.audit.models import AuditEvent
from practice.formulation import operations, queries
from practice.formulation.models import CycleMapRevision
from practice.moments.models import Moment, MomentType
from practice.reports.progress_report import build_report_html, report_context
from practice.sessions.models import TherapySession
from practice.sessions.signed_notes import NoteSigned
from tests.report_text import report_words
from tests.test_api_support import audit_actions
from tests.test_report_client_words import forbidden_in

pytest_plugins = ["tests.test_api_support"]

MAYA_1 = {
    "trigger": "He goes quiet",
    "action": "Presses for an answer",
    "reactive_emotion": "Anger",
    "other_view": "His silence means he doesn't care",
}
TOM_1 = {
    "trigger": "Her raised voice",
    "action": "Leaves the room",
    "reactive_emotion": "Numbness",
    "other_view": "Her reaching is an accusation",
}


def _sessions(make_session, case, n=3):
    return [
        make_session(case, starts_at=datetime(2026, 2, 3 + 7 * i, 15, tzinfo=UTC), note_data="n")
        for i in range(n)
    ]


def _moment(db, therapy_session, key, partner, minute=10):
    kind = db.scalar(select(MomentType).where(MomentType.key == key))
    moment = Moment(
        session_id=therapy_session.id,
        moment_type=kind,
        partner_id=partner.id if partner else None,
        minute=minute,
        created_by_id=therapy_session.case.counsellor_id,
    )
    db.add(moment)
    db.commit()
    return moment


def _sign(db, therapy_session, counsellor):
    """Sign the note as the sessions area does (its status, signer and time), in the database:
    the object may belong to a request's session that has ended."""
    db.execute(
        update(TherapySession)
        .where(TherapySession.id == therapy_session.id)
        .values(status="signed", signed_by_id=counsellor.id, signed_at=therapy_session.starts_at)
    )
    db.commit()
    db.expire_all()


def _sides(case, first, second, **extra):
    maya, tom = case.partners
    return {
        maya.id: operations.SideData(first, True, extra.get("maya_evidence", ())),
        tom.id: operations.SideData(second, True, extra.get("tom_evidence", ())),
    }


def test_a_revision_starts_from_the_last_and_locks_when_its_note_is_signed(
    app, db, counsellor, case, make_session
):
    s1, s2, s3 = _sessions(make_session, case)
    with app.test_request_context():
        first = operations.start_revision(case, s1, actor=counsellor)
        operations.save_revision(first, _sides(case, MAYA_1, TOM_1), actor=counsellor)
        db.commit()
        _sign(db, s1, counsellor)
        # Signed: every write refuses it, with a message that says what to do instead.
        with pytest.raises(NoteSigned, match="read-only"):
            operations.save_revision(first, _sides(case, TOM_1, MAYA_1), actor=counsellor)
        # Nor can a revision start at a session already signed.
        _sign(db, s3, counsellor)
        with pytest.raises(NoteSigned, match="no cycle map revision can start"):
            operations.start_revision(case, s3, actor=counsellor)
        second = operations.start_revision(case, s2, actor=counsellor)
        db.commit()
        maya, tom = case.partners
        copied = {s.partner_id: s for s in second.sides}
        assert copied[maya.id].other_view == MAYA_1["other_view"]
        assert copied[tom.id].trigger == TOM_1["trigger"]
        found = queries.case_map(case)
        assert [r.number for r in found.revisions] == [1, 2]
        assert found.revisions[0].locked and not found.revisions[1].locked
        assert queries.diff_rows(found, found.revisions[0], found.revisions[1]) == []
        # Cycle mapped at revision 1 (both have trigger, action, reactive emotion).
        assert found.milestones[0].revision_number == 1
        # The first revision's texts are what they were before the refused change.
        assert found.revisions[0].facts.sides[maya.id].text("trigger") == "He goes quiet"


def test_misreading_revised_and_primary_accessed_through_the_operations(
    app, db, counsellor, case, make_session
):
    s1, s2, s3 = _sessions(make_session, case)
    maya, tom = case.partners
    fear = _moment(db, s1, "underlying_fear", maya)
    need = _moment(db, s2, "attachment_need", tom)
    other = _moment(db, s2, "pursue", maya)
    _moment(db, s3, "naming_cycle", maya)
    under = {"primary_emotion": "Panic", "need": "To matter"}
    with app.test_request_context():
        r1 = operations.start_revision(case, s1, actor=counsellor)
        operations.save_revision(r1, _sides(case, MAYA_1, TOM_1), actor=counsellor)
        r2 = operations.start_revision(case, s2, actor=counsellor)
        # A pursue moment cannot back the primary emotion; nor can Tom's moment back Maya's.
        for wrong in (other.id, need.id):
            with pytest.raises(operations.CycleMapError, match="evidence"):
                operations.save_revision(
                    r2,
                    _sides(case, {**MAYA_1, **under}, TOM_1, maya_evidence=(wrong,)),
                    actor=counsellor,
                )
        operations.save_revision(
            r2,
            _sides(
                case,
                {**MAYA_1, **under},
                {**TOM_1, **under},
                maya_evidence=(fear.id,),
                tom_evidence=(need.id,),
            ),
            actor=counsellor,
        )
        r3 = operations.start_revision(case, s3, actor=counsellor)
        operations.save_revision(
            r3,
            _sides(
                case,
                {**MAYA_1, **under, "other_view": "His going quiet is him flooding"},
                {**TOM_1, **under, "other_view": "Her reaching is fear of losing us"},
                maya_evidence=(fear.id,),
                tom_evidence=(need.id,),
            ),
            actor=counsellor,
        )
        db.commit()
        found = queries.case_map(case)
    reached = {m.label: m.revision_number for m in found.milestones}
    # Maya named the cycle at session 3 (her revision's own session): her reading is revised
    # at revision 3. Tom has no naming moment of his own or for both: not revised.
    assert reached == {
        "Cycle mapped": 1,
        "Primary emotions accessed": 2,
        "Misreading revised — Alex": 3,
        "Misreading revised — Sam": None,
    }
    assert "cycle_map_revision_changed" in audit_actions(db)


def _form(case, first=None, second=None, **extra):
    data = {}
    for key, values in (("first", first or MAYA_1), ("second", second or TOM_1)):
        for name, text in values.items():
            data[f"{key}-{name}"] = text
        data[f"{key}-action_triggers_other"] = "y"
    data.update(extra)
    return data


def test_the_counsellor_writes_a_revision_on_the_page_and_sees_the_map(
    client, auth, db, counsellor, case, make_session
):
    s1, s2, _ = _sessions(make_session, case)
    auth.login(counsellor)
    form = client.get(f"/cases/{case.id}/cycle-map/sessions/{s1.id}")
    assert form.status_code == 200 and b"Save the revision" in form.data
    saved = auth.post(f"/cases/{case.id}/cycle-map/sessions/{s1.id}", _form(case))
    assert saved.status_code == 302
    # The second revision starts from the first: the form comes filled in.
    second = client.get(f"/cases/{case.id}/cycle-map/sessions/{s2.id}")
    assert b"Presses for an answer" in second.data and b"starts from the previous" in second.data
    auth.post(
        f"/cases/{case.id}/cycle-map/sessions/{s2.id}",
        _form(case, {**MAYA_1, "other_view": "He is flooding"}),
    )
    page = " ".join(client.get(f"/cases/{case.id}/cycle-map").data.decode().split())
    assert "Revision 2, session of" in page
    assert "His silence means he doesn&#39;t care" in page and "He is flooding" in page
    assert "<svg" in page and "Cycle map of" in page
    assert "Cycle mapped</strong>: reached at revision 1" in page
    case_page = client.get(f"/cases/{case.id}").data.decode()
    assert 'id="cycle-map-heading"' in case_page and "Revision 2 of 2" in case_page
    # The case page shows what the current revision changed: one field of one partner.
    case_page = " ".join(case_page.split())
    assert "What revision 2 changed from revision 1" in case_page
    assert "<del>His silence means he doesn&#39;t care</del>" in case_page
    assert "<ins>He is flooding</ins>" in case_page
    actions = audit_actions(db)
    assert {"cycle_map_viewed", "cycle_map_form_viewed", "cycle_map_revision_started"} <= set(
        actions
    )


def test_bad_input_is_refused_on_the_form_and_nothing_is_saved(
    client, auth, db, counsellor, case, make_session
):
    s1, _, _ = _sessions(make_session, case)
    auth.login(counsellor)
    long = {**MAYA_1, "trigger": "x" * 301}
    answer = auth.post(f"/cases/{case.id}/cycle-map/sessions/{s1.id}", _form(case, long))
    assert answer.status_code == 200
    assert b"At most 300 characters" in answer.data
    assert b"Presses for an answer" in answer.data  # the form is shown as it was sent
    # An evidence moment that is not a choice of this partner's.
    bad = auth.post(
        f"/cases/{case.id}/cycle-map/sessions/{s1.id}", _form(case, **{"first-evidence": "99"})
    )
    assert bad.status_code == 200
    assert db.scalar(select(func.count()).select_from(CycleMapRevision)) == 0


def test_a_signed_session_revision_is_refused_on_the_page(
    client, auth, db, counsellor, case, make_session
):
    s1, _, _ = _sessions(make_session, case)
    auth.login(counsellor)
    auth.post(f"/cases/{case.id}/cycle-map/sessions/{s1.id}", _form(case))
    _sign(db, s1, counsellor)
    shown = client.get(f"/cases/{case.id}/cycle-map/sessions/{s1.id}")
    assert b"read-only" in shown.data and b"Save the revision" not in shown.data
    refused = auth.post(
        f"/cases/{case.id}/cycle-map/sessions/{s1.id}", _form(case, {**MAYA_1, "action": "New"})
    )
    assert refused.status_code == 200 and b"read-only" in refused.data
    revision = db.scalar(select(CycleMapRevision))
    db.refresh(revision)
    assert {s.action for s in revision.sides} == {"Presses for an answer", "Leaves the room"}


def test_who_may_see_and_change_the_map(
    client, auth, db, make_staff, make_session, counsellor, case, supervisor
):
    other = make_staff(Role.COUNSELLOR)
    admin = make_staff(Role.ADMIN)
    session = _sessions(make_session, case, 1)[0]
    page = f"/cases/{case.id}/cycle-map"
    edit = f"/cases/{case.id}/cycle-map/sessions/{session.id}"
    auth.login(supervisor)
    assert client.get(page).status_code == 200
    assert client.get(edit).status_code == 403
    assert auth.post(edit, _form(case)).status_code == 403
    auth.logout()
    for outsider in (other, admin):
        auth.login(outsider)
        assert client.get(page).status_code == 404
        assert client.get(edit).status_code == 404
        auth.logout()
    assert db.scalar(select(func.count()).select_from(CycleMapRevision)) == 0


def test_the_api_reads_writes_lists_and_diffs_and_refuses_a_locked_revision(db, practice, api_as):
    case, session, later = practice.case, practice.session, practice.later
    maya, tom = case.partners
    api = api_as(practice.counsellor)
    body = {
        "sides": [
            {"partner_id": maya.id, **MAYA_1},
            {"partner_id": tom.id, **TOM_1},
        ]
    }
    created = api.put(f"/cases/{case.id}/cycle-map/sessions/{later.id}", body)
    assert created.status_code == 200, created.get_json()
    revision = created.get_json()
    assert revision["number"] == 1 and not revision["locked"]
    changed = api.put(
        f"/cases/{case.id}/cycle-map/sessions/{later.id}",
        {
            "version": revision["version"],
            "sides": [{"partner_id": maya.id, **MAYA_1, "other_view": "He is flooding"}],
        },
    )
    assert changed.status_code == 200
    stale = api.put(
        f"/cases/{case.id}/cycle-map/sessions/{later.id}",
        {"version": revision["version"], "sides": body["sides"]},
    )
    assert stale.status_code == 409
    current = api.get(f"/cases/{case.id}/cycle-map").get_json()
    assert current["revision_count"] == 1 and current["milestones"][0]["reached"]
    listed = api.get(f"/cases/{case.id}/cycle-map/revisions").get_json()
    assert [r["id"] for r in listed["items"]] == [revision["id"]]
    one = api.get(f"/cycle-map/revisions/{revision['id']}").get_json()
    assert {s["partner_id"]: s["other_view"] for s in one["sides"]}[maya.id] == "He is flooding"
    diff = api.get(
        f"/cases/{case.id}/cycle-map/diff?old={revision['id']}&new={revision['id']}"
    ).get_json()
    assert diff["changes"] == []
    # The earlier session of the seeded practice is signed: its revision cannot start.
    _sign(db, session, practice.counsellor)
    locked = api.put(f"/cases/{case.id}/cycle-map/sessions/{session.id}", body)
    assert locked.status_code == 409 and "signed" in locked.get_json()["error"]["message"]
    assert (
        api_as(practice.supervisor)
        .put(f"/cases/{case.id}/cycle-map/sessions/{later.id}", body)
        .status_code
        == 403
    )
    assert api_as(practice.supervisor).get(f"/cases/{case.id}/cycle-map").status_code == 200
    assert api_as(practice.admin).get(f"/cases/{case.id}/cycle-map").status_code == 404
    assert api_as(practice.other).get(f"/cycle-map/revisions/{revision['id']}").status_code == 404
    assert "api_cycle_map_read" in audit_actions(db)


def test_reports_draw_the_map_clinically_and_in_we_words_never_for_the_referrer(
    app, db, counsellor, case, make_session
):
    s1, s2, _ = _sessions(make_session, case)
    with app.test_request_context():
        r1 = operations.start_revision(case, s1, actor=counsellor)
        operations.save_revision(r1, _sides(case, MAYA_1, TOM_1), actor=counsellor)
        r2 = operations.start_revision(case, s2, actor=counsellor)
        operations.save_revision(
            r2, _sides(case, {**MAYA_1, "other_view": "He is flooding"}, TOM_1), actor=counsellor
        )
        db.commit()
        start, end = date(2026, 1, 1), date(2026, 3, 31)
        clinical = report_words(
            build_report_html(report_context(case, start, end, "clinical", "", counsellor))
        )
        client = report_words(
            build_report_html(report_context(case, start, end, "client", "", counsellor))
        )
        referrer = report_context(case, start, end, "referrer", "", counsellor)
    assert "Cycle map, revision 2" in clinical
    assert "Cycle mapped : revision 1" in clinical
    assert "Changed since revision 1" in clinical and "He is flooding" in clinical
    assert "PERCEPTION OF THE OTHER" in clinical  # the drawing's own words
    assert "The pattern we are mapping together" in client
    assert "Together we have been drawing the pattern you both get caught in" in client
    assert "How the other looks" in client and "Milestones" not in client
    assert forbidden_in(client) == []
    assert referrer["cycle_map"] is None
    assert db.scalar(select(func.count()).select_from(AuditEvent)) > 0


def test_the_demo_couple_reads_each_other_anew(app_context, db):
    """C-0001 (Maya and Tom): three revisions; the last revises each one's reading of the
    other, supported by the sessions in which they named the cycle; every milestone shows."""
    from practice.cases.models import Case
    from practice.demo.seed import SHOWCASE_REFERENCE, seed_demo

    seed_demo()
    case = db.scalar(select(Case).where(Case.reference == SHOWCASE_REFERENCE))
    found = queries.case_map(case)
    assert len(found.revisions) == 3
    assert all(m.milestone.reached for m in found.milestones)
    changes = queries.diff_rows(found, found.revisions[1], found.revisions[2])
    readings = {(c.partner, c.old, c.new) for c in changes if c.label == "Perception of the other"}
    assert (
        "Maya",
        "I thought his silence meant he didn't care",
        "His going quiet is him flooding, not leaving",
    ) in readings
    assert len(readings) == 2
