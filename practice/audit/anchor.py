"""The audit chain's newest verified event, remembered outside the database.

The hash chain shows an edited or removed row by the broken link it leaves in the row after
it; the newest rows have no row after them, so deleting them leaves a shorter chain that
still checks out. ``practice audit verify`` therefore remembers the head it last verified in
a small file outside the database (the instance folder unless told otherwise: better, a
store the database's users cannot write) and refuses a chain that no longer reaches it.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import func, select

from practice.audit.models import AuditEvent
from practice.core.database import db

ANCHOR_FILE = "audit-anchor.json"


class AnchorError(Exception):
    """The anchor file cannot be read, or the chain no longer reaches it."""


@dataclass(frozen=True)
class Head:
    """An event of the chain, by id and hash."""

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


def read(path: Path) -> Head | None:
    """The head the anchor at ``path`` remembers; None if there is no anchor yet."""
    try:
        data = json.loads(path.read_text())
        return Head(int(data["id"]), str(data["row_hash"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as error:
        message = f"The audit anchor {path} cannot be read ({type(error).__name__})."
        raise AnchorError(message) from error


def write(path: Path, head: Head) -> None:
    """Remember ``head`` at ``path``, replacing the file in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".audit-anchor-")
    try:
        with os.fdopen(handle, "w") as file:
            json.dump({"id": head.id, "row_hash": head.row_hash}, file)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def verify(path: Path) -> Head | None:
    """The anchor at ``path``, checked against the chain; None if there is none yet.

    Raises AnchorError when it cannot be read or the chain no longer holds it unchanged.
    """
    anchor = read(path)
    if anchor is not None:
        check(anchor)
    return anchor


def remember_head(path: Path) -> Head | None:
    """Write the chain's newest event to the anchor at ``path``; None (nothing written) for
    an empty log."""
    head = current_head()
    if head is not None:
        write(path, head)
    return head


def check(anchor: Head) -> None:
    """Raise AnchorError unless the chain still holds ``anchor`` unchanged."""
    found = db.scalar(select(AuditEvent.row_hash).where(AuditEvent.id == anchor.id))
    if found is None:
        raise AnchorError(
            f"Event #{anchor.id}, the newest one verified before, is gone: the newest events "
            "of the audit log were removed."
        )
    if found != anchor.row_hash:
        raise AnchorError(f"Event #{anchor.id} changed since it was last verified.")
