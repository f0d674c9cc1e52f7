"""Standard measures (CSI-4) per partner per session."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("measures", __name__)
