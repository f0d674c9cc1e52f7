"""A session's page for any measure of the registry other than the CSI-4 (which keeps its own
tab): each partner's answers at this session, the form with each item's anchors, and the
totals so far judged against the cut-off and by reliable change.

The view validates the form and calls ``practice.measures.recording``; the request commits.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from practice import audit
from practice.cases.scoping import can_edit, session_for_editor, session_for_viewer
from practice.core.database import db
from practice.core.i18n import _
from practice.measures import registry_queries
from practice.measures.case_summary import measure_summary
from practice.measures.configured import measure_registry
from practice.measures.csi4 import CSI4_MEASURE
from practice.measures.models import MeasureResponse
from practice.measures.recording import record_measure_answers
from practice.measures.registry import MeasureDefinition, Use
from practice.measures.registry_forms import field_name, measure_form
from practice.sessions.models import TherapySession
from practice.web import access
from practice.web.refusals import refusal_shown_on

bp = Blueprint("measure_forms", __name__)


def _definition(key: str) -> MeasureDefinition:
    definition = measure_registry(current_app.config).get(key)
    if definition is None or definition.use != Use.SESSION or definition.key == CSI4_MEASURE:
        abort(404)
    return definition


@bp.route("/sessions/<int:session_id>/measures/<measure>", methods=["GET", "POST"])
@access.staff
def session_measure(session_id: int, measure: str):
    member = access.current_staff()
    definition = _definition(measure)
    if request.method == "GET":
        return _render(session_for_viewer(member, session_id), definition)
    therapy_session = session_for_editor(member, session_id)
    form = measure_form(definition, therapy_session.case.partners)
    if form.validate():
        with refusal_shown_on(form):
            measures = measure_registry(current_app.config)
            record_measure_answers(
                therapy_session, definition.key, form.answers(), measures, recorded_by=member
            )
            flash(_("The %(key)s answers were saved.", key=definition.key), "success")
            return redirect(
                url_for(".session_measure", session_id=therapy_session.id, measure=definition.key)
            )
    return _render(therapy_session, definition, form)


def _render(therapy_session: TherapySession, definition: MeasureDefinition, form=None):
    """The page, with a submitted form as it was sent; audited as a read of the session."""
    case = therapy_session.case
    responses = {
        r.partner_id: r
        for r in db.scalars(
            select(MeasureResponse).where(
                MeasureResponse.session_id == therapy_session.id,
                MeasureResponse.measure == definition.key,
            )
        )
    }
    if form is None:
        data = {
            field_name(index, item): value
            for index, partner in enumerate(case.partners)
            if partner.id in responses
            for item, value in zip(definition.items, responses[partner.id].items, strict=False)
        }
        form = measure_form(definition, case.partners, formdata=None, data=data)
    rows = registry_queries.case_measure_rows(case, [definition.key])
    rows = [r for r in rows if r.starts_at <= therapy_session.starts_at]
    audit.record("measures_viewed", obj=therapy_session, detail={"measure": definition.key})
    return render_template(
        "practice/measures/measure.html",
        therapy_session=therapy_session,
        case=case,
        definition=definition,
        can_edit=can_edit(access.current_staff(), case) and not therapy_session.is_signed,
        form=form,
        responses=responses,
        summary=measure_summary(definition, rows, case.partners),
        field_name=field_name,
    )
