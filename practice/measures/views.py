"""Standard measures (CSI-4) per partner per session."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from practice import audit
from practice.cases.scoping import can_edit, session_for_editor, session_for_viewer
from practice.core.database import db
from practice.core.errors import Refused
from practice.measures import operations as measures
from practice.measures.csi4 import CSI4_CUTOFF, CSI4_ITEMS
from practice.measures.forms import SCALE_ENDS, Csi4Form
from practice.sessions.models import TherapySession
from practice.web import access

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
        try:
            for partner_id, items in form.answers().items():
                measures.record_csi4(therapy_session, partner_id, items, recorded_by=member)
        except Refused as error:
            db.rollback()
            form.form_errors.append(str(error))
        else:
            db.commit()
            flash("The CSI-4 answers were saved.", "success")
            return redirect(url_for(".session_measures", session_id=therapy_session.id))
    return _render_tab(therapy_session, form)


def _render_tab(therapy_session: TherapySession, form: Csi4Form | None = None):
    """The tab, with a submitted form as it was sent; audited as a read of the case."""
    case = therapy_session.case
    responses = measures.session_csi4(therapy_session)
    if form is None:
        form = Csi4Form(formdata=None, data={"partners": _prefill(case.partners, responses)})
    audit.record("measures_viewed", obj=therapy_session)
    db.commit()
    return render_template(
        "practice/measures/session.html",
        therapy_session=therapy_session,
        case=case,
        can_edit=can_edit(access.current_staff(), case) and not therapy_session.is_signed,
        form=form,
        responses=responses,
        partners_by_id={partner.id: partner for partner in case.partners},
        history=measures.csi4_history(case, before=therapy_session),
        items=CSI4_ITEMS,
        scale_ends=SCALE_ENDS,
        cutoff=CSI4_CUTOFF,
        reading=measures.csi4_reading,
    )


def _prefill(partners, responses) -> list[dict]:
    entries = []
    for partner in partners:
        response = responses.get(partner.id)
        scores = response.items if response else [None] * len(CSI4_ITEMS)
        entry = {"partner_id": partner.id}
        entry.update({f"item_{n}": score for n, score in enumerate(scores, start=1)})
        entries.append(entry)
    return entries
