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
    window_seconds: int | None = None,
) -> None:
    """Count a failed password or code from ``address``; block it when the window is full.

    ``address`` may also be a key of another kind (``host_user_key``, the check-in page's
    keys) with its own limits.
    """
    now = now or utcnow()
    config = current_app.config
    if window_seconds is None:
        window_seconds = config["PRACTICE_LOGIN_ADDRESS_WINDOW_SECONDS"]
    window = timedelta(seconds=window_seconds)
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


@atomic
def anonymous_failures_to_audit(address: str, now: datetime | None = None) -> int | None:
    """Note a failed sign-in from ``address`` that named no account; how many such failures
    to audit now in one row, or None when this one is only counted.

    The first one of a window (``PRACTICE_LOGIN_ADDRESS_WINDOW_SECONDS``) is audited at once,
    carrying the failures counted since the previous row; the rest of the window is counted
    only. So each address adds at most one audit row per window, and no failure goes
    uncounted (the latest ones are in the next row, and meanwhile in this table).
    """
    now = now or utcnow()
    window = timedelta(seconds=current_app.config["PRACTICE_LOGIN_ADDRESS_WINDOW_SECONDS"])
    row = _row_for(address, now)
    counted = row.anonymous_failures or 0
    if row.anonymous_audited_at is not None and row.anonymous_audited_at + window > now:
        row.anonymous_failures = counted + 1
        db.flush()
        return None
    row.anonymous_audited_at = now
    row.anonymous_failures = 0
    db.flush()
    return counted + 1


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
