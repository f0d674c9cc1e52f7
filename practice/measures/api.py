"""API: CSI-4 answers per partner per session, a case's CSI-4 change from baseline, and each
partner's consent to share their scores."""

from __future__ import annotations

from flask import current_app

from practice.api.routing import (
    ID,
    body,
    bp,
    operation,
    page_body,
    paginate_list,
    read,
    saved,
)
from practice.api.schemas import PageArgsSchema, page_of
from practice.cases.models import Case
from practice.cases.scoping import (
    case_for_editor,
    case_for_viewer,
    session_for_editor,
    session_for_viewer,
)
from practice.measures import change, operations, queries, sharing
from practice.measures.csi4 import CSI4_CUTOFF, csi4_below_cutoff
from practice.measures.models import MeasureResponse, ScoreSharingConsent
from practice.measures.schemas import (
    Csi4ChangeSchema,
    MeasureListSchema,
    MeasureSchema,
    MeasuresPutSchema,
    ScoreConsentGiveSchema,
    ScoreConsentSchema,
    ScoreConsentWithdrawSchema,
)
from practice.measures.settings import reliable_change_index
from practice.sessions.models import TherapySession
from practice.web import access

MeasurePageSchema = page_of(MeasureSchema, "Measure")
ScoreConsentPageSchema = page_of(ScoreConsentSchema, "ScoreConsent")


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


# --- CSI-4 change from baseline ------------------------------------------------------------------


def _change_body(case: Case, case_change: change.CaseChange) -> dict:
    partners = []
    for partner in case_change.partners:
        judged = partner.change
        partners.append(
            {
                "partner_id": partner.partner_id,
                "readings": judged.readings if judged else 0,
                "baseline": judged.baseline if judged else None,
                "baseline_at": partner.baseline_at,
                "latest": judged.latest if judged else None,
                "latest_at": partner.latest_at,
                "best": judged.best if judged else None,
                "change": judged.change if judged else None,
                "category": judged.category if judged else None,
                "label": judged.label if judged else None,
                "explanation": partner.explanation(case_change.rci) if judged else None,
                "slide": judged.slide if judged else None,
                "below_cutoff": judged.below_cutoff if judged else None,
            }
        )
    return Csi4ChangeSchema().dump(
        {
            "case_id": case.id,
            "kind": case.kind,
            "reliable_change_index": case_change.rci,
            "cutoff": case_change.cutoff,
            "partners": partners,
            "couple": case_change.couple,
            "couple_label": case_change.couple_label,
            "no_couple_reason": case_change.no_couple_reason,
        }
    )


@bp.route(f"/cases/<{ID}:case_id>/csi4-change")
@access.staff
@operation(
    "Read a case's CSI-4 change from each partner's baseline",
    tag="Measures",
    description=(
        "Each partner's latest CSI-4 total against their first, judged by reliable change "
        "(Jacobson & Truax) with the practice's reliable-change index: recovered (up by at "
        f"least the index and from below the {CSI4_CUTOFF:g} cut-off to at or above it), "
        "improved, unchanged, deteriorated, or baseline only; a slide when the latest is the "
        "index or more below the best so far. A couple is also classified as a pair (both "
        "improved … divergent); individual and family cases are not, and say why. Read-only."
    ),
    returns=Csi4ChangeSchema,
)
def csi4_change_read(case_id: int):
    case = case_for_viewer(access.current_staff(), case_id)
    case_change = change.case_change(case, reliable_change_index(current_app.config))
    return read(_change_body(case, case_change), "api_csi4_change_read", obj=case)


# --- Consent to share scores ---------------------------------------------------------------------


def _consent_body(record: ScoreSharingConsent) -> dict:
    values = {
        name: getattr(record, name)
        for name in (
            "id",
            "partner_id",
            "audience",
            "given_on",
            "recorded_by_id",
            "recorded_at",
            "withdrawn_on",
            "withdrawal_by_id",
            "withdrawal_at",
        )
    }
    return ScoreConsentSchema().dump({**values, "in_force": sharing.is_in_force(record)})


@bp.route(f"/cases/<{ID}:case_id>/score-consents")
@access.staff
@operation(
    "List the consents to share each partner's CSI-4 scores",
    tag="Measures",
    description=(
        "Every consent recorded in the case, withdrawn ones included (none is ever deleted), "
        "by partner, audience and date. A partner's scores are shown to the other partner (the "
        "joint client report) or a referrer (the referrer report) only on days their consent "
        "to it is in force: from the day it was given until the day before its withdrawal."
    ),
    query=PageArgsSchema,
    returns=ScoreConsentPageSchema,
)
def score_consents_list(case_id: int, args: dict):
    case = case_for_viewer(access.current_staff(), case_id)
    records = [_consent_body(record) for record in sharing.consents_of_case(case)]
    rows, total = paginate_list(records, args)
    detail = {"count": len(rows)}
    return read(page_body(rows, total, args), "api_score_consents_read", obj=case, detail=detail)


@bp.route(f"/cases/<{ID}:case_id>/score-consents", methods=["POST"])
@access.staff
@operation(
    "Record a partner's consent to share their CSI-4 scores",
    tag="Measures",
    description=(
        "Only the case's counsellor. Dated the day the partner gave it: not before the case "
        "opened, not after today, not before their last withdrawal. Refused (409) while a "
        "consent to the same audience is in force, and for `partner` in an individual case."
    ),
    body=ScoreConsentGiveSchema,
    status=201,
    returns=ScoreConsentSchema,
    errors=(409,),
)
def score_consent_give(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    data = body()
    record = operations.give_score_consent(
        case, data["partner_id"], data["audience"], data["given_on"], member
    )
    return saved(_consent_body(record), 201)


@bp.route(f"/cases/<{ID}:case_id>/score-consents/withdraw", methods=["POST"])
@access.staff
@operation(
    "Withdraw a partner's consent to share their CSI-4 scores",
    tag="Measures",
    description=(
        "Only the case's counsellor. Dated the day the partner withdrew it (not before it was "
        "given, not after today): from that day on the scores are not shared. The consent is "
        "kept, with its withdrawal. Refused (409) when no consent to that audience is in force."
    ),
    body=ScoreConsentWithdrawSchema,
    returns=ScoreConsentSchema,
    errors=(409,),
)
def score_consent_withdraw(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    data = body()
    record = operations.withdraw_score_consent(
        case, data["partner_id"], data["audience"], data["withdrawn_on"], member
    )
    return saved(_consent_body(record))
