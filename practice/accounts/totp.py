"""Two-factor sign-in with time-based one-time codes (RFC 6238, 30-second steps, 6 digits).

A code is accepted once: the step it belongs to is stored, and that step and earlier ones
are refused afterwards (RFC 6238 section 5.2). One step of clock drift either way is allowed.
Recovery codes, each usable once, stand in for a lost phone.

The secrets are stored encrypted (Fernet, with a key derived from the integrity key, which lives
outside the database), so a copy of the database alone does not let anyone make codes. A secret
stored in plaintext before that is encrypted on its next use, or by ``practice integrity
reseal``.

The functions that write run in a savepoint (``@atomic``) and never commit; a wrong code is
answered with False, not raised, so that the caller's record of the failure stays.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from datetime import datetime

import pyotp
import segno
from cryptography.fernet import Fernet, InvalidToken
from flask import current_app
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from practice import audit
from practice.accounts.models import Account, RecoveryCode
from practice.core import integrity
from practice.core.database import db, utcnow
from practice.core.unit_of_work import atomic

DRIFT_STEPS = 1
RECOVERY_CODES = 10
# What an encrypted secret starts with; a stored secret without it is a plaintext one from
# before encryption (base32 never holds a colon).
ENCRYPTED = "fernet:"

logger = logging.getLogger(__name__)


class SecretUnreadable(Exception):
    """A stored secret does not decrypt under the integrity key."""


def seal_secret(secret: str, key: bytes | None = None) -> str:
    """``secret`` encrypted for storage, under the integrity key (or ``key``)."""
    token = Fernet(integrity.fernet_key(key)).encrypt(secret.encode())
    return ENCRYPTED + token.decode()


def open_secret(stored: str, key: bytes | None = None) -> str:
    """The secret a stored value holds (a plaintext one from before is returned as it is).

    Raises SecretUnreadable when it does not decrypt (the key changed without a rotation).
    """
    if not stored.startswith(ENCRYPTED):
        return stored
    try:
        return Fernet(integrity.fernet_key(key)).decrypt(stored[len(ENCRYPTED) :]).decode()
    except InvalidToken as error:
        raise SecretUnreadable("The two-factor secret does not decrypt with this key.") from error


def is_encrypted(stored: str | None) -> bool:
    return stored is None or stored.startswith(ENCRYPTED)


def _active_secret(account: Account) -> str | None:
    """The account's secret in clear; a plaintext one is encrypted now (on its next use)."""
    try:
        secret = open_secret(account.totp_secret)
    except SecretUnreadable:
        logger.warning("The two-factor secret of account %s does not decrypt.", account.id)
        return None
    if not is_encrypted(account.totp_secret):
        account.totp_secret = seal_secret(secret)
    return secret


def reencrypt_all(old_key: bytes, new_key: bytes) -> int:
    """Store every secret encrypted under ``new_key`` (read with ``old_key``, or plaintext);
    returns how many values were written. Flushes; the caller commits. Raises
    SecretUnreadable, for the caller to roll back, when one does not decrypt."""
    written = 0
    accounts = db.scalars(
        select(Account).where(
            or_(Account.totp_secret.is_not(None), Account.totp_pending_secret.is_not(None))
        )
    )
    for account in accounts:
        for column in ("totp_secret", "totp_pending_secret"):
            stored = getattr(account, column)
            if stored is None or (old_key == new_key and is_encrypted(stored)):
                continue
            setattr(account, column, seal_secret(open_secret(stored, old_key), new_key))
            written += 1
    db.flush()
    return written


def _normalise(code: str) -> str:
    return "".join((code or "").split())


def matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step whose code ``code`` is, within the allowed drift, or None."""
    code = _normalise(code)
    if not code.isdigit() or len(code) != 6:
        return None
    otp = pyotp.TOTP(secret)
    now = now or utcnow()
    current = otp.timecode(now)
    found = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Compare every candidate, so the time taken does not depend on which one matched.
        if hmac.compare_digest(otp.generate_otp(step), code):
            found = step
    return found


@atomic
def verify_code(account: Account, code: str, now: datetime | None = None) -> bool:
    """Whether ``code`` is a fresh code of ``account``'s secret; uses it up if so.

    A conditional UPDATE spends the step, so two requests racing with one code cannot
    both succeed.
    """
    if not account.totp_secret:
        return False
    secret = _active_secret(account)
    step = matching_step(secret, code, now) if secret else None
    if step is None:
        return False
    result = db.execute(
        update(Account)
        .where(
            Account.id == account.id,
            or_(Account.totp_last_counter.is_(None), Account.totp_last_counter < step),
        )
        .values(totp_last_counter=step)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    set_committed_value(account, "totp_last_counter", step)
    return True


@atomic
def start_enrolment(account: Account) -> str:
    """The secret to show for enrolment; kept (encrypted) until confirmed so a reload shows
    the same."""
    if account.totp_pending_secret is not None:
        try:
            return open_secret(account.totp_pending_secret)
        except SecretUnreadable:
            pass  # the key changed: start over with a new secret
    secret = pyotp.random_base32()
    account.totp_pending_secret = seal_secret(secret)
    return secret


@atomic
def confirm_enrolment(account: Account, code: str, now: datetime | None = None) -> list[str] | None:
    """Turn two-factor sign-in on if ``code`` comes from the pending secret, with fresh
    recovery codes, returned once for display; audited. None, changing nothing, for a code
    that does not match."""
    try:
        secret = open_secret(account.totp_pending_secret) if account.totp_pending_secret else None
    except SecretUnreadable:
        secret = None
    step = matching_step(secret, code, now) if secret else None
    if step is None:
        return None
    account.totp_secret = seal_secret(secret)
    account.totp_pending_secret = None
    account.totp_last_counter = step  # the confirming code cannot sign in afterwards
    audit.record("totp_enabled", obj=account)
    return new_recovery_codes(account)


@atomic
def disable(account: Account) -> None:
    """Turn two-factor sign-in off; audited. The caller has checked the password."""
    account.totp_secret = None
    account.totp_pending_secret = None
    account.totp_last_counter = None
    db.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    audit.record("totp_disabled", obj=account)


def is_recovery_code(code: str) -> bool:
    """Whether ``code`` has the shape of a recovery code rather than an app's 6 digits."""
    return len(_recovery_key(code)) == 10


def _recovery_key(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _recovery_hash(code: str) -> str:
    # 40 random bits per code and at most ten guesses before the lock-out: a plain SHA-256
    # suffices; the database never holds a usable code.
    return hashlib.sha256(_recovery_key(code).encode()).hexdigest()


@atomic
def new_recovery_codes(account: Account) -> list[str]:
    """Replace ``account``'s recovery codes with fresh ones, returned once for display."""
    db.execute(delete(RecoveryCode).where(RecoveryCode.account_id == account.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.add(RecoveryCode(account_id=account.id, code_hash=_recovery_hash(raw)))
    db.flush()
    audit.record("recovery_codes_created", obj=account)
    return codes


@atomic
def use_recovery_code(account: Account, code: str, now: datetime | None = None) -> bool:
    """Whether ``code`` is an unused recovery code of ``account``; spends it if so."""
    if not account.totp_secret or not is_recovery_code(code):
        return False
    result = db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.account_id == account.id,
            RecoveryCode.code_hash == _recovery_hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        return False
    audit.record("recovery_code_used", obj=account)
    return True


def recovery_codes_left(account: Account) -> int:
    """How many of ``account``'s recovery codes are still unused."""
    return db.scalar(
        select(func.count(RecoveryCode.id)).where(
            RecoveryCode.account_id == account.id, RecoveryCode.used_at.is_(None)
        )
    )


def provisioning_uri(account: Account, secret: str) -> str:
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    issuer = current_app.config["PRACTICE_NAME"]
    return pyotp.TOTP(secret).provisioning_uri(name=account.email, issuer_name=issuer)


def qr_code_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG ``data:`` URI (the CSP admits data: images only)."""
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2, dark="#111")


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type into an app by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
