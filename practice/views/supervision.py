"""Supervisors' caseload dashboard, flags and exports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("supervision", __name__)
