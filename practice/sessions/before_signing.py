"""What a note is missing before it is signed: the warning list of the sign page.

Signing fixes the session's record (``signed_notes``), so the sign page lists first what was
not recorded: no CSI-4 for a partner who attended, no adoption level (nor "no opportunity") for
an active script of a partner who attended, and an empty part of the DAP note. None of these
refuses signing (a note may be signed with nothing else recorded); the counsellor confirms that
they read the list, then signs.

One thing does refuse signing, and the sign page lists it above the rest: a joint note (both
partners of a couple attended) without a current safety screen of each partner, or with a
rescreen due (``practice.safety.screening.joint_signing_problems``, checked again by
``sign_note``); the counsellor screens them, or signs with a reason their supervisor is shown.

Pure: no Flask, no database. The sign page gathers the facts and calls ``missing_before_signing``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

NOTE_PARTS = {"note_data": "Data", "note_assessment": "Assessment", "note_plan": "Plan"}

CSI4 = "csi4"
ADOPTION = "adoption"
NOTE = "note"


@dataclass(frozen=True)
class Attendee:
    """A partner who attended the session."""

    partner_id: int
    name: str


@dataclass(frozen=True)
class OpenScript:
    """An active script assigned to a partner at or before the session."""

    assignment_id: int
    partner_id: int
    partner_name: str
    script_text: str


@dataclass(frozen=True)
class Missing:
    """One thing not recorded: ``kind`` (``CSI4``, ``ADOPTION`` or ``NOTE``) says which tab
    records it; ``text`` says what, in the counsellor's words."""

    kind: str
    text: str


def missing_before_signing(
    note: Mapping[str, str],
    attendees: Sequence[Attendee],
    measured_partner_ids: Collection[int],
    open_scripts: Sequence[OpenScript],
    recorded_assignment_ids: Collection[int],
) -> list[Missing]:
    """What the session has not recorded, in the order of its tabs: CSI-4 per partner who
    attended, adoption per active script of a partner who attended, then empty note parts.

    An absent partner is asked for nothing (their scripts are recorded as absent). Empty note
    parts are listed only when the note has some text: an empty note cannot be signed at all.
    """
    missing = [
        Missing(CSI4, f"No CSI-4 recorded for {attendee.name}, who attended.")
        for attendee in attendees
        if attendee.partner_id not in measured_partner_ids
    ]
    present = {attendee.partner_id for attendee in attendees}
    missing += [
        Missing(
            ADOPTION,
            f"No adoption level recorded for {script.partner_name}'s script "
            f"“{script.script_text}” (or “no opportunity”).",
        )
        for script in open_scripts
        if script.partner_id in present and script.assignment_id not in recorded_assignment_ids
    ]
    if any((note.get(name) or "").strip() for name in NOTE_PARTS):
        missing += [
            Missing(NOTE, f"The {label} part of the note is empty.")
            for name, label in NOTE_PARTS.items()
            if not (note.get(name) or "").strip()
        ]
    return missing
