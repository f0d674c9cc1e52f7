"""Administrators edit the moment vocabulary."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("vocabulary", __name__)
