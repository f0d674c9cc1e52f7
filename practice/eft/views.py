"""The change-event pages: confirm a proposal (or record an event) with its evidence, dismiss a
proposal, void a confirmed event, and a supervisor's acknowledgement of a stage override.

Thin: the forms validate, ``operations`` records (audited), the request commits. The case
page's "Change events" section (``_case_change_events.html``) links here.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from practice import audit
from practice.accounts.models import Role
from practice.cases.scoping import case_for_editor
from practice.core.database import db, utcnow
from practice.core.errors import NotFound
from practice.core.i18n import _
from practice.eft import operations, queries
from practice.eft.forms import (
    AcknowledgeOverrideForm,
    ChangeEventForm,
    DismissProposalForm,
    VoidEventForm,
)
from practice.eft.models import ChangeEvent
from practice.web import access
from practice.web.refusals import refusal_flashed, refusal_shown_on

bp = Blueprint("eft", __name__)


def _case_page(case_id: int):
    return redirect(url_for("practice.case_page.show", case_id=case_id) + "#change-events-heading")


@bp.route("/cases/<int:case_id>/change-events/new", methods=["GET", "POST"])
@access.staff
def new(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    view = queries.case_change_events(case)
    if request.method == "GET":
        prefill: dict = {"occurred_on": utcnow().date()}
        # Confirming a proposal: its kind, session, day and evidence, for the counsellor to check.
        kind = request.args.get("kind", "")
        for p in view.proposals:
            if p.proposal.kind == kind:
                prefill = {
                    "kind": kind,
                    "session_id": p.proposal.session_id,
                    "occurred_on": p.session_on,
                    "evidence": list(p.proposal.evidence),
                    "proposed": "1",
                }
        form = ChangeEventForm(formdata=None, data=prefill)
    else:
        form = ChangeEventForm()
    form.offer(view)
    if request.method == "POST" and form.validate():
        with refusal_shown_on(form):
            operations.confirm_event(case, member, form.data_of())
            flash(_("The change event was confirmed."), "success")
            return _case_page(case.id)
    audit.record("change_event_form_viewed", obj=case)
    return render_template("practice/eft/form.html", case=case, form=form, view=view)


@bp.route("/cases/<int:case_id>/change-events/dismiss", methods=["POST"])
@access.staff
def dismiss(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    form = DismissProposalForm()
    if form.validate() and form.session_id.data.isdigit():
        with refusal_flashed():
            operations.dismiss_proposal(case, member, form.kind.data, int(form.session_id.data))
            flash(_("The proposal was dismissed."), "success")
    else:
        flash(_("That proposal could not be dismissed. Reload the page."), "error")
    return _case_page(case.id)


def _event_for_editor(event_id: int) -> ChangeEvent:
    event = db.get(ChangeEvent, event_id)
    if event is None:
        raise NotFound()
    case_for_editor(access.current_staff(), event.case_id)
    return event


@bp.route("/change-events/<int:event_id>/void", methods=["GET", "POST"])
@access.staff
def void(event_id: int):
    member = access.current_staff()
    event = _event_for_editor(event_id)
    form = VoidEventForm()
    if request.method == "POST" and form.validate():
        with refusal_shown_on(form):
            operations.void_event(event, member, form.reason.data)
            flash(_("The change event was voided."), "success")
            return _case_page(event.case_id)
    audit.record("change_event_void_form_viewed", obj=event)
    return render_template("practice/eft/void.html", event=event, form=form)


@bp.route("/stage-overrides/<int:override_id>/acknowledge", methods=["POST"])
@access.roles(Role.SUPERVISOR)
def acknowledge(override_id: int):
    member = access.current_staff()
    try:
        override = operations.override_for_supervisor(member, override_id)
    except operations.ChangeEventError:
        abort(403)
    form = AcknowledgeOverrideForm()
    if form.validate():
        with refusal_flashed():
            operations.acknowledge_override(override, member)
            flash(_("The stage override was acknowledged."), "success")
    return _case_page(override.case_id)
