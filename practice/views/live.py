"""The live-session mode: one screen to tag cycle moments while the session runs."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("live", __name__)
