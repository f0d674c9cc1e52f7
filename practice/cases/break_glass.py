"""Break-glass: an administrator's time-limited, audited read of one case's clinical record.

Administrators manage the practice (staff, vocabulary, scripts, the audit log) and read no
clinical record. The one exception is a break-glass opening: the administrator names the case
and gives a reason; for ``PRACTICE_BREAK_GLASS_MINUTES`` the case is in their scope, read only
(``practice.cases.queries.visible_cases``), every read audited as any other; the opening itself
is audited as ``break_glass_opened``; and the case's counsellor sees a notice of it (who, when,
why) on their home page and the case's page until they acknowledge it.

The pure rule (``is_open``) takes the times; the operations flush, audit and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from practice import audit
from practice.accounts.models import Role, StaffMember
from practice.cases.models import BreakGlass, Case
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.core.unit_of_work import atomic

DEFAULT_MINUTES = 60
MAX_REASON_LENGTH = 500
MIN_REASON_LENGTH = 10


class BreakGlassError(Refused):
    """A break-glass opening that is refused; the message says why."""


def is_open(opened_at: datetime, expires_at: datetime, now: datetime) -> bool:
    """Whether an opening admits reads at ``now``: from its opening, up to (not at) its end."""
    return opened_at <= now < expires_at


def expiry(opened_at: datetime, minutes: int) -> datetime:
    """When an opening made at ``opened_at`` ends, ``minutes`` later (at least one minute)."""
    return opened_at + timedelta(minutes=max(1, int(minutes)))


def minutes_setting() -> int:
    """How long an opening lasts, in minutes (``PRACTICE_BREAK_GLASS_MINUTES``, default 60)."""
    return int(current_app.config.get("PRACTICE_BREAK_GLASS_MINUTES", DEFAULT_MINUTES))


def check_reason(reason: str | None) -> str:
    """The reason, trimmed; raises BreakGlassError when it is missing, too short or too long."""
    text = (reason or "").strip()
    if len(text) < MIN_REASON_LENGTH:
        raise BreakGlassError(
            _(
                "Give the reason for opening this record (at least %(limit)s characters).",
                limit=MIN_REASON_LENGTH,
            ),
            fields={"reason": _("A reason is required.")},
        )
    if len(text) > MAX_REASON_LENGTH:
        raise BreakGlassError(
            _("Keep the reason under %(limit)s characters.", limit=MAX_REASON_LENGTH),
            fields={"reason": _("Too long.")},
        )
    return text


def case_by_reference(reference: str) -> Case | None:
    """The case with this reference (any case: the opening is what brings it into scope)."""
    return db.scalar(select(Case).where(Case.reference == (reference or "").strip().upper()))


@atomic
def open_record(admin: StaffMember, case: Case, reason: str | None) -> BreakGlass:
    """Open ``case``'s record to ``admin`` for the configured minutes, with ``reason``.

    Raises BreakGlassError when ``admin`` is not an administrator or the reason is missing.
    """
    if admin.role != Role.ADMIN:
        raise BreakGlassError(_("Only an administrator opens a record this way."))
    text = check_reason(reason)
    minutes = minutes_setting()
    now = utcnow().replace(microsecond=0)
    opening = BreakGlass(
        case_id=case.id,
        admin_id=admin.id,
        reason=text,
        opened_at=now,
        expires_at=expiry(now, minutes),
    )
    db.add(opening)
    db.flush()
    audit.record(
        "break_glass_opened",
        obj=case,
        detail={
            "break_glass_id": opening.id,
            "reason": text,
            "minutes": int(minutes),
            "expires_at": opening.expires_at.isoformat(),
        },
    )
    return opening


@dataclass(frozen=True)
class Notice:
    """A break-glass opening as the case's counsellor is told of it."""

    id: int
    case_id: int
    case_reference: str
    admin: str
    opened_at: datetime
    expires_at: datetime
    reason: str


def unacknowledged(member: StaffMember, case_id: int | None = None) -> list[Notice]:
    """The openings of ``member``'s own cases they have not acknowledged, newest first
    (one query); only of ``case_id`` when given."""
    query = (
        select(BreakGlass, Case.reference, StaffMember.display_name)
        .join(Case, Case.id == BreakGlass.case_id)
        .join(StaffMember, StaffMember.id == BreakGlass.admin_id)
        .where(Case.counsellor_id == member.id, BreakGlass.acknowledged_at.is_(None))
        .order_by(BreakGlass.opened_at.desc(), BreakGlass.id.desc())
    )
    if case_id is not None:
        query = query.where(BreakGlass.case_id == case_id)
    return [
        Notice(
            id=opening.id,
            case_id=opening.case_id,
            case_reference=reference,
            admin=admin,
            opened_at=opening.opened_at,
            expires_at=opening.expires_at,
            reason=opening.reason,
        )
        for opening, reference, admin in db.execute(query)
    ]


def open_for(admin: StaffMember) -> list[tuple[BreakGlass, str]]:
    """``admin``'s openings still running, with the case's reference, soonest ending first."""
    now = utcnow()
    rows = db.execute(
        select(BreakGlass, Case.reference)
        .join(Case, Case.id == BreakGlass.case_id)
        .where(BreakGlass.admin_id == admin.id, BreakGlass.expires_at > now)
        .order_by(BreakGlass.expires_at)
    )
    return [(opening, reference) for opening, reference in rows]


@atomic
def acknowledge_case(member: StaffMember, case: Case) -> int:
    """The case's counsellor acknowledges the notices of openings of ``case``; how many."""
    if case.counsellor_id != member.id:
        raise BreakGlassError(_("Only the case's counsellor acknowledges these notices."))
    openings = db.scalars(
        select(BreakGlass).where(
            BreakGlass.case_id == case.id, BreakGlass.acknowledged_at.is_(None)
        )
    ).all()
    now = utcnow().replace(microsecond=0)
    for opening in openings:
        opening.acknowledged_at = now
        opening.acknowledged_by_id = member.id
    if openings:
        db.flush()
        audit.record(
            "break_glass_acknowledged",
            obj=case,
            detail={"break_glass_ids": [opening.id for opening in openings]},
        )
    return len(openings)
