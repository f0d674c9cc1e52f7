"""The signed-in session's clock: idle timeout and absolute lifetime, enforced on the server.

The cookie session carries when the sign-in happened and when the user was last seen; both
are signed with the app's secret, so a client cannot move them. A cookie captured earlier and
replayed later carries its old times and is refused like any other expired session.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from flask import current_app, flash, g, jsonify, redirect, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from practice.accounts.queries import account_of
from practice.core.i18n import _
from practice.core.settings import state
from practice.web.access import bearer_token, load_current_staff, policy_of
from practice.web.urls import safe_next_url

AUTH_AT = "practice_auth_at"
SEEN_AT = "practice_seen_at"
# Host mode: whose sign-in the times belong to, so another user's sign-in restarts them.
OWNER = "practice_session_owner"
PENDING = "practice_pending_login"
# Host mode: the tracker's part of the session expired; the user must confirm their password
# (or sign in to the host again) before the tracker serves them again.
REENTRY = "practice_reentry"
RESUME_ENDPOINT = "practice.accounts.resume"
EXPIRED_MESSAGE = "Your session expired. Please sign in again."
HOST_EXPIRED_MESSAGE = "Your session in the case tracker expired. Confirm your password to go on."
# Host requests move the idle clock on at most this often (each one rewrites the cookie).
HOST_ACTIVITY_STEP_SECONDS = 60
# Where a user who must enrol in two-factor sign-in may still go.
_ENROLMENT_ENDPOINTS = frozenset(
    {"practice.security.enrol", "practice.accounts.logout", "practice.static"}
)


def _now() -> int:
    return int(time.time())


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def renew_csrf_secret() -> None:
    """Forget the session's CSRF secret (Flask-WTF keeps it in the session and caches it for
    the request), so that the next form gets a new one: a token seen before a sign-in or
    sign-out (on a shared computer, in a page left open) is worth nothing after it."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    session.pop(field, None)
    g.pop(field, None)


def begin_session(account: Any) -> None:
    """Sign ``account`` in (never with a remember-me cookie) and start the session's clock,
    with a new CSRF secret."""
    session.pop(PENDING, None)
    renew_csrf_secret()
    login_user(account, remember=False)
    now = _now()
    session[AUTH_AT] = now
    session[SEEN_AT] = now
    session[OWNER] = account.get_id()


def renew_session(account: Any) -> None:
    """Re-issue the session for ``account``'s new session version, keeping its clock (with a
    new CSRF secret)."""
    renew_csrf_secret()
    login_user(account, remember=False)
    session[OWNER] = account.get_id()


def store_pending_login(account: Any, next_url: str | None) -> None:
    """Remember, for a short while, that ``account`` passed the password step."""
    session[PENDING] = {
        "account": account.id,
        "version": account.session_version,
        "at": _now(),
        "next": next_url,
    }


def pending_login() -> dict | None:
    """The password step awaiting its second factor, unless it has gone stale."""
    pending = session.get(PENDING)
    if not isinstance(pending, dict):
        return None
    if _now() - int(pending.get("at", 0)) > current_app.config["PRACTICE_LOGIN_PENDING_SECONDS"]:
        session.pop(PENDING, None)
        return None
    return pending


def clear_pending_login() -> None:
    session.pop(PENDING, None)


def pending_next_url(pending: dict) -> str | None:
    return safe_next_url(pending.get("next"))


def expired(now: int | None = None) -> bool:
    """Whether the signed-in session has been idle too long or has lived too long."""
    now = _now() if now is None else now
    auth_at, seen_at = session.get(AUTH_AT), session.get(SEEN_AT)
    if not isinstance(auth_at, int) or not isinstance(seen_at, int):
        return True
    config = current_app.config
    idle = now - seen_at > _seconds(config["PRACTICE_IDLE_TIMEOUT"])
    too_old = now - auth_at > _seconds(config["PRACTICE_SESSION_LIFETIME"])
    return idle or too_old


def enforce_session_limits() -> Response | None:
    """Blueprint ``before_request`` hook: end expired sessions, keep live ones ticking.

    API token requests carry no session and are left to the token check, except that the
    token of a member who must enrol in two-factor sign-in is refused until they do. In a
    host app the clock starts at the first request to the tracker after the host's sign-in.
    """
    if request.endpoint == "practice.static":
        return None
    if bearer_token() is not None:
        return _require_token_enrolment()
    if not current_user.is_authenticated:
        return None
    now = _now()
    if not state(current_app).manages_accounts:
        if session.get(OWNER) != current_user.get_id():
            start_clock(now)
        elif session.get(REENTRY):
            if request.endpoint == RESUME_ENDPOINT or _public_endpoint():
                return None
            return _ask_for_reentry()
    if expired(now):
        return _end_expired_session()
    session[SEEN_AT] = now
    return _require_enrolment()


def start_clock(now: int | None = None) -> None:
    """Host mode: start the tracker's clock for the host's signed-in user (their first tracker
    request, or their password confirmed after the tracker's part expired)."""
    now = _now() if now is None else now
    session.pop(REENTRY, None)
    session[AUTH_AT] = session[SEEN_AT] = now
    session[OWNER] = current_user.get_id()


def needs_reentry() -> bool:
    """Whether the tracker's part of this host session expired and awaits the password."""
    return bool(session.get(REENTRY))


def forget_clock(*_args: Any, **_kwargs: Any) -> None:
    """Host mode: drop the tracker's clock, so the next tracker request starts a new one.

    Connected to Flask-Login's signals: a fresh sign-in to the host (or a sign-out) is a new
    session for the tracker too.
    """
    for key in (AUTH_AT, SEEN_AT, OWNER, PENDING, REENTRY):
        session.pop(key, None)


def note_host_activity() -> None:
    """App ``before_request`` hook in host mode: the host's requests keep the tracker's idle
    clock ticking (never a clock that has already run out, nor the absolute lifetime)."""
    seen_at = session.get(SEEN_AT)
    if not isinstance(seen_at, int) or (request.blueprint or "").startswith("practice"):
        return
    now = _now()
    if now - seen_at < HOST_ACTIVITY_STEP_SECONDS or session.get(REENTRY):
        return
    if not current_user.is_authenticated or session.get(OWNER) != current_user.get_id():
        return
    if not expired(now):
        session[SEEN_AT] = now


def _end_expired_session() -> Response:
    if not state(current_app).manages_accounts:
        # A guest does not sign the host's user out: only the tracker's part ends.
        for key in (AUTH_AT, SEEN_AT, PENDING):
            session.pop(key, None)
        session[REENTRY] = True
        return _ask_for_reentry()
    logout_user()
    renew_csrf_secret()
    for key in (AUTH_AT, SEEN_AT, OWNER, PENDING):
        session.pop(key, None)
    if _wants_json():
        return _expired_json(EXPIRED_MESSAGE)
    flash(EXPIRED_MESSAGE, "info")
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for("practice.accounts.login", next=safe_next_url(target)))


def _ask_for_reentry() -> Response:
    if _wants_json():
        return _expired_json(HOST_EXPIRED_MESSAGE)
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(url_for(RESUME_ENDPOINT, next=safe_next_url(target)))


def _expired_json(message: str) -> Response:
    response = jsonify({"error": {"code": "session_expired", "message": message, "fields": {}}})
    response.status_code = 401
    return response


def _wants_json() -> bool:
    if request.is_json or (request.blueprint or "").endswith(".api"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json"


def _enrolment_required() -> bool:
    """Whether signed-in users must have two-factor sign-in (standalone accounts only)."""
    return current_app.config["PRACTICE_TOTP_REQUIRED"] and state(current_app).manages_accounts


def _public_endpoint() -> bool:
    policy = policy_of(request.endpoint)
    return policy is not None and policy.public


def _two_factor_required() -> Response:
    response = jsonify(
        {
            "error": {
                "code": "two_factor_required",
                "message": "Set up two-factor sign-in first.",
                "fields": {},
            }
        }
    )
    response.status_code = 403
    return response


def _require_token_enrolment() -> Response | None:
    """With ``PRACTICE_TOTP_REQUIRED``, a token speaks for a member who has enrolled.

    Otherwise a token made before the requirement (or after an administrator's reset) would
    keep the full access the member's own sign-in no longer has. Always answered as the
    API answers: a script cannot follow a redirect to the enrolment page.
    """
    if not _enrolment_required() or _public_endpoint():
        return None
    member = load_current_staff()
    if member is None:
        return None  # an unknown or revoked token: the policy check answers 401
    account = account_of(member)
    if account is None or account.totp_secret:
        return None
    return _two_factor_required()


def _require_enrolment() -> Response | None:
    """With ``PRACTICE_TOTP_REQUIRED``, a user without two-factor may only go and enrol."""
    if not _enrolment_required() or getattr(current_user, "totp_secret", None):
        return None
    if request.endpoint in _ENROLMENT_ENDPOINTS or _public_endpoint():
        return None
    if _wants_json():
        return _two_factor_required()
    flash(_("This practice requires two-factor sign-in. Set it up to continue."), "info")
    return redirect(url_for("practice.security.enrol"))
