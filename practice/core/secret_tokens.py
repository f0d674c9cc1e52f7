"""Secrets handed out once and stored only as a digest: API tokens, check-in links, calendar
feed addresses. A random secret of 256 bits needs no salt or slow hash: it cannot be guessed
from its SHA-256."""

from __future__ import annotations

import hashlib


def token_digest(token: str) -> str:
    """What is stored of a secret token: its SHA-256 in hex."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
