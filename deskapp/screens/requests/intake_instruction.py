"""A small dialog to record a standing instruction of the picked unit (业户委托):
permission to enter, do not disclose presence, hold parcels, other; with the
last day it holds. ctrl+s saves, esc backs out (asking first if something was typed).
"""

from __future__ import annotations

from datetime import date

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from deskapp.db import transaction
from deskapp.errors import DeskError, InvalidInput
from deskapp.i18n import N_, _
from deskapp.screens.base import DatabaseWork
from deskapp.screens.requests.intake_choices import AdvancingChoiceBar
from deskapp.services import instructions
from deskapp.services.acting import Acting
from deskapp.services.requests.labels import INSTRUCTION_LABELS, label
from deskapp.widgets.confirm import ConfirmModal
from deskapp.widgets.form import FormField, TextInput, clear_errors, show_error


def parse_day(text: str) -> date:
    """``2026-12-31`` (also ``2026/12/31``, ``2026.12.31``) → a date, else InvalidInput."""
    cleaned = text.strip().replace("/", "-").replace(".", "-")
    try:
        return date.fromisoformat(cleaned)
    except ValueError:
        raise InvalidInput(
            _("{text} is not a date: write year-month-day, e.g. 2026-12-31.").format(
                text=text.strip() or "''"),
            field="expires_on",
        ) from None


class InstructionModal(DatabaseWork[bool], ModalScreen[bool]):
    """Answers True when an instruction was recorded."""

    DEFAULT_CSS = """
    InstructionModal { align: center middle; }
    #instruction-box {
        width: 76; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; padding: 0 1; background: $surface;
    }
    #instruction-box ChoiceBar { height: auto; }
    #instruction-box Input { border: none; height: 1; padding: 0; background: $boost; }
    #instruction-title { text-style: bold; }
    #instruction-keys { color: $text-muted; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save")),
        Binding("escape", "cancel", N_("Cancel")),
    ]

    def __init__(self, *, unit_id: int, unit_code: str) -> None:
        super().__init__()
        self.unit_id = unit_id
        self.unit_code = unit_code

    def compose(self) -> ComposeResult:
        kinds = [(value, label(INSTRUCTION_LABELS, value)) for value in INSTRUCTION_LABELS]
        with Vertical(id="instruction-box"):
            yield Static(
                _("Standing instruction for {code}").format(code=self.unit_code),
                id="instruction-title",
            )
            yield FormField(_("Kind"), AdvancingChoiceBar(kinds, id="instruction-kind"),
                            field="kind")
            yield FormField(
                _("Last day it holds"),
                TextInput(placeholder=_("year-month-day, e.g. 2026-12-31"), id="instruction-until"),
                field="expires_on",
            )
            yield FormField(_("Text (what exactly; needed for 'other')"),
                            TextInput(id="instruction-text"), field="text")
            yield FormField(_("Given by"), TextInput(id="instruction-given-by"), field="given_by")
            yield Static("", id="instruction-error")
            yield Static(_("Enter: next field · ctrl+s: save · esc: cancel"),
                         id="instruction-keys")

    def on_mount(self) -> None:
        self.query_one("#instruction-kind").focus()

    @on(Input.Submitted)
    def _next(self) -> None:
        self.focus_next()

    def _typed(self) -> bool:
        return any(field.value.strip() for field in self.query(Input))

    def action_save(self) -> None:
        clear_errors(self)
        desk, actor = self.desk_app.desk, self.desk_app.operator
        unit_id = self.unit_id
        kind = self.query_one("#instruction-kind", AdvancingChoiceBar).value
        text = self.query_one("#instruction-text", Input).value
        given_by = self.query_one("#instruction-given-by", Input).value
        try:
            until = parse_day(self.query_one("#instruction-until", Input).value)
        except DeskError as error:
            self._refused(error)
            return

        def save() -> None:
            with transaction(desk.engine) as session:
                instructions.add_instruction(
                    session, acting=Acting(desk.site_id, actor), unit_id=unit_id, kind=kind,
                    expires_on=until, text=text, given_by=given_by, now=desk.clock.now(),
                    settings=desk.settings,
                )

        self.run_db(save, lambda _: self.dismiss(True), failed=self._refused, name="save")

    def _refused(self, error: DeskError) -> None:
        show_error(self, error, fallback=self.query_one("#instruction-error", Static))

    def action_cancel(self) -> None:
        if not self._typed():
            self.dismiss(False)
            return

        def answered(discard: bool | None) -> None:
            if discard:
                self.dismiss(False)

        self.app.push_screen(
            ConfirmModal(_("Discard this instruction? What you typed will be lost.")), answered
        )
