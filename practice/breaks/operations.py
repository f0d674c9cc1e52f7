"""Recording break episodes and each teller's account of them.

The only place breaks are written: every write runs in its own savepoint (``@atomic``), checks
what it is given (:func:`check_account`), audits ("break_account_recorded",
"break_account_changed") with ids only, and sends ``case_record_changed`` (``what="break"``) so
that the case's default report is prepared again. Which accounts are one episode is the rule of
``practice.breaks.rules.same_episode`` (same caller, call times at most
``PRACTICE_BREAK_MATCH_HOURS`` apart, 2 h by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from practice import audit
from practice.accounts.models import StaffMember
from practice.breaks import rules
from practice.breaks.models import (
    MAX_HEART_RATE,
    MIN_HEART_RATE,
    AccountSource,
    BreakAccount,
    BreakEpisode,
    BreakOutcome,
)
from practice.breaks.settings import thresholds
from practice.cases.models import Case, Partner
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.core.signals import case_record_changed
from practice.core.unit_of_work import atomic
from practice.sessions.models import TherapySession

# A break may be told up to a few minutes ahead of the server's clock (a phone's clock).
_CLOCK_SLACK = timedelta(minutes=5)


class BreakError(Refused):
    """An account of a break that cannot be recorded; the message says why."""


@dataclass(frozen=True)
class AccountData:
    """What one account says, checked by :func:`check_account`."""

    called_by: Partner
    called_at: datetime
    with_script: bool
    flooding: bool
    heart_rate: int | None
    promised_return_at: datetime | None
    resumed_at: datetime | None
    resumed_by: Partner | None
    with_invitation: bool
    outcome: str | None


def _refuse(field: str, message: str) -> BreakError:
    return BreakError(message, fields={field: message})


def check_account(case: Case, data: AccountData) -> None:
    """Refuse an account that cannot be true: a partner of another case, times not aware or in
    the future, a return before the call, a return without an outcome (or "not resumed" with a
    return), a heart rate outside 30-250, a break called before the case opened."""
    for partner, name in ((data.called_by, "called_by"), (data.resumed_by, "resumed_by")):
        if partner is not None and partner.case_id != case.id:
            raise _refuse(f"{name}_id", _("That partner is not in this case."))
    now = utcnow()
    times = {
        "called_at": data.called_at,
        "promised_return_at": data.promised_return_at,
        "resumed_at": data.resumed_at,
    }
    for name, value in times.items():
        if value is not None and value.tzinfo is None:
            raise _refuse(name, _("A time must say its time zone."))
    if data.called_at > now + _CLOCK_SLACK:
        raise _refuse("called_at", _("A break cannot be called in the future."))
    if data.called_at.date() < case.opened_on - timedelta(days=1):
        raise _refuse(
            "called_at",
            _(
                "The case opened on %(day)s: choose a time after that.",
                day=f"{case.opened_on:%d %b %Y}",
            ),
        )
    if data.promised_return_at is not None and data.promised_return_at < data.called_at:
        raise _refuse("promised_return_at", _("The promised return cannot be before the break."))
    if data.resumed_at is not None:
        if data.resumed_at < data.called_at:
            raise _refuse("resumed_at", _("The conversation cannot resume before the break."))
        if data.resumed_at > now + _CLOCK_SLACK:
            raise _refuse("resumed_at", _("The conversation cannot have resumed in the future."))
        if data.outcome not in (BreakOutcome.RESUMED_CALMER, BreakOutcome.RESUMED_ESCALATED):
            raise _refuse("outcome", _("Say how the conversation went when it resumed."))
        if data.resumed_by is None:
            raise _refuse("resumed_by_id", _("Say who reached out to resume."))
    else:
        if data.outcome in (BreakOutcome.RESUMED_CALMER, BreakOutcome.RESUMED_ESCALATED):
            raise _refuse("resumed_at", _("Say when the conversation resumed."))
        if data.resumed_by is not None or data.with_invitation:
            raise _refuse("resumed_at", _("Say when the conversation resumed."))
    if data.outcome is not None and data.outcome not in set(BreakOutcome):
        raise _refuse("outcome", _("Choose an outcome from the list."))
    rate = data.heart_rate
    if rate is not None and (
        isinstance(rate, bool) or not MIN_HEART_RATE <= rate <= MAX_HEART_RATE
    ):
        message = _(
            "A heart rate is between %(low)s and %(high)s beats a minute.",
            low=MIN_HEART_RATE,
            high=MAX_HEART_RATE,
        )
        raise _refuse("heart_rate", message)


def _matching_episode(case: Case, called_by: Partner, called_at: datetime) -> BreakEpisode | None:
    """The case's episode of the same break (``rules.same_episode``), the closest in time."""
    t = thresholds()
    window = timedelta(hours=t.match_hours)
    candidates = db.scalars(
        select(BreakEpisode).where(
            BreakEpisode.case_id == case.id,
            BreakEpisode.called_by_id == called_by.id,
            BreakEpisode.called_at >= called_at - window,
            BreakEpisode.called_at <= called_at + window,
        )
    ).all()
    matching = [
        e
        for e in candidates
        if rules.same_episode(e.called_by_id, e.called_at, called_by.id, called_at, t)
    ]
    return min(matching, key=lambda e: abs(e.called_at - called_at), default=None)


def _apply(account: BreakAccount, data: AccountData) -> None:
    account.called_by_id = data.called_by.id
    account.called_at = data.called_at
    account.with_script = bool(data.with_script)
    account.flooding = bool(data.flooding)
    account.heart_rate = data.heart_rate
    account.promised_return_at = data.promised_return_at
    account.resumed_at = data.resumed_at
    account.resumed_by_id = data.resumed_by.id if data.resumed_by is not None else None
    account.with_invitation = bool(data.with_invitation) and data.resumed_at is not None
    account.outcome = data.outcome


@atomic
def record_account(
    case: Case,
    told_by: Partner | None,
    data: AccountData,
    *,
    source: str,
    session: TherapySession | None = None,
    checkin_id: int | None = None,
    actor: StaffMember | None = None,
) -> BreakAccount:
    """Record one teller's account of a break of ``case``: the episode it belongs to (the same
    break told before, ``rules.same_episode``) or a new one. ``told_by`` None is the
    counsellor's own record. A teller who already told this episode has their account edited
    (a second check-in's telling replaces the first). Audited, and the default report prepared.

    Raises BreakError as :func:`check_account` does, and for a teller or session of another case.
    """
    if told_by is not None and told_by.case_id != case.id:
        raise _refuse("told_by", _("That partner is not in this case."))
    if session is not None and session.case_id != case.id:
        raise _refuse("session_id", _("That session is not of this case."))
    if source not in set(AccountSource):
        raise _refuse("source", _("Unknown source of a break's account."))
    check_account(case, data)
    episode = _matching_episode(case, data.called_by, data.called_at)
    if episode is None:
        episode = BreakEpisode(
            case_id=case.id, called_by_id=data.called_by.id, called_at=data.called_at
        )
        db.add(episode)
        db.flush()
    account = None
    if told_by is not None:
        account = db.scalar(
            select(BreakAccount).where(
                BreakAccount.episode_id == episode.id, BreakAccount.told_by_id == told_by.id
            )
        )
    if account is not None:
        return _change(account, data, actor, source=source, checkin_id=checkin_id)
    account = BreakAccount(
        episode=episode,
        case_id=case.id,
        told_by_id=told_by.id if told_by is not None else None,
        source=source,
        session_id=session.id if session is not None else None,
        checkin_id=checkin_id,
        recorded_by_id=actor.id if actor is not None else None,
        recorded_at=utcnow(),
        updated_at=utcnow(),
    )
    _apply(account, data)
    db.add(account)
    db.flush()
    audit.record(
        "break_account_recorded",
        obj=account,
        case_id=case.id,
        actor=actor,
        detail={
            "episode_id": episode.id,
            "source": source,
            "told_by": told_by.id if told_by is not None else None,
            "session_id": account.session_id,
            "checkin_id": checkin_id,
        },
    )
    # A check-in or live mode comes in bursts (both partners, a session's breaks): the default
    # report is prepared a little later, once for the burst.
    bursty = source in (AccountSource.CHECKIN, AccountSource.LIVE)
    case_record_changed.send(case, member=actor, what="break", draft=bursty)
    return account


def _change(
    account: BreakAccount,
    data: AccountData,
    actor: StaffMember | None,
    *,
    source: str | None = None,
    checkin_id: int | None = None,
) -> BreakAccount:
    _apply(account, data)
    if source is not None:
        account.source = source
    if checkin_id is not None:
        account.checkin_id = checkin_id
    account.updated_at = utcnow()
    account.version += 1
    db.flush()
    audit.record(
        "break_account_changed",
        obj=account,
        case_id=account.case_id,
        actor=actor,
        detail={"episode_id": account.episode_id, "version": account.version},
    )
    case = db.get(Case, account.case_id)
    case_record_changed.send(case, member=actor, what="break")
    return account


@atomic
def update_account(
    account: BreakAccount,
    data: AccountData,
    *,
    actor: StaffMember | None = None,
    version: int | None = None,
) -> BreakAccount:
    """Edit an account (a correction). ``version``: the version the editor saw; another edit
    since is refused. Who called the break and when stay the episode's as first recorded.

    Raises BreakError as :func:`check_account` does, and on a stale version.
    """
    if version is not None and version != account.version:
        raise BreakError(_("This account was changed in another window. Reload the page."))
    case = db.get(Case, account.case_id)
    check_account(case, data)
    return _change(account, data, actor)


def record_partner_account(
    case: Case,
    partner: Partner,
    *,
    called_by: Partner,
    called_at: datetime,
    with_script: bool,
    flooding: bool,
    heart_rate: int | None,
    promised_return_at: datetime | None,
    resumed_at: datetime | None,
    resumed_by: Partner | None,
    with_invitation: bool,
    outcome: str | None,
    checkin_id: int | None = None,
    actor: StaffMember | None = None,
    source: str | None = None,
    session: TherapySession | None = None,
) -> BreakEpisode:
    """Record ``partner``'s own account of a break (from their check-in, or told in session):
    it joins the episode of the same break (same caller, called within
    ``PRACTICE_BREAK_MATCH_HOURS``, 2 h by default) or starts one. Returns the episode.

    ``source`` defaults to "checkin" with a ``checkin_id``, else "session" with a ``session``,
    else "counsellor". ``actor`` is None for a partner's own check-in. Raises BreakError.
    """
    if source is None:
        if checkin_id is not None:
            source = AccountSource.CHECKIN
        elif session is not None:
            source = AccountSource.SESSION
        else:
            source = AccountSource.COUNSELLOR
    data = AccountData(
        called_by=called_by,
        called_at=called_at,
        with_script=with_script,
        flooding=flooding,
        heart_rate=heart_rate,
        promised_return_at=promised_return_at,
        resumed_at=resumed_at,
        resumed_by=resumed_by,
        with_invitation=with_invitation,
        outcome=outcome,
    )
    account = record_account(
        case, partner, data, source=source, session=session, checkin_id=checkin_id, actor=actor
    )
    return account.episode
