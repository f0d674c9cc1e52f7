"""The supervisor's caseload dashboard: one line per active case in scope, with its flags.

``dashboard_queries`` gathers every active case in scope in a FIXED number of SQL statements
whatever the caseload's size, as plain per-case summaries; this module words each into a line
with ``practice.supervision.flags`` (which applies the clinical rules of ``practice.moments``,
``practice.scripts`` and ``practice.measures``), then filters and sorts the lines as asked: by
default the most severe flag first, then the most flags, then the reference; unflagged cases
follow, by counsellor then reference.
Nothing is precomputed, so the figures are right the moment a session, moment, observation or
CSI-4 response is saved.

Scope is ``practice.cases.queries.visible_cases``: a supervisor sees their own cases and their
supervisees', an admin every case (counsellors do not reach the dashboard).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from practice.accounts.models import StaffMember
from practice.core.database import utcnow
from practice.measures.csi4 import Csi4Change
from practice.moments import balance
from practice.supervision import dashboard_queries
from practice.supervision import flags as flag_rules
from practice.supervision.dashboard_queries import ActiveCase
from practice.supervision.flags import Flag, Thresholds

SORT_KEYS = ("counsellor", "reference", "sessions", "last", "stage", "trend", "adoption", "flags")
# Most severe first: what a supervisor opens the dashboard for.
DEFAULT_SORT = "flags"
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

    @property
    def default_order(self) -> bool:
        return self.sort == DEFAULT_SORT and not self.descending

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
    # Adopted and still in use (a lapsed script is counted apart).
    scripts_adopted: int
    scripts_total: int
    # (partner number, CSI-4 change from their baseline), by partner number.
    csi4: tuple[tuple[int, Csi4Change], ...]
    unsigned: int
    flags: tuple[Flag, ...]  # most severe first
    scripts_lapsed: int = 0

    @property
    def adoption_summary(self) -> str:
        if not self.scripts_total:
            return "none assigned"
        summary = f"{self.scripts_adopted} of {self.scripts_total} adopted"
        if self.scripts_lapsed:
            summary += f", {self.scripts_lapsed} lapsed"
        return summary

    @property
    def csi4_summary(self) -> str:
        """Each partner's latest CSI-4 total: ``Partner 1: 12; Partner 2: 15``."""
        return "; ".join(f"Partner {number}: {change.latest:g}" for number, change in self.csi4)

    @property
    def csi4_change_summary(self) -> str:
        """Each partner's CSI-4 change in words: ``Partner 1: reliably deteriorated (15 to 9)``."""
        return "; ".join(
            f"Partner {number}: {csi4_change_words(change)}" for number, change in self.csi4
        )

    @property
    def flag_kinds(self) -> set[str]:
        return {flag.kind for flag in self.flags}

    @property
    def severity(self) -> str | None:
        """The severity of the case's most severe flag; None without flags."""
        return self.flags[0].severity if self.flags else None


def csi4_change_words(change: Csi4Change) -> str:
    """A partner's CSI-4 change category in words, with what it is judged on: ``reliably
    deteriorated (15 to 9)``, ``no reliable change (12 to 13), slide from 18``, ``baseline only
    (11)``."""
    label = change.label[:1].lower() + change.label[1:]
    if change.readings == 1:
        return f"{label} ({change.baseline:g})"
    words = f"{label} ({change.baseline:g} to {change.latest:g})"
    # A slide from a best that is the baseline itself says no more than the change does.
    if change.slide and change.best > change.baseline:
        words += f", slide from {change.best:g}"
    return words


@dataclass(frozen=True)
class CounsellorSummary:
    """A counsellor's line above the table: active cases, unsigned notes, flagged cases."""

    id: int
    name: str
    caseload: int = 0
    unsigned: int = 0
    flagged: int = 0
    urgent: int = 0  # cases whose most severe flag is urgent


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
    data hold values the clinical rules refuse.
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


# --- The lines: each active case's figures and flags, in words --------------------------------


def case_lines(member: StaffMember, thresholds: Thresholds, now: datetime) -> list[CaseLine]:
    """Every active case ``member`` may see, with figures and flags (nine statements)."""
    return [
        _line(case, thresholds, now)
        for case in dashboard_queries.active_cases(member, thresholds, now)
    ]


def _line(case: ActiveCase, thresholds: Thresholds, now: datetime) -> CaseLine:
    summary = case.summary
    return CaseLine(
        case_id=case.case_id,
        reference=case.reference,
        counsellor_id=case.counsellor_id,
        counsellor=case.counsellor,
        session_count=case.session_count,
        last_session_at=summary.last_session_at,
        eft_stage=case.eft_stage,
        trend=summary.trend,
        scripts_adopted=sum(1 for a in summary.assignments if a.adopted and not a.lapsed),
        scripts_total=len(summary.assignments),
        scripts_lapsed=sum(1 for a in summary.assignments if a.lapsed),
        csi4=tuple(flag_rules.csi4_changes(summary.csi4, thresholds.reliable_change)),
        unsigned=len(summary.drafts),
        flags=tuple(flag_rules.case_flags(summary, now, thresholds)),
    )


def _zero() -> dict[str, int]:
    return {"caseload": 0, "unsigned": 0, "flagged": 0, "urgent": 0}


def _summaries(member: StaffMember, lines: list[CaseLine]) -> list[CounsellorSummary]:
    """A line per counsellor with active cases in scope, and per supervisee even without any."""
    people = dashboard_queries.supervisee_names(member)
    totals: dict[int, dict[str, int]] = {staff_id: _zero() for staff_id in people}
    for line in lines:
        people.setdefault(line.counsellor_id, line.counsellor)
        figures = totals.setdefault(line.counsellor_id, _zero())
        figures["caseload"] += 1
        figures["unsigned"] += line.unsigned
        figures["flagged"] += 1 if line.flags else 0
        figures["urgent"] += 1 if line.severity == flag_rules.URGENT else 0
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
    # Most severe first, then the most flags, then by reference; unflagged cases are blanks.
    "flags": lambda line: (
        (flag_rules.severity_rank(line.severity), -len(line.flags), line.reference)
        if line.severity
        else None
    ),
}


def _sorted(lines: list[CaseLine], query: DashboardQuery) -> list[CaseLine]:
    """Sorted by the query's column; ties by counsellor then reference; blanks always last."""
    value = _SORT_VALUES[query.sort]
    ordered = sorted(lines, key=lambda line: (line.counsellor.casefold(), line.reference))
    known = [line for line in ordered if value(line) is not None]
    blank = [line for line in ordered if value(line) is None]
    return sorted(known, key=value, reverse=query.descending) + blank
