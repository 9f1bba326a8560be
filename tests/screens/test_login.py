"""Sign-in screen: by keys, wrong PINs, lockout, switching operator without quitting."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, Static

from deskapp.app import DeskApp
from deskapp.desk import Desk
from deskapp.screens.dashboard import DashboardScreen
from deskapp.screens.login import LoginScreen
from tests.screens.helpers import settle, sign_in_by_keys


async def test_sign_in_by_keys_opens_the_dashboard_with_the_operator_on_duty(
    staffed: Desk,
) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await sign_in_by_keys(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert app.operator is not None and app.operator.login == "wang"
        duty = str(app.screen.query_one("#duty-operator", Static).render())
        assert "王芳" in duty


async def test_wrong_pin_is_refused_with_tries_left_and_the_pin_field_cleared(
    staffed: Desk,
) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in_by_keys(pilot, pin="9999")
        assert isinstance(app.screen, LoginScreen)
        message = str(app.screen.query_one("#login-message", Static).render())
        assert message == "Wrong sign-in name or PIN."
        assert app.screen.query_one("#login-pin", Input).value == ""
        assert app.focused is app.screen.query_one("#login-pin", Input)


async def test_fifth_wrong_pin_locks_out_even_the_right_pin(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in_by_keys(pilot, pin="0000")
        for _attempt in range(4):
            await pilot.press(*"0000", "enter")
            await app.workers.wait_for_complete()
            await settle(pilot)
        await pilot.press(*"1234", "enter")
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "locked" in str(app.screen.query_one("#login-message", Static).render())


async def test_ctrl_l_switches_operator_without_quitting(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in_by_keys(pilot)
        await pilot.press("f9")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await sign_in_by_keys(pilot, login="li")
        assert app.operator is not None and app.operator.login == "li"
        assert not isinstance(app.screen, LoginScreen)
        duty = str(app.screen.query_one("#duty-operator", Static).render())
        assert "李娜" in duty


async def test_task_keys_do_nothing_before_sign_in(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f2", "f7", "f9", "f10")
        assert isinstance(app.screen, LoginScreen)


async def test_name_enter_and_pin_typed_in_one_burst_land_in_the_right_fields(
    staffed: Desk,
) -> None:
    """A scanner or a fast typist sends the keys before the app has drawn a frame."""
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for key in [*"wang", "enter", *"1234", "enter"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await settle(pilot)
        await app.workers.wait_for_complete()
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
