"""The handover's assembly: what each ledger carries at the boundaries of the shifts,
and the default watch level that follows from each deadline."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import update

from deskapp import i18n
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models.handover import WatchLevel
from deskapp.models.requests import ServiceRequest
from deskapp.services.acting import Acting
from deskapp.services.handover import assembly
from deskapp.services.handover.assembly import Window
from deskapp.services.requests import lifecycle
from deskapp.services.requests.handover import CONTRIBUTIONS as REQUESTS
from tests.services.handover.test_dutylog import write
from tests.services.handover.test_shifts import MINUTE, MONDAY_0800
from tests.services.requests.test_requests_support import new_request
from tests.support import Homes, Staff, homes_fixture, staff_fixture  # noqa: F401 (fixtures)

MID_MORNING = MONDAY_0800 + timedelta(hours=2)
NEXT_SHIFT_ENDS = MONDAY_0800 + timedelta(hours=16)  # 00:00 Tuesday in Beijing


def window(desk: Desk, *outgoing: int | None, now: datetime = MID_MORNING) -> Window:
    with reading(desk.engine) as session:
        return assembly.window_at(session, acting=Acting(desk.site_id), now=now,
                                  settings=desk.settings,
                                  outgoing=[i for i in outgoing if i is not None])


def carried(desk: Desk, at: Window, group: str) -> list[assembly.Carried]:
    with reading(desk.engine) as session:
        groups = assembly.assemble(session, at)
    return next(found.items for found in groups if found.group == group)


def due_at(desk: Desk, request_id: int | None, moment: datetime) -> None:
    """Give a request its next deadline at ``moment`` (the rules' own dates are tried
    in their tests; here the assembly's boundary is)."""
    with transaction(desk.engine) as session:
        session.exec(update(ServiceRequest).where(  # type: ignore[call-overload]
            ServiceRequest.id == request_id).values(next_due_at=moment))


def test_the_window_of_a_mid_morning_handover(desk: Desk, staff: Staff) -> None:
    at = window(desk, staff.operator.id)
    assert (at.shift_ends_at, at.next_shift_ends_at) == (
        MONDAY_0800 + timedelta(hours=8), NEXT_SHIFT_ENDS)
    assert at.outgoing == {staff.operator.id} and at.shift_id is None  # nobody worked it yet
    write(desk, staff.operator, "接班", now=MID_MORNING)
    assert window(desk, staff.operator.id).shift_id is not None


def test_a_request_due_a_minute_before_the_next_shift_ends_is_carried_and_one_after_is_not(
    desk: Desk, staff: Staff, homes: Homes,
) -> None:
    # Someone else's requests: carried only for their deadline.
    inside = new_request(desk, staff.colleague, unit_id=homes.a.id, summary="楼道灯不亮")
    outside = new_request(desk, staff.colleague, unit_id=homes.b.id, summary="门禁卡失灵")
    due_at(desk, inside.id, NEXT_SHIFT_ENDS - MINUTE)
    due_at(desk, outside.id, NEXT_SHIFT_ENDS + MINUTE)
    [item] = carried(desk, window(desk, staff.operator.id), "requests")
    assert (item.reference, item.unit_code, item.level) == (
        inside.number, "3-2-1201", WatchLevel.WATCH)
    assert item.deadline == NEXT_SHIFT_ENDS - MINUTE
    assert assembly.step_label(item.last_step) == "Received"


def test_the_outgoing_operators_own_requests_are_carried_whatever_their_deadline(
    desk: Desk, staff: Staff, homes: Homes,
) -> None:
    own = new_request(desk, staff.operator, unit_id=homes.a.id, summary="外墙渗水")
    due_at(desk, own.id, NEXT_SHIFT_ENDS + timedelta(days=3))
    items = carried(desk, window(desk, staff.operator.id), "requests")
    assert [(item.reference, item.level) for item in items] == [
        (own.number, WatchLevel.ROUTINE)]
    assert carried(desk, window(desk, staff.colleague.id), "requests") == []


def test_an_overdue_request_is_urgent_and_first_and_a_closed_one_is_not_carried(
    desk: Desk, staff: Staff, homes: Homes,
) -> None:
    later = new_request(desk, staff.operator, unit_id=homes.a.id, summary="电梯异响")
    overdue = new_request(desk, staff.colleague, unit_id=homes.b.id, summary="楼上漏水")
    closed = new_request(desk, staff.operator, unit_id=homes.c.id, kind="inquiry",
                         summary="停车费咨询")
    due_at(desk, later.id, MID_MORNING + timedelta(hours=1))
    due_at(desk, overdue.id, MID_MORNING - MINUTE)
    with transaction(desk.engine) as session:
        lifecycle.resolve(session, acting=Acting(desk.site_id, staff.operator),
                          request_id=closed.id or 0,
                          settings=desk.settings, now=MID_MORNING,
                          result="已答复")
        lifecycle.close(session, acting=Acting(desk.site_id, staff.operator),
                        request_id=closed.id or 0,
                        settings=desk.settings, now=MID_MORNING)
    items = carried(desk, window(desk, staff.operator.id), "requests")
    assert [(item.reference, item.level) for item in items] == [
        (overdue.number, WatchLevel.URGENT), (later.number, WatchLevel.WATCH)]


def test_a_revisit_due_before_the_next_shift_ends_is_carried(
    desk: Desk, staff: Staff, homes: Homes,
) -> None:
    complaint = new_request(desk, staff.operator, unit_id=homes.a.id)
    with transaction(desk.engine) as session:
        lifecycle.resolve(session, acting=Acting(desk.site_id, staff.operator),
                          request_id=complaint.id or 0,
                          settings=desk.settings, now=desk.clock.now(),
                          result="已维修")
    revisit_due = desk.clock.now() + timedelta(days=desk.settings.revisit_complaint_days)
    assert carried(desk, window(desk, now=revisit_due - timedelta(days=1)), "revisits") == []
    [item] = carried(desk, window(desk, now=revisit_due - timedelta(hours=2)), "revisits")
    assert (item.reference, item.deadline, item.level) == (
        complaint.number, revisit_due, WatchLevel.WATCH)
    [late] = carried(desk, window(desk, now=revisit_due + MINUTE), "revisits")
    assert late.level is WatchLevel.URGENT


def test_the_shifts_anomalies_are_carried_as_watched_and_routine_lines_are_not(
    desk: Desk, staff: Staff, homes: Homes,
) -> None:
    write(desk, staff.operator, "夜班巡查正常", now=MONDAY_0800 - timedelta(hours=1),
          anomaly=True)  # the night before: another shift's handover carried it
    write(desk, staff.operator, "大堂巡查正常", now=MONDAY_0800 + MINUTE)
    leak = write(desk, staff.operator, "B2车库积水", now=MONDAY_0800 + 2 * MINUTE,
                 anomaly=True, unit="3-2-1201")
    [item] = carried(desk, window(desk, staff.operator.id), "anomalies")
    assert (item.record_id, item.what, item.unit_code, item.level) == (
        leak.id, "B2车库积水 (王芳)", "3-2-1201", WatchLevel.WATCH)
    i18n.set_language("zh_CN")
    assert assembly.step_label(item.last_step) == "已记入值班记录（异常）"
    i18n.set_language("en")


def test_an_empty_desk_hands_over_empty_groups_in_the_ledgers_order(desk: Desk) -> None:
    with reading(desk.engine) as session:
        groups = assembly.assemble(session, window(desk))
    names = [group.group for group in groups]
    assert names[:2] == ["requests", "revisits"] and names[-1] == "anomalies"
    assert all(group.items == [] for group in groups)
    assert all(group.title for group in groups)


def test_the_default_level_at_each_boundary(desk: Desk) -> None:
    at = replace(window(desk), now=MID_MORNING)
    level = assembly.default_level
    assert level(MID_MORNING - MINUTE, at) is WatchLevel.URGENT
    assert level(MID_MORNING, at) is WatchLevel.WATCH  # due this minute: not yet late
    assert level(NEXT_SHIFT_ENDS - MINUTE, at) is WatchLevel.WATCH
    assert level(NEXT_SHIFT_ENDS, at) is WatchLevel.ROUTINE
    assert level(None, at) is WatchLevel.ROUTINE
    assert level(None, at, WatchLevel.WATCH) is WatchLevel.WATCH
    assert level(MID_MORNING - MINUTE, at, WatchLevel.WATCH) is WatchLevel.URGENT


def test_only_the_contributions_asked_for_are_read(desk: Desk, staff: Staff,
                                                   homes: Homes) -> None:
    new_request(desk, staff.operator, unit_id=homes.a.id)
    with reading(desk.engine) as session:
        groups = assembly.assemble(session, window(desk, staff.operator.id), only=REQUESTS)
    assert [(group.group, len(group.items)) for group in groups] == [
        ("requests", 1), ("revisits", 0)]
