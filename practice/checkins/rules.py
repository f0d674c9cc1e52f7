"""The rules of check-ins: tokens, when a link opens, when the CSI-4 is asked, and when a
partner's word counts as home corroboration of the other's script. Pure: no Flask, no database.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

# Bytes of randomness in a token: 32 (256 bits), more than the 128 the design asks.
TOKEN_BYTES = 32
# Every CSI_EVERY-th check-in of a partner asks the CSI-4 (the 4th, 8th, …).
CSI4_EVERY = 4
# How many breaks one check-in may tell of (the page shows this many rows).
MAX_BREAKS = 3
# The highest count of the pattern a partner may give for one week.
MAX_PATTERN_COUNT = 99

OPEN, USED, REVOKED, EXPIRED = "open", "used", "revoked", "expired"


def new_token() -> str:
    """A fresh token for a link, URL-safe, 256 random bits."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def link_state(
    used_at: datetime | None, revoked_at: datetime | None, expires_at: datetime, now: datetime
) -> str:
    """Whether a link may take a check-in at ``now``: "open", or why not ("used", "revoked",
    "expired"). A link expires at ``expires_at`` exactly."""
    if used_at is not None:
        return USED
    if revoked_at is not None:
        return REVOKED
    if now >= expires_at:
        return EXPIRED
    return OPEN


def csi4_due(number: int, every: int = CSI4_EVERY) -> bool:
    """Whether a partner's ``number``-th check-in (1, 2, …) asks the CSI-4: every ``every``-th.

    Raises ValueError for a number below 1."""
    if number < 1:
        raise ValueError("Check-ins are numbered from 1")
    return number % every == 0


def corroborates(
    writer_partner_id: int, owner_partner_id: int, used_by_partner: bool | None
) -> bool:
    """Whether a check-in's answer is home corroboration of a script's adoption: the other
    partner (not the script's owner) says its owner used it. A partner's word about their own
    use is kept but corroborates nothing."""
    return writer_partner_id != owner_partner_id and used_by_partner is True


def breaks_told(called_by: list[str | None]) -> int:
    """How many breaks a check-in tells of: the rows with someone named as calling it."""
    return sum(1 for who in called_by if who)


# How long after the break a partner's band puts the return, for the break rules, which judge
# the time between a break and its return (protective: 20 minutes to 24 hours). A check-in
# asks for the band, not the minute: each band's time is one that falls inside it.
RETURN_AFTER: dict[str, timedelta | None] = {
    "early": timedelta(minutes=10),  # "within 20 minutes": early
    "within_day": timedelta(hours=2),  # "20 minutes to a day": protective
    "later": timedelta(hours=36),  # "more than a day": not returned within 24 hours
    "not_yet": None,
}


def break_times(
    submitted_at: datetime, days_ago: int, returned: str
) -> tuple[datetime, datetime | None]:
    """When a break told in a check-in was called and resumed, as the break rules read them:
    called ``days_ago`` days before the check-in (the same time of day), resumed after its
    band's time; moved earlier when that return would fall after the check-in was sent.

    Raises KeyError for an unknown band."""
    after = RETURN_AFTER[returned]
    called_at = submitted_at - timedelta(days=days_ago)
    if after is None:
        return called_at, None
    if called_at + after > submitted_at:
        called_at = submitted_at - after
    return called_at, called_at + after
