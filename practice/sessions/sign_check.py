"""What a draft lacks before signing, gathered for the sign page and the API alike.

The rule is ``before_signing``'s (pure); this module reads the facts it needs: the session's
attendance, CSI-4 answers, its open scripts' levels and its note (four queries). The safety
screen's refusal is ``practice.safety.operations.joint_signing_problems``.
"""

from __future__ import annotations

from practice.measures.queries import session_csi4
from practice.scripts.adoption import ABSENT
from practice.scripts.operations import open_assignments
from practice.scripts.queries import session_levels
from practice.sessions import before_signing, operations
from practice.sessions.before_signing import Attendee, Missing, OpenScript
from practice.sessions.models import TherapySession


def missing_before_signing(therapy_session: TherapySession) -> list[Missing]:
    """What ``therapy_session`` has not recorded, in the order of its tabs."""
    attended = {partner.id for partner in therapy_session.attendees}
    attendees = [
        Attendee(partner.id, partner.display_name)
        for partner in therapy_session.case.partners
        if partner.id in attended
    ]
    scripts = [
        OpenScript(a.id, a.partner_id, a.partner.display_name, a.script.text)
        for a in open_assignments(therapy_session)
    ]
    recorded = {
        level.assignment_id for level in session_levels(therapy_session) if level.status != ABSENT
    }
    return before_signing.missing_before_signing(
        operations.note_fields(therapy_session),
        attendees,
        set(session_csi4(therapy_session)),
        scripts,
        recorded,
    )
