"""Scripts: the library (administrators), and a session's "Scripts & adoption" tab.

Each view loads through the user's scope, validates its form and calls ``operations``; the
request commits (``practice.core.unit_of_work``). A refusal is shown on the form that asked for
it (``refusal_shown_on``), or flashed where the page has no form (``refusal_flashed``).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for

from practice import audit
from practice.accounts.models import Role
from practice.cases.scoping import can_edit, case_for_editor, session_for_editor, session_for_viewer
from practice.core.database import db, utcnow
from practice.core.errors import Refused
from practice.core.i18n import _
from practice.scripts import operations, queries
from practice.scripts.adoption import (
    ADOPTION_LEVELS,
    ADOPTION_RULE,
    ADOPTION_STATES,
    NO_OPPORTUNITY,
    OBSERVATION_STATUSES,
)
from practice.scripts.forms import (
    ROLE_LABELS,
    AdoptionForm,
    AssignForm,
    RetireAssignmentForm,
    ScriptForm,
    adoption_autosave_payload,
)
from practice.scripts.models import Script, ScriptAssignment
from practice.sessions.models import TherapySession
from practice.sessions.signed_notes import NoteSigned
from practice.web import access
from practice.web.autosave import PayloadError, json_error, saved_at
from practice.web.refusals import refusal_flashed, refusal_shown_on

bp = Blueprint("scripts", __name__)


# --- The library (administrators) ----------------------------------------------------------------


@bp.route("/admin/scripts", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def library():
    form = ScriptForm()
    if form.validate_on_submit():
        with refusal_shown_on(form):
            operations.create_script(form.text.data, form.intended_role.data, form.category.data)
            flash(_("The script was added to the library."), "success")
            return redirect(url_for(".library"))
    return render_template(
        "practice/scripts/library.html",
        form=form,
        groups=queries.library(),
        role_labels=ROLE_LABELS,
    )


@bp.route("/admin/scripts/<int:script_id>/edit", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def edit_script(script_id: int):
    script = db.get(Script, script_id) or abort(404)
    form = ScriptForm(obj=script)
    form.submit.label.text = "Save script"
    if form.validate_on_submit():
        with refusal_shown_on(form):
            operations.update_script(
                script, form.text.data, form.intended_role.data, form.category.data
            )
            flash(_("The script was saved."), "success")
            return redirect(url_for(".library"))
    return render_template("practice/scripts/edit.html", form=form, script=script)


@bp.route("/admin/scripts/<int:script_id>/retire", methods=["POST"])
@access.roles(Role.ADMIN)
def retire_script(script_id: int):
    script = db.get(Script, script_id) or abort(404)
    operations.toggle_script(script)
    if script.active:
        flash(_("The script is back in the library and can be assigned again."), "success")
    else:
        flash(_("The script was retired; partners already working on it keep it."), "success")
    return redirect(url_for(".library"))


# --- The "Scripts & adoption" tab of a session ---------------------------------------------------


@bp.route("/sessions/<int:session_id>/scripts", methods=["GET", "POST"])
@access.staff
def session_scripts(session_id: int):
    member = access.current_staff()
    if request.method == "GET":
        return _render_tab(session_for_viewer(member, session_id))
    therapy_session = session_for_editor(member, session_id)
    if "assign" in request.form:
        return _assign(therapy_session)
    return _record(therapy_session)


def _assign(therapy_session: TherapySession):
    form = AssignForm()
    form.set_choices(therapy_session.case.partners, queries.active_scripts())
    if form.validate():
        with refusal_shown_on(form):
            assignment = operations.assign_script(
                therapy_session, form.partner_id.data, form.script_id.data
            )
            partner, script = assignment.partner, assignment.script
            # No client's name in a flash: it travels in the (signed, not encrypted) cookie.
            flash(_("The script was assigned."), "success")
            if operations.role_mismatch(script, partner):
                flash(
                    _(
                        "Note: this script is written for a %(intended)s, and this partner is "
                        "the %(role)s in the cycle.",
                        intended=script.intended_role,
                        role=partner.cycle_role,
                    ),
                    "info",
                )
            return redirect(url_for(".session_scripts", session_id=therapy_session.id))
    return _render_tab(therapy_session, assign=form)


def _record(therapy_session: TherapySession):
    form = AdoptionForm()
    if form.validate():
        with refusal_shown_on(form):
            operations.record_adoption(therapy_session, form.observations_given())
            flash(_("Adoption levels were saved for this session."), "success")
            return redirect(url_for(".session_scripts", session_id=therapy_session.id))
    return _render_tab(therapy_session, adoption=form)


@bp.route("/sessions/<int:session_id>/scripts/autosave", methods=["POST"])
@access.staff
def autosave_adoption(session_id: int):
    """One script's level (or "no opportunity") and note, saved as the counsellor gives them
    (the tab's script); the same operation as the form, so absent partners follow attendance."""
    therapy_session = session_for_editor(access.current_staff(), session_id)
    try:
        assignment_id, entry = adoption_autosave_payload(request.get_json(silent=True))
        operations.record_adoption(therapy_session, {assignment_id: entry})
    except PayloadError as error:
        return json_error(400, "invalid", str(error), error.fields)
    except NoteSigned as refusal:
        return json_error(409, "signed", str(refusal))
    except Refused as refusal:
        return json_error(400, "invalid", str(refusal), refusal.fields)
    return jsonify(
        assignment_id=assignment_id,
        status=entry.status,
        level=entry.level,
        saved_at=saved_at(utcnow()),
    )


def _render_tab(
    therapy_session: TherapySession,
    adoption: AdoptionForm | None = None,
    assign: AssignForm | None = None,
):
    """The tab, with any submitted form as it was sent; audited as a read of the case."""
    case = therapy_session.case
    rows = queries.assignment_rows(case)
    editable = can_edit(access.current_staff(), case) and not therapy_session.is_signed
    recordable = [row for row in rows if row.recordable_at(therapy_session)]
    # A partner who did not attend is "partner absent" for each of their scripts: shown, not asked.
    attended = {partner.id for partner in therapy_session.attendees}
    open_rows = [row for row in recordable if row.assignment.partner_id in attended]
    absent_rows = [row for row in recordable if row.assignment.partner_id not in attended]
    if adoption is None:
        adoption = AdoptionForm(
            formdata=None, data={"observations": _prefill(open_rows, therapy_session)}
        )
    if assign is None:
        assign = AssignForm(formdata=None)
        assign.set_choices(case.partners, queries.active_scripts() if editable else [])
    audit.record("scripts_viewed", obj=therapy_session)
    return render_template(
        "practice/scripts/session.html",
        therapy_session=therapy_session,
        case=case,
        can_edit=editable,
        rows=rows,
        open_rows={row.assignment.id: row for row in open_rows},
        absent_rows=absent_rows,
        adoption=adoption,
        assign=assign,
        retire_form=RetireAssignmentForm(formdata=None, session_id=therapy_session.id),
        levels=ADOPTION_LEVELS,
        statuses=OBSERVATION_STATUSES,
        adoption_states=ADOPTION_STATES,
        adoption_rule=ADOPTION_RULE,
    )


def _prefill(rows: list[queries.AssignmentRow], therapy_session: TherapySession) -> list[dict]:
    entries = []
    for row in rows:
        recorded = row.observation_at(therapy_session.id)
        choice: int | str | None = None
        if recorded is not None and recorded.observed:
            choice = recorded.level
        elif recorded is not None and recorded.status == NO_OPPORTUNITY:
            choice = NO_OPPORTUNITY
        entries.append(
            {
                "assignment_id": row.assignment.id,
                "level": choice,
                "note": recorded.note if recorded else "",
            }
        )
    return entries


@bp.route("/assignments/<int:assignment_id>/retire", methods=["POST"])
@access.staff
def retire_assignment(assignment_id: int):
    member = access.current_staff()
    assignment = db.get(ScriptAssignment, assignment_id) or abort(404)
    case_for_editor(member, assignment.case_id)
    form = RetireAssignmentForm()
    back = assignment.assigned_session_id
    if not form.validate():
        flash(_("The session to retire the script at was missing. Reload the page."), "error")
        return redirect(url_for(".session_scripts", session_id=back))
    therapy_session = session_for_viewer(member, form.session_id.data)
    with refusal_flashed():
        operations.retire_assignment(assignment, therapy_session)
        flash(_("The script was retired; its adoption history is kept."), "success")
    if therapy_session.case_id == assignment.case_id:
        back = therapy_session.id
    return redirect(url_for(".session_scripts", session_id=back))
