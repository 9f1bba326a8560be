"""The shared form pieces: one-key choices and errors shown beside their field."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input, Static

from deskapp.desk import Desk
from deskapp.errors import InvalidInput
from deskapp.widgets.form import ChoiceBar, FormField, clear_errors, show_error
from tests.screens.helpers import settle


class FormApp(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.changes: list[str] = []
        self.submitted = 0

    def compose(self) -> ComposeResult:
        yield FormField("Kind", ChoiceBar(
            [("complaint", "Complaint"), ("repair", "Repair"), ("inquiry", "Inquiry")],
            id="kind"), field="kind")
        yield FormField("Phone", Input(id="phone"), field="phone")
        yield Static("", id="general")

    def on_mount(self) -> None:
        self.query_one("#kind").focus()

    def on_choice_bar_changed(self, message: ChoiceBar.Changed) -> None:
        self.changes.append(message.value)

    def on_choice_bar_submitted(self, message: ChoiceBar.Submitted) -> None:
        self.submitted += 1


async def test_a_digit_picks_the_choice_and_arrows_move() -> None:
    app = FormApp()
    async with app.run_test() as pilot:
        bar = app.query_one(ChoiceBar)
        assert bar.value == "complaint"
        await pilot.press("2")
        assert bar.value == "repair"
        await pilot.press("right")
        assert bar.value == "inquiry"
        await pilot.press("right")
        assert bar.value == "complaint"
        await pilot.press("enter")
        await settle(pilot)
        assert app.changes == ["repair", "inquiry", "complaint"]
        assert app.submitted == 1
        await pilot.press("9")
        assert bar.value == "complaint"


async def test_an_error_lands_beside_its_field_and_moves_the_cursor() -> None:
    app = FormApp()
    async with app.run_test() as pilot:
        await settle(pilot)
        show_error(app.screen, InvalidInput("Not a phone number", field="phone"))
        await settle(pilot)
        phone_field = app.query_one("#field-phone", FormField)
        assert "Not a phone number" in str(phone_field.query_one(".field-error", Static).render())
        assert app.focused is app.query_one("#phone")
        clear_errors(app.screen)
        assert str(phone_field.query_one(".field-error", Static).render()) == ""


async def test_an_error_naming_no_field_goes_to_the_fallback() -> None:
    app = FormApp()
    async with app.run_test() as pilot:
        await settle(pilot)
        general = app.query_one("#general", Static)
        show_error(app.screen, InvalidInput("Something else"), fallback=general)
        assert "Something else" in str(general.render())


async def test_f7_in_a_summary_opens_the_handover_and_keeps_the_summary(staffed: Desk) -> None:
    """Textual's text area takes F7 as select-all (the next key then wiped the text)."""
    from textual.widgets import TextArea

    from deskapp.app import DeskApp
    from deskapp.screens.handover.handover import HandoverScreen
    from tests.screens.helpers import burst, settle, sign_in

    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="intake")
        app.screen.query_one("#summary", TextArea).focus()
        await settle(pilot)
        await burst(pilot, *"水管漏水很严重")
        await pilot.press("f7")
        await settle(pilot)
        assert isinstance(app.screen, HandoverScreen)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("Z")
        await settle(pilot)
        assert app.screen.query_one("#summary", TextArea).text == "水管漏水很严重Z"
