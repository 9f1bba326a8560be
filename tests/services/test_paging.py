"""Paging everywhere (issue 19, point 5): no list screen loads a whole table.

Each ledger gets 10,000 generated rows (bulk Core inserts): requests, storage items,
parcels, lost and found, keys and their loans, release slips, sealed handovers with a
refused item each, and a shift's duty log. Then every list function a list screen calls
(``deskapp/screens/**``: each view's service call) runs with the SQL it sends recorded.
Every SELECT that reads a ledger table carries a LIMIT, counts (an aggregate), or reads
rows by their key (the page's own rows, or one record); and no call returns more than
its page.

Where a list is also needed whole (a printed notice or hand-over list, the week's
reconciliation report, the handover's assembly), the whole form is a separate function
that no list screen calls; the screen calls the paged form named here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sized
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from sqlmodel import Session

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.formatting import desk_zone
from deskapp.models import Unit
from deskapp.models.custody import CustodyItem, KeyLoan, KeyRecord
from deskapp.models.handover import DutyLogEntry, Handover, HandoverItem, Shift
from deskapp.models.release import ReleaseSlip
from deskapp.models.requests import ServiceRequest
from deskapp.services import dashboard, directory, operators
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from deskapp.services.custody import keys, lostfound, parcels, storage
from deskapp.services.handover import dutylog, handovers
from deskapp.services.release import reconciliation, slips
from deskapp.services.requests import views
from deskapp.services.workcalendar import WorkCalendar
from tests.conftest import BACKENDS, DESK_MORNING, open_empty_desk
from tests.support import statements_sent

ROWS = 10_000
PAGE = 50
SCREEN_PAGE = 100
"""What a list screen asks for at a time (``ledger_forms.PAGE``)."""
LEDGER_TABLES = ("service_request", "custody_item", "key_record", "key_loan", "release_slip",
                 "handover", "handover_item", "duty_log_entry", "audit_entry")


@dataclass(frozen=True)
class Generated:
    desk: Desk
    now: datetime
    operator_id: int
    shift_id: int


def _table(model: Any) -> Any:
    return model.__table__


@pytest.fixture(scope="module", params=BACKENDS)
def ledgers(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Generated]:
    """10,000 rows in every ledger, most of them on the lists a screen shows (held,
    out, waiting, unreviewed), so a list that reads them all would show it. Built once
    per engine for the module: the calls only read."""
    desk = open_empty_desk(str(request.param), tmp_path_factory.mktemp("paging"), request,
                           FixedClock(DESK_MORNING))
    yield _generate(desk)
    desk.engine.dispose()


def _generate(desk: Desk) -> Generated:
    now = desk.clock.now()
    site = desk.site_id
    with transaction(desk.engine) as session:
        operator = operators.add_operator(
            session, acting=Acting(site), login="wangfang", display_name="王芳", role="operator",
            secret="1111", now=now)
        operator_id = operator.id or 0
    codes = [f"{b}-{e}-{f}{r:02d}" for b in range(1, 6) for e in range(1, 3)
             for f in range(1, 11) for r in range(1, 3)]
    with desk.engine.begin() as connection:
        connection.execute(insert(_table(Unit)), [
            {"site_id": site, "code": code, "building": code.split("-")[0],
             "entrance": code.split("-")[1], "room": code.split("-")[2], "created_at": now}
            for code in codes])
        units = list(connection.execute(select(_table(Unit).c.id)).scalars())

        def ago(index: int) -> datetime:
            return now - timedelta(minutes=20 * (ROWS - index))

        connection.execute(insert(_table(ServiceRequest)), [{
            "site_id": site, "number": f"{ago(i):%y%m%d}-{i:05d}", "received_at": ago(i),
            "unit_id": units[i % len(units)], "contact_name": "王芳",
            "contact_phone": f"1380000{i:04d}", "contact_phone_tail": f"{i:04d}",
            "kind": "repair", "summary": "卫生间漏水", "wish": "", "department_reply": "",
            "result": "", "owner_id": operator_id, "is_open": True, "status": "received",
            "next_due_at": now + timedelta(minutes=i - ROWS // 2),
            "paused_at": ago(i) if i % 7 == 0 else None,
            "created_at": ago(i), "updated_at": ago(i)} for i in range(ROWS)])
        for prefix, ledger in (("S", "storage"), ("P", "parcel"), ("L", "lost")):
            connection.execute(insert(_table(CustodyItem)), [{
                "site_id": site, "ledger": ledger, "code": f"{prefix}-{i:05d}",
                "status": "held", "description": "黑色钱包",
                "unit_id": None if ledger == "lost" else units[i % len(units)],
                "owner_name": "" if ledger == "lost" else "王芳", "received_at": ago(i),
                "received_by_id": operator_id, "valuable": ledger == "lost" and i % 3 == 0,
                "category": "钱包" if ledger == "lost" else "", "found_at": ago(i),
                "created_at": ago(i)} for i in range(ROWS)])
        connection.execute(insert(_table(KeyRecord)), [{
            "site_id": site, "code": f"K-{i:05d}", "unit_id": units[i % len(units)],
            "label": "备用钥匙", "pieces": 2, "place": "钥匙柜", "status": "out",
            "registered_at": ago(0), "registered_by_id": operator_id, "created_at": ago(0)}
            for i in range(ROWS)])
        key_ids = list(connection.execute(select(_table(KeyRecord).c.id)).scalars())
        connection.execute(insert(_table(KeyLoan)), [{
            "site_id": site, "key_id": key_id, "permanent": False, "borrower_name": "李师傅",
            "borrower_kind": "contractor", "purpose": "入户维修", "out_at": ago(i),
            "out_by_id": operator_id, "due_at": ago(i) + timedelta(hours=4),
            "created_at": ago(i)} for i, key_id in enumerate(key_ids)])
        statuses = ("draft", "sent_back", "issued", "released", "filed")
        connection.execute(insert(_table(ReleaseSlip)), [{
            "site_id": site, "code": f"R-{i:05d}", "status": statuses[i % len(statuses)],
            "unit_id": units[i % len(units)], "applicant_name": "王芳",
            "applicant_relation": "owner", "carrier_name": "张师傅", "reason": "repair",
            "due_back_on": (now - timedelta(days=3)).date(),
            "planned_at": now - timedelta(minutes=i),
            "issued_at": now - timedelta(minutes=i) if i % len(statuses) >= 2 else None,
            "released_at": now - timedelta(minutes=i) if i % len(statuses) >= 3 else None,
            "created_at": now - timedelta(minutes=i)} for i in range(ROWS)])
        connection.execute(insert(_table(Shift)), [{
            "site_id": site, "starts_at": now - timedelta(hours=8 * (ROWS - i)),
            "ends_at": now - timedelta(hours=8 * (ROWS - i - 1)), "created_at": now}
            for i in range(ROWS)])
        shift_ids = list(connection.execute(
            select(_table(Shift).c.id).order_by(_table(Shift).c.starts_at)).scalars())
        connection.execute(insert(_table(Handover)), [{
            "site_id": site, "shift_id": shift_id, "state": "sealed", "open_key": None,
            "outgoing_id": operator_id, "incoming_id": operator_id,
            "started_at": now - timedelta(hours=8 * (ROWS - i)),
            "sealed_at": now - timedelta(hours=8 * (ROWS - i)), "seal_hash": "0" * 64,
            "created_at": now} for i, shift_id in enumerate(shift_ids)])
        handover_ids = list(connection.execute(select(_table(Handover).c.id)).scalars())
        connection.execute(insert(_table(HandoverItem)), [{
            "handover_id": handover_id, "position": 1, "group": "requests",
            "record_kind": "request", "record_id": 1, "what": "卫生间漏水",
            "since": now - timedelta(days=1), "decision": "refused",
            "decided_at": now - timedelta(hours=8 * (ROWS - i)), "refusal_reason": "不清楚"}
            for i, handover_id in enumerate(handover_ids)])
        current_shift = shift_ids[-1]
        connection.execute(insert(_table(DutyLogEntry)), [{
            "site_id": site, "shift_id": current_shift, "at": now - timedelta(seconds=i),
            "operator_id": operator_id, "text": "巡逻一切正常", "created_at": now}
            for i in range(ROWS)])
    return Generated(desk=desk, now=now, operator_id=operator_id, shift_id=current_shift)


def statements(desk: Desk) -> AbstractContextManager[list[str]]:
    """The SQL sent while the block runs (``support.statements_sent``)."""
    return statements_sent(desk.engine)


def _reads_a_ledger(statement: str) -> list[str]:
    return [table for table in LEDGER_TABLES
            if re.search(rf"\b(FROM|JOIN) {table}\b", statement)]


def unbounded(statement: str) -> bool:
    """A SELECT of a ledger with no LIMIT, no aggregate and no key of its own rows."""
    if not statement.lstrip("(").upper().startswith(("SELECT", "WITH")):
        return False
    tables = _reads_a_ledger(statement)
    if not tables:
        return False
    if " LIMIT " in statement or re.search(r"\bcount\(", statement, re.IGNORECASE):
        return False
    # The page's own rows, or one record: by primary key (one, or an IN list); or the
    # rows of a page's records, by an IN list of their keys (a key's open loan). One
    # parent's rows (``shift_id = ?``) are not bounded: a shift's log can be long.
    return not all(re.search(rf"\b{table}\.(id (=|IN)|(?!site_id)\w+_id IN \()", statement)
                   for table in tables)


Call = Callable[[Session, Generated], Any]


def _calendar(g: Generated) -> WorkCalendar:
    return WorkCalendar.from_settings(g.desk.settings)


def _queue(view: str) -> Call:
    def call(session: Session, g: Generated) -> Any:
        return views.queue(session, acting=Acting(g.desk.site_id), now=g.now, view=view,
                           operator_id=g.operator_id,
                           due_before=_calendar(g).next_shift_end(g.now), offset=0,
                           limit=PAGE).rows
    return call


def _slips(view: slips.SlipList) -> Call:
    def call(session: Session, g: Generated) -> Any:
        # Unused: a week on, every issued slip's day has ended.
        later = g.now + timedelta(days=8) if view is slips.SlipList.UNUSED else g.now
        return slips.desk_list(session, acting=Acting(g.desk.site_id), view=view.value, now=later,
                               settings=g.desk.settings, limit=PAGE).rows
    return call


def _middle_entry(session: Session, g: Generated) -> int:
    entry = _table(DutyLogEntry)
    return int(session.exec(select(entry.c.id).where(entry.c.shift_id == g.shift_id)
                            .order_by(entry.c.id).offset(ROWS // 2).limit(1)).scalar_one())


def _week_start(g: Generated) -> Any:
    today = g.now.astimezone(desk_zone(g.desk.settings.timezone)).date()
    return reconciliation.week_of(today)


def _calls() -> list[Any]:
    calls: list[Any] = [pytest.param(_queue(view.value), id=f"queue-{view.value}")
                        for view in views.QueueView]
    table: list[tuple[str, Call, Any]] = [
        ("search_requests", lambda session, g: views.search_requests(
            session, acting=Acting(g.desk.site_id), query="漏水", now=g.now, limit=PAGE), None),
        ("storage-held", lambda session, g: storage.held(
            session, acting=Acting(g.desk.site_id), now=g.now, settings=g.desk.settings,
            limit=PAGE).rows, None),
        ("storage-overdue", lambda session, g: storage.held(
            session, acting=Acting(g.desk.site_id), now=g.now, settings=g.desk.settings,
            overdue_only=True, limit=PAGE).rows, None),
        ("storage-history", lambda session, g: storage.history(
            session, acting=Acting(g.desk.site_id), now=g.now, settings=g.desk.settings,
            limit=PAGE).rows, None),
        ("storage-find_lost_ticket", lambda session, g: storage.find_lost_ticket(
            session, acting=Acting(g.desk.site_id), query="王芳", now=g.now,
            settings=g.desk.settings), None),
        ("parcels-waiting", lambda session, g: parcels.waiting(
            session, acting=Acting(g.desk.site_id), now=g.now, settings=g.desk.settings,
            limit=PAGE).rows, None),
        ("parcels-overdue", lambda session, g: parcels.waiting(
            session, acting=Acting(g.desk.site_id), now=g.now, settings=g.desk.settings,
            overdue_only=True, limit=PAGE).rows, None),
        ("lost-all", lambda session, g: lostfound.lost_items(
            session, acting=Acting(g.desk.site_id), now=g.now, settings=g.desk.settings,
            limit=PAGE).rows, None),
        ("lost-held", lambda session, g: lostfound.lost_items(
            session, acting=Acting(g.desk.site_id), now=g.now, settings=g.desk.settings,
            status="held", limit=PAGE).rows, None),
        ("lost-notice_page", lambda session, g: lostfound.notice_page(
            session, acting=Acting(g.desk.site_id), now=g.now, settings=g.desk.settings,
            limit=PAGE).rows, None),
        ("lost-handover_page", lambda session, g: lostfound.handover_page(
            session, acting=Acting(g.desk.site_id), now=g.now, settings=g.desk.settings,
            limit=PAGE).rows, None),
        ("lost-disposal_page", lambda session, g: lostfound.disposal_page(
            session, acting=Acting(g.desk.site_id), now=g.now + timedelta(days=400),
            settings=g.desk.settings, limit=PAGE).rows, None),
        ("keys-register", lambda session, g: keys.register(
            session, acting=Acting(g.desk.site_id), now=g.now, limit=PAGE).rows, None),
        ("keys-out", lambda session, g: keys.keys_out(
            session, acting=Acting(g.desk.site_id), now=g.now, limit=PAGE).rows, None),
        ("keys-overdue", lambda session, g: keys.keys_out(
            session, acting=Acting(g.desk.site_id), now=g.now, overdue_only=True,
            limit=PAGE).rows, None),
        *[(f"slips-{view.value}", _slips(view), None) for view in slips.SlipList],
        ("slips-week_page", lambda session, g: slips.week_page(
            session, acting=Acting(g.desk.site_id), week_start=_week_start(g),
            settings=g.desk.settings, limit=PAGE).rows, None),
        ("handover-recent_sealed", lambda session, g: handovers.recent_sealed(
            session, acting=Acting(g.desk.site_id)), None),
        ("handover-refused_waiting", lambda session, g: handovers.refused_waiting(
            session, acting=Acting(g.desk.site_id)), None),
        ("dutylog-shift_log", lambda session, g: dutylog.shift_log(
            session, acting=Acting(g.desk.site_id), shift_id=g.shift_id, limit=PAGE).rows, None),
        ("dutylog-shift_log-newest", lambda session, g: dutylog.shift_log(
            session, acting=Acting(g.desk.site_id), shift_id=g.shift_id, limit=PAGE,
            newest=True).rows, None),
        ("dutylog-shift_log-around", lambda session, g: dutylog.shift_log(
            session, acting=Acting(g.desk.site_id), shift_id=g.shift_id, limit=PAGE, newest=True,
            around=_middle_entry(session, g)).rows, None),
        ("dutylog-search_log", lambda session, g: dutylog.search_log(
            session, acting=Acting(g.desk.site_id), query="巡逻"), None),
        ("directory-lookup", lambda session, g: directory.lookup(
            session, acting=Acting(g.desk.site_id), query="1-1"), None),
        ("dashboard-open_escalations", lambda session, g: dashboard.open_escalations(
            session, acting=Acting(g.desk.site_id)), None),
    ]
    for name, call, mark in table:
        calls.append(pytest.param(call, id=name, marks=[mark] if mark else []))
    return calls


@pytest.mark.parametrize("call", _calls())
def test_a_list_screen_reads_one_page_of_a_ledger(ledgers: Generated, call: Call) -> None:
    with reading(ledgers.desk.engine) as session, statements(ledgers.desk) as sent:
        rows = call(session, ledgers)
    assert isinstance(rows, Sized)
    assert len(rows) <= PAGE, f"{len(rows)} rows for a page of {PAGE}"
    assert not [statement for statement in sent if unbounded(statement)]


Paged = Callable[[Session, Generated, int, int], Any]
"""A paged list function, given the offset and the limit: its ``Page``."""
Whole = Callable[[Session, Generated], list[int]]
"""The same list whole, as the ids of its rows."""


def _later(view: slips.SlipList, g: Generated) -> datetime:
    return g.now + timedelta(days=8) if view is slips.SlipList.UNUSED else g.now


def _slip_pages(view: slips.SlipList) -> Paged:
    return lambda session, g, offset, limit: slips.desk_list(
        session, acting=Acting(g.desk.site_id), view=view.value, now=_later(view, g),
        settings=g.desk.settings, offset=offset, limit=limit)


def _ids(rows: Any) -> list[int]:
    return [getattr(row, "slip_id", None) or row.id for row in rows]


def _slip_ids(*conditions: Any, order: Any) -> Whole:
    slip = _table(ReleaseSlip)
    return lambda session, g: list(session.exec(
        select(slip.c.id).where(slip.c.site_id == g.desk.site_id, *conditions)
        .order_by(*order)).scalars())


_SLIP = _table(ReleaseSlip).c
_BY_DAY = (_SLIP.planned_at, _SLIP.id)


def _same_lists() -> list[Any]:
    """Each paged list with its whole form (or, where no caller needs it whole, the
    query that says what it holds)."""
    s = slips.SlipList
    pairs: list[tuple[str, Paged, Whole]] = [
        ("slips-desk", _slip_pages(s.AT_DESK), _slip_ids(
            _SLIP.status.in_(("draft", "sent_back")), order=_BY_DAY)),
        ("slips-today", _slip_pages(s.ISSUED_TODAY), lambda session, g: _ids(
            slips.issued_today(session, acting=Acting(g.desk.site_id), now=g.now,
                               settings=g.desk.settings))),
        ("slips-not_filed", _slip_pages(s.NOT_FILED), lambda session, g: _ids(
            slips.released_not_filed(session, acting=Acting(g.desk.site_id)))),
        ("slips-unused", _slip_pages(s.UNUSED), lambda session, g: _ids(
            slips.unused_past_day(session, acting=Acting(g.desk.site_id),
                                  now=_later(s.UNUSED, g), settings=g.desk.settings))),
        ("slips-overdue", _slip_pages(s.OVERDUE), lambda session, g: _ids(
            slips.returnables_overdue(session, acting=Acting(g.desk.site_id), now=g.now,
                                      settings=g.desk.settings))),
        ("slips-all", _slip_pages(s.ALL), lambda session, g: _slip_ids(
            order=(_SLIP.id.desc(),))(session, g)[:slips.RECENT]),
        ("slips-week", lambda session, g, offset, limit: slips.week_page(
            session, acting=Acting(g.desk.site_id), week_start=_week_start(g),
            settings=g.desk.settings, offset=offset, limit=limit),
         lambda session, g: _ids(slips.weekly_reconciliation(
             session, acting=Acting(g.desk.site_id), week_start=_week_start(g),
             settings=g.desk.settings))),
        ("lost-notice", lambda session, g, offset, limit: lostfound.notice_page(
            session, acting=Acting(g.desk.site_id), now=g.now, settings=g.desk.settings,
            offset=offset, limit=limit),
         lambda session, g: _ids(lostfound.weekly_notice(
             session, acting=Acting(g.desk.site_id), now=g.now, settings=g.desk.settings).rows)),
        ("lost-handover", lambda session, g, offset, limit: lostfound.handover_page(
            session, acting=Acting(g.desk.site_id), now=g.now, settings=g.desk.settings,
            offset=offset, limit=limit),
         lambda session, g: _ids(lostfound.handover_list(
             session, acting=Acting(g.desk.site_id), now=g.now, settings=g.desk.settings))),
        ("lost-disposal", lambda session, g, offset, limit: lostfound.disposal_page(
            session, acting=Acting(g.desk.site_id), now=g.now + timedelta(days=400),
            settings=g.desk.settings, offset=offset, limit=limit),
         lambda session, g: _ids(lostfound.disposal_list(
             session, acting=Acting(g.desk.site_id), now=g.now + timedelta(days=400),
             settings=g.desk.settings))),
        ("dutylog-shift_log", lambda session, g, offset, limit: dutylog.shift_log(
            session, acting=Acting(g.desk.site_id), shift_id=g.shift_id, offset=offset,
            limit=limit),
         lambda session, g: list(session.exec(
             select(_table(DutyLogEntry).c.id)
             .where(_table(DutyLogEntry).c.shift_id == g.shift_id)
             .order_by(_table(DutyLogEntry).c.at, _table(DutyLogEntry).c.id)).scalars())),
    ]
    return [pytest.param(paged, whole, id=name) for name, paged, whole in pairs]


@pytest.mark.parametrize(("paged", "whole"), _same_lists())
def test_the_pages_of_a_list_join_into_the_same_list_in_the_same_order(
        ledgers: Generated, paged: Paged, whole: Whole) -> None:
    """Paging keeps what a list means: page after page, its rows are the whole list's,
    in its order, none repeated or skipped, and its total is their number."""
    with reading(ledgers.desk.engine) as session:
        expected = whole(session, ledgers)
        joined: list[int] = []
        totals = set()
        while True:
            page = paged(session, ledgers, len(joined), SCREEN_PAGE)
            totals.add(page.total)
            joined += _ids(page.rows)
            if not page.rows:
                break
    assert len(expected) > SCREEN_PAGE  # more than one page, so pages are joined
    assert joined == expected
    assert totals == {len(expected)}


def test_a_page_of_the_week_counts_the_whole_week(ledgers: Generated) -> None:
    """The week's status line (released, filed) comes from the page's counts, not from
    the rows loaded so far."""
    desk = ledgers.desk
    with reading(desk.engine) as session:
        whole = slips.weekly_reconciliation(session, acting=Acting(desk.site_id),
                                            week_start=_week_start(ledgers),
                                            settings=desk.settings)
        page = slips.week_page(session, acting=Acting(desk.site_id),
                               week_start=_week_start(ledgers),
                               settings=desk.settings, limit=PAGE)
    assert len(page.rows) == PAGE < len(whole)
    assert (page.total, page.filed) == (len(whole), sum(1 for row in whole if row.filed))
    assert 0 < page.filed < page.total


def test_the_dashboard_counts_and_reads_no_ledger_whole(ledgers: Generated) -> None:
    """The dashboard's tiles are counts; its lists (recent activity, escalations) pages."""
    desk = ledgers.desk
    with reading(desk.engine) as session, statements(desk) as sent:
        summary = dashboard.desk_summary(session, acting=Acting(desk.site_id), now=ledgers.now,
                                         settings=desk.settings)
    assert summary.handovers_unreviewed == ROWS
    assert summary.refused_waiting == ROWS
    assert summary.items_held == ROWS and summary.parcels_waiting == ROWS
    assert not [statement for statement in sent if unbounded(statement)]


def test_the_checker_sees_a_whole_table_read() -> None:
    assert unbounded("SELECT release_slip.id FROM release_slip WHERE release_slip.site_id = ?")
    assert not unbounded("SELECT release_slip.id FROM release_slip WHERE x LIMIT ? OFFSET ?")
    assert not unbounded("SELECT count(*) AS count_1 FROM handover WHERE handover.site_id = ?")
    assert not unbounded("SELECT handover.id FROM handover WHERE handover.id IN (?, ?)")
    assert not unbounded("SELECT unit.code FROM unit WHERE unit.site_id = ?")
    assert not unbounded("SELECT key_loan.id FROM key_loan WHERE key_loan.key_id IN (?, ?)")
    assert unbounded("SELECT key_loan.id FROM key_loan WHERE key_loan.site_id IN (?, ?)")
    assert unbounded("SELECT duty_log_entry.id FROM duty_log_entry "
                     "WHERE duty_log_entry.shift_id = ?")
