"""Who may reach which route: every view declares a policy, and no policy means no access.

Object-level scoping lives in ``practice.services.scoping``: queries return only what the
current staff member may see, so a missing check yields a 404, not a leak.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import abort, current_app, g, request
from flask_login import current_user
from sqlalchemy import select

from practice.database import db_session
from practice.models import Role, StaffMember

F = TypeVar("F", bound=Callable)


@dataclass(frozen=True)
class Policy:
    """Whether a route needs a signed-in staff member, and which roles it admits."""

    public: bool = False
    roles: frozenset[str] = frozenset()


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


def load_current_staff() -> StaffMember | None:
    """The active staff record of the signed-in user, cached for the request."""
    if "practice_staff" not in g:
        user_id = host_user_id()
        member = None
        if user_id is not None:
            member = db_session().scalar(
                select(StaffMember).where(
                    StaffMember.user_id == user_id, StaffMember.active.is_(True)
                )
            )
        g.practice_staff = member
    return g.practice_staff


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
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    member = load_current_staff()
    if member is None:
        abort(403)
    if policy.roles and member.role not in policy.roles:
        abort(403)
    return None
