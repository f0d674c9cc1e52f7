"""EFT change events in the clinical report: listed with their evidence, the gates at the
period's end and any stage set before its events; left out of the clients' and referrer's."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from practice.eft import operations
from practice.eft.models import StageOverride
from practice.models import Moment, TherapySession
from practice.reports.progress_report import build_report_html, report_context
from tests.report_text import build_case, report_words

START, END = date(2026, 1, 5), date(2026, 3, 31)


def test_the_clinical_report_lists_the_change_events(app, db, counsellor):
    case = build_case(db, counsellor, reference="E-0001")
    with app.app_context():
        sessions = db.scalars(
            select(TherapySession)
            .where(TherapySession.case_id == case.id)
            .order_by(TherapySession.starts_at)
        ).all()
        moment = db.scalars(select(Moment).where(Moment.session_id == sessions[2].id)).first()
        operations.confirm_event(
            case,
            counsellor,
            operations.EventData(
                kind="deescalated",
                session_id=sessions[2].id,
                occurred_on=sessions[2].starts_at.date(),
                evidence_ids=[moment.id],
                note="Named the dance together.",
            ),
        )
        db.add(
            StageOverride(
                case_id=case.id,
                stage=3,
                missing="reengaged,softened",
                reason="Consolidating already.",
                set_by_id=counsellor.id,
                set_at=datetime(2026, 2, 20, 10, tzinfo=UTC),
            )
        )
        db.flush()
        clinical = report_words(
            build_report_html(report_context(case, START, END, "clinical", "", counsellor))
        )
        client = report_words(
            build_report_html(report_context(case, START, END, "client", "", counsellor))
        )
        referrer = report_context(case, START, END, "referrer", "", counsellor)
    assert "EFT change events" in clinical
    day = sessions[2].starts_at.strftime("%d %b %Y")
    assert f"Cycle de-escalated {day} {day}, min {moment.minute}" in clinical
    assert "Named the dance together." in clinical
    assert (
        "Stage 2: open. Stage 3: waits for Withdrawer re-engaged and Blamer softened." in clinical
    )
    assert "Stage 3 set on" in clinical and "Reason: Consolidating already." in clinical
    assert "change event" not in client.lower() and "de-escalated" not in client
    assert referrer["change_events"] is None
