"""Personal API tokens: shown once, stored only as a SHA-256, sent as ``Authorization: Bearer``.

Every token expires (90 days unless chosen otherwise, at most a year) and may be read-only.
The functions that write run in a savepoint (``@atomic``) and never commit.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select

from practice import audit
from practice.accounts.models import ApiToken, StaffMember
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.secret_tokens import token_digest
from practice.core.unit_of_work import atomic

TOKEN_PREFIX = "cct_"
MAX_NAME_LENGTH = 80
DEFAULT_EXPIRY_DAYS = 90
MAX_EXPIRY_DAYS = 365
# The lifetimes offered on the tokens page; the CLI takes any number of days up to the maximum.
EXPIRY_CHOICES_DAYS = (7, 30, 90, 180, 365)
# The last use is noted when the one stored is older than this: a script polling every second
# does not write the token's row on every request.
LAST_USE_PRECISION = timedelta(minutes=1)


class TokenError(Refused):
    """A token request that cannot be carried out; the message says why."""


@atomic
def create_token(
    member: StaffMember,
    name: str,
    *,
    expires_in_days: int = DEFAULT_EXPIRY_DAYS,
    read_only: bool = False,
) -> tuple[str, ApiToken]:
    """A new token for ``member``: the secret (to show once) and its stored record.

    Raises TokenError for an empty or too long name, or a lifetime outside 1 to 365 days.
    """
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise TokenError(f"Name the token in 1 to {MAX_NAME_LENGTH} characters.")
    if (
        not isinstance(expires_in_days, int)
        or isinstance(expires_in_days, bool)
        or not 1 <= expires_in_days <= MAX_EXPIRY_DAYS
    ):
        raise TokenError(f"A token lasts from 1 to {MAX_EXPIRY_DAYS} days.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = utcnow()
    record = ApiToken(
        staff_id=member.id,
        name=name,
        token_hash=token_digest(secret),
        prefix=secret[:12],
        created_at=now,
        expires_at=now + timedelta(days=expires_in_days),
        read_only=read_only,
    )
    db.add(record)
    db.flush()
    audit.record(
        "api_token_created",
        obj=record,
        actor=member,
        detail={"expires_in_days": expires_in_days, "read_only": read_only},
    )
    return secret, record


@atomic
def revoke_token(record: ApiToken, member: StaffMember) -> None:
    """Revoke one of ``member``'s own tokens; raises TokenError for someone else's."""
    if record.staff_id != member.id:
        raise TokenError("That token is not yours.")
    if record.revoked_at is None:
        record.revoked_at = utcnow()
        audit.record("api_token_revoked", obj=record, actor=member)


@atomic
def revoke_all_tokens(member: StaffMember, reason: str) -> list[int]:
    """Revoke every active token of ``member``, keeping the rows; the ids revoked.

    For the moments its credentials may be compromised or its access ends (``reason``:
    "password_changed", "two_factor_reset", "deactivated"). Each revocation is audited
    like one by the member, with the acting person (the member or an administrator).
    """
    active = db.scalars(
        select(ApiToken).where(ApiToken.staff_id == member.id, ApiToken.revoked_at.is_(None))
    )
    now = utcnow()
    revoked = []
    for record in active.all():
        record.revoked_at = now
        revoked.append(record.id)
        audit.record("api_token_revoked", obj=record, detail={"reason": reason})
    return revoked


def tokens_of(member: StaffMember) -> list[ApiToken]:
    return list(
        db.scalars(
            select(ApiToken).where(ApiToken.staff_id == member.id).order_by(ApiToken.id.desc())
        )
    )


def known_token_id(secret: str) -> int | None:
    """The id of the token ``secret`` was issued as, revoked or not; None for a made-up one."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    return db.scalar(select(ApiToken.id).where(ApiToken.token_hash == token_digest(secret)))


@atomic
def staff_for_token(secret: str) -> tuple[StaffMember, ApiToken] | None:
    """The active staff member behind an unrevoked, unexpired token, or None; notes the
    token's use (at most once a minute, so that a busy script does not write on every call)."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    now = utcnow()
    row = db.execute(
        select(StaffMember, ApiToken)
        .join(ApiToken, ApiToken.staff_id == StaffMember.id)
        .where(
            ApiToken.token_hash == token_digest(secret),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > now,
            StaffMember.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    member, record = row
    if record.last_used_at is None or now - record.last_used_at >= LAST_USE_PRECISION:
        record.last_used_at = now
    return member, record
