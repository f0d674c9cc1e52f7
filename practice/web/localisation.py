"""Local time and language in pages: the zone and locale of the request, and the Jinja filters
every template uses to show a moment (``local_datetime``, ``local_date``, ``local_time``).

Which zone and locale: ``practice.core.local_time.zone_for`` / ``locale_for`` of the signed-in
member (their own choice, else the practice's). Flask-Babel gives templates ``_()`` and
``{% trans %}``; when the host app has not set it up, the tracker does, with its own selectors.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel import Locale
from flask import Flask, current_app, g, has_request_context
from flask_babel import Babel
from markupsafe import Markup

from practice.core import local_time
from practice.core.i18n import DOMAIN_NAME, TRANSLATIONS


def _member():
    if not has_request_context():
        return None
    from practice.web import outage_state
    from practice.web.access import load_current_staff

    if outage_state.database_down():
        return None  # an error page of a failed database asks it nothing

    try:
        return load_current_staff()
    except Exception:
        return None


def current_zone() -> ZoneInfo:
    """The zone this request shows and reads times in (the member's, else the practice's)."""
    if has_request_context() and "practice_zone" in g:
        return g.practice_zone
    zone = local_time.zone_for(current_app.config, _member())
    if has_request_context():
        g.practice_zone = zone
    return zone


def current_locale() -> Locale:
    """The locale this request writes dates and words in."""
    if has_request_context() and "practice_locale" in g:
        return g.practice_locale
    locale = local_time.locale_for(current_app.config, _member())
    if has_request_context():
        g.practice_locale = locale
    return locale


def forget_choices() -> None:
    """Drop the request's cached zone and locale (after a member changed theirs)."""
    g.pop("practice_zone", None)
    g.pop("practice_locale", None)


def local_datetime(value: datetime | None, with_zone: bool = True) -> str:
    """A moment as day and time in the viewer's zone: "03 Mar 2026, 14:05 AEDT"; "—" for none."""
    if value is None:
        return "—"
    return local_time.format_moment(value, current_zone(), current_locale(), with_zone)


def local_date(value: date | datetime | None) -> str:
    """A day (a moment's day in the viewer's zone): "03 Mar 2026"; "—" for none."""
    if value is None:
        return "—"
    return local_time.format_day(value, current_zone(), current_locale())


def local_day_month(value: date | datetime | None) -> str:
    """A day without its year in the viewer's zone: "03 Mar"; "—" for none."""
    if value is None:
        return "—"
    return local_time.format_day_month(value, current_zone(), current_locale())


def local_weekday(value: date | datetime | None) -> str:
    """The day of the week in the viewer's zone and words: "Wednesday"; "—" for none."""
    if value is None:
        return "—"
    return local_time.format_weekday(value, current_zone(), current_locale())


def local_time_of_day(value: datetime | None, with_zone: bool = True) -> str:
    """A moment's time of day in the viewer's zone: "14:05 AEDT"; "—" for none."""
    if value is None:
        return "—"
    return local_time.format_clock(value, current_zone(), current_locale(), with_zone)


def local_iso(value: datetime | None) -> str:
    """A moment in ISO 8601 with the viewer's offset, for ``<time datetime>`` and exports."""
    return "" if value is None else local_time.iso_local(value, current_zone())


def local_input(value: datetime | None) -> str:
    """A moment as a ``datetime-local`` input's value, in the viewer's zone."""
    if value is None:
        return ""
    return local_time.to_local(value, current_zone()).strftime("%Y-%m-%dT%H:%M")


def time_element(value: datetime | None, with_zone: bool = True) -> Markup:
    """``<time datetime="…+11:00">03 Mar 2026, 14:05 AEDT</time>``."""
    if value is None:
        return Markup("—")
    return Markup('<time datetime="{}">{}</time>').format(
        local_iso(value), local_datetime(value, with_zone)
    )


def local_zone() -> str:
    """The viewer's zone's IANA name; a Jinja global, so imported macros reach it too."""
    return current_zone().key


def zone_globals() -> dict:
    """What scripts need to show the clock in the viewer's zone: its IANA name and locale."""
    zone = current_zone()
    return {"local_zone_name": zone.key, "local_locale": str(current_locale()).replace("_", "-")}


FILTERS = {
    "local_datetime": local_datetime,
    "local_date": local_date,
    "local_time": local_time_of_day,
    "local_day_month": local_day_month,
    "local_weekday": local_weekday,
    "local_iso": local_iso,
    "local_input": local_input,
    "time_element": time_element,
}


def init_babel(app: Flask) -> None:
    """Set up Flask-Babel for the tracker's pages unless the host already has.

    The tracker's own catalogues (domain ``practice``) are the default domain of its Babel; in a
    host that brings its own Flask-Babel, the host's settings stand and the tracker's Python
    messages still use their own domain (``practice.core.i18n``).
    """
    if "babel" in app.extensions:
        return
    Babel(
        app,
        default_locale=str(app.config["PRACTICE_LOCALE"]),
        default_domain=DOMAIN_NAME,
        default_translation_directories=str(TRANSLATIONS),
        locale_selector=lambda: str(current_locale()),
        timezone_selector=lambda: current_zone().key,
    )
