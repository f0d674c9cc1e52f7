"""Administrators edit the moment vocabulary: add, edit, retire and bring back types."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from practice.accounts.models import Role
from practice.core.database import db
from practice.moments import vocabulary
from practice.moments.forms import MomentTypeForm
from practice.moments.models import MomentType
from practice.moments.vocabulary import MomentTypeData, VocabularyError
from practice.web import access
from practice.web.forms import ConfirmForm

bp = Blueprint("vocabulary", __name__, url_prefix="/admin/moment-types")


def _data(form: MomentTypeForm) -> MomentTypeData:
    return MomentTypeData(
        label=form.label.data or "",
        description=form.description.data or "",
        valence=form.valence.data,
        colour=form.colour.data or "",
        shortcut=form.shortcut.data or None,
    )


def _refuse(form: MomentTypeForm, error: VocabularyError) -> None:
    db.rollback()
    placed = False
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
            placed = True
    if not placed:
        form.form_errors.append(str(error))


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
        try:
            moment_type = vocabulary.create_type(_data(form))
        except VocabularyError as error:
            _refuse(form, error)
        else:
            db.commit()
            flash(f"“{moment_type.label}” was added.", "success")
            return redirect(url_for(".index"))
    return _render_form(form, None)


@bp.route("/<int:type_id>/edit", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def edit(type_id: int):
    moment_type = db.get(MomentType, type_id) or abort(404)
    form = MomentTypeForm(obj=moment_type)
    if form.validate_on_submit():
        try:
            vocabulary.update_type(moment_type, _data(form))
        except VocabularyError as error:
            _refuse(form, error)
        else:
            db.commit()
            flash(f"“{moment_type.label}” was saved.", "success")
            return redirect(url_for(".index"))
    return _render_form(form, moment_type)


@bp.route("/<int:type_id>/retire", methods=["POST"])
@access.roles(Role.ADMIN)
def retire(type_id: int):
    moment_type = db.get(MomentType, type_id) or abort(404)
    try:
        vocabulary.set_active(moment_type, not moment_type.active)
    except VocabularyError as error:
        db.rollback()
        flash(f"“{moment_type.label}” was not brought back: {error}", "error")
    else:
        db.commit()
        state = "brought back" if moment_type.active else "retired; its moments are kept"
        flash(f"“{moment_type.label}” was {state}.", "success")
    return redirect(url_for(".index"))
