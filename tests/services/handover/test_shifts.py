"""Shifts: which one runs at a moment (the start minute belongs to the shift it begins),
written once, and who worked each."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models.handover import Shift
from deskapp.services.acting import Acting
from deskapp.services.handover import shifts
from deskapp.services.workcalendar import WorkCalendar
from tests.support import Staff, staff_fixture  # noqa: F401 (fixture)

# Beijing is UTC+8: the desk's 08:00 / 16:00 / 00:00 starts are 00:00 / 08:00 / 16:00 UTC.
MONDAY_0800 = datetime(2026, 11, 23, 0, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_the_shift_at_mid_morning_runs_from_eight_to_four(desk: Desk) -> None:
    times = shifts.times_at(WorkCalendar.from_settings(desk.settings),
                            MONDAY_0800 + timedelta(hours=2))
    assert (times.starts_at, times.ends_at, times.next_ends_at) == (
        MONDAY_0800, MONDAY_0800 + timedelta(hours=8), MONDAY_0800 + timedelta(hours=16))


def test_the_start_minute_belongs_to_the_shift_it_begins(desk: Desk) -> None:
    calendar = WorkCalendar.from_settings(desk.settings)
    four_pm = MONDAY_0800 + timedelta(hours=8)
    assert shifts.times_at(calendar, four_pm - MINUTE).starts_at == MONDAY_0800
    assert shifts.times_at(calendar, four_pm).starts_at == four_pm
    assert shifts.times_at(calendar, four_pm).ends_at == four_pm + timedelta(hours=8)


def test_the_night_shift_runs_over_midnight(desk: Desk) -> None:
    calendar = WorkCalendar.from_settings(desk.settings)
    midnight = MONDAY_0800 + timedelta(hours=16)  # 00:00 Tuesday in Beijing
    before = shifts.times_at(calendar, midnight - MINUTE)
    assert (before.starts_at, before.ends_at) == (MONDAY_0800 + timedelta(hours=8), midnight)
    after = shifts.times_at(calendar, midnight)
    assert (after.starts_at, after.ends_at) == (midnight, midnight + timedelta(hours=8))
    # 03:00 on Tuesday: the night shift that began at midnight, not Monday's 16:00.
    assert shifts.times_at(calendar, midnight + timedelta(hours=3)).starts_at == midnight


def test_a_single_daily_start_makes_one_shift_of_a_day(desk: Desk) -> None:
    from dataclasses import replace

    calendar = WorkCalendar.from_settings(replace(desk.settings, shift_starts=("08:00",)))
    times = shifts.times_at(calendar, MONDAY_0800 - MINUTE)
    assert (times.starts_at, times.ends_at) == (MONDAY_0800 - timedelta(days=1), MONDAY_0800)


def test_a_shift_is_written_once_and_names_each_operator_once(desk: Desk, staff: Staff) -> None:
    now = MONDAY_0800 + timedelta(hours=1)
    with transaction(desk.engine) as session:
        first = shifts.join_current(session, acting=Acting(desk.site_id), operator=staff.operator,
                                    now=now, settings=desk.settings)
        again = shifts.join_current(session, acting=Acting(desk.site_id), operator=staff.operator,
                                    now=now + MINUTE, settings=desk.settings)
        shifts.join_current(session, acting=Acting(desk.site_id), operator=staff.colleague,
                            now=now + 2 * MINUTE, settings=desk.settings)
        assert first.id == again.id
        first_id = first.id
    with transaction(desk.engine) as session:  # another desk, later in the same shift
        later = shifts.join_current(session, acting=Acting(desk.site_id), operator=staff.operator,
                                    now=now + timedelta(hours=6), settings=desk.settings)
        assert later.id == first_id
    with reading(desk.engine) as session:
        assert session.exec(select(func.count()).select_from(Shift)).one() == 1
        assert [op.login for op in shifts.operators_of(session, first_id or 0)] == [
            "wangfang", "liuyang"]


def test_the_next_shift_is_a_row_of_its_own(desk: Desk, staff: Staff) -> None:
    with transaction(desk.engine) as session:
        morning = shifts.join_current(session, acting=Acting(desk.site_id), operator=staff.operator,
                                      now=MONDAY_0800, settings=desk.settings)
        evening = shifts.join_current(session, acting=Acting(desk.site_id),
                                      operator=staff.colleague,
                                      now=MONDAY_0800 + timedelta(hours=8),
                                      settings=desk.settings)
        assert morning.id != evening.id
    with reading(desk.engine) as session:
        recent = shifts.recent(session, acting=Acting(desk.site_id))
        assert [shift.id for shift in recent] == [evening.id, morning.id]
        assert [op.login for op in shifts.operators_of(session, evening.id or 0)] == ["liuyang"]
