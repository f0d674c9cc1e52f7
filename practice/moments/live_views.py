"""The live-session mode: one screen to tag cycle moments while the session runs.

The screen is HTML; taps, undo and the state are JSON. JSON routes answer errors as
``{"error": {"code", "message", "fields"}}`` so the page's script can show them.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug import exceptions as http
from werkzeug.exceptions import HTTPException

from practice import audit
from practice.cases import scoping
from practice.cases.models import Case
from practice.core.database import db, utcnow
from practice.core.errors import NotFound, Refused
from practice.moments import operations as moment_service
from practice.moments import vocabulary
from practice.sessions.models import TherapySession
from practice.sessions.signed_notes import NoteSigned
from practice.web import access
from practice.web.error_pages import audit_refusal, render_error

bp = Blueprint("live", __name__)

_JSON_ENDPOINTS = frozenset({"practice.live.tag", "practice.live.undo", "practice.live.state"})
_ERROR_CODES = {400: "bad_request", 403: "forbidden", 404: "not_found", 405: "not_allowed"}


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
    messages = {
        403: "You cannot tag moments in this session.",
        404: "This session was not found, or it is not yours to see.",
    }
    message = messages.get(status) or (error.description if status == 400 else error.name)
    return _json_error(status, _ERROR_CODES.get(status, "error"), message)


def _handle_not_found(_error: NotFound):
    """Out of the member's scope (the scoping's ``NotFound``): the same 404 as above."""
    return _handle_http(http.NotFound())


def _handle_server_error(_error: Exception):
    if request.endpoint not in _JSON_ENDPOINTS:
        return render_error(500)
    return _json_error(500, "server_error", "Something went wrong; the tap was not saved.")


# Code-specific handlers: Flask tries them before any class-based one, on every blueprint.
for _code in _ERROR_CODES:
    bp.register_error_handler(_code, _handle_http)
bp.register_error_handler(NotFound, _handle_not_found)
bp.register_error_handler(500, _handle_server_error)


def _refuse(error: Refused):
    db.rollback()
    if isinstance(error, NoteSigned):
        return _json_error(409, "note_signed", str(error))
    return _json_error(400, "invalid", str(error), error.fields)


def _columns(case: Case) -> list[dict]:
    """The grid's columns: each partner with the digit that selects it, and "Both" on 0
    (between the two partners of a couple, after a family's members)."""
    columns = [
        {"partner_id": p.id, "name": p.display_name, "key": str(n) if n <= 9 else None}
        for n, p in enumerate(case.partners, start=1)
    ]
    together = {"partner_id": None, "name": moment_service.together_label(case.kind), "key": "0"}
    if len(columns) == 2:
        columns.insert(1, together)
    elif len(columns) > 2:
        columns.append(together)
    return columns


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
        "minute": moment_service.live_minute(
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
    audit.record("live_viewed", obj=therapy_session)
    # Rendered before the commit, which would expire what the page shows.
    page = render_template(
        "practice/live/screen.html",
        therapy_session=therapy_session,
        case=case,
        can_edit=True,
        columns=columns,
        default_key=next((c["key"] for c in columns if c["partner_id"] is None), "1"),
        groups=vocabulary.group_by_valence(vocabulary.active_types()),
        tally=moment_service.session_tally(therapy_session),
        recent=[
            moment_service.moment_summary(m, case.kind)
            for m in moment_service.recent_moments(therapy_session)
        ],
        clock=_clock(therapy_session),
        undo_key=vocabulary.UNDO_KEY,
    )
    db.commit()
    return page


@bp.route("/sessions/<int:session_id>/live/start", methods=["POST"])
@access.staff
def start(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    try:
        moment_service.start_clock(therapy_session, utcnow())
    except Refused as error:
        db.rollback()
        flash(str(error), "error")
    else:
        db.commit()
        flash(f"Clock started at {therapy_session.starts_at:%H:%M} UTC.", "success")
    return redirect(url_for(".screen", session_id=session_id))


@bp.route("/sessions/<int:session_id>/live/tags", methods=["POST"])
@access.staff
def tag(session_id: int) -> tuple[Response, int]:
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return _json_error(400, "bad_request", "Send a JSON object with moment_type_id.")
    try:
        moment = moment_service.tag_live(
            therapy_session,
            member,
            payload.get("moment_type_id"),
            payload.get("partner_id"),
            payload.get("intensity"),
            utcnow(),
        )
    except Refused as error:
        return _refuse(error)
    # Built before the commit, which expires every loaded object (reloading costs queries).
    summary = moment_service.moment_summary(moment, therapy_session.case.kind)
    tally = moment_service.session_tally(therapy_session)
    db.commit()
    return jsonify(moment=summary, tally=tally), 201


@bp.route("/sessions/<int:session_id>/live/undo", methods=["POST"])
@access.staff
def undo(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    try:
        moment = moment_service.undo_last(therapy_session, member)
    except Refused as error:
        return _refuse(error)
    tally = moment_service.session_tally(therapy_session)
    undone = moment_service.moment_summary(moment, therapy_session.case.kind) if moment else None
    db.commit()
    return jsonify(undone=undone, tally=tally)


@bp.route("/sessions/<int:session_id>/live/state")
@access.staff
def state(session_id: int):
    member = access.current_staff()
    therapy_session = scoping.session_for_editor(member, session_id)
    kind = therapy_session.case.kind
    recent = [
        moment_service.moment_summary(m, kind)
        for m in moment_service.recent_moments(therapy_session)
    ]
    body = {
        "tally": moment_service.session_tally(therapy_session),
        "moments": recent,
        "signed": therapy_session.is_signed,
        **_clock(therapy_session),
    }
    audit.record("live_state_viewed", obj=therapy_session)
    db.commit()
    return jsonify(body)
