"""The demo's check-ins: three couples whose partners check in between their last sessions,
each through their own link, as a partner would (``practice.checkins.operations``).

C-0001 (Maya and Tom) is the showcase, late in its work: the withdrawer's breaks come with
"I need time to process this, but I'm open to talk soon" and a return within the day, invited
back with "When would be a good time…?"; each confirms the other's words at home, and the
hardest moments soften. C-0003 improves more slowly; C-0006 is stuck: breaks called without
the words, and back at it too soon. Nobody answers yes to the fear
question. One link of C-0001 is still open and one was revoked, so the case page shows each
state. Deterministic for a seed; written after the rest of the practice.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import sqlalchemy as sa

from practice.breaks.models import BreakAccount
from practice.cases.models import Case, CycleRole, Partner
from practice.checkins import operations
from practice.checkins.operations import BreakAnswer, CheckinAnswers
from practice.core.database import db
from practice.sessions.models import TherapySession

# Case reference → where the couple stands at its first and last check-in round (0: stuck,
# 1: the most). Stuck couples come back to talk too soon (within 20 minutes) and it flares up
# again; none of the demo's check-in breaks goes unreturned, so that the break flags stay the
# breaks' own story.
STORIES = {"C-0001": (0.5, 1.0), "C-0003": (0.3, 0.7), "C-0006": (0.0, 0.0)}
ROUNDS = 4


def add_checkins(rng: random.Random, now: datetime) -> tuple[int, int]:
    """Add the demo's check-ins (those of the cases in ``STORIES`` that exist at this scale
    and are active); returns how many, and how many of them hold a CSI-4. Flushes."""
    count = csi4 = 0
    _sequences_from_highest_id()
    for reference, (first, last) in STORIES.items():
        case = db.scalar(sa.select(Case).where(Case.reference == reference))
        if case is None or case.status != "active" or len(case.partners) != 2:
            continue
        starts = list(
            db.scalars(
                sa.select(TherapySession.starts_at)
                .where(TherapySession.case_id == case.id, TherapySession.voided_at.is_(None))
                .order_by(TherapySession.starts_at)
            )
        )[-(ROUNDS + 1) :]
        for round_number, started in enumerate(starts[:-1]):
            progress = first + (last - first) * round_number / max(1, ROUNDS - 1)
            sent = started + timedelta(days=3, hours=11)
            for offset, partner in enumerate(_by_role(case)):
                issued = started + timedelta(hours=1)
                token, _link = operations.issue_link(case, partner.id, case.counsellor, issued)
                answers = _answers(rng, case, partner, progress, round_number)
                checkin = operations.submit_checkin(
                    token, answers, sent + timedelta(minutes=40 * offset)
                )
                _date_break_accounts(checkin.id, checkin.submitted_at)
                count += 1
                csi4 += answers.csi4 is not None
        if reference == "C-0001":
            _leave_links(case, now)
    db.flush()
    return count, csi4


# The tables a check-in writes through the ORM, whose ids come from PostgreSQL's sequences.
_SEQUENCED = (
    "practice_checkin_link",
    "practice_checkin",
    "practice_checkin_break",
    "practice_checkin_script_answer",
    "practice_measure_response",
    "practice_break_episode",
    "practice_break_account",
)


def _sequences_from_highest_id() -> None:
    """On PostgreSQL, start each such table's sequence just past its highest id, as SQLite
    does: the same seed gives the same ids (a sequence keeps counting past rolled-back rows)."""
    if db.get_bind().dialect.name != "postgresql":
        return
    for table in _SEQUENCED:
        db.execute(
            sa.text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            )
        )


def _date_break_accounts(checkin_id: int, at: datetime) -> None:
    """The break accounts a check-in gave (and the episodes they started) dated when it was
    sent, not when the demo was seeded: the same seed gives the same practice."""
    for account in db.scalars(sa.select(BreakAccount).where(BreakAccount.checkin_id == checkin_id)):
        account.recorded_at = account.updated_at = at
        episode = account.episode
        if episode.created_at > at:
            episode.created_at = at
    db.flush()


def _by_role(case: Case) -> list[Partner]:
    """The pursuer first, then the withdrawer (the order they check in on the evening)."""
    return sorted(case.partners, key=lambda p: (p.cycle_role != CycleRole.PURSUER, p.position))


def _answers(
    rng: random.Random, case: Case, partner: Partner, progress: float, round_number: int
) -> CheckinAnswers:
    withdrawer = partner.cycle_role == CycleRole.WITHDRAWER
    pattern = max(0, round(5 - 4 * progress + rng.choice((-1, 0, 0, 1))))
    hardest = min(10, max(1, round(8 - 5 * progress + rng.choice((-1, 0, 1)))))
    # The withdrawer calls the break; each tells it from their side.
    if progress < 0.3:
        # Back at it within minutes, the pursuer reaching, and it flares up again.
        told = BreakAnswer(
            called_by="me" if withdrawer else "partner",
            returned="early",
            with_script=False,
            days_ago=2,
            resumed_by="partner" if withdrawer else "me",
            with_invitation=False,
            outcome="harder",
        )
    else:
        told = BreakAnswer(
            called_by="me" if withdrawer else "partner",
            returned="within_day",
            with_script=True,
            days_ago=2,
            resumed_by="partner" if withdrawer else "me",
            with_invitation=True,
            outcome="calmer",
        )
    scripts = {
        assignment.id: (progress >= 0.3, progress >= 0.5)
        for assignment in operations.assignments_to_ask(case.id)
    }
    csi4 = None
    if (round_number + 1) % 4 == 0:
        base = 2 + round(2 * progress)
        csi4 = [min(6, base + 1), base, base, min(5, base)]
    return CheckinAnswers(
        pattern_count=pattern,
        hardest_moment=hardest,
        felt_afraid=False,
        breaks=[told],
        scripts=scripts,
        csi4=csi4,
    )


def _leave_links(case: Case, now: datetime) -> None:
    """An open link for the pursuer, issued the day before, and a revoked one for the other."""
    pursuer, withdrawer = _by_role(case)
    operations.issue_link(case, pursuer.id, case.counsellor, now - timedelta(days=1))
    _token, link = operations.issue_link(
        case, withdrawer.id, case.counsellor, now - timedelta(days=2)
    )
    link.revoked_at = now - timedelta(days=1, hours=20)
    link.revoked_by_id = case.counsellor_id
