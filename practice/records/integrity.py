"""Re-sealing under the integrity key: after the upgrade to keyed seals, and to rotate the key.

``reseal`` gives keyed seals to what was sealed without a key before (signed notes, the audit
chain, the anchor) and encrypts plaintext two-factor secrets. ``rotate`` does the same under a
new key: notes intact under the old key are sealed under the new one, the audit log is re-chained
and re-anchored, the secrets re-encrypted, and the log records that it happened. A note or event
that does not check out under its old seal is never given a new one: a rotation must not bless
a forgery. Both flush and leave the commit to the caller (the command's unit of work).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from practice import audit
from practice.accounts import totp
from practice.audit import anchor as audit_anchor
from practice.audit import trail
from practice.core import integrity
from practice.core.database import db
from practice.core.unit_of_work import atomic
from practice.sessions import signed_notes
from practice.sessions.models import TherapySession


class IntegrityError(Exception):
    """What was to be re-sealed does not check out; nothing was changed."""


@dataclass
class ResealResult:
    """What a reseal or rotation wrote, and the notes it left as tampered."""

    notes: int = 0
    events: int = 0
    secrets: int = 0
    tampered_notes: list[int] = field(default_factory=list)
    key_id: str = ""


def _reseal_notes(old_key: bytes, new_key: bytes, result: ResealResult) -> None:
    sessions = db.scalars(
        select(TherapySession)
        .where(TherapySession.note_sha256.is_not(None))
        .order_by(TherapySession.id)
        .execution_options(yield_per=500)
    )
    for therapy_session in sessions:
        status = signed_notes.seal_status(therapy_session, old_key)
        if status == signed_notes.TAMPERED:
            result.tampered_notes.append(therapy_session.id)
            continue
        if status == signed_notes.INTACT and old_key == new_key:
            continue
        signed_notes.seal(therapy_session, new_key)
        result.notes += 1
    db.flush()


@atomic
def _reseal_all(old_key: bytes, new_key: bytes) -> ResealResult:
    result = ResealResult(key_id=integrity.key_id(new_key))
    try:
        _reseal_notes(old_key, new_key, result)
        result.events = trail.rechain(old_key, new_key)
        result.secrets = totp.reencrypt_all(old_key, new_key)
    except (trail.ChainError, totp.SecretUnreadable) as error:
        raise IntegrityError(str(error)) from error
    return result


def _check_anchor(path: Path, key: bytes) -> None:
    """Refuse to re-anchor over an anchor that records a head the chain no longer holds."""
    try:
        head = audit_anchor.read(path, key)
    except audit_anchor.AnchorError:
        head = _legacy_anchor(path)
    if head is None:
        return
    try:
        audit_anchor.check(head)
    except audit_anchor.AnchorError as error:
        raise IntegrityError(str(error)) from error


def _legacy_anchor(path: Path) -> audit_anchor.Head | None:
    """The head an anchor from before keyed anchors remembers (unkeyed: checked, not trusted)."""
    try:
        data = json.loads(path.read_text().splitlines()[-1])
        return audit_anchor.Head(int(data["id"]), str(data["row_hash"]))
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None


def reseal() -> ResealResult:
    """Give keyed seals to notes, events and secrets sealed without the key; audited.

    Flushes; the caller commits, then re-anchors (``reanchor``). Raises IntegrityError,
    changing nothing, if the audit chain or its anchor do not check out.
    """
    key = integrity.load_key()
    _check_anchor(audit_anchor.default_path(), key)
    result = _reseal_all(key, key)
    audit.record("integrity_resealed", object_type="Practice", detail=_detail(result))
    return result


def reanchor() -> audit_anchor.Head | None:
    """Append the re-chained head to the anchor, under the key now in use: once the re-seal is
    committed, so that the anchor never remembers an event a failed commit took back."""
    return audit_anchor.remember_head(audit_anchor.default_path())


def rotate(new_key_text: str) -> ResealResult:
    """Re-seal everything under the key ``new_key_text`` and record it; flushes.

    The key is used from here on in this process; the caller commits, re-anchors
    (``reanchor``), then installs the key where the app reads it (``install_key_file``) or
    tells the operator to set it. Raises
    IntegrityError, changing nothing, if the chain, its anchor or a secret do not check out.
    """
    old_key = integrity.load_key()
    new_key = integrity.parse_key(new_key_text)
    if new_key == old_key:
        raise IntegrityError("The new key is the key in use.")
    path = audit_anchor.default_path()
    try:
        audit_anchor.verify(path)
    except audit_anchor.AnchorError as error:
        raise IntegrityError(str(error)) from error
    result = _reseal_all(old_key, new_key)
    integrity.use_key(new_key)
    detail = {**_detail(result), "previous_key_id": integrity.key_id(old_key)}
    audit.record("integrity_key_rotated", object_type="Practice", detail=detail)
    return result


def _detail(result: ResealResult) -> dict:
    return {
        "notes": result.notes,
        "events": result.events,
        "secrets": result.secrets,
        "tampered_notes": result.tampered_notes[:50],
        "key_id": result.key_id,
    }


def stage_key_file(new_key_text: str) -> Path:
    """Write the new key beside the key file (0600) before the database is re-sealed, so that
    a crash after the commit never loses the key the data is sealed with."""
    staged = integrity.key_path().with_name(integrity.KEY_FILE + ".new")
    integrity.write_key_file(staged, new_key_text)
    return staged


def install_key_file(staged: Path) -> Path:
    """Put the staged key in place once the re-sealing is committed; the old key is kept as
    ``integrity.key.previous`` (for backups sealed before the rotation)."""
    path = integrity.key_path()
    if path.exists():
        previous = path.with_name(integrity.KEY_FILE + ".previous")
        integrity.write_key_file(previous, path.read_text().strip())
    staged.replace(path)
    integrity.forget_cached_key()
    return path
