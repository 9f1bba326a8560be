"""The queue (F4) by keys: overdue rows marked, views, filters, search, paging, opening."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from deskapp.app import DeskApp
from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.models.requests import ServiceRequest
from deskapp.screens.requests.detail import RequestScreen
from deskapp.screens.requests.queue import QueueScreen
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from deskapp.services.requests import lifecycle
from tests.screens.helpers import settle, sign_in

__all__ = ["advance", "cells", "new_request", "open_queue", "overdue_and_fresh", "sign_in"]


def advance(desk: Desk, delta: timedelta) -> None:
    assert isinstance(desk.clock, FixedClock)
    desk.clock.advance(delta)


def new_request(desk: Desk, *, login: str = "wang", kind: str = "complaint",
                summary: str = "厨房漏水，楼上渗水", unit_code: str | None = "1-1-101",
                subject: str = "", contact_name: str = "王芳",
                contact_phone: str = "13812345678") -> ServiceRequest:
    with transaction(desk.engine) as session:
        actor = operators.get_operator(session, acting=Acting(desk.site_id), login=login)
        request = lifecycle.create_request(
            session, acting=Acting(desk.site_id, actor), settings=desk.settings,
            now=desk.clock.now(),
            kind=kind, summary=summary, unit_code=unit_code, subject=subject,
            contact_name=contact_name, contact_phone=contact_phone,
        )
        session.expunge(request)
    return request


def overdue_and_fresh(desk: Desk) -> tuple[ServiceRequest, ServiceRequest]:
    """A complaint 25 hours old (its 24-hour reply is overdue) and a repair 5 hours old."""
    leak = new_request(desk, summary="卫生间漏水，天花板滴水", subject="卫生间漏水")
    advance(desk, timedelta(hours=20))
    lift = new_request(desk, kind="repair", summary="电梯按钮不亮", unit_code="3-2-1201",
                       subject="电梯按钮", contact_name="张伟", contact_phone="15011112222")
    advance(desk, timedelta(hours=5))
    return leak, lift


def cells(app: DeskApp) -> list[list[str]]:
    table = app.screen.query_one("#queue-table", DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


async def open_queue(pilot: Pilot[None]) -> None:
    await settle(pilot)
    await sign_in(pilot)
    await pilot.press("f4")
    await settle(pilot)
    assert isinstance(pilot.app.screen, QueueScreen)


async def test_the_overdue_view_marks_the_overdue_request(staffed: Desk) -> None:
    leak, _lift = overdue_and_fresh(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        rows = cells(app)
        assert len(rows) == 1
        assert rows[0][1] == leak.number
        assert rows[0][0].startswith("⚠ overdue")
        assert "⚠ 1 overdue" in str(app.screen.query_one("#queue-status", Static).render())
        table = app.screen.query_one("#queue-table", DataTable)
        due_cell = table.get_row_at(0)[0]
        assert isinstance(due_cell, Text)
        assert any(app.theme_variables["error"] in str(span.style) for span in due_cell.spans)


async def test_views_switch_by_keys_and_the_phone_is_masked(staffed: Desk) -> None:
    leak, lift = overdue_and_fresh(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        await pilot.press("ctrl+right")  # due this shift: nothing falls due before it ends
        await settle(pilot)
        assert [row[1] for row in cells(app)] == []
        await pilot.press("ctrl+right", "ctrl+right")  # mine, then all open
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        assert screen.view == "all_open"
        rows = cells(app)
        assert [row[1] for row in rows] == [leak.number, lift.number]  # most urgent first
        assert rows[0][4] == "138****5678"
        assert "13812345678" not in "".join("".join(row) for row in rows)
        # the view bar takes digits when it has the focus: 8 is "recent", newest first
        screen.query_one("#queue-views").focus()
        await pilot.press("8")
        await settle(pilot)
        assert [row[1] for row in cells(app)] == [lift.number, leak.number]


async def test_mine_lists_only_my_requests(staffed: Desk) -> None:
    new_request(staffed, login="li", summary="门口有垃圾")
    mine = new_request(staffed, login="wang", summary="噪音扰民")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        app.screen.query_one("#queue-views").focus()
        await pilot.press("3")
        await settle(pilot)
        assert [row[1] for row in cells(app)] == [mine.number]


async def test_search_for_a_chinese_word_finds_the_row_and_enter_opens_it(staffed: Desk) -> None:
    leak, _lift = overdue_and_fresh(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        await pilot.press("slash", "漏", "水")
        await settle(pilot)
        assert [row[1] for row in cells(app)] == [leak.number]
        await pilot.press("enter")  # to the list
        await pilot.press("enter")  # open the row
        await settle(pilot)
        assert isinstance(app.screen, RequestScreen)
        assert app.screen.request_id == leak.id
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)


async def test_escape_clears_the_search_and_the_view_comes_back(staffed: Desk) -> None:
    overdue_and_fresh(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        await pilot.press("slash", *"3-2-12")
        await settle(pilot)
        assert len(cells(app)) == 1
        await pilot.press("escape")
        await settle(pilot)
        assert len(cells(app)) == 1  # the overdue view again: the leak
        assert app.screen.query_one("#queue-search").value == ""  # type: ignore[attr-defined]


async def test_a_long_list_loads_the_next_page_at_its_end(staffed: Desk) -> None:
    for index in range(55):
        new_request(staffed, summary=f"路灯不亮 {index}")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        screen.query_one("#queue-views").focus()
        await pilot.press("4")  # all open
        await settle(pilot)
        assert len(cells(app)) == 50
        screen.query_one("#queue-table").focus()
        await pilot.press("ctrl+end")
        await settle(pilot)
        assert len(cells(app)) == 55
        assert len({row[1] for row in cells(app)}) == 55


async def test_the_kind_filter_narrows_the_list(staffed: Desk) -> None:
    _leak, lift = overdue_and_fresh(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        await pilot.press("ctrl+right", "ctrl+right", "ctrl+right")  # all open
        await settle(pilot)
        from textual.widgets import Select

        screen.query_one("#queue-kind", Select).value = "repair"
        await settle(pilot)
        assert [row[1] for row in cells(app)] == [lift.number]


async def test_the_sweep_on_refresh_raises_an_old_complaint(staffed: Desk) -> None:
    leak = new_request(staffed, summary="物业费收据开错")
    advance(staffed, timedelta(days=8))  # unresolved a week: hot
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        rows = cells(app)
        assert rows[0][1] == leak.number
        assert "hot" in rows[0][6]
