"""Consent to share a partner's CSI-4 scores: who may see them, and on which days.

Each partner's scores are their own (DESIGN.md, "Measures and rules"). They are shown to the
other partner (the joint client report) or to a referrer (the referrer report) only while that
partner's consent to it is in force. The one home of the rule of when a consent is in force;
pure: no Flask, no database.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class ShareAudience(StrEnum):
    """Whom a partner may let see their scores."""

    PARTNER = "partner"  # the other partner (or the others of a family), in the joint report
    REFERRER = "referrer"  # the referrer, in the referrer report


# What the counsellor reads, by audience and, for the partner, by the kind of case.
AUDIENCE_LABELS: dict[str, str] = {
    ShareAudience.PARTNER: "the other partner (joint client report)",
    ShareAudience.REFERRER: "a referrer (referrer report)",
}
FAMILY_PARTNER_LABEL = "the others in the case (joint client report)"


def audience_label(audience: str, case_kind: str) -> str:
    """The audience in words, for a case of ``case_kind`` (a family shares with its others)."""
    if audience == ShareAudience.PARTNER and case_kind == "family":
        return FAMILY_PARTNER_LABEL
    return AUDIENCE_LABELS[audience]


def audiences_for(case_kind: str) -> tuple[ShareAudience, ...]:
    """The audiences a partner of a case of ``case_kind`` may consent to: an individual client
    has no one in a joint report to share with, only a referrer."""
    if case_kind == "individual":
        return (ShareAudience.REFERRER,)
    return (ShareAudience.PARTNER, ShareAudience.REFERRER)


def in_force(given_on: date, withdrawn_on: date | None, on: date) -> bool:
    """Whether a consent given on ``given_on`` (and withdrawn on ``withdrawn_on``, if ever) is in
    force on the day ``on``: from the day it was given, up to the day before its withdrawal.

    A withdrawal takes effect on its own date: on that day the scores are no longer shared.
    """
    return given_on <= on and (withdrawn_on is None or on < withdrawn_on)
