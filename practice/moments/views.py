"""Cycle moments on the session page: the Moments tab, with add, edit and remove (no JS)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases import scoping
from practice.core.database import db
from practice.core.errors import Refused
from practice.moments import operations as moment_service
from practice.moments import vocabulary
from practice.moments.forms import MomentForm
from practice.moments.models import Moment
from practice.moments.operations import MomentData, MomentError
from practice.sessions.models import TherapySession
from practice.sessions.signed_notes import NoteSigned
from practice.web import access
from practice.web.forms import VoidForm

bp = Blueprint("moments", __name__)


def _data(form: MomentForm) -> MomentData:
    return MomentData(
        moment_type_id=form.moment_type_id.data,
        partner_id=form.partner_id.data,
        minute=form.minute.data,
        intensity=form.intensity.data,
        context=form.context.data or "",
    )


def _refuse(form: MomentForm, error: MomentError) -> int:
    """Undo the attempted change, show the message by its field, and give the status."""
    db.rollback()
    placed = False
    for name, message in error.fields.items():
        field = getattr(form, name, None)
        if field is not None:
            field.errors = [*field.errors, message]
            placed = True
    if not placed:
        form.form_errors.append(str(error))
    return 409 if isinstance(error, NoteSigned) else 200


def _moment_for_editor(member: StaffMember, moment_id: int) -> tuple[Moment, TherapySession]:
    """A standing moment of a session ``member`` edits; 404 out of scope, 403 read-only."""
    moment = db.get(Moment, moment_id)
    if moment is None or moment.voided_at is not None:
        abort(404)
    return moment, scoping.session_for_editor(member, moment.session_id)


@bp.route("/sessions/<int:session_id>/moments", methods=["GET", "POST"])
@access.staff
def session_moments(session_id: int):
    member = access.current_staff()
    load = scoping.session_for_editor if request.method == "POST" else scoping.session_for_viewer
    therapy_session = load(member, session_id)
    form = MomentForm()
    form.set_choices(vocabulary.active_types(), therapy_session.case, None)
    status = 200
    if form.validate_on_submit():
        try:
            moment = moment_service.add_moment(therapy_session, member, _data(form))
        except Refused as error:
            status = _refuse(form, error)
        else:
            db.commit()
            flash(f"Moment added at minute {moment.minute}.", "success")
            return redirect(url_for(".session_moments", session_id=therapy_session.id))
    listed = moment_service.session_moments(therapy_session)
    audit.record("moments_viewed", obj=therapy_session, detail={"count": len(listed)})
    # Rendered before the commit, which would expire what the page shows.
    page = render_template(
        "practice/moments/session_moments.html",
        therapy_session=therapy_session,
        case=therapy_session.case,
        can_edit=scoping.can_edit(member, therapy_session.case),
        moments=listed,
        removed=moment_service.voided_moments(therapy_session),
        balance=moment_service.balance_of(listed),
        form=form,
        together=moment_service.together_label(therapy_session.case.kind),
        valence_labels=vocabulary.VALENCE_LABELS,
    )
    db.commit()
    return page, status


@bp.route("/moments/<int:moment_id>/edit", methods=["GET", "POST"])
@access.staff
def edit(moment_id: int):
    member = access.current_staff()
    moment, therapy_session = _moment_for_editor(member, moment_id)
    form = MomentForm(obj=moment)
    form.set_choices(vocabulary.active_types(), therapy_session.case, moment.moment_type)
    form.submit.label.text = "Save moment"
    status = 200
    if form.validate_on_submit():
        try:
            moment_service.update_moment(moment, _data(form))
        except Refused as error:
            status = _refuse(form, error)
        else:
            db.commit()
            flash(f"Moment at minute {moment.minute} saved.", "success")
            return redirect(url_for(".session_moments", session_id=therapy_session.id))
    audit.record("moment_viewed", obj=moment, case_id=therapy_session.case_id)
    page = render_template(
        "practice/moments/edit.html",
        therapy_session=therapy_session,
        case=therapy_session.case,
        can_edit=True,
        moment=moment,
        form=form,
    )
    db.commit()
    return page, status


@bp.route("/moments/<int:moment_id>/remove", methods=["GET", "POST"])
@access.staff
def remove(moment_id: int):
    member = access.current_staff()
    moment, therapy_session = _moment_for_editor(member, moment_id)
    form = VoidForm()
    if request.method == "POST":
        try:
            moment_service.remove_moment(moment, form.reason.data or "", member)
        except Refused as error:
            db.rollback()
            if "reason" not in error.fields:
                flash(str(error), "error")
                return redirect(url_for(".session_moments", session_id=therapy_session.id))
            form.reason.errors = [str(error)]
        else:
            db.commit()
            flash(f"Moment at minute {moment.minute} removed.", "success")
            return redirect(url_for(".session_moments", session_id=therapy_session.id))
    elif therapy_session.is_signed:
        flash("This note is signed, so its moments can no longer change.", "error")
        return redirect(url_for(".session_moments", session_id=therapy_session.id))
    audit.record("moment_viewed", obj=moment, case_id=therapy_session.case_id)
    page = render_template(
        "practice/moments/remove.html",
        therapy_session=therapy_session,
        case=therapy_session.case,
        can_edit=True,
        moment=moment,
        form=form,
    )
    db.commit()
    return page
