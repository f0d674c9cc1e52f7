"""Reading a case's cycle map: its revisions in session order, the milestones, a diff.

Two statements for a whole case, whatever its number of sessions: the revisions with their
sessions, sides and evidence (joined), and the case's tagged moments the milestones read
(naming the cycle and the evidence types, with their sessions' start times).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from practice.cases.models import Case, CaseKind
from practice.core.database import db
from practice.formulation import rules
from practice.formulation.models import CycleMapRevision, CycleMapSide
from practice.moments.models import Moment, MomentType
from practice.reports.charts.cycle_map import MapColumn, cycle_map_svg
from practice.reports.charts.looks import NARROW_WIDTH, WIDTH
from practice.sessions.models import TherapySession


@dataclass(frozen=True)
class RevisionView:
    """A revision with its number (1 is the first, by session order) and its facts."""

    number: int
    revision: CycleMapRevision
    starts_at: datetime
    locked: bool
    facts: rules.RevisionFacts

    @property
    def id(self) -> int:
        return self.revision.id

    @property
    def session_id(self) -> int:
        return self.revision.session_id


@dataclass(frozen=True)
class MilestoneView:
    milestone: rules.Milestone
    label: str
    revision_number: int | None


@dataclass(frozen=True)
class CaseMap:
    """A couple's cycle map: every revision (oldest first), the current one, the milestones."""

    case: Case
    revisions: list[RevisionView] = field(default_factory=list)
    milestones: list[MilestoneView] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    moment_types: dict[int, str] = field(default_factory=dict)
    moments: list[rules.MomentFacts] = field(default_factory=list)

    @property
    def current(self) -> RevisionView | None:
        return self.revisions[-1] if self.revisions else None

    @property
    def partner_ids(self) -> list[int]:
        return [p.id for p in self.case.partners]

    def by_id(self, revision_id: int) -> RevisionView | None:
        return next((r for r in self.revisions if r.id == revision_id), None)

    def by_session(self, session_id: int) -> RevisionView | None:
        return next((r for r in self.revisions if r.session_id == session_id), None)


def is_mappable(case: Case) -> bool:
    """Whether the case gets a cycle map: a couple's."""
    return case.kind == CaseKind.COUPLE and len(case.partners) == 2


def _side_facts(side: CycleMapSide, types: dict[int, str]) -> rules.SideFacts:
    return rules.SideFacts(
        partner_id=side.partner_id,
        values={name: getattr(side, name) or "" for name in rules.FIELD_NAMES},
        triggers_other=side.action_triggers_other,
        evidence_types=tuple(types.get(e.moment_id, "") for e in side.evidence),
    )


def _moments(case: Case) -> tuple[list[rules.MomentFacts], dict[int, str]]:
    keys = (rules.NAMING_CYCLE, *rules.EVIDENCE_TYPES)
    rows = db.execute(
        select(
            Moment.id,
            Moment.partner_id,
            MomentType.key,
            Moment.session_id,
            TherapySession.starts_at,
        )
        .join(MomentType, Moment.moment_type_id == MomentType.id)
        .join(TherapySession, Moment.session_id == TherapySession.id)
        .where(
            TherapySession.case_id == case.id,
            TherapySession.voided_at.is_(None),
            Moment.voided_at.is_(None),
            MomentType.key.in_(keys),
        )
    ).all()
    facts = [rules.MomentFacts(r.partner_id, r.key, r.session_id, r.starts_at) for r in rows]
    return facts, {r.id: r.key for r in rows}


def case_map(case: Case) -> CaseMap:
    """The case's cycle map as it stands (an empty one for a case that is not a couple's)."""
    if not is_mappable(case):
        return CaseMap(case=case)
    revisions = (
        db.scalars(
            select(CycleMapRevision)
            .join(TherapySession, CycleMapRevision.session_id == TherapySession.id)
            .where(CycleMapRevision.case_id == case.id, TherapySession.voided_at.is_(None))
            .options(
                contains_eager(CycleMapRevision.therapy_session),
                joinedload(CycleMapRevision.sides).joinedload(CycleMapSide.evidence),
            )
            .order_by(TherapySession.starts_at, CycleMapRevision.id)
        )
        .unique()
        .all()
    )
    moments, types = _moments(case)
    views = []
    for number, revision in enumerate(revisions, start=1):
        starts_at = revision.therapy_session.starts_at
        views.append(
            RevisionView(
                number=number,
                revision=revision,
                starts_at=starts_at,
                locked=revision.therapy_session.is_signed,
                facts=rules.RevisionFacts(
                    revision.id,
                    revision.session_id,
                    starts_at,
                    {s.partner_id: _side_facts(s, types) for s in revision.sides},
                ),
            )
        )
    partner_ids = [p.id for p in case.partners]
    numbers = {v.id: v.number for v in views}
    names = {p.id: p.display_name for p in case.partners}
    found = rules.milestones([v.facts for v in views], partner_ids, moments)
    milestones = [
        MilestoneView(
            milestone=m,
            label=m.label + (f" — {names[m.partner_id]}" if m.partner_id else ""),
            revision_number=numbers.get(m.revision_id or 0),
        )
        for m in found
    ]
    return CaseMap(
        case=case,
        revisions=views,
        milestones=milestones,
        names=names,
        moment_types=types,
        moments=moments,
    )


@dataclass(frozen=True)
class DiffRow:
    partner: str
    label: str
    old: str
    new: str


def diff_rows(case_map: CaseMap, old: RevisionView | None, new: RevisionView) -> list[DiffRow]:
    """What changed from ``old`` to ``new``, field by field and partner by partner."""
    return [
        DiffRow(case_map.names.get(c.partner_id, ""), c.label, c.old, c.new)
        for c in rules.diff(old.facts if old else None, new.facts, case_map.partner_ids)
    ]


def latest_changes(case_map: CaseMap) -> list[DiffRow]:
    """What the current revision changed from the one before it (none for a first revision):
    the case page's short diff."""
    if len(case_map.revisions) < 2:
        return []
    return diff_rows(case_map, case_map.revisions[-2], case_map.revisions[-1])


def columns(case: Case, view: RevisionView | None, order=None) -> list[MapColumn]:
    """The SVG's columns for ``view`` (empty boxes without one), partners in ``order``."""
    partners = order if order is not None else case.partners
    sides = view.facts.sides if view is not None else {}
    return [
        MapColumn(
            name=p.display_name,
            position=p.position,
            values=dict(sides[p.id].values) if p.id in sides else {},
            triggers_other=sides[p.id].triggers_other if p.id in sides else True,
        )
        for p in partners
    ]


def map_svgs(case_map: CaseMap, view: RevisionView | None, chart_id: str) -> dict[str, str]:
    """The map drawn wide and narrow (the page shows one or the other by its width)."""
    title = (
        f"Cycle map of {case_map.case.reference}, revision {view.number}"
        if view is not None
        else f"Cycle map of {case_map.case.reference}: not mapped yet"
    )
    cols = columns(case_map.case, view)
    return {
        "wide": cycle_map_svg(
            cols, rules.LABELS, title=title, chart_id=f"{chart_id}-wide", width=WIDTH
        ),
        "narrow": cycle_map_svg(
            cols, rules.LABELS, title=title, chart_id=f"{chart_id}-narrow", width=NARROW_WIDTH
        ),
    }


def case_page_panel(case: Case) -> tuple[CaseMap | None, dict[str, str] | None]:
    """The case page's cycle map section: the map and its drawings (None, None for a case
    that is not a couple's)."""
    if not is_mappable(case):
        return None, None
    found = case_map(case)
    return found, map_svgs(found, found.current, "case-cycle-map")
