"""Health and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("health", __name__)
