"""The tracker's settings and per-app state: the bottom of the package, importing nothing of it.

Every ``PRACTICE_*`` key and its default lives here, except the clinical thresholds, whose
defaults live beside their rules: the supervisor flags' ``PRACTICE_FLAG_*``
(``practice.supervision.flags.Thresholds``), ``PRACTICE_CSI4_RELIABLE_CHANGE``
(``practice.measures.settings``), the break rules' ``PRACTICE_BREAK_*``
(``practice.breaks.rules.BreakThresholds``), the change-event proposals' ``PRACTICE_EFT_*``
(``practice.eft.proposals.EventThresholds``) and ``PRACTICE_SAFETY_SCREEN_DAYS`` (the days a
safety screen covers joint work, default 90: ``practice.safety.screening``);
``Practice.init_app`` sets the defaults the host left unset, and keeps the state in
``app.extensions["practice"]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask

DEFAULTS: dict[str, Any] = {
    "PRACTICE_NAME": "Couples Cycle Practice",
    "PRACTICE_BASE_TEMPLATE": "practice/base.html",
    # Sources a host's layout needs beyond the tracker's CSP ('self'), by directive:
    # {"style-src": ["https://fonts.example"], "font-src": "https://fonts.example"}.
    "PRACTICE_CSP_EXTRA": {},
    "PRACTICE_USER_ID_ATTRIBUTE": "id",
    "PRACTICE_PAGE_SIZE": "A4",
    # The practice's time zone (an IANA name; None: the server's zone). Pages, forms, exports
    # and reports show and take times in it, unless a member chose their own zone. The old
    # name PRACTICE_TIME_ZONE is still read when this one is unset (deprecated).
    # practice.core.local_time settles and checks it when the tracker starts.
    "PRACTICE_TIMEZONE": None,
    # How dates and times are written and which translation is used (a member may choose
    # their own).
    "PRACTICE_LOCALE": "en_GB",
    "PRACTICE_REPORT_DIR": None,  # default: <instance>/reports
    # The report queue (practice.reporting.queue): Redis when set, else a SQLite file.
    "PRACTICE_REDIS_URL": None,
    "PRACTICE_REPORT_QUEUE_FILE": None,  # default: <instance>/report-queue.db
    # The queue's name: its keys on Redis (two practices may share one Redis).
    "PRACTICE_REPORT_QUEUE_NAME": "practice-reports",
    # Whether a web process runs queued report jobs in a background thread; None: when no
    # Redis is configured (so that `make run` needs no worker process).
    "PRACTICE_REPORT_WORKER_THREAD": None,
    # Run each report job where and when it is asked for (tests, no background work at all).
    "PRACTICE_REPORT_QUEUE_IMMEDIATE": False,
    # Per staff member: report jobs waiting or running at once (one batch among them at most),
    # so that one account cannot fill the queue and starve everyone else's reports.
    "PRACTICE_REPORT_JOBS_PER_USER": 10,
    # Prepare a case's default report on the queue when what it shows changes (a note signed,
    # an addendum, a moment tagged on a signed session): practice.reporting.prerender.
    "PRACTICE_PRERENDER_REPORTS": True,
    # A change to a draft (a moment tagged live, answers autosaved) prepares it this much later,
    # so that a burst of changes shares one render.
    "PRACTICE_PRERENDER_DELAY_SECONDS": 30,
    "PRACTICE_MAX_NOTE_LENGTH": 20_000,
    "PRACTICE_LOGIN_MAX_FAILURES": 5,
    "PRACTICE_LOGIN_LOCK_SECONDS": 15 * 60,
    "PRACTICE_IDLE_TIMEOUT": timedelta(minutes=30),
    "PRACTICE_SESSION_LIFETIME": timedelta(hours=12),
    # Per remote address: this many failed passwords or codes within the window refuse
    # further sign-ins from it for the block time (never for good).
    "PRACTICE_LOGIN_ADDRESS_MAX_FAILURES": 20,
    "PRACTICE_LOGIN_ADDRESS_WINDOW_SECONDS": 15 * 60,
    "PRACTICE_LOGIN_ADDRESS_BLOCK_SECONDS": 15 * 60,
    # How long the password step waits for its two-factor code.
    "PRACTICE_LOGIN_PENDING_SECONDS": 5 * 60,
    # Every standalone account must enrol in two-factor sign-in before using the tracker.
    "PRACTICE_TOTP_REQUIRED": False,
    "PRACTICE_SQLITE_BUSY_TIMEOUT_MS": 5000,
    # WAL, foreign keys, the busy timeout and BEGIN IMMEDIATE on SQLite connections. None: on
    # the standalone app's engine only; a host app that wants them on its engine sets True.
    "PRACTICE_SQLITE_PRAGMAS": None,
    # Closed cases are purged this many years after closing (flask practice purge-expired).
    "PRACTICE_RETENTION_YEARS": 7,
    # How long an administrator's break-glass opening of one case's record lasts, in minutes.
    "PRACTICE_BREAK_GLASS_MINUTES": 60,
    # Where `practice audit verify` remembers the newest verified audit event (a path; None:
    # the instance folder). Best kept where the database's users cannot write.
    "PRACTICE_AUDIT_ANCHOR": None,
    # The key that seals signed notes, chains the audit log and encrypts two-factor secrets
    # (practice.core.integrity): 64 hex digits, never stored in the database. None: the
    # environment variable of the same name, else <instance>/integrity.key, made on first use.
    "PRACTICE_INTEGRITY_KEY": None,
    # Partners' check-in links (practice.checkins): how many days a link stays valid, and the
    # address where partners reach the tracker, for links made outside a request (the CLI);
    # None: the request's own address, else http://localhost:5000.
    "PRACTICE_CHECKIN_LINK_DAYS": 7,
    "PRACTICE_PUBLIC_BASE_URL": None,
    # The public check-in page's rate limits: requests per client address and per link within
    # the window; past them, refused (429) for the block time.
    "PRACTICE_CHECKIN_ADDRESS_MAX_REQUESTS": 30,
    "PRACTICE_CHECKIN_TOKEN_MAX_REQUESTS": 10,
    "PRACTICE_CHECKIN_WINDOW_SECONDS": 10 * 60,
    "PRACTICE_CHECKIN_BLOCK_SECONDS": 10 * 60,
    # Outgoing mail, for check-in links only; None: links are handed over, never e-mailed.
    "PRACTICE_SMTP_HOST": None,
    "PRACTICE_SMTP_PORT": 587,
    "PRACTICE_SMTP_USERNAME": None,
    "PRACTICE_SMTP_PASSWORD": None,
    "PRACTICE_SMTP_STARTTLS": True,
    "PRACTICE_SMTP_FROM": None,
}


class HostSetupError(RuntimeError):
    """The host application lacks something the tracker needs."""


@dataclass
class PracticeState:
    """What the tracker keeps per application, in ``app.extensions["practice"]``."""

    url_prefix: str
    # True when the tracker manages its own login accounts (the standalone app).
    manages_accounts: bool
    # In a host app: ``reauthenticate(user, password) -> bool`` checks the host user's
    # password before signing, co-signing and exports.
    reauthenticate: Callable[[Any, str], bool] | None = None


def state(app: Flask) -> PracticeState:
    """The tracker's per-app state."""
    return app.extensions["practice"]
