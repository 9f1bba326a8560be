"""The working calendar: weekends, holidays, make-up days, office hours, shift ends."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from deskapp.config import Settings
from deskapp.errors import InvalidInput
from deskapp.services.workcalendar import WorkCalendar

BEIJING = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    """A Beijing wall-clock time in Nov/Dec 2026 as aware UTC (2026-11-23 is a Monday)."""
    return datetime(2026, month, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


def calendar(**changes: object) -> WorkCalendar:
    return WorkCalendar.from_settings(replace(Settings(), **changes))  # type: ignore[arg-type]


def test_working_days_skip_the_weekend():
    friday = local(27, 15)
    assert calendar().add_working_days(friday, 3) == local(2, 15, month=12)  # Wednesday
    assert calendar().add_working_days(friday, 1) == local(30, 15)  # Monday
    assert calendar().add_working_days(friday, 0) == friday


def test_a_public_holiday_is_not_a_working_day():
    cal = calendar(public_holidays=("2026-11-30",))
    assert not cal.is_working_day(local(30, 12).astimezone(BEIJING).date())
    assert cal.add_working_days(local(27, 15), 3) == local(3, 15, month=12)  # Thursday


def test_a_make_up_saturday_is_a_working_day():
    cal = calendar(extra_working_days=("2026-11-28",))
    assert cal.add_working_days(local(27, 15), 3) == local(1, 15, month=12)  # Sat, Mon, Tue


def test_counting_from_a_weekend_starts_at_the_next_opening():
    saturday = local(28, 10)
    assert calendar().add_working_days(saturday, 3) == local(3, 8, month=12)  # Thu 08:00


def test_office_hours_stop_at_closing_and_resume_next_working_day():
    cal = calendar()
    assert cal.add_office_hours(local(23, 16), 120) == local(23, 18)  # exactly at closing
    assert cal.add_office_hours(local(23, 16, 1), 120) == local(24, 8, 1)
    assert cal.add_office_hours(local(23, 17), 120) == local(24, 9)
    assert cal.add_office_hours(local(23, 7), 120) == local(23, 10)  # before opening
    assert cal.add_office_hours(local(23, 19), 120) == local(24, 10)  # after closing
    assert cal.add_office_hours(local(27, 17, 30), 120) == local(30, 9, 30)  # Fri → Mon
    assert cal.add_office_hours(local(28, 11), 60) == local(30, 9)  # Saturday


def test_next_shift_end_is_the_next_shift_start():
    cal = calendar()
    assert cal.next_shift_end(local(23, 10)) == local(23, 16)
    assert cal.next_shift_end(local(23, 15, 59)) == local(23, 16)
    assert cal.next_shift_end(local(23, 16)) == local(24, 0)
    assert cal.next_shift_end(local(23, 23, 30)) == local(24, 0)
    assert cal.next_shift_end(local(24, 0)) == local(24, 8)


@pytest.mark.parametrize(("changes", "field"), [
    ({"working_days": ("mon", "funday")}, "working_days"),
    ({"public_holidays": ("2026-13-01",)}, "public_holidays"),
    ({"office_open": "8am"}, "office_open"),
    ({"office_open": "18:00", "office_close": "08:00"}, "office_close"),
])
def test_bad_calendar_settings_are_refused(changes: dict[str, object], field: str):
    with pytest.raises(InvalidInput) as refused:
        calendar(**changes)
    assert refused.value.field == field


def test_a_calendar_without_working_days_does_not_loop_forever():
    with pytest.raises(InvalidInput):
        calendar(working_days=()).add_working_days(local(23, 10), 1)
