"""The demo's staff: an admin, supervisors and counsellors, with their demo logins.

The base practice (one admin, two supervisors, up to six counsellors) is created through the
accounts operations, as an administrator would; further staff (larger scales) share one
password hash and are bulk-inserted.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from practice.accounts import operations as accounts
from practice.accounts.models import Account, Role, StaffMember
from practice.accounts.passwords import hash_password
from practice.demo.builder.rows import IdAllocator, insert
from practice.demo.story.cast import (
    ADMIN_NAME,
    COUNSELLOR_NAMES,
    SUPERVISOR_NAMES,
    invent_staff_name,
)

ADMIN_EMAIL = "admin@example.com"


def demo_email(role: Role, number: int) -> str:
    """``counsellor@example.com``, ``counsellor2@example.com`` …; likewise for supervisors."""
    suffix = "" if number == 1 else str(number)
    return f"{role.value}{suffix}@example.com"


@dataclass(frozen=True)
class Counsellor:
    """A counsellor of the demo, numbered as in their login, and who supervises them."""

    id: int
    number: int
    supervisor_id: int | None


def create_staff(
    rng: random.Random, n_supervisors: int, n_counsellors: int, *, password: str, now: datetime
) -> list[Counsellor]:
    """Create the admin, ``n_supervisors`` supervisors and ``n_counsellors`` counsellors, all
    signing in with ``password``; returns the counsellors in order. Flushes.

    ``n_supervisors`` is at least the two of the base practice.
    """
    create = accounts.create_staff
    create(
        email=ADMIN_EMAIL,
        display_name=ADMIN_NAME,
        role=Role.ADMIN,
        password=password,
        actor_label="demo",
    )
    supervisors = [
        create(
            email=demo_email(Role.SUPERVISOR, i + 1),
            display_name=name,
            role=Role.SUPERVISOR,
            password=password,
            actor_label="demo",
        )
        for i, name in enumerate(SUPERVISOR_NAMES)
    ]
    supervisor_ids = [member.id for member in supervisors]
    counsellors = []
    for number in range(1, min(n_counsellors, len(COUNSELLOR_NAMES)) + 1):
        member = create(
            email=demo_email(Role.COUNSELLOR, number),
            display_name=COUNSELLOR_NAMES[number - 1],
            role=Role.COUNSELLOR,
            password=password,
            # Counsellors 1-3 report to the first supervisor, 4-6 to the second.
            supervisor=supervisors[(number - 1) // 3],
            actor_label="demo",
        )
        counsellors.append(Counsellor(member.id, number, member.supervisor_id))
    extra_supervisors = n_supervisors - len(SUPERVISOR_NAMES)
    extra_counsellors = n_counsellors - len(counsellors)
    if extra_supervisors <= 0 and extra_counsellors <= 0:
        return counsellors

    ids = IdAllocator([Account, StaffMember])
    password_hash = hash_password(password)
    created = now - timedelta(days=400)
    used_names = {ADMIN_NAME, *SUPERVISOR_NAMES, *COUNSELLOR_NAMES}

    def staff_rows(role: Role, numbers: range, supervisor_of) -> tuple[list[dict], list[dict]]:
        account_rows, member_rows = [], []
        for number in numbers:
            name = invent_staff_name(rng, used_names)
            email = demo_email(role, number)
            account_id = ids.take(Account)
            account_rows.append(
                {
                    "id": account_id,
                    "email": email,
                    "display_name": name,
                    "password_hash": password_hash,
                    "active": True,
                    "session_version": 1,
                    "failed_logins": 0,
                    "password_changed_at": created,
                    "created_at": created,
                }
            )
            member_rows.append(
                {
                    "id": ids.take(StaffMember),
                    "user_id": str(account_id),
                    "email": email,
                    "display_name": name,
                    "role": role.value,
                    "supervisor_id": supervisor_of(number),
                    "active": True,
                    "created_at": created,
                }
            )
        return account_rows, member_rows

    supervisor_accounts, supervisor_rows = staff_rows(
        Role.SUPERVISOR, range(len(SUPERVISOR_NAMES) + 1, n_supervisors + 1), lambda _n: None
    )
    supervisor_ids += [row["id"] for row in supervisor_rows]
    # Extra counsellors go round the supervisors, the newer ones first.
    rota = supervisor_ids[len(SUPERVISOR_NAMES) :] + supervisor_ids[: len(SUPERVISOR_NAMES)]
    counsellor_accounts, counsellor_rows = staff_rows(
        Role.COUNSELLOR,
        range(len(counsellors) + 1, n_counsellors + 1),
        lambda n: rota[(n - len(counsellors) - 1) % len(rota)],
    )
    insert(Account, supervisor_accounts + counsellor_accounts)
    insert(StaffMember, supervisor_rows)
    insert(StaffMember, counsellor_rows)
    ids.advance_sequences()
    counsellors += [
        Counsellor(row["id"], len(counsellors) + i + 1, row["supervisor_id"])
        for i, row in enumerate(counsellor_rows)
    ]
    return counsellors
