"""Sessions: the DAP note, autosave, signing and addenda."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("sessions", __name__)
