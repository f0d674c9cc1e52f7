"""Looking up staff members and their standalone login accounts (reads only)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from practice.accounts.models import SUPERVISING_ROLES, Account, StaffMember
from practice.core.database import db


def all_staff() -> list[StaffMember]:
    """Every staff member, active or not, by name, with their supervisor loaded."""
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
                StaffMember.role.in_(SUPERVISING_ROLES),
                StaffMember.active.is_(True),
            )
            .order_by(StaffMember.display_name)
        ).all()
    )


def staff_for_account(account: Account) -> StaffMember | None:
    """The staff record of a standalone login, if it has one."""
    return db.scalar(select(StaffMember).where(StaffMember.user_id == str(account.id)))


def account_of(member: StaffMember) -> Account | None:
    """The standalone login of ``member``, if the tracker manages one."""
    return db.get(Account, int(member.user_id)) if member.user_id.isdigit() else None
