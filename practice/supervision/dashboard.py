"""The supervisor's caseload dashboard: one line per active case in scope, with its flags.

Everything is gathered in a FIXED number of SQL statements whatever the caseload's size: each
query covers every visible active case at once (grouped, with window functions keeping only
each case's latest sessions and readings), and the per-case figures are then computed in Python
with ``practice.metrics`` and ``practice.services.flags``. Nothing is precomputed, so the
figures are right the moment a session, moment, observation or CSI-4 response is saved.

Scope is ``practice.services.caseload.visible_cases``: a supervisor sees their own cases and
their supervisees', an admin every case (counsellors do not reach the dashboard).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, select
from sqlalchemy import case as when
from sqlalchemy.orm import aliased

from practice.accounts.models import StaffMember
from practice.cases.models import Case, CaseStatus, Partner
from practice.cases.queries import visible_cases
from practice.core.database import db, utcnow
from practice.measures.csi4 import CSI4_MEASURE
from practice.measures.models import MeasureResponse
from practice.moments import balance
from practice.moments.models import Moment, MomentType, Valence
from practice.scripts.models import AssignmentStatus, Script, ScriptAssignment, ScriptObservation
from practice.sessions.models import NoteStatus, TherapySession
from practice.supervision import flags as flag_rules
from practice.supervision.flags import (
    AssignmentSummary,
    CaseSummary,
    Csi4Reading,
    DraftNote,
    Flag,
    SessionLoad,
    Thresholds,
)

SORT_KEYS = ("counsellor", "reference", "sessions", "last", "stage", "trend", "adoption", "flags")
DEFAULT_SORT = "counsellor"
FLAG_FILTERS = ("any", "none", *flag_rules.FLAG_KINDS)
TREND_FILTERS = (balance.WORSENING, balance.STEADY, balance.IMPROVING, balance.NOT_ENOUGH_SESSIONS)
# Worst first when sorting by trend, so "worsening" leads an ascending sort.
_TREND_RANK = {label: rank for rank, label in enumerate(TREND_FILTERS)}


@dataclass(frozen=True)
class DashboardQuery:
    """The dashboard's filters and order, from validated query-string input."""

    counsellor: int | None = None
    flag: str = ""
    trend: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = False

    @property
    def filtered(self) -> bool:
        return self.counsellor is not None or bool(self.flag) or bool(self.trend)

    def args(self, **changes: object) -> dict[str, str]:
        """Query-string arguments of this query (with ``changes``), defaults left out."""
        values = {
            "counsellor": self.counsellor,
            "flag": self.flag,
            "trend": self.trend,
            "sort": ("-" if self.descending else "") + self.sort,
        } | changes
        if values["sort"] == DEFAULT_SORT:
            values["sort"] = None
        return {key: str(value) for key, value in values.items() if value not in (None, "")}


def dashboard_query(args: Mapping[str, str]) -> DashboardQuery:
    """The dashboard's query from request arguments; anything unknown falls back to a default."""
    counsellor = args.get("counsellor", "")
    flag = args.get("flag", "")
    trend = args.get("trend", "")
    sort = args.get("sort", DEFAULT_SORT)
    descending = sort.startswith("-")
    sort = sort.removeprefix("-")
    valid_sort = sort in SORT_KEYS
    return DashboardQuery(
        counsellor=(
            int(counsellor)
            if counsellor.isascii() and counsellor.isdigit() and len(counsellor) < 10
            else None
        ),
        flag=flag if flag in FLAG_FILTERS else "",
        trend=trend if trend in TREND_FILTERS else "",
        sort=sort if valid_sort else DEFAULT_SORT,
        descending=descending and valid_sort,
    )


@dataclass(frozen=True)
class CaseLine:
    """One active case on the dashboard: figures and flags, never a client's name."""

    case_id: int
    reference: str
    counsellor_id: int
    counsellor: str
    session_count: int
    last_session_at: datetime | None
    eft_stage: int | None
    trend: balance.Trend
    scripts_adopted: int
    scripts_total: int
    # (partner number, latest CSI-4 total), by partner number.
    csi4: tuple[tuple[int, int], ...]
    unsigned: int
    flags: tuple[Flag, ...]

    @property
    def adoption_summary(self) -> str:
        if not self.scripts_total:
            return "none assigned"
        return f"{self.scripts_adopted} of {self.scripts_total} adopted"

    @property
    def csi4_summary(self) -> str:
        return "; ".join(f"Partner {number}: {total}" for number, total in self.csi4)

    @property
    def flag_kinds(self) -> set[str]:
        return {flag.kind for flag in self.flags}


@dataclass(frozen=True)
class CounsellorSummary:
    """A counsellor's line above the table: active cases, unsigned notes, flagged cases."""

    id: int
    name: str
    caseload: int = 0
    unsigned: int = 0
    flagged: int = 0


@dataclass
class Dashboard:
    """What the dashboard page and its exports show."""

    query: DashboardQuery
    lines: list[CaseLine]  # filtered and sorted
    total: int  # active cases in scope, before filtering
    summaries: list[CounsellorSummary]
    thresholds: Thresholds
    generated_at: datetime
    flag_counts: dict[str, int] = field(default_factory=dict)

    @property
    def counsellors(self) -> list[tuple[int, str]]:
        return [(s.id, s.name) for s in self.summaries]

    @property
    def selected_counsellor(self) -> str | None:
        """The name of the counsellor the query filters on, if any."""
        return next((s.name for s in self.summaries if s.id == self.query.counsellor), None)


def caseload_dashboard(
    member: StaffMember,
    query: DashboardQuery | None = None,
    thresholds: Thresholds | None = None,
    now: datetime | None = None,
) -> Dashboard:
    """The dashboard of ``member``: every active case in scope, filtered and sorted by ``query``.

    A counsellor filter naming someone outside the scope is ignored. Raises ValueError if the
    data hold values the metrics refuse.
    """
    query = query or DashboardQuery()
    thresholds = thresholds or Thresholds()
    now = now or utcnow()
    lines = case_lines(member, thresholds, now)
    summaries = _summaries(member, lines)
    if query.counsellor is not None and query.counsellor not in {s.id for s in summaries}:
        query = DashboardQuery(None, query.flag, query.trend, query.sort, query.descending)
    flag_counts = {kind: 0 for kind in flag_rules.FLAG_KINDS}
    for line in lines:
        for kind in line.flag_kinds:
            flag_counts[kind] += 1
    return Dashboard(
        query=query,
        lines=_sorted(_filtered(lines, query), query),
        total=len(lines),
        summaries=summaries,
        thresholds=thresholds,
        generated_at=now,
        flag_counts=flag_counts,
    )


# --- Gathering: a fixed number of statements ----------------------------------------------


def case_lines(member: StaffMember, thresholds: Thresholds, now: datetime) -> list[CaseLine]:
    """Every active case ``member`` may see, with figures and flags, in eight queries."""
    counsellor = aliased(StaffMember)
    query = (
        visible_cases(member)
        .where(Case.status == CaseStatus.ACTIVE)
        .with_only_columns(
            Case.id,
            Case.reference,
            Case.opened_on,
            Case.eft_stage,
            Case.counsellor_id,
            counsellor.display_name,
        )
        .join(counsellor, counsellor.id == Case.counsellor_id)
    )
    cases = db.execute(query).all()
    # The ids themselves, not the scope's subquery: its OR over the supervisees makes
    # PostgreSQL overestimate it tenfold and scan every moment of the practice.
    visible = [row[0] for row in cases]
    sessions, counts = _recent_sessions(visible, thresholds, now)
    drafts = _drafts(visible, now)
    numbers = _partner_numbers(visible)
    assignments = _assignments(visible, numbers)
    csi4 = _csi4(numbers)

    lines = []
    for case_id, reference, opened_on, eft_stage, counsellor_id, counsellor_name in cases:
        loads = sessions.get(case_id, [])
        summary = CaseSummary(
            opened_on=opened_on,
            last_session_at=loads[-1].starts_at if loads else None,
            sessions=tuple(loads),
            drafts=tuple(drafts.get(case_id, ())),
            assignments=tuple(assignments.get(case_id, ())),
            csi4=tuple(csi4.get(case_id, ())),
        )
        latest: dict[int, int] = {}
        for reading in sorted(summary.csi4, key=lambda r: r.on):
            latest[reading.partner_number] = reading.total
        lines.append(
            CaseLine(
                case_id=case_id,
                reference=reference,
                counsellor_id=counsellor_id,
                counsellor=counsellor_name,
                session_count=counts.get(case_id, 0),
                last_session_at=summary.last_session_at,
                eft_stage=eft_stage,
                trend=summary.trend,
                scripts_adopted=sum(1 for a in summary.assignments if a.adopted),
                scripts_total=len(summary.assignments),
                csi4=tuple(sorted(latest.items())),
                unsigned=len(summary.drafts),
                flags=tuple(flag_rules.case_flags(summary, now, thresholds)),
            )
        )
    return lines


def _recent_sessions(
    visible: list[int], thresholds: Thresholds, now: datetime
) -> tuple[dict[int, list[SessionLoad]], dict[int, int]]:
    """Per case: its latest held sessions with their loads, oldest first, and how many it held.

    The flags and the trend look at the last ``sessions_needed`` sessions and at the last
    ``trend_window`` sessions that have a softening share. The first query loads the moments of
    each case's last few sessions only (row_number over each case's sessions, ``_SPARE_SESSIONS``
    more than the flags need);
    a case whose recent sessions hold too few shares for the trend has all its sessions loaded
    by the second query, which runs whatever happens (usually for no case at all) so that the
    number of statements stays fixed.
    """
    recent = max(thresholds.sessions_needed, thresholds.trend_window) + _SPARE_SESSIONS
    sessions, counts = _session_loads(visible, now, latest=recent)
    short = [
        case_id
        for case_id, loads in sessions.items()
        if counts[case_id] > len(loads)
        and sum(1 for s in loads if s.softening_share is not None) < thresholds.trend_window
    ]
    more, _ = _session_loads(short, now, latest=None)
    sessions.update(more)
    return sessions, counts


# Sessions loaded beyond what the flags need, so that a session or two without moments rarely
# sends a case to the second query.
_SPARE_SESSIONS = 4


def _session_loads(
    case_ids: list[int], now: datetime, latest: int | None
) -> tuple[dict[int, list[SessionLoad]], dict[int, int]]:
    """Loads of the ``latest`` held sessions of each case (all if None), and their number."""
    ranked = (
        select(
            TherapySession.id.label("session_id"),
            TherapySession.case_id,
            TherapySession.starts_at,
            func.row_number()
            .over(
                partition_by=TherapySession.case_id,
                order_by=(TherapySession.starts_at.desc(), TherapySession.id.desc()),
            )
            .label("rn"),
            func.count().over(partition_by=TherapySession.case_id).label("n"),
        )
        .where(
            TherapySession.case_id.in_(case_ids),
            TherapySession.voided_at.is_(None),
            TherapySession.starts_at <= now,
        )
        .subquery("ranked")
    )
    # Filtered in a subquery of its own, before the join: neither database pushes a condition
    # on a window function's result down into the subquery that computes it.
    kept = select(ranked)
    if latest is not None:
        kept = kept.where(ranked.c.rn <= latest)
    kept = kept.subquery("kept")

    def load(valence: Valence):
        return func.coalesce(
            func.sum(when((MomentType.valence == valence, Moment.intensity), else_=0)), 0
        )

    query = (
        select(
            kept.c.case_id,
            kept.c.starts_at,
            kept.c.n,
            load(Valence.ESCALATING),
            load(Valence.DEESCALATING),
        )
        .select_from(kept)
        .outerjoin(Moment, and_(Moment.session_id == kept.c.session_id, Moment.voided_at.is_(None)))
        .outerjoin(MomentType, MomentType.id == Moment.moment_type_id)
        .group_by(kept.c.case_id, kept.c.session_id, kept.c.starts_at, kept.c.n)
        .order_by(kept.c.case_id, kept.c.starts_at, kept.c.session_id)
    )
    sessions: dict[int, list[SessionLoad]] = defaultdict(list)
    counts: dict[int, int] = {}
    for case_id, starts_at, n, escalating, deescalating in db.execute(query):
        sessions[case_id].append(SessionLoad(starts_at, int(escalating), int(deescalating)))
        counts[case_id] = n
    return sessions, counts


def _drafts(visible: list[int], now: datetime) -> dict[int, list[DraftNote]]:
    """Per case: held sessions whose note is still a draft."""
    drafts: dict[int, list[DraftNote]] = defaultdict(list)
    for case_id, starts_at, duration in db.execute(
        select(TherapySession.case_id, TherapySession.starts_at, TherapySession.duration_minutes)
        .where(
            TherapySession.case_id.in_(visible),
            TherapySession.status == NoteStatus.DRAFT,
            TherapySession.voided_at.is_(None),
            TherapySession.starts_at <= now,
        )
        .order_by(TherapySession.starts_at)
    ):
        drafts[case_id].append(DraftNote(starts_at, duration))
    return drafts


def _partner_numbers(visible: list[int]) -> dict[int, tuple[int, int]]:
    """Partner id -> (case id, number): partners numbered 1, 2, … by position within their case,
    so that lists never show a name."""
    numbers: dict[int, tuple[int, int]] = {}
    count: dict[int, int] = defaultdict(int)
    for partner_id, case_id in db.execute(
        select(Partner.id, Partner.case_id)
        .where(Partner.case_id.in_(visible))
        .order_by(Partner.case_id, Partner.position, Partner.id)
    ):
        count[case_id] += 1
        numbers[partner_id] = (case_id, count[case_id])
    return numbers


def _assignments(
    visible: list[int], numbers: dict[int, tuple[int, int]]
) -> dict[int, list[AssignmentSummary]]:
    """Per case: its script assignments with the levels observed at its (unvoided) sessions."""
    assignments = db.execute(
        select(
            ScriptAssignment.id,
            ScriptAssignment.case_id,
            ScriptAssignment.partner_id,
            ScriptAssignment.status,
            Script.category,
            TherapySession.starts_at,
        )
        .join(Script, Script.id == ScriptAssignment.script_id)
        .join(TherapySession, TherapySession.id == ScriptAssignment.assigned_session_id)
        .where(ScriptAssignment.case_id.in_(visible))
        .order_by(ScriptAssignment.id)
    ).all()
    levels: dict[int, list[int]] = defaultdict(list)
    for assignment_id, level in db.execute(
        select(ScriptObservation.assignment_id, ScriptObservation.level)
        .join(TherapySession, TherapySession.id == ScriptObservation.session_id)
        .where(
            ScriptObservation.assignment_id.in_([row[0] for row in assignments]),
            # Redundant for the result, but it lets PostgreSQL reach the sessions through the
            # case index instead of scanning the whole (wide) db table.
            TherapySession.case_id.in_(visible),
            TherapySession.voided_at.is_(None),
        )
        .order_by(ScriptObservation.assignment_id, TherapySession.starts_at, TherapySession.id)
    ):
        levels[assignment_id].append(level)
    by_case: dict[int, list[AssignmentSummary]] = defaultdict(list)
    for assignment_id, case_id, partner_id, status, category, assigned_at in assignments:
        by_case[case_id].append(
            AssignmentSummary(
                partner_number=numbers.get(partner_id, (case_id, 0))[1],
                assigned_on=assigned_at.date(),
                active=status == AssignmentStatus.ACTIVE,
                levels=tuple(levels[assignment_id]),
                script=category,
            )
        )
    return by_case


def _csi4(numbers: dict[int, tuple[int, int]]) -> dict[int, list[Csi4Reading]]:
    """Per case: each partner's two latest CSI-4 totals (from the partners' index, not a scan)."""
    ranked = (
        select(
            MeasureResponse.partner_id,
            MeasureResponse.total,
            TherapySession.starts_at,
            func.row_number()
            .over(
                partition_by=MeasureResponse.partner_id,
                order_by=(TherapySession.starts_at.desc(), TherapySession.id.desc()),
            )
            .label("rn"),
        )
        .join(TherapySession, TherapySession.id == MeasureResponse.session_id)
        .where(
            MeasureResponse.partner_id.in_(list(numbers)),
            MeasureResponse.measure == CSI4_MEASURE,
            TherapySession.voided_at.is_(None),
        )
        .subquery("ranked_csi4")
    )
    readings: dict[int, list[Csi4Reading]] = defaultdict(list)
    for partner_id, total, starts_at in db.execute(
        select(ranked.c.partner_id, ranked.c.total, ranked.c.starts_at).where(ranked.c.rn <= 2)
    ):
        case_id, number = numbers[partner_id]
        readings[case_id].append(Csi4Reading(number, total, starts_at.date()))
    return readings


def _zero() -> dict[str, int]:
    return {"caseload": 0, "unsigned": 0, "flagged": 0}


def _summaries(member: StaffMember, lines: list[CaseLine]) -> list[CounsellorSummary]:
    """A line per counsellor with active cases in scope, and per supervisee even without any."""
    people = dict(
        db.execute(
            select(StaffMember.id, StaffMember.display_name).where(
                StaffMember.supervisor_id == member.id, StaffMember.active.is_(True)
            )
        ).all()
    )
    totals: dict[int, dict[str, int]] = {staff_id: _zero() for staff_id in people}
    for line in lines:
        people.setdefault(line.counsellor_id, line.counsellor)
        figures = totals.setdefault(line.counsellor_id, _zero())
        figures["caseload"] += 1
        figures["unsigned"] += line.unsigned
        figures["flagged"] += 1 if line.flags else 0
    summaries = [
        CounsellorSummary(staff_id, people[staff_id], **figures)
        for staff_id, figures in totals.items()
    ]
    return sorted(summaries, key=lambda s: (s.name.casefold(), s.id))


# --- Filtering and sorting (in Python: the flags are computed here, not in SQL) -------------


def _filtered(lines: list[CaseLine], query: DashboardQuery) -> list[CaseLine]:
    def keep(line: CaseLine) -> bool:
        if query.counsellor is not None and line.counsellor_id != query.counsellor:
            return False
        if query.trend and line.trend.label != query.trend:
            return False
        if query.flag == "any":
            return bool(line.flags)
        if query.flag == "none":
            return not line.flags
        return not query.flag or query.flag in line.flag_kinds

    return [line for line in lines if keep(line)]


_SORT_VALUES: dict[str, Callable[[CaseLine], object]] = {
    "counsellor": lambda line: line.counsellor.casefold(),
    "reference": lambda line: line.reference,
    "sessions": lambda line: line.session_count,
    "last": lambda line: line.last_session_at,
    "stage": lambda line: line.eft_stage,
    "trend": lambda line: _TREND_RANK.get(line.trend.label),
    "adoption": lambda line: (
        line.scripts_adopted / line.scripts_total if line.scripts_total else None
    ),
    "flags": lambda line: len(line.flags),
}


def _sorted(lines: list[CaseLine], query: DashboardQuery) -> list[CaseLine]:
    """Sorted by the query's column; ties by counsellor then reference; blanks always last."""
    value = _SORT_VALUES[query.sort]
    ordered = sorted(lines, key=lambda line: (line.counsellor.casefold(), line.reference))
    known = [line for line in ordered if value(line) is not None]
    blank = [line for line in ordered if value(line) is None]
    return sorted(known, key=value, reverse=query.descending) + blank
