"""The JSON API's schemas of this area: requests it accepts and answers it gives."""

from __future__ import annotations

from marshmallow import fields

from practice.api.schemas import (
    Choice,
    Day,
    Id,
    In,
    Items,
    Out,
    PageArgsSchema,
    Text,
    Timestamp,
    eft_stage_field,
    nullable,
    stage_reason_field,
    version_field,
)
from practice.cases.models import CaseKind, CaseStatus, CycleRole
from practice.cases.operations import (
    MAX_NAME_LENGTH,
    MAX_PARTNERS,
    MAX_PRONOUNS_LENGTH,
    MAX_REASON_LENGTH,
    MAX_REFERRER_NAME_LENGTH,
    MAX_REFERRER_ORGANISATION_LENGTH,
    MAX_TEXT_LENGTH,
)

# --- Cases and partners ----------------------------------------------------------------------


class PartnerSchema(Out):
    id = fields.Integer()
    display_name = fields.String()
    pronouns = nullable(fields.String)
    cycle_role = Choice(CycleRole)
    position = fields.Integer()


def _partner_name(**kw) -> Text:
    return Text(min_length=1, max_length=MAX_NAME_LENGTH, **kw)


def _pronouns(**kw) -> Text:
    return Text(max_length=MAX_PRONOUNS_LENGTH, allow_none=True, **kw)


class PartnerCreateSchema(In):
    display_name = _partner_name(required=True)
    pronouns = _pronouns(load_default=None)
    cycle_role = Choice(CycleRole, load_default=CycleRole.UNCLEAR.value)


class PartnerEditSchema(In):
    """A partner of the case, by id; fields left out keep their values."""

    id = Id(required=True)
    display_name = _partner_name()
    pronouns = _pronouns()
    cycle_role = Choice(CycleRole)


class CaseSummarySchema(Out):
    id = fields.Integer()
    reference = fields.String()
    kind = Choice(CaseKind)
    status = Choice(CaseStatus)
    opened_on = fields.Date()
    closed_on = nullable(fields.Date)
    eft_stage = nullable(fields.Integer)
    counsellor_id = fields.Integer()


class CaseSchema(CaseSummarySchema):
    status_reason = nullable(fields.String)
    presenting_concerns = fields.String()
    goals = fields.String()
    referrer_name = fields.String(metadata={"description": "Who referred the case, if anyone."})
    referrer_organisation = fields.String()
    referral_question = fields.String(metadata={"description": "What the referrer asked."})
    version = fields.Integer(metadata={"description": "Send it back with a PATCH."})
    created_at = Timestamp()
    updated_at = Timestamp()
    partners = fields.List(fields.Nested(PartnerSchema))


def _case_text(**kw) -> Text:
    return Text(max_length=MAX_TEXT_LENGTH, **kw)


class CaseCreateSchema(In):
    kind = Choice(CaseKind, load_default=CaseKind.COUPLE.value)
    opened_on = Day(required=True, metadata={"description": "Not in the future."})
    presenting_concerns = _case_text(load_default="")
    goals = _case_text(load_default="")
    eft_stage = eft_stage_field(load_default=None)
    stage_reason = stage_reason_field()
    partners = Items(
        fields.Nested(PartnerCreateSchema),
        1,
        MAX_PARTNERS,
        required=True,
        metadata={"description": "A couple has two partners, an individual one, a family 2–6."},
    )


class CaseUpdateSchema(In):
    """Fields left out keep their values; ``status`` changes need a ``status_reason``."""

    version = version_field(required=True)
    presenting_concerns = _case_text()
    goals = _case_text()
    eft_stage = eft_stage_field()
    stage_reason = stage_reason_field()
    referrer_name = Text(max_length=MAX_REFERRER_NAME_LENGTH)
    referrer_organisation = Text(max_length=MAX_REFERRER_ORGANISATION_LENGTH)
    referral_question = _case_text()
    partners = Items(fields.Nested(PartnerEditSchema), None, MAX_PARTNERS)
    status = Choice(CaseStatus, metadata={"description": "Pause, close or reopen the case."})
    status_reason = Text(min_length=1, max_length=MAX_REASON_LENGTH)


class CaseListArgsSchema(PageArgsSchema):
    status = Choice([*CaseStatus, "all"], load_default="all")
