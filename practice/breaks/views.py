"""The break pages: a case's breaks timeline, recording an account (from a session or by the
counsellor afterwards), editing one, and live mode's "break called" button.

Thin: the forms validate, ``operations`` records (audited, the default report prepared), the
request commits. A refusal is shown on the form, filled in as it was sent.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from practice import audit
from practice.breaks import operations, queries
from practice.breaks.forms import BreakAccountForm, LiveBreakForm, as_entered
from practice.breaks.models import AccountSource, BreakAccount
from practice.cases.models import Case
from practice.cases.scoping import (
    can_edit,
    case_for_editor,
    case_for_viewer,
    session_for_editor,
)
from practice.core.database import db, utcnow
from practice.core.errors import NotFound
from practice.core.i18n import _
from practice.sessions.models import TherapySession
from practice.web import access
from practice.web.refusals import refusal_flashed, refusal_shown_on

bp = Blueprint("breaks", __name__)


@bp.route("/cases/<int:case_id>/breaks")
@access.staff
def timeline(case_id: int):
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    breaks = queries.case_breaks(case)
    audit.record("breaks_viewed", obj=case)
    return render_template(
        "practice/breaks/timeline.html",
        case=case,
        breaks=breaks,
        can_edit=can_edit(member, case),
    )


def _session_of(case: Case) -> TherapySession | None:
    """The session a break is recorded from (``?session_id=``), one of this case's."""
    raw = request.values.get("session_id", "")
    if not raw:
        return None
    if not raw.isdigit():
        raise NotFound()
    therapy_session = session_for_editor(access.current_staff(), int(raw))
    if therapy_session.case_id != case.id:
        raise NotFound()
    return therapy_session


@bp.route("/cases/<int:case_id>/breaks/new", methods=["GET", "POST"])
@access.staff
def new(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    therapy_session = _session_of(case)
    if request.method == "GET":
        form = BreakAccountForm(
            case.partners, formdata=None, data={"called_at": as_entered(utcnow())}
        )
    else:
        form = BreakAccountForm(case.partners)
        if form.validate():
            with refusal_shown_on(form):
                source = AccountSource.SESSION if therapy_session else AccountSource.COUNSELLOR
                operations.record_account(
                    case,
                    form.teller(),
                    form.data_of(),
                    source=source,
                    session=therapy_session,
                    actor=member,
                )
                flash(_("The break was recorded."), "success")
                return redirect(url_for(".timeline", case_id=case.id))
    audit.record("break_form_viewed", obj=case)
    return render_template(
        "practice/breaks/form.html",
        case=case,
        form=form,
        therapy_session=therapy_session,
        account=None,
    )


def _account_for_editor(account_id: int) -> tuple[BreakAccount, Case]:
    account = db.get(BreakAccount, account_id)
    if account is None:
        raise NotFound()
    case = case_for_editor(access.current_staff(), account.case_id)
    return account, case


@bp.route("/breaks/accounts/<int:account_id>/edit", methods=["GET", "POST"])
@access.staff
def edit(account_id: int):
    member = access.current_staff()
    account, case = _account_for_editor(account_id)
    if request.method == "GET":
        form = BreakAccountForm(
            case.partners, formdata=None, data=BreakAccountForm.prefill(account), with_teller=False
        )
    else:
        form = BreakAccountForm(case.partners, with_teller=False)
        if form.validate():
            with refusal_shown_on(form):
                version = request.form.get("version", "")
                operations.update_account(
                    account,
                    form.data_of(),
                    actor=member,
                    version=int(version) if version.isdigit() else None,
                )
                flash(_("The account was saved."), "success")
                return redirect(url_for(".timeline", case_id=case.id))
    audit.record("break_account_viewed", obj=account, case_id=case.id)
    return render_template(
        "practice/breaks/form.html",
        case=case,
        form=form,
        therapy_session=None,
        account=account,
    )


@bp.route("/sessions/<int:session_id>/live/break", methods=["POST"])
@access.staff
def live_break(session_id: int):
    """A partner called a break in the room: recorded now as the counsellor's own record from
    live mode; the return is completed on the breaks page."""
    member = access.current_staff()
    therapy_session = session_for_editor(member, session_id)
    case = therapy_session.case
    form = LiveBreakForm(case.partners)
    if not form.validate():
        flash(_("Choose who called the break."), "error")
        return redirect(url_for("practice.live.screen", session_id=session_id))
    with refusal_flashed():
        called_by = next(p for p in case.partners if p.id == form.called_by_id.data)
        data = operations.AccountData(
            called_by=called_by,
            called_at=utcnow(),
            with_script=form.with_script.data,
            flooding=False,
            heart_rate=None,
            promised_return_at=None,
            resumed_at=None,
            resumed_by=None,
            with_invitation=False,
            outcome=None,
        )
        operations.record_account(
            case,
            None,
            data,
            source=AccountSource.LIVE,
            session=therapy_session,
            actor=member,
        )
        flash(_("Break recorded. Complete its return on the case's breaks page."), "success")
    return redirect(url_for("practice.live.screen", session_id=session_id))
