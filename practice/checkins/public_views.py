"""The partner's check-in page: open to anyone holding a link, no account (policy ``public``).

The token is in the path (``/checkin/<token>``) and nowhere else: the request logs and
gunicorn's access log show ``/checkin/[token]`` (``practice.web.request_log.redact_path``), the
page sends no referrer, and the token is never stored, only its SHA-256. A link that takes no
check-in (unknown, expired, revoked, used) gets one plain page with 410 and stores nothing.
Every request counts against the address's and the token's rate limits (``throttle``).
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template, request

from practice.checkins import operations, rules, throttle
from practice.checkins.forms import BREAK_FIELDS, FEAR_QUESTION, checkin_form
from practice.checkins.models import CheckinLink
from practice.goals.queries import active_goals
from practice.measures.checkin_measures import checkin_measures
from practice.measures.checkin_measures import field_name as checkin_field_name
from practice.measures.csi4 import CSI4_ITEMS
from practice.web import access

bp = Blueprint("checkin_public", __name__)


def _plain(template: str, status: int) -> Response:
    response = Response(render_template(template), status=status)
    return _private(response)


def _private(response: Response) -> Response:
    # The page's own requests (its stylesheet) must not carry the token in a Referer.
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/checkin/<token>", methods=["GET", "POST"])
@access.public
def checkin(token: str):
    if throttle.refused(request.remote_addr, token):
        return _plain("practice/checkins/public_busy.html", 429)
    try:
        link = operations.open_link(token)
    except operations.LinkClosed:
        return _plain("practice/checkins/public_closed.html", 410)
    scripts = operations.assignments_to_ask(link.case_id)
    number = operations.next_number(link.partner_id)
    goals = active_goals(link.case_id)
    measures = checkin_measures(current_app.config)
    form = checkin_form(
        [a.id for a in scripts],
        rules.csi4_due(number),
        formdata=request.form if request.method == "POST" else None,
        goals=goals,
        measures=measures,
    )
    if request.method == "POST" and form.validate():
        try:
            operations.submit_checkin(token, form.answers(), measures=measures)
        except operations.LinkClosed:
            return _plain("practice/checkins/public_closed.html", 410)
        return _plain("practice/checkins/public_thanks.html", 200)
    status = 400 if request.method == "POST" else 200
    return _private(
        Response(
            render_template(
                "practice/checkins/public_form.html",
                form=form,
                scripts=_script_questions(link, scripts),
                csi4_items=CSI4_ITEMS if form.asks_csi4 else (),
                measures=measures,
                measure_field=checkin_field_name,
                fear_question=FEAR_QUESTION,
                max_breaks=rules.MAX_BREAKS,
                break_fields=list(BREAK_FIELDS),
                goals=goals,
            ),
            status=status,
        )
    )


def _script_questions(link: CheckinLink, scripts) -> list[dict]:
    """Each script's words and whose they are, as the partner writing reads it."""
    return [
        {
            "id": assignment.id,
            "text": assignment.script.text,
            "mine": assignment.partner_id == link.partner_id,
        }
        for assignment in scripts
    ]
