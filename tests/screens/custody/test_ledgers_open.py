"""Scanning anywhere: a parcel, found-item or key code opens its record on the ledgers
screen, ready for its next step, whether or not that screen was shown before."""

from __future__ import annotations

from textual.widgets import DataTable

from deskapp.app import DeskApp
from deskapp.desk import Desk
from deskapp.screens.custody.keys import LendKeyForm
from deskapp.screens.custody.ledgers import LedgersScreen
from deskapp.screens.custody.lostfound import ClaimForm
from deskapp.screens.custody.parcels import PickupForm
from tests.screens.custody.test_ledgers_keys import add_key
from tests.screens.custody.test_ledgers_lost import register
from tests.screens.custody.test_ledgers_parcels import log
from tests.screens.helpers import settle, sign_in


async def test_a_scanned_parcel_opens_its_pickup_on_a_screen_never_shown(staffed: Desk) -> None:
    log(staffed, "SF2000000001")
    parcel = log(staffed, "SF2000000002", unit="1-1-101", name="王芳")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        app.open_scanned(parcel.code or "")
        await settle(pilot)
        await settle(pilot)
        assert isinstance(app.screen, PickupForm) and app.screen.item_id == parcel.id
        await pilot.press("escape")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LedgersScreen) and screen.tab == "parcels"
        table = screen.query_one("#desk-parcels-table", DataTable)
        assert table.current_id() == parcel.id  # type: ignore[attr-defined]


async def test_open_record_switches_tabs_on_an_open_screen(staffed: Desk) -> None:
    item = register(staffed, "眼镜")
    key = add_key(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f8")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, LedgersScreen)
        screen.open_record("key", key.id or 0)
        await settle(pilot)
        assert screen.tab == "keys" and isinstance(app.screen, LendKeyForm)
        await pilot.press("escape")
        await settle(pilot)
        screen.open_record("lost", item.id or 0)
        await settle(pilot)
        assert screen.tab == "lost" and isinstance(app.screen, ClaimForm)


def test_open_record_before_compose_waits_until_mounted() -> None:
    screen = LedgersScreen()
    screen.open_record("parcel", 7)
    assert screen.tab == "parcels" and screen._pending == ("parcels", 7)
