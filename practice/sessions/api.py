"""API: sessions of a case, their details and DAP notes (guarded by a version), and signing."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import select

from practice import audit
from practice.accounts.reauth import api_password_confirmed
from practice.api.errors import ApiError, refused
from practice.api.routing import ID, body, bp, created, operation, page_body, paginate, read, saved
from practice.api.schemas import PageArgsSchema, page_of
from practice.cases.scoping import (
    case_for_editor,
    case_for_viewer,
    session_for_editor,
    session_for_viewer,
)
from practice.core.database import db
from practice.safety.operations import ScreenMissing, joint_signing_problems
from practice.sessions import operations, sign_check
from practice.sessions.models import TherapySession
from practice.sessions.operations import NOTE_FIELDS, NoteConflict, SessionDetails
from practice.sessions.schemas import (
    BeforeSigningSchema,
    SessionCreateSchema,
    SessionSchema,
    SessionSummarySchema,
    SessionUpdateSchema,
    SignSchema,
)
from practice.web import access

SessionSummaryPageSchema = page_of(SessionSummarySchema, "SessionSummary")
_DETAIL_FIELDS = ("starts_at", "duration_minutes", "modality", "attendee_ids", "eft_stage")


def _session_body(therapy_session: TherapySession) -> dict:
    """The session as the API shows it (attendees and addenda load in one query each)."""
    return SessionSchema().dump(therapy_session)


@bp.route(f"/cases/<{ID}:case_id>/sessions")
@access.staff
@operation(
    "List the sessions of a case",
    tag="Sessions",
    description="Oldest first; voided sessions are left out.",
    query=PageArgsSchema,
    returns=SessionSummaryPageSchema,
)
def sessions_list(case_id: int, args: dict):
    case = case_for_viewer(access.current_staff(), case_id)
    query = select(TherapySession).where(
        TherapySession.case_id == case.id, TherapySession.voided_at.is_(None)
    )
    rows, total = paginate(query.order_by(TherapySession.starts_at, TherapySession.id), args)
    page = page_body(SessionSummarySchema(many=True).dump(rows), total, args)
    return read(page, "api_sessions_listed", obj=case, detail={"count": len(rows)})


@bp.route(f"/cases/<{ID}:case_id>/sessions", methods=["POST"])
@access.staff
@operation(
    "Record a session of a case",
    tag="Sessions",
    description="Only the case's counsellor; the note starts as an empty draft.",
    body=SessionCreateSchema,
    status=201,
    returns=SessionSchema,
    errors=(409,),
)
def session_create(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    data = body()
    if data["attendee_ids"] is None:
        data["attendee_ids"] = [partner.id for partner in case.partners]
    therapy_session = operations.record_session(case, member, _details(data))
    return created(_session_body(therapy_session), ".session_read", session_id=therapy_session.id)


def _details(values: dict) -> SessionDetails:
    return SessionDetails(
        starts_at=values["starts_at"].astimezone(UTC),
        duration_minutes=values["duration_minutes"],
        modality=values["modality"],
        attendee_ids=list(dict.fromkeys(values["attendee_ids"])),
        eft_stage=values["eft_stage"],
        stage_reason=values.get("stage_reason", ""),
    )


@bp.route(f"/sessions/<{ID}:session_id>")
@access.staff
@operation("Read a session with its note and addenda", tag="Sessions", returns=SessionSchema)
def session_read(session_id: int):
    therapy_session = session_for_viewer(access.current_staff(), session_id)
    # The body says whether the note is intact; a changed one is audited as the pages audit it.
    operations.note_intact_audited(therapy_session, "api_session_read")
    return read(_session_body(therapy_session), "api_session_read", obj=therapy_session)


@bp.route(f"/sessions/<{ID}:session_id>", methods=["PATCH"])
@access.staff
@operation(
    "Change a draft session's details or DAP note",
    tag="Sessions",
    description=(
        "Only the case's counsellor, while the note is a draft. Send the `version` you read: if "
        "the session was saved since, nothing is saved and the answer is 409 with "
        "`current_version`."
    ),
    body=SessionUpdateSchema,
    returns=SessionSchema,
    errors=(409,),
)
def session_update(session_id: int):
    therapy_session = session_for_editor(access.current_staff(), session_id)
    data = body()
    details = None
    if any(name in data for name in _DETAIL_FIELDS):
        stored = {
            "starts_at": therapy_session.starts_at,
            "duration_minutes": therapy_session.duration_minutes,
            "modality": therapy_session.modality,
            "attendee_ids": [p.id for p in therapy_session.attendees],
            "eft_stage": therapy_session.eft_stage,
        }
        details = _details({**stored, **data})
    note = None
    if any(name in data for name in NOTE_FIELDS):
        note = {**operations.note_fields(therapy_session), **data}
        note = {name: note[name] for name in NOTE_FIELDS}
    try:
        operations.update_session(therapy_session, details, note, data["version"])
    except NoteConflict:
        raise _conflict(therapy_session) from None
    return saved(_session_body(therapy_session))


def _conflict(therapy_session: TherapySession) -> ApiError:
    """409 with the version to send again (the operation undid its writes)."""
    db.refresh(therapy_session)
    return ApiError(
        409,
        "version_conflict",
        "This session was saved elsewhere since you read it; nothing was saved. Read it again, "
        "then send your change with the current version.",
        current_version=therapy_session.version,
    )


@bp.route(f"/sessions/<{ID}:session_id>/before-signing")
@access.staff
@operation(
    "What a draft lacks before signing",
    tag="Sessions",
    description=(
        "Only the case's counsellor, for a draft: the sign page's list of what was not "
        "recorded (CSI-4 of a partner who attended, adoption levels, empty note parts), and "
        "what refuses signing a joint note without a reason (the safety screens). Signed "
        "notes answer 409."
    ),
    returns=BeforeSigningSchema,
    errors=(409,),
)
def session_before_signing(session_id: int):
    therapy_session = session_for_editor(access.current_staff(), session_id)
    if therapy_session.is_signed:
        raise ApiError(409, "already_signed", "This note is already signed.")
    payload = {
        "missing": sign_check.missing_before_signing(therapy_session),
        "screen_problems": joint_signing_problems(therapy_session),
    }
    return read(
        BeforeSigningSchema().dump(payload), "api_session_sign_check_read", obj=therapy_session
    )


@bp.route(f"/sessions/<{ID}:session_id>/sign", methods=["POST"])
@access.staff
@operation(
    "Sign a draft note",
    tag="Sessions",
    description=(
        "Only the case's counsellor, with their password. A signed note never changes; later "
        "corrections are addenda. A wrong password is refused with 403. A joint note (both "
        "partners of a couple attended) needs a safety screen of each partner within the "
        "practice's window (90 days) before the session and no rescreen due: else refused "
        "(409; the field `override_reason` lists why) unless `override_reason` says why it "
        "is signed anyway."
    ),
    body=SignSchema,
    returns=SessionSchema,
    errors=(409,),
)
def session_sign(session_id: int):
    member = access.current_staff()
    therapy_session = session_for_editor(member, session_id)
    data = body()
    if not api_password_confirmed(member, data["password"]):
        # Kept: an ApiError raised on purpose leaves what the view recorded to the commit.
        audit.record("note_sign_failed", obj=therapy_session, outcome="denied")
        raise ApiError(403, "password_incorrect", "That password is not right; nothing was signed.")
    try:
        operations.sign_note(
            therapy_session,
            member,
            expected_version=data.get("version"),
            override_reason=data.get("override_reason"),
        )
    except NoteConflict:
        raise _conflict(therapy_session) from None
    except ScreenMissing as refusal:
        raise refused(str(refusal), {"override_reason": refusal.problems}) from None
    return saved(_session_body(therapy_session))
