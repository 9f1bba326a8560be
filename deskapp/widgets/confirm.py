"""One confirmation dialog for everything irreversible, answered by y / n."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from deskapp.i18n import N_, _


class ConfirmModal(ModalScreen[bool]):
    BINDINGS = [
        Binding("y", "answer(True)", N_("Yes"), show=False),
        Binding("n", "answer(False)", N_("No"), show=False),
        Binding("escape", "answer(False)", N_("Cancel")),
    ]

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Static(self._question, id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                # Content, not markup: "[Y]" would be read as a style and vanish.
                yield Button(Content(_("[Y] Yes")), id="yes", variant="primary")
                yield Button(Content(_("[N] No")), id="no")

    def on_mount(self) -> None:
        # Enter alone answers no: what the question protects is kept unless y is meant.
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
