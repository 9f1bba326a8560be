"""Item storage (物品寄存): items held, the storage form, the claim ticket, collection.

One screen of panes (``storage_panes``), one on view at a time, the footer
showing the keys of the pane on view:

- list: items held, oldest first, overdue ones marked; a code field where a
  ticket code is typed or scanned to hand the item over (ctrl+t: held /
  overdue / all records; Enter on a row: the whole record and its timeline);
- deposit (ctrl+n): the storage form; ctrl+s saves, prints the ticket and
  shows its code large;
- collect: the record and the collector's form; ctrl+s hands it over;
- lost (ctrl+f): find the item by the depositor's name, phone digits or ID
  number; a supervisor signs the release.

The screen moves between the panes (``show``) and owns the keys that do so;
each pane owns its own keys and its work. A refusal appears beside its field
and keeps every typed character; Esc from a form with typed text asks first. A
language switch recomposes the screen, so the panes' values are carried across
it (``recompose``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import ContentSwitcher, Input

from deskapp.db import reading
from deskapp.errors import DeskError
from deskapp.i18n import N_, _
from deskapp.screens.base import DeskScreen
from deskapp.screens.custody.storage_panes import (
    DepositPane,
    HeldPane,
    ItemPane,
    LostPane,
    StoragePane,
    StorageState,
    TicketPane,
    TicketShown,
)
from deskapp.services.acting import Acting
from deskapp.services.custody import storage
from deskapp.services.custody.storage_ticket import RECEIPT_WIDTH, save_ticket, ticket_document
from deskapp.services.printing import render_text
from deskapp.widgets.confirm import ConfirmModal
from deskapp.widgets.form import ChoiceBar
from deskapp.widgets.unit_picker import UnitPicker

# The screen's modes, and the pane each shows.
LIST, DEPOSIT, ITEM, COLLECT, LOST, LOST_ITEM, TICKET = (
    "list", "deposit", "item", "collect", "lost", "lost-item", "ticket",
)
_PANE = {
    LIST: "storage-list", DEPOSIT: "storage-deposit-pane", ITEM: "storage-item",
    COLLECT: "storage-item", LOST_ITEM: "storage-item", LOST: "storage-lost",
    TICKET: "storage-ticket",
}


@dataclass
class Printed:
    """A ticket built in the thread: its text, and its files or why there are none."""

    item_id: int
    code: str
    text: str
    files: tuple[Path, Path] | None = None
    refused: str = ""
    failed: str = ""


class StorageScreen(DeskScreen):
    TITLE_TEXT = N_("Item storage")

    BINDINGS = [
        Binding("ctrl+n", "new_deposit", N_("New deposit")),
        Binding("ctrl+f", "lost_ticket", N_("Lost ticket")),
        Binding("ctrl+r", "reprint", N_("Reprint ticket")),
        Binding("slash", "collect", N_("Collect"), key_display="/"),
        Binding("escape", "back", N_("Back")),
    ]
    _MOVES = frozenset({"new_deposit", "lost_ticket", "reprint", "collect", "back"})

    def __init__(self) -> None:
        super().__init__()
        self.state = StorageState()
        self._pending_code: str | None = None

    @property
    def mode(self) -> str:
        return self.state.mode

    # --- layout ---------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with ContentSwitcher(initial=_PANE[self.mode], id="storage-panes"):
            yield HeldPane()
            yield DepositPane()
            yield ItemPane()
            yield LostPane()
            yield TicketPane()

    def pane(self) -> StoragePane:
        return self.query_one(f"#{_PANE[self.mode]}", StoragePane)

    def on_mount(self) -> None:
        # The list loads when the screen comes on view (``refresh_view``).
        self.query_one("#storage-panes", ContentSwitcher).current = _PANE[self.mode]

    async def recompose(self) -> None:
        """A language switch rebuilds the widgets: carry what was typed across it."""
        values = self._capture()
        await super().recompose()
        self._restore(values)

    def _capture(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for field in self.query(Input):
            if field.id:
                values[field.id] = field.value
        for bar in self.query(ChoiceBar):
            if bar.id:
                values[bar.id] = bar.value
        pickers = self.query(UnitPicker)
        values["picked"] = pickers.first().picked if pickers else None
        return values

    def _restore(self, values: dict[str, Any]) -> None:
        for field in self.query(Input):
            if field.id in values:
                with field.prevent(Input.Changed):
                    field.value = values[field.id]
        for bar in self.query(ChoiceBar):
            if bar.id in values:
                bar.value = values[bar.id]
        if values.get("picked") is not None:
            self.query_one("#deposit-unit", UnitPicker).picked = values["picked"]
        self.query_one(DepositPane).restore()
        self.query_one(ItemPane).restore()
        self.show(self.mode)

    def refresh_view(self) -> None:
        self.query_one(HeldPane).reload()
        if self.mode == LOST:
            self.query_one(LostPane).show()
        if self.mode in (ITEM, COLLECT, LOST_ITEM):
            self.query_one(ItemPane).show_record()
        if self._pending_code is not None:
            code, self._pending_code = self._pending_code, None
            self.open_by_code(code)

    # --- panes and the keys that move between them -----------------------------------------

    def show(self, mode: str) -> None:
        self.state.mode = mode
        self.query_one("#storage-panes", ContentSwitcher).current = _PANE[mode]
        self.pane().show()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer shows only the keys that do something in the pane on view."""
        if action in self._MOVES:
            return self.pane().offers(action)
        return True

    def to_list(self) -> None:
        self.state.item_id = None
        self.show(LIST)

    def action_new_deposit(self) -> None:
        self.show(DEPOSIT)

    def action_collect(self) -> None:
        self.to_list()
        self.notify(_("Type or scan the ticket code, then Enter."), timeout=4)

    def action_lost_ticket(self) -> None:
        self.show(LOST)

    def action_back(self) -> None:
        if self.mode == DEPOSIT:
            self._leave_form(self.query_one(DepositPane).has_text(),
                             _("Leave the storage form? What you typed is lost."),
                             self._discard_deposit)
        elif self.mode in (COLLECT, LOST_ITEM):
            self._leave_form(self.query_one(ItemPane).has_text(),
                             _("Leave the collector's form? What you typed is lost."),
                             self._discard_collector)
        elif self.mode != LIST:
            self.to_list()

    def _discard_deposit(self) -> None:
        self.query_one(DepositPane).discard()
        self.to_list()

    def _discard_collector(self) -> None:
        self.query_one(ItemPane).clear()
        if self.mode == LOST_ITEM:
            self.state.item_id = None
            self.show(LOST)
        else:
            self.to_list()

    def _leave_form(self, typed: bool, question: str, leave: Any) -> None:
        if not typed:
            leave()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                leave()

        self.app.push_screen(ConfirmModal(question), answered)

    def has_typing(self) -> bool:
        return self.query_one(DepositPane).has_text() or self.query_one(ItemPane).has_text()

    # --- one item: its record, collection by code ------------------------------------------

    def open_item(self, item_id: int, mode: str) -> None:
        item = self.query_one(ItemPane)
        if mode == LOST_ITEM:
            item.clear()
        else:
            item.clear_message()
        self.state.item_id = item_id
        self.show(mode)

    def open_code(self, code: str) -> None:
        """Show the item of ticket ``code`` ready for collection (scanned anywhere)."""
        if not self.is_mounted or not self.query("#storage-code"):
            self._pending_code = code
            return
        self.open_by_code(code)

    def open_by_code(self, text: str) -> None:
        if self.mode in (DEPOSIT, COLLECT, LOST_ITEM) and self._form_has_text():
            self.notify(
                _("Finish or leave the form on screen (Esc) before opening {code}.").format(
                    code=text.strip()), severity="warning")
            return
        held = self.query_one(HeldPane)
        desk = self.desk_app.desk
        try:
            with reading(desk.engine) as session:
                item = storage.to_collect(session, acting=Acting(desk.site_id), code=text,
                                          zone=self.desk_app.zone)
        except DeskError as error:
            if self.mode != LIST:
                self.to_list()
            held.refuse_code(text, error.message)
            return
        held.accept_code()
        self.query_one(ItemPane).clear()
        assert item.id is not None
        self.state.collect_code = item.code or ""
        self.state.item_id = item.id
        self.show(COLLECT)

    def _form_has_text(self) -> bool:
        if self.mode == DEPOSIT:
            return self.query_one(DepositPane).has_text()
        return self.query_one(ItemPane).has_text()

    # --- the ticket -----------------------------------------------------------------------

    def _selected_id(self) -> int | None:
        if self.mode in (ITEM, COLLECT, TICKET) and self.state.item_id is not None:
            return self.state.item_id
        return self.query_one(HeldPane).current_id()

    def action_reprint(self) -> None:
        item_id = self._selected_id()
        if item_id is None:
            self.notify(_("Choose an item in the list first."), severity="warning")
            return
        self.print_ticket(item_id)

    def print_ticket(self, item_id: int, *, replace_missing: bool = False) -> None:
        """Build and save the ticket in a thread (its PDF takes most of a second), then
        show it large. A character the PDF font lacks asks first (``_ask_replace``)."""
        app = self.desk_app
        desk = app.desk
        site_name, zone, now = app.site_name, app.zone, desk.clock.now()
        printed_by = app.operator.display_name if app.operator else ""
        folder = desk.settings.data_dir / "prints"

        def build_and_save() -> Printed:
            with reading(desk.engine) as session:
                item, unit_code = storage.ticket_item(session, acting=Acting(desk.site_id),
                                                      item_id=item_id)
            doc = ticket_document(item, site_name=site_name, zone=zone, unit_code=unit_code,
                                  printed_at=now, printed_by=printed_by)
            printed = Printed(item_id=item_id, code=item.code or "",
                              text=render_text(doc, width=RECEIPT_WIDTH))
            try:
                printed.files = save_ticket(doc, folder=folder, code=printed.code,
                                            replace_missing=replace_missing)
            except DeskError as error:  # a character the font lacks: the operator decides
                printed.refused = error.message
            except OSError as error:
                printed.failed = str(error)
            return printed

        self.run_db(build_and_save, self._printed,
                    failed=lambda error: self.notify(error.message, severity="error"),
                    name="print")

    def _printed(self, printed: Printed) -> None:
        if printed.refused:
            self._ask_replace(printed.item_id, printed.refused)
            files = _("Not printed yet: {reason}").format(reason=printed.refused)
        elif printed.failed or printed.files is None:
            files = _("Could not save the ticket: {reason}").format(reason=printed.failed)
            self.notify(files, severity="error", timeout=10)
        else:
            pdf_path, text_path = printed.files
            files = _("Ticket saved: {pdf} and {text}").format(pdf=pdf_path, text=text_path)
            self.notify(files, title=_("Printed"), timeout=10)
        self.state.ticket = TicketShown(code=printed.code, text=printed.text, files=files)
        self.state.item_id = printed.item_id
        self.show(TICKET)

    def _ask_replace(self, item_id: int, reason: str) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self.print_ticket(item_id, replace_missing=True)

        self.app.push_screen(ConfirmModal(reason), answered)
