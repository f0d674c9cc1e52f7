"""Standalone deployment settings, read from the environment.

The ``practice`` package never imports this module; ``wsgi.py`` hands it to the factory.
"""

from __future__ import annotations

import os
from datetime import timedelta


def database_url(raw: str | None) -> str | None:
    """Normalise DATABASE_URL so PostgreSQL always goes through psycopg 3."""
    if not raw:
        return None
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


class Config:
    SECRET_KEY = os.environ.get("SECRET_KEY")
    PRACTICE_NAME = os.environ.get("PRACTICE_NAME", "Couples Cycle Practice")
    PRACTICE_PAGE_SIZE = os.environ.get("PRACTICE_PAGE_SIZE", "A4")
    # The practice's IANA time zone; unset: the server's. PRACTICE_TIME_ZONE is the old name.
    PRACTICE_TIMEZONE = (
        os.environ.get("PRACTICE_TIMEZONE") or os.environ.get("PRACTICE_TIME_ZONE") or None
    )
    PRACTICE_LOCALE = os.environ.get("PRACTICE_LOCALE") or "en_GB"
    PRACTICE_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("PRACTICE_IDLE_MINUTES", 30)))
    PRACTICE_SESSION_LIFETIME = timedelta(hours=float(os.environ.get("PRACTICE_SESSION_HOURS", 12)))
    # Every account must set up two-factor sign-in (an authenticator app) before working.
    PRACTICE_TOTP_REQUIRED = os.environ.get("PRACTICE_TOTP_REQUIRED", "") == "1"
    # How long an administrator's break-glass opening of one case's record lasts.
    PRACTICE_BREAK_GLASS_MINUTES = int(os.environ.get("PRACTICE_BREAK_GLASS_MINUTES", 60))
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "") == "1"
    # The report queue runs on this Redis when set; on a SQLite file in the instance folder
    # otherwise.
    PRACTICE_REDIS_URL = os.environ.get("REDIS_URL") or None
    PRACTICE_REPORT_QUEUE_NAME = os.environ.get("PRACTICE_REPORT_QUEUE_NAME", "practice-reports")
    # 1: this web process runs queued report jobs in a background thread; 0: only
    # `flask practice worker` does. Unset: a thread when REDIS_URL is not set.
    PRACTICE_REPORT_WORKER_THREAD = (
        None
        if os.environ.get("PRACTICE_REPORT_WORKER_THREAD", "") == ""
        else os.environ["PRACTICE_REPORT_WORKER_THREAD"] == "1"
    )
    # 0: do not prepare a case's default report on the queue when a note is signed or amended
    # (asking for it still prepares it). Default: prepared.
    PRACTICE_PRERENDER_REPORTS = os.environ.get("PRACTICE_PRERENDER_REPORTS", "") != "0"
    # One JSON object per log line (for a log collector) instead of plain text.
    PRACTICE_LOG_JSON = os.environ.get("PRACTICE_LOG_JSON", "") == "1"
    # The host names this tracker answers to, comma-separated ("tracker.example.org"; a
    # leading dot admits subdomains): a request with any other Host header is refused (400),
    # so no page or redirect is ever built from a forged one. Unset: any host.
    PRACTICE_TRUSTED_HOSTS = os.environ.get("PRACTICE_TRUSTED_HOSTS") or None
    # The file `practice audit verify` remembers the newest verified event in.
    PRACTICE_AUDIT_ANCHOR = os.environ.get("PRACTICE_AUDIT_ANCHOR") or None
    # The integrity key (64 hex digits): seals signed notes, chains the audit log, encrypts
    # two-factor secrets. Unset: instance/integrity.key, created on first use.
    PRACTICE_INTEGRITY_KEY = os.environ.get("PRACTICE_INTEGRITY_KEY") or None
    # A cancellation is late when its notice comes less than this many hours before the start.
    PRACTICE_LATE_CANCELLATION_HOURS = float(os.environ.get("PRACTICE_LATE_CANCELLATION_HOURS", 24))
    # Partners' check-in links: days valid, the address partners reach, and outgoing mail
    # (links are e-mailed only with a host and a sender set).
    PRACTICE_CHECKIN_LINK_DAYS = int(os.environ.get("PRACTICE_CHECKIN_LINK_DAYS") or 7)
    PRACTICE_PUBLIC_BASE_URL = os.environ.get("PRACTICE_PUBLIC_BASE_URL") or None
    PRACTICE_SMTP_HOST = os.environ.get("PRACTICE_SMTP_HOST") or None
    PRACTICE_SMTP_PORT = int(os.environ.get("PRACTICE_SMTP_PORT") or 587)
    PRACTICE_SMTP_USERNAME = os.environ.get("PRACTICE_SMTP_USERNAME") or None
    PRACTICE_SMTP_PASSWORD = os.environ.get("PRACTICE_SMTP_PASSWORD") or None
    PRACTICE_SMTP_STARTTLS = os.environ.get("PRACTICE_SMTP_STARTTLS", "1") != "0"
    PRACTICE_SMTP_FROM = os.environ.get("PRACTICE_SMTP_FROM") or None

    def __init__(self) -> None:
        url = database_url(os.environ.get("DATABASE_URL"))
        if url:
            self.SQLALCHEMY_DATABASE_URI = url


class ProductionConfig(Config):
    PRACTICE_REQUIRE_SECRET_KEY = True
    # Production is served over HTTPS (behind a proxy): Secure cookies, https URLs.
    SESSION_COOKIE_SECURE = os.environ.get("SESSION_COOKIE_SECURE", "1") == "1"
    PREFERRED_URL_SCHEME = os.environ.get(
        "PREFERRED_URL_SCHEME", "https" if SESSION_COOKIE_SECURE else "http"
    )


# Clinical thresholds a practice may set (the tracker checks them when it starts).
# PRACTICE_MEASURES_FILE: the practice's own measure definitions (practice.measures.configured);
# PRACTICE_SPLIT_ALLIANCE_GAP: the gap between partners' alliance scores that splits it.
CLINICAL_PREFIXES = (
    "PRACTICE_FLAG_",
    "PRACTICE_CSI4_",
    "PRACTICE_BREAK_",
    "PRACTICE_GOAL_",
    "PRACTICE_EFT_",
    "PRACTICE_MEASURES_",
    "PRACTICE_SPLIT_ALLIANCE_",
)


def config_from_env() -> Config:
    """ProductionConfig when PRACTICE_ENV=production, else the development defaults, with any
    clinical threshold (``PRACTICE_FLAG_*``, ``PRACTICE_CSI4_*``, ``PRACTICE_BREAK_*``,
    ``PRACTICE_GOAL_*``) set in
    the environment."""
    config = ProductionConfig() if os.environ.get("PRACTICE_ENV") == "production" else Config()
    for key, value in os.environ.items():
        if key.startswith(CLINICAL_PREFIXES):
            setattr(config, key, value)
    return config
