"""API: the practice's measure registry, and answers to any of its session measures."""

from __future__ import annotations

from flask import current_app, jsonify
from sqlalchemy import select

from practice.api.routing import ID, body, bp, operation, read, saved
from practice.cases.scoping import session_for_editor, session_for_viewer
from practice.core.database import db
from practice.measures import registry
from practice.measures.configured import Registry, measure_registry
from practice.measures.models import MeasureResponse
from practice.measures.recording import record_measure
from practice.measures.registry import MeasureDefinition
from practice.measures.registry_schemas import (
    MeasureRegistrySchema,
    MeasureResponseInSchema,
    MeasureResponseListSchema,
    MeasureResponseSchema,
)
from practice.sessions.models import TherapySession
from practice.web import access


def definition_body(definition: MeasureDefinition) -> dict:
    """A definition as the API gives it: licensed wording left out."""
    hidden = definition.wording_licensed
    items = [
        {
            "number": item.number,
            "wording": None if hidden else item.wording,
            "minimum": item.minimum,
            "maximum": item.maximum,
            "reverse": item.reverse,
            "anchors": [{"value": a.value, "label": a.label} for a in item.anchors],
        }
        for item in definition.items
    ]
    values = {
        name: getattr(definition, name)
        for name in [
            "key",
            "name",
            "stem",
            "scoring",
            "direction",
            "min_total",
            "max_total",
            "cutoff",
            "cutoff_meaning",
            "reliable_change",
            "respondent",
            "decimals",
            "use",
            "alliance_threshold",
            "at_checkins",
            "licence",
            "wording_licensed",
            "citation",
            "shipped",
        ]
    }
    return {**values, "items": items}


@bp.route("/measures/registry")
@access.staff
@operation(
    "List the measures the practice uses",
    tag="Measures",
    description=(
        "The registry: the shipped measures (CSI-4, CSI-16, HITS) and those the practice adds "
        "by configuration (PRACTICE_MEASURES_FILE), with items, anchors, scoring, range, "
        "direction, cut-off, reliable-change index, who answers and licence. The wording of a "
        "measure under licence (``wording_licensed``) is null. Holds no clinical data."
    ),
    returns=MeasureRegistrySchema,
)
def measure_registry_read():
    measures = measure_registry(current_app.config)
    return jsonify(
        MeasureRegistrySchema().dump({"items": [definition_body(d) for d in measures.definitions]})
    )


def _response_body(response: MeasureResponse, measures: Registry) -> dict:
    definition = measures.get(response.measure)
    values = {
        name: getattr(response, name)
        for name in ("partner_id", "measure", "items", "total", "recorded_by_id", "recorded_at")
    }
    known = definition is not None
    return MeasureResponseSchema().dump(
        {
            **values,
            "reading": registry.reading(definition, response.total) if known else "",
            "in_concern": registry.in_concern(definition, response.total) if known else False,
        }
    )


def _responses(therapy_session: TherapySession, measures: Registry) -> list[dict]:
    responses = db.scalars(
        select(MeasureResponse)
        .where(MeasureResponse.session_id == therapy_session.id)
        .order_by(MeasureResponse.measure, MeasureResponse.partner_id)
    )
    return [_response_body(response, measures) for response in responses]


@bp.route(f"/sessions/<{ID}:session_id>/measure-responses")
@access.staff
@operation(
    "List the answers to every measure recorded at a session",
    tag="Measures",
    description="Each partner's answers and total on each measure, read against its cut-off.",
    returns=MeasureResponseListSchema,
)
def measure_responses_list(session_id: int):
    therapy_session = session_for_viewer(access.current_staff(), session_id)
    measures = measure_registry(current_app.config)
    payload = {"items": _responses(therapy_session, measures)}
    return read(payload, "api_measures_read", obj=therapy_session)


@bp.route(f"/sessions/<{ID}:session_id>/measure-responses", methods=["POST"])
@access.staff
@operation(
    "Record a partner's answers to a measure at a session",
    tag="Measures",
    description=(
        "Only the case's counsellor, while the note is a draft: any session measure of the "
        "registry (not HITS: the safety screen records it). Answers already recorded for the "
        "partner on that measure at this session are replaced. Refused (409) for a measure "
        "the practice does not use, a partner of another case, or answers outside the items' "
        "ranges or with more decimals than the measure allows."
    ),
    body=MeasureResponseInSchema,
    returns=MeasureResponseSchema,
    errors=(409,),
)
def measure_response_record(session_id: int):
    member = access.current_staff()
    therapy_session = session_for_editor(member, session_id)
    data = body()
    measures = measure_registry(current_app.config)
    response = record_measure(
        therapy_session,
        data["partner_id"],
        data["measure"],
        data["items"],
        measures,
        recorded_by=member,
    )
    return saved(_response_body(response, measures))
