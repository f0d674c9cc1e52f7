"""Co-signature of supervisees' signed notes, and supervision comments."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("review", __name__)
