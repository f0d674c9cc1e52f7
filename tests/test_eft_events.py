"""Change events through the pages and the API: a proposal on the case page, confirmed with its
evidence (audited); the stage gates refused without a reason and accepted with one (recorded,
flagged to the supervisor, acknowledged) on the case edit page, the session form and the API;
the supervisor reads, an administrator gets a 404."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from practice.demo.seed import seed_demo
from practice.eft.models import ChangeEvent, StageOverride
from practice.models import AuditEvent, Case, Moment, MomentType, Role, TherapySession
from tests.test_api_support import ApiClient, issue_token
from tests.test_case_page import count_statements


@pytest.fixture
def story(db, make_case, make_session, counsellor):
    """A couple (Alex pursues, Sam withdraws) at stage 1 with three tagged sessions that
    de-escalate: each E = 1 (pursue, 1), D = 3 (de-escalation) + 1 (naming) = 4, share 4/5 = 80 %;
    Alex names the cycle in the first, Sam in the second; no threat to end."""
    case = make_case(counsellor, eft_stage=1)
    types = {t.key: t for t in db.scalars(select(MomentType))}
    namers = [case.partners[0], case.partners[1], case.partners[0]]
    naming = []
    for week, namer in enumerate(namers):
        session = make_session(case, datetime(2026, 2, 2 + 7 * week, 15, tzinfo=UTC))
        for key, intensity, partner in (
            ("pursue", 1, case.partners[0]),
            ("de_escalation", 3, None),
            ("naming_cycle", 1, namer),
        ):
            moment = Moment(
                therapy_session=session,
                moment_type=types[key],
                minute=10,
                intensity=intensity,
                partner_id=partner.id if partner else None,
                created_by_id=counsellor.id,
            )
            db.add(moment)
            if key == "naming_cycle":
                naming.append(moment)
    db.commit()
    return case, naming


def _edit_form(client, case: Case, **overrides) -> dict:
    page = client.get(f"/cases/{case.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version"[^>]*value="(\d+)"', page).group(1)
    data = {
        "presenting_concerns": case.presenting_concerns,
        "goals": case.goals,
        "eft_stage": str(case.eft_stage or ""),
        "version": version,
    }
    for i, partner in enumerate(case.partners):
        data[f"partners-{i}-partner_id"] = str(partner.id)
        data[f"partners-{i}-display_name"] = partner.display_name
        data[f"partners-{i}-pronouns"] = partner.pronouns or ""
        data[f"partners-{i}-cycle_role"] = partner.cycle_role
    data.update(overrides)
    return data


def test_the_case_page_proposes_de_escalation_and_the_counsellor_confirms_it(
    client, auth, db, story, counsellor
):
    case, naming = story
    auth.login(counsellor)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Change events" in page and "Proposed by the tracker" in page
    assert "80 %, 80 %, 80 %" in page
    assert "waits for Cycle de-escalated" in page

    form = client.get(f"/cases/{case.id}/change-events/new?kind=deescalated").get_data(as_text=True)
    # The proposal's evidence is ticked for the counsellor to check.
    for moment in naming:
        assert re.search(rf'checked[^>]*value="{moment.id}"|value="{moment.id}"[^>]*checked', form)
    response = auth.post(
        f"/cases/{case.id}/change-events/new",
        {
            "kind": "deescalated",
            "session_id": str(naming[2].session_id),
            "occurred_on": "2026-02-16",
            "evidence": [str(m.id) for m in naming],
            "proposed": "1",
        },
    )
    assert response.status_code == 302
    event = db.scalar(select(ChangeEvent))
    assert (event.kind, event.decided_by_id, event.proposed) == ("deescalated", counsellor.id, True)
    assert {m.id for m in event.evidence} == {m.id for m in naming}
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)).all()
    assert "change_event_confirmed" in actions

    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Proposed by the tracker" not in page
    assert "Cycle de-escalated" in page and "open: its change events are confirmed" in page
    # With the event confirmed, stage 2 needs no reason.
    assert (
        auth.post(f"/cases/{case.id}/edit", _edit_form(client, case, eft_stage="2")).status_code
        == 302
    )
    db.expire_all()
    assert db.get(Case, case.id).eft_stage == 2
    assert db.scalar(select(StageOverride)) is None


def test_evidence_is_required_and_must_be_the_cases(client, auth, db, story, counsellor, make_case):
    case, naming = story
    auth.login(counsellor)
    base = {
        "kind": "deescalated",
        "session_id": str(naming[0].session_id),
        "occurred_on": "2026-02-16",
    }
    page = auth.post(f"/cases/{case.id}/change-events/new", base)
    assert page.status_code == 200
    assert "at least one moment" in page.get_data(as_text=True)
    assert db.scalar(select(ChangeEvent)) is None


def test_a_dismissed_proposal_is_not_proposed_again(client, auth, db, story, counsellor):
    case, naming = story
    auth.login(counsellor)
    response = auth.post(
        f"/cases/{case.id}/change-events/dismiss",
        {"kind": "deescalated", "session_id": str(naming[2].session_id)},
    )
    assert response.status_code == 302
    assert "Proposed by the tracker" not in client.get(f"/cases/{case.id}").get_data(as_text=True)


def test_stage_2_on_the_edit_page_is_refused_without_a_reason_and_flagged_with_one(
    client, auth, db, story, counsellor, supervisor
):
    case, _naming = story
    auth.login(counsellor)
    refused = auth.post(f"/cases/{case.id}/edit", _edit_form(client, case, eft_stage="2"))
    assert refused.status_code == 200
    text = refused.get_data(as_text=True)
    assert "Stage 2 can be set once Cycle de-escalated is confirmed" in text
    assert 'id="stage_reason-error"' in text
    db.expire_all()
    assert db.get(Case, case.id).eft_stage == 1

    accepted = auth.post(
        f"/cases/{case.id}/edit",
        _edit_form(client, case, eft_stage="2", stage_reason="Clearly de-escalated in session."),
    )
    assert accepted.status_code == 302
    override = db.scalar(select(StageOverride))
    assert (override.stage, override.missing, override.set_by_id) == (
        2,
        "deescalated",
        counsellor.id,
    )
    audit = db.scalar(select(AuditEvent).where(AuditEvent.action == "eft_stage_override"))
    assert audit.detail["missing"] == ["deescalated"]
    assert "Clearly" not in str(audit.detail)  # the reason stays with the row

    auth.logout()
    auth.login(supervisor)
    flagged = "before its change events were confirmed"
    assert flagged in client.get("/supervision").get_data(as_text=True)
    page = client.get(f"/cases/{case.id}").get_data(as_text=True)
    assert "Clearly de-escalated in session." in page and "Acknowledge" in page
    assert "Confirm…" not in page  # the supervisor reads, the counsellor confirms
    ack = auth.post(f"/stage-overrides/{override.id}/acknowledge", {})
    assert ack.status_code == 302
    assert flagged not in client.get("/supervision").get_data(as_text=True)


def test_the_counsellor_cannot_acknowledge_their_own_override(client, auth, db, story, counsellor):
    case, _naming = story
    db.add(
        StageOverride(
            case_id=case.id, stage=2, missing="deescalated", reason="r", set_by_id=counsellor.id
        )
    )
    db.commit()
    override = db.scalar(select(StageOverride))
    auth.login(counsellor)
    assert auth.post(f"/stage-overrides/{override.id}/acknowledge", {}).status_code == 403


def test_the_session_form_is_gated_too(client, auth, db, story, counsellor):
    case, _naming = story
    auth.login(counsellor)
    form = {
        "starts_at": "2026-03-02T15:00",
        "duration_minutes": "50",
        "modality": "in_person",
        "attendance": [str(p.id) for p in case.partners],
        "eft_stage": "2",
    }
    refused = auth.post(f"/cases/{case.id}/sessions/new", form)
    assert refused.status_code == 200
    assert "Stage 2 can be set once" in refused.get_data(as_text=True)
    assert (
        len(db.scalars(select(TherapySession).where(TherapySession.case_id == case.id)).all()) == 3
    )
    accepted = auth.post(f"/cases/{case.id}/sessions/new", {**form, "stage_reason": "Seen today."})
    assert accepted.status_code == 302
    override = db.scalar(select(StageOverride))
    assert override.session_id is not None
    db.expire_all()
    assert db.get(Case, case.id).eft_stage == 2


def test_the_api_gates_the_case_and_lists_confirms_and_voids_events(
    app, client, db, story, counsellor
):
    case, naming = story
    api = ApiClient(client, issue_token(app, db, counsellor))
    version = api.get(f"/cases/{case.id}").get_json()["version"]
    refused = api.patch(f"/cases/{case.id}", json={"version": version, "eft_stage": 3})
    assert refused.status_code == 409
    assert "stage_reason" in refused.get_json()["error"]["fields"]

    proposals = api.get(f"/cases/{case.id}/change-events/proposals").get_json()["proposals"]
    assert [p["kind"] for p in proposals] == ["deescalated"]
    created = api.post(
        f"/cases/{case.id}/change-events",
        json={
            "kind": "deescalated",
            "session_id": proposals[0]["session_id"],
            "occurred_on": "2026-02-16",
            "evidence_ids": proposals[0]["evidence_ids"],
            "proposed": True,
        },
    )
    assert created.status_code == 201
    event = created.get_json()
    assert event["evidence_ids"] == sorted(m.id for m in naming)
    listed = api.get(f"/cases/{case.id}/change-events").get_json()
    assert listed["gates"][0] == {"stage": 2, "open": True, "missing": []}
    assert listed["gates"][1]["missing"] == ["reengaged", "softened"]

    # Stage 3 still waits for the stage-2 events: refused, then accepted with a reason.
    assert (
        api.patch(f"/cases/{case.id}", json={"version": version, "eft_stage": 3}).status_code == 409
    )
    ok = api.patch(
        f"/cases/{case.id}", json={"version": version, "eft_stage": 3, "stage_reason": "Transfer."}
    )
    assert ok.status_code == 200
    assert db.scalar(select(StageOverride)).missing == "reengaged,softened"

    voided = api.post(f"/change-events/{event['id']}/void", json={"reason": "Tagged in error."})
    assert voided.status_code == 200 and voided.get_json()["voided_at"]
    assert db.get(ChangeEvent, event["id"]) is not None  # never deleted


def test_admins_get_a_404_and_supervisors_may_not_write(
    client, auth, db, story, make_staff, supervisor
):
    case, _naming = story
    admin = make_staff(Role.ADMIN)
    auth.login(admin)
    assert client.get(f"/cases/{case.id}/change-events/new").status_code == 404
    auth.logout()
    auth.login(supervisor)
    assert client.get(f"/cases/{case.id}/change-events/new").status_code == 403


def test_the_demos_showcase_confirms_de_escalation_before_its_stage_2(app_context, db):
    seed_demo()
    case = db.scalar(select(Case).where(Case.reference == "C-0001"))
    events = {
        e.kind: e for e in db.scalars(select(ChangeEvent).where(ChangeEvent.case_id == case.id))
    }
    stages = [
        (s.starts_at, s.eft_stage)
        for s in sorted(case.sessions, key=lambda s: s.starts_at)
        if s.voided_at is None
    ]
    first_stage_2 = next(at for at, stage in stages if (stage or 0) >= 2)
    deescalated = events["deescalated"]
    assert deescalated.occurred_on < first_stage_2.date()
    assert deescalated.evidence and deescalated.decided_by_id == case.counsellor_id
    # The stage-2 events come before its stage 3 (at its 15th session).
    first_stage_3 = next(at for at, stage in stages if (stage or 0) >= 3)
    assert events["reengaged"].occurred_on < first_stage_3.date()
    assert events["softened"].occurred_on < first_stage_3.date()


def test_the_case_page_reads_change_events_in_a_fixed_number_of_statements(
    app, client, auth, db, story, counsellor
):
    case, naming = story

    def add(kind: str) -> None:
        event = ChangeEvent(
            case_id=case.id,
            session_id=naming[0].session_id,
            kind=kind,
            occurred_on=datetime(2026, 2, 2).date(),
            decided_by_id=counsellor.id,
        )
        event.evidence = list(naming)
        db.add(event)
        db.add(
            StageOverride(
                case_id=case.id, stage=3, missing=kind, reason="r", set_by_id=counsellor.id
            )
        )
        db.commit()

    add("injury_resolved")
    auth.login(counsellor)
    path = f"/cases/{case.id}"
    before = count_statements(app, client, path)
    add("reengaged")
    add("softened")
    assert count_statements(app, client, path) == before


def test_the_case_export_holds_the_events_and_overrides(app, db, story, counsellor):
    case, naming = story
    with app.test_request_context():
        from practice.eft import export

        confirmed = ChangeEvent(
            case_id=case.id,
            session_id=naming[2].session_id,
            kind="deescalated",
            occurred_on=datetime(2026, 2, 16).date(),
            decided_by_id=counsellor.id,
        )
        confirmed.evidence = list(naming)
        db.add(confirmed)
        db.add(
            StageOverride(
                case_id=case.id, stage=2, missing="deescalated", reason="r", set_by_id=counsellor.id
            )
        )
        db.flush()
        data = export.case_export(case.id)
    (event,) = data["change_events"]
    assert event["evidence_moment_ids"] == sorted(m.id for m in naming)
    assert data["stage_overrides"][0]["missing"] == ["deescalated"]
