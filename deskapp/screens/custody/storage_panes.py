"""The panes of the storage screen, each with its own keys and its own work.

- ``HeldPane``: items held, oldest first; the code field where a ticket is typed
  or scanned; ctrl+t cycles held / overdue / all records;
- ``DepositPane``: the storage form; ctrl+s saves (a supervisor signs, ctrl+g,
  for a category taken only by exception);
- ``ItemPane``: one item's record, and the collector's form when it is handed
  over, with the ticket or (``lost``) with a supervisor's release;
- ``LostPane``: a lost ticket found by the depositor's name, phone or ID;
- ``TicketPane``: the ticket just printed, its code large.

The screen (``storage.StorageScreen``) moves between them and keeps what must
outlive a language switch (``StorageState``). Saves run in a thread (``run_db``):
the form is read first, so a refusal or a locked database keeps every character.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, DataTable, Input, Static

from deskapp.db import reading, transaction
from deskapp.errors import DeskError
from deskapp.i18n import N_, _
from deskapp.models import Operator
from deskapp.models.custody import CustodyItem, DepositorKind
from deskapp.screens.custody.storage_forms import CollectorForm, DepositForm
from deskapp.screens.custody.storage_views import (
    DEPOSITOR_CELLS,
    ITEM_CELLS,
    Colours,
    record_text,
    row_cells,
)
from deskapp.services.acting import Acting
from deskapp.services.custody import checks, lists, storage
from deskapp.widgets.form import ChoiceBar, FormField, TextInput, clear_errors, show_error
from deskapp.widgets.staff_pin import StaffPinModal
from deskapp.widgets.unit_picker import UnitPicker

if TYPE_CHECKING:
    from sqlmodel import Session

    from deskapp.screens.custody.storage import StorageScreen

T = TypeVar("T")
PAGE = 50
LOST_HITS = 20
VIEWS = ("held", "overdue", "all")


@dataclass
class TicketShown:
    code: str
    text: str
    files: str


@dataclass
class StorageState:
    """What the storage screen holds across its panes and across a language switch."""

    mode: str = "list"
    view: str = VIEWS[0]
    item_id: int | None = None
    collect_code: str = ""
    """The ticket code of the item being collected (what the depositor showed)."""
    exception_by: Operator | None = None
    lost_supervisor: Operator | None = None
    ticket: TicketShown | None = None


class StoragePane(Widget):
    """A pane: reaches the screen it is on, reads the database with one message on failure.

    ``OFFERS``: the screen's own keys (new deposit, collect, lost ticket, reprint,
    back) that do something while this pane is on view.
    """

    OFFERS: frozenset[str] = frozenset()

    @property
    def storage(self) -> StorageScreen:
        from deskapp.screens.custody.storage import StorageScreen

        screen = self.screen
        assert isinstance(screen, StorageScreen)
        return screen

    @property
    def state(self) -> StorageState:
        return self.storage.state

    def colours(self) -> Colours:
        variables = self.app.get_css_variables()
        return Colours(error=variables.get("error", "red"),
                       success=variables.get("success", "green"))

    def read(self, query: Callable[[Session], T]) -> T | None:
        """One read; trouble becomes one line and ``None`` (``DeskApp.read``)."""
        return self.storage.desk_app.read(query)

    def offers(self, action: str) -> bool:
        return action in self.OFFERS

    def show(self) -> None:
        """The pane comes on view: bring it up to date and put the cursor in it."""


def _supervisor_modal(why: str) -> StaffPinModal:
    return StaffPinModal(
        why, roles=checks.SUPERVISORS, login_label=_("Supervisor's sign-in name"),
        refusal=_("{name} is not a supervisor or manager; ask one to confirm."),
    )


class HeldPane(Vertical, StoragePane):
    """The items held (or overdue, or every record), and the code field."""

    DEFAULT_CSS = """
    #storage-top { height: auto; padding: 0 1; }
    #field-code { width: 1fr; }
    #field-view { width: 52; padding-left: 2; }
    #storage-items { height: 1fr; margin: 0 1; }
    #storage-count { color: $text-muted; padding: 0 1; height: 1; }
    """
    BINDINGS = [Binding("ctrl+t", "cycle_view", N_("Held/overdue/all"))]
    OFFERS = frozenset({"new_deposit", "collect", "lost_ticket", "reprint"})

    def __init__(self) -> None:
        super().__init__(id="storage-list")
        self._loaded = 0
        self._total = 0

    def compose(self) -> ComposeResult:
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
                          value=self.state.view),
                field="view",
            )
        yield DataTable(id="storage-items", cursor_type="row", zebra_stripes=True)
        yield Static("", id="storage-count")

    @staticmethod
    def columns() -> list[tuple[str, int | None]]:
        return [
            (_("Ticket"), None), (_("Deposited"), None), (_("Held for"), None),
            (_("Depositor"), DEPOSITOR_CELLS), (_("Unit"), None), (_("Phone"), None),
            (_("Item"), ITEM_CELLS), (_("Pcs"), None), (_("Shelf"), None), (_("Status"), None),
        ]

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#storage-items", DataTable)

    def show(self) -> None:
        self.reload()
        self.query_one("#storage-code", Input).focus()

    def action_cycle_view(self) -> None:
        self.query_one("#storage-view", ChoiceBar).action_move(1)

    @on(ChoiceBar.Changed, "#storage-view")
    def _view_changed(self, event: ChoiceBar.Changed) -> None:
        self.state.view = event.value
        self.reload()

    def reload(self) -> None:
        table = self.table
        if not table.columns:
            for label, width in self.columns():
                table.add_column(label, width=width)
        table.clear()
        self._loaded = 0
        self._load_more()

    def _page(self, session: Session, offset: int) -> lists.Page[lists.ItemRow]:
        desk = self.storage.desk_app.desk
        now = desk.clock.now()
        if self.state.view == "all":
            return storage.history(session, acting=Acting(desk.site_id), now=now,
                                   settings=desk.settings, limit=PAGE, offset=offset)
        return storage.held(session, acting=Acting(desk.site_id), now=now, settings=desk.settings,
                            overdue_only=self.state.view == "overdue", limit=PAGE,
                            offset=offset)

    def _load_more(self) -> None:
        desk = self.storage.desk_app.desk
        now = desk.clock.now()

        def page_and_overdue(session: Session) -> tuple[lists.Page[lists.ItemRow], int]:
            return self._page(session, self._loaded), storage.overdue_count(
                session, acting=Acting(desk.site_id), now=now, settings=desk.settings)

        found = self.read(page_and_overdue)
        if found is None:
            return
        page, overdue = found
        zone, colours = self.storage.desk_app.zone, self.colours()
        for row in page.rows:
            self.table.add_row(*row_cells(row, now=now, zone=zone, colours=colours),
                               key=str(row.id))
        self._loaded += len(page.rows)
        self._total = page.total
        self._show_count(overdue)

    def _show_count(self, overdue: int) -> None:
        settings = self.storage.desk_app.desk.settings
        text = Text(_("{shown} of {total} shown").format(shown=self._loaded, total=self._total))
        if self._loaded < self._total:
            text.append("  " + _("(more load as you move down)"))
        if overdue:
            text.append("   ")
            text.append("⚠ " + _("{count} overdue (held over {days} days)").format(
                count=overdue, days=settings.storage_overdue_days),
                style=f"bold {self.colours().error}")
        self.query_one("#storage-count", Static).update(text)

    @on(DataTable.RowHighlighted, "#storage-items")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= event.data_table.row_count - 1 and self._loaded < self._total:
            self._load_more()

    @on(DataTable.RowSelected, "#storage-items")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self.storage.open_item(int(event.row_key.value or 0), "item")

    def current_id(self) -> int | None:
        table = self.table
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key else None

    @on(Input.Submitted, "#storage-code")
    def _code_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value.strip():
            self.storage.open_by_code(event.value)

    def refuse_code(self, text: str, message: str) -> None:
        """A code that opens nothing: it stays in the field with the reason beside it."""
        field = self.query_one("#storage-code", Input)
        with field.prevent(Input.Changed):
            field.value = text.strip()
        self.app.bell()
        self.query_one("#field-code", FormField).show_error(message)
        field.focus()

    def accept_code(self) -> None:
        self.query_one("#field-code", FormField).clear_error()
        field = self.query_one("#storage-code", Input)
        with field.prevent(Input.Changed):
            field.value = ""


class DepositPane(Vertical, StoragePane):
    """The storage form, and its save."""

    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save")),
        Binding("ctrl+g", "supervisor", N_("Supervisor signs")),
    ]
    OFFERS = frozenset({"back"})
    DEFAULT_CSS = "DepositPane { height: 1fr; }"

    def __init__(self) -> None:
        super().__init__(id="storage-deposit-pane")

    def compose(self) -> ComposeResult:
        yield DepositForm(id="storage-deposit")

    @property
    def form(self) -> DepositForm:
        return self.query_one(DepositForm)

    def show(self) -> None:
        self.query_one("#deposit-kind", ChoiceBar).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "supervisor":
            return storage.needs_exception(self.form.category)
        return True

    def has_text(self) -> bool:
        return self.form.has_text()

    def discard(self) -> None:
        clear_errors(self.form)
        self.form.clear()
        self.state.exception_by = None

    def restore(self) -> None:
        """After a recompose: what only the state remembers."""
        self.form.show_exception(storage.needs_exception(self.form.category))
        self.form.show_supervisor(self.state.exception_by)

    def action_supervisor(self) -> None:
        category = storage.category_label(self.form.category)
        why = _("{category}: a supervisor notes an exception to take it.").format(
            category=category.capitalize())
        self.app.push_screen(_supervisor_modal(why), self._exception_signed)

    @on(Button.Pressed, "#deposit-supervisor")
    def _supervisor_button(self) -> None:
        self.action_supervisor()

    def _exception_signed(self, supervisor: Operator | None) -> None:
        if supervisor is None:
            return
        self.state.exception_by = supervisor
        self.form.show_supervisor(supervisor)
        self.query_one("#deposit-exception-note", Input).focus()

    @on(ChoiceBar.Changed, "#deposit-category")
    def _category_changed(self, event: ChoiceBar.Changed) -> None:
        self.form.show_exception(storage.needs_exception(event.value))
        self.storage.refresh_bindings()

    @on(ChoiceBar.Changed, "#deposit-kind")
    def _kind_changed(self, event: ChoiceBar.Changed) -> None:
        self.query_one("#field-unit", FormField).clear_error()

    @on(Input.Submitted, "#storage-deposit Input")
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()

    @on(ChoiceBar.Submitted, "#storage-deposit ChoiceBar")
    def _choice_next(self, event: ChoiceBar.Submitted) -> None:
        event.stop()
        self.screen.focus_next()

    @on(UnitPicker.Picked, "#deposit-unit")
    def _unit_picked(self, event: UnitPicker.Picked) -> None:
        """A picked person fills name and phone; a unit of one person does the same."""
        self.query_one("#field-unit", FormField).clear_error()
        desk = self.storage.desk_app.desk
        depositor = self.read(lambda session: storage.depositor_from_pick(
            session, acting=Acting(desk.site_id), unit_id=event.unit.unit_id,
            resident_id=event.unit.resident_id))
        if depositor is None:
            return
        hint = ""
        if depositor.others:
            hint = _("People here: {names}. Type a name to pick one.").format(
                names="、".join(depositor.others))
        self.form.show_people(hint)
        if depositor.name:
            for selector, value in (("#deposit-name", depositor.name),
                                    ("#deposit-phone", depositor.phone)):
                field = self.query_one(selector, Input)
                if depositor.overwrite or not field.value.strip():
                    field.value = value
        self.query_one("#deposit-kind", ChoiceBar).select(DepositorKind.RESIDENT.value)
        self.screen.focus_next()

    @on(UnitPicker.Cleared, "#deposit-unit")
    def _unit_cleared(self) -> None:
        self.screen.focus_next()

    @on(UnitPicker.NotFound, "#deposit-unit")
    def _unit_not_found(self, event: UnitPicker.NotFound) -> None:
        self.query_one("#field-unit", FormField).show_error(
            _("No unit matches {text}: type a room like 3-2-1201, a name or phone digits.")
            .format(text=event.text))

    def action_save(self) -> None:
        form = self.form
        clear_errors(form)
        app = self.storage.desk_app
        desk, operator = app.desk, app.operator
        special = storage.needs_exception(form.category)
        exception_by = self.state.exception_by if special else None
        exception_note = form.exception_note() if special else ""
        try:
            storage_form = form.read()
        except DeskError as error:
            show_error(form, error)
            return

        def save() -> CustodyItem:
            with transaction(desk.engine) as session:
                return storage.deposit(
                    session, acting=Acting(desk.site_id, operator), form=storage_form,
                    now=desk.clock.now(),
                    exception_by=exception_by, exception_note=exception_note,
                )

        self.storage.run_db(save, self._saved, failed=self._refused, name="save")

    def _refused(self, error: DeskError) -> None:
        self.app.bell()
        show_error(self.form, error)

    def _saved(self, item: CustodyItem) -> None:
        self.form.clear()
        self.state.exception_by = None
        assert item.id is not None
        self.notify(_("Saved: ticket {code}.").format(code=item.code))
        self.storage.print_ticket(item.id)


class ItemPane(Horizontal, StoragePane):
    """One item: its record, and the collector's form when it is handed over.

    ``kind``: ``item`` (the record alone), ``collect`` (the ticket was shown) or
    ``lost-item`` (no ticket: a supervisor approves the release).
    """

    DEFAULT_CSS = """
    ItemPane { height: 1fr; }
    #storage-record { width: 1fr; border: round $primary; padding: 0 1; }
    #storage-item-message { color: $error; height: auto; }
    #storage-item-hint { color: $text-muted; height: auto; margin-top: 1; }
    #storage-collector { width: 1fr; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save")),
        Binding("ctrl+g", "supervisor", N_("Supervisor signs")),
    ]

    def __init__(self) -> None:
        super().__init__(id="storage-item")

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="storage-record"):
            yield Static("", id="storage-record-body")
            yield Static("", id="storage-item-message")
            yield Static("", id="storage-item-hint")
        yield CollectorForm(id="storage-collector")

    @property
    def collector(self) -> CollectorForm:
        return self.query_one(CollectorForm)

    @property
    def kind(self) -> str:
        return self.state.mode

    def offers(self, action: str) -> bool:
        if self.kind == "item":
            return action in ("new_deposit", "collect", "lost_ticket", "reprint", "back")
        if self.kind == "collect":
            return action in ("reprint", "back")
        return action == "back"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save":
            return self.kind in ("collect", "lost-item")
        if action == "supervisor":
            return self.kind == "lost-item"
        return True

    def show(self) -> None:
        self.collector.display = self.kind in ("collect", "lost-item")
        self.collector.set_lost(self.kind == "lost-item")
        hint = _("To hand it over: / and the ticket code. Ticket lost: ctrl+f.")
        self.query_one("#storage-item-hint", Static).update(hint if self.kind == "item" else "")
        self.show_record()
        if self.kind in ("collect", "lost-item"):
            # From the top, so the section's title and the name's label show at 80x24 too.
            self.collector.scroll_home(animate=False)
            self.query_one("#collect-name", Input).focus(scroll_visible=False)
        else:
            self.query_one("#storage-record").focus()

    def show_record(self) -> None:
        item_id = self.state.item_id
        if item_id is None:
            return
        desk = self.storage.desk_app.desk
        now = desk.clock.now()
        try:  # an item not found, or the database in trouble: the record says so
            with reading(desk.engine) as session:
                shown = storage.record(session, acting=Acting(desk.site_id), item_id=item_id,
                                       now=now, settings=desk.settings)
            text = record_text(shown, now=now, zone=self.storage.desk_app.zone,
                               colours=self.colours())
        except DeskError as error:
            text = Text(error.message)
        self.query_one("#storage-record-body", Static).update(text)

    def has_text(self) -> bool:
        return self.collector.has_text()

    def clear(self) -> None:
        clear_errors(self.collector)
        self.collector.clear()
        self.state.lost_supervisor = None
        self.clear_message()

    def clear_message(self) -> None:
        self.query_one("#storage-item-message", Static).update("")

    def restore(self) -> None:
        self.collector.show_supervisor(self.state.lost_supervisor)

    def action_supervisor(self) -> None:
        why = _("No ticket: a supervisor approves the release.")
        self.app.push_screen(_supervisor_modal(why), self._lost_signed)

    @on(Button.Pressed, "#collect-supervisor")
    def _supervisor_button(self) -> None:
        self.action_supervisor()

    def _lost_signed(self, supervisor: Operator | None) -> None:
        if supervisor is None:
            return
        self.state.lost_supervisor = supervisor
        self.collector.show_supervisor(supervisor)
        self.query_one("#collect-note", Input).focus()

    @on(Input.Submitted, "#storage-collector Input")
    def _next_field(self, event: Input.Submitted) -> None:
        event.stop()
        self.screen.focus_next()

    @on(ChoiceBar.Submitted, "#storage-collector ChoiceBar")
    def _choice_next(self, event: ChoiceBar.Submitted) -> None:
        event.stop()
        self.screen.focus_next()

    def action_save(self) -> None:
        clear_errors(self.collector)
        message = self.query_one("#storage-item-message", Static)
        message.update("")
        app = self.storage.desk_app
        desk, operator, state = app.desk, app.operator, self.state
        collector = self.collector.read()
        if self.kind == "collect":
            code = state.collect_code

            def save() -> CustodyItem:
                with transaction(desk.engine) as session:
                    return storage.collect(
                        session, acting=Acting(desk.site_id, operator), code=code,
                        collector=collector,
                        now=desk.clock.now(), settings=desk.settings,
                    )
        elif self.kind == "lost-item":
            item_id, supervisor, note = state.item_id, state.lost_supervisor, self.collector.note()
            assert item_id is not None

            def save() -> CustodyItem:
                with transaction(desk.engine) as session:
                    return storage.release_without_ticket(
                        session, acting=Acting(desk.site_id, operator), item_id=item_id,
                        collector=collector,
                        supervisor=supervisor, note=note, now=desk.clock.now(),
                        settings=desk.settings,
                    )
        else:
            return
        self.storage.run_db(save, self._handed_over, failed=self._refused, name="save")

    def _refused(self, error: DeskError) -> None:
        message = self.query_one("#storage-item-message", Static)
        self.app.bell()
        show_error(self.collector, error, fallback=message)

    def _handed_over(self, item: CustodyItem) -> None:
        self.notify(_("{code} handed over to {name}.").format(code=item.code,
                                                               name=item.released_to))
        self.clear()
        self.storage.to_list()


class LostPane(Vertical, StoragePane):
    """A lost ticket: the item found by who left it; Enter opens it for release."""

    DEFAULT_CSS = """
    LostPane { padding: 0 1; }
    #storage-lost-hits { height: 1fr; }
    #storage-lost-hint { color: $text-muted; height: 1; }
    """
    OFFERS = frozenset({"back"})

    def __init__(self) -> None:
        super().__init__(id="storage-lost")

    def compose(self) -> ComposeResult:
        yield FormField(
            _("Lost ticket: the depositor's name, phone digits or ID number"),
            TextInput(id="storage-lost-query", max_length=64, compact=True),
            field="query",
        )
        yield DataTable(id="storage-lost-hits", cursor_type="row", zebra_stripes=True)
        yield Static(_("Enter on a line: release it with a supervisor's note."),
                     id="storage-lost-hint")

    @staticmethod
    def columns() -> list[tuple[str, int | None]]:
        return [
            (_("Ticket"), None), (_("Deposited"), None), (_("Held for"), None),
            (_("Depositor"), DEPOSITOR_CELLS), (_("Unit"), None), (_("Phone"), None),
            (_("Item"), 30), (_("Shelf"), None),
        ]

    def show(self) -> None:
        query = self.query_one("#storage-lost-query", Input)
        query.focus()
        self.search(query.value)

    @on(Input.Changed, "#storage-lost-query")
    def _typed(self, event: Input.Changed) -> None:
        self.search(event.value)

    @on(Input.Submitted, "#storage-lost-query")
    def _to_hits(self, event: Input.Submitted) -> None:
        event.stop()
        table = self.query_one("#storage-lost-hits", DataTable)
        if table.row_count:
            table.focus()
            table.move_cursor(row=0)

    def search(self, query: str) -> None:
        desk = self.storage.desk_app.desk
        now, zone, colours = desk.clock.now(), self.storage.desk_app.zone, self.colours()
        table = self.query_one("#storage-lost-hits", DataTable)
        if not table.columns:
            for label, width in self.columns():
                table.add_column(label, width=width)
        rows = self.read(lambda session: storage.find_lost_ticket(
            session, acting=Acting(desk.site_id), query=query, now=now, settings=desk.settings,
            limit=LOST_HITS))
        if rows is None:
            return
        table.clear()
        for row in rows:
            cells = row_cells(row, now=now, zone=zone, colours=colours)
            table.add_row(*cells[:7], cells[8], key=str(row.id))

    @on(DataTable.RowSelected, "#storage-lost-hits")
    def _chosen(self, event: DataTable.RowSelected) -> None:
        self.storage.open_item(int(event.row_key.value or 0), "lost-item")


class TicketPane(Vertical, StoragePane):
    """The ticket just printed (or reprinted): its code large, its files, its text."""

    DEFAULT_CSS = """
    TicketPane { padding: 0 1; }
    #storage-ticket-code {
        height: auto; border: double $success; padding: 1 2; text-style: bold;
        content-align: center middle; color: $success;
    }
    #storage-ticket-files { color: $text-muted; height: auto; }
    #storage-ticket-scroll { height: 1fr; }
    #storage-ticket-text {
        width: auto; border: round $panel-lighten-2; padding: 0 1; text-wrap: nowrap;
    }
    """
    OFFERS = frozenset({"new_deposit", "collect", "lost_ticket", "reprint", "back"})

    def __init__(self) -> None:
        super().__init__(id="storage-ticket")

    def compose(self) -> ComposeResult:
        yield Static("", id="storage-ticket-code")
        yield Static("", id="storage-ticket-files")
        with VerticalScroll(id="storage-ticket-scroll"):
            yield Static("", id="storage-ticket-text")

    def show(self) -> None:
        ticket = self.state.ticket
        if ticket is not None:
            big = Text(_("Ticket {code}").format(code=ticket.code), style="bold")
            big.append("\n" + _("Give this code to the depositor; it is printed on the ticket."),
                       style="not bold")
            self.query_one("#storage-ticket-code", Static).update(big)
            self.query_one("#storage-ticket-files", Static).update(Text(ticket.files))
            self.query_one("#storage-ticket-text", Static).update(Text(ticket.text))
        self.query_one("#storage-ticket-scroll").focus()
