"""The counsellor's home: their caseload."""

from __future__ import annotations

from flask import Blueprint, render_template

from practice import access
from practice.services.caseload import own_caseload

bp = Blueprint("cases", __name__)


@bp.route("/")
@access.staff
def home():
    member = access.current_staff()
    return render_template("practice/home.html", cases=own_caseload(member))
