"""Failed sign-ins counted per remote address, kept in the database so every worker sees them."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from practice.database import Base, UTCDateTime, utcnow


class LoginThrottle(Base):
    """Failures from one remote address in the current window, and until when it is refused."""

    __tablename__ = "practice_login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    # IPv6 addresses are at most 45 characters in text form.
    address: Mapped[str] = mapped_column(sa.String(45), unique=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    blocked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<LoginThrottle {self.id}>"
