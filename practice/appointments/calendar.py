"""A counsellor's appointments as an iCalendar (RFC 5545) feed, made with ``icalendar``.

What an entry says is all a phone's lock screen or a shared calendar would show, so it holds no
clinical text: the summary is "Session" and the case's reference (``rules.calendar_summary``),
the location the mode (in person, video, phone); never a partner's name, a note, an outcome's
reason. Cancelled appointments are sent as cancelled events, so a calendar frees their time;
attended and missed ones stay as they were planned (the hour was held).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Calendar, Event

from practice.appointments.models import AppointmentStatus
from practice.appointments.queries import AgendaLine
from practice.appointments.rules import MODE_LABELS, calendar_summary

# What the feed spans: the recent past (a calendar keeps what it was sent) and the months ahead.
PAST = timedelta(days=30)
AHEAD = timedelta(days=180)
PRODUCT_ID = "-//Couples Cycle Practice//Appointments//EN"


def feed(lines: Iterable[AgendaLine], now: datetime) -> bytes:
    """The iCalendar document of ``lines``, stamped ``now`` (aware)."""
    document = Calendar()
    document.add("prodid", PRODUCT_ID)
    document.add("version", "2.0")
    document.add("calscale", "GREGORIAN")
    document.add("x-wr-calname", "Appointments")
    for line in lines:
        event = Event()
        # Stable across renewals of the feed: the appointment's id, not the secret.
        event.add("uid", f"appointment-{line.id}@practice")
        event.add("dtstamp", now)
        event.add("dtstart", line.starts_at)
        event.add("dtend", line.ends_at)
        event.add("summary", calendar_summary(line.reference))
        event.add("location", str(MODE_LABELS.get(line.mode, line.mode)))
        # A no-show still held the hour; only a cancellation frees it.
        cancelled = line.status == AppointmentStatus.CANCELLED
        event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
        event.add("transp", "TRANSPARENT" if cancelled else "OPAQUE")
        document.add_component(event)
    return document.to_ical()
