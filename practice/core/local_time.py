"""Local time: the practice's zone and locale, each member's own, and the conversions.

Times are stored in UTC and shown and entered in local time. The practice's zone is
``PRACTICE_TIMEZONE`` (an IANA name; the old name ``PRACTICE_TIME_ZONE`` still works, deprecated),
by default the server's own zone; a staff member may choose their own zone and locale
(``StaffMember.time_zone``, ``StaffMember.locale``), which then win for what they see and enter.
Reports and other documents made for the case use the practice's zone, whoever asks for them.

Pure but for reading the host's settings: no database, no request.
"""

from __future__ import annotations

import functools
import re
import warnings
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError
from babel import dates as babel_dates

ZONE_SETTING = "PRACTICE_TIMEZONE"
# The name used before the zone applied to pages too; read when the new one is not set.
DEPRECATED_ZONE_SETTING = "PRACTICE_TIME_ZONE"
LOCALE_SETTING = "PRACTICE_LOCALE"
DEFAULT_LOCALE = "en_GB"
FALLBACK_ZONE = "UTC"
# The locales a member may choose for dates and times (and, once catalogues exist, words).
OFFERED_LOCALES = (
    "en_GB",
    "en_US",
    "en_AU",
    "en_NZ",
    "en_CA",
    "en_IE",
    "de_DE",
    "de_AT",
    "de_CH",
    "fr_FR",
    "fr_CA",
    "nl_NL",
    "es_ES",
    "it_IT",
    "pt_BR",
    "sv_SE",
    "da_DK",
    "nb_NO",
    "fi_FI",
    "pl_PL",
)


class HasLocalPreferences(Protocol):
    """A staff member's own choices (either may be None: the practice's applies)."""

    time_zone: str | None
    locale: str | None


class NonexistentLocalTime(ValueError):
    """A wall-clock time skipped when the clocks went forward (a daylight-saving gap)."""


def server_zone_name() -> str:
    """The server's own IANA zone (``tzlocal``), or UTC when it cannot be told or is not IANA."""
    try:
        import tzlocal

        name = tzlocal.get_localzone_name()
    except Exception:
        return FALLBACK_ZONE
    return name if name and is_zone_name(name) else FALLBACK_ZONE


def is_zone_name(name: str | None) -> bool:
    """Whether ``name`` is an IANA zone this system knows."""
    if not name or not isinstance(name, str):
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def is_locale_name(name: str | None) -> bool:
    """Whether ``name`` is a locale Babel knows ("en_GB", "de")."""
    if not name or not isinstance(name, str):
        return False
    try:
        Locale.parse(name)
    except (UnknownLocaleError, ValueError, TypeError):
        return False
    return True


@functools.cache
def zone_names() -> tuple[str, ...]:
    """Every IANA zone a member may choose, sorted (the legacy aliases left out)."""
    legacy = ("Etc/", "SystemV/", "US/", "posix", "right")
    chosen = sorted(n for n in available_timezones() if "/" in n and not n.startswith(legacy))
    return (*chosen, FALLBACK_ZONE)


def practice_zone_name(config: Mapping[str, Any]) -> str:
    """The practice's zone name: ``PRACTICE_TIMEZONE``, else the deprecated
    ``PRACTICE_TIME_ZONE``, else the server's zone. Not validated (``check_settings`` does)."""
    name = config.get(ZONE_SETTING) or config.get(DEPRECATED_ZONE_SETTING)
    return str(name) if name else server_zone_name()


def check_settings(config: dict[str, Any]) -> None:
    """Settle the practice's zone and locale when the app starts: the deprecated name is read
    (with a warning) into the new one, the server's zone fills an unset one.

    Raises ValueError naming the setting when the zone or locale is not a known one.
    """
    if not config.get(ZONE_SETTING) and config.get(DEPRECATED_ZONE_SETTING):
        warnings.warn(
            f"{DEPRECATED_ZONE_SETTING} is deprecated: set {ZONE_SETTING} instead.",
            DeprecationWarning,
            stacklevel=2,
        )
    name = practice_zone_name(config)
    if not is_zone_name(name):
        raise ValueError(
            f"{ZONE_SETTING} must be an IANA time zone such as 'Europe/Berlin' or "
            f"'Australia/Sydney', not {name!r}"
        )
    config[ZONE_SETTING] = name
    locale = config.get(LOCALE_SETTING) or DEFAULT_LOCALE
    if not is_locale_name(locale):
        raise ValueError(f"{LOCALE_SETTING} must be a locale such as 'en_GB', not {locale!r}")
    config[LOCALE_SETTING] = str(locale)


def practice_zone(config: Mapping[str, Any]) -> ZoneInfo:
    """The practice's zone, in which reports and exports show times.

    Raises ValueError for a name that is not a known IANA zone.
    """
    name = practice_zone_name(config)
    if not is_zone_name(name):
        raise ValueError(f"{ZONE_SETTING} must be an IANA time zone, not {name!r}")
    return ZoneInfo(name)


def zone_for(config: Mapping[str, Any], member: HasLocalPreferences | None = None) -> ZoneInfo:
    """The zone for this member (their own choice if they made a valid one), else the
    practice's: the one function that answers "which zone" for pages, forms and exports."""
    own = getattr(member, "time_zone", None) if member is not None else None
    if own and is_zone_name(own):
        return ZoneInfo(own)
    return practice_zone(config)


def locale_for(config: Mapping[str, Any], member: HasLocalPreferences | None = None) -> Locale:
    """The locale for this member (their own choice, else the practice's ``PRACTICE_LOCALE``)."""
    own = getattr(member, "locale", None) if member is not None else None
    name = own if own and is_locale_name(own) else config.get(LOCALE_SETTING) or DEFAULT_LOCALE
    return Locale.parse(name)


def to_local(moment: datetime, zone: ZoneInfo) -> datetime:
    """An aware moment as the wall-clock time in ``zone`` (aware). A naive one is read as UTC,
    as the database's UTC columns are."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone)


def local_day(value: date | datetime, zone: ZoneInfo) -> date:
    """The calendar day of ``value`` in ``zone`` (a date is already a day)."""
    if isinstance(value, datetime):
        return to_local(value, zone).date()
    return value


def today_in(zone: ZoneInfo, now: datetime | None = None) -> date:
    """Today's date in ``zone``."""
    return (now or datetime.now(UTC)).astimezone(zone).date()


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC moment a day begins in ``zone`` (where the clocks skip midnight, the moment
    they show the first time after it)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def from_local(wall_clock: datetime, zone: ZoneInfo) -> datetime:
    """The UTC moment of a wall-clock time entered in ``zone``.

    A time that occurs twice (the hour repeated when the clocks go back) is read as its first
    occurrence, the one before the change. A time that never occurs (skipped when the clocks go
    forward) is refused with NonexistentLocalTime rather than silently moved: the counsellor
    should say which moment they meant.
    """
    naive = wall_clock.replace(tzinfo=None)
    first = naive.replace(tzinfo=zone, fold=0)
    as_utc = first.astimezone(UTC)
    # A skipped time does not survive the round trip back to the wall clock.
    if as_utc.astimezone(zone).replace(tzinfo=None) != naive:
        raise NonexistentLocalTime(
            f"{naive:%H:%M} on {naive:%d %b %Y} does not exist in {zone.key}: the clocks "
            "went forward then. Enter the time as the clock showed it."
        )
    return as_utc


def zone_abbreviation(moment: datetime, zone: ZoneInfo) -> str:
    """The zone's short name at that moment ("AEDT", "CET"), or its UTC offset ("+04")."""
    return to_local(moment, zone).tzname() or zone.key


def utc_offset_minutes(zone: ZoneInfo, moment: datetime | None = None) -> int:
    """The zone's offset from UTC in minutes at ``moment`` (now by default)."""
    offset = to_local(moment or datetime.now(UTC), zone).utcoffset() or timedelta(0)
    return int(offset.total_seconds() // 60)


def _padded_day(pattern: str) -> str:
    """The pattern with a one-digit day made two digits, so that dates line up in columns
    ("03 Mar 2026" beside "17 Mar 2026")."""
    return re.sub(r"(?<![d'])d(?!d)", "dd", pattern)


def format_day(value: date | datetime, zone: ZoneInfo, locale: Locale) -> str:
    """A day in the locale's medium form ("03 Mar 2026", "Mar 03, 2026", "03.03.2026"); a
    moment is first moved into ``zone``, so a late-evening session keeps its local day."""
    return babel_dates.format_date(
        local_day(value, zone), _padded_day(locale.date_formats["medium"].pattern), locale
    )


def format_day_month(value: date | datetime, zone: ZoneInfo, locale: Locale) -> str:
    """A day without its year, for tight spaces: "03 Mar", "Mar 03", "03. März"."""
    found = locale.datetime_skeletons.get("MMMd")
    pattern = _padded_day(found.pattern if found is not None else "d MMM")
    return babel_dates.format_date(local_day(value, zone), pattern, locale)


def format_weekday(value: date | datetime, zone: ZoneInfo, locale: Locale) -> str:
    """The day of the week in full ("Wednesday", "Mittwoch"), for a day's heading; a moment is
    first moved into ``zone``."""
    return babel_dates.format_date(local_day(value, zone), "EEEE", locale)


def format_clock(moment: datetime, zone: ZoneInfo, locale: Locale, with_zone: bool = True) -> str:
    """A time of day in ``zone`` in the locale's short form, with the zone's short name
    ("14:05 AEDT") unless ``with_zone`` is false."""
    local = to_local(moment, zone)
    text = babel_dates.format_time(local, "short", tzinfo=zone, locale=locale)
    return f"{text} {zone_abbreviation(moment, zone)}" if with_zone else text


def format_moment(moment: datetime, zone: ZoneInfo, locale: Locale, with_zone: bool = True) -> str:
    """A day and time in ``zone`` as the locale joins them ("03 Mar 2026, 14:05 AEDT")."""
    joined = str(locale.datetime_formats.get("medium", "{1} {0}"))
    return joined.replace("{1}", format_day(moment, zone, locale)).replace(
        "{0}", format_clock(moment, zone, locale, with_zone)
    )


def iso_local(moment: datetime, zone: ZoneInfo) -> str:
    """ISO 8601 in ``zone`` with its offset ("2026-03-03T14:05:00+11:00"): the form exports use,
    unambiguous for a machine and readable as local time by a person."""
    return to_local(moment, zone).isoformat(timespec="seconds")
