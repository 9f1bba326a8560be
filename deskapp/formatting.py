"""Times and durations as the desk speaks them: ``14:05``, ``yesterday 18:20``.

Stored times are UTC; the desk's zone comes from settings.
"""

from __future__ import annotations

from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from deskapp.i18n import _


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
