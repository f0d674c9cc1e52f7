"""API: cases and their partners.

Routes load through the viewer's scope and change cases through ``operations``; refusals
propagate to ``practice.api.errors`` (404, or 409 with the current version after a conflict).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from practice.accounts.models import Role
from practice.api.routing import (
    ID,
    body,
    bp,
    created,
    operation,
    page_body,
    paginate,
    read,
    saved,
)
from practice.api.schemas import PageArgsSchema, page_of
from practice.cases import operations
from practice.cases.models import Case, CaseStatus, Partner
from practice.cases.operations import CaseEdit, NewCase, PartnerDetails
from practice.cases.queries import visible_cases
from practice.cases.schemas import (
    CaseCreateSchema,
    CaseListArgsSchema,
    CaseSchema,
    CaseSummarySchema,
    CaseUpdateSchema,
    PartnerCreateSchema,
    PartnerSchema,
)
from practice.cases.scoping import case_for_editor, case_for_viewer
from practice.web import access

CaseSummaryPageSchema = page_of(CaseSummarySchema, "CaseSummary")
PartnerPageSchema = page_of(PartnerSchema, "Partner")

# The status a PATCH asks for, and the change that leads there.
_ACTION_TO = {CaseStatus.PAUSED: "pause", CaseStatus.CLOSED: "close", CaseStatus.ACTIVE: "reopen"}


@bp.route("/cases")
@access.staff
@operation(
    "List the cases you may see",
    tag="Cases",
    description="Your own cases; a supervisor's also include their supervisees'; an admin's all.",
    query=CaseListArgsSchema,
    returns=CaseSummaryPageSchema,
)
def cases_list(args: dict):
    query = visible_cases(access.current_staff())
    if args["status"] != "all":
        query = query.where(Case.status == args["status"])
    rows, total = paginate(query.order_by(Case.reference, Case.id), args)
    page = page_body(CaseSummarySchema(many=True).dump(rows), total, args)
    detail = {"count": len(rows), "page": args["page"], "status": args["status"]}
    return read(page, "api_cases_listed", object_type="Case", detail=detail)


@bp.route("/cases", methods=["POST"])
@access.roles(Role.COUNSELLOR, Role.SUPERVISOR)
@operation(
    "Open a case in your caseload",
    tag="Cases",
    body=CaseCreateSchema,
    status=201,
    returns=CaseSchema,
    errors=(409,),
)
def case_create():
    data = body()
    new_case = NewCase(
        kind=data["kind"],
        opened_on=data["opened_on"],
        presenting_concerns=data["presenting_concerns"],
        goals=data["goals"],
        eft_stage=data["eft_stage"],
        partners=[PartnerDetails(**partner) for partner in data["partners"]],
        stage_reason=data["stage_reason"],
    )
    case = operations.open_case(access.current_staff(), new_case)
    return created(CaseSchema().dump(case), ".case_read", case_id=case.id)


@bp.route(f"/cases/<{ID}:case_id>")
@access.staff
@operation("Read a case with its partners", tag="Cases", returns=CaseSchema)
def case_read(case_id: int):
    case = case_for_viewer(access.current_staff(), case_id)
    return read(CaseSchema().dump(case), "api_case_read", obj=case)


@bp.route(f"/cases/<{ID}:case_id>", methods=["PATCH"])
@access.staff
@operation(
    "Change a case: concerns, goals, stage, referral, partners, status",
    tag="Cases",
    description=(
        "Only the case's counsellor. Send the `version` you read: a stale one is refused with "
        "409 and the current version. A `status` change (pause, close, reopen) needs a "
        "`status_reason`. A stage beyond the confirmed change events needs a `stage_reason`."
    ),
    body=CaseUpdateSchema,
    returns=CaseSchema,
    errors=(409,),
)
def case_update(case_id: int):
    case = case_for_editor(access.current_staff(), case_id)
    data = body()
    operations.update_case(case, _edit(case, data), data["version"])
    target = data.get("status")
    if target is not None and target != case.status:
        reason = data.get("status_reason", "")
        operations.change_status(case, _ACTION_TO[CaseStatus(target)], reason)
    return saved(CaseSchema().dump(case))


def _edit(case: Case, data: dict) -> CaseEdit:
    """The stored values with those the request sends laid over them. A partner of another
    case is passed on as it is sent, for ``update_case`` to refuse."""
    stored = operations.editable_values(case)
    partners = dict(stored.partners)
    for change in data.get("partners", []):
        sent = {name: value for name, value in change.items() if name != "id"}
        before = partners.get(change["id"], PartnerDetails(display_name=""))
        partners[change["id"]] = replace(before, **sent)
    fields = {name: data[name] for name in operations.CASE_EDIT_FIELDS if name in data}
    return replace(stored, **fields, partners=partners, stage_reason=data.get("stage_reason", ""))


@bp.route(f"/cases/<{ID}:case_id>/partners")
@access.staff
@operation(
    "List the people in a case", tag="Cases", query=PageArgsSchema, returns=PartnerPageSchema
)
def partners_list(case_id: int, args: dict):
    case = case_for_viewer(access.current_staff(), case_id)
    query = select(Partner).where(Partner.case_id == case.id)
    rows, total = paginate(query.order_by(Partner.position, Partner.id), args)
    page = page_body(PartnerSchema(many=True).dump(rows), total, args)
    return read(page, "api_partners_read", obj=case, detail={"count": len(rows)})


@bp.route(f"/cases/<{ID}:case_id>/partners", methods=["POST"])
@access.staff
@operation(
    "Add a person to a case",
    tag="Cases",
    description="Only the case's counsellor; a couple has two partners, a family up to six.",
    body=PartnerCreateSchema,
    status=201,
    returns=PartnerSchema,
    errors=(409,),
)
def partner_create(case_id: int):
    case = case_for_editor(access.current_staff(), case_id)
    partner = operations.add_partner(case, PartnerDetails(**body()))
    return saved(PartnerSchema().dump(partner), 201)
