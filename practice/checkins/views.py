"""The counsellor's side of check-ins: issuing a link for a partner (shown once, as an address
and a QR code), revoking one, and reading the case's check-ins (every read audited).

A partner's check-in is shown here to staff who may see the case, never on any page a partner
opens. The views validate the form and call ``operations``; the request commits.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from wtforms.fields.choices import SelectChoice

from practice import audit
from practice.cases.scoping import can_edit, case_for_editor, case_for_viewer, may_read_case
from practice.checkins import operations, queries
from practice.checkins.forms import FEAR_QUESTION, IssueLinkForm, RevokeLinkForm
from practice.checkins.links import checkin_url, qr_svg_data_uri
from practice.checkins.models import BreakReturn, CheckinLink
from practice.core.database import db, utcnow
from practice.core.errors import NotFound, Refused
from practice.core.i18n import _, _l
from practice.scripts.models import ScriptAssignment
from practice.web import access
from practice.web.access import Sensitivity

bp = Blueprint("checkins", __name__)

RETURN_WORDS = {
    BreakReturn.EARLY: _l("came back to talk within 20 minutes"),
    BreakReturn.WITHIN_DAY: _l("came back to talk after 20 minutes to a day"),
    BreakReturn.LATER: _l("came back to talk after more than a day"),
    BreakReturn.NOT_YET: _l("not come back to it yet"),
}


def issue_form(case) -> IssueLinkForm:
    """The case page's form to issue a link, with the case's partners to choose from."""
    form = IssueLinkForm()
    form.partner_id.choices = [SelectChoice(p.id, p.display_name) for p in case.partners]
    return form


@bp.route("/cases/<int:case_id>/checkin-links", methods=["POST"])
@access.staff
def issue(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    form = issue_form(case)
    if not form.validate():
        flash(_("Choose a partner for the link."), "error")
        return redirect(url_for("practice.case_page.show", case_id=case.id) + "#checkins")
    try:
        token, link = operations.issue_link(case, form.partner_id.data, member)
    except Refused as refusal:
        flash(str(refusal), "error")
        return redirect(url_for("practice.case_page.show", case_id=case.id) + "#checkins")
    url = checkin_url(token)
    emailed = None
    if form.email.data and operations.smtp_configured():
        try:
            operations.email_link(link, url, form.email.data, member)
            emailed = True
        except Refused:
            emailed = False
    return render_template(
        "practice/checkins/link_issued.html",
        case=case,
        link=link,
        url=url,
        qr=qr_svg_data_uri(url),
        emailed=emailed,
    )


@bp.route("/checkin-links/<int:link_id>/revoke", methods=["POST"])
@access.staff
def revoke(link_id: int):
    member = access.current_staff()
    link = db.get(CheckinLink, link_id)
    if link is None:
        raise NotFound()
    case = case_for_editor(member, link.case_id)
    if not RevokeLinkForm().validate():
        abort(400)
    try:
        operations.revoke_link(case, link.id, member)
        flash(_("The link was revoked: it opens no more."), "success")
    except Refused as refusal:
        flash(str(refusal), "error")
    return redirect(url_for("practice.case_page.show", case_id=case.id) + "#checkins")


@bp.route("/cases/<int:case_id>/checkins")
@access.staff
def index(case_id: int):
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    checkins = queries.checkins_of_case(case)
    scripts = {assignment.id: assignment for assignment in case_assignments(case.id)}
    audit.record("checkins_viewed", obj=case, detail={"count": len(checkins)})
    return render_template(
        "practice/checkins/index.html",
        case=case,
        checkins=checkins,
        scripts=scripts,
        return_words=RETURN_WORDS,
        fear_question=FEAR_QUESTION,
        can_edit=can_edit(member, case),
        # The fear answer is safety data: the case's counsellor and their supervisor only.
        show_safety=may_read_case(member, case, Sensitivity.SAFETY),
    )


def case_assignments(case_id: int) -> list[ScriptAssignment]:
    """Every script assignment of the case (retired too: older check-ins name them)."""
    return list(
        db.scalars(
            select(ScriptAssignment)
            .where(ScriptAssignment.case_id == case_id)
            .options(selectinload(ScriptAssignment.script))
        )
    )


def case_panel(member, case) -> dict:
    """What the case page's check-ins section shows: the links (never a token), how many
    check-ins there are, and the form to issue a link (for the case's counsellor)."""
    return {
        "links": queries.links_of_case(case),
        "count": queries.checkin_count(case),
        "form": issue_form(case) if can_edit(member, case) else None,
        "revoke_form": RevokeLinkForm() if can_edit(member, case) else None,
        "now": utcnow(),
        "smtp": operations.smtp_configured(),
    }
