"""Case page: timeline and charts."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("case_page", __name__)
