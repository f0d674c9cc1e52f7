"""A case's goals and every rating of them, for the case's export (``practice.cases.export``):
plain values, all of them, retired goals included. Two queries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from practice.cases.models import Case
from practice.goals.queries import case_goals


def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def goals_record(case: Case) -> list[dict[str, Any]]:
    """Each goal of ``case`` with its ratings, oldest first."""
    return [
        {
            "id": view.goal.id,
            "title": view.goal.title,
            "description": view.goal.description,
            "owner_id": view.goal.owner_id,
            "opened_on": _iso(view.goal.opened_on),
            "status": view.goal.status,
            "status_on": _iso(view.goal.status_on),
            "created_by_id": view.goal.created_by_id,
            "created_at": _iso(view.goal.created_at),
            "updated_at": _iso(view.goal.updated_at),
            "ratings": [
                {
                    "id": r.id,
                    "partner_id": r.partner_id,
                    "rating": r.rating,
                    "source": r.source,
                    "session_id": r.session_id,
                    "checkin_id": r.checkin_id,
                    "rated_at": _iso(r.rated_at),
                    "recorded_by_id": r.recorded_by_id,
                    "recorded_at": _iso(r.recorded_at),
                    "updated_at": _iso(r.updated_at),
                }
                for r in sorted(
                    (r for course in view.courses for r in course.ratings),
                    key=lambda r: (r.rated_at, r.id),
                )
            ],
        }
        for view in sorted(case_goals(case), key=lambda v: (v.goal.opened_on, v.goal.id))
    ]
