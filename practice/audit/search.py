"""Searching, paging, exporting and verifying the audit trail for administrators.

Pages are keyset pages over the event id (the chain's order), newest first, so that a deep
page costs what the first one does. Results are plain values, not ORM rows, so that they
survive the request's commit without reloading.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Row, Select, func, select

from practice import audit
from practice.accounts.models import StaffMember
from practice.audit import anchor as audit_anchor
from practice.audit import trail as audit_trail
from practice.audit.models import AuditEvent
from practice.cases.models import Case
from practice.core import local_time
from practice.core.database import db

PAGE_SIZE = 50
EXPORT_BATCH = 1000
# Outcomes the tracker records today; the filter accepts any other short word too.
KNOWN_OUTCOMES = ("ok", "denied", "locked", "failed")
# A spreadsheet runs a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_HEADER = (
    "Event id",
    "Time (UTC)",
    "Actor id",
    "Actor",
    "Actor name",
    "Action",
    "Object type",
    "Object id",
    "Case id",
    "Case reference",
    "Outcome",
    "Remote address",
    "Detail",
    "Previous hash",
    "Row hash",
    # The time again in the zone of whoever exported, with its offset (ISO 8601).
    "Local time",
)


@dataclass(frozen=True)
class AuditFilters:
    """The validated filters of a search; empty values filter nothing.

    Dates are whole days in ``zone`` (the viewer's IANA zone; UTC when empty), both inclusive.
    """

    actor_id: int | None = None
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    case_id: int | None = None
    outcome: str = ""
    remote_addr: str = ""
    start: date | None = None
    end: date | None = None
    zone: str = ""

    def args(self) -> dict[str, str]:
        """The filters in use as query-string arguments (also the audit detail: no clinical
        text, only ids, action names, an email and an address)."""
        names = {"start": "from", "end": "to"}
        values: dict[str, str] = {}
        for spec in fields(self):
            if spec.name == "zone":
                continue  # the viewer's, not a filter they chose
            value = getattr(self, spec.name)
            if value not in (None, ""):
                key = names.get(spec.name, spec.name)
                values[key] = value.isoformat() if isinstance(value, date) else str(value)
        return values

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses of these filters, to compose into any select of events."""
        event = AuditEvent
        clauses: list[ColumnElement[bool]] = []
        if self.actor_id is not None:
            clauses.append(event.actor_id == self.actor_id)
        if self.actor:
            clauses.append(
                func.lower(event.actor_label).contains(self.actor.lower(), autoescape=True)
            )
        if self.action:
            clauses.append(event.action == self.action)
        if self.object_type:
            clauses.append(event.object_type == self.object_type)
        if self.object_id:
            clauses.append(event.object_id == self.object_id)
        if self.case_id is not None:
            clauses.append(event.case_id == self.case_id)
        if self.outcome:
            clauses.append(event.outcome == self.outcome)
        if self.remote_addr:
            clauses.append(event.remote_addr.startswith(self.remote_addr, autoescape=True))
        zone = ZoneInfo(self.zone) if self.zone else UTC
        if self.start is not None:
            clauses.append(event.occurred_at >= local_time.day_start(self.start, zone))
        if self.end is not None and self.end < date.max:
            next_day = local_time.day_start(self.end + timedelta(days=1), zone)
            clauses.append(event.occurred_at < next_day)
        return clauses


@dataclass(frozen=True)
class AuditLine:
    """One event as the page and the CSV show it."""

    id: int
    occurred_at: datetime
    actor_id: int | None
    actor_label: str
    actor_name: str | None
    action: str
    object_type: str
    object_id: str
    case_id: int | None
    case_reference: str | None
    outcome: str
    remote_addr: str
    detail: dict
    prev_hash: str
    row_hash: str

    @property
    def time_iso(self) -> str:
        """The time in ISO 8601, UTC, to the second, with a ``Z``."""
        return self.occurred_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    @property
    def detail_lines(self) -> list[str]:
        """The detail as "key: value" lines for the page, nested keys joined with a dot."""

        def flatten(prefix: str, value: Any) -> list[str]:
            if isinstance(value, dict) and value:
                return [
                    line
                    for key in sorted(value)
                    for line in flatten(f"{prefix}.{key}" if prefix else str(key), value[key])
                ]
            shown = json.dumps(value, default=str) if not isinstance(value, str) else value
            return [f"{prefix}: {shown}"]

        return flatten("", self.detail) if self.detail else []

    @property
    def detail_text(self) -> str:
        """The detail as compact JSON, keys sorted; empty when there is none."""
        if not self.detail:
            return ""
        return json.dumps(self.detail, sort_keys=True, separators=(",", ":"), default=str)


@dataclass(frozen=True)
class AuditPage:
    """A page of events, newest first, and the cursors of its neighbours."""

    lines: list[AuditLine]
    newer_than: int | None  # pass as ``after`` for the newer page; None if there is none
    older_than: int | None  # pass as ``before`` for the older page; None if there is none


@dataclass(frozen=True)
class ChainCheck:
    """The result of checking the hash chain."""

    broken: list[int]  # the first few ids that fail, oldest first
    more: bool  # whether more ids fail than listed
    # Against the newest event `practice audit verify` last verified (None: no anchor yet).
    anchored_at: int | None = None
    anchor_problem: str | None = None
    # Events still chained without the key (before `practice integrity reseal`).
    unkeyed: int = 0

    @property
    def intact(self) -> bool:
        return not self.broken and self.anchor_problem is None


_EVENT_COLUMNS = (
    "id",
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "case_id",
    "outcome",
    "remote_addr",
    "detail",
    "prev_hash",
    "row_hash",
)


def _lines_query(filters: AuditFilters) -> Select:
    """Columns, not entities: nothing lands in the session's identity map."""
    return (
        select(
            *(getattr(AuditEvent, name) for name in _EVENT_COLUMNS),
            StaffMember.display_name.label("actor_name"),
            Case.reference.label("case_reference"),
        )
        .outerjoin(StaffMember, StaffMember.id == AuditEvent.actor_id)
        .outerjoin(Case, Case.id == AuditEvent.case_id)
        .where(*filters.conditions())
    )


def _line(row: Row) -> AuditLine:
    values = dict(row._mapping)
    values["detail"] = dict(values["detail"] or {})
    return AuditLine(**values)


def _exists(filters: AuditFilters, condition: ColumnElement[bool]) -> bool:
    query = select(AuditEvent.id).where(*filters.conditions(), condition).limit(1)
    return db.scalar(query) is not None


def search(
    filters: AuditFilters,
    *,
    before: int | None = None,
    after: int | None = None,
    size: int = PAGE_SIZE,
) -> AuditPage:
    """The page of matching events just older than ``before`` or just newer than ``after``
    (the newest page when neither is given), newest first, in three queries at most."""
    query = _lines_query(filters)
    if after is not None:
        query = query.where(AuditEvent.id > after).order_by(AuditEvent.id.asc())
    else:
        if before is not None:
            query = query.where(AuditEvent.id < before)
        query = query.order_by(AuditEvent.id.desc())
    rows = db.execute(query.limit(size + 1)).all()
    beyond = len(rows) > size
    lines = [_line(row) for row in rows[:size]]
    if after is not None:
        lines.reverse()
    if not lines:
        return AuditPage(lines=[], newer_than=None, older_than=None)
    newest, oldest = lines[0].id, lines[-1].id
    if after is not None:
        has_newer = beyond
        has_older = _exists(filters, AuditEvent.id < oldest)
    else:
        has_older = beyond
        has_newer = before is not None and _exists(filters, AuditEvent.id > newest)
    return AuditPage(
        lines=lines,
        newer_than=newest if has_newer else None,
        older_than=oldest if has_older else None,
    )


def iter_lines(filters: AuditFilters, batch_size: int = EXPORT_BATCH) -> Iterator[AuditLine]:
    """Every matching event, newest first, fetched in keyset batches (for the CSV)."""
    before: int | None = None
    while True:
        query = _lines_query(filters).order_by(AuditEvent.id.desc()).limit(batch_size)
        if before is not None:
            query = query.where(AuditEvent.id < before)
        rows = db.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield _line(row)
        before = rows[-1].id


def distinct_actions() -> list[str]:
    """Every action the log holds, for the filter's choices (served by the action index)."""
    return list(db.scalars(select(AuditEvent.action).distinct().order_by("action")))


def distinct_object_types() -> list[str]:
    """Every object type the log holds (served by the object index's leading column)."""
    query = (
        select(AuditEvent.object_type)
        .where(AuditEvent.object_type != "")
        .distinct()
        .order_by("object_type")
    )
    return list(db.scalars(query))


def verify_chain(limit: int = 20) -> ChainCheck:
    """Check the whole hash chain, and that it still reaches the anchor the CLI keeps (read,
    never moved, from here); lists the first ``limit`` broken ids."""
    broken = audit.broken_links()
    first = list(islice(broken, limit + 1))
    anchored_at, problem = None, None
    try:
        anchor = audit_anchor.verify(audit_anchor.default_path())
        anchored_at = anchor.id if anchor is not None else None
    except audit_anchor.AnchorError as error:
        problem = str(error)
    return ChainCheck(
        broken=first[:limit],
        more=len(first) > limit,
        anchored_at=anchored_at or None,
        anchor_problem=problem,
        unkeyed=audit_trail.unkeyed_count(),
    )


def _cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_row(line: AuditLine, zone: ZoneInfo | None = None) -> list[object]:
    """One event as CSV cells in the order of ``CSV_HEADER``, safe to open in a spreadsheet:
    the time in UTC (as the chain holds it) and, last, in ``zone`` with its offset."""
    values = (
        line.id,
        line.occurred_at.astimezone(UTC).isoformat(),
        line.actor_id if line.actor_id is not None else "",
        line.actor_label,
        line.actor_name or "",
        line.action,
        line.object_type,
        line.object_id,
        line.case_id if line.case_id is not None else "",
        line.case_reference or "",
        line.outcome,
        line.remote_addr,
        line.detail_text,
        line.prev_hash,
        line.row_hash,
        local_time.iso_local(line.occurred_at, zone) if zone is not None else "",
    )
    return [_cell(value) for value in values]


def csv_chunks(filters: AuditFilters) -> Iterator[str]:
    """The matching events as CSV text with a header line, in chunks for streaming."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    zone = ZoneInfo(filters.zone) if filters.zone else UTC
    for count, line in enumerate(iter_lines(filters), start=1):
        writer.writerow(csv_row(line, zone))
        if count % EXPORT_BATCH == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()
