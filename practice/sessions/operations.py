"""Recording sessions, saving their DAP notes, signing them, and adding addenda.

Every function takes loaded objects and validated data, flushes and never commits. A refused
change raises ``SessionError`` (or ``NoteConflict`` for a stale version) and changes nothing the
caller needs to keep: the caller rolls back.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Case, CaseStatus, Partner
from practice.core import voiding
from practice.core.database import db, utcnow
from practice.core.signals import note_signed
from practice.sessions.models import Addendum, Modality, NoteStatus, ReviewStatus, TherapySession

NOTE_FIELDS = ("note_data", "note_assessment", "note_plan")
MIN_DURATION, MAX_DURATION = 1, 600
MAX_ADDENDUM_LENGTH = 5_000
# A session may be booked a little ahead (time zones, a session recorded just before it starts),
# but not further.
MAX_FUTURE = timedelta(days=1)


class SessionError(ValueError):
    """A change to a session that is refused; the message says why, in the counsellor's words."""


class NoteConflict(ValueError):
    """The note was saved by someone else since the editor loaded it.

    ``saved`` holds the note fields as stored and ``current_version`` the version to save over;
    both are None when the clash was only detected at the database (reload the session).
    """

    def __init__(self, saved: Mapping[str, str] | None, current_version: int | None) -> None:
        super().__init__("This note was saved elsewhere since you opened it.")
        self.saved = dict(saved) if saved is not None else None
        self.current_version = current_version


@dataclass(frozen=True)
class SessionDetails:
    """The details of a session as entered: start (UTC), length, modality, who came, EFT stage."""

    starts_at: datetime
    duration_minutes: int
    modality: str
    attendee_ids: Sequence[int]
    eft_stage: int | None = None


def max_note_length() -> int:
    return int(current_app.config["PRACTICE_MAX_NOTE_LENGTH"])


def require_draft(session: TherapySession) -> None:
    """Raise SessionError if the note is signed: a signed session's note, details and moments
    are fixed."""
    if session.is_signed:
        raise SessionError("This note is signed; add an addendum instead.")


def _check_details(case: Case, data: SessionDetails) -> list[Partner]:
    """The partners attending, after checking ``data`` against the case; raises SessionError."""
    if case.status == CaseStatus.CLOSED:
        raise SessionError("This case is closed. Reopen the case to record a session.")
    if data.starts_at.tzinfo is None:
        raise SessionError("The start time needs a time zone (UTC).")
    if data.starts_at.astimezone(UTC).date() < case.opened_on:
        raise SessionError(
            f"The session cannot start before the case was opened "
            f"({case.opened_on.strftime('%d %b %Y')})."
        )
    if data.starts_at > utcnow() + MAX_FUTURE:
        raise SessionError("The session cannot start more than a day from now.")
    if not MIN_DURATION <= data.duration_minutes <= MAX_DURATION:
        raise SessionError(
            f"The duration must be between {MIN_DURATION} and {MAX_DURATION} minutes."
        )
    if data.modality not in {m.value for m in Modality}:
        raise SessionError("Choose in person, video or phone.")
    if data.eft_stage is not None and data.eft_stage not in (1, 2, 3):
        raise SessionError("The EFT stage is 1, 2 or 3, or left blank.")
    partners = {p.id: p for p in case.partners}
    wanted = set(data.attendee_ids)
    if not wanted:
        raise SessionError("Tick at least one partner who attended.")
    if not wanted <= partners.keys():
        raise SessionError("Only partners of this case can attend its sessions.")
    return [p for p in case.partners if p.id in wanted]


def record_session(case: Case, member: StaffMember, data: SessionDetails) -> TherapySession:
    """Record a draft session of ``case`` by its counsellor ``member``; raises SessionError."""
    if case.counsellor_id != member.id:
        raise SessionError("Only the case's counsellor can record its sessions.")
    attendees = _check_details(case, data)
    session = TherapySession(
        case=case,
        starts_at=data.starts_at,
        duration_minutes=data.duration_minutes,
        modality=data.modality,
        eft_stage=data.eft_stage,
        attendees=attendees,
        created_by_id=member.id,
        status=NoteStatus.DRAFT,
    )
    db.add(session)
    db.flush()
    audit.record("session_created", obj=session)
    return session


def _current_version(session: TherapySession, expected_version: int) -> None:
    if expected_version != session.version:
        raise NoteConflict(note_fields(session), session.version)


def _flush_versioned(session: TherapySession) -> None:
    """Flush; a concurrent save between our check and the UPDATE becomes a NoteConflict."""
    try:
        db.flush()
    except StaleDataError as error:
        raise NoteConflict(None, None) from error


def update_details(
    session: TherapySession, data: SessionDetails, expected_version: int
) -> TherapySession:
    """Change the details of a draft session; raises SessionError or NoteConflict."""
    require_draft(session)
    _current_version(session, expected_version)
    attendees = _check_details(session.case, data)
    changed = [
        name
        for name, value in (
            ("starts_at", data.starts_at),
            ("duration_minutes", data.duration_minutes),
            ("modality", data.modality),
            ("eft_stage", data.eft_stage),
        )
        if getattr(session, name) != value
    ]
    if {p.id for p in session.attendees} != {p.id for p in attendees}:
        changed.append("attendance")
    if not changed:
        return session
    session.starts_at = data.starts_at
    session.duration_minutes = data.duration_minutes
    session.modality = data.modality
    session.eft_stage = data.eft_stage
    session.attendees = attendees
    # A column change, so that an attendance-only edit still bumps the version.
    session.updated_at = utcnow()
    _flush_versioned(session)
    audit.record("session_updated", obj=session, detail={"fields": changed})
    return session


def note_fields(session: TherapySession) -> dict[str, str]:
    """The three DAP fields of a session as a dict."""
    return {name: getattr(session, name) or "" for name in NOTE_FIELDS}


def draft_digest(fields: Mapping[str, str]) -> str:
    """SHA-256 (hex) of a draft's three note fields: what an editor started from."""
    canonical = json.dumps([fields.get(name, "") for name in NOTE_FIELDS], ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def save_note(
    session: TherapySession,
    fields: Mapping[str, str],
    expected_version: int,
    base_digest: str | None = None,
) -> TherapySession:
    """Save the DAP note of a draft if ``expected_version`` is current.

    ``base_digest`` (``draft_digest`` of the note the editor started from) narrows the check to
    the note itself: when the version moved on only because something else about the session
    changed (its details, the live-mode clock), the note is still the one the editor saw, and
    saving over it loses nothing. Raises SessionError for a signed note or an over-long field,
    NoteConflict when the note itself changed.
    """
    require_draft(session)
    # Compared as bytes: compare_digest refuses str with non-ASCII characters.
    note_unchanged = base_digest is not None and hmac.compare_digest(
        base_digest.encode(), draft_digest(note_fields(session)).encode()
    )
    if not note_unchanged:
        _current_version(session, expected_version)
    limit = max_note_length()
    for name in NOTE_FIELDS:
        if len(fields.get(name, "")) > limit:
            raise SessionError(f"Each part of the note can hold at most {limit:,} characters.")
    if all(fields.get(name, "") == getattr(session, name) for name in NOTE_FIELDS):
        return session
    for name in NOTE_FIELDS:
        setattr(session, name, fields.get(name, ""))
    _flush_versioned(session)
    audit.record("note_saved", obj=session, detail={"version": session.version})
    return session


def note_intact_audited(session: TherapySession, where: str) -> bool | None:
    """Whether a signed note still matches the digest taken at signing; None for a draft.

    A changed note is still shown, with a warning, so the failure is audited as reports audit
    it (ids and ``where`` only); the caller commits.
    """
    if not session.is_signed:
        return None
    intact = note_intact(session)
    if not intact:
        audit.record(
            "note_integrity_failed", obj=session, outcome="failed", detail={"where": where}
        )
    return intact


def note_digest(session: TherapySession) -> str:
    """SHA-256 (hex) of the canonical form of a signed note; raises ValueError if unsigned.

    The canonical form is compact JSON with sorted keys over the session id, the three note
    fields, the signer's id and the signing time (ISO 8601, UTC), encoded as UTF-8.
    """
    if session.signed_by_id is None or session.signed_at is None:
        raise ValueError("Only a signed note has a digest.")
    canonical = json.dumps(
        {
            "session_id": session.id,
            "note_data": session.note_data or "",
            "note_assessment": session.note_assessment or "",
            "note_plan": session.note_plan or "",
            "signed_by_id": session.signed_by_id,
            "signed_at": session.signed_at.astimezone(UTC).isoformat(),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def note_intact(session: TherapySession) -> bool:
    """Whether a signed note still matches the digest taken when it was signed."""
    return session.note_sha256 is not None and session.note_sha256 == note_digest(session)


def sign_note(
    session: TherapySession, member: StaffMember, expected_version: int | None = None
) -> TherapySession:
    """Sign a draft note as its counsellor, locking it; emits ``note_signed``.

    The caller has confirmed the password. With ``expected_version``, only the note as the signer
    read it is signed. Raises SessionError for a signed or empty note, or a signer who is not the
    case's counsellor; NoteConflict if the note changed since it was read.
    """
    require_draft(session)
    if expected_version is not None:
        _current_version(session, expected_version)
    if session.case.counsellor_id != member.id:
        raise SessionError("Only the case's counsellor can sign this note.")
    if not any((getattr(session, name) or "").strip() for name in NOTE_FIELDS):
        raise SessionError("The note is empty. Write the note before signing it.")
    session.status = NoteStatus.SIGNED
    session.signed_by_id = member.id
    # Whole seconds, so the digest's timestamp reads back identically on every database.
    session.signed_at = utcnow().replace(microsecond=0)
    session.note_sha256 = note_digest(session)
    session.review_status = (
        ReviewStatus.PENDING if member.supervisor_id is not None else ReviewStatus.NOT_REQUIRED
    )
    _flush_versioned(session)
    audit.record("note_signed", obj=session, detail={"review_status": session.review_status})
    note_signed.send(session, member=member)
    return session


def add_addendum(session: TherapySession, member: StaffMember, text: str) -> Addendum:
    """Add an addendum to a signed note; a co-signed note goes back to its supervisor.

    Raises SessionError for a draft, an empty or over-long text, or an author who is not the
    case's counsellor.
    """
    if not session.is_signed:
        raise SessionError("Addenda are for signed notes; edit the draft note instead.")
    if session.case.counsellor_id != member.id:
        raise SessionError("Only the case's counsellor can add an addendum.")
    text = (text or "").strip()
    if not text:
        raise SessionError("Write the addendum before adding it.")
    if len(text) > MAX_ADDENDUM_LENGTH:
        raise SessionError(f"An addendum can hold at most {MAX_ADDENDUM_LENGTH:,} characters.")
    addendum = Addendum(session_id=session.id, author_id=member.id, text=text, created_at=utcnow())
    db.add(addendum)
    detail: dict = {}
    if session.review_status in (ReviewStatus.COSIGNED, ReviewStatus.RETURNED):
        # A co-signature covered the record as it was, and a returned note waits for exactly
        # this correction: either way the supervisor must see it again.
        detail = {"review_status": "pending", "was": session.review_status}
        if session.cosigned_by_id:
            detail["was_cosigned_by_id"] = session.cosigned_by_id
        session.review_status = ReviewStatus.PENDING
        session.cosigned_by_id = None
        session.cosigned_at = None
    _flush_versioned(session)
    audit.record("addendum_added", obj=session, detail={"addendum_id": addendum.id, **detail})
    return addendum


def addenda_of(session: TherapySession) -> list[Addendum]:
    """The addenda of a session in order, with their authors, in one query."""
    return list(
        db.scalars(
            select(Addendum)
            .where(Addendum.session_id == session.id)
            .options(selectinload(Addendum.author))
            .order_by(Addendum.created_at, Addendum.id)
        )
    )


def void_session(session: TherapySession, member: StaffMember, reason: str) -> TherapySession:
    """Void a draft session recorded in error: it stays, with who, when and why, out of every
    list, figure and report. A signed note is part of the record and is corrected by addenda.

    Raises SessionError for a signed note, a session voided already, a member who is not the
    case's counsellor, or an empty or over-long reason.
    """
    if session.case.counsellor_id != member.id:
        raise SessionError("Only the case's counsellor can void its sessions.")
    if session.is_signed:
        raise SessionError("A signed note cannot be voided; add an addendum instead.")
    if session.voided_at is not None:
        raise SessionError("This session was voided already.")
    try:
        reason = voiding.clean_reason(reason)
    except ValueError as error:
        raise SessionError(str(error)) from error
    session.voided_at = utcnow()
    session.voided_by_id = member.id
    session.void_reason = reason
    _flush_versioned(session)
    audit.record("session_voided", obj=session)
    return session


def voided_sessions(case: Case) -> list[TherapySession]:
    """The case's voided sessions, for its history: who voided them, when and why."""
    return list(
        db.scalars(
            select(TherapySession)
            .where(TherapySession.case_id == case.id, TherapySession.voided_at.is_not(None))
            .options(selectinload(TherapySession.voided_by))
            .order_by(TherapySession.starts_at)
        )
    )
