"""The audit chain's newest verified event, remembered outside the database, MACed with the key.

The chain shows an edited or removed row by the broken link it leaves in the row after it; the
newest rows have no row after them, so deleting them leaves a shorter chain that still checks
out. The anchor file remembers the chain's head: one JSON line per entry, appended (so the file
may be append-only, ``chattr +a``), each MACed with the integrity key so a database writer who
can also write the file cannot forge an entry. The first event of a log writes a starting entry,
``practice audit verify`` appends the head it verified, a reseal or key rotation the re-chained
head. A missing anchor while the log holds events is a failure, never a fresh start.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from practice.audit.models import AuditEvent
from practice.core import integrity, private_files
from practice.core.database import db, utcnow

ANCHOR_FILE = "audit-anchor.json"
PURPOSE = "audit-anchor"
# The id of the entry written when the log starts: no event is remembered yet.
START = 0

logger = logging.getLogger(__name__)


class AnchorError(Exception):
    """The anchor file is missing or cannot be trusted, or the chain no longer reaches it."""


@dataclass(frozen=True)
class Head:
    """An event of the chain, by id and hash (id 0: the start of a log, no event yet)."""

    id: int
    row_hash: str


def default_path() -> Path:
    configured = current_app.config.get("PRACTICE_AUDIT_ANCHOR")
    return Path(configured) if configured else Path(current_app.instance_path) / ANCHOR_FILE


def current_head() -> Head | None:
    """The newest event of the chain, or None when the log is empty."""
    row = db.execute(
        select(AuditEvent.id, AuditEvent.row_hash).order_by(AuditEvent.id.desc()).limit(1)
    ).first()
    return Head(row.id, row.row_hash) if row is not None else None


def event_count() -> int:
    return db.scalar(select(func.count()).select_from(AuditEvent)) or 0


def _entry_mac(entry: dict, key: bytes | None = None) -> str:
    fields = [entry["id"], entry["row_hash"], entry["key"], entry["at"]]
    return integrity.mac(PURPOSE, json.dumps(fields, separators=(",", ":")).encode(), key)


def _last_line(path: Path) -> str | None:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    return lines[-1] if lines else None


def read(path: Path, key: bytes | None = None) -> Head | None:
    """The head the anchor at ``path`` remembers; None if there is no anchor file.

    Raises AnchorError when the file cannot be read, or its newest entry was not written
    with the integrity key (forged, written before keyed anchors, or under another key).
    """
    try:
        line = _last_line(path)
        if line is None:
            raise ValueError("empty")
        entry = json.loads(line)
        head = Head(int(entry["id"]), str(entry["row_hash"]))
        mac = entry.get("mac")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        message = f"The audit anchor {path} cannot be read ({type(error).__name__})."
        raise AnchorError(message) from error
    if mac is None:
        raise AnchorError(
            f"The audit anchor {path} was written before keyed anchors: run "
            "`flask practice integrity reseal`."
        )
    if not integrity.same(mac, _entry_mac(entry, key)):
        raise AnchorError(
            f"The audit anchor {path} was not written with the integrity key: it was forged, "
            "or the key changed without `flask practice integrity rotate-key`."
        )
    return head


def append(path: Path, head: Head, key: bytes | None = None) -> None:
    """Append an entry remembering ``head`` to the anchor at ``path`` (created 0600)."""
    private_files.ensure_dir(path.parent)
    entry = {
        "id": head.id,
        "row_hash": head.row_hash,
        "key": integrity.key_id(key),
        "at": utcnow().isoformat(timespec="seconds"),
    }
    entry["mac"] = _entry_mac(entry, key)
    line = json.dumps(entry, separators=(",", ":")) + "\n"
    if _ends_unterminated(path):  # an anchor of the old format: one JSON object, no newline
        line = "\n" + line
    private_files.append(path, line.encode())


def _ends_unterminated(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            if handle.tell() == 0:
                return False
            handle.seek(-1, 2)
            return handle.read(1) != b"\n"
    except FileNotFoundError:
        return False


def start(path: Path | None = None) -> None:
    """Begin the anchor when the log gets its first event; never raises (an event must still
    be recorded when the file cannot be written: `audit verify` then reports the anchor)."""
    path = path or default_path()
    try:
        if not path.exists():
            append(path, Head(START, ""))
    except OSError as error:
        logger.warning("Cannot write the audit anchor %s: %s", path, error.strerror)


def verify(path: Path) -> Head | None:
    """The anchor at ``path``, checked against the chain; None for an empty log without one.

    Raises AnchorError when it is missing while the log holds events, cannot be read or
    trusted, or the chain no longer holds it unchanged.
    """
    anchor = read(path)
    if anchor is None:
        if event_count():
            raise AnchorError(
                f"The audit anchor {path} is missing, yet the log holds events: it was "
                "deleted (a rewritten log would pass without it). Restore it from a backup."
            )
        return None
    check(anchor)
    return anchor


def remember_head(path: Path, key: bytes | None = None) -> Head | None:
    """Append the chain's newest event to the anchor at ``path``; None (nothing written) for
    an empty log."""
    head = current_head()
    if head is not None:
        append(path, head, key)
    return head


def check(anchor: Head) -> None:
    """Raise AnchorError unless the chain still holds ``anchor`` unchanged."""
    if anchor.id == START:
        return
    found = db.scalar(select(AuditEvent.row_hash).where(AuditEvent.id == anchor.id))
    if found is None:
        raise AnchorError(
            f"Event #{anchor.id}, the newest one verified before, is gone: the newest events "
            "of the audit log were removed."
        )
    if found != anchor.row_hash:
        raise AnchorError(f"Event #{anchor.id} changed since it was last verified.")
