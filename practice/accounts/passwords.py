"""Password hashing (argon2id at OWASP's recommended cost) and the password policy."""

from __future__ import annotations

from collections.abc import Sequence

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

# OWASP Password Storage Cheat Sheet: argon2id, m=19 MiB, t=2, p=1.
_hasher = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)

MIN_LENGTH = 12
MAX_LENGTH = 256
# zxcvbn scores 0-4; below 3 means fewer than about 10^8 guesses: a known leaked password
# (its list of 30,000 from breach corpora), a dictionary word or name with a few digits, a
# keyboard walk, a sequence or a repetition. Longer inputs are cut before scoring because
# zxcvbn's matching grows with length, and a long prefix that is strong stays strong.
MIN_STRENGTH = 3
_SCORED_LENGTH = 100


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether ``password`` matches ``password_hash``; never raises for a wrong password."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made at another cost and should be renewed at the next login."""
    return _hasher.check_needs_rehash(password_hash)


def password_problem(password: str, context: Sequence[str] = ()) -> str | None:
    """Why ``password`` is refused by the policy, or None when it is acceptable.

    ``context`` holds words the password must not lean on, such as the person's email and
    name (NIST SP 800-63B 5.1.1.2: refuse breached, dictionary and context-specific words).
    """
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    inputs = [word for item in context for word in _words(item)]
    if zxcvbn(password[:_SCORED_LENGTH], user_inputs=inputs)["score"] < MIN_STRENGTH:
        return (
            "This password is too common or too easy to guess. Try a passphrase of "
            "several unrelated words."
        )
    return None


def _words(item: str) -> list[str]:
    """An email or a name split into the parts someone might build a password from."""
    parts = item.lower().replace("@", " ").replace(".", " ").replace("-", " ").split()
    return [item.lower(), "".join(parts), *parts]
