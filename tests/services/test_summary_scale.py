"""The dashboard's counts at scale (issue 19): what waits for the supervisor, the slips
issued today and today's audit entries are each read through their own index
(migration 0012), never every handover, item, slip or entry of the site; and they
count exactly what the lists show, at their boundaries."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select
from sqlalchemy import text as sql

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.formatting import local_day_start
from deskapp.models import AuditEntry, Unit
from deskapp.models.handover import Handover, HandoverItem, Shift
from deskapp.models.release import ReleaseSlip
from deskapp.services import dashboard, operators
from deskapp.services.acting import Acting
from deskapp.services.custody import core
from deskapp.services.handover import handovers
from deskapp.services.release import slips

OLD = 3_000


@dataclass(frozen=True)
class Summary:
    desk: Desk
    now: datetime
    day_start: datetime


def _table(model: Any) -> Any:
    return model.__table__


@pytest.fixture
def filled(desk: Desk) -> Summary:
    now = desk.clock.now()
    site = desk.site_id
    day_start = local_day_start(now, core.zone_of(desk.settings))
    with transaction(desk.engine) as session:
        operator_id = operators.add_operator(
            session, acting=Acting(site), login="wangfang", display_name="王芳", role="operator",
            secret="1111", now=now).id
    with desk.engine.begin() as connection:
        connection.execute(insert(_table(Unit)), [{"site_id": site, "code": "1-1-101",
                                                  "building": "1", "entrance": "1",
                                                  "room": "101", "created_at": now}])
        unit_id = connection.execute(select(_table(Unit).c.id)).scalar_one()
        total = OLD + 5
        connection.execute(insert(_table(Shift)), [{
            "site_id": site, "starts_at": now - timedelta(hours=8 * (total - i)),
            "ends_at": now - timedelta(hours=8 * (total - i - 1)), "created_at": now}
            for i in range(total)])
        shift_ids = list(connection.execute(
            select(_table(Shift).c.id).order_by(_table(Shift).c.starts_at)).scalars())
        # OLD reviewed; 3 sealed not reviewed; the last one open (not reviewed, not sealed).
        rows = []
        for i, shift_id in enumerate(shift_ids):
            at = now - timedelta(hours=8 * (total - i))
            is_open = i == total - 1
            rows.append({
                "site_id": site, "shift_id": shift_id,
                "state": "open" if is_open else "sealed", "open_key": site if is_open else None,
                "outgoing_id": operator_id, "incoming_id": operator_id, "started_at": at,
                "sealed_at": None if is_open else at, "seal_hash": "0" * 64,
                "reviewed_at": at if i < OLD else None,
                "reviewed_by_id": operator_id if i < OLD else None, "created_at": now})
        connection.execute(insert(_table(Handover)), rows)
        handover_ids = list(connection.execute(
            select(_table(Handover).c.id).order_by(_table(Handover).c.id)).scalars())

        def item(handover_id: int, decision: str, settled: bool = False) -> dict[str, Any]:
            return {"handover_id": handover_id, "position": 1, "group": "requests",
                    "record_kind": "request", "record_id": 1, "what": "卫生间漏水",
                    "since": now - timedelta(days=1), "decision": decision,
                    "decided_at": now - timedelta(hours=1) if decision != "pending" else None,
                    "settled_at": now if settled else None}
        items = [item(handover_id, "accepted") for handover_id in handover_ids[:OLD]]
        items += [item(handover_ids[OLD], "refused"), item(handover_ids[OLD + 1], "refused"),
                  item(handover_ids[OLD + 2], "refused"),
                  item(handover_ids[OLD + 3], "refused", settled=True),  # settled
                  item(handover_ids[OLD + 4], "refused")]  # of the open handover
        connection.execute(insert(_table(HandoverItem)), items)

        def slip(index: int, status: str, issued_at: datetime | None) -> dict[str, Any]:
            return {"site_id": site, "code": f"R-{index:05d}", "status": status,
                    "unit_id": unit_id, "applicant_name": "王芳", "applicant_relation": "owner",
                    "carrier_name": "张师傅", "reason": "other", "planned_at": now,
                    "issued_at": issued_at, "created_at": now}
        slip_rows = [slip(i, "filed", day_start - timedelta(hours=i + 1)) for i in range(OLD)]
        slip_rows += [slip(OLD, "issued", day_start), slip(OLD + 1, "released", now),
                      slip(OLD + 2, "void", now),  # issued today, then voided
                      slip(OLD + 3, "issued", day_start + timedelta(days=1)),  # tomorrow
                      slip(OLD + 4, "draft", None)]
        connection.execute(insert(_table(ReleaseSlip)), slip_rows)
        seq = connection.execute(select(func.coalesce(func.max(_table(AuditEntry).c.seq), 0))
                                 ).scalar_one()

        def entry(offset: int, at: datetime) -> dict[str, Any]:
            return {"seq": seq + 1 + offset, "site_id": site, "at": at, "actor": "王芳",
                    "action": "request.create", "entity": "request", "entity_id": "1",
                    "prev_hash": "0" * 64, "entry_hash": "0" * 64}
        connection.execute(insert(_table(AuditEntry)), [
            entry(i, day_start - timedelta(minutes=i + 1)) for i in range(OLD)]
            + [entry(OLD, day_start)])
    return Summary(desk=desk, now=now, day_start=day_start)


@contextmanager
def statements(desk: Desk) -> Iterator[list[tuple[str, Any]]]:
    sent: list[tuple[str, Any]] = []

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_a: Any) -> None:
        sent.append((" ".join(statement.split()), parameters))

    event.listen(desk.engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(desk.engine, "before_cursor_execute", record)


def _summary(filled: Summary) -> dashboard.DeskSummary:
    desk = filled.desk
    with reading(desk.engine) as session:
        return dashboard.desk_summary(session, acting=Acting(desk.site_id), now=filled.now,
                                      day_start=filled.day_start, settings=desk.settings)


def test_the_counts_are_those_of_the_lists_at_their_boundaries(filled: Summary) -> None:
    desk = filled.desk
    with reading(desk.engine) as session:
        today_before = int(session.execute(
            select(func.count()).select_from(_table(AuditEntry))
            .where(_table(AuditEntry).c.at >= filled.day_start)).scalar_one())
        unreviewed = handovers.unreviewed(session, acting=Acting(desk.site_id))
        refused = handovers.refused_waiting(session, acting=Acting(desk.site_id))
        issued = slips.issued_today(session, acting=Acting(desk.site_id), now=filled.now,
                                    settings=desk.settings)
    summary = _summary(filled)
    assert summary.handovers_unreviewed == len(unreviewed) == 4  # not the open one
    assert summary.refused_waiting == len(refused) == 3  # not settled, not of the open one
    assert summary.slips_issued_today == len(issued) == 2
    assert {row.code for row in issued} == {f"R-{OLD:05d}", f"R-{OLD + 1:05d}"}
    assert summary.changes_today == today_before  # the entry at the day's start, not before


def test_the_supervisor_list_of_refused_items_is_one_page_the_count_all(
        filled: Summary) -> None:
    desk = filled.desk
    with reading(desk.engine) as session:
        assert len(handovers.refused_waiting(session, acting=Acting(desk.site_id), limit=2)) == 2
        assert handovers.refused_waiting_count(session, acting=Acting(desk.site_id)) == 3


_SUMMARY_INDEXES = {
    "FROM handover WHERE": "ix_handover_unreviewed",
    "FROM handover_item JOIN": "ix_handover_item_decision",
    "release_slip.issued_at >=": "COVERING INDEX ix_release_slip_issued",
    "FROM audit_entry WHERE audit_entry.site_id + ? = ? AND audit_entry.at":
        "COVERING INDEX ix_audit_entry_at_site",
}


@pytest.mark.parametrize("statistics", [True, False], ids=["analysed", "no-statistics"])
def test_each_count_reads_its_own_index(filled: Summary, statistics: bool) -> None:
    desk = filled.desk
    if desk.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plans; PostgreSQL counts the same expressions")
    with statements(desk) as sent:
        _summary(filled)
    with desk.engine.connect() as connection:
        if statistics:
            connection.execute(sql("ANALYZE"))
        else:
            connection.execute(sql("DELETE FROM sqlite_stat1")) if connection.execute(sql(
                "SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'")).first() else None
            connection.execute(sql("ANALYZE sqlite_schema"))
        found = {}
        for statement, parameters in sent:
            for marker, index in _SUMMARY_INDEXES.items():
                if marker in statement:
                    plan = " | ".join(str(row[-1]) for row in connection.exec_driver_sql(
                        "EXPLAIN QUERY PLAN " + statement, parameters))
                    found[marker] = plan
                    assert index in plan, plan
                    assert "SCAN" not in plan and "TEMP B-TREE" not in plan, plan
        connection.rollback()
    assert set(found) == set(_SUMMARY_INDEXES)
