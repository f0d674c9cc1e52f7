"""Refusing sign-in attempts from a remote address that failed too often, for a while.

Counted in the database, not in memory, so every gunicorn worker sees the same count.
Never permanent: the refusal ends by itself after ``PRACTICE_LOGIN_ADDRESS_BLOCK_SECONDS``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from practice.accounts.models import LoginThrottle
from practice.core.database import db, utcnow
from practice.core.unit_of_work import atomic


def address_blocked(address: str, now: datetime | None = None) -> bool:
    """Whether sign-ins from ``address`` are refused at the moment."""
    now = now or utcnow()
    row = db.scalar(select(LoginThrottle).where(LoginThrottle.address == address))
    return row is not None and row.blocked_until is not None and row.blocked_until > now


@atomic
def record_failure(
    address: str,
    now: datetime | None = None,
    max_failures: int | None = None,
    block_seconds: int | None = None,
) -> None:
    """Count a failed password or code from ``address``; block it when the window is full.

    ``address`` may also be a key of another kind (``host_user_key``) with its own limits.
    """
    now = now or utcnow()
    config = current_app.config
    window = timedelta(seconds=config["PRACTICE_LOGIN_ADDRESS_WINDOW_SECONDS"])
    if max_failures is None:
        max_failures = config["PRACTICE_LOGIN_ADDRESS_MAX_FAILURES"]
    if block_seconds is None:
        block_seconds = config["PRACTICE_LOGIN_ADDRESS_BLOCK_SECONDS"]
    row = _row_for(address, now)
    if row.window_started_at + window <= now:
        row.failures = 0
        row.window_started_at = now
    row.failures += 1
    if row.failures >= max_failures:
        row.blocked_until = now + timedelta(seconds=block_seconds)
        row.failures = 0
        row.window_started_at = now
    db.flush()


def host_user_key(member_id: int) -> str:
    """The throttle's key for a host user's password confirmations (a host app keeps no
    account row of ours to count on); it cannot be mistaken for an address."""
    return f"staff:{member_id}"


@atomic
def clear(key: str) -> None:
    """Forget the failures counted under ``key`` (a confirmed password)."""
    row = db.scalar(select(LoginThrottle).where(LoginThrottle.address == key))
    if row is not None and row.failures:
        row.failures = 0
        db.flush()


def _row_for(address: str, now: datetime) -> LoginThrottle:
    query = select(LoginThrottle).where(LoginThrottle.address == address).with_for_update()
    row = db.scalar(query)
    if row is not None:
        return row
    # Two workers may count the first failure of an address at once; the loser re-reads.
    try:
        with db.begin_nested():
            row = LoginThrottle(address=address, failures=0, window_started_at=now)
            db.add(row)
    except IntegrityError:
        row = db.scalar(query)
    return row
