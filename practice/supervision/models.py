"""Supervisors' comments on sessions and cases, replies, and who has read them."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from practice.core.database import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from practice.accounts.models import StaffMember


class SupervisionComment(Base):
    """A comment on a case or one of its sessions; ``parent_id`` makes it a reply."""

    __tablename__ = "practice_supervision_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_case.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_session.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_supervision_comment.id"))
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"))
    body: Mapped[str] = mapped_column(sa.Text)
    # Set when the comment returns a signed note to its counsellor instead of co-signing it.
    returns_note: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    author: Mapped[StaffMember] = relationship()


class CommentRead(Base):
    """That a staff member has seen a comment; unread counts are what lacks one."""

    __tablename__ = "practice_comment_read"

    comment_id: Mapped[int] = mapped_column(
        sa.ForeignKey("practice_supervision_comment.id"), primary_key=True
    )
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("practice_staff.id"), primary_key=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
