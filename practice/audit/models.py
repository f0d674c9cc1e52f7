"""The append-only audit log."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from practice.core.database import Base, UTCDateTime, utcnow


class AuditEvent(Base):
    """Who did what to which object, when and from where. Never holds clinical text.

    ``row_hash`` covers this row and ``prev_hash``, so an edited or deleted row breaks the chain.
    Version 2 (``chain_version``) is HMAC-SHA256 under the integrity key, kept outside the
    database; version 1, an unkeyed SHA-256 from before, is re-chained by ``practice integrity
    reseal`` and never verifies as it is.
    """

    __tablename__ = "practice_audit_event"
    # The log is read newest first, filtered by one of these: (column, id) serves both.
    __table_args__ = (
        sa.Index("ix_practice_audit_event_object", "object_type", "object_id"),
        sa.Index("ix_practice_audit_event_action_id", "action", "id"),
        sa.Index("ix_practice_audit_event_actor_id_id", "actor_id", "id"),
        sa.Index("ix_practice_audit_event_case_id_id", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("practice_staff.id"))
    actor_label: Mapped[str] = mapped_column(sa.String(254), default="")
    action: Mapped[str] = mapped_column(sa.String(40))
    object_type: Mapped[str] = mapped_column(sa.String(30), default="")
    object_id: Mapped[str] = mapped_column(sa.String(40), default="")
    case_id: Mapped[int | None] = mapped_column(sa.Integer)
    outcome: Mapped[str] = mapped_column(sa.String(10), default="ok")
    remote_addr: Mapped[str] = mapped_column(sa.String(45), default="")
    detail: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    row_hash: Mapped[str] = mapped_column(sa.String(64), default="")
    chain_version: Mapped[int] = mapped_column(sa.SmallInteger, default=2)
