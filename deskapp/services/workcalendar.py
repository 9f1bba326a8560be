"""The working calendar of the offices: working days, holidays, office hours, shifts.

Rules that count "working days" or "office hours" use this; all arithmetic is
done on the wall clock of the desk's zone and returned as aware UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from deskapp.config import Settings
from deskapp.errors import InvalidInput
from deskapp.formatting import desk_zone
from deskapp.i18n import _

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_MAX_DAYS_SCANNED = 800  # a calendar with no working day at all must not loop forever


def _parse_time(text: str, setting: str) -> time:
    try:
        hours, minutes = text.strip().split(":")
        return time(int(hours), int(minutes))
    except ValueError:
        raise InvalidInput(
            _("Setting {setting}: {value} is not a time like 08:00.").format(
                setting=setting, value=text
            ),
            field=setting,
        ) from None


def _parse_day(text: str, setting: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(
            _("Setting {setting}: {value} is not a date like 2026-10-01.").format(
                setting=setting, value=text
            ),
            field=setting,
        ) from None


@dataclass(frozen=True)
class WorkCalendar:
    """Weekends, public holidays and make-up working days (调休), office hours, shifts."""

    zone: tzinfo
    working_weekdays: frozenset[int]
    holidays: frozenset[date]
    extra_working_days: frozenset[date]
    office_open: time
    office_close: time
    shift_starts: tuple[time, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> WorkCalendar:
        weekdays = set()
        for name in settings.working_days:
            key = name.strip().lower()[:3]
            if key not in WEEKDAYS:
                raise InvalidInput(
                    _("Setting working_days: {value} is not a day of the week (mon … sun).")
                    .format(value=name),
                    field="working_days",
                )
            weekdays.add(WEEKDAYS.index(key))
        office_open = _parse_time(settings.office_open, "office_open")
        office_close = _parse_time(settings.office_close, "office_close")
        if office_close <= office_open:
            raise InvalidInput(
                _("Setting office_close must be later than office_open."), field="office_close"
            )
        starts = tuple(sorted(_parse_time(t, "shift_starts") for t in settings.shift_starts))
        return cls(
            zone=desk_zone(settings.timezone),
            working_weekdays=frozenset(weekdays),
            holidays=frozenset(_parse_day(d, "public_holidays") for d in settings.public_holidays),
            extra_working_days=frozenset(
                _parse_day(d, "extra_working_days") for d in settings.extra_working_days
            ),
            office_open=office_open,
            office_close=office_close,
            shift_starts=starts or (time(0, 0),),
        )

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def at(self, day: date, moment: time) -> datetime:
        """The UTC instant of a local wall-clock time on ``day``."""
        return datetime.combine(day, moment, tzinfo=self.zone).astimezone(UTC)

    def is_working_day(self, day: date) -> bool:
        if day in self.extra_working_days:
            return True
        if day in self.holidays:
            return False
        return day.weekday() in self.working_weekdays

    def next_working_day(self, day: date) -> date:
        """The first working day strictly after ``day``."""
        for offset in range(1, _MAX_DAYS_SCANNED):
            candidate = day + timedelta(days=offset)
            if self.is_working_day(candidate):
                return candidate
        raise InvalidInput(_("The working calendar has no working day."), field="working_days")

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The same local time ``days`` working days later.

        Counting starts from a working day: work received on a holiday or a
        weekend counts from the opening of the next working day.
        """
        local = self.local(start)
        day, moment = local.date(), local.timetz().replace(tzinfo=None)
        if not self.is_working_day(day):
            day, moment = self.next_working_day(day), self.office_open
        for _step in range(days):
            day = self.next_working_day(day)
        return self.at(day, moment)

    def add_office_hours(self, start: datetime, minutes: int) -> datetime:
        """``minutes`` of office time after ``start`` (only working days, open to close)."""
        local = self.local(start)
        day = local.date()
        moment = local.timetz().replace(tzinfo=None)
        if not self.is_working_day(day) or moment >= self.office_close:
            day, moment = self.next_working_day(day), self.office_open
        elif moment < self.office_open:
            moment = self.office_open
        remaining = timedelta(minutes=minutes)
        while True:
            current = self.at(day, moment)
            close = self.at(day, self.office_close)
            if current + remaining <= close:
                return current + remaining
            remaining -= close - current
            day, moment = self.next_working_day(day), self.office_open

    def shift_start(self, now: datetime) -> datetime:
        """When the shift running at ``now`` began: the last shift start at or before it."""
        local = self.local(now)
        for offset in (0, -1):
            day = local.date() + timedelta(days=offset)
            for start in reversed(self.shift_starts):
                candidate = self.at(day, start)
                if candidate <= now:
                    return candidate
        return now - timedelta(days=1)  # unreachable with at least one start

    def next_shift_end(self, now: datetime) -> datetime:
        """When the shift running at ``now`` ends: the next shift start after ``now``."""
        local = self.local(now)
        for offset in (0, 1):
            day = local.date() + timedelta(days=offset)
            for start in self.shift_starts:
                candidate = self.at(day, start)
                if candidate > now:
                    return candidate
        return now + timedelta(days=1)  # unreachable with at least one start

    def local_day(self, moment: datetime) -> date:
        return self.local(moment).date()

    def end_of_local_day(self, day: date) -> datetime:
        return self.at(day + timedelta(days=1), time(0, 0))
