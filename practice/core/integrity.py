"""The integrity key: the secret that seals signed notes, chains the audit log and encrypts
two-factor secrets, kept outside the database.

Someone who can write the database but not read this key cannot recompute a seal, a link of
the audit chain or the anchor's MAC, so a change they make shows. The key is the setting (or
environment variable) ``PRACTICE_INTEGRITY_KEY`` when set, else the file ``integrity.key`` in
the instance folder, created on first use readable by its owner alone. Each use derives its own
sub-key, so a MAC made for one purpose never passes for another.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import secrets
from pathlib import Path

from flask import Flask, current_app

from practice.core import private_files

KEY_FILE = "integrity.key"
SETTING = "PRACTICE_INTEGRITY_KEY"
MIN_KEY_LENGTH = 32
_CACHE = "practice_integrity_key"


class IntegrityKeyError(RuntimeError):
    """The configured integrity key is unusable (too short)."""


def key_path(app: Flask | None = None) -> Path:
    """Where the key file lives (used when the setting is not)."""
    app = app or current_app
    return Path(app.instance_path) / KEY_FILE


def configured_key(app: Flask | None = None) -> str | None:
    """The key given by setting or environment, if any."""
    app = app or current_app
    return app.config.get(SETTING) or os.environ.get(SETTING) or None


def parse_key(raw: str) -> bytes:
    """The key's bytes: 64 hex digits decode to 32 bytes; any other text of at least 32
    characters is taken as UTF-8. Raises IntegrityKeyError for a shorter one."""
    raw = raw.strip()
    if len(raw) < MIN_KEY_LENGTH:
        raise IntegrityKeyError(
            f"{SETTING} must be at least {MIN_KEY_LENGTH} characters (64 hex digits are best)."
        )
    try:
        return bytes.fromhex(raw) if len(raw) == 64 else raw.encode()
    except ValueError:
        return raw.encode()


def new_key_text() -> str:
    """A fresh random key, as 64 hex digits."""
    return secrets.token_hex(32)


def write_key_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (0600), replacing any file there in one step."""
    private_files.write_atomic(path, (text + "\n").encode())


def load_key(app: Flask | None = None) -> bytes:
    """The integrity key, created in the instance folder on first use if none is set."""
    app = app or current_app
    cached = app.extensions.get(_CACHE)
    if cached is not None:
        return cached
    raw = configured_key(app)
    if raw is None:
        path = key_path(app)
        if not path.exists():
            private_files.ensure_dir(path.parent)
            # Another process may create it first: then theirs is used.
            with contextlib.suppress(FileExistsError):
                private_files.create_exclusive(path, (new_key_text() + "\n").encode())
        raw = path.read_text()
    key = parse_key(raw)
    app.extensions[_CACHE] = key
    return key


def use_key(key: bytes, app: Flask | None = None) -> None:
    """Use ``key`` from now on in this process (a rotation, before the new key is installed)."""
    (app or current_app).extensions[_CACHE] = key


def forget_cached_key(app: Flask | None = None) -> None:
    """Drop the cached key, so that the next use reads the setting or file again."""
    (app or current_app).extensions.pop(_CACHE, None)


def _subkey(purpose: str, key: bytes | None) -> bytes:
    return hmac.new(key if key is not None else load_key(), purpose.encode(), "sha256").digest()


def mac(purpose: str, message: bytes, key: bytes | None = None) -> str:
    """HMAC-SHA256 (hex) of ``message`` under the sub-key for ``purpose``."""
    return hmac.new(_subkey(purpose, key), message, hashlib.sha256).hexdigest()


def same(a: str | None, b: str | None) -> bool:
    """Constant-time equality of two hex MACs (None equals nothing)."""
    if a is None or b is None:
        return False
    return hmac.compare_digest(a.encode(), b.encode())


def key_id(key: bytes | None = None) -> str:
    """A short, public fingerprint of the key: tells which key made a MAC without revealing it."""
    return mac("key-id", b"", key)[:12]


def fernet_key(key: bytes | None = None) -> bytes:
    """The Fernet key (for two-factor secrets) derived from the integrity key."""
    return base64.urlsafe_b64encode(_subkey("fernet-totp", key))
