"""The live-session mode: one screen to tag cycle moments while the session runs.

The screen is HTML; taps, undo and the state are JSON. The JSON routes answer every error as
``{"error": {"code", "message", "fields"}}`` so the page's script can show it, and this
blueprint's error handlers are the one place that translates: HTTP errors (policy, scope, CSRF,
a malformed body) by their status; the operations' refusals (``practice.core.errors``) as 409
"note_signed" for a signed note, 400 "invalid" with the inputs at fault for any other refusal,
404 "not_found" and 409 "conflict". The screen's own errors are pages, as everywhere else.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.exceptions import HTTPException

from practice import audit
from practice.cases import scoping
from practice.cases.models import Case
from practice.core.database import utcnow
from practice.core.errors import Conflict, NotFound, PracticeError
from practice.core.i18n import _
from practice.core.unit_of_work import rollback_request
from practice.moments import answers, operations, vocabulary
from practice.moments.balance import MIN_SHARE_LOAD, VALENCE_LABELS, SessionTally
from practice.moments.interaction import OUTCOME_LABELS
from practice.sessions.models import TherapySession
from practice.sessions.signed_notes import NoteSigned
from practice.web import access
from practice.web.error_pages import audit_refusal, refusal_page, render_error
from practice.web.localisation import local_time_of_day
from practice.web.refusals import refusal_flashed

bp = Blueprint("live", __name__)

_JSON_ENDPOINTS = frozenset(
    {"practice.live.tag", "practice.live.undo", "practice.live.state", "practice.live.outcome"}
)
_ERROR_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "not_allowed"}
_MESSAGES = {
    403: "You cannot tag moments in this session.",
    404: "This session was not found, or it is not yours to see.",
}


def _json_error(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return jsonify(body), status


def _handle_http(error: HTTPException):
    """JSON for the JSON routes (policy, scope and CSRF refusals included), HTML otherwise;
    refused access is audited either way."""
    status = error.code or 500
    audit_refusal(status)
    if request.endpoint not in _JSON_ENDPOINTS:
        return render_error(status, error.description if status == 400 else None)
    message = _MESSAGES.get(status) or (error.description if status == 400 else error.name)
    return _json_error(status, _ERROR_CODES.get(status, "error"), message)


def _handle_refusal(error: PracticeError):
    """An operation refused a tap or an undo: nothing of the request is kept, and the script is
    told why (the screen's refusals are pages)."""
    if request.endpoint not in _JSON_ENDPOINTS:
        return refusal_page(error)
    rollback_request()
    if isinstance(error, NotFound):
        audit_refusal(404)
        return _json_error(404, "not_found", _MESSAGES[404])
    if isinstance(error, NoteSigned):
        return _json_error(409, "note_signed", str(error))
    if isinstance(error, Conflict):
        return _json_error(409, "conflict", str(error))
    return _json_error(400, "invalid", str(error), error.fields)


def _handle_server_error(_error: Exception):
    rollback_request()
    if request.endpoint not in _JSON_ENDPOINTS:
        return render_error(500)
    return _json_error(500, "server_error", "Something went wrong; the tap was not saved.")


# Code-specific handlers: Flask tries them before any class-based one, on every blueprint.
for _code in _ERROR_CODES:
    bp.register_error_handler(_code, _handle_http)
bp.register_error_handler(PracticeError, _handle_refusal)
bp.register_error_handler(500, _handle_server_error)


def _tally_json(tally: SessionTally) -> dict:
    """The tally as the script shows it: moments per valence, the two loads, the share (the
    same figures, under the same names, as the Moments tab's ``session_tally``)."""
    return {
        "escalating": tally.escalating,
        "deescalating": tally.deescalating,
        "neutral": tally.neutral,
        "escalating_load": tally.balance.escalating,
        "deescalating_load": tally.balance.deescalating,
        "deescalation_share": tally.deescalation_share,
    }


def _columns(case: Case) -> list[dict]:
    """The grid's columns: each partner with the digit that selects it, and "Both" on 0
    (between the two partners of a couple, after a family's members)."""
    columns = [
        {
            "partner_id": p.id,
            "name": p.display_name,
            "key": str(n) if n <= 9 else None,
            "position": p.position,
        }
        for n, p in enumerate(case.partners, start=1)
    ]
    together = {
        "partner_id": None,
        "name": operations.together_label(case.kind),
        "key": "0",
        "position": None,
    }
    if len(columns) == 2:
        columns.insert(1, together)
    elif len(columns) > 2:
        columns.append(together)
    return columns


# A valence group longer than this is split into near-equal tables, so the tables flow into the
# screen's columns (two on a tablet in portrait, three in landscape) and every button fits on the
# first screen.
GRID_ROWS = 6


def grid_blocks(groups: list[tuple[str, str, list]], max_rows: int = GRID_ROWS) -> list[dict]:
    """The tables of the tagging grid: each valence group in ``ceil(n / max_rows)`` parts of
    near-equal length (11 types in 6 and 5, 8 in 4 and 4), the parts after the first marked as
    continued."""
    blocks = []
    for valence, words, types in groups:
        parts = max(1, -(-len(types) // max_rows))
        size, extra = divmod(len(types), parts)
        start = 0
        for n in range(parts):
            end = start + size + (1 if n < extra else 0)
            blocks.append(
                {"valence": valence, "words": words, "types": types[start:end], "continued": n > 0}
            )
            start = end
    return blocks


def _recent(therapy_session: TherapySession) -> list[dict]:
    """The latest moments of the session, newest first, as the screen lists them."""
    kind = therapy_session.case.kind
    return [operations.moment_summary(m, kind) for m in operations.recent_moments(therapy_session)]


# The clock runs from an hour before the planned start to an hour after the planned end; a draft
# opened days later shows "Ended" rather than thousands of minutes.
CLOCK_WINDOW_SECONDS = 3600


def _clock_text(seconds: int, duration_minutes: int) -> str:
    """mm:ss of the session clock (a minus sign before the start), or a word outside it."""
    if seconds < -CLOCK_WINDOW_SECONDS:
        return "Not started"
    if seconds > duration_minutes * 60 + CLOCK_WINDOW_SECONDS:
        return "Ended"
    sign = "−" if seconds < 0 else ""
    minutes, rest = divmod(abs(seconds), 60)
    return f"{sign}{minutes:02d}:{rest:02d}"


def _clock(therapy_session: TherapySession) -> dict:
    now = utcnow()
    elapsed = int((now - therapy_session.starts_at).total_seconds())
    return {
        "elapsed": elapsed,
        "text": _clock_text(elapsed, therapy_session.duration_minutes),
        "minute": operations.live_minute(
            therapy_session.starts_at, therapy_session.duration_minutes, now
        ),
        "window": CLOCK_WINDOW_SECONDS,
    }


@bp.route("/sessions/<int:session_id>/live")
@access.staff
def screen(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    case = therapy_session.case
    columns = _columns(case)
    types = vocabulary.active_types()
    audit.record("live_viewed", obj=therapy_session)
    return render_template(
        "practice/live/screen.html",
        therapy_session=therapy_session,
        case=case,
        can_edit=True,
        columns=columns,
        # The keyboard starts on the first partner: "Both" is the rarer target, and a tap meant
        # for one partner and saved for both is the harder mistake to notice.
        default_key="1",
        blocks=grid_blocks(vocabulary.group_by_valence(types)),
        shortcuts=vocabulary.live_shortcuts([(t.id, t.shortcut) for t in types]),
        valence_labels=VALENCE_LABELS,
        min_share_load=MIN_SHARE_LOAD,
        tally=operations.session_tally(therapy_session),
        recent=_recent(therapy_session),
        clock=_clock(therapy_session),
        undo_key=vocabulary.UNDO_KEY,
        answer_key=vocabulary.ANSWER_KEY,
        outcome_labels=OUTCOME_LABELS,
        break_key=vocabulary.BREAK_KEY,
    )


@bp.route("/sessions/<int:session_id>/live/start", methods=["POST"])
@access.staff
def start(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    with refusal_flashed():
        operations.start_clock(therapy_session, utcnow())
        flash(
            _("Clock started at %(time)s.", time=local_time_of_day(therapy_session.starts_at)),
            "success",
        )
    return redirect(url_for(".screen", session_id=session_id))


@bp.route("/sessions/<int:session_id>/live/tags", methods=["POST"])
@access.staff
def tag(session_id: int) -> tuple[Response, int]:
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, "Send a JSON object with moment_type_id.")
    # "Answers the last moment" (the answer key): the same tap, linked to the last moment.
    tag_with = (
        answers.tag_live_answer if payload.get("answers_last") is True else operations.tag_live
    )
    moment = tag_with(
        therapy_session,
        member,
        payload.get("moment_type_id"),
        payload.get("partner_id"),
        payload.get("intensity"),
        utcnow(),
    )
    summary = operations.moment_summary(moment, therapy_session.case.kind)
    tally = _tally_json(operations.session_tally(therapy_session))
    return jsonify(moment=summary, tally=tally), 201


@bp.route("/sessions/<int:session_id>/live/moments/<int:moment_id>/outcome", methods=["POST"])
@access.staff
def outcome(session_id: int, moment_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    moment = answers.standing_in(therapy_session, moment_id)
    if moment is None:
        abort(404)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        abort(400, "Send a JSON object with outcome.")
    answers.set_outcome(moment, payload.get("outcome"))
    return jsonify(moment=operations.moment_summary(moment, therapy_session.case.kind))


@bp.route("/sessions/<int:session_id>/live/undo", methods=["POST"])
@access.staff
def undo(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    moment = operations.undo_last(therapy_session, member)
    undone = operations.moment_summary(moment, therapy_session.case.kind) if moment else None
    return jsonify(undone=undone, tally=_tally_json(operations.session_tally(therapy_session)))


@bp.route("/sessions/<int:session_id>/live/state")
@access.staff
def state(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    body = {
        "tally": _tally_json(operations.session_tally(therapy_session)),
        "moments": _recent(therapy_session),
        "signed": therapy_session.is_signed,
        **_clock(therapy_session),
    }
    audit.record("live_state_viewed", obj=therapy_session)
    return jsonify(body)
