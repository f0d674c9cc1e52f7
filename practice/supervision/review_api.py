"""API: co-signature (one note, or several with one password), a session's comments, and the
hand-over of a case. The same rules as the pages: the operations decide, the scoping hides."""

from __future__ import annotations

from practice import audit
from practice.accounts.models import Role, StaffMember
from practice.accounts.reauth import api_password_confirmed as password_confirmed
from practice.api.errors import ApiError
from practice.api.routing import ID, body, bp, created, operation, read, saved
from practice.cases import handover
from practice.cases.scoping import session_for_viewer
from practice.core.database import db
from practice.sessions.models import TherapySession
from practice.supervision import comments, cosign
from practice.supervision.review_schemas import (
    AssignmentSchema,
    BatchCosignSchema,
    BatchResultSchema,
    CommentCreatedSchema,
    CommentCreateSchema,
    CommentListSchema,
    CommentSchema,
    CosignSchema,
    ReassignSchema,
    ReviewStateSchema,
)
from practice.web import access


def _state(note: TherapySession) -> dict:
    return ReviewStateSchema().dump(
        {
            "session_id": note.id,
            "review_status": note.review_status,
            "cosigned_by_id": note.cosigned_by_id,
            "cosigned_at": note.cosigned_at,
            "version": note.version,
        }
    )


def _wrong_password(**audit_args) -> ApiError:
    # Kept: an ApiError raised on purpose leaves what the view recorded to the commit.
    audit.record("note_cosign_failed", outcome="denied", **audit_args)
    return ApiError(403, "password_incorrect", "That password is not right; nothing was co-signed.")


@bp.route(f"/sessions/<{ID}:session_id>/cosign", methods=["POST"])
@access.roles(Role.SUPERVISOR)
@operation(
    "Co-sign a signed note",
    tag="Supervision",
    description=(
        "The counsellor's supervisor, with their password; optionally only the note at "
        "``version`` with ``addenda_seen`` addenda, and with a comment. A wrong password is "
        "refused with 403; a note that may not be co-signed with 409."
    ),
    body=CosignSchema,
    returns=ReviewStateSchema,
    errors=(409,),
)
def session_cosign(session_id: int):
    member = access.current_staff()
    note = session_for_viewer(member, session_id)
    data = body()
    if not password_confirmed(member, data["password"]):
        raise _wrong_password(obj=note)
    cosign.cosign_with_comment(
        note,
        member,
        data.get("comment"),
        expected_version=data.get("version"),
        addenda_seen=data.get("addenda_seen"),
    )
    return saved(_state(note))


@bp.route("/review/cosign", methods=["POST"])
@access.roles(Role.SUPERVISOR)
@operation(
    "Co-sign several notes with one password",
    tag="Supervision",
    description=(
        "All or none: each note is co-signed as it stood at its ``version`` with "
        "``addenda_seen`` addenda; if any may not be, none is (409, naming the note)."
    ),
    body=BatchCosignSchema,
    returns=BatchResultSchema,
    errors=(409,),
)
def cosign_batch():
    member = access.current_staff()
    data = body()
    items = [cosign.BatchItem(**note) for note in data["notes"]]
    if not password_confirmed(member, data["password"]):
        raise _wrong_password(detail={"batch": True, "session_ids": [i.session_id for i in items]})
    signed = cosign.cosign_many(member, items)
    return saved({"cosigned": [_state(note) for note in signed]})


def _comment_body(comment: comments.ThreadComment) -> dict:
    return CommentSchema().dump(comment)


@bp.route(f"/sessions/<{ID}:session_id>/comments")
@access.staff
@operation(
    "List a session's comments",
    tag="Supervision",
    description="Top-level comments oldest first, each with its replies.",
    returns=CommentListSchema,
)
def session_comments(session_id: int):
    member = access.current_staff()
    note = session_for_viewer(member, session_id)
    thread = comments.thread(member, note.case_id, note.id)
    payload = {"items": [_comment_body(c) for c in thread]}
    return read(payload, "comments_viewed", obj=note, detail={"page": "api"})


@bp.route(f"/sessions/<{ID}:session_id>/comments", methods=["POST"])
@access.staff
@operation(
    "Comment on a session",
    tag="Supervision",
    description=(
        "Whoever may read the session: its counsellor and their supervisor. Administrators "
        "never write in a case (403)."
    ),
    body=CommentCreateSchema,
    status=201,
    returns=CommentCreatedSchema,
    errors=(409,),
)
def session_comment_create(session_id: int):
    member = access.current_staff()
    note = session_for_viewer(member, session_id)
    if member.role == Role.ADMIN:
        raise ApiError(403, "forbidden", "Administrators do not write in a case.")
    data = body()
    comment = comments.add_comment(
        member, note.case, data["body"], therapy_session=note, parent_id=data.get("parent_id")
    )
    payload = CommentCreatedSchema().dump(comment)
    return created(payload, "practice.api.session_comments", session_id=note.id)


@bp.route(f"/cases/<{ID}:case_id>/reassign", methods=["POST"])
@access.roles(Role.SUPERVISOR, Role.ADMIN)
@operation(
    "Hand a case over to another counsellor",
    tag="Supervision",
    description=(
        "An administrator, or the supervisor of the case's counsellor (within their team), "
        "with a reason kept in the case's history."
    ),
    body=ReassignSchema,
    status=201,
    returns=AssignmentSchema,
    errors=(409,),
)
def case_reassign(case_id: int):
    member = access.current_staff()
    case = handover.case_to_reassign(member, case_id)
    data = body()
    to = db.get(StaffMember, data["to_counsellor_id"])
    record = handover.reassign_case(case, to, member, data["reason"])
    return saved(AssignmentSchema().dump(record), 201)
