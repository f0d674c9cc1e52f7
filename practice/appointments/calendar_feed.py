"""Each counsellor's private calendar feed: a secret address, stored only hashed, that can be
renewed or stopped. Stopping deletes the feed's row (it holds no clinical record), so an old
address can never be brought back; the audit trail keeps that it happened.
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from practice import audit
from practice.accounts.models import StaffMember
from practice.appointments.models import CalendarFeed
from practice.core.database import db, utcnow
from practice.core.secret_tokens import token_digest
from practice.core.unit_of_work import atomic

FEED_TOKEN_BYTES = 32


def feed_of(member: StaffMember) -> CalendarFeed | None:
    """The member's calendar feed, if they have made one."""
    return db.scalar(select(CalendarFeed).where(CalendarFeed.staff_id == member.id))


@atomic
def renew_feed(member: StaffMember) -> str:
    """Make (or replace) ``member``'s calendar feed secret and return it: shown once, stored
    only hashed; the previous URL stops working at once."""
    token = secrets.token_urlsafe(FEED_TOKEN_BYTES)
    feed = feed_of(member)
    renewed = feed is not None
    if feed is None:
        feed = CalendarFeed(staff_id=member.id)
        db.add(feed)
    feed.token_sha256 = token_digest(token)
    feed.created_at = utcnow()
    db.flush()
    audit.record(
        "calendar_feed_renewed" if renewed else "calendar_feed_created",
        object_type="CalendarFeed",
        object_id=feed.id,
    )
    return token


@atomic
def stop_feed(member: StaffMember) -> bool:
    """Remove ``member``'s calendar feed: its URL stops working. Returns whether there was one."""
    feed = feed_of(member)
    if feed is None:
        return False
    feed_id = feed.id
    db.delete(feed)
    db.flush()
    audit.record("calendar_feed_stopped", object_type="CalendarFeed", object_id=feed_id)
    return True


def staff_for_feed(token: str) -> StaffMember | None:
    """The active staff member whose feed secret is ``token``, or None."""
    if not token or len(token) > 100:
        return None
    return db.scalar(
        select(StaffMember)
        .join(CalendarFeed, CalendarFeed.staff_id == StaffMember.id)
        .where(CalendarFeed.token_sha256 == token_digest(token), StaffMember.active.is_(True))
    )
