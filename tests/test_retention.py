"""The retention purge: closed cases past the period go whole, everything else stays."""

from __future__ import annotations

import hashlib
import os
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from practice import audit
from practice.checkins.models import Checkin, CheckinBreak, CheckinLink, CheckinScriptAnswer
from practice.core.database import Base
from practice.eft.models import ChangeEvent, StageOverride, event_evidence
from practice.formulation.models import CycleMapEvidence, CycleMapRevision, CycleMapSide
from practice.models import (
    Addendum,
    Appointment,
    AuditEvent,
    BreakAccount,
    BreakEpisode,
    BreakGlass,
    Case,
    CaseAssignment,
    CaseStatus,
    CommentRead,
    GoalRating,
    MeasureResponse,
    Moment,
    MomentType,
    Partner,
    Report,
    ReportJob,
    ScoreSharingConsent,
    Script,
    ScriptAssignment,
    ScriptObservation,
    SupervisionComment,
    TherapySession,
    TreatmentGoal,
    session_attendance,
)
from practice.records import retention
from practice.safety.models import RescreenDue, SafetyScreen, ScreenOverride

# Every table holding rows of a case, and how to count a case's rows in it.
CASE_TABLES = {
    "practice_case": lambda ids: select(Case.id).where(Case.id.in_(ids["case"])),
    "practice_partner": lambda ids: select(Partner.id).where(Partner.case_id.in_(ids["case"])),
    "practice_session": lambda ids: select(TherapySession.id).where(
        TherapySession.case_id.in_(ids["case"])
    ),
    "practice_session_attendance": lambda ids: select(session_attendance.c.session_id).where(
        session_attendance.c.session_id.in_(ids["session"])
    ),
    "practice_addendum": lambda ids: select(Addendum.id).where(
        Addendum.session_id.in_(ids["session"])
    ),
    "practice_moment": lambda ids: select(Moment.id).where(Moment.session_id.in_(ids["session"])),
    "practice_script_assignment": lambda ids: select(ScriptAssignment.id).where(
        ScriptAssignment.case_id.in_(ids["case"])
    ),
    "practice_script_observation": lambda ids: select(ScriptObservation.id).where(
        ScriptObservation.session_id.in_(ids["session"])
    ),
    "practice_measure_response": lambda ids: select(MeasureResponse.id).where(
        MeasureResponse.session_id.in_(ids["session"])
    ),
    "practice_score_consent": lambda ids: select(ScoreSharingConsent.id).where(
        ScoreSharingConsent.case_id.in_(ids["case"])
    ),
    "practice_supervision_comment": lambda ids: select(SupervisionComment.id).where(
        SupervisionComment.case_id.in_(ids["case"])
    ),
    "practice_comment_read": lambda ids: select(CommentRead.comment_id).where(
        CommentRead.comment_id.in_(ids["comment"])
    ),
    "practice_report": lambda ids: select(Report.id).where(Report.case_id.in_(ids["case"])),
    "practice_appointment": lambda ids: select(Appointment.id).where(
        Appointment.case_id.in_(ids["case"])
    ),
    "practice_case_assignment": lambda ids: select(CaseAssignment.id).where(
        CaseAssignment.case_id.in_(ids["case"])
    ),
    "practice_break_glass": lambda ids: select(BreakGlass.id).where(
        BreakGlass.case_id.in_(ids["case"])
    ),
    "practice_safety_screen": lambda ids: select(SafetyScreen.id).where(
        SafetyScreen.case_id.in_(ids["case"])
    ),
    "practice_rescreen_due": lambda ids: select(RescreenDue.id).where(
        RescreenDue.case_id.in_(ids["case"])
    ),
    "practice_screen_override": lambda ids: select(ScreenOverride.id).where(
        ScreenOverride.case_id.in_(ids["case"])
    ),
    "practice_checkin_link": lambda ids: select(CheckinLink.id).where(
        CheckinLink.case_id.in_(ids["case"])
    ),
    "practice_checkin": lambda ids: select(Checkin.id).where(Checkin.case_id.in_(ids["case"])),
    "practice_checkin_break": lambda ids: select(CheckinBreak.id).where(
        CheckinBreak.checkin_id.in_(select(Checkin.id).where(Checkin.case_id.in_(ids["case"])))
    ),
    "practice_checkin_script_answer": lambda ids: select(CheckinScriptAnswer.id).where(
        CheckinScriptAnswer.checkin_id.in_(
            select(Checkin.id).where(Checkin.case_id.in_(ids["case"]))
        )
    ),
    "practice_break_episode": lambda ids: select(BreakEpisode.id).where(
        BreakEpisode.case_id.in_(ids["case"])
    ),
    "practice_break_account": lambda ids: select(BreakAccount.id).where(
        BreakAccount.case_id.in_(ids["case"])
    ),
    "practice_cycle_map_revision": lambda ids: select(CycleMapRevision.id).where(
        CycleMapRevision.case_id.in_(ids["case"])
    ),
    "practice_cycle_map_side": lambda ids: select(CycleMapSide.id).where(
        CycleMapSide.case_id.in_(ids["case"])
    ),
    "practice_cycle_map_evidence": lambda ids: select(CycleMapEvidence.id).where(
        CycleMapEvidence.case_id.in_(ids["case"])
    ),
    "practice_treatment_goal": lambda ids: select(TreatmentGoal.id).where(
        TreatmentGoal.case_id.in_(ids["case"])
    ),
    "practice_goal_rating": lambda ids: select(GoalRating.id).where(
        GoalRating.case_id.in_(ids["case"])
    ),
    "practice_eft_event": lambda ids: select(ChangeEvent.id).where(
        ChangeEvent.case_id.in_(ids["case"])
    ),
    "practice_eft_event_moment": lambda ids: select(event_evidence.c.event_id).where(
        event_evidence.c.event_id.in_(
            select(ChangeEvent.id).where(ChangeEvent.case_id.in_(ids["case"]))
        )
    ),
    "practice_eft_stage_override": lambda ids: select(StageOverride.id).where(
        StageOverride.case_id.in_(ids["case"])
    ),
}


@pytest.fixture
def store(app, tmp_path, monkeypatch):
    folder = tmp_path / "store"
    folder.mkdir()
    monkeypatch.setitem(app.config, "PRACTICE_REPORT_DIR", str(folder))
    return folder


@pytest.fixture
def full_case(db, counsellor, supervisor, make_case, make_session, store):
    """Build a case with a row in every table that holds case data, and a stored report."""

    def build(reference: str, **kw) -> tuple[Case, dict]:
        case = make_case(counsellor, reference=reference, **kw)
        session = make_session(case, starts_at=datetime(2010, 1, 6, 15, tzinfo=UTC))
        db.add(Addendum(therapy_session=session, author_id=counsellor.id, text="addendum"))
        pursue = db.scalar(select(MomentType).where(MomentType.key == "pursue"))
        db.add(
            Moment(
                therapy_session=session, moment_type=pursue, minute=1, created_by_id=counsellor.id
            )
        )
        assignment = ScriptAssignment(
            case_id=case.id,
            partner=case.partners[0],
            script=db.scalar(select(Script).order_by(Script.id)),
            assigned_session_id=session.id,
        )
        db.add(assignment)
        db.add(ScriptObservation(assignment=assignment, session_id=session.id, level=1))
        db.add(
            MeasureResponse(
                session_id=session.id,
                partner_id=case.partners[0].id,
                items=[1, 1, 1, 1],
                total=4,
                recorded_by_id=counsellor.id,
            )
        )
        db.add(
            ScoreSharingConsent(
                case_id=case.id,
                partner_id=case.partners[0].id,
                audience="referrer",
                given_on=date(2010, 1, 6),
                recorded_by_id=counsellor.id,
            )
        )
        db.add(
            CaseAssignment(
                case_id=case.id,
                from_counsellor_id=counsellor.id,
                to_counsellor_id=counsellor.id,
                assigned_by_id=counsellor.id,
                reason="r",
            )
        )
        db.add(
            BreakGlass(
                case_id=case.id,
                admin_id=counsellor.id,
                reason="r",
                expires_at=datetime(2010, 1, 9, tzinfo=UTC),
            )
        )
        # The appointment the session was made from.
        db.add(
            Appointment(
                case_id=case.id,
                starts_at=session.starts_at,
                status="attended",
                session_id=session.id,
                created_by_id=counsellor.id,
            )
        )
        # make_case and make_session screened both partners; a rescreen and an override too.
        db.add(
            RescreenDue(
                case_id=case.id,
                partner_id=case.partners[0].id,
                reason="checkin_fear",
                due_since=datetime(2010, 1, 7, tzinfo=UTC),
            )
        )
        db.add(
            ScreenOverride(
                case_id=case.id, session_id=session.id, reason="r", signed_by_id=counsellor.id
            )
        )
        # A partner's check-in through a link, with a break and a script answer.
        link = CheckinLink(
            case_id=case.id,
            partner_id=case.partners[1].id,
            token_sha256=hashlib.sha256(reference.encode()).hexdigest(),
            issued_by_id=counsellor.id,
            expires_at=datetime(2010, 1, 14, tzinfo=UTC),
        )
        db.add(link)
        db.flush()
        checkin = Checkin(
            case_id=case.id,
            partner_id=case.partners[1].id,
            link_id=link.id,
            number=1,
            pattern_count=1,
            hardest_moment=3,
            felt_afraid=False,
        )
        db.add(checkin)
        db.flush()
        db.add(CheckinBreak(checkin_id=checkin.id, position=1, called_by="me", returned="later"))
        db.add(CheckinScriptAnswer(checkin_id=checkin.id, assignment_id=assignment.id))
        episode = BreakEpisode(
            case_id=case.id,
            called_by_id=case.partners[1].id,
            called_at=datetime(2010, 1, 8, 20, tzinfo=UTC),
        )
        db.add(episode)
        db.add(
            BreakAccount(
                episode=episode,
                case_id=case.id,
                told_by_id=case.partners[1].id,
                source="session",
                session_id=session.id,
                called_by_id=case.partners[1].id,
                called_at=episode.called_at,
                recorded_by_id=counsellor.id,
            )
        )
        # A cycle map revision at the session, one side backed by the session's moment.
        revision = CycleMapRevision(
            case_id=case.id, session_id=session.id, created_by_id=counsellor.id
        )
        side = CycleMapSide(case_id=case.id, partner_id=case.partners[0].id, trigger="t")
        revision.sides.append(side)
        db.add(revision)
        db.flush()
        moment_id = db.scalar(select(Moment.id).where(Moment.session_id == session.id))
        db.add(CycleMapEvidence(side_id=side.id, case_id=case.id, moment_id=moment_id))
        goal = TreatmentGoal(
            case_id=case.id, title="g", opened_on=date(2010, 1, 6), created_by_id=counsellor.id
        )
        db.add(goal)
        db.flush()
        db.add(
            GoalRating(
                goal_id=goal.id,
                case_id=case.id,
                partner_id=case.partners[0].id,
                rating=4,
                source="session",
                session_id=session.id,
                rated_at=session.starts_at,
            )
        )
        # A confirmed change event with its evidence moment, and a stage override.
        db.flush()
        event = ChangeEvent(
            case_id=case.id,
            session_id=session.id,
            kind="deescalated",
            occurred_on=date(2010, 1, 6),
            decided_by_id=counsellor.id,
        )
        event.evidence = list(session.moments)
        db.add(event)
        db.add(
            StageOverride(
                case_id=case.id,
                session_id=session.id,
                stage=3,
                missing="softened",
                reason="r",
                set_by_id=counsellor.id,
            )
        )
        comment = SupervisionComment(case_id=case.id, author_id=supervisor.id, body="c")
        db.add(comment)
        db.flush()
        db.add(
            SupervisionComment(
                case_id=case.id, parent_id=comment.id, author_id=counsellor.id, body="r"
            )
        )
        db.add(CommentRead(comment_id=comment.id, staff_id=counsellor.id))
        name = f"{reference}.pdf"
        (store / name).write_bytes(b"%PDF stand-in")
        db.add(
            Report(
                case_id=case.id,
                audience="clinical",
                period_start=date(2010, 1, 1),
                period_end=date(2010, 2, 1),
                generated_by_id=counsellor.id,
                sha256=hashlib.sha256(b"%PDF stand-in").hexdigest(),
                size_bytes=13,
                storage_path=name,
            )
        )
        db.commit()
        return case, {"case": [case.id], "session": [session.id], "comment": [comment.id]}

    return build


def counts(db, ids: dict) -> dict[str, int]:
    return {
        table: db.scalar(select(func.count()).select_from(query(ids).subquery()))
        for table, query in CASE_TABLES.items()
    }


def test_every_table_linked_to_a_case_is_covered():
    """A new table that points at case rows must be added to the purge (and to this test)."""
    case_tables = {"practice_case"}
    grew = True
    while grew:
        grew = False
        for table in Base.metadata.sorted_tables:
            if table.name in case_tables:
                continue
            referred = {fk.column.table.name for fk in table.foreign_keys}
            if referred & case_tables:
                case_tables.add(table.name)
                grew = True
    assert case_tables == set(CASE_TABLES)


def test_an_expired_case_is_purged_whole_and_audited(app, db, runner, full_case, store):
    old, old_ids = full_case("R-0001", status=CaseStatus.CLOSED, closed_on=date(2012, 3, 1))
    _recent, recent_ids = full_case(
        "R-0002", status=CaseStatus.CLOSED, closed_on=date.today().replace(day=1)
    )
    active, active_ids = full_case("R-0003", opened_on=date(2005, 1, 1))
    with app.app_context():
        audit.record("case_viewed", obj=old, actor_label="test")
        db.commit()
    # A finished batch that listed the old case beside another, with a failure reason.
    batch = ReportJob(
        created_by_id=old.counsellor_id,
        status="finished",
        parameters={
            "audience": "clinical",
            "case_ids": [active.id, old.id],
            "references": ["R-0003", "R-0001"],
        },
        total=2,
        done=1,
        failed=1,
        error="R-0001: The period ends before it starts.\nR-00012: The case no longer exists.",
    )
    db.add(batch)
    db.commit()
    before = {"recent": counts(db, recent_ids), "active": counts(db, active_ids)}
    assert all(counts(db, old_ids).values())

    old_id = old.id
    result = runner.invoke(args=["practice", "purge-expired", "--years", "7", "--yes"])

    assert result.exit_code == 0, result.output
    assert f"1 closed case(s) past the 7-year retention period: ids {old_id}." in result.output
    assert "removed 1 stored report file(s)" in result.output
    db.expire_all()
    assert set(counts(db, old_ids).values()) == {0}
    assert not (store / "R-0001.pdf").exists()
    assert counts(db, recent_ids) == before["recent"] and (store / "R-0002.pdf").exists()
    assert counts(db, active_ids) == before["active"] and (store / "R-0003.pdf").exists()
    events = db.scalars(
        select(AuditEvent).where(AuditEvent.case_id == old_id).order_by(AuditEvent.id)
    ).all()
    assert [e.action for e in events] == ["case_viewed", "case_purged"]
    purged = events[-1]
    assert purged.detail == {"retention_years": 7, "sessions": 1, "reports": 1, "report_jobs": 1}
    batch = db.get(ReportJob, batch.id)
    assert batch.parameters["case_ids"] == [active.id, None]
    assert batch.parameters["references"] == ["R-0003", "(purged)"]
    assert batch.error == (
        "(purged): The period ends before it starts.\nR-00012: The case no longer exists."
    )
    assert (batch.done, batch.failed) == (1, 1)
    with app.app_context():
        assert list(audit.broken_links()) == []


def test_dry_run_changes_nothing(app, db, runner, full_case, store):
    _old, old_ids = full_case("R-0004", status=CaseStatus.CLOSED, closed_on=date(2012, 3, 1))
    before = counts(db, old_ids)
    result = runner.invoke(args=["practice", "purge-expired", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"ids {old_ids['case'][0]}." in result.output
    assert "Dry run: nothing was changed." in result.output
    db.expire_all()
    assert counts(db, old_ids) == before and (store / "R-0004.pdf").exists()
    assert db.scalar(select(AuditEvent).where(AuditEvent.action == "case_purged")) is None


def test_without_yes_it_asks_first(db, runner, full_case):
    _old, old_ids = full_case("R-0005", status=CaseStatus.CLOSED, closed_on=date(2012, 3, 1))
    before = counts(db, old_ids)
    result = runner.invoke(args=["practice", "purge-expired"], input="n\n")
    assert result.exit_code == 1 and "Aborted" in result.output
    db.expire_all()
    assert counts(db, old_ids) == before


def test_the_period_comes_from_the_config(app, runner, monkeypatch, full_case):
    full_case("R-0006", status=CaseStatus.CLOSED, closed_on=date(2012, 3, 1))
    monkeypatch.setitem(app.config, "PRACTICE_RETENTION_YEARS", 30)
    result = runner.invoke(args=["practice", "purge-expired", "--dry-run"])
    assert "0 closed case(s) past the 30-year retention period." in result.output


def test_cutoff_handles_the_leap_day():
    assert retention.cutoff(date(2024, 2, 29), 7) == date(2017, 2, 28)
    assert retention.cutoff(date(2026, 11, 23), 7) == date(2019, 11, 23)


def test_report_files_no_report_refers_to_are_swept_once_old(app, db, runner, full_case, store):
    _kept, kept_ids = full_case("R-0007", opened_on=date(2026, 1, 5))
    stale = [store / "999-0a1b2c.pdf", store / ".998-3d4e5f.pdf.part"]
    fresh = store / "997-6a7b8c.pdf"  # perhaps a report being recorded right now
    for path in [*stale, fresh]:
        path.write_bytes(b"%PDF orphan")
    day_ago = time.time() - 2 * 24 * 3600
    for path in stale:
        os.utime(path, (day_ago, day_ago))
    os.utime(store / "R-0007.pdf", (day_ago, day_ago))  # old, but its report exists

    dry = runner.invoke(args=["practice", "purge-expired", "--dry-run"])
    assert "2 stored report file(s) that no report refers to" in dry.output
    assert all(path.exists() for path in stale)

    result = runner.invoke(args=["practice", "purge-expired", "--yes"])
    assert result.exit_code == 0, result.output
    assert "Removed 2 stored report file(s) that no report referred to." in result.output
    assert not any(path.exists() for path in stale)
    assert fresh.exists() and (store / "R-0007.pdf").exists()
    swept = db.scalars(select(AuditEvent).where(AuditEvent.action == "report_files_swept")).one()
    assert swept.detail == {"files": 2}
    assert counts(db, kept_ids)["practice_report"] == 1
