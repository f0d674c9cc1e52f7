"""Scripts: the library, assignments to partners, adoption at each session."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("scripts", __name__)
