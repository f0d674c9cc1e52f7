"""Health and readiness probes for load balancers and orchestrators.

``/healthz`` says the process answers (no database); ``/readyz`` says it can serve: the database
answers and its schema is at the migrations' head. Both are public and say nothing more.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from practice.core import migrate
from practice.core.database import db
from practice.web import access

bp = Blueprint("health", __name__)


@bp.route("/healthz")
@access.public
def alive():
    return Response("ok", mimetype="text/plain")


@bp.route("/readyz")
@access.public
def ready():
    """200 when the database answers at the migrations' head; 503 (the request keeps nothing)
    otherwise."""
    try:
        db.execute(text("SELECT 1"))
        at_head = migrate.is_at_head()
    except SQLAlchemyError:
        # The reason goes to our log (type only), never to the unauthenticated caller.
        current_app.logger.warning("readiness check: database unreachable", exc_info=True)
        return _not_ready("database unavailable")
    if not at_head:
        return _not_ready("database schema not up to date")
    return jsonify(status="ready")


def _not_ready(reason: str):
    return jsonify(status="not ready", reason=reason), 503
