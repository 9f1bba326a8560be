"""Directory: lookup by room, name or phone digits, by keys; the unit's people."""

from __future__ import annotations

from textual.widgets import DataTable, Static

from deskapp.app import DeskApp
from deskapp.desk import Desk
from deskapp.screens.directory import DirectoryScreen
from tests.screens.helpers import burst, palette_search, settle, sign_in


async def _open_directory(app: DeskApp, pilot: object) -> None:
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    await settle(pilot)
    await sign_in(pilot)
    await pilot.press("f9")
    await settle(pilot)
    assert isinstance(app.screen, DirectoryScreen)


async def test_typing_a_room_prefix_lists_units_and_enter_shows_its_people(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_directory(app, pilot)
        await burst(pilot, *"3-2-12")
        table = app.screen.query_one("#directory-hits", DataTable)
        assert table.row_count == 1
        assert str(table.get_row_at(0)[0]) == "3-2-1201"
        await pilot.press("enter")
        await settle(pilot)
        card = str(app.screen.query_one("#unit-card-body", Static).render())
        assert "张伟" in card and "张小红" in card
        assert "150****2222" in card
        assert "15011112222" not in card


async def test_last_four_phone_digits_find_the_resident_masked(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_directory(app, pilot)
        await burst(pilot, *"4321")
        table = app.screen.query_one("#directory-hits", DataTable)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[:2] == ["1-1-102", "李明"]
        assert row[3] == "139****4321"


async def test_a_name_that_matches_nobody_lists_nothing(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_directory(app, pilot)
        await burst(pilot, *"nobody")
        assert app.screen.query_one("#directory-hits", DataTable).row_count == 0


async def test_command_palette_finds_a_resident_and_opens_the_unit(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        await palette_search(pilot, "5678")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DirectoryScreen)
        card = str(app.screen.query_one("#unit-card-body", Static).render())
        assert "1-1-101" in card and "王芳" in card
