"""A burst of keys (a fast typist, a scanner, one ``tmux send-keys``) loses nothing:
text, Tab, more text, Enter and more text land in the fields they were typed for."""

from __future__ import annotations

from textual.widgets import Input

from deskapp.app import DeskApp
from deskapp.desk import Desk
from deskapp.widgets.unit_picker import UnitPicker
from tests.screens.helpers import burst, settle, sign_in


def value(app: DeskApp, field_id: str) -> str:
    return app.screen.query_one(f"#{field_id}", Input).value


async def test_text_tab_text_lands_in_two_fields_of_the_deposit_form(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f5", "ctrl+n")
        await settle(pilot)
        app.screen.query_one("#deposit-name", Input).focus()
        await settle(pilot)
        await burst(pilot, *"本人", "tab", *"B-2", "tab", *"abc", "enter", *"xyz")
        assert value(app, "deposit-name") == "本人"
        assert value(app, "deposit-phone") == "B-2"
        assert value(app, "deposit-id-number") == "abc"
        assert value(app, "deposit-may-collect") == "xyz"


async def test_text_enter_text_lands_in_two_fields_of_the_intake_form(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f3")
        await settle(pilot)
        app.screen.query_one("#name", Input).focus()
        await settle(pilot)
        await burst(pilot, *"李先生", "enter", *"13800001111")
        assert value(app, "name") == "李先生"
        assert value(app, "phone") == "13800001111"


async def test_a_burst_on_the_sign_in_screen_signs_in(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await burst(pilot, *"wang", "tab", *"1234", "enter")
        await settle(pilot)
        assert app.operator is not None and app.operator.login == "wang"


async def test_the_scan_after_the_consent_key_lands_in_the_tracking_number(
    staffed: Desk,
) -> None:
    from tests.screens.custody.test_ledgers_parcels import open_parcels

    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_parcels(pilot)
        await pilot.press("ctrl+k")
        await settle(pilot)
        await burst(pilot, *"顺丰", "enter", *"B-2", "enter", "y", *"SF1000000001", "enter")
        assert value(app, "checkin-tracking") == "SF1000000001"
        # The scan asked for the unit from the label next: the cursor went on to it.
        assert app.focused is app.screen.query_one(UnitPicker).input


async def test_a_field_filled_from_the_directory_keeps_its_text_when_the_cursor_arrives(
    staffed: Desk,
) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f5", "ctrl+n")
        await settle(pilot)
        app.screen.query_one("#deposit-name", Input).value = "王芳"
        app.screen.query_one("#deposit-phone", Input).value = "13812345678"
        app.screen.query_one("#deposit-id-number", Input).focus()
        await settle(pilot)
        await pilot.press("shift+tab", "x", "shift+tab", "y")
        await settle(pilot)
        assert value(app, "deposit-phone") == "13812345678x"
        assert value(app, "deposit-name") == "王芳y"


async def test_text_then_ctrl_s_in_one_burst_saves_the_whole_text(staffed: Desk) -> None:
    from sqlmodel import select
    from textual.widgets import TextArea

    from deskapp.db import reading
    from deskapp.models.requests import ServiceRequest

    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press(*"1-1-101", "enter", "1", "2")
        await settle(pilot)
        app.screen.query_one("#summary", TextArea).focus()
        await settle(pilot)
        await burst(pilot, *"厨房漏水", "ctrl+s")
    with reading(staffed.engine) as session:
        summaries = [request.summary for request in session.exec(select(ServiceRequest))]
    assert summaries == ["厨房漏水"]


async def test_a_whole_call_typed_in_one_burst_is_saved(staffed: Desk) -> None:
    """Unit and Enter (the picker's dropdown may or may not be showing when the Enter
    arrives), caller and kind (one-key choices that move on), the words and ctrl+s."""
    from sqlmodel import select

    from deskapp.db import reading
    from deskapp.models.requests import ServiceRequest

    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await burst(pilot, *"1-1-101", "enter", "1", "2", *"厨房水管漏水", "ctrl+s")
    with reading(staffed.engine) as session:
        saved = [(request.summary, request.kind, request.unit_id is not None) for request in
                 session.exec(select(ServiceRequest))]
    assert saved == [("厨房水管漏水", "repair", True)]


async def test_two_parcels_scanned_and_labelled_in_one_burst_are_both_logged_in_order(
    staffed: Desk,
) -> None:
    """Each parcel is written in a thread while the next is scanned: none is lost or
    mixed up with the next one's label."""
    from deskapp.screens.custody.parcels import CheckInForm
    from tests.screens.custody.test_ledgers_parcels import open_parcels, waiting

    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_parcels(pilot)
        await pilot.press("ctrl+k")
        await settle(pilot)
        await burst(pilot, *"顺丰", "enter", *"B-2", "enter", "y",
                    *"SF1000000001", "enter", *"3-2-1201", "enter", *"张伟", "enter",
                    *"SF1000000002", "enter", *"1-1-101", "enter", *"王芳", "enter")
        form = app.screen
        assert isinstance(form, CheckInForm)
        assert [(item.tracking_number, item.owner_name) for item in form.logged] == [
            ("SF1000000001", "张伟"), ("SF1000000002", "王芳")]
        assert value(app, "checkin-tracking") == "" and app.focused is form.query_one(
            "#checkin-tracking")
    assert sorted(item.tracking_number for item in waiting(staffed)) == [
        "SF1000000001", "SF1000000002"]


async def test_a_fields_own_editing_keys_keep_their_place_in_a_burst(staffed: Desk) -> None:
    """Backspace, ctrl+u and home act through the field's bindings, after they have
    bubbled up: the characters typed behind them wait, so "abc⌫d" reads "abd"."""
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f3")
        await settle(pilot)
        app.screen.query_one("#name", Input).focus()
        await settle(pilot)
        await burst(pilot, *"abc", "backspace", "d")
        assert value(app, "name") == "abd"
        await burst(pilot, "home", "q", "end", "z")
        assert value(app, "name") == "qabdz"
        await burst(pilot, "ctrl+u", *"王芳")
        assert value(app, "name") == "王芳"
