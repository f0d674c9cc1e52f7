"""API: a case's break episodes with each teller's account; recording and correcting an account.

The same rules, scope and audit as the pages: read by whoever may see the case, written only by
its counsellor, refusals answered 409 with the fields at fault."""

from __future__ import annotations

from practice.api.routing import ID, body, bp, operation, page_body, paginate_list, read, saved
from practice.api.schemas import PageArgsSchema, page_of
from practice.breaks import operations, queries
from practice.breaks.models import AccountSource, BreakAccount
from practice.breaks.schemas import (
    BreakCreateSchema,
    BreakEpisodeSchema,
    BreakUpdateSchema,
)
from practice.cases.models import Case, Partner
from practice.cases.scoping import case_for_editor, case_for_viewer
from practice.core.database import db
from practice.core.errors import NotFound
from practice.sessions.models import TherapySession
from practice.web import access

BreakEpisodePageSchema = page_of(BreakEpisodeSchema, "BreakEpisode")

_ACCOUNT_FIELDS = (
    "id",
    "told_by_id",
    "source",
    "session_id",
    "checkin_id",
    "called_by_id",
    "called_at",
    "with_script",
    "flooding",
    "heart_rate",
    "promised_return_at",
    "resumed_at",
    "resumed_by_id",
    "with_invitation",
    "outcome",
    "recorded_by_id",
    "recorded_at",
    "updated_at",
    "version",
)


def _episode_body(view: queries.EpisodeView) -> dict:
    return BreakEpisodeSchema().dump(
        {
            "id": view.episode.id,
            "called_by_id": view.episode.called_by_id,
            "called_at": view.episode.called_at,
            "classification": view.kind,
            "chosen_account_id": view.chosen.id,
            "differing": view.differing_names,
            "accounts": [
                {
                    **{name: getattr(a.account, name) for name in _ACCOUNT_FIELDS},
                    "classification": a.kind_key,
                }
                for a in view.accounts
            ],
        }
    )


def _episode_of(case: Case, episode_id: int) -> dict:
    view = next(v for v in queries.case_breaks(case).episodes if v.episode.id == episode_id)
    return _episode_body(view)


@bp.route(f"/cases/<{ID}:case_id>/breaks")
@access.staff
@operation(
    "List a case's breaks",
    tag="Breaks",
    description=(
        "Each break episode, newest first, with every teller's account (each partner's and the "
        "counsellor's own record), its classification by the chosen account, and the fields on "
        "which the accounts differ."
    ),
    query=PageArgsSchema,
    returns=BreakEpisodePageSchema,
)
def breaks_list(case_id: int, args: dict):
    case = case_for_viewer(access.current_staff(), case_id)
    episodes = [_episode_body(view) for view in queries.case_breaks(case).episodes]
    rows, total = paginate_list(episodes, args)
    return read(page_body(rows, total, args), "api_breaks_read", obj=case)


def _partner(case: Case, partner_id: int | None, field: str) -> Partner | None:
    if partner_id is None:
        return None
    partner = db.get(Partner, partner_id)
    if partner is None or partner.case_id != case.id:
        message = "That partner is not in this case."
        raise operations.BreakError(message, fields={field: message})
    return partner


def _data(case: Case, data: dict) -> operations.AccountData:
    called_by = _partner(case, data["called_by_id"], "called_by_id")
    assert called_by is not None
    return operations.AccountData(
        called_by=called_by,
        called_at=data["called_at"],
        with_script=data["with_script"],
        flooding=data["flooding"],
        heart_rate=data["heart_rate"],
        promised_return_at=data["promised_return_at"],
        resumed_at=data["resumed_at"],
        resumed_by=_partner(case, data["resumed_by_id"], "resumed_by_id"),
        with_invitation=data["with_invitation"],
        outcome=data["outcome"],
    )


@bp.route(f"/cases/<{ID}:case_id>/breaks", methods=["POST"])
@access.staff
@operation(
    "Record an account of a break",
    tag="Breaks",
    description=(
        "Only the case's counsellor. Joins the episode of the same break (the same partner "
        "called it, within PRACTICE_BREAK_MATCH_HOURS, 2 h by default) or starts one; answers "
        "the episode. Refused (409) for a return before the call, a return without an outcome "
        "(or `not_resumed` with one), a time to come, or a partner of another case."
    ),
    body=BreakCreateSchema,
    status=201,
    returns=BreakEpisodeSchema,
    errors=(409,),
)
def breaks_create(case_id: int):
    member = access.current_staff()
    case = case_for_editor(member, case_id)
    data = body()
    therapy_session = None
    if data["session_id"] is not None:
        therapy_session = db.get(TherapySession, data["session_id"])
        if therapy_session is None or therapy_session.case_id != case.id:
            message = "That session is not of this case."
            raise operations.BreakError(message, fields={"session_id": message})
    account = operations.record_account(
        case,
        _partner(case, data["told_by_id"], "told_by_id"),
        _data(case, data),
        source=AccountSource.SESSION if therapy_session else AccountSource.COUNSELLOR,
        session=therapy_session,
        actor=member,
    )
    return saved(_episode_of(case, account.episode_id), 201)


@bp.route(f"/breaks/accounts/<{ID}:account_id>", methods=["PUT"])
@access.staff
@operation(
    "Correct an account of a break",
    tag="Breaks",
    description=(
        "Only the case's counsellor; send the account's `version` as last read (another change "
        "since is refused, 409). Answers the episode."
    ),
    body=BreakUpdateSchema,
    returns=BreakEpisodeSchema,
    errors=(409,),
)
def breaks_update(account_id: int):
    member = access.current_staff()
    account = db.get(BreakAccount, account_id)
    if account is None:
        raise NotFound()
    case = case_for_editor(member, account.case_id)
    data = body()
    operations.update_account(account, _data(case, data), actor=member, version=data["version"])
    return saved(_episode_of(case, account.episode_id))
