"""Administrators edit the moment vocabulary: add, edit, retire and bring back types.

Each view validates its form, calls ``vocabulary`` and answers; the request commits. A refusal
is shown on the form that asked for it, or flashed where there is no form.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from practice.accounts.models import Role
from practice.core.database import db
from practice.core.i18n import _
from practice.moments import vocabulary
from practice.moments.forms import MomentTypeForm
from practice.moments.models import MomentType
from practice.moments.vocabulary import MomentTypeData
from practice.web import access
from practice.web.forms import ConfirmForm
from practice.web.refusals import refusal_flashed, refusal_shown_on

bp = Blueprint("vocabulary", __name__, url_prefix="/admin/moment-types")


def _data(form: MomentTypeForm) -> MomentTypeData:
    return MomentTypeData(
        label=form.label.data or "",
        description=form.description.data or "",
        valence=form.valence.data,
        colour=form.colour.data or "",
        shortcut=form.shortcut.data or None,
    )


def _render_form(form: MomentTypeForm, moment_type: MomentType | None):
    return render_template(
        "practice/vocabulary/form.html",
        form=form,
        moment_type=moment_type,
        undo_key=vocabulary.UNDO_KEY,
    )


@bp.route("")
@access.roles(Role.ADMIN)
def index():
    return render_template(
        "practice/vocabulary/index.html",
        groups=vocabulary.group_by_valence(vocabulary.all_types()),
        confirm=ConfirmForm(),
    )


@bp.route("/new", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def new():
    form = MomentTypeForm()
    if form.validate_on_submit():
        with refusal_shown_on(form):
            moment_type = vocabulary.create_type(_data(form))
            flash(_("“%(label)s” was added.", label=moment_type.label), "success")
            return redirect(url_for(".index"))
    return _render_form(form, None)


@bp.route("/<int:type_id>/edit", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def edit(type_id: int):
    moment_type = db.get(MomentType, type_id) or abort(404)
    form = MomentTypeForm(obj=moment_type)
    if form.validate_on_submit():
        with refusal_shown_on(form):
            vocabulary.update_type(moment_type, _data(form))
            flash(_("“%(label)s” was saved.", label=moment_type.label), "success")
            return redirect(url_for(".index"))
    return _render_form(form, moment_type)


@bp.route("/<int:type_id>/retire", methods=["POST"])
@access.roles(Role.ADMIN)
def retire(type_id: int):
    moment_type = db.get(MomentType, type_id) or abort(404)
    with refusal_flashed():
        vocabulary.set_active(moment_type, not moment_type.active)
        state = "brought back" if moment_type.active else "retired; its moments are kept"
        flash(_("“%(label)s” was %(state)s.", label=moment_type.label, state=state), "success")
    return redirect(url_for(".index"))
