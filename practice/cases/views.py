"""Cases: the counsellor's home, the case list, and opening, editing and closing cases.

Each view loads the case through the viewer's scope, validates its form, calls ``operations``
and answers; the request commits (``practice.core.unit_of_work``). A refusal is shown on the form
that asked for it; a stale edit shows the saved values beside the user's.
"""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for

from practice import audit
from practice.accounts.models import Role
from practice.cases import operations
from practice.cases.forms import (
    STATUS_ACTIONS,
    AddPartnerForm,
    EditCaseForm,
    NewCaseForm,
    PartnerForm,
    StatusForm,
    list_query,
)
from practice.cases.models import Case, CaseKind
from practice.cases.operations import VersionConflict
from practice.cases.queries import STATUS_FILTERS, case_list
from practice.cases.scoping import case_for_editor
from practice.core.database import utcnow
from practice.core.i18n import _
from practice.supervision import caseload_glance
from practice.supervision.dashboard import FLAG_FILTERS, TREND_FILTERS
from practice.supervision.flags import FLAG_KINDS, Thresholds
from practice.web import access
from practice.web.refusals import refusal_shown_on

bp = Blueprint("cases", __name__)


def _case_page(case_id: int) -> str:
    return url_for("practice.case_page.show", case_id=case_id)


def _fit_partner_rows(form: NewCaseForm, kind: str | None, change: str = "") -> None:
    """Give the form as many partner rows as ``kind`` takes, one more or one fewer."""
    kind = kind if kind in set(CaseKind) else CaseKind.COUPLE.value
    form.kind.data = kind
    fewest, most = operations.PARTNER_LIMITS[kind]
    wanted = len(form.partners.entries) + {"add": 1, "remove": -1}.get(change, 0)
    wanted = min(max(wanted, fewest), most)
    while len(form.partners.entries) < wanted:
        form.partners.append_entry()
    while len(form.partners.entries) > wanted:
        form.partners.pop_entry()


def _record_view(case: Case, view: str) -> None:
    """Audit the read of a page that shows a case's details (shown first or re-shown after a
    refused post alike, since both show them)."""
    audit.record("case_viewed", obj=case, detail={"view": view})


@bp.route("/", methods=["GET", "POST"])
@access.staff
def home():
    member = access.current_staff()
    # Filters and order come from the query string; a search term (a reference or a partner's
    # name) only from a POST body, so that no name reaches a URL, a history or a log.
    if request.method == "POST":
        args = {**request.form, "sort": request.form.get("resort") or request.form.get("sort")}
        query = caseload_glance.glance_query(args, request.form.get("q", ""))
    else:
        query = caseload_glance.glance_query(request.args)
    thresholds = Thresholds.from_config(current_app.config)
    glance = caseload_glance.caseload_glance(member, query, thresholds, utcnow())
    # A list of case references is a read of the caseload too: audited with counts and
    # filter values only (whether a search was made, never its term).
    audit.record(
        "caseload_listed",
        object_type="Caseload",
        detail={
            "cases": glance.total,
            "shown": len(glance.rows),
            **query.args(),
            "searched": bool(query.search),
        },
    )
    return render_template(
        "practice/home.html",
        glance=glance,
        query=query,
        status_filters=STATUS_FILTERS,
        trend_filters=TREND_FILTERS,
        flag_filters=FLAG_FILTERS,
        flag_kinds=FLAG_KINDS,
        may_open=operations.may_open_cases(member),
    )


@bp.route("/cases")
@access.staff
def index():
    member = access.current_staff()
    query = list_query(request.args)
    page = case_list(member, query)
    audit.record(
        "cases_listed",
        object_type="Caseload",
        detail={"cases": page.total, "page": page.page, "status": query.status},
    )
    return render_template(
        "practice/cases/index.html",
        page=page,
        query=query,
        status_filters=STATUS_FILTERS,
        show_counsellor=member.role != Role.COUNSELLOR,
        may_open=operations.may_open_cases(member),
    )


@bp.route("/cases/new", methods=["GET", "POST"])
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
def new():
    member = access.current_staff()
    form = NewCaseForm()
    if not form.is_submitted():
        _fit_partner_rows(form, request.args.get("kind"))
    elif "rows" in request.form:
        # Adding or removing a partner row without JavaScript: show the form again, unsaved.
        _fit_partner_rows(form, form.kind.data, request.form["rows"])
    elif form.validate():
        with refusal_shown_on(form):
            case = operations.open_case(member, form.new_case())
            flash(_("Case %(reference)s was opened.", reference=case.reference), "success")
            return redirect(_case_page(case.id))
    return render_template(
        "practice/cases/new.html",
        form=form,
        limits=operations.PARTNER_LIMITS,
        latest_date=operations.latest_opening_date(),
        row_template=PartnerForm(prefix="partners-__index__-"),
    )


@bp.route("/cases/<int:case_id>/edit", methods=["GET", "POST"])
@access.staff
def edit(case_id: int):
    case = case_for_editor(access.current_staff(), case_id)
    # Saved values fill the form only when it is first shown: a post must carry every field,
    # its version above all.
    form = EditCaseForm(data=_edit_data(case) if request.method == "GET" else None)
    conflict = None
    if form.validate_on_submit():
        try:
            with refusal_shown_on(form):
                changed = operations.update_case(case, form.changes(), form.version.data)
                outcome = "changes saved" if changed else "nothing changed"
                flash(
                    _("%(reference)s: %(outcome)s.", reference=case.reference, outcome=outcome),
                    "success",
                )
                return redirect(_case_page(case.id))
        except VersionConflict as error:
            conflict = operations.differences(error.saved, form.changes())
            # Saving again now deliberately replaces what the other person saved.
            form.version.data = error.current_version
            form.form_errors.append(str(error))
    _record_view(case, "edit")
    page = render_template("practice/cases/edit.html", form=form, case=case, conflict=conflict)
    return page, 409 if conflict is not None else 200


@bp.route("/cases/<int:case_id>/partners/new", methods=["GET", "POST"])
@access.staff
def add_partner(case_id: int):
    case = case_for_editor(access.current_staff(), case_id)
    form = AddPartnerForm()
    if form.validate_on_submit():
        with refusal_shown_on(form):
            operations.add_partner(case, form.details())
            flash(_("A person was added to %(reference)s.", reference=case.reference), "success")
            return redirect(_case_page(case.id))
    _record_view(case, "add_partner")
    return render_template(
        "practice/cases/partner.html",
        form=form,
        case=case,
        has_room=operations.has_room_for_partner(case),
    )


@bp.route("/cases/<int:case_id>/status", methods=["GET", "POST"])
@access.staff
def change_status(case_id: int):
    case = case_for_editor(access.current_staff(), case_id)
    form = StatusForm()
    if form.validate_on_submit():
        with refusal_shown_on(form):
            operations.change_status(case, form.action.data, form.reason.data)
            flash(
                _("%(reference)s is now %(status)s.", reference=case.reference, status=case.status),
                "success",
            )
            return redirect(_case_page(case.id))
    _record_view(case, "status")
    return render_template(
        "practice/cases/status.html",
        form=form,
        case=case,
        actions={a: STATUS_ACTIONS[a] for a in operations.legal_actions(case)},
    )


def _edit_data(case: Case) -> dict:
    """The edit form's initial values (used when nothing was posted)."""
    return {
        "presenting_concerns": case.presenting_concerns,
        "goals": case.goals,
        "eft_stage": case.eft_stage,
        "referrer_name": case.referrer_name,
        "referrer_organisation": case.referrer_organisation,
        "referral_question": case.referral_question,
        "version": case.version,
        "partners": [
            {
                "partner_id": p.id,
                "display_name": p.display_name,
                "pronouns": p.pronouns or "",
                "cycle_role": p.cycle_role,
            }
            for p in case.partners
        ],
    }
