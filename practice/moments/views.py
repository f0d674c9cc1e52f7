"""Cycle moments on the session page: the Moments tab, with add, edit and remove (no JS).

Each view loads through the member's scope, validates its form, calls ``operations`` and
answers; the request commits (``practice.core.unit_of_work``). A refusal is shown on the form
that asked for it (``refusal_shown_on``); one refused because the note is signed answers 409.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from practice import audit
from practice.accounts.models import StaffMember
from practice.cases import scoping
from practice.core.database import db
from practice.core.i18n import _
from practice.moments import directed, interaction, interaction_reads, operations, vocabulary
from practice.moments.balance import MIN_SHARE_LOAD, VALENCE_LABELS
from practice.moments.forms import MomentForm
from practice.moments.interaction import OUTCOME_LABELS
from practice.moments.models import Moment
from practice.moments.operations import MomentData
from practice.sessions.models import TherapySession
from practice.web import access
from practice.web.forms import VoidForm
from practice.web.refusals import refusal_shown_on

bp = Blueprint("moments", __name__)


def _data(form: MomentForm) -> MomentData:
    return MomentData(
        moment_type_id=form.moment_type_id.data,
        partner_id=form.partner_id.data,
        minute=form.minute.data,
        intensity=form.intensity.data,
        context=form.context.data or "",
        target_partner_id=form.target_partner_id.data,
        answers_moment_id=form.answers_moment_id.data,
        outcome=form.outcome.data,
    )


def _refused_status(therapy_session: TherapySession) -> int:
    """The status of a page re-shown with a refusal on its form: 409 when the note is signed
    (the change can no longer be made at all), 200 when the form has something to correct."""
    return 409 if therapy_session.is_signed else 200


def _moment_for_editor(member: StaffMember, moment_id: int) -> tuple[Moment, TherapySession]:
    """A standing moment of a session ``member`` edits; 404 out of scope, 403 read-only."""
    moment = db.get(Moment, moment_id)
    if moment is None or moment.voided_at is not None:
        abort(404)
    return moment, scoping.session_for_editor(member, moment.session_id)


def _back_to_tab(therapy_session: TherapySession):
    return redirect(url_for(".session_moments", session_id=therapy_session.id))


@bp.route("/sessions/<int:session_id>/moments", methods=["GET", "POST"])
@access.staff
def session_moments(session_id: int):
    member = access.current_staff()
    load = scoping.session_for_editor if request.method == "POST" else scoping.session_for_viewer
    therapy_session = load(member, session_id)
    form = MomentForm()
    form.set_choices(vocabulary.active_types(), therapy_session.case, None)
    listed = operations.session_moments(therapy_session)
    form.set_directed_choices(therapy_session.case, directed.answer_choices(listed, None))
    status = 200
    if form.validate_on_submit():
        with refusal_shown_on(form):
            moment = operations.add_moment(therapy_session, member, _data(form))
            flash(_("Moment added at minute %(minute)s.", minute=moment.minute), "success")
            return _back_to_tab(therapy_session)
        status = _refused_status(therapy_session)
    audit.record("moments_viewed", obj=therapy_session, detail={"count": len(listed)})
    page = render_template(
        "practice/moments/session_moments.html",
        therapy_session=therapy_session,
        case=therapy_session.case,
        can_edit=scoping.can_edit(member, therapy_session.case),
        moments=listed,
        removed=operations.voided_moments(therapy_session),
        tally=operations.session_tally(therapy_session),
        interaction=interaction.words(interaction_reads.session_interaction(therapy_session)),
        outcome_labels=OUTCOME_LABELS,
        partner_names={p.id: p.display_name for p in therapy_session.case.partners},
        moments_by_id={m.id: m for m in listed},
        form=form,
        together=operations.together_label(therapy_session.case.kind),
        valence_labels=VALENCE_LABELS,
        min_share_load=MIN_SHARE_LOAD,
    )
    return page, status


@bp.route("/moments/<int:moment_id>/edit", methods=["GET", "POST"])
@access.staff
def edit(moment_id: int):
    member = access.current_staff()
    moment, therapy_session = _moment_for_editor(member, moment_id)
    form = MomentForm(obj=moment)
    form.set_choices(vocabulary.active_types(), therapy_session.case, moment.moment_type)
    earlier = directed.answer_choices(operations.session_moments(therapy_session), moment)
    form.set_directed_choices(therapy_session.case, earlier)
    form.submit.label.text = "Save moment"
    status = 200
    if form.validate_on_submit():
        with refusal_shown_on(form):
            operations.update_moment(moment, _data(form))
            flash(_("Moment at minute %(minute)s saved.", minute=moment.minute), "success")
            return _back_to_tab(therapy_session)
        status = _refused_status(therapy_session)
    audit.record("moment_viewed", obj=moment, case_id=therapy_session.case_id)
    page = render_template(
        "practice/moments/edit.html",
        therapy_session=therapy_session,
        case=therapy_session.case,
        can_edit=True,
        moment=moment,
        form=form,
    )
    return page, status


@bp.route("/moments/<int:moment_id>/remove", methods=["GET", "POST"])
@access.staff
def remove(moment_id: int):
    member = access.current_staff()
    moment, therapy_session = _moment_for_editor(member, moment_id)
    if therapy_session.is_signed:
        # No form to offer: nothing of a signed note's moments can be removed.
        flash(_("This note is signed, so its moments can no longer change."), "error")
        return _back_to_tab(therapy_session)
    form = VoidForm()
    if request.method == "POST":
        with refusal_shown_on(form):
            operations.remove_moment(moment, form.reason.data or "", member)
            flash(_("Moment at minute %(minute)s removed.", minute=moment.minute), "success")
            return _back_to_tab(therapy_session)
    audit.record("moment_viewed", obj=moment, case_id=therapy_session.case_id)
    return render_template(
        "practice/moments/remove.html",
        therapy_session=therapy_session,
        case=therapy_session.case,
        can_edit=True,
        moment=moment,
        form=form,
    )
