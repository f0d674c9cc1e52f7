"""API: a couple's cycle map, its revisions, one revision, writing a session's revision, and
what changed between two revisions.

The same rules, scope and audit as the pages: read by whoever may see the case (its
counsellor, their supervisor), written only by its counsellor; a revision whose session note is
signed is refused (409), as the operations refuse it everywhere.
"""

from __future__ import annotations

from practice.api.routing import ID, body, bp, operation, read, saved
from practice.cases.models import Case
from practice.cases.scoping import case_for_editor, case_for_viewer
from practice.core.database import db
from practice.core.errors import NotFound
from practice.formulation import operations, queries, rules
from practice.formulation.models import CycleMapRevision
from practice.formulation.schemas import (
    CycleMapDiffArgsSchema,
    CycleMapDiffSchema,
    CycleMapRevisionListSchema,
    CycleMapRevisionSchema,
    CycleMapSchema,
    CycleMapWriteSchema,
)
from practice.sessions.models import TherapySession
from practice.web import access

TAG = "Cycle map"


def _summary(view: queries.RevisionView) -> dict:
    revision = view.revision
    return {
        "id": revision.id,
        "number": view.number,
        "session_id": revision.session_id,
        "session_starts_at": view.starts_at,
        "locked": view.locked,
        "version": revision.version,
    }


def _revision_body(view: queries.RevisionView) -> dict:
    revision = view.revision
    return {
        **_summary(view),
        "created_by_id": revision.created_by_id,
        "created_at": revision.created_at,
        "updated_at": revision.updated_at,
        "sides": [
            {
                "partner_id": side.partner_id,
                **{name: getattr(side, name) or "" for name in rules.FIELD_NAMES},
                "action_triggers_other": side.action_triggers_other,
                "evidence_moment_ids": [e.moment_id for e in side.evidence],
            }
            for side in revision.sides
        ],
    }


def _map_of(member, case_id: int) -> tuple[Case, queries.CaseMap]:
    case = case_for_viewer(member, case_id)
    return case, queries.case_map(case)


@bp.route(f"/cases/<{ID}:case_id>/cycle-map")
@access.staff
@operation(
    "Read a couple's cycle map",
    tag=TAG,
    description=(
        "The current revision (the latest by session; null before the first) and the "
        "milestones, each with the revision and session it was reached at."
    ),
    returns=CycleMapSchema,
)
def cycle_map_get(case_id: int):
    case, found = _map_of(access.current_staff(), case_id)
    payload = CycleMapSchema().dump(
        {
            "case_id": case.id,
            "revision_count": len(found.revisions),
            "current": _revision_body(found.current) if found.current else None,
            "milestones": [
                {
                    "key": m.milestone.key,
                    "label": m.label,
                    "partner_id": m.milestone.partner_id,
                    "reached": m.milestone.reached,
                    "revision_id": m.milestone.revision_id,
                    "session_id": m.milestone.session_id,
                    "reached_at": m.milestone.starts_at,
                }
                for m in found.milestones
            ],
        }
    )
    return read(payload, "api_cycle_map_read", obj=case)


@bp.route(f"/cases/<{ID}:case_id>/cycle-map/revisions")
@access.staff
@operation(
    "List a cycle map's revisions",
    tag=TAG,
    description="Every revision, oldest first by session, with whether it is locked.",
    returns=CycleMapRevisionListSchema,
)
def cycle_map_revisions(case_id: int):
    case, found = _map_of(access.current_staff(), case_id)
    payload = CycleMapRevisionListSchema().dump(
        {"items": [_summary(view) for view in found.revisions]}
    )
    return read(payload, "api_cycle_map_revisions_read", obj=case)


@bp.route(f"/cycle-map/revisions/<{ID}:revision_id>")
@access.staff
@operation("Read one cycle map revision", tag=TAG, returns=CycleMapRevisionSchema)
def cycle_map_revision(revision_id: int):
    revision = db.get(CycleMapRevision, revision_id)
    if revision is None:
        raise NotFound()
    case, found = _map_of(access.current_staff(), revision.case_id)
    view = found.by_id(revision_id)
    if view is None:  # its session was voided
        raise NotFound()
    payload = CycleMapRevisionSchema().dump(_revision_body(view))
    return read(payload, "api_cycle_map_revision_read", obj=revision, case_id=case.id)


@bp.route(f"/cases/<{ID}:case_id>/cycle-map/sessions/<{ID}:session_id>", methods=["PUT"])
@access.staff
@operation(
    "Write the cycle map revision of a session",
    tag=TAG,
    description=(
        "Only the case's counsellor, for a couple's case. Starts the session's revision from "
        "the previous revision's content when it has none yet, then writes the sides sent "
        "(a partner not sent keeps theirs). Refused (409) when the session's note is signed "
        "(the revision is read-only), on a stale `version`, for a text over 300 characters, or "
        "for an evidence moment that is not one of that partner's tagged moments (underlying "
        "fear named, attachment need expressed, softening) up to the session."
    ),
    body=CycleMapWriteSchema,
    returns=CycleMapRevisionSchema,
    errors=(409,),
)
def cycle_map_save(case_id: int, session_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    therapy_session = db.get(TherapySession, session_id)
    if therapy_session is None or therapy_session.case_id != case.id:
        raise NotFound()
    data = body()
    existing = operations.revision_of_session(therapy_session)
    revision = existing or operations.start_revision(case, therapy_session, actor=member)
    sides = {
        side["partner_id"]: operations.SideData(
            values={name: side[name] for name in rules.FIELD_NAMES},
            triggers_other=side["action_triggers_other"],
            evidence_moment_ids=tuple(side["evidence_moment_ids"]),
        )
        for side in data["sides"]
    }
    operations.save_revision(
        revision,
        sides,
        actor=member,
        version=data["version"] if existing is not None else None,
    )
    view = queries.case_map(case).by_id(revision.id)
    return saved(CycleMapRevisionSchema().dump(_revision_body(view)))


@bp.route(f"/cases/<{ID}:case_id>/cycle-map/diff")
@access.staff
@operation(
    "What changed between two revisions",
    tag=TAG,
    description=(
        "Field by field, per partner: each change's old and new text. By default from the "
        "revision before the current one to the current one (the first revision alone: "
        "against nothing). 404 for a case without revisions or an unknown revision."
    ),
    query=CycleMapDiffArgsSchema,
    returns=CycleMapDiffSchema,
)
def cycle_map_diff(case_id: int, args: dict):
    case, found = _map_of(access.current_staff(), case_id)
    new = found.by_id(args["new"]) if args["new"] is not None else found.current
    if new is None:
        raise NotFound()
    if args["old"] is not None:
        old = found.by_id(args["old"])
        if old is None:
            raise NotFound()
    else:
        old = found.revisions[new.number - 2] if new.number > 1 else None
    changes = rules.diff(old.facts if old else None, new.facts, found.partner_ids)
    payload = CycleMapDiffSchema().dump(
        {
            "old_revision_id": old.id if old else None,
            "new_revision_id": new.id,
            "changes": [
                {
                    "partner_id": c.partner_id,
                    "field": c.name,
                    "label": c.label,
                    "old": c.old,
                    "new": c.new,
                }
                for c in changes
            ],
        }
    )
    return read(payload, "api_cycle_map_diff_read", obj=case)
