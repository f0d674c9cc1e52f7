"""Scripts: changes to the practice's library, assignments to partners, and adoption levels.

The only place this area writes: each change runs in its own savepoint (``@atomic``), audits
itself, and raises ``ScriptError`` (a ``Refused``) or ``NoteSigned`` when a rule refuses it.
The levels and the adoption point are rules of ``practice.scripts.adoption``; what the pages and
the API read is in ``practice.scripts.queries``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from practice import audit
from practice.cases.models import CycleRole, Partner
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.core.signals import attendance_changed, case_record_changed
from practice.core.unit_of_work import atomic
from practice.scripts.adoption import (
    ABSENT,
    ADOPTION_LEVELS,
    MAX_LEVEL,
    MIN_LEVEL,
    NO_OPPORTUNITY,
    OBSERVED,
)
from practice.scripts.models import (
    AssignmentStatus,
    Script,
    ScriptAssignment,
    ScriptObservation,
    ScriptRole,
)
from practice.sessions.models import TherapySession
from practice.sessions.signed_notes import require_draft

MAX_SCRIPT_TEXT = 300
MAX_CATEGORY = 40
MAX_OBSERVATION_NOTE = 500
_SAVED_ELSEWHERE = "These levels were saved from another window at the same time. Reload the page."


class ScriptError(Refused):
    """A change to scripts or adoption that cannot be made; the message says why."""


# --- The library -------------------------------------------------------------------------------


@atomic
def create_script(text: str, intended_role: str, category: str) -> Script:
    """Add a script to the library; raises ScriptError for empty, over-long or duplicate text."""
    text, intended_role, category = _clean_script(text, intended_role, category)
    _refuse_duplicate(text)
    last = db.scalar(select(func.max(Script.position))) or 0
    script = Script(text=text, intended_role=intended_role, category=category, position=last + 1)
    db.add(script)
    db.flush()
    audit.record("script_created", obj=script, detail={"intended_role": intended_role})
    return script


@atomic
def update_script(script: Script, text: str, intended_role: str, category: str) -> None:
    """Change a script's wording, role or category; assignments keep pointing at it.

    Raises ScriptError for empty, over-long or duplicate text.
    """
    text, intended_role, category = _clean_script(text, intended_role, category)
    _refuse_duplicate(text, other_than=script)
    changed = [
        name
        for name, value in (
            ("text", text),
            ("intended_role", intended_role),
            ("category", category),
        )
        if getattr(script, name) != value
    ]
    script.text, script.intended_role, script.category = text, intended_role, category
    db.flush()
    audit.record("script_updated", obj=script, detail={"fields": changed})


@atomic
def toggle_script(script: Script) -> None:
    """Retire an active script or bring a retired one back; existing assignments are kept."""
    script.active = not script.active
    db.flush()
    audit.record(
        "script_retired" if not script.active else "script_restored",
        obj=script,
        detail={"active": script.active},
    )


def _clean_script(text: str, intended_role: str, category: str) -> tuple[str, str, str]:
    text = (text or "").strip()
    category = (category or "").strip()
    if not text:
        raise ScriptError(_("Write the script's words."))
    if len(text) > MAX_SCRIPT_TEXT:
        raise ScriptError(f"Keep the script to {MAX_SCRIPT_TEXT} characters or fewer.")
    if not category:
        raise ScriptError(_("Give the script a category."))
    if len(category) > MAX_CATEGORY:
        raise ScriptError(f"Keep the category to {MAX_CATEGORY} characters or fewer.")
    if intended_role not in {role.value for role in ScriptRole}:
        raise ScriptError(_("Choose whom the script is for: pursuer, withdrawer or either."))
    return text, intended_role, category


def _refuse_duplicate(text: str, other_than: Script | None = None) -> None:
    query = select(Script.id).where(func.lower(Script.text) == text.lower())
    if other_than is not None:
        query = query.where(Script.id != other_than.id)
    if db.scalar(query.limit(1)) is not None:
        raise ScriptError(_("A script with these words is already in the library."))


# --- Assignments and adoption --------------------------------------------------------------------


def role_mismatch(script: Script, partner: Partner) -> bool:
    """Whether a script written for one cycle role goes to a partner known to take the other."""
    known = {CycleRole.PURSUER.value, CycleRole.WITHDRAWER.value}
    return (
        script.intended_role in known
        and partner.cycle_role in known
        and script.intended_role != partner.cycle_role
    )


@atomic
def assign_script(
    therapy_session: TherapySession, partner_id: int, script_id: int
) -> ScriptAssignment:
    """Give a library script to a partner of the session's case, from this session on.

    Raises NoteSigned on a signed note, and ScriptError for a partner of another case, an unknown
    or retired script, or a script the partner already has as an active assignment.
    """
    require_draft(therapy_session, "scripts and adoption levels")
    partner = db.get(Partner, partner_id)
    if partner is None or partner.case_id != therapy_session.case_id:
        raise ScriptError(_("That partner is not in this case."))
    script = db.get(Script, script_id)
    if script is None:
        raise ScriptError(_("That script is not in the library."))
    if not script.active:
        raise ScriptError(_("That script is retired and can no longer be assigned."))
    duplicate = db.scalar(
        select(ScriptAssignment.id).where(
            ScriptAssignment.partner_id == partner.id,
            ScriptAssignment.script_id == script.id,
            ScriptAssignment.status == AssignmentStatus.ACTIVE,
        )
    )
    if duplicate is not None:
        raise ScriptError(f"{partner.display_name} is already working on this script.")
    assignment = ScriptAssignment(
        case_id=therapy_session.case_id,
        partner=partner,
        script=script,
        assigned_session_id=therapy_session.id,
        status=AssignmentStatus.ACTIVE,
    )
    db.add(assignment)
    db.flush()
    audit.record(
        "script_assigned",
        obj=assignment,
        detail={"script_id": script.id, "partner_id": partner.id, "session_id": therapy_session.id},
    )
    return assignment


class ObservationInput(NamedTuple):
    """What a counsellor records for one assignment at a session: ``status`` is ``OBSERVED``
    (with a level) or ``NO_OPPORTUNITY`` (without one); ``ABSENT`` comes from attendance only."""

    status: str
    level: int | None = None
    note: str | None = ""  # None: keep the note already recorded


@atomic
def record_adoption(
    therapy_session: TherapySession, entries: Mapping[int, ObservationInput]
) -> None:
    """Record, per assignment id, what was observed at this session, and mark the scripts of
    every partner who did not attend as "partner absent" (never a level).

    An existing observation at this session is updated rather than duplicated. Raises
    NoteSigned on a signed note, and ScriptError for nothing to record, an assignment of another
    case, a retired assignment or one given after this session, a partner who did not attend,
    a status other than observed or no opportunity, an observed session without a level from
    ``ADOPTION_LEVELS``, a level with "no opportunity", or an over-long note; a refusal records
    nothing.
    """
    require_draft(therapy_session, "scripts and adoption levels")
    attended = {partner.id for partner in therapy_session.attendees}
    absent = [a for a in open_assignments(therapy_session) if a.partner_id not in attended]
    if not entries and not absent:
        raise ScriptError(_("Choose a level, or “no opportunity”, for at least one script."))
    assignments = {
        a.id: a
        for a in db.scalars(
            select(ScriptAssignment)
            .options(
                joinedload(ScriptAssignment.assigned_session),
                joinedload(ScriptAssignment.partner),
            )
            .where(ScriptAssignment.id.in_(list(entries)))
        )
    }
    # Check every entry before changing any, so a refusal leaves the session untouched.
    cleaned: dict[int, ObservationInput] = {}
    for assignment_id, entry in entries.items():
        assignment = assignments.get(assignment_id)
        _check_recordable(assignment, therapy_session)
        if assignment.partner_id not in attended:
            raise ScriptError(
                f"{assignment.partner.display_name} did not attend this session: their scripts "
                "are recorded as partner absent.",
                fields={"status": "The partner did not attend this session."},
            )
        cleaned[assignment_id] = _clean_entry(entry)
    for assignment in absent:
        cleaned[assignment.id] = ObservationInput(ABSENT, None, None)
    existing = {
        o.assignment_id: o
        for o in db.scalars(
            select(ScriptObservation).where(
                ScriptObservation.session_id == therapy_session.id,
                ScriptObservation.assignment_id.in_(list(cleaned)),
            )
        )
    }
    for assignment_id, (status, level, note) in cleaned.items():
        observation = existing.get(assignment_id)
        if observation is None:
            db.add(
                ScriptObservation(
                    assignment_id=assignment_id,
                    session_id=therapy_session.id,
                    status=status,
                    level=level,
                    note=note or "",
                )
            )
        else:
            observation.status, observation.level = status, level
            if note is not None:  # an absent partner's note stays as it was
                observation.note = note
            observation.recorded_at = utcnow()
    try:
        db.flush()
    except IntegrityError as error:
        # Two saves of the same new observation at once (a double submit): one wins.
        raise ScriptError(_SAVED_ELSEWHERE) from error
    audit.record(
        "adoption_recorded",
        obj=therapy_session,
        detail={
            "assignment_ids": sorted(entries),
            "absent_assignment_ids": sorted(a.id for a in absent),
        },
    )
    case_record_changed.send(therapy_session.case, what="adoption", draft=True)


def _clean_entry(entry: ObservationInput) -> ObservationInput:
    status, level, note = entry
    if status == ABSENT:
        raise ScriptError(
            "“Partner absent” comes from the session's attendance: change who attended instead.",
            fields={"status": "Set from attendance."},
        )
    if status not in (OBSERVED, NO_OPPORTUNITY):
        raise ScriptError(
            "Record a script as observed (with a level) or as “no opportunity”.",
            fields={"status": "Observed or no opportunity."},
        )
    if status == OBSERVED:
        _check_level(level)
    elif level is not None:
        raise ScriptError(
            "A session without opportunity has no level: leave the level out, or record the "
            "script as observed.",
            fields={"level": "No level without opportunity."},
        )
    note = (note or "").strip()
    if len(note) > MAX_OBSERVATION_NOTE:
        raise ScriptError(f"Keep each note to {MAX_OBSERVATION_NOTE} characters or fewer.")
    return ObservationInput(status, level, note)


def open_assignments(therapy_session: TherapySession) -> list[ScriptAssignment]:
    """The case's active assignments given at or before this session, with their scripts and
    partners (one query)."""
    return list(
        db.scalars(
            select(ScriptAssignment)
            .join(TherapySession, ScriptAssignment.assigned_session_id == TherapySession.id)
            .options(joinedload(ScriptAssignment.script), joinedload(ScriptAssignment.partner))
            .where(
                ScriptAssignment.case_id == therapy_session.case_id,
                ScriptAssignment.status == AssignmentStatus.ACTIVE,
                TherapySession.starts_at <= therapy_session.starts_at,
            )
            .order_by(ScriptAssignment.id)
        )
    )


@atomic
def follow_attendance(therapy_session: TherapySession) -> None:
    """Mark as "partner absent" what was recorded at this session for a partner who is no
    longer among those who attended it (the level goes: they were not there to be observed).

    Runs when a draft session's attendance changes (``attendance_changed``). A partner who now
    attended keeps any "partner absent" (rows are never deleted) until the counsellor records
    what they saw; the tab asks for it, and absent counts neither way meanwhile.
    """
    attended = {partner.id for partner in therapy_session.attendees}
    now_absent = []
    for observation in db.scalars(
        select(ScriptObservation)
        .join(ScriptAssignment, ScriptObservation.assignment_id == ScriptAssignment.id)
        .where(
            ScriptObservation.session_id == therapy_session.id,
            ScriptObservation.status != ABSENT,
            ScriptAssignment.partner_id.not_in(attended),
        )
    ):
        observation.status, observation.level = ABSENT, None
        observation.recorded_at = utcnow()
        now_absent.append(observation.assignment_id)
    if not now_absent:
        return
    db.flush()
    audit.record(
        "adoption_marked_absent",
        obj=therapy_session,
        detail={"assignment_ids": sorted(now_absent)},
    )


@attendance_changed.connect
def _on_attendance_changed(therapy_session: TherapySession, **_: object) -> None:
    follow_attendance(therapy_session)


@atomic
def retire_assignment(assignment: ScriptAssignment, therapy_session: TherapySession) -> None:
    """Stop tracking an assignment from ``therapy_session`` on; its observations are kept.

    Raises ScriptError if the session is of another case or before the assignment, or the
    assignment is already retired, and NoteSigned if the session's note is signed.
    """
    if therapy_session.case_id != assignment.case_id:
        raise ScriptError(_("That session is not of this assignment's case."))
    require_draft(therapy_session, "scripts and adoption levels")
    if assignment.status != AssignmentStatus.ACTIVE:
        raise ScriptError(_("This script was already retired."))
    if therapy_session.starts_at < assignment.assigned_session.starts_at:
        raise ScriptError(_("A script cannot be retired at a session before it was assigned."))
    assignment.status = AssignmentStatus.RETIRED
    assignment.retired_session_id = therapy_session.id
    assignment.retired_at = utcnow()
    db.flush()
    audit.record("assignment_retired", obj=assignment, detail={"session_id": therapy_session.id})


def _check_recordable(assignment: ScriptAssignment | None, therapy_session: TherapySession) -> None:
    if assignment is None or assignment.case_id != therapy_session.case_id:
        raise ScriptError(_("An adoption level was sent for a script that is not in this case."))
    if assignment.status != AssignmentStatus.ACTIVE:
        raise ScriptError(_("A retired script cannot get new adoption levels."))
    if assignment.assigned_session.starts_at > therapy_session.starts_at:
        raise ScriptError(_("A script cannot be observed at a session before it was assigned."))


def _check_level(level: object) -> None:
    # bool is an int subclass; True is not a level.
    if not isinstance(level, int) or isinstance(level, bool) or level not in ADOPTION_LEVELS:
        raise ScriptError(
            f"An adoption level must be a whole number from {MIN_LEVEL} to {MAX_LEVEL}."
        )
