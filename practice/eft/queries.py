"""Reading a case's change events: the confirmed events with their evidence, the voided ones,
the tracker's proposals, the stage gate's status and the open overrides.

A fixed number of statements whatever the case's size (the case page's budget): the events
(and, by ``selectinload``, their evidence), the sessions, their standing moments, the overrides.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from practice.cases import eft
from practice.cases.models import Case
from practice.core.database import db
from practice.eft import gates, kinds, proposals
from practice.eft.models import ChangeEvent, Decision, StageOverride
from practice.eft.settings import thresholds
from practice.moments.models import Moment, MomentType
from practice.sessions.models import TherapySession


@dataclass(frozen=True)
class MomentLine:
    """One moment as a choice or a piece of evidence: no context text, only what it was."""

    id: int
    session_id: int
    session_on: date
    minute: int
    label: str
    partner: str


@dataclass(frozen=True)
class ProposalView:
    proposal: proposals.Proposal
    session_on: date
    evidence: list[MomentLine]

    @property
    def label(self) -> str:
        return kinds.label(self.proposal.kind)


@dataclass(frozen=True)
class GateLine:
    """One gated stage: whether it is open, and the events it still waits for."""

    stage: int
    name: str
    missing: list[str]

    @property
    def open(self) -> bool:
        return not self.missing

    @property
    def missing_words(self) -> str:
        return kinds.missing_words(self.missing)


@dataclass(frozen=True)
class CaseChangeEvents:
    """What the case page's "Change events" section shows."""

    confirmed: list[ChangeEvent] = field(default_factory=list)
    voided: list[ChangeEvent] = field(default_factory=list)
    proposals: list[ProposalView] = field(default_factory=list)
    gates: list[GateLine] = field(default_factory=list)
    overrides: list[StageOverride] = field(default_factory=list)
    sessions: list[tuple[int, date]] = field(default_factory=list)
    moments: list[MomentLine] = field(default_factory=list)
    partner_names: dict[int, str] = field(default_factory=dict)

    def evidence_of(self, event: ChangeEvent) -> list[MomentLine]:
        wanted = {m.id for m in event.evidence}
        return [m for m in self.moments if m.id in wanted]


def _facts(case: Case) -> tuple[list[proposals.SessionFacts], list[MomentLine], dict[int, date]]:
    """The case's standing sessions with their standing moments (two statements)."""
    sessions = db.execute(
        select(TherapySession.id, TherapySession.starts_at)
        .where(TherapySession.case_id == case.id, TherapySession.voided_at.is_(None))
        .order_by(TherapySession.starts_at, TherapySession.id)
    ).all()
    days = {row.id: row.starts_at.date() for row in sessions}
    rows = db.execute(
        select(Moment, MomentType.key, MomentType.valence, MomentType.label)
        .join(MomentType, MomentType.id == Moment.moment_type_id)
        .join(TherapySession, TherapySession.id == Moment.session_id)
        .where(
            TherapySession.case_id == case.id,
            TherapySession.voided_at.is_(None),
            Moment.voided_at.is_(None),
        )
        .order_by(Moment.session_id, Moment.minute, Moment.id)
    ).all()
    names = {p.id: p.display_name for p in case.partners}
    by_session: dict[int, list[proposals.MomentFact]] = {}
    lines = []
    for moment, key, valence, type_label in rows:
        by_session.setdefault(moment.session_id, []).append(
            proposals.MomentFact(
                moment.id, key, valence, moment.intensity, moment.minute, moment.partner_id
            )
        )
        lines.append(
            MomentLine(
                id=moment.id,
                session_id=moment.session_id,
                session_on=days[moment.session_id],
                minute=moment.minute,
                label=type_label,
                partner=names.get(moment.partner_id or 0, "Both"),
            )
        )
    facts = [
        proposals.SessionFacts(row.id, row.starts_at, tuple(by_session.get(row.id, ())))
        for row in sessions
    ]
    return facts, lines, days


def gate_lines(confirmed: set[str]) -> list[GateLine]:
    """Each gated stage with the events it still waits for."""
    return [
        GateLine(stage, eft.name(stage), kinds.missing_events(stage, confirmed))
        for stage in kinds.GATES
    ]


def case_change_events(case: Case) -> CaseChangeEvents:
    """The case's change events, proposals, gates and open overrides (five statements)."""
    events = db.scalars(
        select(ChangeEvent)
        .where(ChangeEvent.case_id == case.id)
        .options(selectinload(ChangeEvent.evidence), joinedload(ChangeEvent.decided_by))
        .order_by(ChangeEvent.occurred_on, ChangeEvent.id)
    ).all()
    confirmed = [e for e in events if e.standing]
    kinds_confirmed = {e.kind for e in confirmed}
    dismissed: dict[str, set[int]] = {}
    for e in events:
        if e.decision == Decision.DISMISSED:
            dismissed.setdefault(e.kind, set()).add(e.session_id)
    facts, lines, days = _facts(case)
    roles = {p.id: p.cycle_role for p in case.partners}
    by_id = {m.id: m for m in lines}
    found = proposals.proposals(facts, roles, kinds_confirmed, dismissed, thresholds())
    return CaseChangeEvents(
        confirmed=confirmed,
        voided=[e for e in events if e.decision == Decision.CONFIRMED and e.voided_at],
        proposals=[
            ProposalView(p, days[p.session_id], [by_id[i] for i in p.evidence if i in by_id])
            for p in found
        ],
        gates=gate_lines(kinds_confirmed),
        overrides=gates.open_overrides(case.id, kinds_confirmed),
        sessions=list(days.items()),
        moments=lines,
        partner_names={p.id: p.display_name for p in case.partners},
    )
