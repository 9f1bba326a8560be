"""Deadlines at their boundaries: the minute before and after, across midnight, a weekend
and a holiday; the paused clock; escalations and the dashboard counts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput
from deskapp.models.requests import Escalation
from deskapp.services.acting import Acting
from deskapp.services.requests import deadlines, lifecycle, rules
from deskapp.services.requests.views import queue, request_card
from tests.services.requests.test_requests_support import (  # noqa: F401 (fixtures)
    Homes,
    Staff,
    count,
    homes_fixture,
    load,
    new_request,
    settings_of,
    staff_fixture,
)

BEIJING = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=BEIJING).astimezone(UTC)


def _overdue_numbers(desk: Desk, now: datetime) -> list[str]:
    with reading(desk.engine) as session:
        return [row.number for row in queue(session, acting=Acting(desk.site_id), now=now,
                                            view="overdue").rows]


def _counts(desk: Desk, now: datetime, shift_end: datetime) -> tuple[int, int, int]:
    with reading(desk.engine) as session:
        return deadlines.dashboard_counts(session, acting=Acting(desk.site_id), now=now,
                                          next_shift_end=shift_end)


def _pending(desk: Desk, request_id: int | None, now: datetime) -> dict[str, datetime]:
    assert request_id is not None
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request_id, now=now)
    return {d.kind: d.due_at for d in card.pending_deadlines}


def test_resident_reply_is_overdue_the_minute_after_24_hours(desk: Desk, staff: Staff,
                                                             homes: Homes):
    received = local(23, 10)
    request = new_request(desk, staff.operator, unit_id=homes.a.id, now=received)
    due = received + timedelta(hours=24)
    assert _pending(desk, request.id, received) == {"resident_reply": due}
    assert _overdue_numbers(desk, due - timedelta(minutes=1)) == []
    assert _overdue_numbers(desk, due) == []
    assert _overdue_numbers(desk, due + timedelta(minutes=1)) == [request.number]
    shift_end = due + timedelta(hours=1)
    assert _counts(desk, due - timedelta(minutes=1), shift_end) == (1, 0, 0)
    assert _counts(desk, due + timedelta(minutes=1), shift_end) == (0, 1, 0)
    # Due after the shift ends: not "due in this shift".
    assert _counts(desk, due - timedelta(hours=2), due - timedelta(minutes=1)) == (0, 0, 0)


def test_a_deadline_crosses_midnight(desk: Desk, staff: Staff, homes: Homes):
    received = local(23, 23, 30)
    request = new_request(desk, staff.operator, unit_id=homes.a.id, now=received)
    assert _pending(desk, request.id, received)["resident_reply"] == local(24, 23, 30)
    assert request.number.startswith("261123-")


def test_a_major_complaint_gets_48_hours(desk: Desk, staff: Staff, homes: Homes):
    received = local(23, 10)
    request = new_request(desk, staff.operator, unit_id=homes.a.id, now=received,
                          exposure="actual")
    assert load(desk, request.id).severity == "major"
    assert _pending(desk, request.id, received)["resident_reply"] == received + timedelta(hours=48)


def test_deferred_answer_counts_working_days_across_weekend_and_holiday(desk: Desk,
                                                                        staff: Staff,
                                                                        homes: Homes):
    friday = local(27, 16)
    settings = settings_of(desk, public_holidays=("2026-11-30",))
    request = new_request(desk, staff.operator, unit_id=homes.a.id, now=friday,
                          settings=settings)
    with transaction(desk.engine) as session:
        lifecycle.defer(session, acting=Acting(desk.site_id, staff.operator), request_id=request.id,
                        settings=settings,
                       now=friday, reason="需报公司审批")
    pending = _pending(desk, request.id, friday)
    # Monday is a holiday: Tue, Wed, Thu.
    assert pending == {"deferred_answer": local(3, 16, month=12)}
    due = local(3, 16, month=12)
    assert _overdue_numbers(desk, due - timedelta(minutes=1)) == []
    assert _overdue_numbers(desk, due + timedelta(minutes=1)) == [request.number]


def test_department_deadlines_on_dispatch(desk: Desk, staff: Staff, homes: Homes):
    friday_evening = local(27, 17)
    request = new_request(desk, staff.operator, unit_id=homes.a.id, now=friday_evening)
    with transaction(desk.engine) as session:
        lifecycle.dispatch(session, acting=Acting(desk.site_id, staff.operator),
                           request_id=request.id,
                          settings=desk.settings, now=friday_evening,
                          department="engineering", needs_superior=True)
    pending = _pending(desk, request.id, friday_evening)
    assert pending["department_reply"] == friday_evening + timedelta(hours=24)
    # Two office hours: one on Friday (17–18), one on Monday (08–09).
    assert pending["department_report"] == local(30, 9)
    with transaction(desk.engine) as session:
        lifecycle.department_report(session, acting=Acting(desk.site_id, staff.operator),
                                    request_id=request.id,
                                   now=local(30, 8, 30),
                                   text="已请示经理")
    assert "department_report" not in _pending(desk, request.id, local(30, 8, 30))


def test_pause_and_resume_move_every_pending_deadline(desk: Desk, staff: Staff, homes: Homes):
    received = local(23, 10)
    request = new_request(desk, staff.operator, unit_id=homes.a.id, now=received)
    assert request.id is not None
    with transaction(desk.engine) as session:
        lifecycle.dispatch(session, acting=Acting(desk.site_id, staff.operator),
                           request_id=request.id,
                          settings=desk.settings, now=received,
                          department="engineering")
    with pytest.raises(InvalidInput) as refused, transaction(desk.engine) as session:
        deadlines.pause_clock(session, acting=Acting(desk.site_id, staff.operator),
                              request_id=request.id,
                              reason="", now=received)
    assert refused.value.field == "reason"
    paused_at = local(23, 12)
    with transaction(desk.engine) as session:
        deadlines.pause_clock(session, acting=Acting(desk.site_id, staff.operator),
                              request_id=request.id,
                              reason="业主出差，下周回来", now=paused_at)
    paused = load(desk, request.id)
    assert paused.next_due_at is None and paused.pause_reason == "业主出差，下周回来"
    # Long past the original due time: a paused request is not overdue.
    assert _overdue_numbers(desk, local(25, 12)) == []
    with pytest.raises(Conflict), transaction(desk.engine) as session:
        deadlines.pause_clock(session, acting=Acting(desk.site_id, staff.operator),
                              request_id=request.id,
                              reason="again", now=paused_at)
    resumed_at = paused_at + timedelta(hours=5)
    with transaction(desk.engine) as session:
        deadlines.resume_clock(session, acting=Acting(desk.site_id, staff.operator),
                               request_id=request.id,
                               now=resumed_at)
    pending = _pending(desk, request.id, resumed_at)
    assert pending == {"resident_reply": received + timedelta(hours=29),
                       "department_reply": received + timedelta(hours=29)}
    assert load(desk, request.id).next_due_at == received + timedelta(hours=29)
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id,
                            now=resumed_at)
    assert {d.shifted_minutes for d in card.pending_deadlines} == {300}
    assert [line.kind for line in card.timeline][-2:] == ["paused", "resumed"]
    with pytest.raises(Conflict), transaction(desk.engine) as session:
        deadlines.resume_clock(session, acting=Acting(desk.site_id, staff.operator),
                               request_id=request.id,
                               now=resumed_at)


def test_a_deadline_added_while_paused_starts_paused(desk: Desk, staff: Staff, homes: Homes):
    received = local(23, 10)
    request = new_request(desk, staff.operator, unit_id=homes.a.id, now=received)
    with transaction(desk.engine) as session:
        deadlines.pause_clock(session, acting=Acting(desk.site_id, staff.operator),
                              request_id=request.id,
                              reason="等业主回电", now=received)
        lifecycle.dispatch(session, acting=Acting(desk.site_id, staff.operator),
                           request_id=request.id,
                          settings=desk.settings, now=received + timedelta(hours=1),
                          department="engineering")
    assert load(desk, request.id).next_due_at is None
    with transaction(desk.engine) as session:
        deadlines.resume_clock(session, acting=Acting(desk.site_id, staff.operator),
                               request_id=request.id,
                               now=received + timedelta(hours=3))
    pending = _pending(desk, request.id, received)
    assert pending["department_reply"] == received + timedelta(hours=27)
    assert pending["resident_reply"] == received + timedelta(hours=27)


def _sweep(desk: Desk, now: datetime) -> rules.SweepReport:
    with transaction(desk.engine) as session:
        return rules.sweep(session, acting=Acting(desk.site_id), now=now,
                                   settings=desk.settings)


def test_sweep_escalates_an_overdue_deadline_once(desk: Desk, staff: Staff, homes: Homes):
    received = local(23, 10)
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair",
                          now=received)
    due = received + timedelta(hours=24)
    assert not _sweep(desk, due).changed
    report = _sweep(desk, due + timedelta(minutes=1))
    assert [e.level for e in report.escalations] == ["supervisor"]
    assert not _sweep(desk, due + timedelta(minutes=1)).changed
    assert not _sweep(desk, due + timedelta(hours=5)).changed
    assert _counts(desk, due + timedelta(minutes=2), due + timedelta(hours=8)) == (0, 1, 1)
    with reading(desk.engine) as session:
        escalated = queue(session, acting=Acting(desk.site_id), now=due, view="escalated").rows
    assert [row.number for row in escalated] == [request.number]


def test_only_a_supervisor_acknowledges_and_a_manager_takes_major(desk: Desk, staff: Staff,
                                                                  homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, collective_people=12)
    with reading(desk.engine) as session:
        [escalation] = deadlines.open_escalations(session, acting=Acting(desk.site_id))
    assert escalation.level == "manager"
    assert escalation.id is not None

    def acknowledge(actor: object) -> None:
        with transaction(desk.engine) as session:
            deadlines.acknowledge_escalation(
                session, acting=Acting(desk.site_id, actor), escalation_id=escalation.id or 0,
                note="已处理",
                now=desk.clock.now(),  # type: ignore[arg-type]
            )

    with pytest.raises(Conflict):
        acknowledge(staff.operator)
    with pytest.raises(Conflict):
        acknowledge(staff.supervisor)
    acknowledge(staff.manager)
    with pytest.raises(Conflict):
        acknowledge(staff.manager)
    now = desk.clock.now()
    assert _counts(desk, now, now + timedelta(hours=1))[2] == 0
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id or 0,
                            now=now)
    assert card.timeline[-1].kind == "escalation_acknowledged"


def test_closing_a_request_closes_its_escalations(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, collective_people=3)
    assert count(desk, Escalation) == 1
    with transaction(desk.engine) as session:
        lifecycle.void(session, acting=Acting(desk.site_id, staff.operator),
                       request_id=request.id or 0,
                      now=desk.clock.now(), reason="误登记")
    now = desk.clock.now()
    assert _counts(desk, now, now + timedelta(hours=1)) == (0, 0, 0)
