"""The CSI-4 tab of a session (each partner's answers at this session, earlier totals and the
change from baseline so far) and the page where a partner's consent to share their scores is
recorded and withdrawn.

The views validate the form and call ``operations``; the request commits
(``practice.core.unit_of_work``). A refusal is shown on the form (``refusal_shown_on``).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)

from practice import audit
from practice.cases.models import Case, Partner
from practice.cases.operations import latest_opening_date, today
from practice.cases.scoping import (
    can_edit,
    case_for_editor,
    case_for_viewer,
    session_for_editor,
    session_for_viewer,
)
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.measures import change, csi4, operations, queries, sharing
from practice.measures.configured import other_session_measures
from practice.measures.forms import (
    SCALE_ENDS,
    Csi4Form,
    GiveConsentForm,
    WithdrawConsentForm,
    csi4_autosave_payload,
)
from practice.measures.models import MeasureResponse
from practice.measures.settings import reliable_change_index
from practice.sessions.models import TherapySession
from practice.sessions.signed_notes import NoteSigned
from practice.web import access
from practice.web.autosave import PayloadError, json_error, saved_at
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
            flash(_("The CSI-4 answers were saved."), "success")
            return redirect(url_for(".session_measures", session_id=therapy_session.id))
    return _render_tab(therapy_session, form)


@bp.route("/sessions/<int:session_id>/measures/autosave", methods=["POST"])
@access.staff
def autosave_csi4(session_id: int):
    """One partner's four answers, saved as the counsellor gives them (the tab's script)."""
    member = access.current_staff()
    therapy_session = session_for_editor(member, session_id)
    try:
        partner_id, items = csi4_autosave_payload(request.get_json(silent=True))
        response = operations.record_csi4(therapy_session, partner_id, items, recorded_by=member)
    except PayloadError as error:
        return json_error(400, "invalid", str(error), error.fields)
    except NoteSigned as refusal:
        return json_error(409, "signed", str(refusal))
    except Refused as refusal:
        return json_error(400, "invalid", str(refusal), refusal.fields)
    return jsonify(
        partner_id=partner_id,
        total=response.total,
        reading=csi4.csi4_reading(response.total),
        below_cutoff=csi4.csi4_below_cutoff(response.total),
        saved_at=saved_at(response.recorded_at),
    )


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
        csi4_change=change.case_change(
            case, reliable_change_index(current_app.config), through=therapy_session
        ),
        items=csi4.CSI4_ITEMS,
        scale_ends=SCALE_ENDS,
        cutoff=csi4.CSI4_CUTOFF,
        total_range=(csi4.CSI4_MIN_TOTAL, csi4.CSI4_MAX_TOTAL),
        other_measures=other_session_measures(current_app.config),
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


@bp.route("/cases/<int:case_id>/score-sharing", methods=["GET", "POST"])
@access.staff
def score_sharing(case_id: int):
    """Each partner's consent to share their CSI-4 scores: read by whoever may read the case,
    recorded and withdrawn by its counsellor only."""
    member = access.current_staff()
    if request.method == "GET":
        return _sharing_page(case_for_viewer(member, case_id))
    case = case_for_editor(member, case_id)
    # One page, two forms: a withdrawal carries its own date field.
    withdrawing = "withdrawn_on" in request.form
    form = WithdrawConsentForm() if withdrawing else GiveConsentForm()
    if form.validate():
        with refusal_shown_on(form):
            if withdrawing:
                record = operations.withdraw_score_consent(
                    case, form.partner_id.data, form.audience.data, form.withdrawn_on.data, member
                )
                done = f"withdrawn from {record.withdrawn_on:%d %b %Y}"
            else:
                record = operations.give_score_consent(
                    case, form.partner_id.data, form.audience.data, form.given_on.data, member
                )
                done = f"recorded from {record.given_on:%d %b %Y}"
            # No client's name: the flash travels in the (signed, not encrypted) cookie.
            flash(_("The partner's consent was %(done)s.", done=done), "success")
            return redirect(url_for(".score_sharing", case_id=case.id))
    return _sharing_page(case, form)


def _sharing_page(case: Case, posted: GiveConsentForm | WithdrawConsentForm | None = None):
    """The sharing page, with a refused form shown on the row it was sent from; audited as a
    read of the case's consents."""
    member = access.current_staff()
    lines = sharing.sharing_lines(case)
    posted_key, stray_errors = None, []
    if posted is not None:
        posted_key = (posted.partner_id.data, posted.audience.data)
        if posted_key not in {(line.partner.id, line.audience) for line in lines}:
            # Sent for a row that is not on the page: its messages go above the rows.
            posted_key = None
            stray_errors = [*posted.form_errors, *(e for f in posted for e in f.errors)]
    audit.record("score_sharing_viewed", obj=case)
    return render_template(
        "practice/measures/score_sharing.html",
        case=case,
        lines=lines,
        can_edit=can_edit(member, case),
        posted=posted,
        posted_key=posted_key,
        stray_errors=stray_errors,
        today=today(),
        latest_date=latest_opening_date(),
    )
