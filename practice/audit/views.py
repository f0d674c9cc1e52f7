"""Administrators search, filter and export the audit trail.

Each look at the log is itself audited (``audit_viewed``, ``audit_exported``); the request
commits those events once the page has answered.
"""

from __future__ import annotations

from functools import partial

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from practice import audit
from practice.accounts.models import Role
from practice.accounts.queries import all_staff
from practice.accounts.reauth import export_password_confirmed
from practice.audit import search as audit_search
from practice.audit.forms import AuditFilterForm
from practice.core.database import utcnow
from practice.core.i18n import _
from practice.web import access
from practice.web.forms import ExportConfirmForm

bp = Blueprint("audit_log", __name__, url_prefix="/admin")


def _filter_form() -> AuditFilterForm:
    form = AuditFilterForm(formdata=request.args)
    form.set_choices(
        all_staff(), audit_search.distinct_actions(), audit_search.distinct_object_types()
    )
    return form


def _cursor(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 11 else None


@bp.route("/audit")
@access.roles(Role.ADMIN)
def index():
    form = _filter_form()
    if not form.validate():
        return render_template("practice/audit/index.html", form=form, page=None, chain=None)
    filters = form.filters()
    before, after = _cursor("before"), _cursor("after")
    page = audit_search.search(filters, before=before, after=after, size=audit_search.PAGE_SIZE)
    chain = audit_search.verify_chain() if request.args.get("verify") else None
    detail = {"filters": filters.args(), "shown": len(page.lines)}
    if before or after:
        detail["cursor"] = {"before": before} if before else {"after": after}
    if chain is not None:
        detail["chain_intact"] = chain.intact
    audit.record("audit_viewed", object_type="AuditEvent", detail=detail)
    return render_template(
        "practice/audit/index.html", form=form, page=page, chain=chain, args=filters.args()
    )


@bp.route("/audit.csv", methods=["GET", "POST"])
@access.roles(Role.ADMIN)
def export_csv():
    """The filtered log as CSV, once the administrator has given their password again."""
    form = _filter_form()
    if not form.validate():
        flash(_("Correct the filters before exporting."), "error")
        query = request.query_string.decode()
        return redirect(url_for(".index") + (f"?{query}" if query else ""))
    filters = form.filters()
    confirm = ExportConfirmForm()
    refused = partial(
        audit.record, "audit_export_failed", object_type="AuditEvent", outcome="denied"
    )
    if not export_password_confirmed(confirm, refused):
        return _confirm_page(confirm, filters.args())
    audit.record("audit_exported", object_type="AuditEvent", detail={"filters": filters.args()})
    # Streamed after the request has committed the export's audit event.
    chunks = stream_with_context(audit_search.csv_chunks(filters))
    response = Response(chunks, mimetype="text/csv")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="audit-{utcnow():%Y-%m-%d}.csv"'
    )
    return response


def _confirm_page(form: ExportConfirmForm, args: dict):
    return render_template("practice/audit/export_confirm.html", form=form, query_args=args)
