"""API: a case's safety screens (list and record), readable only by the case's counsellor and
their supervisor, recorded only by the counsellor; every read audited by ids only."""

from __future__ import annotations

from flask import abort

from practice.api.routing import ID, body, bp, operation, page_body, paginate_list, read, saved
from practice.api.schemas import PageArgsSchema
from practice.cases.scoping import can_edit, case_for_viewer
from practice.safety import operations, screening
from practice.safety.models import SafetyScreen
from practice.safety.schemas import SafetyScreenInSchema, SafetyScreenListSchema, SafetyScreenSchema
from practice.web import access
from practice.web.access import Sensitivity

_WHO = (
    "Only the case's counsellor and their supervisor may read screens (administrators and "
    "anyone else: 403); "
)


def _screen_values(screen: SafetyScreen) -> dict:
    values = {
        name: getattr(screen, name)
        for name in (
            "id",
            "partner_id",
            "screened_on",
            "items",
            "total",
            "afraid",
            "decision",
            "recorded_by_id",
            "recorded_at",
        )
    }
    return {**values, "positive": screening.hits_positive(screen.total)}


def _screen_body(screen: SafetyScreen) -> dict:
    return SafetyScreenSchema().dump(_screen_values(screen))


@bp.route(f"/cases/<{ID}:case_id>/safety-screens")
@access.sensitive(Sensitivity.SAFETY)
@operation(
    "List a case's safety screens",
    tag="Safety",
    description=(
        _WHO + "newest first, with the rescreens due. A joint note is signed only with a "
        "screen of each partner within the practice's window before the session."
    ),
    query=PageArgsSchema,
    returns=SafetyScreenListSchema,
)
def safety_screens_list(case_id: int, args: dict):
    case = case_for_viewer(access.current_staff(), case_id, Sensitivity.SAFETY)
    screens = [_screen_values(screen) for screen in operations.screens_of_case(case.id)]
    rows, total = paginate_list(screens, args)
    payload = page_body(rows, total, args)
    payload["open_rescreens"] = [
        {
            "id": due.id,
            "partner_id": due.partner_id,
            "reason": due.reason,
            "due_since": due.due_since,
        }
        for due in operations.open_rescreens(case.id)
    ]
    payload = SafetyScreenListSchema().dump(payload)
    return read(payload, "api_safety_screens_read", obj=case, detail={"count": len(rows)})


@bp.route(f"/cases/<{ID}:case_id>/safety-screens", methods=["POST"])
@access.sensitive(Sensitivity.SAFETY)
@operation(
    "Record a partner's safety screen",
    tag="Safety",
    description=(
        "Only the case's counsellor (their supervisor: 403). HITS answers, the fear question "
        "and the decision; dated not before the case opened nor after today. Closes the "
        "partner's rescreens due on or before that day."
    ),
    body=SafetyScreenInSchema,
    status=201,
    returns=SafetyScreenSchema,
    errors=(409,),
)
def safety_screen_create(case_id: int):
    member = access.current_staff()
    case = case_for_viewer(member, case_id, Sensitivity.SAFETY)
    if not can_edit(member, case):
        abort(403)
    data = body()
    screen = operations.record_screen(
        case,
        data["partner_id"],
        data["items"],
        data["afraid"],
        data["decision"],
        data["screened_on"],
        member,
    )
    return saved(_screen_body(screen), 201)
