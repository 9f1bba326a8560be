"""The demo's week of shifts: three shifts a day with their duty log, a handover sealed
with both PINs each day and reviewed the next morning, except what is left on purpose
for the supervisor (one refused item, the latest handover); none left open."""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models import AuditEntry, Operator, Role
from deskapp.models.handover import (
    DutyLogEntry,
    Handover,
    HandoverCount,
    HandoverItem,
    HandoverState,
    ItemDecision,
    Shift,
)
from deskapp.services import audit, demo, directory, operators, sites
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.handover import demo as handover_demo
from deskapp.services.handover import dutylog, handovers

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _local_day(moment: datetime | None) -> Any:
    assert moment is not None
    return as_utc(moment).astimezone(SHANGHAI).date()


def _week(desk: Desk) -> list[Any]:
    """The 7 local days before the desk's today."""
    today = desk.clock.now().astimezone(SHANGHAI).date()
    return [today - timedelta(days=back) for back in range(7, 0, -1)]


def _sealed(desk: Desk, site_id: int | None = None) -> list[Handover]:
    with reading(desk.engine) as session:
        return list(session.exec(
            select(Handover).where(Handover.site_id == (site_id or desk.site_id))
            .order_by(col(Handover.started_at))).all())


def test_a_handover_is_sealed_with_both_pins_each_day_of_the_week_and_none_is_open(
    demo_desk: Desk, demo_report: demo.DemoReport,
) -> None:
    desk = demo_desk
    week = _sealed(desk)
    assert [h.state for h in week] == [HandoverState.SEALED.value] * 7
    assert [_local_day(h.sealed_at) for h in week] == _week(desk)
    assert demo_report.handovers.sealed == 7
    with reading(desk.engine) as session:
        assert handovers.open_handover(session, acting=Acting(desk.site_id)) is None
        logins = {op.id: (op.login, op.role) for op in session.exec(select(Operator)).all()}
        signed = Counter(
            entry.actor for entry in session.exec(
                select(AuditEntry).where(AuditEntry.action == "handover.sign")).all())
        assert handovers.verify_seals(session, site_id=desk.site_id) == []
        assert audit.verify(session).ok
    for handover in week:
        assert handover.outgoing_signed_at and handover.incoming_signed_at and \
            handover.seal_hash
        outgoing, incoming = logins[handover.outgoing_id], logins[handover.incoming_id or 0]
        assert outgoing != incoming
        assert outgoing[1] == incoming[1] == Role.OPERATOR.value
        # The outgoing operator starts a quarter of an hour before the end of the shift.
        assert as_utc(handover.started_at).astimezone(SHANGHAI).hour == 15
    # Each desk operator signed as often as they handed over and took over: 7 + 7.
    assert signed == {"wangfang": 7, "liuyang": 7}


def test_an_operator_can_start_the_handover_of_the_shift_now(demo_desk: Desk) -> None:
    desk = demo_desk
    with transaction(desk.engine) as session:
        wang = operators.get_operator(session, acting=Acting(desk.site_id), login="wangfang")
        started = handovers.start(session, acting=Acting(desk.site_id, wang),
                                  now=desk.clock.now(), settings=desk.settings)
        assert started.state == HandoverState.OPEN.value


def test_the_supervisor_reviewed_each_day_the_next_morning_but_the_latest(
    demo_desk: Desk, demo_report: demo.DemoReport,
) -> None:
    desk = demo_desk
    week = _sealed(desk)
    with reading(desk.engine) as session:
        supervisor = operators.get_operator(session, acting=Acting(desk.site_id), login="zhaomin")
        assert [h.id for h in handovers.unreviewed(session, acting=Acting(desk.site_id))] == \
            [week[-1].id]
    assert demo_report.handovers.unreviewed == 1
    for handover in week[:-1]:
        assert handover.reviewed_by_id == supervisor.id and handover.review_remarks
        assert _local_day(handover.reviewed_at) == _local_day(handover.sealed_at) + timedelta(
            days=1)
        assert 9 <= as_utc(handover.reviewed_at or handover.sealed_at).astimezone(
            SHANGHAI).hour < 10


def test_one_refused_item_waits_for_the_supervisor_with_its_reason(
    demo_desk: Desk, demo_report: demo.DemoReport,
) -> None:
    desk = demo_desk
    week = _sealed(desk)
    with reading(desk.engine) as session:
        [waiting] = handovers.refused_waiting(session, acting=Acting(desk.site_id))
        refused = session.exec(select(HandoverItem).where(
            HandoverItem.decision == ItemDecision.REFUSED.value)).all()
    assert demo_report.handovers.refused_waiting == 1
    assert waiting.handover_id == week[-1].id
    assert "渗水" in waiting.item.what and "请主管" in waiting.item.refusal_reason
    # Another refusal of the week was settled by the supervisor the next morning.
    [settled] = [item for item in refused if item.id != waiting.item.id]
    assert settled.settle_note and settled.settled_by_id == week[0].reviewed_by_id
    assert _local_day(settled.settled_at) == _local_day(settled.decided_at) + timedelta(days=1)


def test_one_count_differs_and_the_outgoing_operator_explained_it(
    demo_desk: Desk, demo_report: demo.DemoReport,
) -> None:
    desk = demo_desk
    with reading(desk.engine) as session:
        counts = session.exec(select(HandoverCount)).all()
        [explained] = session.exec(
            select(AuditEntry).where(AuditEntry.action == "handover.explain")).all()
        handover = session.get(Handover, int(explained.entity_id))
        assert handover is not None
        outgoing = session.get(Operator, handover.outgoing_id)
    assert len(counts) == 7 * len(handovers.public_items(desk.settings))
    assert all(count.counted is not None for count in counts)
    [short] = [count for count in counts if count.counted != count.expected]
    assert (short.name, short.expected, short.counted) == ("对讲机", 4, 3)
    assert "工程部" in short.explanation and short.handover_id == handover.id
    assert outgoing is not None and explained.actor == outgoing.login
    assert demo_report.handovers.count_differences == 1


def test_the_duty_log_has_three_shifts_a_day_with_routine_lines_and_anomalies(
    demo_desk: Desk, demo_report: demo.DemoReport,
) -> None:
    desk = demo_desk
    with reading(desk.engine) as session:
        week_shifts = session.exec(select(Shift).order_by(col(Shift.starts_at))).all()
        entries = session.exec(select(DutyLogEntry)).all()
        names = {op.id: op.login for op in session.exec(select(Operator)).all()}
        carried = session.exec(select(HandoverItem.record_id).where(
            HandoverItem.record_kind == dutylog.ENTITY)).all()
    by_day = Counter(_local_day(shift.starts_at) for shift in week_shifts)
    assert by_day == dict.fromkeys(_week(desk), 3)
    starts = {as_utc(shift.starts_at).astimezone(SHANGHAI).strftime("%H:%M")
              for shift in week_shifts}
    assert starts == set(desk.settings.shift_starts) == {"00:00", "08:00", "16:00"}
    assert {entry.shift_id for entry in entries} == {shift.id for shift in week_shifts}
    anomalies = [entry for entry in entries if entry.anomaly]
    assert len(entries) == demo_report.handovers.duty_entries > 2 * len(anomalies) >= 10
    assert len(anomalies) == demo_report.handovers.anomalies
    texts = "".join(entry.text for entry in anomalies)
    assert all(word in texts for word in ("电梯", "积水", "门禁", "渗水"))
    assert any("巡查" in entry.text and "正常" in entry.text for entry in entries)
    # The desk operators keep the nights too; the guard writes nothing in the desk's log.
    night = {names[e.operator_id] for e in entries
             if as_utc(e.at).astimezone(SHANGHAI).hour < 8}
    assert night == {"wangfang", "liuyang"}
    assert "sunqiang" not in {names[e.operator_id] for e in entries}
    # Every anomaly of a shift that was handed over is carried in its handover.
    sealed_shifts = {h.shift_id for h in _sealed(desk)}
    assert {e.id for e in anomalies if e.shift_id in sealed_shifts} == set(carried)


def _staffed_site(desk: Desk, code: str) -> tuple[int, dict[str, Operator]]:
    """Another site with the demo's operators and the units the week's anomalies name."""
    now = desk.clock.now() - timedelta(days=10)
    with transaction(desk.engine) as session:
        site = sites.ensure_site(session, code=code, name=code, now=now)
        assert site.id is not None
        staff = {entry.login: operators.add_operator(
            session, acting=Acting(site.id), login=entry.login, display_name=entry.display_name,
            role=entry.role.value, secret=entry.pin, now=now)
            for entry in demo.DEMO_OPERATORS}
        for day in handover_demo.DAY_ANOMALIES:
            for anomaly in day:
                if anomaly.unit:
                    directory.add_unit(session, acting=Acting(site.id), code=anomaly.unit, now=now)
        return site.id, staff


def _played(desk: Desk, code: str, seed: str, now: datetime) -> list[tuple[Any, ...]]:
    site_id, staff = _staffed_site(desk, code)
    with transaction(desk.engine) as session:
        handover_demo.seed_handovers(
            session, acting=Acting(site_id), now=now, rng=random.Random(seed), operators=staff,
            pins={entry.login: entry.pin for entry in demo.DEMO_OPERATORS},
            settings=desk.settings)
    with reading(desk.engine) as session:
        logins = {op.id: op.login for op in staff.values()}
        lines: list[tuple[Any, ...]] = [
            (as_utc(e.at), logins[e.operator_id], e.text, e.anomaly) for e in session.exec(
                select(DutyLogEntry).where(DutyLogEntry.site_id == site_id)
                .order_by(col(DutyLogEntry.at))).all()]
        for handover in _sealed(desk, site_id):
            lines.append((as_utc(handover.started_at), as_utc(handover.sealed_at),
                          logins[handover.outgoing_id], logins[handover.incoming_id or 0],
                          handover.review_remarks))
            lines.extend((item.what, item.level, item.decision, item.refusal_reason)
                         for item in handovers.items_of(session, handover.id or 0))
    return lines


def test_the_week_is_the_same_for_the_same_seed_whatever_the_zone_of_now(
    demo_desk: Desk,
) -> None:
    now = demo_desk.clock.now()
    first = _played(demo_desk, "one", "2026:handovers", now)
    assert first == _played(demo_desk, "two", "2026:handovers", now.astimezone(SHANGHAI))
    assert first != _played(demo_desk, "three", "7:handovers", now)
