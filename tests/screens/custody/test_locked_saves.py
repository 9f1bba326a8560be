"""Storage and the ledger forms save while another desk holds the write lock: one line
says the database is busy, the form keeps every character, the desk keeps running,
and the same save goes through once the lock is gone."""

from __future__ import annotations

from textual.widgets import Input, Static

from deskapp.app import DeskApp
from deskapp.desk import Desk
from deskapp.models.custody import DepositorKind, Ledger
from deskapp.screens.custody.lostfound import FoundItemForm
from deskapp.screens.custody.storage import StorageScreen
from deskapp.widgets.form import ChoiceBar
from tests.screens.conftest import write_lock_held
from tests.screens.custody.test_ledgers_lost import lost_items, open_ledgers
from tests.screens.custody.test_storage_screen import items, open_storage
from tests.screens.helpers import settle


def notices(app: DeskApp) -> str:
    return "\n".join(str(notice.message) for notice in app._notifications)


async def test_a_deposit_while_the_database_is_locked(quick_lock_desk: Desk) -> None:
    desk = quick_lock_desk
    app = DeskApp(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        # What is typed is not the point here: the fields are set, the save is by key.
        screen.query_one("#deposit-kind", ChoiceBar).value = DepositorKind.VISITOR.value
        typed = {"#deposit-name": "访客陈", "#deposit-phone": "13900001111",
                 "#deposit-description": "黑色雨伞", "#deposit-shelf": "A-1"}
        for selector, value in typed.items():
            screen.query_one(selector, Input).value = value
        screen.query_one("#deposit-confirmed", ChoiceBar).value = "yes"
        with write_lock_held(desk):
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert "busy" in notices(app)
            assert items(desk) == []
            assert app.is_running and app.screen is screen and screen.mode == "deposit"
            for selector, value in typed.items():
                assert screen.query_one(selector, Input).value == value
        await pilot.press("ctrl+s")
        await settle(pilot)
        [item] = items(desk)
        assert (item.owner_name, item.description) == ("访客陈", "黑色雨伞")
        assert isinstance(app.screen, StorageScreen) and screen.mode == "ticket"
        assert item.code in str(screen.query_one("#storage-ticket-code", Static).render())


async def test_a_ledger_form_while_the_database_is_locked(quick_lock_desk: Desk) -> None:
    desk = quick_lock_desk
    app = DeskApp(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        ledgers = await open_ledgers(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, FoundItemForm)
        form.query_one("#found-description", Input).value = "黑色钱包"
        form.query_one("#found-where", Input).value = "3号楼大堂"
        form.query_one("#found-finder", Input).value = "刘阿姨"
        form.query_one("#found-place", Input).value = "L-1"
        with write_lock_held(desk):
            await pilot.press("ctrl+s")
            await settle(pilot)
            message = str(form.query_one("#form-message", Static).render())
            assert "busy" in message
            assert app.screen is form and lost_items(desk) == []
            assert form.query_one("#found-description", Input).value == "黑色钱包"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is ledgers
        [item] = lost_items(desk)
        assert (item.ledger, item.description) == (Ledger.LOST.value, "黑色钱包")
