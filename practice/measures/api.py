"""API: CSI-4 answers per partner per session."""

from __future__ import annotations

from practice.api.routing import ID, body, bp, operation, page_body, paginate_list, read, saved
from practice.api.schemas import PageArgsSchema, page_of
from practice.cases.scoping import session_for_editor, session_for_viewer
from practice.measures import operations, queries
from practice.measures.csi4 import CSI4_CUTOFF, csi4_below_cutoff
from practice.measures.models import MeasureResponse
from practice.measures.schemas import MeasureListSchema, MeasureSchema, MeasuresPutSchema
from practice.sessions.models import TherapySession
from practice.web import access

MeasurePageSchema = page_of(MeasureSchema, "Measure")


def _measure_body(response: MeasureResponse) -> dict:
    values = {
        name: getattr(response, name)
        for name in ("partner_id", "measure", "items", "total", "recorded_by_id", "recorded_at")
    }
    return MeasureSchema().dump({**values, "below_cutoff": csi4_below_cutoff(response.total)})


def _measures(therapy_session: TherapySession) -> list[dict]:
    responses = queries.session_csi4(therapy_session)
    return [_measure_body(responses[partner_id]) for partner_id in sorted(responses)]


@bp.route(f"/sessions/<{ID}:session_id>/measures")
@access.staff
@operation(
    "List the CSI-4 answers recorded at a session",
    tag="Measures",
    description=(
        f"One per partner, with the total and whether it is below the {CSI4_CUTOFF:g} cut-off."
    ),
    query=PageArgsSchema,
    returns=MeasurePageSchema,
)
def measures_list(session_id: int, args: dict):
    therapy_session = session_for_viewer(access.current_staff(), session_id)
    rows, total = paginate_list(_measures(therapy_session), args)
    return read(page_body(rows, total, args), "api_measures_read", obj=therapy_session)


@bp.route(f"/sessions/<{ID}:session_id>/measures", methods=["PUT"])
@access.staff
@operation(
    "Record CSI-4 answers at a session",
    tag="Measures",
    description=(
        "Only the case's counsellor, while the note is a draft: a partner's four item scores; "
        "answers already recorded for the partner at this session are replaced. Answers with "
        "every response recorded at the session. All or nothing: a refused partner keeps none."
    ),
    body=MeasuresPutSchema,
    returns=MeasureListSchema,
    errors=(409,),
)
def measures_put(session_id: int):
    member = access.current_staff()
    therapy_session = session_for_editor(member, session_id)
    answers = [(response["partner_id"], response["items"]) for response in body()["responses"]]
    operations.record_csi4_answers(therapy_session, answers, recorded_by=member)
    return saved({"items": _measures(therapy_session)})
