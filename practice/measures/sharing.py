"""Whose CSI-4 scores may be shown to whom: the consents recorded, read for the reports, the
pages and the API.

The reports ask ``shared_with(partner, audience, on)`` before they show a partner's scores to
the other partner (the joint client report, audience ``"partner"``) or to a referrer (the
referrer report, audience ``"referrer"``). When a consent is in force is the rule of
``practice.measures.consent``; each function here is one query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from practice.cases.models import Case, Partner
from practice.core.database import db
from practice.measures import consent
from practice.measures.consent import ShareAudience
from practice.measures.models import ScoreSharingConsent


def consents_of_partner(partner_id: int, audience: str) -> list[ScoreSharingConsent]:
    """A partner's consents to one audience, oldest first (only the last may be open)."""
    return list(
        db.scalars(
            select(ScoreSharingConsent)
            .where(
                ScoreSharingConsent.partner_id == partner_id,
                ScoreSharingConsent.audience == audience,
            )
            .order_by(ScoreSharingConsent.given_on, ScoreSharingConsent.id)
        )
    )


def consents_of_case(case: Case) -> list[ScoreSharingConsent]:
    """Every consent recorded in ``case``, withdrawn ones included: by partner, audience, date;
    who recorded each step comes loaded with it."""
    return list(
        db.scalars(
            select(ScoreSharingConsent)
            .join(Partner, ScoreSharingConsent.partner_id == Partner.id)
            .where(ScoreSharingConsent.case_id == case.id)
            .options(
                selectinload(ScoreSharingConsent.recorded_by),
                selectinload(ScoreSharingConsent.withdrawal_by),
            )
            .order_by(
                Partner.position,
                Partner.id,
                ScoreSharingConsent.audience,
                ScoreSharingConsent.given_on,
                ScoreSharingConsent.id,
            )
        )
    )


def is_in_force(record: ScoreSharingConsent, on: date | None = None) -> bool:
    """Whether ``record`` is in force on the day ``on``, or, without a day, now: as recorded
    now, a consent not withdrawn (a withdrawal counts from the moment it is recorded)."""
    if on is None:
        return record.withdrawn_on is None
    return consent.in_force(record.given_on, record.withdrawn_on, on)


def shared_with(partner: Partner, audience: str, on: date | None = None) -> bool:
    """Whether ``partner``'s CSI-4 scores may be shown to ``audience`` (``"partner"``: the other
    partner, in the joint client report; ``"referrer"``: a referrer, in the referrer report).

    ``on``: a day (the partner's consent was given on or before it and not withdrawn on or
    before it); without one, now (a consent is recorded and not withdrawn). False for an
    audience nobody can consent to. Reads the partner's consents; records nothing.
    """
    if audience not in set(ShareAudience):
        return False
    return any(is_in_force(record, on) for record in consents_of_partner(partner.id, audience))


def partners_sharing(case: Case, audience: str, on: date | None = None) -> set[int]:
    """The ids of the partners of ``case`` whose scores may be shown to ``audience`` (on the day
    ``on``, or now), as ``shared_with`` decides for each; one query."""
    return {
        record.partner_id
        for record in consents_of_case(case)
        if record.audience == audience and is_in_force(record, on)
    }


@dataclass(frozen=True)
class SharingLine:
    """One partner's consent to one audience: in force now or not, and its whole history."""

    partner: Partner
    audience: str
    label: str
    history: tuple[ScoreSharingConsent, ...]  # oldest first

    @property
    def current(self) -> ScoreSharingConsent | None:
        """The consent in force now, if any."""
        last = self.history[-1] if self.history else None
        return last if last is not None and last.withdrawn_on is None else None

    @property
    def last_withdrawn(self) -> ScoreSharingConsent | None:
        """The latest consent that was withdrawn, if any."""
        withdrawn = [record for record in self.history if record.withdrawn_on is not None]
        return withdrawn[-1] if withdrawn else None


def sharing_lines(case: Case) -> list[SharingLine]:
    """For each partner of ``case`` (in order) and each audience the case has, their consent
    now and its history; one query."""
    by_key: dict[tuple[int, str], list[ScoreSharingConsent]] = defaultdict(list)
    for record in consents_of_case(case):
        by_key[(record.partner_id, record.audience)].append(record)
    return [
        SharingLine(
            partner=partner,
            audience=audience.value,
            label=consent.audience_label(audience, case.kind),
            history=tuple(by_key[(partner.id, audience.value)]),
        )
        for partner in case.partners
        for audience in consent.audiences_for(case.kind)
    ]
