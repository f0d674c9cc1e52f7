"""The audit trail: an append-only, hash-chained log of reads and changes.

Each event's ``row_hash`` is an HMAC-SHA256, under the integrity key kept outside the
database, over the event and its predecessor's ``row_hash``: someone who can write the database
can neither edit a row and re-link the chain after it nor rewrite the log as a whole. Callers
pass identifiers and action names only; clinical text never reaches this module.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import func, select, text

from practice.accounts.models import StaffMember
from practice.audit import anchor
from practice.audit.models import AuditEvent
from practice.cases.models import Case
from practice.core import integrity
from practice.core.database import MAX_ID, db, utcnow

# Any fixed number: PostgreSQL serialises writers of the chain with this advisory lock.
_CHAIN_LOCK = 7_411_001


# ``chain_version``: 1, an unkeyed SHA-256 (before keyed chaining; never verifies as it is);
# 2, HMAC-SHA256 under the integrity key.
CHAIN_UNKEYED, CHAIN_KEYED = 1, 2
CHAIN_PURPOSE = "audit-chain"


class ChainError(Exception):
    """The chain does not check out, so it is not re-chained under a key."""


def _payload(event: AuditEvent, keyed: bool) -> bytes:
    fields = [
        event.prev_hash,
        event.occurred_at.isoformat(),
        event.actor_id,
        event.actor_label,
        event.action,
        event.object_type,
        event.object_id,
        event.case_id,
        event.outcome,
        event.remote_addr,
        event.detail,
    ]
    if keyed:
        fields.append(CHAIN_KEYED)
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str).encode()


def legacy_row_digest(event: AuditEvent) -> str:
    """The unkeyed SHA-256 that chained events before keyed chaining (version 1)."""
    return hashlib.sha256(_payload(event, keyed=False)).hexdigest()


def row_mac(event: AuditEvent, key: bytes | None = None) -> str:
    """The event's keyed link: HMAC-SHA256 over it and ``prev_hash`` under the integrity key."""
    return integrity.mac(CHAIN_PURPOSE, _payload(event, keyed=True), key)


def _links(event: AuditEvent, previous_hash: str, key: bytes | None) -> bool:
    """Whether ``event`` links to ``previous_hash`` and its hash is right for its version."""
    if event.prev_hash != previous_hash:
        return False
    if event.chain_version == CHAIN_KEYED:
        return integrity.same(event.row_hash, row_mac(event, key))
    return integrity.same(event.row_hash, legacy_row_digest(event))


def record(
    action: str,
    *,
    obj: Any = None,
    object_type: str = "",
    object_id: Any = "",
    case_id: int | None = None,
    actor: StaffMember | None = None,
    actor_label: str | None = None,
    outcome: str = "ok",
    detail: dict | None = None,
) -> AuditEvent:
    """Append an event and link it to the previous one; flushes, does not commit.

    ``obj`` may be a model instance, whose class name and id are recorded.
    """
    if actor is None and has_request_context():
        actor = g.get("practice_staff")
    if obj is not None:
        object_type = object_type or type(obj).__name__
        object_id = object_id or getattr(obj, "id", "")
        if case_id is None:
            case_id = obj.id if isinstance(obj, Case) else getattr(obj, "case_id", None)
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CHAIN_LOCK})
    event = AuditEvent(
        occurred_at=utcnow(),
        actor_id=actor.id if actor is not None else None,
        actor_label=actor_label if actor_label is not None else (actor.email if actor else ""),
        action=action,
        object_type=object_type,
        object_id=str(object_id or ""),
        case_id=case_id,
        outcome=outcome,
        remote_addr=(request.remote_addr or "") if has_request_context() else "cli",
        detail=detail or {},
    )
    db.add(event)
    db.flush()
    previous = db.scalar(
        select(AuditEvent.row_hash)
        .where(AuditEvent.id < event.id)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    )
    event.prev_hash = previous or ""
    event.chain_version = CHAIN_KEYED
    event.row_hash = row_mac(event)
    db.flush()
    if previous is None:
        anchor.start()  # the log's first event: from now on, a missing anchor is a loss
    return event


def _all_events(batch_size: int) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        events = db.scalars(
            select(AuditEvent)
            .where(AuditEvent.id > last_id)
            .order_by(AuditEvent.id)
            .limit(batch_size)
        ).all()
        if not events:
            return
        yield from events
        last_id = events[-1].id


def broken_links(batch_size: int = 5000, key: bytes | None = None) -> Iterator[int]:
    """Ids of events whose keyed hash or link to their predecessor does not check out.

    An event still chained without the key (version 1) counts as broken: a database writer
    could have recomputed it (``unkeyed_count`` says how many there are).
    """
    previous_hash = ""
    for event in _all_events(batch_size):
        if event.chain_version != CHAIN_KEYED or not _links(event, previous_hash, key):
            yield event.id
        previous_hash = event.row_hash


def unkeyed_count() -> int:
    """How many events are still chained without the key (until ``integrity reseal``)."""
    return (
        db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.chain_version != CHAIN_KEYED)
        )
        or 0
    )


def rechain(old_key: bytes, new_key: bytes, batch_size: int = 1000) -> int:
    """Re-chain the whole log under ``new_key`` after checking it under its old seals (the
    unkeyed ones, and keyed ones under ``old_key``); returns how many events it changed.

    Raises ChainError, changing nothing, when an event does not check out: a tampered log is
    never blessed with the new key. Flushes; the caller commits.
    """
    previous_old, previous_new, rewritten = "", "", 0
    for seen, event in enumerate(_all_events(batch_size), start=1):
        if not _links(event, previous_old, old_key):
            raise ChainError(
                f"Event #{event.id} does not check out under its old seal: the log was "
                "tampered with, so it is not re-chained. Investigate with "
                "`flask practice audit verify`."
            )
        previous_old = event.row_hash
        event.prev_hash = previous_new
        event.chain_version = CHAIN_KEYED
        event.row_hash = row_mac(event, new_key)
        previous_new = event.row_hash
        rewritten += event.row_hash != previous_old
        if seen % batch_size == 0:
            db.flush()
    db.flush()
    return rewritten


# A URL variable → the kind of object it names, as ``record(obj=...)`` names it, so that a
# refused attempt on an object shows up in the admin's search by object type and id.
_OBJECT_TYPES = {
    "case_id": "Case",
    "session_id": "TherapySession",
    "moment_id": "Moment",
    "assignment_id": "ScriptAssignment",
    "report_id": "Report",
    "job_id": "ReportJob",
    "comment_id": "SupervisionComment",
    "token_id": "ApiToken",
    "member_id": "StaffMember",
    "type_id": "MomentType",
    "script_id": "Script",
}


def record_denied(
    endpoint: str,
    method: str,
    status: int,
    view_args: dict[str, Any],
    *,
    actor: StaffMember | None = None,
    actor_label: str | None = None,
) -> AuditEvent:
    """Append an ``access_denied`` event for a request refused with ``status``; flushes.

    Only the URL's integer variables are kept (ids; an id no column could hold is kept as
    "out of range"); never a query string or a body. ``case_id`` is set only for a case that
    exists, so that the log never points at a case nobody created.
    """
    ids: dict[str, Any] = {
        name: value if 0 <= value <= MAX_ID else "out of range"
        for name, value in view_args.items()
        if isinstance(value, int) and not isinstance(value, bool)
    }
    named = [(name, value) for name, value in ids.items() if isinstance(value, int)]
    object_type, object_id = "", ""
    if len(named) == 1 and named[0][0] in _OBJECT_TYPES:
        object_type, object_id = _OBJECT_TYPES[named[0][0]], named[0][1]
    case_id = ids.get("case_id")
    if isinstance(case_id, int):
        case_id = db.scalar(select(Case.id).where(Case.id == case_id))
    else:
        case_id = None
    return record(
        "access_denied",
        object_type=object_type,
        object_id=object_id,
        case_id=case_id,
        actor=actor,
        actor_label=actor_label,
        outcome="denied",
        detail={"endpoint": endpoint, "method": method, "status": status, "view_args": ids},
    )
