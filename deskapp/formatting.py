"""Times and durations as the desk speaks them: ``14:05``, ``yesterday 18:20``.

Stored times are UTC; the desk's zone comes from settings.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deskapp.errors import InvalidInput
from deskapp.i18n import _
from deskapp.services.clock import as_utc


def desk_zone(name: str) -> tzinfo:
    """The zone named in settings, else the machine's local zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        local = datetime.now().astimezone().tzinfo
        assert local is not None
        return local


def local_day_start(now: datetime, zone: tzinfo) -> datetime:
    local = now.astimezone(zone)
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def format_when(moment: datetime, now: datetime, zone: tzinfo) -> str:
    """``14:05`` today, ``yesterday 18:20``, else ``2026-11-20 09:15``."""
    local = moment.astimezone(zone)
    today = now.astimezone(zone).date()
    if local.date() == today:
        return local.strftime("%H:%M")
    if local.date() == today - timedelta(days=1):
        return _("yesterday {time}").format(time=local.strftime("%H:%M"))
    return local.strftime("%Y-%m-%d %H:%M")


def format_duration(delta: timedelta) -> str:
    """``2 h 10 min`` / ``2小时10分``; under a minute counts as ``0 min``."""
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("{hours} h {minutes} min").format(hours=hours, minutes=minutes)
    return _("{minutes} min").format(minutes=minutes)


def format_age(delta: timedelta) -> str:
    """How long an item has waited: ``3 d 2 h`` beyond a day, else ``2 h 10 min``."""
    days = int(delta.total_seconds() // 86400)
    if days < 1:
        return format_duration(delta)
    hours = int((delta.total_seconds() - days * 86400) // 3600)
    return _("{days} d {hours} h").format(days=days, hours=hours)


# A time as the desk types it: 14:30 today, 11-24 09:00, 2026-11-24 09:00 (full-width colon too).
_TIME = re.compile(r"^(?:(?:(\d{4})-)?(\d{1,2})-(\d{1,2})\s+)?(\d{1,2})[:：](\d{2})$")


def parse_local_time(text: str, *, now: datetime, zone: tzinfo, field: str,
                     ahead: bool = False) -> datetime | None:
    """``14:30`` today, ``11-24 09:00`` or ``2026-11-24 09:00`` as aware UTC; empty is None.

    ``ahead``: a time planned, not one past, so a day typed without its year that has
    gone by this year is next year's (``01-05 10:00`` typed in December)."""
    value = " ".join(text.split())
    if not value:
        return None
    match = _TIME.match(value)
    if match is None:
        raise InvalidInput(
            _("{text} is not a time: type 14:30, 11-24 09:00 or 2026-11-24 09:00.").format(
                text=value[:40]),
            field=field,
        )
    year, month, day, hour, minute = match.groups()
    today = local_day_start(now, zone)
    try:
        local = today.replace(
            year=int(year) if year else today.year,
            month=int(month) if month else today.month,
            day=int(day) if day else today.day,
            hour=int(hour), minute=int(minute),
        )
    except ValueError:
        raise InvalidInput(
            _("{text} is not a valid date and time.").format(text=value), field=field
        ) from None
    if ahead and not year and month and local.date() < today.date():
        try:
            local = local.replace(year=local.year + 1)
        except ValueError:  # 02-29 of a leap year: next year has none
            raise InvalidInput(
                _("{text} is not a valid date and time.").format(text=value), field=field
            ) from None
    return as_utc(local)


_DAY = re.compile(r"^(?:(\d{4})-)?(\d{1,2})-(\d{1,2})$")


def parse_local_date(text: str, *, now: datetime, zone: tzinfo, field: str) -> date | None:
    """A day to come as the desk types it: ``12-10`` (this year, or next when it has gone
    by) or ``2027-01-05``; empty is None."""
    value = text.strip()
    if not value:
        return None
    match = _DAY.match(value)
    if match is None:
        raise InvalidInput(_("{text} is not a date: type 12-10 or 2027-01-05.").format(
            text=value[:40]), field=field)
    year, month, day = match.groups()
    today = local_day_start(now, zone).date()
    try:
        found = date(int(year) if year else today.year, int(month), int(day))
        if not year and found < today:
            found = found.replace(year=today.year + 1)
    except ValueError:
        raise InvalidInput(_("{text} is not a valid date.").format(text=value),
                           field=field) from None
    return found
