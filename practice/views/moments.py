"""Cycle moments: tagging on the session page and the live-session mode."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("moments", __name__)
