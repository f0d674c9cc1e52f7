"""The whole session as the co-signature page shows it: moments, CSI-4 answers, adoption.

A reviewer co-signs the note in its context, so the page shows everything recorded at the
session, read in three queries whatever their number. The figures come from the areas' rules
(``balance.cycle_balance``, ``adoption.ADOPTION_LEVELS``, ``csi4.CSI4_CUTOFF``).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from practice.cases.models import Partner
from practice.core.database import db
from practice.measures import csi4
from practice.measures.models import MeasureResponse
from practice.moments import balance
from practice.moments.models import Moment, MomentType
from practice.scripts import adoption
from practice.scripts.models import Script, ScriptAssignment, ScriptObservation
from practice.sessions.models import TherapySession


@dataclass(frozen=True)
class MomentLine:
    minute: int
    label: str
    valence: str
    partner: str
    intensity: int
    context: str


@dataclass(frozen=True)
class MeasureLine:
    partner: str
    total: int
    below_cutoff: bool


@dataclass(frozen=True)
class AdoptionLine:
    partner: str
    script: str
    status: str
    level: int | None
    level_label: str


@dataclass(frozen=True)
class SessionRecord:
    moments: list[MomentLine]
    balance: balance.CycleBalance
    measures: list[MeasureLine]
    adoption: list[AdoptionLine]


def session_record(therapy_session: TherapySession) -> SessionRecord:
    """What was recorded at ``therapy_session`` beyond its note (three queries)."""
    partner_names = {p.id: p.display_name for p in therapy_session.case.partners}
    moments = [
        MomentLine(
            minute=moment.minute,
            label=label,
            valence=valence,
            partner=partner_names.get(moment.partner_id, "Both"),
            intensity=moment.intensity,
            context=moment.context,
        )
        for moment, label, valence in db.execute(
            select(Moment, MomentType.label, MomentType.valence)
            .join(MomentType, MomentType.id == Moment.moment_type_id)
            .where(Moment.session_id == therapy_session.id, Moment.voided_at.is_(None))
            .order_by(Moment.minute, Moment.id)
        )
    ]
    measures = [
        MeasureLine(
            partner=partner_names.get(partner_id, "—"),
            total=total,
            below_cutoff=total < csi4.CSI4_CUTOFF,
        )
        for partner_id, total in db.execute(
            select(MeasureResponse.partner_id, MeasureResponse.total)
            .join(Partner, Partner.id == MeasureResponse.partner_id)
            .where(MeasureResponse.session_id == therapy_session.id)
            .order_by(Partner.position, MeasureResponse.id)
        )
    ]
    observations = [
        AdoptionLine(
            partner=partner_names.get(partner_id, "—"),
            script=text,
            status=observation.status,
            level=observation.level,
            level_label=adoption.ADOPTION_LEVELS.get(observation.level, "—")
            if observation.level is not None
            else "—",
        )
        for observation, partner_id, text in db.execute(
            select(ScriptObservation, ScriptAssignment.partner_id, Script.text)
            .join(ScriptAssignment, ScriptAssignment.id == ScriptObservation.assignment_id)
            .join(Script, Script.id == ScriptAssignment.script_id)
            .where(ScriptObservation.session_id == therapy_session.id)
            .order_by(ScriptAssignment.partner_id, ScriptAssignment.id)
        )
    ]
    return SessionRecord(
        moments=moments,
        balance=balance.cycle_balance((m.valence, m.intensity) for m in moments),
        measures=measures,
        adoption=observations,
    )
