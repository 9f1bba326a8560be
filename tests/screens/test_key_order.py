"""The key-order wrapper on its own: a binding that acts at once (priority) still
sees every character typed before it, even when the keys arrive in one burst."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.widgets import Input

from deskapp.widgets.key_order import install_key_order
from tests.screens.helpers import burst, settle


class _Form(App[None]):
    BINDINGS = [Binding("ctrl+s", "save", "Save", priority=True)]

    def __init__(self) -> None:
        super().__init__()
        self.saved: list[str] = []
        self.key_order = install_key_order(self)

    def compose(self) -> ComposeResult:
        yield Input(id="first")
        yield Input(id="second")

    def action_save(self) -> None:
        self.saved.append(self.query_one("#second", Input).value)


async def test_a_priority_binding_after_typed_text_sees_all_of_it() -> None:
    app = _Form()
    async with app.run_test() as pilot:
        await pilot.pause()
        # Tab holds what follows; the held keys are then replayed as fast as a burst.
        await burst(pilot, *"x", "tab", *"换了阀芯", "ctrl+s")
        await settle(pilot)
        assert app.query_one("#first", Input).value == "x"
        assert app.saved == ["换了阀芯"]
