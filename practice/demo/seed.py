"""A believable demo practice, built deterministically for demos, screenshots and benchmarks.

``flask practice seed-demo`` calls :func:`seed_demo`. Everything random comes from
``random.Random(seed)`` and every date from a fixed "now" (:data:`DEMO_NOW`), so one seed gives
the same practice on any machine and any day. The people are invented; the notes are built from
templates in a counsellor's plain language.

This module is the demo's public face: what to call, its constants and its credentials. Behind
it, ``practice.demo.vocabulary`` says which cycle moments and scripts the demo uses,
``practice.demo.story`` invents the people and writes their notes, and ``practice.demo.builder``
plans the cases and inserts their rows in bulk.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from datetime import time as time_of_day

import sqlalchemy as sa

from practice import audit
from practice.accounts.models import Role, StaffMember
from practice.cases.models import Case, CaseAssignment, CaseStatus, Partner
from practice.core.database import db
from practice.demo.builder.appointments import write_appointments
from practice.demo.builder.cases import PracticeBuilder
from practice.demo.builder.directed import add_directed_moments
from practice.demo.builder.plans import SHOWCASE_REFERENCE
from practice.demo.builder.staff import ADMIN_EMAIL, create_staff, demo_email
from practice.demo.checkins import add_checkins
from practice.demo.story.change_events import add_change_events
from practice.demo.story.csi16 import add_csi16
from practice.demo.story.cycle_map import add_cycle_map
from practice.demo.story.goals import add_goals
from practice.demo.vocabulary import MissingVocabulary, Vocabulary
from practice.measures.models import MeasureResponse
from practice.moments.models import Moment
from practice.scripts.models import ScriptAssignment, ScriptObservation
from practice.sessions.models import Addendum, TherapySession

__all__ = [
    "CASES_PER_SCALE",
    "COUNSELLORS_PER_SCALE",
    "COUNSELLORS_PER_SUPERVISOR",
    "DEFAULT_SEED",
    "DEMO_NOW",
    "DEMO_PASSWORD",
    "DEMO_TODAY",
    "SESSIONS_PER_CASE",
    "SHOWCASE_REFERENCE",
    "DemoError",
    "DemoSummary",
    "demo_email",
    "has_staff",
    "seed_demo",
]

# Every demo login signs in with it: public, so the demo must never hold real cases.
DEMO_PASSWORD = "demo-practice-2026"
# The demo's "now": fixed so that the practice looks the same whenever it is seeded.
DEMO_NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
DEMO_TODAY = DEMO_NOW.date()
DEFAULT_SEED = 2026

COUNSELLORS_PER_SCALE = 6
CASES_PER_SCALE = 40
COUNSELLORS_PER_SUPERVISOR = 5
SESSIONS_PER_CASE = 15


class DemoError(RuntimeError):
    """The demo cannot be seeded into this database; the message says why."""


@dataclass(frozen=True)
class DemoSummary:
    """What :func:`seed_demo` created, and how long it took."""

    staff: int
    supervisors: int
    counsellors: int
    cases: int
    partners: int
    sessions: int
    moments: int
    assignments: int
    observations: int
    measures: int
    addenda: int
    seconds: float
    checkins: int = 0

    def lines(self) -> list[str]:
        """The summary as lines for the command line."""
        return [
            f"Demo practice seeded in {self.seconds:.1f} s:",
            f"  {self.staff:,} staff, {self.cases:,} cases, {self.partners:,} partners",
            f"  {self.sessions:,} sessions, {self.moments:,} cycle moments, "
            f"{self.addenda:,} addenda",
            f"  {self.assignments:,} script assignments, {self.observations:,} script "
            f"observations, {self.measures:,} CSI-4 responses",
            f"  {self.checkins:,} check-ins between sessions",
        ]

    def credentials(self) -> list[str]:
        """The demo logins, to print; they are public and must never guard real data."""

        def span(role: Role, count: int) -> str:
            if count == 1:
                return demo_email(role, 1)
            joiner = ", " if count == 2 else " … "
            return demo_email(role, 1) + joiner + demo_email(role, count)

        return [
            "Demo credentials (for trying the tracker only; never use them for real cases):",
            f"  {ADMIN_EMAIL} (admin)",
            f"  {span(Role.SUPERVISOR, self.supervisors)} (supervisors)",
            f"  {span(Role.COUNSELLOR, self.counsellors)} (counsellors)",
            f"  password for all: {DEMO_PASSWORD}",
        ]


HANDOVER_REASON = (
    "Intake by {previous}, who then reduced their hours; the couple can only come in the "
    "evening, which {current} covers."
)


def _hand_over_one_case() -> CaseAssignment | None:
    """One case of the first counsellor came from the second, at its opening: the hand-over
    (with its reason) shows in the case's history. Chosen without the seed's random numbers,
    so the rest of the practice stays as it was; None when the practice has one counsellor."""
    current = db.scalar(
        sa.select(StaffMember).where(StaffMember.email == demo_email(Role.COUNSELLOR, 1))
    )
    previous = db.scalar(
        sa.select(StaffMember).where(StaffMember.email == demo_email(Role.COUNSELLOR, 2))
    )
    if current is None or previous is None:
        return None
    case = db.scalar(
        sa.select(Case)
        .where(
            Case.counsellor_id == current.id,
            Case.status == CaseStatus.ACTIVE,
            Case.reference != SHOWCASE_REFERENCE,
        )
        .order_by(Case.reference)
        .limit(1)
    )
    if case is None:
        return None
    handing = CaseAssignment(
        case_id=case.id,
        from_counsellor_id=previous.id,
        to_counsellor_id=current.id,
        assigned_by_id=current.supervisor_id or current.id,
        reason=HANDOVER_REASON.format(previous=previous.display_name, current=current.display_name),
        assigned_at=datetime.combine(case.opened_on, time_of_day(17, 0), tzinfo=UTC),
    )
    db.add(handing)
    return handing


def has_staff() -> bool:
    """Whether the database already holds any staff member (then the demo is not seeded)."""
    return db.scalar(sa.select(StaffMember.id).limit(1)) is not None


def seed_demo(
    scale: float = 1,
    seed: int = DEFAULT_SEED,
    sessions_per_case: int | None = None,
    now: datetime = DEMO_NOW,
) -> DemoSummary:
    """Build the demo practice in the current database; flushes, does not commit.

    ``scale`` multiplies counsellors and cases; ``sessions_per_case`` sets the average number of
    sessions of a case; ``now`` is the moment the practice is seen from (every session before it,
    the planned appointments and open check-in links after it): the fixed ``DEMO_NOW`` by
    default, so that one seed gives the same practice anywhere; the command passes today.
    Raises DemoError if the database already has staff or lacks the default
    vocabulary, and ValueError for a scale or a number of sessions per case that is not
    positive.
    """
    if scale <= 0:
        raise ValueError(f"Scale must be positive, got {scale}")
    if sessions_per_case is not None and sessions_per_case < 1:
        raise ValueError(f"Sessions per case must be at least 1, got {sessions_per_case}")
    if has_staff():
        raise DemoError("The database already has staff; the demo only seeds an empty practice.")
    try:
        vocabulary = Vocabulary.read()
    except MissingVocabulary as error:
        raise DemoError(str(error)) from error
    started = time.perf_counter()
    rng = random.Random(seed)
    n_counsellors = max(1, round(COUNSELLORS_PER_SCALE * scale))
    n_supervisors = max(2, round(n_counsellors / COUNSELLORS_PER_SUPERVISOR))
    n_cases = max(1, round(CASES_PER_SCALE * scale))
    counsellors = create_staff(rng, n_supervisors, n_counsellors, password=DEMO_PASSWORD, now=now)
    builder = PracticeBuilder(rng, vocabulary, sessions_per_case or SESSIONS_PER_CASE, now)
    builder.build_cases(n_cases, counsellors)
    builder.finish()
    appointments = write_appointments(now)
    _hand_over_one_case()
    # The showcase couple's cycle map, revised over their sessions (no random draws).
    add_cycle_map(SHOWCASE_REFERENCE)
    add_change_events()
    # Its own random stream, so that the rest of the practice stays what it always was.
    checkins, checkin_csi4 = add_checkins(random.Random(seed + 18), now)
    add_goals()
    directed = add_directed_moments()
    csi16 = add_csi16()
    count = builder.rows.count
    staff = 1 + n_supervisors + n_counsellors
    audit.record(
        "demo_seeded",
        object_type="Practice",
        actor_label="demo",
        detail={
            "scale": scale,
            "seed": seed,
            "staff": staff,
            "cases": count[Case],
            "sessions": count[TherapySession],
            "moments": count[Moment] + directed,
            "appointments": appointments,
        },
    )
    db.flush()
    return DemoSummary(
        staff=staff,
        supervisors=n_supervisors,
        counsellors=n_counsellors,
        cases=count[Case],
        partners=count[Partner],
        sessions=count[TherapySession],
        moments=count[Moment] + directed,
        assignments=count[ScriptAssignment],
        observations=count[ScriptObservation],
        measures=count[MeasureResponse] + checkin_csi4 + csi16,
        checkins=checkins,
        addenda=count[Addendum],
        seconds=time.perf_counter() - started,
    )
