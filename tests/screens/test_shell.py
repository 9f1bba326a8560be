"""The app shell: help lists every key; the language switches in place."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from deskapp import i18n
from deskapp.app import DeskApp
from deskapp.desk import Desk
from deskapp.screens.dashboard import DashboardScreen
from deskapp.screens.help import HelpScreen
from tests.screens.helpers import settle, sign_in


async def test_f1_lists_the_screen_and_global_keys_and_esc_closes(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        await pilot.press("f9", "f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        table = app.screen.query_one("#help-keys", DataTable)
        described = {str(table.get_row_at(row)[1]) for row in range(table.row_count)}
        assert {"Search", "Dashboard", "Directory", "Switch operator", "Help"} <= described
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_f12_switches_the_dashboard_to_chinese_and_back(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        await pilot.press("f12")
        await settle(pilot)
        assert i18n.current_language() == "zh_CN"
        assert isinstance(app.screen, DashboardScreen)
        label = str(app.screen.query_one("#tile-units .tile-label", Static).render())
        assert label == "房屋"
        assert str(app.screen.query_one("#tile-units .tile-value", Static).render()) == "3"
        await pilot.press("f9")
        await settle(pilot)
        title = str(app.screen.query_one("#duty-title", Static).render())
        assert title == "住户信息"
        await pilot.press("f12")
        await settle(pilot)
        assert str(app.screen.query_one("#duty-title", Static).render()) == "Directory"
