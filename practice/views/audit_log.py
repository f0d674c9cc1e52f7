"""Administrators search, filter and export the audit trail."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("audit_log", __name__)
