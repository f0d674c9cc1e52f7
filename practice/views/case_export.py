"""A case's full export (JSON and its reports, zipped) for the counsellor or an administrator."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("case_export", __name__)
