"""Writing a case's cycle map: starting a session's revision and saving its sides.

The only place the map is written. A revision belongs to one session of a couple's case and
starts from the content of the revision before it (by session order); once that session's note
is signed the revision is read-only, and every write here refuses it (:func:`require_open`),
whatever page or route asked. Each write runs in a savepoint, is audited with ids and field
names only (never the texts) and sends ``case_record_changed`` (``what="cycle_map"``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Case, CaseKind
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _, _l
from practice.core.signals import case_record_changed
from practice.core.unit_of_work import atomic
from practice.formulation import rules
from practice.formulation.models import (
    MAX_TEXT,
    CycleMapEvidence,
    CycleMapRevision,
    CycleMapSide,
)
from practice.moments.models import Moment, MomentType
from practice.sessions.models import TherapySession
from practice.sessions.signed_notes import NoteSigned

LOCKED_MESSAGE = _l(
    "This revision's session note is signed, so the revision is read-only. "
    "Start a new revision at a later session whose note is still a draft."
)


class CycleMapError(Refused):
    """A change to the cycle map that cannot be made; the message says why."""


@dataclass(frozen=True)
class SideData:
    """What the counsellor wrote of one partner's side."""

    values: Mapping[str, str]
    triggers_other: bool = True
    evidence_moment_ids: Sequence[int] = field(default_factory=tuple)


def require_couple(case: Case) -> None:
    """Refuse a map for a case that is not a couple's."""
    if case.kind != CaseKind.COUPLE or len(case.partners) != 2:
        raise CycleMapError(_("A cycle map is drawn for a couple's case."))


def require_open(revision: CycleMapRevision) -> None:
    """Raise NoteSigned if the revision's session note is signed (the revision is locked)."""
    if revision.therapy_session.is_signed:
        raise NoteSigned(str(LOCKED_MESSAGE))


def revision_of_session(therapy_session: TherapySession) -> CycleMapRevision | None:
    """The revision made at ``therapy_session``, if any."""
    return db.scalar(
        select(CycleMapRevision).where(CycleMapRevision.session_id == therapy_session.id)
    )


def previous_revision(case: Case, therapy_session: TherapySession) -> CycleMapRevision | None:
    """The latest revision of the case made at a session before ``therapy_session``."""
    return db.scalar(
        select(CycleMapRevision)
        .join(TherapySession, CycleMapRevision.session_id == TherapySession.id)
        .where(
            CycleMapRevision.case_id == case.id,
            TherapySession.voided_at.is_(None),
            TherapySession.starts_at < therapy_session.starts_at,
        )
        .order_by(TherapySession.starts_at.desc(), CycleMapRevision.id.desc())
        .limit(1)
    )


@atomic
def start_revision(
    case: Case, therapy_session: TherapySession, *, actor: StaffMember
) -> CycleMapRevision:
    """The session's revision: the one already made, or a new one holding the previous
    revision's content (sides, links and evidence). Raises CycleMapError for a session of
    another case, a voided one or a case that is not a couple's; NoteSigned for a signed note.
    """
    require_couple(case)
    if therapy_session.case_id != case.id or therapy_session.voided_at is not None:
        raise CycleMapError(_("That session is not one of this case's."))
    existing = revision_of_session(therapy_session)
    if existing is not None:
        return existing
    if therapy_session.is_signed:
        raise NoteSigned(
            _(
                "This session's note is signed, so no cycle map revision can start at it. "
                "Choose a session whose note is still a draft."
            )
        )
    previous = previous_revision(case, therapy_session)
    now = utcnow()
    revision = CycleMapRevision(
        case_id=case.id,
        session_id=therapy_session.id,
        created_by_id=actor.id,
        created_at=now,
        updated_at=now,
    )
    revision.therapy_session = therapy_session
    before = {s.partner_id: s for s in previous.sides} if previous is not None else {}
    for partner in case.partners:
        old = before.get(partner.id)
        side = CycleMapSide(case_id=case.id, partner_id=partner.id)
        for name in rules.FIELD_NAMES:
            setattr(side, name, getattr(old, name) if old is not None else "")
        side.action_triggers_other = old.action_triggers_other if old is not None else True
        if old is not None:
            side.evidence = [
                CycleMapEvidence(case_id=case.id, moment_id=e.moment_id) for e in old.evidence
            ]
        revision.sides.append(side)
    db.add(revision)
    db.flush()
    audit.record(
        "cycle_map_revision_started",
        obj=revision,
        case_id=case.id,
        actor=actor,
        detail={
            "session_id": therapy_session.id,
            "from_revision_id": previous.id if previous is not None else None,
        },
    )
    case_record_changed.send(case, member=actor, what="cycle_map")
    return revision


def _checked_text(value: object, name: str, partner_name: str) -> str:
    text = " ".join(str(value or "").split())
    if len(text) > MAX_TEXT:
        label = rules.LABELS[name].lower()
        raise CycleMapError(
            _(
                "%(name)s's %(field)s is longer than %(max)s characters: keep it short.",
                name=partner_name,
                field=label,
                max=MAX_TEXT,
            ),
            fields={name: _("At most %(max)s characters.", max=MAX_TEXT)},
        )
    return text


def evidence_choices(case: Case, partner_id: int, before: TherapySession) -> list[Moment]:
    """The partner's moments of the case that can back their primary emotion and need: of an
    evidence type, in a session (not voided) up to ``before``'s start, not voided."""
    return list(
        db.scalars(
            select(Moment)
            .join(TherapySession, Moment.session_id == TherapySession.id)
            .join(MomentType, Moment.moment_type_id == MomentType.id)
            .where(
                TherapySession.case_id == case.id,
                TherapySession.voided_at.is_(None),
                TherapySession.starts_at <= before.starts_at,
                Moment.voided_at.is_(None),
                Moment.partner_id == partner_id,
                MomentType.key.in_(rules.EVIDENCE_TYPES),
            )
            .options(contains_eager(Moment.therapy_session), contains_eager(Moment.moment_type))
            .order_by(TherapySession.starts_at, Moment.minute, Moment.id)
        )
    )


@atomic
def save_revision(
    revision: CycleMapRevision,
    sides: Mapping[int, SideData],
    *,
    actor: StaffMember,
    version: int | None = None,
) -> CycleMapRevision:
    """Write the partners' sides of ``revision`` (partners not given keep theirs).

    Raises NoteSigned when the revision is locked; CycleMapError for a stale ``version``, a
    partner of another case, a text over 300 characters, or an evidence moment that is not
    one of that partner's tagged moments of an evidence type up to the revision's session.
    """
    require_open(revision)
    if version is not None and version != revision.version:
        raise CycleMapError(
            _("This revision was changed in another window. Reload the page and try again.")
        )
    case = db.get(Case, revision.case_id)
    partners = {p.id: p for p in case.partners}
    by_partner = {s.partner_id: s for s in revision.sides}
    changed: dict[int, list[str]] = {}
    for partner_id, data in sides.items():
        partner = partners.get(partner_id)
        if partner is None:
            raise CycleMapError(_("That partner is not in this case."))
        side = by_partner.get(partner_id)
        if side is None:
            side = CycleMapSide(case_id=case.id, partner_id=partner_id)
            revision.sides.append(side)
        names = []
        for name in rules.FIELD_NAMES:
            text = _checked_text(data.values.get(name, ""), name, partner.display_name)
            if (getattr(side, name) or "") != text:
                names.append(name)
                setattr(side, name, text)
        if side.action_triggers_other != bool(data.triggers_other):
            names.append(rules.LINK)
            side.action_triggers_other = bool(data.triggers_other)
        allowed = {m.id for m in evidence_choices(case, partner_id, revision.therapy_session)}
        wanted = list(dict.fromkeys(int(i) for i in data.evidence_moment_ids))
        if set(wanted) - allowed:
            raise CycleMapError(
                _(
                    "Choose %(name)s's evidence from their own tagged moments (underlying fear "
                    "named, attachment need expressed or softening) up to this session.",
                    name=partner.display_name,
                ),
                fields={"evidence": _("Not one of this partner's evidence moments.")},
            )
        if wanted != [e.moment_id for e in side.evidence]:
            names.append("evidence")
            side.evidence = [CycleMapEvidence(case_id=case.id, moment_id=i) for i in wanted]
        if names:
            changed[partner_id] = names
    revision.version += 1
    revision.updated_at = utcnow()
    db.flush()
    audit.record(
        "cycle_map_revision_changed",
        obj=revision,
        case_id=case.id,
        actor=actor,
        detail={
            "session_id": revision.session_id,
            "version": revision.version,
            "changed": {str(k): v for k, v in changed.items()},
        },
    )
    case_record_changed.send(case, member=actor, what="cycle_map")
    return revision
