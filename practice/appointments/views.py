"""Appointments: planning one, its page (outcome, one click to its session record), the
counsellor's week, and the private calendar feed with its page on the account.

Each view loads through the viewer's scope (a case out of scope is a 404), validates its form,
calls ``operations`` and answers; the request commits. Reads are audited; URLs carry ids and
dates only.
"""

from __future__ import annotations

from datetime import UTC, date, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for

from practice import audit
from practice.appointments import calendar, operations, queries, rules
from practice.appointments import calendar_feed as feeds
from practice.appointments.forms import AppointmentForm, ConvertForm, OutcomeForm
from practice.appointments.models import Appointment
from practice.cases import scoping
from practice.core import local_time
from practice.core.database import utcnow
from practice.core.i18n import _
from practice.web import access
from practice.web.forms import ConfirmForm
from practice.web.localisation import current_zone
from practice.web.refusals import refusal_shown_on

bp = Blueprint("appointments", __name__)

AGENDA_DAYS = 7


def _editable(appointment: Appointment) -> Appointment:
    """403 unless the signed-in member is the appointment's case's counsellor."""
    if not scoping.can_edit(access.current_staff(), appointment.case):
        abort(403)
    return appointment


def _page(appointment: Appointment, status: int = 200, **forms):
    """The appointment's page; its read is audited."""
    member = access.current_staff()
    may_edit = scoping.can_edit(member, appointment.case)
    if may_edit and appointment.is_planned:
        outcome = forms.setdefault("outcome_form", OutcomeForm(formdata=None))
        outcome.set_partners(len(appointment.case.partners))
        outcome.version.data = str(appointment.version)
        convert = forms.setdefault("convert_form", ConvertForm(formdata=None))
        convert.version.data = str(appointment.version)
    audit.record("appointment_viewed", obj=appointment)
    body = render_template(
        "practice/appointments/show.html",
        appointment=appointment,
        case=appointment.case,
        can_edit=may_edit,
        rules=rules,
        now=utcnow(),
        **forms,
    )
    return body, status


@bp.route("/cases/<int:case_id>/appointments/new", methods=["GET", "POST"])
@access.staff
def new(case_id: int):
    member = access.current_staff()
    case = scoping.case_for_editor(member, case_id)
    form = AppointmentForm()
    if not form.is_submitted():
        # Next week at this hour, on the local hour: a common rhythm, changed in a moment.
        zone = current_zone()
        wall = local_time.to_local(utcnow() + timedelta(days=7), zone)
        on_the_hour = wall.replace(minute=0, second=0, microsecond=0, tzinfo=None)
        try:
            form.starts_at.data = local_time.from_local(on_the_hour, zone)
        except local_time.NonexistentLocalTime:
            form.starts_at.data = wall.astimezone(UTC).replace(second=0, microsecond=0)
    elif form.validate():
        with refusal_shown_on(form):
            appointment = operations.plan_appointment(case, member, form.details())
            flash(_("Session planned for %(reference)s.", reference=case.reference), "success")
            return redirect(url_for(".show", appointment_id=appointment.id))
    audit.record("case_viewed", obj=case, detail={"view": "new_appointment"})
    return render_template("practice/appointments/form.html", form=form, case=case)


@bp.route("/appointments/<int:appointment_id>")
@access.staff
def show(appointment_id: int):
    return _page(queries.appointment_for_viewer(access.current_staff(), appointment_id))


@bp.route("/appointments/<int:appointment_id>/edit", methods=["GET", "POST"])
@access.staff
def edit(appointment_id: int):
    member = access.current_staff()
    appointment = _editable(queries.appointment_for_viewer(member, appointment_id))
    form = AppointmentForm()
    if not form.is_submitted():
        form.starts_at.data = appointment.starts_at
        form.duration_minutes.data = appointment.duration_minutes
        form.mode.data = appointment.mode
        form.version.data = str(appointment.version)
    elif form.validate():
        with refusal_shown_on(form):
            changed = operations.update_appointment(
                appointment, member, form.details(), form.version_number()
            )
            flash(_("Appointment changed.") if changed else _("Nothing changed."), "success")
            return redirect(url_for(".show", appointment_id=appointment.id))
    audit.record("appointment_viewed", obj=appointment, detail={"view": "edit"})
    return render_template(
        "practice/appointments/form.html", form=form, case=appointment.case, appointment=appointment
    )


@bp.route("/appointments/<int:appointment_id>/outcome", methods=["POST"])
@access.staff
def outcome(appointment_id: int):
    member = access.current_staff()
    appointment = _editable(queries.appointment_for_viewer(member, appointment_id))
    form = OutcomeForm()
    form.set_partners(len(appointment.case.partners))
    if form.validate():
        with refusal_shown_on(form):
            operations.record_outcome(
                appointment,
                member,
                form.status.data,
                cancelled_by=form.cancelled_by.data or None,
                notice_at=form.notice(),
                version=form.version_number(),
            )
            status = str(rules.STATUS_LABELS[appointment.status]).lower()
            flash(_("Recorded: %(status)s.", status=status), "success")
            return redirect(url_for(".show", appointment_id=appointment.id))
    return _page(appointment, 422, outcome_form=form)


@bp.route("/appointments/<int:appointment_id>/session", methods=["POST"])
@access.staff
def make_session(appointment_id: int):
    member = access.current_staff()
    appointment = _editable(queries.appointment_for_viewer(member, appointment_id))
    form = ConvertForm()
    if form.validate():
        with refusal_shown_on(form):
            therapy_session = operations.convert_to_session(
                appointment, member, form.version_number()
            )
            flash(_("Session recorded from the appointment. Write the note below."), "success")
            return redirect(url_for("practice.sessions.show", session_id=therapy_session.id))
    return _page(appointment, 422, convert_form=form)


def _week_start(raw: str | None, today: date) -> date:
    """The first day shown: ``from`` (an ISO date within a century of today) if well formed,
    else today. The bounds keep the previous and next weeks' dates computable."""
    try:
        first = date.fromisoformat(raw) if raw and len(raw) == 10 else today
    except ValueError:
        return today
    return first if abs((first - today).days) <= 36_500 else today


@bp.route("/appointments")
@access.staff
def agenda():
    member = access.current_staff()
    zone = current_zone()
    today = local_time.today_in(zone, utcnow())
    first = _week_start(request.args.get("from"), today)
    days = [first + timedelta(days=n) for n in range(AGENDA_DAYS)]
    # The week runs from the local midnight of its first day to that of the day after its last
    # (not always 7 × 24 hours: the clocks may change within it).
    start = local_time.day_start(first, zone)
    end = local_time.day_start(first + timedelta(days=AGENDA_DAYS), zone)
    lines = queries.agenda(member, start, end)
    by_day: dict[date, list] = {d: [] for d in days}
    for line in lines:
        by_day.setdefault(local_time.local_day(line.starts_at, zone), []).append(line)
    audit.record(
        "appointments_listed",
        object_type="Agenda",
        object_id=member.id,
        detail={"from": first.isoformat(), "appointments": len(lines)},
    )
    return render_template(
        "practice/appointments/agenda.html",
        by_day=by_day,
        first=first,
        today=today,
        previous=first - timedelta(days=AGENDA_DAYS),
        following=first + timedelta(days=AGENDA_DAYS),
        rules=rules,
    )


# --- The private calendar feed -------------------------------------------------------------


@bp.route("/account/calendar", methods=["GET", "POST"])
@access.staff
def calendar_page():
    member = access.current_staff()
    form = ConfirmForm()
    token = None
    if form.validate_on_submit():
        if request.form.get("action") == "stop":
            feeds.stop_feed(member)
            flash(_("The calendar feed was stopped: its address no longer works."), "success")
            return redirect(url_for(".calendar_page"))
        token = feeds.renew_feed(member)
    feed = feeds.feed_of(member)
    feed_url = url_for(".calendar_feed", key=token, _external=True) if token is not None else None
    response = Response(
        render_template(
            "practice/appointments/calendar.html", form=form, feed=feed, feed_url=feed_url
        )
    )
    # The page showing a new secret must not be kept by the browser or a proxy.
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/calendar.ics")
@access.public
def calendar_feed():
    """The counsellor's appointments as iCalendar, to anyone holding the feed's secret. The
    secret is a query argument: request logs keep the path only (``web.request_log``)."""
    member = feeds.staff_for_feed(request.args.get("key", ""))
    if member is None:
        abort(404)
    now = utcnow()
    lines = queries.agenda(member, now - calendar.PAST, now + calendar.AHEAD)
    audit.record(
        "calendar_feed_read",
        actor=member,
        object_type="CalendarFeed",
        object_id=member.id,
        detail={"appointments": len(lines)},
    )
    response = Response(calendar.feed(lines, now), mimetype="text/calendar")
    response.headers["Cache-Control"] = "private, no-store"
    return response
