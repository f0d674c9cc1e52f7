"""The rules of a signed note, in one place: what a signature fixes, and how a change after it
shows.

A signed note is the clinical record: from signing on, the session's note, details, moments,
measures and script observations can no longer change (corrections are addenda); every area
asks ``require_draft`` before it changes anything of a session. The note is sealed at signing
with a digest of its canonical form, and checked against it wherever it is shown or reported.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC

from practice.core.errors import Refused
from practice.sessions.models import TherapySession

NOTE_FIELDS = ("note_data", "note_assessment", "note_plan")


class NoteSigned(Refused):
    """The session's note is signed, so what was asked to change is fixed."""


def require_draft(therapy_session: TherapySession, what: str | None = None) -> None:
    """Raise NoteSigned if the session's note is signed.

    ``what`` names what was to change ("moments", "CSI-4 answers"); without it, the note itself.
    """
    if not therapy_session.is_signed:
        return
    if what is None:
        raise NoteSigned("This note is signed; add an addendum instead.")
    raise NoteSigned(
        f"This session's note is signed, so its {what} can no longer change. "
        "Add an addendum to the note instead."
    )


def note_digest(therapy_session: TherapySession) -> str:
    """SHA-256 (hex) of the canonical form of a signed note; raises ValueError if unsigned.

    The canonical form is compact JSON with sorted keys over the session id, the three note
    fields, the signer's id and the signing time (ISO 8601, UTC), encoded as UTF-8.
    """
    if therapy_session.signed_by_id is None or therapy_session.signed_at is None:
        raise ValueError("Only a signed note has a digest.")
    canonical = json.dumps(
        {
            "session_id": therapy_session.id,
            "note_data": therapy_session.note_data or "",
            "note_assessment": therapy_session.note_assessment or "",
            "note_plan": therapy_session.note_plan or "",
            "signed_by_id": therapy_session.signed_by_id,
            "signed_at": therapy_session.signed_at.astimezone(UTC).isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def note_intact(therapy_session: TherapySession) -> bool:
    """Whether a signed note still matches the digest taken when it was signed."""
    return therapy_session.note_sha256 is not None and therapy_session.note_sha256 == note_digest(
        therapy_session
    )
