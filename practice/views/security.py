"""Account security for the standalone app: the login's second step, password and two-factor."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("security", __name__)
