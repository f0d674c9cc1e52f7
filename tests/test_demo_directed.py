"""The demo's directed moments: C-0001's dance comes apart, repairs land, antidotes rise."""

from __future__ import annotations

import sqlalchemy as sa

from practice.demo.seed import seed_demo
from practice.models import Case, Moment
from practice.moments import interaction_reads


def test_showcase_couple_de_couples_repairs_more_and_uses_more_antidotes(app_context, db):
    seed_demo(scale=1, seed=2026)
    case = db.scalar(sa.select(Case).where(Case.reference == "C-0001"))
    found = interaction_reads.case_interaction(case.id)
    coupling = [s.metrics.coupling_index for s in found if s.metrics.coupling_index is not None]
    repairs = [s.metrics.repair_success for s in found if s.metrics.repair_success is not None]
    antidotes = [s.metrics.antidotes for s in found]
    # Seed 2026: coupling 100 %, 100 %, 50 %, 0 % … 0 %; repairs 50 %, 0 %, 100 % …
    third = len(found) // 3
    assert sum(coupling[:third]) / third > sum(coupling[-third:]) / third
    assert repairs[0] < repairs[-1]
    assert antidotes[0] == 0 and antidotes[-1] == 4
    # Every answer is a withdraw aimed at the partner whose pursue it answers.
    answers = db.scalars(
        sa.select(Moment).where(
            Moment.answers_moment_id.is_not(None),
            Moment.session_id.in_([s.session_id for s in found]),
        )
    ).all()
    assert answers and all(
        m.target_partner_id == m.answers.partner_id != m.partner_id for m in answers
    )
    trend = interaction_reads.case_trend_rows(case.id)
    assert "falling" in trend["coupling_trend"] and "rising" in trend["repair_trend"]
