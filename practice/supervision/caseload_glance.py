"""A counsellor's caseload at a glance: each case they carry with its partners' initials, last
and next session, trend, unsigned notes and flags; filtered, searched and sorted on the server.

The figures are the dashboard's (``dashboard_queries.case_summaries``: a FIXED number of
statements whatever the caseload) and the flags its rules (``flags.case_flags``, active cases
only: a paused or closed case is not expected to meet). "Next session" is the next planned
appointment. A search matches a case's reference or a partner's name; the view takes it from a
POST body only, so a name never reaches a URL, a browser's history or a log.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import exists, or_, select

from practice.accounts.models import StaffMember
from practice.cases.models import Case, CaseStatus, Partner
from practice.cases.queries import STATUS_FILTERS
from practice.core.database import db
from practice.moments import balance
from practice.supervision import flags as flag_rules
from practice.supervision.dashboard import FLAG_FILTERS, TREND_FILTERS
from practice.supervision.dashboard_queries import case_summaries
from practice.supervision.flags import Flag, Thresholds

SORT_KEYS = ("reference", "status", "last", "next", "trend", "unsigned", "flags")
# Active first, then paused, then closed; by reference within each: the list as it always was.
DEFAULT_SORT = "status"
DEFAULT_STATUS = "all"
MAX_SEARCH = 60
_TREND_RANK = {label: rank for rank, label in enumerate(TREND_FILTERS)}


def initials(name: str) -> str:
    """A partner's initials: the first letter of each word of their display name, capitals
    (``Mary Jo`` -> ``MJ``, ``sam`` -> ``S``); empty for an empty name."""
    return "".join(word[0] for word in name.split() if word).upper()


@dataclass(frozen=True)
class GlanceQuery:
    """What the list asks for: filters and order (from the query string), and a search term
    (from a POST body only)."""

    status: str = DEFAULT_STATUS
    trend: str = ""
    flag: str = ""
    sort: str = DEFAULT_SORT
    descending: bool = False
    search: str = ""

    def args(self, **changes: object) -> dict[str, str]:
        """Query-string arguments of the filters and order (never the search), defaults out."""
        values = {
            "status": self.status if self.status != DEFAULT_STATUS else None,
            "trend": self.trend,
            "flag": self.flag,
            "sort": ("-" if self.descending else "") + self.sort,
        } | changes
        if values["sort"] == DEFAULT_SORT:
            values["sort"] = None
        return {key: str(value) for key, value in values.items() if value not in (None, "")}

    def next_sort(self, key: str) -> str:
        """The sort argument a column's header asks for: its key, or reversed if sorted by it."""
        return f"-{key}" if self.sort == key and not self.descending else key


def glance_query(args: Mapping[str, str], search: str = "") -> GlanceQuery:
    """The list's query from request arguments (or a form); anything unknown falls back."""
    status = args.get("status", DEFAULT_STATUS)
    sort = args.get("sort", DEFAULT_SORT) or DEFAULT_SORT
    descending = sort.startswith("-")
    sort = sort.removeprefix("-")
    valid_sort = sort in SORT_KEYS
    trend = args.get("trend", "")
    flag = args.get("flag", "")
    return GlanceQuery(
        status=status if status in STATUS_FILTERS else DEFAULT_STATUS,
        trend=trend if trend in TREND_FILTERS else "",
        flag=flag if flag in FLAG_FILTERS else "",
        sort=sort if valid_sort else DEFAULT_SORT,
        descending=descending and valid_sort,
        search=search.replace("\x00", "").strip()[:MAX_SEARCH],
    )


@dataclass(frozen=True)
class GlanceRow:
    """One case of the counsellor's list."""

    case_id: int
    reference: str
    status: str
    initials: tuple[str, ...]
    last_session_at: datetime | None
    next_session_at: datetime | None
    trend: balance.Trend
    unsigned: int
    flags: tuple[Flag, ...]  # most severe first; active cases only

    @property
    def flag_kinds(self) -> set[str]:
        return {flag.kind for flag in self.flags}


@dataclass(frozen=True)
class Glance:
    query: GlanceQuery
    rows: list[GlanceRow]  # filtered and sorted
    total: int  # cases of the status filter and search, before the trend and flag filters


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def caseload_glance(
    member: StaffMember, query: GlanceQuery, thresholds: Thresholds, now: datetime
) -> Glance:
    """The cases ``member`` carries as counsellor, as ``query`` asks, in a fixed number of
    statements. Raises ValueError if the data hold values the clinical rules refuse."""
    cases = select(Case.id, Case.reference, Case.status, Case.opened_on).where(
        Case.counsellor_id == member.id
    )
    if query.status != "all":
        cases = cases.where(Case.status == query.status)
    if query.search:
        pattern = _like(query.search)
        named = exists().where(
            Partner.case_id == Case.id, Partner.display_name.ilike(pattern, escape="\\")
        )
        cases = cases.where(or_(Case.reference.ilike(pattern, escape="\\"), named))
    found = db.execute(cases).all()
    ids = [row[0] for row in found]
    names: dict[int, list[str]] = defaultdict(list)
    if ids:
        for case_id, name in db.execute(
            select(Partner.case_id, Partner.display_name)
            .where(Partner.case_id.in_(ids))
            .order_by(Partner.case_id, Partner.position, Partner.id)
        ):
            names[case_id].append(initials(name))
    # Every case here is the member's own, so its safety figures are theirs to read.
    summaries = case_summaries(
        {row[0]: row[3] for row in found},
        thresholds,
        now,
        safety_readable={row[0] for row in found},
    )
    rows = []
    for case_id, reference, status, _opened in found:
        summary, _count = summaries[case_id]
        active = status == CaseStatus.ACTIVE
        rows.append(
            GlanceRow(
                case_id=case_id,
                reference=reference,
                status=status,
                initials=tuple(names[case_id]),
                last_session_at=summary.last_session_at,
                next_session_at=summary.next_appointment_at,
                trend=summary.trend,
                unsigned=len(summary.drafts),
                flags=tuple(flag_rules.case_flags(summary, now, thresholds)) if active else (),
            )
        )
    return Glance(query, _sorted(_filtered(rows, query), query), len(rows))


def _filtered(rows: list[GlanceRow], query: GlanceQuery) -> list[GlanceRow]:
    def keep(row: GlanceRow) -> bool:
        if query.trend and row.trend.label != query.trend:
            return False
        if query.flag == "any":
            return bool(row.flags)
        if query.flag == "none":
            return not row.flags
        return not query.flag or query.flag in row.flag_kinds

    return [row for row in rows if keep(row)]


_STATUS_RANK = {CaseStatus.ACTIVE: 0, CaseStatus.PAUSED: 1, CaseStatus.CLOSED: 2}
_SORT_VALUES: dict[str, Callable[[GlanceRow], object]] = {
    "reference": lambda row: row.reference,
    "status": lambda row: _STATUS_RANK.get(row.status, 3),
    "last": lambda row: row.last_session_at,
    "next": lambda row: row.next_session_at,
    "trend": lambda row: _TREND_RANK.get(row.trend.label),
    "unsigned": lambda row: row.unsigned,
    # Most severe first, then the most flags; unflagged cases are blanks.
    "flags": lambda row: (
        (flag_rules.severity_rank(row.flags[0].severity), -len(row.flags)) if row.flags else None
    ),
}


def _sorted(rows: list[GlanceRow], query: GlanceQuery) -> list[GlanceRow]:
    """Sorted by the query's column, ties by reference; blanks (no date, no flag) always last."""
    value = _SORT_VALUES[query.sort]
    ordered = sorted(rows, key=lambda row: row.reference)
    known = [row for row in ordered if value(row) is not None]
    blank = [row for row in ordered if value(row) is None]
    return sorted(known, key=value, reverse=query.descending) + blank
