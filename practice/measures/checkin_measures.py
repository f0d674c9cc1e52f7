"""Measures a partner answers in a check-in besides the CSI-4 (which keeps its own rhythm,
every fourth check-in): those of the registry marked ``at_checkins``, asked at every check-in,
each all or none. The form's fields and what they give back; ``record_checkin_measures``
stores them as the partner's responses from a check-in (no session)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from practice.core.database import db
from practice.core.errors import Refused
from practice.measures import registry
from practice.measures.configured import measure_registry
from practice.measures.csi4 import CSI4_MEASURE
from practice.measures.models import MeasureResponse
from practice.measures.queries import CHECKIN_SOURCE
from practice.measures.registry import MeasureDefinition, Respondent, Use
from practice.measures.registry_forms import item_field


def checkin_measures(config: Mapping[str, Any]) -> tuple[MeasureDefinition, ...]:
    """The measures asked at every check-in: partner-answered session measures marked
    ``at_checkins``, other than the CSI-4."""
    return tuple(
        d
        for d in measure_registry(config).session_measures
        if d.at_checkins and d.key != CSI4_MEASURE and d.respondent == Respondent.PARTNER
    )


def field_name(index: int, number: int) -> str:
    """The field of item ``number`` of the ``index``-th measure asked."""
    return f"measure{index}_item{number}"


def add_fields(form_class: type, measures: Sequence[MeasureDefinition]) -> None:
    """Give ``form_class`` a field per item of each measure (optional: all or none)."""
    for index, definition in enumerate(measures):
        for item in definition.items:
            setattr(form_class, field_name(index, item.number), item_field(definition, item))


def answered(form: Any, measures: Sequence[MeasureDefinition]) -> tuple[dict, list[str]]:
    """({measure key: answers} of the measures answered in full, [messages for any half
    answered])."""
    found, errors = {}, []
    for index, definition in enumerate(measures):
        values = [form[field_name(index, item.number)].data for item in definition.items]
        if all(v is None for v in values):
            continue
        if any(v is None for v in values):
            errors.append(f"{definition.name}: please answer every line, or leave them all blank.")
            continue
        found[definition.key] = [int(v) if float(v).is_integer() else float(v) for v in values]
    return found, errors


def record_checkin_measures(
    partner_id: int,
    answers: Mapping[str, Sequence[float]],
    measures: Sequence[MeasureDefinition],
    recorded_by_id: int,
    at: datetime,
) -> list[MeasureResponse]:
    """Store a partner's check-in answers to the measures asked; raises Refused for a measure
    not asked or answers out of range (the form has checked them: a tampered post)."""
    by_key = {d.key: d for d in measures if d.use == Use.SESSION}
    responses = []
    for key, items in answers.items():
        definition = by_key.get(key)
        if definition is None:
            raise Refused("That measure is not asked in a check-in.")
        try:
            total = registry.score(definition, list(items))
        except ValueError as error:
            raise Refused(str(error)) from error
        response = MeasureResponse(
            session_id=None,
            partner_id=partner_id,
            measure=key,
            source=CHECKIN_SOURCE,
            items=list(items),
            total=total,
            recorded_by_id=recorded_by_id,
            recorded_at=at,
        )
        db.add(response)
        responses.append(response)
    db.flush()
    return responses
