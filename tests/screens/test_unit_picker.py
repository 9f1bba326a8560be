"""The unit picker, driven by keys: room prefix, name, phone digits, Enter."""

from __future__ import annotations

from textual.app import App, ComposeResult

from deskapp.desk import Desk
from deskapp.widgets.unit_picker import UnitPicker
from tests.screens.helpers import settle


class PickerApp(App[None]):
    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.events: list[object] = []

    def compose(self) -> ComposeResult:
        yield UnitPicker(id="unit")

    def on_mount(self) -> None:
        self.query_one(UnitPicker).focus()

    def on_unit_picker_picked(self, message: UnitPicker.Picked) -> None:
        self.events.append(("picked", message.unit.unit_code, message.unit.name))

    def on_unit_picker_not_found(self, message: UnitPicker.NotFound) -> None:
        self.events.append(("not found", message.text))

    def on_unit_picker_cleared(self, message: UnitPicker.Cleared) -> None:
        self.events.append(("cleared",))


async def test_room_prefix_then_enter_takes_the_first_match(staffed: Desk) -> None:
    app = PickerApp(staffed)
    async with app.run_test() as pilot:
        await pilot.press(*"3-2-12", "enter")
        await settle(pilot)
        assert app.events == [("picked", "3-2-1201", "")]
        assert app.query_one(UnitPicker).value == "3-2-1201"


async def test_phone_digits_find_the_person_and_their_unit(staffed: Desk) -> None:
    app = PickerApp(staffed)
    async with app.run_test() as pilot:
        await pilot.press(*"4321")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert app.events == [("picked", "1-1-102", "李明")]


async def test_down_arrow_chooses_the_second_match(staffed: Desk) -> None:
    app = PickerApp(staffed)
    async with app.run_test() as pilot:
        await pilot.press(*"1-1-1")
        await settle(pilot)
        await pilot.press("down", "enter")
        await settle(pilot)
        assert app.events == [("picked", "1-1-102", "")]


async def test_unknown_room_keeps_the_text_and_says_so(staffed: Desk) -> None:
    app = PickerApp(staffed)
    async with app.run_test() as pilot:
        await pilot.press(*"9-9-999", "enter")
        await settle(pilot)
        assert app.events == [("not found", "9-9-999")]
        assert app.query_one(UnitPicker).value == "9-9-999"
        assert app.query_one(UnitPicker).picked is None


async def test_empty_field_is_a_visitor(staffed: Desk) -> None:
    app = PickerApp(staffed)
    async with app.run_test() as pilot:
        await pilot.press("enter")
        await settle(pilot)
        assert app.events == [("cleared",)]


async def test_editing_after_a_pick_forgets_the_unit(staffed: Desk) -> None:
    app = PickerApp(staffed)
    async with app.run_test() as pilot:
        await pilot.press(*"1-1-101", "enter")
        await settle(pilot)
        picker = app.query_one(UnitPicker)
        assert picker.picked is not None
        await pilot.press("backspace")
        await settle(pilot)
        assert picker.picked is None
