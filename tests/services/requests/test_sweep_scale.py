"""The sweep and the severity rules read what can change, not the whole desk.

Each query at its boundaries (the deadline's minute, the age's minute, the subject
window's edge, the empty desk), and the number of statements a sweep or a complaint's
save issues, which must not grow with what was escalated or raised before
(benchmarks/decade.py measures the time at a million requests).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, update
from sqlmodel import col, select

from deskapp.config import Settings
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models.requests import Escalation, EscalationLevel, ServiceRequest
from deskapp.services.acting import Acting
from deskapp.services.requests import deadlines, lifecycle
from deskapp.services.requests import rules as request_rules
from tests.services.requests.test_requests_support import (  # noqa: F401 (fixtures)
    Homes,
    Staff,
    homes_fixture,
    load,
    new_request,
    settings_of,
    staff_fixture,
)

T0 = datetime(2026, 11, 2, 2, 0, tzinfo=UTC)  # a Monday, 10:00 at the desk


@contextmanager
def selects(desk: Desk) -> Iterator[list[str]]:
    """The SELECT statements sent to the database inside the block."""
    seen: list[str] = []

    def listen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    event.listen(desk.engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(desk.engine, "before_cursor_execute", listen)


def sweep(desk: Desk, now: datetime, settings: Settings | None = None
          ) -> request_rules.SweepReport:
    with transaction(desk.engine) as session:
        return request_rules.sweep(session, acting=Acting(desk.site_id), now=now,
                                   settings=settings or desk.settings)


def overdue_ids(desk: Desk, now: datetime) -> list[int | None]:
    with reading(desk.engine) as session:
        return [deadline.id for deadline, _request in deadlines.overdue_unescalated(
            session, acting=Acting(desk.site_id), now=now, level=EscalationLevel.SUPERVISOR,
            cause_prefix=request_rules.OVERDUE_CAUSE)]


def aged_numbers(desk: Desk, now: datetime, settings: Settings | None = None) -> list[str]:
    with reading(desk.engine) as session:
        return [request.number for request in request_rules._aged_to_raise(
            session, site_id=desk.site_id, now=now, settings=settings or desk.settings)]


def test_the_sweep_of_an_empty_desk_changes_nothing_in_four_reads(desk: Desk):
    with selects(desk) as seen:
        report = sweep(desk, T0)
    assert not report.changed
    assert len(seen) == 4  # the aged complaints, the overdue deadlines, hot, major


def test_an_overdue_deadline_is_read_from_its_minute_until_it_is_escalated(
        desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair", now=T0)
    due = T0 + timedelta(hours=24)
    assert overdue_ids(desk, due) == []  # due at that instant, not overdue yet
    [reply] = overdue_ids(desk, due + timedelta(minutes=1))
    report = sweep(desk, due + timedelta(minutes=1))
    assert [escalation.cause for escalation in report.escalations] == [f"overdue:{reply}"]
    assert overdue_ids(desk, due + timedelta(minutes=1)) == []
    assert overdue_ids(desk, due + timedelta(days=30)) == []
    # A second deadline of the same request is its own: it is read when it is overdue.
    with transaction(desk.engine) as session:
        lifecycle.dispatch(session, acting=Acting(desk.site_id, staff.operator),
                           request_id=request.id or 0,
                           settings=desk.settings, now=due + timedelta(hours=1),
                           department="engineering")
    department_due = due + timedelta(hours=25)
    assert overdue_ids(desk, department_due) == []
    [department] = overdue_ids(desk, department_due + timedelta(seconds=1))
    assert department != reply
    assert [e.cause for e in sweep(desk, department_due + timedelta(minutes=1)).escalations] \
        == [f"overdue:{department}"]


def test_a_paused_deadline_is_not_overdue_until_the_clock_runs_again(
        desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair", now=T0)
    with transaction(desk.engine) as session:
        deadlines.pause_clock(session, acting=Acting(desk.site_id, staff.operator),
                              request_id=request.id or 0,
                              reason="业主出差", now=T0 + timedelta(hours=1))
    assert overdue_ids(desk, T0 + timedelta(days=3)) == []
    with transaction(desk.engine) as session:
        deadlines.resume_clock(session, acting=Acting(desk.site_id, staff.operator),
                               request_id=request.id or 0,
                               now=T0 + timedelta(hours=3))
    due = T0 + timedelta(hours=26)  # two hours later: the time it was paused
    assert overdue_ids(desk, due) == []
    assert len(overdue_ids(desk, due + timedelta(minutes=1))) == 1


def test_the_age_rules_read_a_complaint_at_the_minute_it_is_raised_and_not_after(
        desk: Desk, staff: Staff, homes: Homes):
    venting = new_request(desk, staff.operator, unit_id=homes.a.id, nature="venting", now=T0)
    valid = new_request(desk, staff.operator, unit_id=homes.b.id, nature="valid",
                        complaint_subject="quality", now=T0 + timedelta(minutes=1))
    week = T0 + timedelta(days=7)
    assert aged_numbers(desk, week - timedelta(minutes=1)) == []
    assert aged_numbers(desk, week) == [venting.number]
    raised = sweep(desk, week + timedelta(minutes=1)).raised
    assert [(change.number, change.after) for change in raised] == [
        (venting.number, "hot"), (valid.number, "hot")]
    # Hot now, as old as the week makes them: nothing to read until the valid one is 30
    # days old. The venting complaint stays hot for good and is never read again.
    month = T0 + timedelta(days=30, minutes=1)
    assert aged_numbers(desk, week + timedelta(days=1)) == []
    assert aged_numbers(desk, month - timedelta(minutes=1)) == []
    assert aged_numbers(desk, month) == [valid.number]
    assert [(c.number, c.after) for c in sweep(desk, month).raised] == [(valid.number, "major")]
    assert aged_numbers(desk, month + timedelta(days=300)) == []
    assert load(desk, venting.id).severity == "hot"


def test_a_hot_complaint_whose_own_rule_now_says_major_is_read(
        desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, collective_people=6,
                          now=T0)
    assert load(desk, request.id).severity == "hot"
    later = T0 + timedelta(days=8)
    assert aged_numbers(desk, later) == []
    five = settings_of(desk, collective_major_people=5)  # the desk's number was changed
    assert aged_numbers(desk, later, five) == [request.number]
    assert [change.after for change in sweep(desk, later, five).raised] == ["major"]


def test_a_severe_request_without_its_escalation_is_escalated_once(
        desk: Desk, staff: Staff, homes: Homes):
    hot = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair", now=T0)
    major = new_request(desk, staff.operator, unit_id=homes.b.id, kind="help", now=T0)
    with transaction(desk.engine) as session:  # as a row of an older version would be
        for request, severity in ((hot, "hot"), (major, "major")):
            session.exec(update(ServiceRequest)  # type: ignore[call-overload]
                         .where(col(ServiceRequest.id) == request.id)
                         .values(severity=severity))
    report = sweep(desk, T0 + timedelta(minutes=5))
    assert sorted((e.level, e.cause) for e in report.escalations) == [
        ("manager", "severity:major"), ("supervisor", "severity:hot")]
    assert not sweep(desk, T0 + timedelta(minutes=6)).changed


def test_a_sweep_reads_as_much_after_many_escalations_as_after_few(
        desk: Desk, staff: Staff, homes: Homes):
    def overdue_requests(how_many: int, at: datetime) -> None:
        for index in range(how_many):
            new_request(desk, staff.operator, kind="repair", now=at + timedelta(minutes=index),
                        unit_id=(homes.a, homes.b, homes.c, homes.d)[index % 4].id)

    overdue_requests(2, T0)
    assert len(sweep(desk, T0 + timedelta(days=2)).escalations) == 2
    with selects(desk) as few:
        assert not sweep(desk, T0 + timedelta(days=2, minutes=1)).changed
    overdue_requests(6, T0 + timedelta(hours=1))
    assert len(sweep(desk, T0 + timedelta(days=2, minutes=2)).escalations) == 6
    with selects(desk) as many:
        assert not sweep(desk, T0 + timedelta(days=2, minutes=3)).changed
    assert len(many) == len(few) == 4


def complainants_as_before(desk: Desk, request: ServiceRequest, now: datetime) -> int:
    with reading(desk.engine) as session:
        group = request_rules.subject_group(session, request, now=now, settings=desk.settings)
        return len({request_rules.complainant_key(member) for member in group})


def complainants(desk: Desk, request: ServiceRequest, now: datetime) -> int:
    with reading(desk.engine) as session:
        return request_rules.complainant_count(session, request, now=now,
                                               settings=desk.settings)


def test_the_complainants_are_counted_as_the_keys_of_the_group_at_the_windows_edge(
        desk: Desk, staff: Staff, homes: Homes):
    now = T0 + timedelta(days=40)
    edge = now - timedelta(days=desk.settings.repeat_subject_window_days)
    subject = {"complaint_subject": "equipment", "nature": "help_seeking"}
    first = new_request(desk, staff.operator, unit_id=homes.a.id, now=edge, **subject)
    new_request(desk, staff.operator, unit_id=homes.b.id, now=edge - timedelta(minutes=1),
                **subject)  # a minute too old
    new_request(desk, staff.operator, unit_id=homes.a.id, now=edge + timedelta(days=1),
                **subject)  # the same household again
    for day in (2, 3):  # a visitor calling twice is one complainant
        new_request(desk, staff.operator, contact_name="访客", contact_phone="13600009999",
                    now=edge + timedelta(days=day), **subject)
    voided = new_request(desk, staff.operator, unit_id=homes.c.id,
                         now=edge + timedelta(days=4), **subject)
    with transaction(desk.engine) as session:
        lifecycle.void(session, acting=Acting(desk.site_id, staff.operator),
                       request_id=voided.id or 0,
                       now=edge + timedelta(days=4), reason="重复登记")
    new_request(desk, staff.operator, unit_id=homes.d.id, now=edge + timedelta(days=5),
                complaint_subject="attitude")  # another subject
    assert complainants(desk, first, now) == complainants_as_before(desk, first, now) == 2
    earlier = now - timedelta(minutes=1)  # the window takes the unit a minute too old
    assert complainants(desk, first, earlier) == complainants_as_before(desk, first, earlier) == 3
    later = now + timedelta(days=1, minutes=1)  # both of the first household's have left it
    assert complainants(desk, first, later) == complainants_as_before(desk, first, later) == 1
    assert complainants(desk, first, edge - timedelta(days=1)) == 0
    empty = ServiceRequest(site_id=desk.site_id, number="x", received_at=now, kind="complaint",
                           summary="", owner_id=staff.operator.id or 0)
    assert complainants(desk, empty, now) == 0  # no subject: no group


def test_a_complaints_save_reads_as_much_in_a_large_group_as_in_a_small_one(
        desk: Desk, staff: Staff, homes: Homes):
    subject = {"complaint_subject": "equipment", "nature": "help_seeking"}
    units = [homes.a, homes.b, homes.c]
    group = [new_request(desk, staff.operator, unit_id=unit.id,
                         now=T0 + timedelta(minutes=index), **subject)
             for index, unit in enumerate(units)]
    assert {load(desk, request.id).severity for request in group} == {"hot"}

    def saved(minutes: int) -> list[str]:
        with selects(desk) as seen:
            new_request(desk, staff.operator, contact_name="访客",
                        contact_phone=f"1360000{minutes:04d}",
                        now=T0 + timedelta(minutes=minutes), **subject)
        return seen

    small = saved(10)
    for index in range(8):
        new_request(desk, staff.operator, unit_id=homes.d.id,
                    now=T0 + timedelta(minutes=20 + index), **subject)
    large = saved(40)
    assert len(large) == len(small)
    with reading(desk.engine) as session:
        severities = set(session.exec(
            select(ServiceRequest.severity).where(ServiceRequest.site_id == desk.site_id)).all())
        assert severities == {"hot"}
        assert session.exec(select(Escalation)).all()  # each went to the supervisor
