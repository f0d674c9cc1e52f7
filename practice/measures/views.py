"""The CSI-4 tab of a session: each partner's answers at this session, and earlier totals.

The view validates the form and calls ``operations``; the request commits
(``practice.core.unit_of_work``). A refusal is shown on the form (``refusal_shown_on``).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from practice import audit
from practice.cases.models import Partner
from practice.cases.scoping import can_edit, session_for_editor, session_for_viewer
from practice.measures import csi4, operations, queries
from practice.measures.forms import SCALE_ENDS, Csi4Form
from practice.measures.models import MeasureResponse
from practice.sessions.models import TherapySession
from practice.web import access
from practice.web.refusals import refusal_shown_on

bp = Blueprint("measures", __name__)


@bp.route("/sessions/<int:session_id>/measures", methods=["GET", "POST"])
@access.staff
def session_measures(session_id: int):
    member = access.current_staff()
    if request.method == "GET":
        return _render_tab(session_for_viewer(member, session_id))
    therapy_session = session_for_editor(member, session_id)
    form = Csi4Form()
    if form.validate():
        with refusal_shown_on(form):
            answers = form.answers().items()
            operations.record_csi4_answers(therapy_session, answers, recorded_by=member)
            flash("The CSI-4 answers were saved.", "success")
            return redirect(url_for(".session_measures", session_id=therapy_session.id))
    return _render_tab(therapy_session, form)


def _render_tab(therapy_session: TherapySession, form: Csi4Form | None = None):
    """The tab, with a submitted form as it was sent; audited as a read of the case."""
    case = therapy_session.case
    responses = queries.session_csi4(therapy_session)
    if form is None:
        form = Csi4Form(formdata=None, data={"partners": _prefill(case.partners, responses)})
    audit.record("measures_viewed", obj=therapy_session)
    return render_template(
        "practice/measures/session.html",
        therapy_session=therapy_session,
        case=case,
        can_edit=can_edit(access.current_staff(), case) and not therapy_session.is_signed,
        form=form,
        responses=responses,
        readings={
            partner_id: (csi4.csi4_reading(r.total), csi4.csi4_below_cutoff(r.total))
            for partner_id, r in responses.items()
        },
        partners_by_id={partner.id: partner for partner in case.partners},
        history=queries.csi4_history(case, before=therapy_session),
        items=csi4.CSI4_ITEMS,
        scale_ends=SCALE_ENDS,
        cutoff=csi4.CSI4_CUTOFF,
        total_range=(csi4.CSI4_MIN_TOTAL, csi4.CSI4_MAX_TOTAL),
    )


def _prefill(partners: list[Partner], responses: dict[int, MeasureResponse]) -> list[dict]:
    entries = []
    for partner in partners:
        response = responses.get(partner.id)
        scores = response.items if response else [None] * len(csi4.CSI4_ITEMS)
        entry = {"partner_id": partner.id}
        entry.update({f"item_{n}": score for n, score in enumerate(scores, start=1)})
        entries.append(entry)
    return entries
