"""A believable demo practice, built deterministically for demos, screenshots and benchmarks.

``flask practice seed-demo`` calls :func:`seed_demo`. Everything random comes from
``random.Random(seed)`` and every date from a fixed "today" (:data:`DEMO_TODAY`), so one seed gives
the same practice on any machine and any day. The people are invented; the notes are built from
templates in a counsellor's plain language.

Staff of the base practice go through :func:`practice.services.accounts.create_staff`; everything
else is bulk-inserted with primary keys assigned here, so no row needs a flush of its own and a
scaled-up practice (``scale=50``: some 2,000 cases) still takes a minute or two.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from practice import audit
from practice.accounts import operations as accounts
from practice.accounts.models import Account, Role, StaffMember
from practice.accounts.passwords import hash_password
from practice.cases.models import Case, CaseKind, CaseStatus, CycleRole, Partner
from practice.core.database import db
from practice.measures import csi4
from practice.measures.models import MeasureResponse
from practice.moments import balance
from practice.moments.balance import Valence
from practice.moments.models import Moment, MomentType
from practice.scripts import adoption
from practice.scripts.models import (
    AssignmentStatus,
    Script,
    ScriptAssignment,
    ScriptObservation,
    ScriptRole,
)
from practice.sessions.models import (
    Addendum,
    Modality,
    NoteStatus,
    ReviewStatus,
    TherapySession,
    session_attendance,
)
from practice.sessions.operations import note_digest

DEMO_PASSWORD = "demo-practice-2026"
# The demo's "today": fixed so that the practice looks the same whenever it is seeded.
DEMO_TODAY = date(2026, 11, 20)
DEMO_NOW = datetime(2026, 11, 20, 18, 0, tzinfo=UTC)
DEFAULT_SEED = 2026

COUNSELLORS_PER_SCALE = 6
CASES_PER_SCALE = 40
COUNSELLORS_PER_SUPERVISOR = 5
SESSIONS_PER_CASE = 15
SHOWCASE_REFERENCE = "C-0001"
SHOWCASE_SESSIONS = 20

# Rows per INSERT statement, and sessions generated before the buffers are written out.
_CHUNK_ROWS = 5_000
_FLUSH_SESSIONS = 2_000

IMPROVING, STUCK, WORSENING = "improving", "stuck", "worsening"


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

    def lines(self) -> list[str]:
        """The summary as lines for the command line."""
        return [
            f"Demo practice seeded in {self.seconds:.1f} s:",
            f"  {self.staff:,} staff, {self.cases:,} cases, {self.partners:,} partners",
            f"  {self.sessions:,} sessions, {self.moments:,} cycle moments, "
            f"{self.addenda:,} addenda",
            f"  {self.assignments:,} script assignments, {self.observations:,} script "
            f"observations, {self.measures:,} CSI-4 responses",
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
            "  admin@example.com (admin)",
            f"  {span(Role.SUPERVISOR, self.supervisors)} (supervisors)",
            f"  {span(Role.COUNSELLOR, self.counsellors)} (counsellors)",
            f"  password for all: {DEMO_PASSWORD}",
        ]


def has_staff() -> bool:
    """Whether the database already holds any staff member (then the demo is not seeded)."""
    return db.scalar(sa.select(StaffMember.id).limit(1)) is not None


def demo_email(role: Role, number: int) -> str:
    """``counsellor@example.com``, ``counsellor2@example.com`` …; likewise for supervisors."""
    suffix = "" if number == 1 else str(number)
    return f"{role.value}{suffix}@example.com"


def seed_demo(
    scale: float = 1, seed: int = DEFAULT_SEED, sessions_per_case: int | None = None
) -> DemoSummary:
    """Build the demo practice in the current database; flushes, does not commit.

    ``scale`` multiplies counsellors and cases; ``sessions_per_case`` sets the average number of
    sessions of a case. Raises DemoError if the database already has staff or lacks the default
    vocabulary, and ValueError for a scale or db count that is not positive.
    """
    if scale <= 0:
        raise ValueError(f"Scale must be positive, got {scale}")
    if sessions_per_case is not None and sessions_per_case < 1:
        raise ValueError(f"Sessions per case must be at least 1, got {sessions_per_case}")
    if has_staff():
        raise DemoError("The database already has staff; the demo only seeds an empty practice.")
    started = time.perf_counter()
    rng = random.Random(seed)
    n_counsellors = max(1, round(COUNSELLORS_PER_SCALE * scale))
    n_supervisors = max(2, round(n_counsellors / COUNSELLORS_PER_SUPERVISOR))
    n_cases = max(1, round(CASES_PER_SCALE * scale))
    counsellors = _create_staff(rng, n_supervisors, n_counsellors)
    builder = _PracticeBuilder(rng, sessions_per_case or SESSIONS_PER_CASE)
    builder.build_cases(n_cases, counsellors)
    builder.finish()
    staff = 1 + n_supervisors + n_counsellors
    audit.record(
        "demo_seeded",
        object_type="Practice",
        actor_label="demo",
        detail={
            "scale": scale,
            "seed": seed,
            "staff": staff,
            "cases": builder.count[Case],
            "sessions": builder.count[TherapySession],
            "moments": builder.count[Moment],
        },
    )
    db.flush()
    return DemoSummary(
        staff=staff,
        supervisors=n_supervisors,
        counsellors=n_counsellors,
        cases=builder.count[Case],
        partners=builder.count[Partner],
        sessions=builder.count[TherapySession],
        moments=builder.count[Moment],
        assignments=builder.count[ScriptAssignment],
        observations=builder.count[ScriptObservation],
        measures=builder.count[MeasureResponse],
        addenda=builder.count[Addendum],
        seconds=time.perf_counter() - started,
    )


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# --- Staff -----------------------------------------------------------------------------------

_ADMIN_NAME = "Jordan Hale"
_SUPERVISOR_NAMES = ("Dr Ruth Adeyemi", "Dr Martin Kessler")
_COUNSELLOR_NAMES = (
    "Hannah Price",
    "Owen Gallagher",
    "Leila Haddad",
    "Tomasz Nowak",
    "Grace Mensah",
    "Isabel Fernández",
)
_BASE_COUNSELLORS = len(_COUNSELLOR_NAMES)
_STAFF_FIRST = _words(
    "Aisha Ben Carmen Daniel Elif Femi Gabriel Helen Ivan Joanna Kwame Lucia Marcus Nadia "
    "Oliver Priya Rafael Sofia Theo Una Victor Wen Yusuf Zara"
)
_STAFF_LAST = _words(
    "Ahmed Brennan Costa Doyle Eriksen Fischer Greene Hughes Ibrahim Jensen Kaur "
    "Lindqvist Moreau Novak Okoro Patel Quinn Rossi Sato Thompson Varga Walsh Young "
    "Zielinski"
)


@dataclass(frozen=True)
class _Counsellor:
    id: int
    number: int
    supervisor_id: int | None


def _create_staff(rng: random.Random, n_supervisors: int, n_counsellors: int) -> list[_Counsellor]:
    """The admin, supervisors and counsellors; returns the counsellors in order.

    The base practice (one admin, two supervisors, up to six counsellors) is created through the
    accounts service; further staff share one password hash and are bulk-inserted.
    """
    create = accounts.create_staff
    create(
        email="admin@example.com",
        display_name=_ADMIN_NAME,
        role=Role.ADMIN,
        password=DEMO_PASSWORD,
        actor_label="demo",
    )
    supervisors = [
        create(
            email=demo_email(Role.SUPERVISOR, i + 1),
            display_name=name,
            role=Role.SUPERVISOR,
            password=DEMO_PASSWORD,
            actor_label="demo",
        )
        for i, name in enumerate(_SUPERVISOR_NAMES)
    ]
    supervisor_ids = [member.id for member in supervisors]
    counsellors = []
    for number in range(1, min(n_counsellors, _BASE_COUNSELLORS) + 1):
        member = create(
            email=demo_email(Role.COUNSELLOR, number),
            display_name=_COUNSELLOR_NAMES[number - 1],
            role=Role.COUNSELLOR,
            password=DEMO_PASSWORD,
            # Counsellors 1-3 report to the first supervisor, 4-6 to the second.
            supervisor=supervisors[(number - 1) // 3],
            actor_label="demo",
        )
        counsellors.append(_Counsellor(member.id, number, member.supervisor_id))
    extra_supervisors = n_supervisors - len(_SUPERVISOR_NAMES)
    extra_counsellors = n_counsellors - len(counsellors)
    if extra_supervisors <= 0 and extra_counsellors <= 0:
        return counsellors

    ids = _IdAllocator([Account, StaffMember])
    password_hash = hash_password(DEMO_PASSWORD)
    created = DEMO_NOW - timedelta(days=400)
    used_names = {_ADMIN_NAME, *_SUPERVISOR_NAMES, *_COUNSELLOR_NAMES}

    def staff_rows(role: Role, numbers: range, supervisor_of) -> tuple[list[dict], list[dict]]:
        account_rows, member_rows = [], []
        for number in numbers:
            name = _staff_name(rng, used_names)
            email = demo_email(role, number)
            account_id = ids.take(Account)
            account_rows.append(
                {
                    "id": account_id,
                    "email": email,
                    "display_name": name,
                    "password_hash": password_hash,
                    "active": True,
                    "session_version": 1,
                    "failed_logins": 0,
                    "password_changed_at": created,
                    "created_at": created,
                }
            )
            member_rows.append(
                {
                    "id": ids.take(StaffMember),
                    "user_id": str(account_id),
                    "email": email,
                    "display_name": name,
                    "role": role.value,
                    "supervisor_id": supervisor_of(number),
                    "active": True,
                    "created_at": created,
                }
            )
        return account_rows, member_rows

    accounts_rows, supervisor_rows = staff_rows(
        Role.SUPERVISOR, range(len(_SUPERVISOR_NAMES) + 1, n_supervisors + 1), lambda _n: None
    )
    supervisor_ids += [row["id"] for row in supervisor_rows]
    # Extra counsellors go round the supervisors, the newer ones first.
    rota = supervisor_ids[len(_SUPERVISOR_NAMES) :] + supervisor_ids[: len(_SUPERVISOR_NAMES)]
    counsellor_accounts, counsellor_rows = staff_rows(
        Role.COUNSELLOR,
        range(len(counsellors) + 1, n_counsellors + 1),
        lambda n: rota[(n - len(counsellors) - 1) % len(rota)],
    )
    _insert(db, Account, accounts_rows + counsellor_accounts)
    _insert(db, StaffMember, supervisor_rows)
    _insert(db, StaffMember, counsellor_rows)
    ids.advance_sequences()
    counsellors += [
        _Counsellor(row["id"], len(counsellors) + i + 1, row["supervisor_id"])
        for i, row in enumerate(counsellor_rows)
    ]
    return counsellors


def _staff_name(rng: random.Random, used: set[str]) -> str:
    name = ""
    for attempt in range(40):
        # Middle initials once the plain names run out (large scales).
        middle = f" {rng.choice('ABCDEFGHJKLMNPRSTW')}." if attempt >= 20 else ""
        name = f"{rng.choice(_STAFF_FIRST)}{middle} {rng.choice(_STAFF_LAST)}"
        if name not in used:
            break
    used.add(name)
    return name


# --- Bulk inserts with ids assigned here -----------------------------------------------------


class _IdAllocator:
    """Hands out primary keys above the current maximum of each table.

    On PostgreSQL the tables' sequences are moved past the ids used afterwards, so rows added
    later through the ORM do not collide.
    """

    def __init__(self, models: Sequence[type]) -> None:
        self.db = db
        self.next: dict[type, int] = {}
        for model in models:
            top = self.db.scalar(sa.select(sa.func.max(model.__table__.c.id)))
            self.next[model] = (top or 0) + 1

    def take(self, model: type) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value

    def advance_sequences(self) -> None:
        if self.db.get_bind().dialect.name != "postgresql":
            return
        for model in self.next:
            table = model.__table__.name
            # GREATEST ignores NULLs: never move a sequence backwards, nor for an empty table.
            self.db.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"GREATEST((SELECT MAX(id) FROM {table}), "
                    f"pg_sequence_last_value(pg_get_serial_sequence('{table}', 'id')::regclass))) "
                    f"WHERE EXISTS (SELECT 1 FROM {table})"
                )
            )


def _insert(therapy_session, target, rows: list[dict]) -> None:
    """INSERT ``rows`` (dicts with the same keys) into a model's or table's table, in chunks."""
    statement = sa.insert(target)
    for start in range(0, len(rows), _CHUNK_ROWS):
        therapy_session.execute(statement, rows[start : start + _CHUNK_ROWS])


# --- Vocabulary ------------------------------------------------------------------------------

# Moment types by who shows them: the pursuing partner (P), the withdrawing one (W), or both.
_ESCALATING_P = (("pursue", 6), ("criticism", 3), ("escalation", 1), ("misreading", 2))
_ESCALATING_P_RARE = (("contempt", 1),)
_ESCALATING_W = (
    ("withdraw", 6),
    ("defensiveness", 3),
    ("stonewalling", 2),
    ("flooding", 2),
    ("urge_to_leave", 2),
    ("misreading", 1),
)
_ESCALATING_W_RARE = (("threat_to_end", 1),)
_ESCALATING_BOTH = (("escalation", 3), ("misreading", 1))
_DEESCALATING_P = (
    ("soft_bid", 4),
    ("softening", 3),
    ("repair_attempt", 2),
    ("empathic_response", 2),
)
_DEESCALATING_W = (
    ("withdrawer_reengagement", 4),
    ("break_returned", 3),
    ("softening", 2),
    ("repair_attempt", 2),
    ("empathic_response", 1),
)
_DEESCALATING_BOTH = (("naming_cycle", 3), ("de_escalation", 3))
_NEUTRAL = (("trigger_identified", 3), ("underlying_fear", 3), ("attachment_need", 3))
_NEUTRAL_BOTH = ("trigger_identified",)

_WITHDRAWER_SCRIPT = "I need time to process this, but I'm open to talk soon."
_PURSUER_SCRIPT = "When would be a good time for us to sit with this together?"


@dataclass(frozen=True)
class _ScriptRow:
    id: int
    text: str
    role: str


class _Vocabulary:
    """The seeded moment types and scripts, looked up by key and role in the database."""

    def __init__(self) -> None:
        rows = db.execute(
            sa.select(MomentType.key, MomentType.id, MomentType.valence).where(MomentType.active)
        ).all()
        self.moment_type = {key: type_id for key, type_id, _ in rows}
        self.valence = {key: valence for key, _, valence in rows}
        needed = {
            key
            for pool in (
                _ESCALATING_P,
                _ESCALATING_P_RARE,
                _ESCALATING_W,
                _ESCALATING_W_RARE,
                _ESCALATING_BOTH,
                _DEESCALATING_P,
                _DEESCALATING_W,
                _DEESCALATING_BOTH,
                _NEUTRAL,
            )
            for key, _ in pool
        }
        missing = sorted(needed - self.moment_type.keys())
        if missing:
            raise DemoError(
                "The default moment types are missing or retired "
                f"({', '.join(missing)}); seed the demo into a freshly migrated database."
            )
        scripts = [
            _ScriptRow(*row)
            for row in db.execute(
                sa.select(Script.id, Script.text, Script.intended_role)
                .where(Script.active)
                .order_by(Script.position, Script.id)
            )
        ]
        self.by_role = {
            role: [s for s in scripts if s.role == role]
            for role in (ScriptRole.PURSUER, ScriptRole.WITHDRAWER, ScriptRole.EITHER)
        }
        by_text = {s.text: s for s in scripts}
        self.withdrawer_script = by_text.get(_WITHDRAWER_SCRIPT)
        self.pursuer_script = by_text.get(_PURSUER_SCRIPT)
        if self.withdrawer_script is None or self.pursuer_script is None:
            raise DemoError(
                "The two default scripts are missing or retired; seed the demo into a freshly "
                "migrated database."
            )


# --- Invented people and their stories -------------------------------------------------------

_NAMES = {
    "she/her": _words(
        "Maya Amira Beth Chloe Dana Eva Fatima Grace Hana Ines Jess Kate Lena Mia Nadia "
        "Olivia Priya Rosa Sara Tara Uma Vera Yasmin Zoe Anna Carla Elena Lucy Nora Ruth"
    ),
    "he/him": _words(
        "Tom Adam Ben Chris David Emre Felix George Hassan Ian Jamal Karl Liam Marco Nick "
        "Omar Paul Raj Sam Tariq Victor Will Yusuf Dan Leo Joe Mark Ravi Simon Theo"
    ),
    "they/them": _words("Alex Robin Jules Kit Rowan Sky Charlie Frankie Jo Remy"),
}
_INITIALS = _words("A. B. C. D. E. F. G. H. J. K. L. M. N. P. R. S. T. V. W.")


@dataclass(frozen=True)
class _Topic:
    concern: str
    goals: tuple[str, ...]
    things: tuple[str, ...]


# ``{a}`` and ``{b}`` are the first and second partner.
_TOPICS = (
    _Topic(
        "Deciding whether to move abroad for {a}'s job offer. {a} wants to talk it through "
        "again and again; {b} avoids the subject, and conversations end in an argument or silence.",
        (
            "Reach a decision about the move that both can live with",
            "Talk about the move once a week without it ending in a shutdown",
        ),
        ("the job offer", "the move", "the visa paperwork", "telling the family about the move"),
    ),
    _Topic(
        "Distance and frequent arguments since their first child was born eight months ago. Both "
        "exhausted; {a} feels alone with the night feeds, {b} feels nothing they do is right.",
        (
            "Feel like a team again with the baby",
            "Ask for help directly instead of through criticism",
        ),
        (
            "the night feeds",
            "who gets to sleep in",
            "the baby's routine",
            "a visit from {b}'s mother",
        ),
    ),
    _Topic(
        "{b}'s long working hours. {a} raises it and feels dismissed; {b} feels criticised and "
        "retreats further into work.",
        (
            "Protect two evenings a week for the relationship",
            "{a} to raise concerns without blame; {b} to stay in the conversation",
        ),
        (
            "working late again",
            "the cancelled dinner",
            "checking emails at the table",
            "the weekend",
        ),
    ),
    _Topic(
        "Recurring fights about housework and the mental load of running the household.",
        (
            "Agree a fair division of household tasks",
            "Notice the cycle as it starts and name it together",
        ),
        ("the washing-up", "the shopping list", "the school forms", "the state of the kitchen"),
    ),
    _Topic(
        "Rebuilding trust after {b} disclosed debts they had kept hidden for two years.",
        (
            "Rebuild trust through openness about money",
            "Talk about finances monthly without an escalation",
        ),
        ("the credit card statement", "the budget", "a large purchase", "the savings account"),
    ),
    _Topic(
        "Tension about time with {b}'s family; {a} feels second in line, {b} feels caught between "
        "them.",
        (
            "Agree together how holidays and visits are planned",
            "{a} to feel that the relationship comes first",
        ),
        ("Sunday lunch at {b}'s parents'", "the holiday plans", "a comment from {b}'s sister"),
    ),
    _Topic(
        "Loss of emotional and physical closeness; both describe living like flatmates.",
        (
            "Rebuild everyday moments of closeness",
            "Both able to say what they need without fear of rejection",
        ),
        ("going to bed at different times", "the anniversary", "a missed hug at the door"),
    ),
    _Topic(
        "Blended family: disagreements about parenting {a}'s teenage son and feeling on opposite "
        "sides.",
        (
            "Present a united front on house rules",
            "Keep the couple relationship separate from the parenting disagreements",
        ),
        ("the curfew", "the son's school report", "screen time", "the weekend with his father"),
    ),
    _Topic(
        "Adjusting after {a}'s diagnosis of a long-term illness; {b} copes by staying busy, {a} "
        "feels left alone with the fear.",
        (
            "Share worries about the illness without the other shutting down",
            "Find a way to talk about the future together",
        ),
        ("the hospital appointment", "the test results", "cancelling the trip", "the medication"),
    ),
    _Topic(
        "{b} retired this year; more time together has brought old arguments back to the surface.",
        (
            "Build a new routine that suits both",
            "Repair after arguments within a day",
        ),
        ("plans for the week", "the garden", "spending on the caravan", "time with friends"),
    ),
    _Topic(
        "Repairing after an emotional affair that {b} disclosed in the spring.",
        (
            "Rebuild trust at a pace both can manage",
            "{a} able to ask questions without it ending in a fight",
        ),
        ("a late message on the phone", "the anniversary of the disclosure", "a work trip"),
    ),
    _Topic(
        "Grief after a miscarriage last year; each grieves differently and feels the other does "
        "not understand.",
        (
            "Make room for both ways of grieving",
            "Talk about trying again without either shutting down",
        ),
        ("the due date", "a friend's pregnancy announcement", "the memory box", "trying again"),
    ),
)
_COMMON_GOALS = (
    "Recognise the pursue-withdraw cycle as it starts and name it together",
    "Each able to ask for reassurance directly",
    "Take breaks during conflict and come back to the conversation",
    "Feel safe enough to show hurt instead of anger",
)
# By the client's cycle role.
_INDIVIDUAL_TOPICS = {
    CycleRole.WITHDRAWER: (
        "Individual work: a pattern of shutting down when a partner is upset, then feeling "
        "ashamed; the partner is not in therapy.",
        ("Stay present in difficult conversations", "Name overwhelm before it becomes shutdown"),
    ),
    CycleRole.PURSUER: (
        "Individual work: panic when a partner goes quiet, pressing for reassurance and then "
        "feeling ashamed of the intensity; the partner is not in therapy.",
        ("Soothe the panic before reaching out", "Ask for closeness without protest"),
    ),
    CycleRole.UNCLEAR: (
        "Individual work after a separation; wants to understand the part they played in a "
        "pursue-withdraw cycle that repeated across relationships.",
        ("Understand own attachment pattern", "Notice the cycle early in a new relationship"),
    ),
}
_FAMILY_TOPICS = (
    (
        "Family work: escalating conflict between the parents and their 15-year-old; the parents "
        "pull in opposite directions.",
        ("Fewer shouting matches at home", "Parents agree a shared response before acting"),
    ),
    (
        "Family work after the parents' reconciliation; the eldest feels caught in the middle.",
        ("Everyone able to say what they need at home", "Repair after arguments as a family"),
    ),
)
_PAUSE_REASONS = (
    "Paused at the couple's request while {a} works abroad until January; review then.",
    "Paused for financial reasons; the couple will be in touch when they can resume.",
    "Paused after {b}'s surgery; to resume when recovered.",
)
_PAUSE_REASONS_OTHER = (
    "Paused at the client's request over the holidays; review in January.",
    "Paused while {a} is in hospital; to resume when well.",
)
# Indexed by whether the work went well.
_CLOSE_REASONS_OTHER = (
    (
        "Closed at the client's request; the door is left open.",
        "Referred on to a longer-term service.",
    ),
    ("Ending agreed; goals largely met.",),
)
_CLOSE_REASONS = {
    IMPROVING: (
        "Goals met; ending agreed together, with a follow-up offered in three months.",
        "Ended by agreement: both now catch and name the cycle at home.",
    ),
    STUCK: (
        "Closed: the couple decided to stop for now; referral to a group programme offered.",
        "Closed after two cancelled sessions and no reply to follow-up contact.",
    ),
    WORSENING: (
        "Closed: the couple decided to separate; referred for support with co-parenting.",
        "Closed: {b} did not wish to continue couple work; individual referral offered to both.",
    ),
}


@dataclass
class _Person:
    id: int
    name: str
    pronouns: str
    role: str
    position: int


@dataclass
class _Assignment:
    id: int
    person: _Person
    script: _ScriptRow
    assign_index: int
    adopt_after: int | None  # observations before the level reaches 2; None: never adopted
    retire_after: int | None  # observations before the assignment is retired
    row: dict = field(default_factory=dict)
    observations: int = 0
    level: int = 0
    retired: bool = False


@dataclass
class _CaseSpec:
    """The shape of one case, chosen before its sessions are written."""

    reference: str
    kind: str
    trajectory: str
    status: str
    n_sessions: int
    last_offset_days: int
    topic: int
    people: list[tuple[str, str, str]]  # name, pronouns, cycle role
    share_start: float
    share_end: float
    sessions_to_change: int
    csi_start: list[int]
    csi_end: list[int]
    video_case: bool = False
    scripts: list[tuple[int, _ScriptRow, int, int | None, int | None]] = field(default_factory=list)
    showcase: bool = False


# --- The builder -----------------------------------------------------------------------------


class _PracticeBuilder:
    """Generates cases with their sessions and writes them out in bulk."""

    MODELS = (
        Case,
        Partner,
        TherapySession,
        ScriptAssignment,
        Moment,
        ScriptObservation,
        MeasureResponse,
        Addendum,
    )

    def __init__(self, rng: random.Random, sessions_per_case: int) -> None:
        self.rng = rng
        self.mean_sessions = sessions_per_case
        self.vocab = _Vocabulary()
        self.db = db
        self.ids = _IdAllocator(self.MODELS)
        self.rows: dict[object, list[dict]] = {}
        self.count: dict[type, int] = dict.fromkeys(self.MODELS, 0)
        self._reset_rows()

    def _reset_rows(self) -> None:
        self.rows = {model: [] for model in self.MODELS}
        self.rows[session_attendance] = []

    def _add(self, model: type, row: dict) -> None:
        self.rows[model].append(row)
        self.count[model] += 1

    def flush(self) -> None:
        """Write the buffered rows, parents before children."""
        order = (
            Case,
            Partner,
            TherapySession,
            session_attendance,
            ScriptAssignment,
            Moment,
            ScriptObservation,
            MeasureResponse,
            Addendum,
        )
        for target in order:
            if self.rows[target]:
                _insert(self.db, target, self.rows[target])
        self._reset_rows()

    def finish(self) -> None:
        self.flush()
        self.ids.advance_sequences()

    # --- Case plans ----------------------------------------------------------------------

    def build_cases(self, n_cases: int, counsellors: list[_Counsellor]) -> None:
        rng = self.rng
        others = n_cases - 1
        trajectories = _spread(rng, others, {IMPROVING: 0.70, STUCK: 0.15, WORSENING: 0.15})
        statuses = _spread(
            rng,
            others,
            {CaseStatus.ACTIVE: 0.80, CaseStatus.PAUSED: 0.075, CaseStatus.CLOSED: 0.125},
        )
        kinds = _spread(
            rng, others, {CaseKind.COUPLE: 0.90, CaseKind.INDIVIDUAL: 0.05, CaseKind.FAMILY: 0.05}
        )
        for number in range(1, n_cases + 1):
            counsellor = counsellors[(number - 1) % len(counsellors)]
            reference = f"C-{number:04d}"
            if number == 1:
                spec = self._showcase_spec(reference)
            else:
                i = number - 2
                spec = self._random_spec(reference, kinds[i], trajectories[i], statuses[i])
            self._write_case(spec, counsellor)
            if len(self.rows[TherapySession]) >= _FLUSH_SESSIONS:
                self.flush()

    def _showcase_spec(self, reference: str) -> _CaseSpec:
        """C-0001: an improving couple whose two scripts are adopted at different sessions."""
        n_sessions = max(SHOWCASE_SESSIONS, self.mean_sessions)
        return _CaseSpec(
            reference=reference,
            kind=CaseKind.COUPLE,
            trajectory=IMPROVING,
            status=CaseStatus.ACTIVE,
            n_sessions=n_sessions,
            last_offset_days=4,
            topic=0,
            people=[
                ("Maya", "she/her", CycleRole.PURSUER),
                ("Tom", "he/him", CycleRole.WITHDRAWER),
            ],
            share_start=0.15,
            share_end=0.8,
            sessions_to_change=14,
            csi_start=[8, 10],
            csi_end=[17, 16],
            # Tom's script from session 3, adopted at session 8; Maya's from session 4, at 12.
            scripts=[
                (1, self.vocab.withdrawer_script, 2, 4, None),
                (0, self.vocab.pursuer_script, 3, 7, None),
            ],
            showcase=True,
        )

    def _random_spec(self, reference: str, kind: str, trajectory: str, status: str) -> _CaseSpec:
        rng = self.rng
        mean = self.mean_sessions
        n_sessions = max(3, round(rng.triangular(0.3 * mean, 1.7 * mean, mean)))
        if status == CaseStatus.ACTIVE:
            roll = rng.random()
            if roll < 0.08:
                last_offset = rng.randint(22, 34)  # overdue: no session for three weeks
            elif roll < 0.85:
                last_offset = rng.randint(1, 8)
            else:
                last_offset = rng.randint(9, 20)
        elif status == CaseStatus.PAUSED:
            last_offset = rng.randint(25, 70)
        else:
            span = int(n_sessions * 8.5)
            last_offset = rng.randint(14, max(14, 270 - span))
        people = self._people(kind)
        if trajectory == IMPROVING:
            share_start, share_end = rng.uniform(0.1, 0.3), rng.uniform(0.6, 0.85)
        elif trajectory == STUCK:
            share_start = rng.uniform(0.15, 0.35)
            share_end = share_start + rng.uniform(-0.05, 0.05)
        else:
            share_start, share_end = rng.uniform(0.35, 0.55), rng.uniform(0.08, 0.2)
        csi_start, csi_end = [], []
        for _ in people:
            if trajectory == IMPROVING:
                start = rng.randint(14, 16) if rng.random() < 0.15 else rng.randint(5, 12)
                end = min(21, max(start + 3, rng.randint(14, 19)))
            elif trajectory == STUCK:
                start = rng.randint(7, 13)
                end = start + rng.randint(-2, 1)
            else:
                start = rng.randint(9, 15)
                end = max(2, start - rng.randint(5, 8))
            csi_start.append(start)
            csi_end.append(end)
        spec = _CaseSpec(
            reference=reference,
            kind=kind,
            trajectory=trajectory,
            status=status,
            n_sessions=n_sessions,
            last_offset_days=last_offset,
            topic=rng.randrange(len(_TOPICS)),
            people=people,
            share_start=share_start,
            share_end=share_end,
            sessions_to_change=rng.randint(10, 18),
            csi_start=csi_start,
            csi_end=csi_end,
            video_case=rng.random() < 0.2,
        )
        spec.scripts = self._script_plan(spec)
        return spec

    def _people(self, kind: str) -> list[tuple[str, str, str]]:
        rng = self.rng
        if kind == CaseKind.INDIVIDUAL:
            pronouns = rng.choice(("she/her", "he/him", "she/her", "he/him", "they/them"))
            role = rng.choice((CycleRole.PURSUER, CycleRole.WITHDRAWER, CycleRole.UNCLEAR))
            return [(self._name(pronouns, set()), pronouns, role)]
        if kind == CaseKind.FAMILY:
            used: set[str] = set()
            pronouns = [("she/her", "he/him"), ("she/her", "she/her"), ("he/him", "he/him")][
                rng.randrange(3)
            ] + (rng.choice(("she/her", "he/him", "they/them")),)
            roles = (CycleRole.PURSUER, CycleRole.WITHDRAWER, CycleRole.UNCLEAR)
            return [(self._name(p, used), p, role) for p, role in zip(pronouns, roles, strict=True)]
        roll = rng.random()
        if roll < 0.65:
            pair = ["she/her", "he/him"]
            rng.shuffle(pair)
        elif roll < 0.77:
            pair = ["she/her", "she/her"]
        elif roll < 0.94:
            pair = ["he/him", "he/him"]
        else:
            pair = ["they/them", rng.choice(("she/her", "he/him", "they/them"))]
        roll = rng.random()
        if roll < 0.8:
            roles = [CycleRole.PURSUER, CycleRole.WITHDRAWER]
        elif roll < 0.9:
            roles = [CycleRole.MIXED, rng.choice((CycleRole.MIXED, CycleRole.WITHDRAWER))]
        else:
            roles = [CycleRole.UNCLEAR, CycleRole.UNCLEAR]
        used = set()
        return [(self._name(p, used), p, role) for p, role in zip(pair, roles, strict=True)]

    def _name(self, pronouns: str, used: set[str]) -> str:
        """A first name, or now and then initials only, not yet used in the case."""
        for _ in range(10):
            if self.rng.random() < 0.08:
                name = self.rng.choice(_INITIALS)
            else:
                name = self.rng.choice(_NAMES[pronouns])
            if name not in used:
                used.add(name)
                return name
        return f"Partner {len(used) + 1}"

    def _script_plan(
        self, spec: _CaseSpec
    ) -> list[tuple[int, _ScriptRow, int, int | None, int | None]]:
        """(person index, script, assigned at session index, adopt after, retire after)."""
        rng = self.rng
        if spec.n_sessions < 4:
            return []
        roles = [role for _, _, role in spec.people]
        wanted: list[tuple[int, _ScriptRow]] = []
        either = list(self.vocab.by_role[ScriptRole.EITHER])
        rng.shuffle(either)
        for index, role in enumerate(roles):
            if role == CycleRole.WITHDRAWER and rng.random() < 0.85:
                wanted.append((index, self.vocab.withdrawer_script))
            elif role == CycleRole.PURSUER and rng.random() < 0.85:
                wanted.append((index, self.vocab.pursuer_script))
        extra = 1 if not wanted else (1 if rng.random() < 0.35 else 0)
        for script in either[:extra]:
            wanted.append((rng.randrange(len(roles)), script))
        wanted = wanted[:3]
        paces = {
            IMPROVING: ((0.45, "early"), (0.40, "late"), (0.15, "never")),
            STUCK: ((0.10, "early"), (0.40, "late"), (0.50, "never")),
            WORSENING: ((0.0, "early"), (0.30, "late"), (0.70, "never")),
        }[spec.trajectory]
        plan = []
        first = rng.randint(1, min(4, spec.n_sessions - 2))
        for person_index, script in wanted:
            assign_index = min(spec.n_sessions - 2, first + rng.randint(0, 2))
            pace = rng.choices([p for _, p in paces], [w for w, _ in paces])[0]
            adopt_after = {"early": rng.randint(1, 3), "late": rng.randint(5, 10), "never": None}[
                pace
            ]
            retire_after = None
            if rng.random() < 0.12:
                # Retired: either never taken up, or well established and no longer tracked.
                retire_after = rng.randint(5, 8) if adopt_after is None else adopt_after + 5
            plan.append((person_index, script, assign_index, adopt_after, retire_after))
        return plan

    # --- Writing a case ------------------------------------------------------------------

    def _write_case(self, spec: _CaseSpec, counsellor: _Counsellor) -> None:
        rng = self.rng
        case_id = self.ids.take(Case)
        people = []
        for position, (name, pronouns, role) in enumerate(spec.people):
            person = _Person(self.ids.take(Partner), name, pronouns, role, position)
            people.append(person)
        names = {"a": people[0].name, "b": people[-1].name}
        pursuer = next((p for p in people if p.role == CycleRole.PURSUER), people[0])
        withdrawer = next((p for p in people if p.role == CycleRole.WITHDRAWER), people[-1])
        if spec.kind == CaseKind.COUPLE:
            topic = _TOPICS[spec.topic]
            concern = topic.concern.format(**names)
            goals = [g.format(**names) for g in topic.goals]
            goals.append(rng.choice(_COMMON_GOALS))
            things = [t.format(**names) for t in topic.things]
        else:
            if spec.kind == CaseKind.INDIVIDUAL:
                concern, goal_list = _INDIVIDUAL_TOPICS[people[0].role]
            else:
                concern, goal_list = _FAMILY_TOPICS[spec.topic % len(_FAMILY_TOPICS)]
            goals = list(goal_list)
            things = ["a row at home", "a difficult phone call", "the weekend", "a family visit"]

        starts = self._session_times(spec)
        opened_on = starts[0].date() - timedelta(days=rng.randint(3, 12))
        closed_on = None
        status_reason = None
        if spec.status == CaseStatus.CLOSED:
            closed_on = min(DEMO_TODAY, starts[-1].date() + timedelta(days=rng.randint(5, 15)))
            reasons = (
                _CLOSE_REASONS[spec.trajectory]
                if spec.kind == CaseKind.COUPLE
                else _CLOSE_REASONS_OTHER[spec.trajectory == IMPROVING]
            )
            status_reason = rng.choice(reasons).format(**names)
        elif spec.status == CaseStatus.PAUSED:
            reasons = _PAUSE_REASONS if spec.kind == CaseKind.COUPLE else _PAUSE_REASONS_OTHER
            status_reason = rng.choice(reasons).format(**names)

        assignments = [
            _Assignment(
                id=0,
                person=people[person_index],
                script=script,
                assign_index=assign_index,
                adopt_after=adopt_after,
                retire_after=retire_after,
            )
            for person_index, script, assign_index, adopt_after, retire_after in spec.scripts
            if person_index < len(people)
        ]
        csi_at = set(range(0, spec.n_sessions, 4)) if spec.kind == CaseKind.COUPLE else set()
        if spec.kind == CaseKind.COUPLE and spec.n_sessions > 6:
            csi_at.add(spec.n_sessions - 1)
        stage = 1
        story = _Story(rng, people, pursuer, withdrawer, things, spec)
        for index, starts_at in enumerate(starts):
            session_id = self.ids.take(TherapySession)
            progress = min(1.0, index / spec.sessions_to_change)
            stage = self._stage(spec, index, progress, stage)
            duration = self._duration(index)
            modality = self._modality(spec)
            ends_at = starts_at + timedelta(minutes=duration)
            attendees = self._attendance(spec, people, index)
            for person in attendees:
                self.rows[session_attendance].append(
                    {"session_id": session_id, "partner_id": person.id}
                )
            # Scripts first: a moment may quote a script the partner now uses.
            script_events = self._observe_scripts(
                case_id, session_id, index, ends_at, assignments, attendees, rng.choice(things)
            )
            moments = self._moments(
                spec,
                session_id,
                starts_at,
                duration,
                progress,
                (attendees, pursuer, withdrawer),
                assignments,
                things,
                counsellor.id,
            )
            loads = balance.cycle_balance(
                (self.vocab.valence[key], intensity) for key, intensity in moments
            )
            measured = self._measures(
                spec, session_id, index, ends_at, attendees, people, csi_at, counsellor.id
            )
            note = story.note(
                index=index,
                starts_at=starts_at,
                modality=modality,
                attendees=attendees,
                stage=stage,
                share=loads.softening_share,
                moment_keys=[key for key, _ in moments],
                measured=measured,
                script_events=script_events,
                has_scripts=any(a.id and not a.retired for a in assignments),
                last=index == len(starts) - 1,
            )
            self._add_session(
                spec,
                counsellor,
                {
                    "id": session_id,
                    "case_id": case_id,
                    "starts_at": starts_at,
                    "duration_minutes": duration,
                    "modality": modality,
                    "eft_stage": stage,
                },
                note,
                last=index == len(starts) - 1,
                second_last=index == len(starts) - 2,
            )
        self._add(
            Case,
            {
                "id": case_id,
                "reference": spec.reference,
                "kind": spec.kind,
                "counsellor_id": counsellor.id,
                "status": spec.status,
                "status_reason": status_reason,
                "opened_on": opened_on,
                "closed_on": closed_on,
                "presenting_concerns": concern,
                "goals": "\n".join(goals),
                "eft_stage": stage,
                "version": 1,
                "created_at": _at(opened_on, 9),
                "updated_at": min(DEMO_NOW, starts[-1] + timedelta(hours=2)),
            },
        )
        for person in people:
            self._add(
                Partner,
                {
                    "id": person.id,
                    "case_id": case_id,
                    "display_name": person.name,
                    "pronouns": person.pronouns,
                    "cycle_role": person.role,
                    "position": person.position,
                },
            )

    def _session_times(self, spec: _CaseSpec) -> list[datetime]:
        """Weekly-ish start times, the latest ``last_offset_days`` before the demo's today."""
        rng = self.rng
        hour = rng.choice((8, 9, 10, 11, 13, 14, 15, 16, 17, 18))
        minute = rng.choice((0, 0, 30))
        day = _weekday_or_earlier(DEMO_TODAY - timedelta(days=spec.last_offset_days))
        days = [day]
        gaps = (7, 14, 6, 8, 21, 5)
        weights = (70, 14, 4, 4, 5, 3)
        for _ in range(spec.n_sessions - 1):
            gap = rng.choices(gaps, weights)[0] if not spec.showcase else rng.choice((7, 7, 7, 14))
            days.append(_weekday_or_earlier(days[-1] - timedelta(days=gap)))
        days.reverse()
        times = []
        for d in days:
            shift = rng.choice((0, 0, 0, 0, 0, 1, -1))
            times.append(datetime(d.year, d.month, d.day, hour + shift, minute, tzinfo=UTC))
        return times

    def _stage(self, spec: _CaseSpec, index: int, progress: float, stage: int) -> int:
        if spec.trajectory != IMPROVING or spec.kind == CaseKind.INDIVIDUAL:
            return stage
        if stage == 1 and progress >= 0.5 and index >= 4:
            return 2
        if stage == 2 and progress >= 0.95 and index >= 12:
            return 3
        return stage

    def _duration(self, index: int) -> int:
        if index == 0 and self.rng.random() < 0.5:
            return 80
        return self.rng.choices((50, 60, 75, 90), (80, 5, 7, 8))[0]

    def _modality(self, spec: _CaseSpec) -> str:
        roll = self.rng.random()
        if spec.video_case:
            return Modality.VIDEO if roll < 0.75 else Modality.IN_PERSON
        if roll < 0.8:
            return Modality.IN_PERSON
        return Modality.VIDEO if roll < 0.94 else Modality.PHONE

    def _attendance(self, spec: _CaseSpec, people: list[_Person], index: int) -> list[_Person]:
        if len(people) == 1 or index < 2 or spec.showcase:
            return list(people)
        roll = self.rng.random()
        if spec.kind == CaseKind.FAMILY and roll < 0.15:
            return sorted(self.rng.sample(people, 2), key=lambda p: p.position)
        if spec.kind == CaseKind.COUPLE and roll < 0.07:
            return [self.rng.choice(people)]
        return list(people)

    def _observe_scripts(
        self,
        case_id: int,
        session_id: int,
        index: int,
        ends_at: datetime,
        assignments: list[_Assignment],
        attendees: list[_Person],
        thing: str,
    ) -> list[tuple[str, _Assignment]]:
        """Assign, observe and retire scripts at this session; returns what happened."""
        rng = self.rng
        events = []
        for assignment in assignments:
            if assignment.retired or index < assignment.assign_index:
                continue
            if index == assignment.assign_index:
                assignment.id = self.ids.take(ScriptAssignment)
                assignment.row = {
                    "id": assignment.id,
                    "case_id": case_id,
                    "partner_id": assignment.person.id,
                    "script_id": assignment.script.id,
                    "assigned_session_id": session_id,
                    "status": AssignmentStatus.ACTIVE,
                    "retired_session_id": None,
                    "retired_at": None,
                    "created_at": ends_at,
                }
                self._add(ScriptAssignment, assignment.row)
                events.append(("assigned", assignment))
                continue
            present = assignment.person in attendees
            j = assignment.observations
            assignment.observations += 1
            if not present:
                level, note = 0, "Not present at this session."
            else:
                level = _adoption_level(rng, j, assignment.adopt_after)
                note = _observation_note(rng, level, assignment.person.name, thing)
            assignment.level = level
            self._add(
                ScriptObservation,
                {
                    "id": self.ids.take(ScriptObservation),
                    "assignment_id": assignment.id,
                    "session_id": session_id,
                    "level": level,
                    "note": note,
                    "recorded_at": ends_at + timedelta(minutes=5),
                },
            )
            events.append(("observed", assignment))
            if assignment.retire_after is not None and assignment.observations >= (
                assignment.retire_after
            ):
                # The row is still buffered: a case is written out as a whole.
                assignment.retired = True
                assignment.row["status"] = AssignmentStatus.RETIRED
                assignment.row["retired_session_id"] = session_id
                assignment.row["retired_at"] = ends_at
                events.append(("retired", assignment))
        return events

    def _moments(
        self,
        spec: _CaseSpec,
        session_id: int,
        starts_at: datetime,
        duration: int,
        progress: float,
        cast: tuple[list[_Person], _Person, _Person],
        assignments: list[_Assignment],
        things: list[str],
        counsellor_id: int,
    ) -> list[tuple[str, int]]:
        """Buffer 4-12 moments whose balance follows the case's trajectory; (key, intensity)."""
        rng = self.rng
        attendees, pursuer, withdrawer = cast
        share = spec.share_start + (spec.share_end - spec.share_start) * progress
        share = min(0.95, max(0.03, share + rng.gauss(0, 0.04)))
        count = rng.randint(4, 12)
        neutral = sum(rng.random() < 0.15 for _ in range(count))
        valenced = count - neutral
        soft = min(valenced, max(0, round(share * valenced + rng.gauss(0, 0.4))))
        kinds = (
            [Valence.NEUTRAL] * neutral
            + [Valence.DEESCALATING] * soft
            + [Valence.ESCALATING] * (valenced - soft)
        )
        rng.shuffle(kinds)
        minutes = sorted(rng.randint(2, max(2, duration - 3)) for _ in range(count))
        improving = progress if spec.trajectory == IMPROVING else 0.0
        worsening = progress if spec.trajectory == WORSENING else 0.0
        both_present = len(attendees) > 1
        adopted = {
            a.person.id: a
            for a in assignments
            if not a.retired and a.level >= adoption.ADOPTED_LEVEL
        }
        result = []
        for kind, minute in zip(kinds, minutes, strict=True):
            actor = self._actor(attendees, pursuer, withdrawer, both_present)
            if kind == Valence.ESCALATING:
                key = self._escalating_key(actor, pursuer, withdrawer, worsening)
                intensity = _clamp(round(rng.gauss(3.4 - 0.7 * improving + 0.5 * worsening, 0.7)))
            elif kind == Valence.DEESCALATING:
                key = self._deescalating_key(actor, pursuer, withdrawer)
                intensity = _clamp(round(rng.gauss(2.5 + 0.8 * improving, 0.7)))
            else:
                key = rng.choices([k for k, _ in _NEUTRAL], [w for _, w in _NEUTRAL])[0]
                if actor is not None and key in _NEUTRAL_BOTH and rng.random() < 0.6:
                    actor = None
                elif actor is None and key not in _NEUTRAL_BOTH:
                    actor = rng.choice(attendees)
                intensity = rng.choice((2, 2, 3, 3, 4))
            if actor is None and not both_present:
                actor = attendees[0]
            context = _moment_context(rng, key, actor, attendees, adopted, things)
            self._add(
                Moment,
                {
                    "id": self.ids.take(Moment),
                    "session_id": session_id,
                    "moment_type_id": self.vocab.moment_type[key],
                    "partner_id": actor.id if actor is not None else None,
                    "minute": minute,
                    "intensity": intensity,
                    "context": context,
                    "created_by_id": counsellor_id,
                    "created_at": starts_at + timedelta(minutes=minute),
                    "voided_at": None,
                    "void_reason": None,
                },
            )
            result.append((key, intensity))
        return result

    def _actor(self, attendees, pursuer, withdrawer, both_present) -> _Person | None:
        roll = self.rng.random()
        if both_present and roll < 0.15:
            return None
        if pursuer in attendees and withdrawer in attendees:
            return pursuer if roll < 0.58 else withdrawer
        return self.rng.choice(attendees)

    def _escalating_key(self, actor, pursuer, withdrawer, worsening: float) -> str:
        rng = self.rng
        if actor is None:
            pool = _ESCALATING_BOTH
        elif _withdraws(actor, pursuer, withdrawer):
            pool = _ESCALATING_W + (_ESCALATING_W_RARE if rng.random() < 0.1 + worsening else ())
        else:
            pool = _ESCALATING_P + (_ESCALATING_P_RARE if rng.random() < 0.1 + worsening else ())
        return rng.choices([k for k, _ in pool], [w for _, w in pool])[0]

    def _deescalating_key(self, actor, pursuer, withdrawer) -> str:
        pool = (
            _DEESCALATING_BOTH
            if actor is None
            else _DEESCALATING_W
            if _withdraws(actor, pursuer, withdrawer)
            else _DEESCALATING_P
        )
        return self.rng.choices([k for k, _ in pool], [w for _, w in pool])[0]

    def _measures(
        self,
        spec: _CaseSpec,
        session_id: int,
        index: int,
        ends_at: datetime,
        attendees: list[_Person],
        people: list[_Person],
        csi_at: set[int],
        counsellor_id: int,
    ) -> list[tuple[_Person, int]]:
        if index not in csi_at:
            return []
        rng = self.rng
        span = max(1, min(spec.n_sessions - 1, spec.sessions_to_change + 4))
        progress = min(1.0, index / span)
        measured = []
        for position, person in enumerate(people):
            if person not in attendees:
                continue
            start, end = spec.csi_start[position], spec.csi_end[position]
            wobble = 0 if spec.showcase else round(rng.gauss(0, 1.0))
            total = round(start + (end - start) * progress) + wobble
            total = max(csi4.CSI4_MIN_TOTAL, min(csi4.CSI4_MAX_TOTAL, total))
            items = _csi4_items(rng, total)
            self._add(
                MeasureResponse,
                {
                    "id": self.ids.take(MeasureResponse),
                    "session_id": session_id,
                    "partner_id": person.id,
                    "measure": csi4.CSI4_MEASURE,
                    "items": items,
                    "total": csi4.csi4_total(items),
                    "recorded_by_id": counsellor_id,
                    "recorded_at": ends_at,
                },
            )
            measured.append((person, total))
        return measured

    def _add_session(
        self,
        spec: _CaseSpec,
        counsellor: _Counsellor,
        row: dict,
        note: tuple[str, str, str],
        *,
        last: bool,
        second_last: bool,
    ) -> None:
        """Buffer a session row, signed and co-signed as a real practice would have it by now."""
        rng = self.rng
        data, assessment, plan = note
        ends_at = row["starts_at"] + timedelta(minutes=row["duration_minutes"])
        signed_at = ends_at + timedelta(minutes=rng.randint(20, 30 * 60))
        if rng.random() < 0.06 and not spec.showcase:
            signed_at = ends_at + timedelta(minutes=rng.randint(80 * 60, 200 * 60))  # late
        overdue_draft = (
            spec.status == CaseStatus.ACTIVE
            and not spec.showcase
            and ((last and rng.random() < 0.15) or (second_last and rng.random() < 0.04))
        )
        is_draft = signed_at > DEMO_NOW or overdue_draft
        review_status = ReviewStatus.NOT_REQUIRED
        cosigned_at = None
        supervisor = counsellor.supervisor_id
        if not is_draft and supervisor is not None:
            delay = rng.randint(20, 140) if rng.random() < 0.85 else rng.randint(240, 480)
            cosigned_at = signed_at + timedelta(hours=delay, minutes=rng.randint(0, 59))
            if cosigned_at > DEMO_NOW:
                review_status, cosigned_at = ReviewStatus.PENDING, None
            else:
                review_status = ReviewStatus.COSIGNED
        if is_draft and not overdue_draft and rng.random() < 0.5:
            plan = ""  # still being written
        digest = None
        if not is_draft:
            # The signing service's canonical digest, so the notes read as intact.
            digest = note_digest(
                TherapySession(
                    id=row["id"],
                    note_data=data,
                    note_assessment=assessment,
                    note_plan=plan,
                    signed_by_id=counsellor.id,
                    signed_at=signed_at,
                )
            )
        self._add(
            TherapySession,
            {
                **row,
                "note_data": data,
                "note_assessment": assessment,
                "note_plan": plan,
                "status": NoteStatus.DRAFT if is_draft else NoteStatus.SIGNED,
                "signed_by_id": None if is_draft else counsellor.id,
                "signed_at": None if is_draft else signed_at,
                "note_sha256": digest,
                "review_status": review_status,
                "cosigned_by_id": supervisor if cosigned_at else None,
                "cosigned_at": cosigned_at,
                "voided_at": None,
                "void_reason": None,
                "created_by_id": counsellor.id,
                "created_at": ends_at,
                "updated_at": ends_at if is_draft else signed_at,
                "version": 1,
            },
        )
        if not is_draft and rng.random() < 0.03:
            written = signed_at + timedelta(hours=rng.randint(24, 120))
            if written < DEMO_NOW:
                self._add(
                    Addendum,
                    {
                        "id": self.ids.take(Addendum),
                        "session_id": row["id"],
                        "author_id": counsellor.id,
                        "created_at": written,
                        "text": rng.choice(_ADDENDA),
                    },
                )


# --- Small pieces ----------------------------------------------------------------------------


def _spread(rng: random.Random, n: int, shares: dict[str, float]) -> list[str]:
    """``n`` labels in the given proportions (largest remainders), shuffled."""
    exact = {label: share * n for label, share in shares.items()}
    counts = {label: math.floor(value) for label, value in exact.items()}
    by_remainder = sorted(exact, key=lambda label: exact[label] - counts[label], reverse=True)
    for label in by_remainder[: n - sum(counts.values())]:
        counts[label] += 1
    labels = [label for label, count in counts.items() for _ in range(count)]
    rng.shuffle(labels)
    return labels


def _withdraws(actor: _Person, pursuer: _Person, withdrawer: _Person) -> bool:
    """Whether ``actor`` plays the withdrawing part (in a one-person case, by their role)."""
    if pursuer is withdrawer:
        return actor.role == CycleRole.WITHDRAWER
    return actor is withdrawer


def _weekday_or_earlier(day: date) -> date:
    """The same day, or the Friday before when it falls on a weekend."""
    return day - timedelta(days=max(0, day.weekday() - 4))


def _at(day: date, hour: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def _clamp(value: int, low: int = 1, high: int = 5) -> int:
    return max(low, min(high, value))


def _adoption_level(rng: random.Random, j: int, adopt_after: int | None) -> int:
    """The level at the ``j``-th observation of a script adopted after ``adopt_after`` of them."""
    if adopt_after is None:
        return 1 if rng.random() < min(0.6, 0.15 + 0.06 * j) else 0
    if j < adopt_after:
        return 1 if rng.random() < 0.3 + 0.6 * j / max(1, adopt_after) else 0
    if j <= adopt_after + 1:
        return 2
    if rng.random() < 0.1:
        return 1
    return 3 if rng.random() < min(0.7, 0.2 + 0.08 * (j - adopt_after)) else 2


def _csi4_items(rng: random.Random, total: int) -> list[int]:
    """Four CSI-4 item scores within their ranges that add up to ``total``."""
    maxima = [item.maximum for item in csi4.CSI4_ITEMS]
    items = [min(m, round(total * m / csi4.CSI4_MAX_TOTAL)) for m in maxima]
    order = list(range(len(items)))
    while sum(items) != total:
        rng.shuffle(order)
        step = 1 if sum(items) < total else -1
        for i in order:
            if 0 <= items[i] + step <= maxima[i]:
                items[i] += step
                break
    # Move a point between two items now and then so the answers do not look mechanical.
    if rng.random() < 0.5:
        i, k = rng.sample(range(len(items)), 2)
        if items[i] > 0 and items[k] < maxima[k]:
            items[i] -= 1
            items[k] += 1
    return items


_OBSERVATION_NOTES = {
    0: ("", "Not used this session.", "Did not come up."),
    1: (
        "Used it after a prompt, a little stiffly.",
        "Tried it when I suggested it; found the words awkward.",
        "With prompting, used it once during the exchange about {thing}.",
    ),
    2: (
        "Used it without prompting when the conversation heated up.",
        "Unprompted, used it at the start of the exchange.",
        "Reached for it spontaneously mid-argument.",
    ),
    3: (
        "{name} reports using it at home this week; the conversation resumed later.",
        "Both report it was used at home twice since last session.",
        "{name} describes using it at home after a tense evening; it helped.",
    ),
}


def _observation_note(rng: random.Random, level: int, name: str, thing: str) -> str:
    return rng.choice(_OBSERVATION_NOTES[level]).format(name=name, thing=thing)


_CONTEXTS: dict[str, tuple[str, ...]] = {
    "pursue": (
        "Raised {thing} again before {o} had answered",
        "\u201cWhy is it always me who brings this up?\u201d",
        "Pressed for an answer about {thing}",
        "Leaned forward, voice rising",
    ),
    "criticism": (
        "\u201cYou never think about anyone but yourself.\u201d",
        "Complaint about {thing} turned into a comment about character",
        "Listed past disappointments",
    ),
    "contempt": ("Sarcastic remark about {o}'s effort", "Eye-roll as {o} spoke"),
    "escalation": (
        "Both talking over each other about {thing}",
        "Voices raised; the exchange sped up",
        "Old grievances pulled in",
    ),
    "misreading": (
        "Read {o}'s silence as not caring",
        "Took a pause as rejection",
        "Heard a late reply as not mattering",
    ),
    "misreading_w": (
        "Heard the question about {thing} as an accusation",
        "Took {o}'s worry as criticism",
    ),
    "withdraw": (
        "Went quiet and looked at the floor",
        "Turned towards the window, short answers",
        "\u201cI don't know what you want me to say.\u201d",
        "Changed the subject away from {thing}",
    ),
    "defensiveness": (
        "\u201cThat's not fair, I did try.\u201d",
        "Answered the complaint with a counter-complaint",
        "Explained at length why it was not their fault",
    ),
    "stonewalling": ("No response for over a minute", "Arms folded, silent"),
    "flooding": (
        "Said their chest was tight and they could not think",
        "Visibly overwhelmed; breathing fast",
    ),
    "urge_to_leave": ("Picked up their coat", "\u201cI need to get out of here.\u201d"),
    "threat_to_end": (
        "\u201cMaybe we should just stop trying.\u201d",
        "Said they wondered whether they should separate",
    ),
    "softening": (
        "Voice dropped; spoke about feeling alone",
        "Tearful; said they were scared of losing {o}",
        "Let the hurt show instead of the anger",
    ),
    "de_escalation": (
        "Both slowed down after the cycle was named",
        "Breathing together; the tension eased",
    ),
    "repair_attempt": (
        "\u201cLet me try that again.\u201d",
        "Reached for {o}'s hand",
        "Apologised for the tone",
    ),
    "withdrawer_reengagement": (
        "Turned back towards {o} and kept talking",
        "Said they wanted to stay in the conversation",
        "Came back to {thing} of their own accord",
    ),
    "soft_bid": (
        "Asked gently how {o} was feeling about {thing}",
        "\u201cCan we talk about this later tonight?\u201d",
        "Invited {o} in without blame",
    ),
    "naming_cycle": (
        "\u201cThis is our dance again.\u201d",
        "Both recognised the pattern as it started",
        "Named the cycle, not each other, as the problem",
    ),
    "break_returned": (
        "Asked for ten minutes and came back as agreed",
        "Took a pause and returned to {thing}",
    ),
    "empathic_response": (
        "Reflected {o}'s fear back to them",
        "\u201cI can see this matters to you.\u201d",
        "Acknowledged how hard the week had been for {o}",
    ),
    "trigger_identified": (
        "{thing} named as what set things off",
        "Recognised a late reply as the trigger",
    ),
    "underlying_fear": (
        "Fear of failing {o} put into words",
        "Fear of being left put into words",
        "Spoke of being afraid of not mattering",
    ),
    "attachment_need": (
        "Said they need to know {o} will come back",
        "Asked for reassurance directly",
        "Said they need to feel wanted",
    ),
}
_SCRIPT_MOMENTS = {"break_returned", "withdrawer_reengagement", "soft_bid", "repair_attempt"}


def _moment_context(rng, key, actor, attendees, adopted, things) -> str:
    if actor is not None and key in _SCRIPT_MOMENTS and actor.id in adopted and rng.random() < 0.5:
        return f"Used the script: \u201c{adopted[actor.id].script.text}\u201d"[:500]
    if rng.random() < 0.25:
        return ""
    other = next((p for p in attendees if p is not actor), None)
    if key == "misreading" and actor is not None and actor.role == CycleRole.WITHDRAWER:
        key = "misreading_w"
    template = rng.choice(_CONTEXTS[key])
    text = template.format(
        o=other.name if other is not None else "their partner", thing=rng.choice(things)
    )
    return text[0].upper() + text[1:]


_ADDENDA = (
    "One partner phoned two days later to say the conversation had continued calmly at home.",
    "Discussed in supervision; agreed to slow the pace of the stage 2 work.",
    "Correction to the plan: the next appointment moved to the following week.",
    "Safety re-checked by phone at the partners' request; no concerns.",
)


# --- Notes -----------------------------------------------------------------------------------


class _Story:
    """Builds a case's DAP notes from templates that follow its moments and measures."""

    def __init__(self, rng, people, pursuer, withdrawer, things, spec: _CaseSpec) -> None:
        self.rng = rng
        self.people = people
        self.p = pursuer
        self.w = withdrawer
        self.things = things
        self.spec = spec
        self.individual = len(people) == 1
        self.clear_roles = (
            pursuer.role == CycleRole.PURSUER and withdrawer.role == CycleRole.WITHDRAWER
        )

    def note(
        self,
        *,
        index: int,
        starts_at: datetime,
        modality: str,
        attendees: list[_Person],
        stage: int,
        share: float | None,
        moment_keys: list[str],
        measured: list[tuple[_Person, int]],
        script_events: list[tuple[str, _Assignment]],
        has_scripts: bool,
        last: bool,
    ) -> tuple[str, str, str]:
        """(data, assessment, plan) for one session."""
        rng = self.rng
        thing = rng.choice(self.things)
        p, w = self.p.name, self.w.name
        p_pursues = self.p.role == CycleRole.PURSUER
        everyone = len(attendees) == len(self.people)
        data = [self._attendance_line(modality, attendees, everyone)]
        if index == 0:
            about = {CaseKind.COUPLE: "the relationship", CaseKind.FAMILY: "the family"}.get(
                self.spec.kind, "their relationships"
            )
            data.append(
                f"First session: history of {about}, what brings them now, and a check of "
                "safety and substance use (no concerns disclosed)."
            )
        data.append(
            rng.choice(
                (
                    f"{p if self.individual else 'They'} described a difficult week centred "
                    f"on {thing}.",
                    f"Started with {thing}, which had come up again on {_weekday(starts_at, rng)}.",
                    f"Main topic: {thing}.",
                    f"Picked up where last session ended, around {thing}.",
                )
            )
        )
        keys = set(moment_keys)
        if self.individual:
            data.append(self._individual_line(keys))
        elif everyone:
            if {"pursue", "withdraw"} <= keys:
                data.append(
                    f"When {p} pressed about {thing}, {w} went quiet and looked away; {p} "
                    "followed with a sharper question and the exchange escalated."
                )
            elif "urge_to_leave" in keys or "flooding" in keys:
                data.append(
                    f"{w} became visibly overwhelmed mid-session; we paused and slowed the "
                    "pace before continuing."
                )
            if "softening" in keys or "withdrawer_reengagement" in keys:
                data.append(
                    rng.choice(
                        (
                            f"Later {w} turned back towards {p} and said they wanted to stay "
                            "in the conversation.",
                            f"{p}'s tone softened when talking about feeling alone; {w} "
                            "listened without defending.",
                            f"{w} said quietly that they go silent because they are afraid of "
                            f"getting it wrong; {p} was moved by this.",
                        )
                    )
                )
            if "naming_cycle" in keys:
                data.append("Both named the cycle themselves at one point (\u201cthe dance\u201d).")
        data.append(
            rng.choice(
                (
                    "I slowed the exchanges down and tracked the sequence step by step.",
                    "Reflected the cycle back to them and validated both positions.",
                    "Used enactment: asked each to turn and tell the other what they had "
                    "just said to me.",
                    "Heightened the softer feeling beneath the protest and the shutdown.",
                )
            )
        )
        for event, assignment in script_events:
            if event == "assigned":
                data.append(
                    f"Introduced the script \u201c{assignment.script.text}\u201d for "
                    f"{assignment.person.name} to practise."
                )
            elif event == "retired":
                data.append(
                    f"Stopped tracking \u201c{assignment.script.text}\u201d for "
                    f"{assignment.person.name}."
                )
        if measured:
            scores = ", ".join(f"{person.name} {total}" for person, total in measured)
            data.append(f"CSI-4 completed ({scores}).")

        assessment = [self._balance_line(share), self._stage_line(stage, p, w)]
        if "threat_to_end" in keys:
            assessment.append(
                "Ending the relationship came up when overwhelmed; understood as protest from "
                "overwhelm rather than a decision, but to be revisited calmly."
            )
        below = [person.name for person, total in measured if csi4.csi4_below_cutoff(total)]
        if below:
            assessment.append(f"CSI-4 below the {csi4.CSI4_CUTOFF:g} cut-off ({_join(below)}).")
        elif measured:
            assessment.append("CSI-4 above the cut-off.")
        if self.spec.trajectory == STUCK and index >= 6 and rng.random() < 0.5:
            assessment.append("Little movement over recent sessions; the cycle looks entrenched.")
        if self.spec.trajectory == WORSENING and index >= 5 and rng.random() < 0.5:
            assessment.append("Escalation more frequent than at intake.")
        if rng.random() < 0.2:
            assessment.append(
                "No safety concerns raised."
                if self.individual
                else "No safety concerns raised; everyone says they feel safe at home."
            )

        fears = (
            f"Next: explore the fear beneath {p}'s {'protest' if p_pursues else 'shutdown'}."
            if self.individual
            else f"Next: explore {w}'s fear of failing and {p}'s fear of being left."
        )
        plan = [
            rng.choice(
                (
                    "Continue to track the cycle and name it as it starts.",
                    "Keep building safety in session before deeper work.",
                    fears,
                    "Practise the agreed scripts at home and report back."
                    if has_scripts
                    else "Notice the cycle at home this week and bring an example.",
                )
            )
        ]
        if stage == 1 and share is not None and share > 0.55 and index >= 4:
            plan.append("Consider moving to stage 2 work over the next sessions.")
        if self.spec.trajectory in (STUCK, WORSENING) and index >= 5 and rng.random() < 0.4:
            plan.append("Bring the case to supervision.")
        if last and self.spec.status == CaseStatus.CLOSED:
            plan.append("Last session before closing; see the case status.")
        else:
            plan.append(
                rng.choice(
                    (
                        "Next session in a week.",
                        "Next session in two weeks (holiday).",
                        "Next session in a week, same time.",
                    )
                )
            )
        return " ".join(data), " ".join(assessment), " ".join(plan)

    def _attendance_line(self, modality: str, attendees: list[_Person], everyone: bool) -> str:
        rng = self.rng
        names = _join([person.name for person in attendees])
        if len(self.people) == 1:
            where = {
                Modality.IN_PERSON: "in person",
                Modality.VIDEO: "by video",
                Modality.PHONE: "by phone",
            }[modality]
            return f"{names} attended {where}."
        if not everyone:
            absent = _join([p.name for p in self.people if p not in attendees])
            return rng.choice(
                (
                    f"Individual session with {names} as planned; {absent} not present by "
                    "agreement.",
                    f"{names} attended alone; {absent} cancelled on the day (work).",
                )
            )
        if modality == Modality.VIDEO:
            return rng.choice(
                (
                    f"Video session; {names} joined together from home.",
                    f"Video session with {names}; the connection dropped once, briefly.",
                )
            )
        if modality == Modality.PHONE:
            return f"Phone session with {names} (video not available this week)."
        return rng.choice(
            (
                f"{names} attended in person.",
                f"{names} attended in person, on time.",
                f"{names} arrived separately; started on time.",
            )
        )

    def _individual_line(self, keys: set[str]) -> str:
        name = self.p.name
        if keys & {"pursue", "criticism"}:
            return (
                f"{name} described pressing their partner for an answer and the partner going "
                "quiet; recognised the rising panic before the protest."
            )
        if keys & {"withdraw", "stonewalling", "flooding", "urge_to_leave"}:
            return (
                f"{name} described going silent when their partner was upset, then feeling "
                "ashamed for an evening afterwards."
            )
        return f"{name} reflected on a calmer week and what made the difference."

    def _balance_line(self, share: float | None) -> str:
        p, w = self.p.name, self.w.name
        if share is None:
            return "Quiet session; little of the cycle was visible."
        if self.individual:
            if share < 0.3:
                return f"{p} is still caught in the cycle and mostly sees it after the event."
            if share < 0.6:
                return f"{p} is beginning to notice the pattern as it starts."
            return f"{p} can increasingly notice the urge and choose a softer response."
        if share < 0.3:
            if not self.clear_roles:
                return (
                    "Cycle highly active: both move between reaching and retreating, each "
                    "reading the other's move as rejection."
                )
            return (
                f"Cycle highly active: {p} pursuing, {w} withdrawing, each reading the other's "
                "move as rejection."
            )
        if share < 0.6:
            return (
                "Mixed session: the cycle started several times, but both could step out of it "
                "with help."
            )
        return (
            "Mostly de-escalated: they stayed with difficult feelings without the usual escalation."
        )

    def _stage_line(self, stage: int, p: str, w: str) -> str:
        if self.individual:
            return "Focus: understanding the pattern and the fear underneath it."
        if stage == 1:
            return "Stage 1 (de-escalation): helping both see the cycle as the shared problem."
        if stage == 2:
            return (
                f"Stage 2 (restructuring): {w} beginning to reach for {p}; {p} able to ask "
                "for reassurance without blame."
            )
        return "Stage 3 (consolidation): applying the new pattern to old arguments."


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def _weekday(moment: datetime, rng: random.Random) -> str:
    days = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
    return days[(moment.weekday() - rng.randint(1, 5)) % 7]
