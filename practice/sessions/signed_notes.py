"""The rules of a signed note, in one place: what a signature fixes, and how a change after it
shows.

A signed note is the clinical record: from signing on, the session's note, details, moments,
measures and script observations can no longer change (corrections are addenda); every area
asks ``require_draft`` before it changes anything of a session. The note is sealed at signing
with a keyed MAC (HMAC-SHA256 under the integrity key, ``practice.core.integrity``) of its
canonical form, and checked against it wherever it is shown or reported: someone who can write
the database but not read the key cannot change a note and make it read as intact again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from practice.core import integrity
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.sessions.models import TherapySession

NOTE_FIELDS = ("note_data", "note_assessment", "note_plan")

# ``note_seal_version``: 1, an unkeyed SHA-256 (before keyed seals); 2, HMAC-SHA256 under the
# integrity key, which lives outside the database.
SEAL_UNKEYED, SEAL_KEYED = 1, 2
SEAL_PURPOSE = "note-seal"
INTACT, UNKEYED, TAMPERED = "intact", "unkeyed", "tampered"


class NoteSigned(Refused):
    """The session's note is signed, so what was asked to change is fixed."""


def require_draft(therapy_session: TherapySession, what: str | None = None) -> None:
    """Raise NoteSigned if the session's note is signed.

    ``what`` names what was to change ("moments", "CSI-4 answers"); without it, the note itself.
    """
    if not therapy_session.is_signed:
        return
    if what is None:
        raise NoteSigned(_("This note is signed; add an addendum instead."))
    raise NoteSigned(
        f"This session's note is signed, so its {what} can no longer change. "
        "Add an addendum to the note instead."
    )


def _canonical(therapy_session: TherapySession, version: int | None = None) -> bytes:
    """Compact JSON with sorted keys over the session id, the three note fields, the signer's
    id and the signing time (ISO 8601, UTC), and for a keyed seal its version, as UTF-8."""
    if therapy_session.signed_by_id is None or therapy_session.signed_at is None:
        raise ValueError("Only a signed note has a seal.")
    fields = {
        "session_id": therapy_session.id,
        "note_data": therapy_session.note_data or "",
        "note_assessment": therapy_session.note_assessment or "",
        "note_plan": therapy_session.note_plan or "",
        "signed_by_id": therapy_session.signed_by_id,
        "signed_at": therapy_session.signed_at.astimezone(UTC).isoformat(),
    }
    if version is not None:
        fields["seal_version"] = version
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def legacy_digest(therapy_session: TherapySession) -> str:
    """The unkeyed SHA-256 (hex) that sealed notes before keyed seals (seal version 1).

    Anyone who can write the database can recompute it, so it proves nothing on its own:
    ``practice integrity reseal`` replaces a still-matching one with a keyed seal once.
    """
    return hashlib.sha256(_canonical(therapy_session)).hexdigest()


def note_seal(therapy_session: TherapySession, key: bytes | None = None) -> str:
    """HMAC-SHA256 (hex) of the signed note's canonical form under the integrity key (the
    configured one unless ``key`` is given); raises ValueError if the note is unsigned."""
    return integrity.mac(SEAL_PURPOSE, _canonical(therapy_session, SEAL_KEYED), key)


def seal(therapy_session: TherapySession, key: bytes | None = None) -> None:
    """Seal a signed note under the integrity key (at signing, a reseal or a key rotation)."""
    therapy_session.note_sha256 = note_seal(therapy_session, key)
    therapy_session.note_seal_version = SEAL_KEYED


def seal_status(therapy_session: TherapySession, key: bytes | None = None) -> str:
    """``intact``, ``unkeyed`` (an old seal, matching but forgeable: not proof) or ``tampered``.

    Only a keyed seal that matches is intact; the version column cannot downgrade a note to a
    seal a database writer can recompute, since an unkeyed seal is never shown as intact.
    """
    if therapy_session.note_sha256 is None or therapy_session.signed_at is None:
        return TAMPERED
    if therapy_session.note_seal_version == SEAL_KEYED:
        expected = note_seal(therapy_session, key)
        return INTACT if integrity.same(therapy_session.note_sha256, expected) else TAMPERED
    if integrity.same(therapy_session.note_sha256, legacy_digest(therapy_session)):
        return UNKEYED
    return TAMPERED


def note_intact(therapy_session: TherapySession, key: bytes | None = None) -> bool:
    """Whether a signed note still matches the keyed seal made when it was signed."""
    return seal_status(therapy_session, key) == INTACT
