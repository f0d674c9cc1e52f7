"""Recording sessions, saving their DAP notes, signing them, and adding addenda.

Every function takes loaded objects and validated data, flushes and never commits. A refused
change raises ``SessionError`` (or ``NoteConflict`` for a stale version, ``NoteSigned`` for a
signed note) and, run in its own savepoint (``@atomic``), leaves nothing behind.
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
from practice.cases import eft
from practice.cases.models import Case, CaseStatus, Partner
from practice.core import voiding
from practice.core.database import db, utcnow
from practice.core.errors import Conflict, Refused
from practice.core.i18n import _
from practice.core.signals import attendance_changed, case_record_changed, note_signed
from practice.core.unit_of_work import atomic
from practice.eft import gates
from practice.safety import operations as safety
from practice.safety.screening import check_override_reason
from practice.sessions import signed_notes
from practice.sessions.models import Addendum, Modality, NoteStatus, ReviewStatus, TherapySession
from practice.sessions.signed_notes import NOTE_FIELDS, require_draft

MIN_DURATION, MAX_DURATION = 1, 600
MAX_ADDENDUM_LENGTH = 5_000
# A session may be booked a little ahead (time zones, a session recorded just before it starts),
# but not further.
MAX_FUTURE = timedelta(days=1)


class SessionError(Refused):
    """A change to a session that is refused; the message says why, in the counsellor's words."""


class NoteConflict(Conflict):
    """The note was saved by someone else since the editor loaded it.

    ``saved`` holds the note fields as stored and ``current_version`` the version to save over;
    both are None when the clash was only detected at the database (reload the session).
    """

    def __init__(self, saved: Mapping[str, str] | None, current_version: int | None) -> None:
        super().__init__(
            "This note was saved elsewhere since you opened it.", current_version, saved
        )


@dataclass(frozen=True)
class SessionDetails:
    """The details of a session as entered: start (UTC), length, modality, who came, EFT stage."""

    starts_at: datetime
    duration_minutes: int
    modality: str
    attendee_ids: Sequence[int]
    eft_stage: int | None = None
    # Why a stage is set without its change events (``practice.eft.gates``); else empty.
    stage_reason: str = ""


def max_note_length() -> int:
    return int(current_app.config["PRACTICE_MAX_NOTE_LENGTH"])


def _check_details(case: Case, data: SessionDetails) -> list[Partner]:
    """The partners attending, after checking ``data`` against the case; raises SessionError."""
    if case.status == CaseStatus.CLOSED:
        raise SessionError(_("This case is closed. Reopen the case to record a session."))
    if data.starts_at.tzinfo is None:
        raise SessionError(_("The start time needs a time zone (UTC)."))
    if data.starts_at.astimezone(UTC).date() < case.opened_on:
        raise SessionError(
            f"The session cannot start before the case was opened "
            f"({case.opened_on.strftime('%d %b %Y')})."
        )
    if data.starts_at > utcnow() + MAX_FUTURE:
        raise SessionError(_("The session cannot start more than a day from now."))
    if not MIN_DURATION <= data.duration_minutes <= MAX_DURATION:
        raise SessionError(
            f"The duration must be between {MIN_DURATION} and {MAX_DURATION} minutes."
        )
    if data.modality not in {m.value for m in Modality}:
        raise SessionError(_("Choose in person, video or phone."))
    if problem := eft.stage_problem(data.eft_stage):
        raise SessionError(problem)
    partners = {p.id: p for p in case.partners}
    wanted = set(data.attendee_ids)
    if not wanted:
        raise SessionError(_("Tick at least one partner who attended."))
    if not wanted <= partners.keys():
        raise SessionError(_("Only partners of this case can attend its sessions."))
    return [p for p in case.partners if p.id in wanted]


@atomic
def record_session(case: Case, member: StaffMember, data: SessionDetails) -> TherapySession:
    """Record a draft session of ``case`` by its counsellor ``member``; raises SessionError."""
    if case.counsellor_id != member.id:
        raise SessionError(_("Only the case's counsellor can record its sessions."))
    attendees = _check_details(case, data)
    therapy_session = TherapySession(
        case=case,
        starts_at=data.starts_at,
        duration_minutes=data.duration_minutes,
        modality=data.modality,
        eft_stage=data.eft_stage,
        attendees=attendees,
        created_by_id=member.id,
        status=NoteStatus.DRAFT,
    )
    db.add(therapy_session)
    db.flush()
    audit.record("session_created", obj=therapy_session)
    if therapy_session.eft_stage is not None:
        gates.check_case_stage(
            case, data.eft_stage, data.stage_reason, therapy_session=therapy_session, actor=member
        )
        follow_case_stage(therapy_session)
    return therapy_session


def follow_case_stage(therapy_session: TherapySession) -> None:
    """Move the session's case to the stage of its latest standing session that records one
    (``eft.CASE_STAGE_RULE``); audited "case_stage_moved" when it changes.

    Called when a session's stage is recorded or changed, or a session recording one is moved
    in time or voided. Editing an older session thus leaves a later session's stage in force.
    """
    case = therapy_session.case
    stages = db.scalars(
        select(TherapySession.eft_stage)
        .where(TherapySession.case_id == case.id, TherapySession.voided_at.is_(None))
        .order_by(TherapySession.starts_at, TherapySession.id)
    )
    stage = eft.current_stage(stages, case.eft_stage)
    if stage == case.eft_stage:
        return
    was = case.eft_stage
    case.eft_stage = stage
    case.updated_at = utcnow()
    db.flush()
    audit.record(
        "case_stage_moved",
        obj=case,
        detail={"from": was, "to": stage, "session_id": therapy_session.id},
    )


def _current_version(therapy_session: TherapySession, expected_version: int) -> None:
    if expected_version != therapy_session.version:
        raise NoteConflict(note_fields(therapy_session), therapy_session.version)


def _flush_versioned(therapy_session: TherapySession) -> None:
    """Flush; a concurrent save between our check and the UPDATE becomes a NoteConflict."""
    try:
        db.flush()
    except StaleDataError as error:
        raise NoteConflict(None, None) from error


@atomic
def update_details(
    therapy_session: TherapySession, data: SessionDetails, expected_version: int
) -> TherapySession:
    """Change the details of a draft session; raises SessionError or NoteConflict."""
    require_draft(therapy_session)
    _current_version(therapy_session, expected_version)
    attendees = _check_details(therapy_session.case, data)
    changed = [
        name
        for name, value in (
            ("starts_at", data.starts_at),
            ("duration_minutes", data.duration_minutes),
            ("modality", data.modality),
            ("eft_stage", data.eft_stage),
        )
        if getattr(therapy_session, name) != value
    ]
    if {p.id for p in therapy_session.attendees} != {p.id for p in attendees}:
        changed.append("attendance")
    if not changed:
        return therapy_session
    stage_touched = "eft_stage" in changed or (
        "starts_at" in changed and therapy_session.eft_stage is not None
    )
    therapy_session.starts_at = data.starts_at
    therapy_session.duration_minutes = data.duration_minutes
    therapy_session.modality = data.modality
    therapy_session.eft_stage = data.eft_stage
    therapy_session.attendees = attendees
    # A column change, so that an attendance-only edit still bumps the version.
    therapy_session.updated_at = utcnow()
    _flush_versioned(therapy_session)
    audit.record("session_updated", obj=therapy_session, detail={"fields": changed})
    if "eft_stage" in changed:
        gates.check_case_stage(
            therapy_session.case,
            data.eft_stage,
            data.stage_reason,
            therapy_session=therapy_session,
        )
    if stage_touched:
        follow_case_stage(therapy_session)
    if "attendance" in changed:
        attendance_changed.send(therapy_session)
    return therapy_session


@atomic
def update_session(
    therapy_session: TherapySession,
    details: SessionDetails | None,
    note: Mapping[str, str] | None,
    expected_version: int,
) -> TherapySession:
    """Change a draft's details, its note, or both, as one change guarded by one version.

    Raises as ``update_details`` and ``save_note`` do; a refusal of either keeps neither.
    """
    if details is not None:
        update_details(therapy_session, details, expected_version)
        # The details moved the version on; the note is saved over this same change.
        expected_version = therapy_session.version
    if note is not None:
        save_note(therapy_session, note, expected_version)
    return therapy_session


def note_fields(therapy_session: TherapySession) -> dict[str, str]:
    """The three DAP fields of a session as a dict."""
    return {name: getattr(therapy_session, name) or "" for name in NOTE_FIELDS}


def draft_digest(fields: Mapping[str, str]) -> str:
    """SHA-256 (hex) of a draft's three note fields: what an editor started from."""
    canonical = json.dumps([fields.get(name, "") for name in NOTE_FIELDS], ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@atomic
def save_note(
    therapy_session: TherapySession,
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
    require_draft(therapy_session)
    # Compared as bytes: compare_digest refuses str with non-ASCII characters.
    note_unchanged = base_digest is not None and hmac.compare_digest(
        base_digest.encode(), draft_digest(note_fields(therapy_session)).encode()
    )
    if not note_unchanged:
        _current_version(therapy_session, expected_version)
    limit = max_note_length()
    for name in NOTE_FIELDS:
        if len(fields.get(name, "")) > limit:
            raise SessionError(f"Each part of the note can hold at most {limit:,} characters.")
    if all(fields.get(name, "") == getattr(therapy_session, name) for name in NOTE_FIELDS):
        return therapy_session
    for name in NOTE_FIELDS:
        setattr(therapy_session, name, fields.get(name, ""))
    _flush_versioned(therapy_session)
    audit.record("note_saved", obj=therapy_session, detail={"version": therapy_session.version})
    return therapy_session


def note_intact_audited(therapy_session: TherapySession, where: str) -> bool | None:
    """Whether a signed note still matches the digest taken at signing; None for a draft.

    A changed note is still shown, with a warning, so the failure is audited as reports audit
    it (ids and ``where`` only); the caller commits.
    """
    if not therapy_session.is_signed:
        return None
    status = signed_notes.seal_status(therapy_session)
    if status != signed_notes.INTACT:
        audit.record(
            "note_integrity_failed",
            obj=therapy_session,
            outcome="failed",
            detail={"where": where, "seal": status},
        )
    return status == signed_notes.INTACT


@atomic
def sign_note(
    therapy_session: TherapySession,
    member: StaffMember,
    expected_version: int | None = None,
    override_reason: str | None = None,
) -> TherapySession:
    """Sign a draft note as its counsellor, locking it; emits ``note_signed``.

    The caller has confirmed the password. With ``expected_version``, only the note as the signer
    read it is signed. A joint note (both partners of a couple attended) needs a current safety
    screen of each partner and no rescreen due (``practice.safety.screening``), or an
    ``override_reason``, recorded and flagged to the supervisor. Raises SessionError for a
    signed or empty note, or a signer who is not the case's counsellor; ScreenMissing for a
    joint note without current screens (SessionError for an override reason that is too long);
    NoteConflict if the note changed since it was read.
    """
    require_draft(therapy_session)
    if expected_version is not None:
        _current_version(therapy_session, expected_version)
    if therapy_session.case.counsellor_id != member.id:
        raise SessionError(_("Only the case's counsellor can sign this note."))
    if not any((getattr(therapy_session, name) or "").strip() for name in NOTE_FIELDS):
        raise SessionError(_("The note is empty. Write the note before signing it."))
    screen_problems = safety.joint_signing_problems(therapy_session)
    if screen_problems:
        if not (override_reason or "").strip():
            raise safety.ScreenMissing(screen_problems)
        try:
            override_reason = check_override_reason(override_reason)
        except ValueError as error:
            raise SessionError(str(error), fields={"override_reason": str(error)}) from None
    therapy_session.status = NoteStatus.SIGNED
    therapy_session.signed_by_id = member.id
    # Whole seconds, so the seal's timestamp reads back identically on every database.
    therapy_session.signed_at = utcnow().replace(microsecond=0)
    signed_notes.seal(therapy_session)
    therapy_session.review_status = (
        ReviewStatus.PENDING if member.supervisor_id is not None else ReviewStatus.NOT_REQUIRED
    )
    _flush_versioned(therapy_session)
    if screen_problems:
        safety.record_override(therapy_session, member, override_reason, screen_problems)
    audit.record(
        "note_signed", obj=therapy_session, detail={"review_status": therapy_session.review_status}
    )
    note_signed.send(therapy_session, member=member)
    return therapy_session


@atomic
def add_addendum(therapy_session: TherapySession, member: StaffMember, text: str) -> Addendum:
    """Add an addendum to a signed note; a co-signed note goes back to its supervisor.

    Raises SessionError for a draft, an empty or over-long text, or an author who is not the
    case's counsellor.
    """
    if not therapy_session.is_signed:
        raise SessionError(_("Addenda are for signed notes; edit the draft note instead."))
    if therapy_session.case.counsellor_id != member.id:
        raise SessionError(_("Only the case's counsellor can add an addendum."))
    text = (text or "").strip()
    if not text:
        raise SessionError(_("Write the addendum before adding it."))
    if len(text) > MAX_ADDENDUM_LENGTH:
        raise SessionError(f"An addendum can hold at most {MAX_ADDENDUM_LENGTH:,} characters.")
    addendum = Addendum(
        session_id=therapy_session.id, author_id=member.id, text=text, created_at=utcnow()
    )
    db.add(addendum)
    detail: dict = {}
    if therapy_session.review_status in (ReviewStatus.COSIGNED, ReviewStatus.RETURNED):
        # A co-signature covered the record as it was, and a returned note waits for exactly
        # this correction: either way the supervisor must see it again.
        detail = {"review_status": "pending", "was": therapy_session.review_status}
        if therapy_session.cosigned_by_id:
            detail["was_cosigned_by_id"] = therapy_session.cosigned_by_id
        therapy_session.review_status = ReviewStatus.PENDING
        therapy_session.cosigned_by_id = None
        therapy_session.cosigned_at = None
    _flush_versioned(therapy_session)
    audit.record(
        "addendum_added", obj=therapy_session, detail={"addendum_id": addendum.id, **detail}
    )
    case_record_changed.send(therapy_session.case, member=member, what="addendum")
    return addendum


def addenda_of(therapy_session: TherapySession) -> list[Addendum]:
    """The addenda of a session in order, with their authors, in one query."""
    return list(
        db.scalars(
            select(Addendum)
            .where(Addendum.session_id == therapy_session.id)
            .options(selectinload(Addendum.author))
            .order_by(Addendum.created_at, Addendum.id)
        )
    )


@atomic
def void_session(
    therapy_session: TherapySession, member: StaffMember, reason: str
) -> TherapySession:
    """Void a draft session recorded in error: it stays, with who, when and why, out of every
    list, figure and report. A signed note is part of the record and is corrected by addenda.

    Raises SessionError for a signed note, a session voided already, a member who is not the
    case's counsellor, or an empty or over-long reason.
    """
    if therapy_session.case.counsellor_id != member.id:
        raise SessionError(_("Only the case's counsellor can void its sessions."))
    if therapy_session.is_signed:
        raise SessionError(_("A signed note cannot be voided; add an addendum instead."))
    if therapy_session.voided_at is not None:
        raise SessionError(_("This session was voided already."))
    try:
        reason = voiding.clean_reason(reason)
    except ValueError as error:
        raise SessionError(str(error), fields={"reason": str(error)}) from error
    therapy_session.voided_at = utcnow()
    therapy_session.voided_by_id = member.id
    therapy_session.void_reason = reason
    _flush_versioned(therapy_session)
    audit.record("session_voided", obj=therapy_session)
    if therapy_session.eft_stage is not None:
        follow_case_stage(therapy_session)
    return therapy_session


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
