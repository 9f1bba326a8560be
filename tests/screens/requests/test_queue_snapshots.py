"""Snapshots of the queue (with an overdue row) and of one request, English and Chinese.

They catch layout breaking (CJK width, the view bar, the footer keys); behaviour
is asserted in test_queue_screen.py and test_request_screen.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from deskapp import i18n
from deskapp.app import DeskApp
from deskapp.desk import Desk
from deskapp.screens.requests.queue import QueueScreen
from tests.screens.helpers import settle
from tests.screens.requests.test_queue_screen import advance, new_request, sign_in


def _requests(desk: Desk) -> int:
    """An overdue complaint, a repair due later, and one due within the shift."""
    leak = new_request(desk, summary="卫生间漏水，天花板滴水", subject="卫生间漏水")
    advance(desk, timedelta(hours=20))
    new_request(desk, kind="repair", summary="电梯按钮不亮", unit_code="3-2-1201",
                subject="电梯按钮", contact_name="张伟", contact_phone="15011112222")
    advance(desk, timedelta(hours=5))
    assert leak.id is not None
    return leak.id


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_queue_with_an_overdue_row(snap_compare: Any, snapshot_desk: Desk, language: str) -> None:
    _requests(snapshot_desk)
    i18n.set_language(language)

    async def all_open(pilot: Any) -> None:
        await sign_in(pilot)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("ctrl+right", "ctrl+right", "ctrl+right")
        await settle(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(120, 40), run_before=all_open)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_request_screen(snap_compare: Any, snapshot_desk: Desk, language: str) -> None:
    leak_id = _requests(snapshot_desk)
    i18n.set_language(language)

    async def opened(pilot: Any) -> None:
        await sign_in(pilot)
        await pilot.press("f4")
        await settle(pilot)
        queue = pilot.app.screen
        assert isinstance(queue, QueueScreen)
        queue.open_request(leak_id)
        await settle(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(120, 40), run_before=opened)


def test_queue_at_80_columns_in_chinese(snap_compare: Any, snapshot_desk: Desk) -> None:
    _requests(snapshot_desk)
    i18n.set_language("zh_CN")

    async def queue(pilot: Any) -> None:
        await sign_in(pilot)
        await pilot.press("f4")
        await settle(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(80, 24), run_before=queue)
