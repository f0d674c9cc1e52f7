"""API: a case's check-in links (issue, revoke, list) and its check-ins (list), with the same
scope, rules and audit as the pages."""

from __future__ import annotations

from practice.api.routing import ID, body, bp, operation, page_body, paginate_list, read, saved
from practice.api.schemas import PageArgsSchema, page_of
from practice.cases.scoping import case_for_editor, case_for_viewer, may_read_case
from practice.checkins import operations, queries
from practice.checkins.links import checkin_url
from practice.checkins.models import Checkin, CheckinLink
from practice.checkins.schemas import (
    CheckinLinkIssueSchema,
    CheckinLinkSchema,
    CheckinSchema,
    IssuedCheckinLinkSchema,
)
from practice.core.database import db, utcnow
from practice.core.errors import NotFound
from practice.web import access
from practice.web.access import Sensitivity

CheckinLinkPageSchema = page_of(CheckinLinkSchema, "CheckinLink")
CheckinPageSchema = page_of(CheckinSchema, "Checkin")

_LINK_FIELDS = (
    "id",
    "partner_id",
    "issued_by_id",
    "issued_at",
    "expires_at",
    "used_at",
    "revoked_at",
)


def _link_body(link: CheckinLink, url: str | None = None) -> dict:
    values = {name: getattr(link, name) for name in _LINK_FIELDS}
    values["state"] = link.state(utcnow())
    if url is None:
        return CheckinLinkSchema().dump(values)
    return IssuedCheckinLinkSchema().dump({**values, "url": url})


def _checkin_body(checkin: Checkin, show_safety: bool) -> dict:
    values = {
        name: getattr(checkin, name)
        for name in (
            "id",
            "partner_id",
            "number",
            "submitted_at",
            "pattern_count",
            "hardest_moment",
            "felt_afraid",
            "csi4_response_id",
        )
    }
    if not show_safety:
        values["felt_afraid"] = None
    values["breaks"] = [
        {"called_by": b.called_by, "with_script": b.with_script, "returned": b.returned}
        for b in checkin.breaks
    ]
    values["scripts"] = [
        {
            "assignment_id": a.assignment_id,
            "used_by_me": a.used_by_me,
            "used_by_partner": a.used_by_partner,
        }
        for a in checkin.script_answers
    ]
    return CheckinSchema().dump(values)


@bp.route(f"/cases/<{ID}:case_id>/checkin-links")
@access.staff
@operation(
    "List a case's check-in links",
    tag="Check-ins",
    description=(
        "Every link issued in the case, newest first: for whom, when issued, until when it is "
        "valid, when used or revoked. Never the token."
    ),
    query=PageArgsSchema,
    returns=CheckinLinkPageSchema,
)
def checkin_links_list(case_id: int, args: dict):
    case = case_for_viewer(access.current_staff(), case_id)
    rows, total = paginate_list([_link_body(link) for link in queries.links_of_case(case)], args)
    return read(page_body(rows, total, args), "api_checkin_links_read", obj=case)


@bp.route(f"/cases/<{ID}:case_id>/checkin-links", methods=["POST"])
@access.staff
@operation(
    "Issue a check-in link for a partner",
    tag="Check-ins",
    description=(
        "Only the case's counsellor, not for a closed case. The answer holds the address to "
        "hand over (`url`), given this once; the link opens one check-in, without an account, "
        "until it expires (7 days unless the practice set otherwise)."
    ),
    body=CheckinLinkIssueSchema,
    status=201,
    returns=IssuedCheckinLinkSchema,
    errors=(409,),
)
def checkin_link_issue(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    token, link = operations.issue_link(case, body()["partner_id"], member)
    return saved(_link_body(link, checkin_url(token)), 201)


@bp.route(f"/checkin-links/<{ID}:link_id>/revoke", methods=["POST"])
@access.staff
@operation(
    "Revoke a check-in link",
    tag="Check-ins",
    description="Only the case's counsellor; refused (409) for a link used or revoked already.",
    returns=CheckinLinkSchema,
    errors=(409,),
)
def checkin_link_revoke(link_id: int):
    member = access.current_staff()
    link = db.get(CheckinLink, link_id)
    if link is None:
        raise NotFound()
    case = case_for_editor(member, link.case_id)
    return saved(_link_body(operations.revoke_link(case, link.id, member)))


@bp.route(f"/cases/<{ID}:case_id>/checkins")
@access.staff
@operation(
    "List a case's check-ins",
    tag="Check-ins",
    description=(
        "What each partner sent through their links, newest first. Each partner's check-in is "
        "theirs: it is never shown to the other partner nor put in a client or referrer report. "
        "`felt_afraid` is safety data: null for anyone but the case's counsellor and their "
        "supervisor."
    ),
    query=PageArgsSchema,
    returns=CheckinPageSchema,
)
def checkins_list(case_id: int, args: dict):
    member = access.current_staff()
    case = case_for_viewer(member, case_id)
    show_safety = may_read_case(member, case, Sensitivity.SAFETY)
    bodies = [_checkin_body(c, show_safety) for c in queries.checkins_of_case(case)]
    rows, total = paginate_list(bodies, args)
    return read(
        page_body(rows, total, args), "api_checkins_read", obj=case, detail={"count": len(rows)}
    )
