"""Check-in links and check-ins: issuing, revoking and e-mailing a link, and storing what a
partner sends through one.

The only place check-ins are written. Every write runs in its own savepoint (``@atomic``),
audits (ids only, never an answer) and never commits. A link is claimed for its one check-in by
a single conditional UPDATE, so of two submissions sent at once one is kept and the other is
answered as a used link.
"""

from __future__ import annotations

import smtplib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage

from flask import current_app
from sqlalchemy import func, select, update

from practice import audit
from practice.accounts.models import StaffMember
from practice.breaks.models import BreakOutcome as EpisodeOutcome
from practice.breaks.operations import record_partner_account
from practice.cases.models import Case, CaseStatus, Partner
from practice.checkins import rules
from practice.checkins.models import (
    BreakCaller,
    BreakOutcome,
    Checkin,
    CheckinBreak,
    CheckinLink,
    CheckinScriptAnswer,
)
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.core.secret_tokens import token_digest
from practice.core.signals import case_record_changed
from practice.core.unit_of_work import atomic
from practice.goals.operations import record_checkin_ratings as record_goal_ratings
from practice.measures.checkin_measures import record_checkin_measures
from practice.measures.csi4 import CSI4_MEASURE, csi4_total
from practice.measures.models import MeasureResponse
from practice.safety.operations import mark_rescreen_due
from practice.safety.screening import RescreenReason
from practice.scripts.models import AssignmentStatus, ScriptAssignment

# What an audit row shows as the actor of a partner's check-in: nobody signed in.
PARTNER_ACTOR = "partner (check-in link)"


class CheckinError(Refused):
    """A link that cannot be issued or revoked; the message says why."""


class LinkClosed(Exception):
    """The link takes no check-in: ``state`` is "used", "revoked", "expired" or "unknown"."""

    def __init__(self, state: str) -> None:
        super().__init__(state)
        self.state = state


@dataclass(frozen=True)
class BreakAnswer:
    """One break a partner tells of (``practice.checkins.models.CheckinBreak``)."""

    called_by: str  # BreakCaller, from the writer's side: "me" or "partner"
    returned: str  # BreakReturn
    with_script: bool | None = None
    days_ago: int = 0
    resumed_by: str | None = None  # "me" or "partner"; None while not come back to it
    with_invitation: bool | None = None
    outcome: str | None = None  # BreakOutcome; None while not come back to it


@dataclass(frozen=True)
class CheckinAnswers:
    """A partner's answers, validated by the form."""

    pattern_count: int
    hardest_moment: int
    felt_afraid: bool
    breaks: Sequence[BreakAnswer] = ()
    # assignment id -> (used by me, used by my partner); None: not sure / not answered.
    scripts: Mapping[int, tuple[bool | None, bool | None]] = field(default_factory=dict)
    csi4: Sequence[int] | None = None
    # goal id -> the partner's own 0-10 rating (``practice.goals``).
    goals: Mapping[int, int] = field(default_factory=dict)
    # The registry's measures asked at every check-in: measure key -> answers.
    measures: Mapping[str, Sequence[float]] = field(default_factory=dict)


# --- Links ----------------------------------------------------------------------------------


def link_lifetime() -> timedelta:
    """How long a new link stays valid (``PRACTICE_CHECKIN_LINK_DAYS``, 7 by default)."""
    return timedelta(days=int(current_app.config.get("PRACTICE_CHECKIN_LINK_DAYS", 7)))


@atomic
def issue_link(
    case: Case, partner_id: int, issued_by: StaffMember, now: datetime | None = None
) -> tuple[str, CheckinLink]:
    """A new link for a partner of ``case``: returns the token (shown this once, never stored)
    and the link. Audited "checkin_link_issued".

    Raises CheckinError for a partner of another case or a closed case.
    """
    partner = db.get(Partner, partner_id)
    if partner is None or partner.case_id != case.id:
        message = _("That partner is not in this case.")
        raise CheckinError(message, fields={"partner_id": message})
    if case.status == CaseStatus.CLOSED:
        raise CheckinError(_("The case is closed: reopen it before sending a check-in link."))
    now = now or utcnow()
    token = rules.new_token()
    link = CheckinLink(
        case_id=case.id,
        partner_id=partner.id,
        token_sha256=token_digest(token),
        issued_by_id=issued_by.id,
        issued_at=now,
        expires_at=now + link_lifetime(),
    )
    db.add(link)
    db.flush()
    audit.record(
        "checkin_link_issued", obj=link, actor=issued_by, detail={"partner_id": partner.id}
    )
    return token, link


@atomic
def revoke_link(case: Case, link_id: int, revoked_by: StaffMember) -> CheckinLink:
    """Revoke an unused link of ``case``: it opens no more. Audited "checkin_link_revoked".

    Raises CheckinError for a link of another case, or one already used or revoked.
    """
    link = db.get(CheckinLink, link_id)
    if link is None or link.case_id != case.id:
        raise CheckinError(_("That link is not one of this case's."))
    now = utcnow()
    revoked = db.execute(
        update(CheckinLink)
        .where(
            CheckinLink.id == link.id,
            CheckinLink.used_at.is_(None),
            CheckinLink.revoked_at.is_(None),
        )
        .values(revoked_at=now, revoked_by_id=revoked_by.id)
        .execution_options(synchronize_session=False)
    )
    if revoked.rowcount != 1:
        raise CheckinError(_("That link was already used or revoked."))
    db.refresh(link)
    audit.record(
        "checkin_link_revoked", obj=link, actor=revoked_by, detail={"partner_id": link.partner_id}
    )
    return link


def smtp_configured() -> bool:
    """Whether links may be e-mailed: an SMTP host and a sender are set."""
    config = current_app.config
    return bool(config.get("PRACTICE_SMTP_HOST") and config.get("PRACTICE_SMTP_FROM"))


# The whole message: no case, no name, no clinical word, nothing a shared inbox could give away.
MAIL_SUBJECT = "Your link from {practice}"
MAIL_BODY = (
    "Hello,\n\nHere is the link you were given. It works once, for {days} days:\n\n{url}\n\n"
    "If you were not expecting it, you can ignore this message.\n\n{practice}\n"
)


@atomic
def email_link(link: CheckinLink, url: str, address: str, sent_by: StaffMember) -> None:
    """Send ``url`` to ``address`` through the configured SMTP server, in words that name no
    case and nothing clinical. The address is not stored. Audited "checkin_link_emailed".

    Raises CheckinError when SMTP is not configured or the server refuses.
    """
    if not smtp_configured():
        raise CheckinError(_("E-mail is not set up for this practice: hand the link over instead."))
    config = current_app.config
    message = EmailMessage()
    practice = config.get("PRACTICE_NAME", "your counsellor")
    message["Subject"] = MAIL_SUBJECT.format(practice=practice)
    message["From"] = config["PRACTICE_SMTP_FROM"]
    message["To"] = address
    days = max(1, round((link.expires_at - utcnow()).total_seconds() / 86400))
    message.set_content(MAIL_BODY.format(days=days, url=url, practice=practice))
    try:
        with smtplib.SMTP(
            config["PRACTICE_SMTP_HOST"], int(config.get("PRACTICE_SMTP_PORT") or 587), timeout=10
        ) as smtp:
            if config.get("PRACTICE_SMTP_STARTTLS", True):
                smtp.starttls()
            if config.get("PRACTICE_SMTP_USERNAME"):
                smtp.login(config["PRACTICE_SMTP_USERNAME"], config.get("PRACTICE_SMTP_PASSWORD"))
            smtp.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise CheckinError(
            _("The e-mail could not be sent: hand the link over instead.")
        ) from error
    link.emailed_at = utcnow()
    db.flush()
    audit.record("checkin_link_emailed", obj=link, actor=sent_by)


def link_for_token(token: str) -> CheckinLink | None:
    """The link a token opens, whatever its state, or None. Reads by the token's digest."""
    if not token or len(token) > 100:
        return None
    return db.scalar(select(CheckinLink).where(CheckinLink.token_sha256 == token_digest(token)))


def open_link(token: str, now: datetime | None = None) -> CheckinLink:
    """The link ``token`` opens if it may take a check-in now. Raises LinkClosed otherwise."""
    link = link_for_token(token)
    if link is None:
        raise LinkClosed("unknown")
    state = rules.link_state(link.used_at, link.revoked_at, link.expires_at, now or utcnow())
    if state != rules.OPEN:
        raise LinkClosed(state)
    return link


# --- What the page asks ---------------------------------------------------------------------


def next_number(partner_id: int) -> int:
    """The number the partner's next check-in will have (1 for the first)."""
    count = db.scalar(select(func.count()).where(Checkin.partner_id == partner_id)) or 0
    return count + 1


def assignments_to_ask(case_id: int) -> list[ScriptAssignment]:
    """The case's active script assignments, in the order they were given: one question each."""
    return list(
        db.scalars(
            select(ScriptAssignment)
            .where(
                ScriptAssignment.case_id == case_id,
                ScriptAssignment.status == AssignmentStatus.ACTIVE,
            )
            .order_by(ScriptAssignment.id)
        )
    )


# --- The check-in ---------------------------------------------------------------------------


@atomic
def submit_checkin(
    token: str, answers: CheckinAnswers, now: datetime | None = None, measures: Sequence = ()
) -> Checkin:
    """Store a partner's check-in through the link ``token`` opens, and close the link.
    ``measures``: the registry's measures asked at every check-in (their answers are stored
    as the partner's responses from a check-in).

    Raises LinkClosed, storing nothing, when the link is unknown, expired, revoked or used
    (also when another submission claimed it a moment before). Audited "checkin_received"
    (ids only); sends ``case_record_changed`` (what="checkin").
    """
    now = now or utcnow()
    link = open_link(token, now)
    claimed = db.execute(
        update(CheckinLink)
        .where(
            CheckinLink.id == link.id,
            CheckinLink.used_at.is_(None),
            CheckinLink.revoked_at.is_(None),
            CheckinLink.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise LinkClosed(rules.USED)
    db.refresh(link)
    case = db.get(Case, link.case_id)
    number = next_number(link.partner_id)
    checkin = Checkin(
        case_id=link.case_id,
        partner_id=link.partner_id,
        link_id=link.id,
        submitted_at=now,
        number=number,
        pattern_count=answers.pattern_count,
        hardest_moment=answers.hardest_moment,
        felt_afraid=answers.felt_afraid,
    )
    db.add(checkin)
    db.flush()
    for position, told in enumerate(answers.breaks, start=1):
        db.add(
            CheckinBreak(
                checkin_id=checkin.id,
                position=position,
                days_ago=told.days_ago,
                called_by=told.called_by,
                returned=told.returned,
                with_script=told.with_script,
                resumed_by=told.resumed_by,
                with_invitation=told.with_invitation,
                outcome=told.outcome,
            )
        )
    asked = {assignment.id for assignment in assignments_to_ask(link.case_id)}
    for assignment_id, (mine, theirs) in answers.scripts.items():
        if assignment_id in asked:
            db.add(
                CheckinScriptAnswer(
                    checkin_id=checkin.id,
                    assignment_id=assignment_id,
                    used_by_me=mine,
                    used_by_partner=theirs,
                )
            )
    if answers.csi4 is not None and rules.csi4_due(number):
        items = list(answers.csi4)
        response = MeasureResponse(
            session_id=None,
            partner_id=link.partner_id,
            measure=CSI4_MEASURE,
            source="check-in",
            items=items,
            total=csi4_total(items),
            recorded_by_id=link.issued_by_id,
            recorded_at=now,
        )
        db.add(response)
        db.flush()
        checkin.csi4_response_id = response.id
    record_goal_ratings(case, link.partner_id, checkin.id, answers.goals, now)
    if answers.measures:
        record_checkin_measures(link.partner_id, answers.measures, measures, link.issued_by_id, now)
    db.flush()
    db.refresh(checkin, ["breaks"])
    audit.record(
        "checkin_received",
        obj=checkin,
        actor_label=PARTNER_ACTOR,
        detail={"partner_id": link.partner_id, "link_id": link.id},
    )
    _pass_on(case, checkin, now)
    case_record_changed.send(case, member=None, what="checkin", draft=False)
    return checkin


def _pass_on(case: Case, checkin: Checkin, now: datetime) -> None:
    """What a check-in tells other areas: each break it tells of becomes this partner's account
    of a break episode (``practice.breaks``), and a "yes" to the fear question makes a safety
    rescreen due (``practice.safety``). A break the break rules refuse (one dated before the
    case opened) stays in the check-in only."""
    writer = db.get(Partner, checkin.partner_id)
    others = [p for p in case.partners if p.id != writer.id]

    def who(side: str | None) -> Partner | None:
        if side is None:
            return None
        if side == BreakCaller.ME or not others:
            return writer
        return others[0]

    for told in checkin.breaks:
        called_at, resumed_at = rules.break_times(now, told.days_ago, told.returned)
        try:
            record_partner_account(
                case,
                writer,
                called_by=who(told.called_by),
                called_at=called_at,
                with_script=bool(told.with_script),
                flooding=False,
                heart_rate=None,
                promised_return_at=None,
                resumed_at=resumed_at,
                resumed_by=who(told.resumed_by) if resumed_at is not None else None,
                with_invitation=bool(told.with_invitation) if resumed_at is not None else False,
                outcome=_OUTCOMES[told.outcome] if resumed_at is not None else _NOT_RESUMED,
                checkin_id=checkin.id,
                actor=None,
            )
        except Refused:
            continue
    if checkin.felt_afraid:
        mark_rescreen_due(case, writer, RescreenReason.CHECKIN_FEAR, now, actor=None)


_OUTCOMES = {
    BreakOutcome.CALMER: EpisodeOutcome.RESUMED_CALMER,
    BreakOutcome.HARDER: EpisodeOutcome.RESUMED_ESCALATED,
}
_NOT_RESUMED = EpisodeOutcome.NOT_RESUMED
