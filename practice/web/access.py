"""Who may reach which route: every view declares a policy, and no policy means no access.

Object-level scoping lives in ``practice.cases.scoping``: queries return only what the
current staff member may see, so a missing check yields a 404, not a leak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

from flask import abort, current_app, g, has_request_context, request
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import Forbidden

from practice.accounts.models import Role, StaffMember
from practice.accounts.tokens import staff_for_token
from practice.core.database import MAX_ID, db

F = TypeVar("F", bound=Callable)

# What a read-only API token may send: methods that change nothing.
READ_ONLY_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class ReadOnlyTokenRefused(Forbidden):
    """A read-only API token sent a request that may change something (403)."""

    description = (
        "This API token is read-only: it may only read (GET). Use a token with write scope."
    )


class Sensitivity(StrEnum):
    """How sensitive the case data a route shows is, and so who of those who may see the case
    may read it (``practice.cases.scoping.case_for_viewer``).

    ``CASE``: everyone in the case's scope (its counsellor, their supervisor, administrators).
    ``SAFETY``: the case's counsellor and their supervisor only (safety screens); anyone else
    in scope, administrators included, is answered 403.
    """

    CASE = "case"
    SAFETY = "safety"


@dataclass(frozen=True)
class Policy:
    """Whether a route needs a signed-in staff member, which roles it admits, and how
    sensitive the case data it shows is."""

    public: bool = False
    roles: frozenset[str] = frozenset()
    sensitivity: Sensitivity = Sensitivity.CASE


def _declare(policy: Policy) -> Callable[[F], F]:
    def decorator(view: F) -> F:
        view.practice_policy = policy
        return view

    return decorator


def public(view: F) -> F:
    """Open to anyone, signed in or not (the login page, static files)."""
    return _declare(Policy(public=True))(view)


def staff(view: F) -> F:
    """Any active staff member; what they see is narrowed by query scoping."""
    return _declare(Policy())(view)


def roles(*allowed: Role) -> Callable[[F], F]:
    """Only active staff members holding one of ``allowed``."""
    return _declare(Policy(roles=frozenset(allowed)))


def sensitive(level: Sensitivity) -> Callable[[F], F]:
    """Any active staff member, reading case data of ``level``: the view loads its case with
    ``case_for_viewer(member, case_id, level)``, which admits only that level's readers."""
    return _declare(Policy(sensitivity=level))


def may_read(member: StaffMember, counsellor: StaffMember, level: Sensitivity) -> bool:
    """Whether ``member``, who may see a case of ``counsellor``, may read its data of ``level``.

    Safety data: the case's own counsellor and the counsellor's supervisor, whatever their role.
    """
    if level == Sensitivity.CASE:
        return True
    return member.id == counsellor.id or (
        counsellor.supervisor_id is not None and member.id == counsellor.supervisor_id
    )


def policy_of(endpoint: str | None) -> Policy | None:
    """The policy the view behind ``endpoint`` declares, if any."""
    if endpoint is None:
        return None
    if endpoint == "practice.static":
        return Policy(public=True)
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "practice_policy", None)


def host_user_id() -> str | None:
    """The signed-in host user's id as the tracker keys it, or None."""
    if not current_user.is_authenticated:
        return None
    attribute = current_app.config["PRACTICE_USER_ID_ATTRIBUTE"]
    return str(getattr(current_user, attribute))


def bearer_token() -> str | None:
    """The token of an ``Authorization: Bearer`` header, if the request carries one."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def load_current_staff() -> StaffMember | None:
    """The active staff member behind the request's API token or signed-in user, cached.

    A request with a bearer token is judged by the token alone, never by a cookie, so a
    script cannot ride on a browser session (and needs no CSRF token); the token's use is
    noted (``last_used_at``), kept when the request commits.
    """
    if "practice_staff" not in g:
        token = bearer_token() if has_request_context() else None
        user_id = host_user_id()
        member = None
        if token is not None:
            found = staff_for_token(token)
            g.practice_api_token = found[1] if found else None
            member = found[0] if found else None
        elif user_id is not None:
            member = db.scalar(
                select(StaffMember).where(
                    StaffMember.user_id == user_id, StaffMember.active.is_(True)
                )
            )
        g.practice_staff = member
    return g.practice_staff


def authenticated_by_token() -> bool:
    """Whether this request was authenticated with an API token rather than a session."""
    return g.get("practice_api_token") is not None


def current_staff() -> StaffMember:
    """The signed-in staff member; only call from views behind a non-public policy."""
    member = load_current_staff()
    if member is None:
        abort(403)
    return member


def enforce_policy():
    """Blueprint ``before_request`` hook: deny unless the endpoint's policy admits the user."""
    policy = policy_of(request.endpoint)
    if policy is None:
        abort(404 if request.endpoint is None else 403)
    if policy.public:
        return None
    if bearer_token() is not None:
        if load_current_staff() is None:
            abort(401)
    elif not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    member = load_current_staff()
    if member is None:
        abort(403)
    token = g.get("practice_api_token")
    if token is not None and token.read_only and request.method not in READ_ONLY_METHODS:
        raise ReadOnlyTokenRefused()
    if policy.roles and member.role not in policy.roles:
        abort(403)
    return None


def ids_in_range() -> None:
    """Blueprint ``before_request`` hook, after the policy: a record id in the URL outside
    1..MAX_ID names nothing, and is never sent to the database (PostgreSQL refuses a number past
    its ``integer``, SQLite one past 64 bits): 404, audited like any other refused URL.

    One place for every route of the tracker, pages and API alike; a URL converter that refused
    such a number would leave the URL unrouted, and so unaudited (and the API's catch-all would
    answer it).
    """
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not isinstance(value, bool) and not 1 <= value <= MAX_ID:
            abort(404)
