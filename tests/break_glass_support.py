"""Opening a case's record to an administrator (break-glass) in a test, without the page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from practice.models import BreakGlass


def open_break_glass(db, admin, case, *, minutes: int = 60, ago: timedelta = timedelta()):
    """A break-glass opening of ``case`` by ``admin``, made ``ago`` and lasting ``minutes``."""
    opened = datetime.now(UTC).replace(microsecond=0) - ago
    opening = BreakGlass(
        case_id=case.id,
        admin_id=admin.id,
        reason="Records request from the clients' solicitor.",
        opened_at=opened,
        expires_at=opened + timedelta(minutes=minutes),
    )
    db.add(opening)
    db.commit()
    return opening
