"""Personal API tokens: shown once, stored only as a SHA-256, sent as ``Authorization: Bearer``.

The functions that write run in a savepoint (``@atomic``) and never commit.
"""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from practice import audit
from practice.accounts.models import ApiToken, StaffMember
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.unit_of_work import atomic

TOKEN_PREFIX = "cct_"
MAX_NAME_LENGTH = 80


class TokenError(Refused):
    """A token request that cannot be carried out; the message says why."""


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@atomic
def create_token(member: StaffMember, name: str) -> tuple[str, ApiToken]:
    """A new token for ``member``: the secret (to show once) and its stored record.

    Raises TokenError for an empty or too long name.
    """
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise TokenError(f"Name the token in 1 to {MAX_NAME_LENGTH} characters.")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    record = ApiToken(
        staff_id=member.id, name=name, token_hash=token_digest(secret), prefix=secret[:12]
    )
    db.add(record)
    db.flush()
    audit.record("api_token_created", obj=record, actor=member)
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
    """The active staff member behind an unrevoked token, or None; notes the token's use."""
    if not secret.startswith(TOKEN_PREFIX):
        return None
    row = db.execute(
        select(StaffMember, ApiToken)
        .join(ApiToken, ApiToken.staff_id == StaffMember.id)
        .where(
            ApiToken.token_hash == token_digest(secret),
            ApiToken.revoked_at.is_(None),
            StaffMember.active.is_(True),
        )
    ).first()
    if row is None:
        return None
    member, record = row
    record.last_used_at = utcnow()
    return member, record
