"""Rate limits of the public check-in page: per client address and per link.

Reuses the sign-in throttle's table and counting (``practice.accounts.login_throttle``): every
request to the page counts, under keys that can be mistaken neither for an address nor for each
other, hashed so that neither an address nor a token is written anywhere.
"""

from __future__ import annotations

import hashlib

from flask import current_app

from practice.accounts import login_throttle
from practice.core.secret_tokens import token_digest


def address_key(address: str) -> str:
    """The throttle key of a client address (hashed, 43 characters)."""
    return "ci:" + hashlib.sha256(address.encode("utf-8")).hexdigest()[:40]


def token_key(token: str) -> str:
    """The throttle key of a link's token (from its digest, 43 characters)."""
    return "ct:" + token_digest(token)[:40]


def refused(address: str | None, token: str) -> bool:
    """Count one request to the check-in page from ``address`` with ``token``; whether it is
    refused: the address or the token made more than their limits' worth of requests within
    the window (``PRACTICE_CHECKIN_*``), and the block has not run out."""
    config = current_app.config
    limits = (
        (address_key(address or "unknown"), config["PRACTICE_CHECKIN_ADDRESS_MAX_REQUESTS"]),
        (token_key(token), config["PRACTICE_CHECKIN_TOKEN_MAX_REQUESTS"]),
    )
    if any(login_throttle.address_blocked(key) for key, _ in limits):
        return True
    for key, most in limits:
        # The request that fills the window is still served; the next one is refused.
        login_throttle.record_failure(
            key,
            max_failures=int(most),
            block_seconds=int(config["PRACTICE_CHECKIN_BLOCK_SECONDS"]),
            window_seconds=int(config["PRACTICE_CHECKIN_WINDOW_SECONDS"]),
        )
    return False
