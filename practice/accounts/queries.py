"""Looking up staff members for administration pages."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from practice.accounts.models import Role, StaffMember
from practice.core.database import db


def all_staff() -> list[StaffMember]:
    return list(
        db.scalars(
            select(StaffMember)
            .options(selectinload(StaffMember.supervisor))
            .order_by(StaffMember.display_name)
        ).all()
    )


def supervisors() -> list[StaffMember]:
    """Active staff who can supervise others."""
    return list(
        db.scalars(
            select(StaffMember)
            .where(
                StaffMember.role.in_([Role.SUPERVISOR, Role.ADMIN]),
                StaffMember.active.is_(True),
            )
            .order_by(StaffMember.display_name)
        ).all()
    )
