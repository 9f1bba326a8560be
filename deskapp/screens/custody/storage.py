"""Item storage (物品寄存): items held, the storage form, the claim ticket, collection.

One screen, a few panes (ContentSwitcher), the footer showing the keys of the
pane on view:

- list: items held, oldest first, overdue ones marked; a code field where a
  ticket code is typed or scanned to hand the item over (ctrl+t: held /
  overdue / all records; Enter on a row: the whole record and its timeline);
- deposit (ctrl+n): the storage form; ctrl+s saves, prints the ticket and
  shows its code large;
- collect: the record and the collector's form; ctrl+s hands it over;
- lost (ctrl+f): find the item by the depositor's name, phone digits or ID
  number; a supervisor signs the release.

A refusal appears beside its field and keeps every typed character; Esc from
a form with typed text asks first. A language switch recomposes the screen, so
the panes' values are carried across it (``recompose``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.coordinate import Coordinate
from textual.widgets import Button, ContentSwitcher, DataTable, Input, Static

from deskapp.db import reading, transaction
from deskapp.errors import DeskError
from deskapp.i18n import N_, _
from deskapp.models import Operator
from deskapp.models.custody import CustodyItem, DepositorKind
from deskapp.screens.base import DeskScreen
from deskapp.screens.custody.storage_forms import CollectorForm, DepositForm
from deskapp.screens.custody.storage_views import (
    DEPOSITOR_CELLS,
    ITEM_CELLS,
    Colours,
    record_text,
    row_cells,
)
from deskapp.services.custody import checks, lists, storage
from deskapp.services.custody.storage_ticket import RECEIPT_WIDTH, save_ticket, ticket_document
from deskapp.services.printing import render_text
from deskapp.widgets.confirm import ConfirmModal
from deskapp.widgets.form import ChoiceBar, FormField, TextInput, clear_errors, show_error
from deskapp.widgets.staff_pin import StaffPinModal
from deskapp.widgets.unit_picker import UnitPicker

PAGE = 50
LOST_HITS = 20

# Panes of the ContentSwitcher, and the modes that show them.
LIST, DEPOSIT, ITEM, COLLECT, LOST, LOST_ITEM, TICKET = (
    "list", "deposit", "item", "collect", "lost", "lost-item", "ticket",
)
_PANE = {
    LIST: "storage-list", DEPOSIT: "storage-deposit", ITEM: "storage-item",
    COLLECT: "storage-item", LOST_ITEM: "storage-item", LOST: "storage-lost",
    TICKET: "storage-ticket",
}
VIEWS = ("held", "overdue", "all")


@dataclass
class TicketShown:
    code: str
    text: str
    files: str


class StorageScreen(DeskScreen):
    TITLE_TEXT = N_("Item storage")

    DEFAULT_CSS = """
    #storage-top { height: auto; padding: 0 1; }
    #field-code { width: 1fr; }
    #field-view { width: 52; padding-left: 2; }
    #storage-items { height: 1fr; margin: 0 1; }
    #storage-count { color: $text-muted; padding: 0 1; height: 1; }
    #storage-item { height: 1fr; }
    #storage-record { width: 1fr; border: round $primary; padding: 0 1; }
    #storage-item-message { color: $error; height: auto; }
    #storage-item-hint { color: $text-muted; height: auto; margin-top: 1; }
    #storage-collector { width: 1fr; }
    #storage-ticket { padding: 0 1; }
    #storage-ticket-code {
        height: auto; border: double $success; padding: 1 2; text-style: bold;
        content-align: center middle; color: $success;
    }
    #storage-ticket-files { color: $text-muted; height: auto; }
    #storage-ticket-scroll { height: 1fr; }
    #storage-ticket-text {
        width: auto; border: round $panel-lighten-2; padding: 0 1; text-wrap: nowrap;
    }
    #storage-lost { padding: 0 1; }
    #storage-lost-hits { height: 1fr; }
    #storage-lost-hint { color: $text-muted; height: 1; }
    """

    BINDINGS = [
        Binding("ctrl+n", "new_deposit", N_("New deposit")),
        Binding("ctrl+s", "save", N_("Save")),
        Binding("ctrl+f", "lost_ticket", N_("Lost ticket")),
        Binding("ctrl+r", "reprint", N_("Reprint ticket")),
        Binding("ctrl+t", "cycle_view", N_("Held/overdue/all")),
        Binding("ctrl+g", "supervisor", N_("Supervisor signs")),
        Binding("slash", "collect", N_("Collect"), key_display="/"),
        Binding("escape", "back", N_("Back")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.mode = LIST
        self.view = VIEWS[0]
        self._item_id: int | None = None
        self._exception_by: Operator | None = None
        self._lost_supervisor: Operator | None = None
        self._ticket: TicketShown | None = None
        self._pending_code: str | None = None
        self._collect_code = ""
        """The ticket code of the item in the collect pane (what the depositor showed)."""
        self._loaded = 0
        self._total = 0

    # --- layout ---------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with ContentSwitcher(initial=_PANE[self.mode], id="storage-panes"):
            with Vertical(id="storage-list"):
                with Horizontal(id="storage-top"):
                    yield FormField(
                        _("Ticket code: type or scan it, Enter to hand the item over"),
                        TextInput(id="storage-code", placeholder="S-7K3M-Q", max_length=32,
                              compact=True),
                        field="code",
                    )
                    yield FormField(
                        _("Show (ctrl+t)"),
                        ChoiceBar([("held", _("Held")), ("overdue", _("Overdue")),
                                   ("all", _("All records"))], id="storage-view",
                                  value=self.view),
                        field="view",
                    )
                yield DataTable(id="storage-items", cursor_type="row", zebra_stripes=True)
                yield Static("", id="storage-count")
            yield DepositForm(id="storage-deposit")
            with Horizontal(id="storage-item"):
                with VerticalScroll(id="storage-record"):
                    yield Static("", id="storage-record-body")
                    yield Static("", id="storage-item-message")
                    yield Static("", id="storage-item-hint")
                yield CollectorForm(id="storage-collector")
            with Vertical(id="storage-lost"):
                yield FormField(
                    _("Lost ticket: the depositor's name, phone digits or ID number"),
                    TextInput(id="storage-lost-query", max_length=64, compact=True),
                    field="query",
                )
                yield DataTable(id="storage-lost-hits", cursor_type="row", zebra_stripes=True)
                yield Static(_("Enter on a line: release it with a supervisor's note."),
                             id="storage-lost-hint")
            with Vertical(id="storage-ticket"):
                yield Static("", id="storage-ticket-code")
                yield Static("", id="storage-ticket-files")
                with VerticalScroll(id="storage-ticket-scroll"):
                    yield Static("", id="storage-ticket-text")

    def on_mount(self) -> None:
        self._set_mode(self.mode)

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
        form = self.query_one(DepositForm)
        form.show_exception(storage.needs_exception(form.category))
        form.show_supervisor(self._exception_by)
        self.query_one(CollectorForm).show_supervisor(self._lost_supervisor)
        if self._ticket is not None:
            self._show_ticket(self._ticket)
        self._set_mode(self.mode)

    def refresh_view(self) -> None:
        for table_id, columns in (
            ("#storage-items", self._list_columns()),
            ("#storage-lost-hits", self._lost_columns()),
        ):
            table = self.query_one(table_id, DataTable)
            if not table.columns:
                for label, width in columns:
                    table.add_column(label, width=width)
        self._reload()
        if self.mode == LOST:
            self._search_lost(self.query_one("#storage-lost-query", Input).value)
        if self._item_id is not None and self.mode in (ITEM, COLLECT, LOST_ITEM):
            self._show_record(self._item_id)
        if self._pending_code is not None:
            code, self._pending_code = self._pending_code, None
            self._open_by_code(code)

    @staticmethod
    def _list_columns() -> list[tuple[str, int | None]]:
        return [
            (_("Ticket"), None), (_("Deposited"), None), (_("Held for"), None),
            (_("Depositor"), DEPOSITOR_CELLS), (_("Unit"), None), (_("Phone"), None),
            (_("Item"), ITEM_CELLS), (_("Pcs"), None), (_("Shelf"), None), (_("Status"), None),
        ]

    @staticmethod
    def _lost_columns() -> list[tuple[str, int | None]]:
        return [
            (_("Ticket"), None), (_("Deposited"), None), (_("Held for"), None),
            (_("Depositor"), DEPOSITOR_CELLS), (_("Unit"), None), (_("Phone"), None),
            (_("Item"), 30), (_("Shelf"), None),
        ]

    def _colours(self) -> Colours:
        variables = self.app.get_css_variables()
        return Colours(error=variables.get("error", "red"),
                       success=variables.get("success", "green"))

    # --- modes and keys -------------------------------------------------------------------

    def _set_mode(self, mode: str) -> None:
        self.mode = mode
        self.query_one("#storage-panes", ContentSwitcher).current = _PANE[mode]
        collector = self.query_one(CollectorForm)
        collector.display = mode in (COLLECT, LOST_ITEM)
        collector.set_lost(mode == LOST_ITEM)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Show in the footer only the keys that do something in the pane on view."""
        mode = self.mode
        if action == "new_deposit":
            return mode in (LIST, ITEM, TICKET)
        if action == "save":
            return mode in (DEPOSIT, COLLECT, LOST_ITEM)
        if action == "collect":
            return mode in (LIST, ITEM, TICKET)
        if action == "lost_ticket":
            return mode in (LIST, ITEM, TICKET)
        if action == "reprint":
            return mode in (LIST, ITEM, COLLECT, TICKET)
        if action == "cycle_view":
            return mode == LIST
        if action == "supervisor":
            if mode == DEPOSIT:
                return storage.needs_exception(self.query_one(DepositForm).category)
            return mode == LOST_ITEM
        if action == "back":
            return mode != LIST
        return True

    def _to_list(self) -> None:
        self._item_id = None
        self._set_mode(LIST)
        self._reload()
        self.query_one("#storage-code", Input).focus()

    def action_new_deposit(self) -> None:
        self._set_mode(DEPOSIT)
        self.query_one("#deposit-kind", ChoiceBar).focus()

    def action_collect(self) -> None:
        self._to_list()
        self.notify(_("Type or scan the ticket code, then Enter."), timeout=4)

    def action_lost_ticket(self) -> None:
        self._set_mode(LOST)
        query = self.query_one("#storage-lost-query", Input)
        query.focus()
        self._search_lost(query.value)

    def action_cycle_view(self) -> None:
        bar = self.query_one("#storage-view", ChoiceBar)
        bar.action_move(1)

    def action_back(self) -> None:
        if self.mode == DEPOSIT:
            form = self.query_one(DepositForm)
            self._leave_form(form.has_text(), _("Leave the storage form? What you typed is lost."),
                             self._discard_deposit)
        elif self.mode in (COLLECT, LOST_ITEM):
            collector = self.query_one(CollectorForm)
            back = self._back_to_lost if self.mode == LOST_ITEM else self._discard_collector
            self._leave_form(collector.has_text(),
                             _("Leave the collector's form? What you typed is lost."), back)
        elif self.mode != LIST:
            self._to_list()

    def _leave_form(self, typed: bool, question: str, leave: Any) -> None:
        if not typed:
            leave()
            return

        def answered(yes: bool | None) -> None:
            if yes:
                leave()

        self.app.push_screen(ConfirmModal(question), answered)

    def _discard_deposit(self) -> None:
        form = self.query_one(DepositForm)
        clear_errors(form)
        form.clear()
        self._exception_by = None
        self._to_list()

    def _discard_collector(self) -> None:
        self._clear_collector()
        self._to_list()

    def _back_to_lost(self) -> None:
        self._clear_collector()
        self._item_id = None
        self.action_lost_ticket()

    def _clear_collector(self) -> None:
        collector = self.query_one(CollectorForm)
        clear_errors(collector)
        collector.clear()
        self._lost_supervisor = None
        self.query_one("#storage-item-message", Static).update("")

    def action_save(self) -> None:
        if self.mode == DEPOSIT:
            self._save_deposit()
        elif self.mode == COLLECT:
            self._save_collection()
        elif self.mode == LOST_ITEM:
            self._save_lost_release()

    @staticmethod
    def _supervisor_modal(why: str) -> StaffPinModal:
        return StaffPinModal(
            why, roles=checks.SUPERVISORS, login_label=_("Supervisor's sign-in name"),
            refusal=_("{name} is not a supervisor or manager; ask one to confirm."),
        )

    def action_supervisor(self) -> None:
        if self.mode == DEPOSIT:
            category = storage.category_label(self.query_one(DepositForm).category)
            why = _("{category}: a supervisor notes an exception to take it.").format(
                category=category.capitalize())
            self.app.push_screen(self._supervisor_modal(why), self._exception_signed)
        elif self.mode == LOST_ITEM:
            why = _("No ticket: a supervisor approves the release.")
            self.app.push_screen(self._supervisor_modal(why), self._lost_signed)

    def _exception_signed(self, supervisor: Operator | None) -> None:
        if supervisor is None:
            return
        self._exception_by = supervisor
        form = self.query_one(DepositForm)
        form.show_supervisor(supervisor)
        self.query_one("#deposit-exception-note", Input).focus()

    def _lost_signed(self, supervisor: Operator | None) -> None:
        if supervisor is None:
            return
        self._lost_supervisor = supervisor
        self.query_one(CollectorForm).show_supervisor(supervisor)
        self.query_one("#collect-note", Input).focus()

    @on(Button.Pressed, "#deposit-supervisor, #collect-supervisor")
    def _supervisor_button(self) -> None:
        self.action_supervisor()

    # --- the list -------------------------------------------------------------------------

    @on(ChoiceBar.Changed, "#storage-view")
    def _view_changed(self, event: ChoiceBar.Changed) -> None:
        self.view = event.value
        self._reload()

    def _page(self, offset: int) -> lists.Page[lists.ItemRow]:
        desk = self.desk_app.desk
        with reading(desk.engine) as session:
            if self.view == "all":
                return storage.history(session, site_id=desk.site_id, now=desk.clock.now(),
                                       settings=desk.settings, limit=PAGE, offset=offset)
            return storage.held(session, site_id=desk.site_id, now=desk.clock.now(),
                                settings=desk.settings, overdue_only=self.view == "overdue",
                                limit=PAGE, offset=offset)

    def _reload(self) -> None:
        table = self.query_one("#storage-items", DataTable)
        table.clear()
        self._loaded = 0
        self._load_more()

    def _load_more(self) -> None:
        page = self._page(self._loaded)
        desk = self.desk_app.desk
        now, zone, colours = desk.clock.now(), self.desk_app.zone, self._colours()
        table = self.query_one("#storage-items", DataTable)
        for row in page.rows:
            table.add_row(*row_cells(row, now=now, zone=zone, colours=colours), key=str(row.id))
        self._loaded += len(page.rows)
        self._total = page.total
        self._show_count()

    def _show_count(self) -> None:
        desk = self.desk_app.desk
        with reading(desk.engine) as session:
            overdue = storage.overdue_count(session, site_id=desk.site_id, now=desk.clock.now(),
                                            settings=desk.settings)
        text = Text(_("{shown} of {total} shown").format(shown=self._loaded, total=self._total))
        if self._loaded < self._total:
            text.append("  " + _("(more load as you move down)"))
        if overdue:
            text.append("   ")
            text.append("⚠ " + _("{count} overdue (held over {days} days)").format(
                count=overdue, days=desk.settings.storage_overdue_days),
                style=f"bold {self._colours().error}")
        self.query_one("#storage-count", Static).update(text)

    @on(DataTable.RowHighlighted, "#storage-items")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= event.data_table.row_count - 1 and self._loaded < self._total:
            self._load_more()

    @on(DataTable.RowSelected, "#storage-items")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self._open_item(int(event.row_key.value or 0), ITEM)

    def _selected_id(self) -> int | None:
        if self.mode in (ITEM, COLLECT, TICKET) and self._item_id is not None:
            return self._item_id
        table = self.query_one("#storage-items", DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return int(key) if key else None

    # --- one item: its record, collection by code ----------------------------------------

    def _open_item(self, item_id: int, mode: str) -> None:
        self._item_id = item_id
        self.query_one("#storage-item-message", Static).update("")
        hint = ""
        if mode == ITEM:
            hint = _("To hand it over: / and the ticket code. Ticket lost: ctrl+f.")
        self.query_one("#storage-item-hint", Static).update(hint)
        self._set_mode(mode)
        self._show_record(item_id)
        if mode in (COLLECT, LOST_ITEM):
            self.query_one("#collect-name", Input).focus()
        else:
            self.query_one("#storage-record").focus()

    def _show_record(self, item_id: int) -> None:
        desk = self.desk_app.desk
        now = desk.clock.now()
        try:
            with reading(desk.engine) as session:
                shown = storage.record(session, site_id=desk.site_id, item_id=item_id, now=now,
                                       settings=desk.settings)
            text = record_text(shown, now=now, zone=self.desk_app.zone, colours=self._colours())
        except DeskError as error:
            text = Text(error.message)
        self.query_one("#storage-record-body", Static).update(text)

    def open_code(self, code: str) -> None:
        """Show the item of ticket ``code`` ready for collection (scanned anywhere)."""
        if not self.is_mounted or not self.query("#storage-code"):
            self._pending_code = code
            return
        self._open_by_code(code)

    @on(Input.Submitted, "#storage-code")
    def _code_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self._open_by_code(event.value)

    def _open_by_code(self, text: str) -> None:
        if self.mode in (DEPOSIT, COLLECT, LOST_ITEM) and self._form_has_text():
            self.notify(
                _("Finish or leave the form on screen (Esc) before opening {code}.").format(
                    code=text.strip()), severity="warning")
            return
        field = self.query_one("#storage-code", Input)
        code_field = self.query_one("#field-code", FormField)
        code_field.clear_error()
        desk = self.desk_app.desk
        try:
            with reading(desk.engine) as session:
                item = storage.to_collect(session, site_id=desk.site_id, code=text,
                                          zone=self.desk_app.zone)
        except DeskError as error:
            if self.mode != LIST:
                self._to_list()
            with field.prevent(Input.Changed):
                field.value = text.strip()
            self.app.bell()
            code_field.show_error(error.message)
            field.focus()
            return
        with field.prevent(Input.Changed):
            field.value = ""
        self._clear_collector()
        assert item.id is not None
        self._collect_code = item.code or ""
        self._open_item(item.id, COLLECT)

    def _form_has_text(self) -> bool:
        if self.mode == DEPOSIT:
            return self.query_one(DepositForm).has_text()
        return self.query_one(CollectorForm).has_text()

    def _save_collection(self) -> None:
        collector_form = self.query_one(CollectorForm)
        clear_errors(collector_form)
        message = self.query_one("#storage-item-message", Static)
        message.update("")
        desk, operator = self.desk_app.desk, self.desk_app.operator
        try:
            with transaction(desk.engine) as session:
                item = storage.collect(
                    session, site_id=desk.site_id, code=self._collect_code,
                    collector=collector_form.read(),
                    now=desk.clock.now(), actor=operator, settings=desk.settings,
                )
        except DeskError as error:
            show_error(collector_form, error, fallback=message)
            return
        self._handed_over(item)

    def _handed_over(self, item: CustodyItem) -> None:
        self.notify(_("{code} handed over to {name}.").format(code=item.code,
                                                               name=item.released_to))
        self._clear_collector()
        self._to_list()

    # --- lost ticket ----------------------------------------------------------------------

    @on(Input.Changed, "#storage-lost-query")
    def _lost_typed(self, event: Input.Changed) -> None:
        self._search_lost(event.value)

    @on(Input.Submitted, "#storage-lost-query")
    def _lost_to_hits(self, event: Input.Submitted) -> None:
        event.stop()
        table = self.query_one("#storage-lost-hits", DataTable)
        if table.row_count:
            table.focus()
            table.move_cursor(row=0)

    def _search_lost(self, query: str) -> None:
        desk = self.desk_app.desk
        now, zone, colours = desk.clock.now(), self.desk_app.zone, self._colours()
        table = self.query_one("#storage-lost-hits", DataTable)
        table.clear()
        with reading(desk.engine) as session:
            rows = storage.find_lost_ticket(session, site_id=desk.site_id, query=query, now=now,
                                            settings=desk.settings, limit=LOST_HITS)
        for row in rows:
            cells = row_cells(row, now=now, zone=zone, colours=colours)
            table.add_row(*cells[:7], cells[8], key=str(row.id))

    @on(DataTable.RowSelected, "#storage-lost-hits")
    def _lost_chosen(self, event: DataTable.RowSelected) -> None:
        self._clear_collector()
        self._open_item(int(event.row_key.value or 0), LOST_ITEM)

    def _save_lost_release(self) -> None:
        collector_form = self.query_one(CollectorForm)
        clear_errors(collector_form)
        message = self.query_one("#storage-item-message", Static)
        message.update("")
        desk, operator = self.desk_app.desk, self.desk_app.operator
        assert self._item_id is not None
        try:
            with transaction(desk.engine) as session:
                item = storage.release_without_ticket(
                    session, site_id=desk.site_id, item_id=self._item_id,
                    collector=collector_form.read(), supervisor=self._lost_supervisor,
                    note=collector_form.note(), now=desk.clock.now(), actor=operator,
                    settings=desk.settings,
                )
        except DeskError as error:
            show_error(collector_form, error, fallback=message)
            return
        self._handed_over(item)

    # --- the storage form -----------------------------------------------------------------

    @on(ChoiceBar.Changed, "#deposit-category")
    def _category_changed(self, event: ChoiceBar.Changed) -> None:
        self.query_one(DepositForm).show_exception(storage.needs_exception(event.value))
        self.refresh_bindings()

    @on(ChoiceBar.Changed, "#deposit-kind")
    def _kind_changed(self, event: ChoiceBar.Changed) -> None:
        self.query_one("#field-unit", FormField).clear_error()

    @on(Input.Submitted, "#storage-deposit Input, #storage-collector Input")
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(ChoiceBar.Submitted, "#storage-deposit ChoiceBar, #storage-collector ChoiceBar")
    def _choice_next(self, event: ChoiceBar.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(UnitPicker.Picked, "#deposit-unit")
    def _unit_picked(self, event: UnitPicker.Picked) -> None:
        """A picked person fills name and phone; a unit of one person does the same."""
        self.query_one("#field-unit", FormField).clear_error()
        desk = self.desk_app.desk
        with reading(desk.engine) as session:
            depositor = storage.depositor_from_pick(
                session, site_id=desk.site_id, unit_id=event.unit.unit_id,
                resident_id=event.unit.resident_id)
        hint = ""
        if depositor.others:
            hint = _("People here: {names}. Type a name to pick one.").format(
                names="、".join(depositor.others))
        self.query_one(DepositForm).show_people(hint)
        if depositor.name:
            for selector, value in (("#deposit-name", depositor.name),
                                    ("#deposit-phone", depositor.phone)):
                field = self.query_one(selector, Input)
                if depositor.overwrite or not field.value.strip():
                    field.value = value
        self.query_one("#deposit-kind", ChoiceBar).select(DepositorKind.RESIDENT.value)
        self.focus_next()

    @on(UnitPicker.Cleared, "#deposit-unit")
    def _unit_cleared(self) -> None:
        self.focus_next()

    @on(UnitPicker.NotFound, "#deposit-unit")
    def _unit_not_found(self, event: UnitPicker.NotFound) -> None:
        self.query_one("#field-unit", FormField).show_error(
            _("No unit matches {text}: type a room like 3-2-1201, a name or phone digits.")
            .format(text=event.text))

    def _save_deposit(self) -> None:
        form = self.query_one(DepositForm)
        clear_errors(form)
        desk, operator = self.desk_app.desk, self.desk_app.operator
        special = storage.needs_exception(form.category)
        try:
            storage_form = form.read()
            with transaction(desk.engine) as session:
                item = storage.deposit(
                    session, site_id=desk.site_id, form=storage_form, now=desk.clock.now(),
                    actor=operator, exception_by=self._exception_by if special else None,
                    exception_note=form.exception_note() if special else "",
                )
        except DeskError as error:
            show_error(form, error)
            return
        form.clear()
        self._exception_by = None
        assert item.id is not None
        self._item_id = item.id
        self.notify(_("Saved: ticket {code}.").format(code=item.code))
        self._print_ticket(item.id)

    # --- the ticket -----------------------------------------------------------------------

    def action_reprint(self) -> None:
        item_id = self._selected_id()
        if item_id is None:
            self.notify(_("Choose an item in the list first."), severity="warning")
            return
        self._print_ticket(item_id)

    def _print_ticket(self, item_id: int, *, replace_missing: bool = False) -> None:
        app = self.desk_app
        desk = app.desk
        try:
            with reading(desk.engine) as session:
                item, unit_code = storage.ticket_item(session, site_id=desk.site_id,
                                                      item_id=item_id)
            doc = ticket_document(
                item, site_name=app.site_name, zone=app.zone, unit_code=unit_code,
                printed_at=desk.clock.now(),
                printed_by=app.operator.display_name if app.operator else "",
            )
        except DeskError as error:
            self.notify(error.message, severity="error")
            return
        code = item.code or ""
        files = ""
        try:
            pdf_path, text_path = save_ticket(doc, folder=desk.settings.data_dir / "prints",
                                              code=code, replace_missing=replace_missing)
        except DeskError as error:
            self._ask_replace(item_id, error.message)
            files = _("Not printed yet: {reason}").format(reason=error.message)
        except OSError as error:
            files = _("Could not save the ticket: {reason}").format(reason=error)
            self.notify(files, severity="error", timeout=10)
        else:
            files = _("Ticket saved: {pdf} and {text}").format(pdf=pdf_path, text=text_path)
            self.notify(files, title=_("Printed"), timeout=10)
        self._ticket = TicketShown(code=code, text=render_text(doc, width=RECEIPT_WIDTH),
                                   files=files)
        self._item_id = item_id
        self._show_ticket(self._ticket)
        self._set_mode(TICKET)
        self.query_one("#storage-ticket-scroll").focus()

    def _ask_replace(self, item_id: int, reason: str) -> None:
        def answered(yes: bool | None) -> None:
            if yes:
                self._print_ticket(item_id, replace_missing=True)

        self.app.push_screen(ConfirmModal(reason), answered)

    def _show_ticket(self, ticket: TicketShown) -> None:
        big = Text(_("Ticket {code}").format(code=ticket.code), style="bold")
        big.append("\n" + _("Give this code to the depositor; it is printed on the ticket."),
                   style="not bold")
        self.query_one("#storage-ticket-code", Static).update(big)
        self.query_one("#storage-ticket-files", Static).update(Text(ticket.files))
        self.query_one("#storage-ticket-text", Static).update(Text(ticket.text))
