"""Reading a case's breaks: each episode with its accounts, judged by the rules at ``now``.

One query for a case's episodes and one for their accounts (``selectinload``); the flags' batch
(:func:`facts_by_case`) reads many cases' accounts in one query.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from practice.breaks import rules
from practice.breaks.models import OUTCOME_LABELS, SOURCE_LABELS, BreakAccount, BreakEpisode
from practice.breaks.settings import thresholds
from practice.cases.models import Case
from practice.core.database import db, utcnow
from practice.core.i18n import _


def facts(account: BreakAccount) -> rules.BreakFacts:
    """What the rules need of an account."""
    return rules.BreakFacts(
        called_at=account.called_at,
        resumed_at=account.resumed_at,
        with_script=account.with_script,
        with_invitation=account.with_invitation,
        flooding=account.flooding,
        called_by=account.called_by_id,
        outcome=account.outcome,
    )


def _compared(account: BreakAccount) -> dict:
    values = {name: getattr(account, name) for name in rules.COMPARED_FIELDS}
    values["told_by_id"] = account.told_by_id
    return values


def chosen(accounts: Sequence[BreakAccount]) -> BreakAccount:
    """The account an episode is judged by (``rules.chosen_account``)."""
    return accounts[rules.chosen_account([_compared(a) for a in accounts])]


@dataclass(frozen=True)
class AccountView:
    account: BreakAccount
    teller: str
    source: str
    kind: str
    outcome: str
    kind_key: str = ""


@dataclass(frozen=True)
class EpisodeView:
    episode: BreakEpisode
    chosen: BreakAccount
    kind: str
    accounts: list[AccountView]
    # Labels of the fields on which the accounts differ (empty for one account, or agreement).
    differing: list[str]
    # The same fields' names, to mark them in the accounts' table.
    differing_names: list[str]

    @property
    def kind_label(self) -> str:
        return rules.CLASS_LABELS[self.kind]


@dataclass(frozen=True)
class CaseBreaks:
    """A case's breaks, newest first, with the return rate, the flag and the thresholds."""

    episodes: list[EpisodeView] = field(default_factory=list)
    rate: rules.ReturnRate = field(default_factory=lambda: rules.ReturnRate(0, 0))
    flag: rules.BreakFlag | None = None
    thresholds: rules.BreakThresholds = rules.DEFAULT_THRESHOLDS
    counts: dict[str, int] = field(default_factory=dict)


def _teller(account: BreakAccount, names: dict[int, str]) -> str:
    if account.told_by_id is None:
        return _("Counsellor's record")
    return _("%(name)s's account", name=names.get(account.told_by_id) or _("A partner"))


def episodes_of(case: Case, until: datetime | None = None) -> list[BreakEpisode]:
    """The case's episodes (called up to ``until``, if given), oldest first, accounts loaded."""
    query = (
        select(BreakEpisode)
        .where(BreakEpisode.case_id == case.id)
        .options(selectinload(BreakEpisode.accounts))
        .order_by(BreakEpisode.called_at, BreakEpisode.id)
    )
    if until is not None:
        query = query.where(BreakEpisode.called_at <= until)
    return [e for e in db.scalars(query).all() if e.accounts]


def case_breaks(
    case: Case,
    now: datetime | None = None,
    t: rules.BreakThresholds | None = None,
    since: datetime | None = None,
) -> CaseBreaks:
    """The case's breaks judged at ``now`` (default: the current time; a ``now`` given also
    leaves out breaks called after it), newest first; ``since``
    keeps the list to episodes called from then on (the rate and flag still judge all)."""
    until = now
    at = now or utcnow()
    t = t or thresholds()
    names = {p.id: p.display_name for p in case.partners}
    views = []
    for episode in episodes_of(case, until=until):
        pick = chosen(episode.accounts)
        differing = rules.differing_fields([_compared(a) for a in episode.accounts])
        views.append(
            EpisodeView(
                episode=episode,
                chosen=pick,
                kind=rules.classify(facts(pick), at, t),
                accounts=[
                    AccountView(
                        account=a,
                        teller=_teller(a, names),
                        source=SOURCE_LABELS[a.source],
                        kind=rules.CLASS_LABELS[rules.classify(facts(a), at, t)],
                        kind_key=rules.classify(facts(a), at, t),
                        outcome=OUTCOME_LABELS.get(a.outcome or "", _("Not known yet")),
                    )
                    for a in episode.accounts
                ],
                differing=[rules.COMPARED_FIELDS[name] for name in differing],
                differing_names=differing,
            )
        )
    all_facts = [facts(v.chosen) for v in views]
    counts = {kind: 0 for kind in rules.CLASS_LABELS}
    for view in views:
        counts[view.kind] += 1
    shown = [v for v in views if since is None or v.episode.called_at >= since]
    return CaseBreaks(
        episodes=list(reversed(shown)),
        rate=rules.return_rate(all_facts, at, t),
        flag=rules.break_flag(all_facts, at, t),
        thresholds=t,
        counts=counts,
    )


def facts_by_case(case_ids: Iterable[int], since: datetime) -> dict[int, list[rules.BreakFacts]]:
    """Each case's episodes called from ``since`` on, as the rules' facts (each episode by its
    chosen account), by case id: one query for all the cases."""
    ids = list(case_ids)
    if not ids:
        return {}
    accounts = db.scalars(
        select(BreakAccount)
        .join(BreakEpisode, BreakAccount.episode_id == BreakEpisode.id)
        .where(BreakEpisode.case_id.in_(ids), BreakEpisode.called_at >= since)
        .order_by(BreakAccount.episode_id, BreakAccount.id)
    ).all()
    by_episode: dict[int, list[BreakAccount]] = {}
    for account in accounts:
        by_episode.setdefault(account.episode_id, []).append(account)
    result: dict[int, list[rules.BreakFacts]] = {}
    for group in by_episode.values():
        pick = chosen(group)
        result.setdefault(pick.case_id, []).append(facts(pick))
    return result


def flag_lookback(t: rules.BreakThresholds) -> timedelta:
    """How far back the flag may need breaks: the unreturned window, or the last few breaks,
    which a case with rare breaks may have called long ago (a year is ample for a flag that
    speaks of the current work)."""
    return max(timedelta(days=t.flag_days), timedelta(days=365))
