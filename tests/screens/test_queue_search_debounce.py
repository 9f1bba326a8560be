"""The queue's search box searches once the typing pauses, not once per key; Enter at once."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Input, Static

from deskapp.app import DeskApp
from deskapp.desk import Desk
from deskapp.screens.requests import queue as queue_screen
from deskapp.screens.requests.queue import QueueScreen
from tests.screens.helpers import burst, settle, wait_until
from tests.screens.requests.test_queue_screen import cells, new_request, open_queue


@pytest.fixture
def searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every query the queue screen sent to the search service, in order."""
    sent: list[str] = []
    real = queue_screen.request_views.search_requests

    def counted(*args: Any, **kwargs: Any) -> Any:
        sent.append(kwargs["query"])
        return real(*args, **kwargs)

    monkeypatch.setattr(queue_screen.request_views, "search_requests", counted)
    return sent


def _status(app: DeskApp) -> str:
    return str(app.screen.query_one("#queue-status", Static).render())


async def test_a_phrase_typed_in_one_burst_is_searched_once(
        staffed: Desk, searches: list[str]) -> None:
    window = new_request(staffed, summary="卧室窗户关不上，把手松动", subject="窗户关不上")
    new_request(staffed, summary="厨房漏水")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        await pilot.press("slash")
        await burst(pilot, *"窗户关不上")
        assert searches == ["窗户关不上"]
        assert [row[1] for row in cells(app)] == [window.number]
        assert "窗户关不上" in cells(app)[0][-1]
        assert "1 found for “窗户关不上”" in _status(app)


async def test_enter_searches_at_once_and_the_pause_adds_no_second_search(
        staffed: Desk, searches: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(queue_screen, "SEARCH_PAUSE", 2.0)  # Enter comes well before it
    leak = new_request(staffed, summary="卫生间漏水")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        await pilot.press("slash", *"漏水", "enter")
        # Searched at once: well before the pause could have ended (a loaded machine
        # may take a moment to show it, never the whole pause).
        await wait_until(pilot, lambda: searches, "the search at Enter", timeout=1.5)
        assert searches == ["漏水"]
        await wait_until(pilot, lambda: [row[1] for row in cells(app)] == [leak.number],
                         "the hit in the table", timeout=1.5)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        assert screen.focused is screen.query_one("#queue-table")
        await settle(pilot)  # the pause ends: nothing is searched again
        assert searches == ["漏水"]


async def test_escape_during_the_pause_leaves_the_view_and_searches_nothing(
        staffed: Desk, searches: list[str]) -> None:
    new_request(staffed, summary="卫生间漏水")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_queue(pilot)
        before = cells(app)
        await burst(pilot, "slash", *"漏水", "escape")
        assert searches == []
        assert cells(app) == before
        assert app.screen.query_one("#queue-search", Input).value == ""
