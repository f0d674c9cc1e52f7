"""Recording safety screens, marking rescreens due, and what the joint-signing gate reads.

The rules (HITS, the window, what blocks signing) live in ``practice.safety.screening``; this
module checks and stores, audits every write and never commits. Screens never change: a new
screen is a new row, and it closes the partner's open rescreens dated on or before its day.

``mark_rescreen_due`` is the one way anything raises a rescreen: a tagged moment (connected
here, ``connect_signals``), a partner's check-in, or the counsellor.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases.models import Case, Partner
from practice.cases.operations import latest_opening_date
from practice.core import local_time
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.core.signals import moment_tagged
from practice.core.unit_of_work import atomic
from practice.safety import screening
from practice.safety.models import RescreenDue, SafetyScreen, ScreenOverride
from practice.safety.screening import HITS_ITEMS, PartnerFact, RescreenReason, ScreenFact


class ScreenError(Refused):
    """A screen or rescreen that cannot be recorded; the message says why."""


class ScreenMissing(Refused):
    """A joint note cannot be signed: a partner has no current screen, or a rescreen is due.

    ``problems`` holds one line per reason; an override reason lets the counsellor sign anyway.
    """

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__(
            " ".join(self.problems)
            + " "
            + _("Screen them, or give a reason to sign anyway (your supervisor is told)."),
            fields={"override_reason": _("Give a reason to sign without a current screen.")},
        )


def local_day(moment: datetime) -> date:
    """The practice's calendar day of an aware UTC time (``PRACTICE_TIMEZONE``): a session's
    day for the screen rules is the case's, whoever looks at it."""
    return local_time.local_day(moment, local_time.practice_zone(current_app.config))


def screen_days() -> int:
    """The practice's window of a screen, in days (``PRACTICE_SAFETY_SCREEN_DAYS``)."""
    return screening.screen_days(current_app.config)


@atomic
def record_screen(
    case: Case,
    partner_id: int,
    items: Sequence[int],
    afraid: bool,
    decision: str,
    screened_on: date,
    recorded_by: StaffMember,
) -> SafetyScreen:
    """Record one partner's screen, taken alone: HITS answers in the order hurt, insult,
    threaten, scream; the fear answer; the decision. Closes the partner's open rescreens due on
    or before ``screened_on``. Audited "safety_screen_recorded" (ids only, no answers).

    Raises ScreenError for a partner of another case, answers out of range, an unknown
    decision, or a day still to come or before the case opened.
    """
    partner = _partner_of(case, partner_id)
    try:
        screening.hits_total(items)
    except ValueError as error:
        raise ScreenError(f"{partner.display_name}: {error}.") from error
    if decision not in set(screening.ScreenDecision):
        message = _("Choose what the screen decided.")
        raise ScreenError(message, fields={"decision": message})
    if not isinstance(afraid, bool):
        message = _("Answer the fear question yes or no.")
        raise ScreenError(message, fields={"afraid": message})
    if screened_on > latest_opening_date():
        message = _("A screen cannot be dated on a day still to come.")
        raise ScreenError(message, fields={"screened_on": message})
    if screened_on < case.opened_on:
        message = _(
            "The case opened on %(day)s: choose that day or later.",
            day=f"{case.opened_on:%d %b %Y}",
        )
        raise ScreenError(message, fields={"screened_on": message})
    screen = SafetyScreen(
        case_id=case.id,
        partner_id=partner.id,
        screened_on=screened_on,
        afraid=afraid,
        decision=screening.ScreenDecision(decision).value,
        recorded_by_id=recorded_by.id,
        recorded_at=utcnow(),
        **dict(zip(HITS_ITEMS, items, strict=True)),
    )
    db.add(screen)
    db.flush()
    closed = [
        due
        for due in open_rescreens(case.id, partner.id)
        if local_day(due.due_since) <= screened_on
    ]
    for due in closed:
        due.closed_by_screen_id = screen.id
    db.flush()
    audit.record(
        "safety_screen_recorded",
        obj=screen,
        detail={"partner_id": partner.id, "rescreens_closed": [due.id for due in closed]},
    )
    return screen


@atomic
def mark_rescreen_due(
    case: Case,
    partner: Partner | int,
    reason: str,
    at: datetime,
    actor: StaffMember | None = None,
) -> RescreenDue:
    """Make a rescreen due for ``partner`` of ``case`` since ``at`` (aware), for ``reason``:
    a ``RescreenReason`` code ("checkin_fear", "threat_moment", "contempt_moment",
    "counsellor"), never clinical text. An open rescreen of the same partner and reason is
    returned as it is. Audited "rescreen_due" (ids and the code).

    Raises ScreenError for a partner of another case, an unknown reason or a naive time.
    """
    partner_id = partner if isinstance(partner, int) else partner.id
    found = _partner_of(case, partner_id)
    if reason not in set(RescreenReason):
        raise ScreenError(_("That is not a reason a rescreen falls due for."))
    if at.tzinfo is None:
        raise ScreenError(_("A rescreen's time must carry its time zone."))
    for due in open_rescreens(case.id, found.id):
        if due.reason == reason:
            return due
    due = RescreenDue(
        case_id=case.id,
        partner_id=found.id,
        reason=reason,
        due_since=at,
        raised_by_id=actor.id if actor is not None else None,
        created_at=utcnow(),
    )
    db.add(due)
    db.flush()
    audit.record(
        "rescreen_due",
        obj=due,
        actor=actor,
        detail={"partner_id": found.id, "reason": reason},
    )
    return due


def record_override(
    therapy_session, member: StaffMember, reason: str, problems: Sequence[str]
) -> ScreenOverride:
    """Record that ``member`` signed a joint note without a current screen, for ``reason``
    (checked by ``screening.check_override_reason``). Audited "screen_override" with the
    number of problems, never the reason's text. Called by ``sign_note`` inside its savepoint.
    """
    override = ScreenOverride(
        case_id=therapy_session.case_id,
        session_id=therapy_session.id,
        reason=reason,
        signed_by_id=member.id,
        created_at=utcnow(),
    )
    db.add(override)
    db.flush()
    audit.record(
        "screen_override",
        obj=override,
        detail={"session_id": therapy_session.id, "problems": len(problems)},
    )
    return override


# --- Reads (the caller audits the read of a page or route that shows them) ---------------------


def open_rescreens(case_id: int, partner_id: int | None = None) -> list[RescreenDue]:
    """The rescreens of a case (of one partner) not yet closed by a screen, oldest first."""
    query = select(RescreenDue).where(
        RescreenDue.case_id == case_id, RescreenDue.closed_by_screen_id.is_(None)
    )
    if partner_id is not None:
        query = query.where(RescreenDue.partner_id == partner_id)
    return list(db.scalars(query.order_by(RescreenDue.due_since, RescreenDue.id)))


def screens_of_case(case_id: int) -> list[SafetyScreen]:
    """Every screen of a case, newest first."""
    return list(
        db.scalars(
            select(SafetyScreen)
            .where(SafetyScreen.case_id == case_id)
            .order_by(SafetyScreen.screened_on.desc(), SafetyScreen.id.desc())
        )
    )


def partner_facts(case: Case) -> list[PartnerFact]:
    """What the rules need of each partner of ``case``: their screens and open rescreens."""
    screens = screens_of_case(case.id)
    dues = open_rescreens(case.id)
    return [
        PartnerFact(
            partner_id=partner.id,
            name=partner.display_name,
            screens=[
                ScreenFact(s.partner_id, s.screened_on, s.decision)
                for s in screens
                if s.partner_id == partner.id
            ],
            open_rescreens=[d.reason for d in dues if d.partner_id == partner.id],
        )
        for partner in case.partners
    ]


def joint_signing_problems(therapy_session) -> list[str]:
    """Why this session's note may not be signed as joint work yet (empty when it may, or when
    the session is not joint: not a couple, or a partner did not attend)."""
    case = therapy_session.case
    if not screening.is_joint(
        case.kind,
        [p.id for p in case.partners],
        [p.id for p in therapy_session.attendees],
    ):
        return []
    day = local_day(therapy_session.starts_at)
    return screening.joint_signing_problems(partner_facts(case), day, screen_days())


def _partner_of(case: Case, partner_id: int) -> Partner:
    partner = db.get(Partner, partner_id) if isinstance(partner_id, int) else None
    if partner is None or partner.case_id != case.id:
        message = _("That partner is not in this case.")
        raise ScreenError(message, fields={"partner_id": message})
    return partner


# --- Moments that make a rescreen due ----------------------------------------------------------


def _on_moment_tagged(moment, therapy_session=None, member=None, **_extra) -> None:
    """A threat or contempt at the top intensity makes a rescreen due for both partners: each is
    screened alone, and who is at risk is for the screen to find, not the tag."""
    reason = screening.rescreen_reason_for_moment(moment.moment_type.key, moment.intensity)
    if reason is None or therapy_session is None:
        return
    case = therapy_session.case
    if case.kind != "couple":
        return
    for partner in case.partners:
        mark_rescreen_due(case, partner, reason, therapy_session.starts_at, actor=member)


def connect_signals() -> None:
    """Listen for tagged moments (idempotent)."""
    moment_tagged.connect(_on_moment_tagged)
