"""What the three ledger desks (lost and found, keys, parcels) share: a modal form
that saves with ctrl+s and backs out with esc, a staff member confirming with
their own PIN, a list that loads a page at a time, and how a time is typed.

Forms are modal screens: a language switch recomposes the ledgers screen under
them without touching what the operator typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual._context import active_app
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Input, Static, TextArea
from textual.widgets.data_table import RowDoesNotExist

from deskapp.db import transaction
from deskapp.errors import DeskError, InvalidInput
from deskapp.i18n import N_, _
from deskapp.models import Operator
from deskapp.screens.base import DatabaseWork
from deskapp.services.custody.lists import Page
from deskapp.widgets.confirm import ConfirmModal
from deskapp.widgets.footer import DeskFooter
from deskapp.widgets.form import ChoiceBar, TextInput, clear_errors, show_error

if TYPE_CHECKING:
    from sqlmodel import Session

    from deskapp.app import DeskApp
    from deskapp.desk import Desk

YES, NO = "yes", "no"
PAGE = 100

Write = Callable[["Session"], Any]
"""A form read into one service call, given the transaction's session."""


def text_input(id: str, *, placeholder: str = "", max_length: int = 0,
               kind: str = "text") -> Input:
    return TextInput(id=id, placeholder=placeholder, max_length=max_length, compact=True,
                     type=kind)


def yes_no(id: str, yes_label: str, no_label: str) -> ChoiceBar:
    """A yes/no answer by one key (y / n): not a text field, so letters are safe."""
    return ChoiceBar([(NO, no_label), (YES, yes_label)], keys=["n", "y"], value=NO, id=id)


_FALLBACK_TONES = {"error": "red", "warning": "yellow", "success": "green"}


def tone(name: str, *, bold: bool = False) -> str:
    """A theme colour as a Rich style for table cells (CSS variables do not reach Rich text)."""
    try:
        colour = active_app.get().theme_variables.get(name, _FALLBACK_TONES[name])
    except LookupError:
        colour = _FALLBACK_TONES[name]
    return f"bold {colour}" if bold else colour


def flagged(text: str) -> Text:
    """An alert never in colour alone: the ⚠ says it too."""
    return Text("⚠ " + text, style=tone("error", bold=True))


def done(text: str) -> Text:
    return Text("✓ " + text, style=tone("success"))


def code_cell(code: str, *, overdue: bool) -> Text:
    return Text(code, style=tone("error", bold=True) if overdue else "bold")


class FormBody(VerticalScroll, can_focus=False):
    """Scrolls with the cursor; never takes the cursor itself (Enter goes field to field)."""


class LedgerForm(DatabaseWork[Any], ModalScreen[Any]):
    """A form over the ledgers screen: enter moves on, ctrl+s saves, esc backs out.

    Subclasses give ``compose_fields`` and ``write`` (the form read into one
    service call, made in a thread); ``prepare`` may ask for PINs first. A refusal shows
    beside the field the service named and keeps everything typed.
    """

    DEFAULT_CSS = """
    LedgerForm { align: center middle; }
    LedgerForm > #form-box {
        width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1;
    }
    LedgerForm #form-title { text-style: bold; height: auto; }
    LedgerForm #form-about { color: $text-muted; height: auto; }
    LedgerForm #form-body { height: auto; max-height: 30; }
    LedgerForm #form-message { color: $error; height: auto; }
    LedgerForm #form-keys { color: $text-muted; height: 1; }
    LedgerForm UnitPicker Input { border: none; height: 1; padding: 0 1; }
    LedgerForm .field-label { margin-top: 0; }
    LedgerForm TextArea { height: 3; }
    """

    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save")),
        Binding("escape", "back", N_("Back")),
    ]

    TITLE_TEXT = ""

    def __init__(self, about: str = "") -> None:
        super().__init__()
        self.about = about
        self._initial: dict[int, str] = {}

    @property
    def desk(self) -> Desk:
        return self.desk_app.desk

    def compose(self) -> ComposeResult:
        with Vertical(id="form-box"):
            yield Static(_(self.TITLE_TEXT), id="form-title")
            if self.about:
                yield Static(self.about, id="form-about")
            with FormBody(id="form-body"):
                yield from self.compose_fields()
            yield Static("", id="form-message")
            yield Static(_("Enter: next field · ctrl+s: save · Esc: back"), id="form-keys")
        yield DeskFooter()

    def compose_fields(self) -> ComposeResult:
        yield from ()

    def on_mount(self) -> None:
        self._initial = {id(field): field.value for field in self.query(Input)}
        first = next((w for w in self.query("#form-body *") if w.focusable), None)
        if first is not None:
            first.focus()

    # --- reading the form -----------------------------------------------------------------

    def value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def choice(self, selector: str) -> str:
        return self.query_one(selector, ChoiceBar).value

    def said_yes(self, selector: str) -> bool:
        return self.choice(selector) == YES

    def number(self, selector: str, *, field: str) -> int:
        text = self.value(selector).strip() or "1"
        try:
            return int(text)
        except ValueError:
            raise InvalidInput(_("Type a whole number."), field=field) from None

    def typed_anything(self) -> bool:
        changed = any(
            field.value.strip() != self._initial.get(id(field), "").strip()
            for field in self.query(Input)
        )
        return changed or any(area.text.strip() for area in self.query(TextArea))

    # --- keys -------------------------------------------------------------------------------

    @on(Input.Submitted)
    @on(ChoiceBar.Submitted)
    def _next_field(self, event: Input.Submitted | ChoiceBar.Submitted) -> None:
        event.stop()
        self.focus_next()

    def action_back(self) -> None:
        if not self.typed_anything():
            self.dismiss(None)
            return

        def answered(leave: bool | None) -> None:
            if leave:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmModal(_("Leave this form? What you typed will be lost.")), answered
        )

    def action_save(self) -> None:
        self._save_flow()

    @work(exclusive=True, group="ledger-form")
    async def _save_flow(self) -> None:
        if not await self.prepare():
            return
        self.submit()

    async def prepare(self) -> bool:
        """Ask for what must come before the write (a PIN); False stops the save."""
        return True

    def submit(self) -> None:
        """Read the form here, write it in a thread: the desk keeps drawing while the
        database waits, and a refusal or a locked database keeps every character."""
        clear_errors(self)
        self.query_one("#form-message", Static).update("")
        desk = self.desk
        try:
            write = self.write(desk=desk, now=desk.clock.now(), actor=self.desk_app.operator)
        except DeskError as error:
            self._refused(error)
            return

        def save() -> Any:
            with transaction(desk.engine) as session:
                return write(session)

        self.run_db(save, self.dismiss, failed=self._refused, name="save")

    def _refused(self, error: DeskError) -> None:
        self.app.bell()
        self.refused(error)
        show_error(self, error, fallback=self.query_one("#form-message", Static))

    def refused(self, error: DeskError) -> None:
        """A hook: forget what the refusal made stale (a witness who is not valid)."""

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        """Read the form (a typing mistake is refused here) and give the one service
        call to make in the transaction; it runs in a thread, so it reads no widget."""
        raise NotImplementedError


@dataclass
class Paging:
    """Where a list stands: what is loaded and how many there are."""

    loaded: int = 0
    total: int = 0


class PagedTable(DataTable[Any]):
    """A list that loads a page at a time: reaching its last row fetches the next page."""

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.paging = Paging()
        self.fetch: Callable[[int, int], Page[Any]] | None = None
        self.cells: Callable[[Any], Sequence[Any]] = lambda row: []
        self.rows_by_id: dict[int, Any] = {}

    def reload(self) -> None:
        """Load the first page again, keeping the cursor on the same record if it is there."""
        keep = self.current_id()
        self.clear()
        self.paging = Paging()
        self.rows_by_id = {}
        self.load_more()
        if keep is not None:
            self.select_id(keep)

    def load_more(self) -> None:
        if self.fetch is None:
            return
        page = self.fetch(self.paging.loaded, PAGE)
        for row in page.rows:
            if row.id in self.rows_by_id:
                continue
            self.rows_by_id[row.id] = row
            self.add_row(*self.cells(row), key=str(row.id))
        self.paging = Paging(loaded=self.paging.loaded + len(page.rows), total=page.total)

    def current_id(self) -> int | None:
        if not self.row_count:
            return None
        key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key.value
        return int(key) if key else None

    def current_row(self) -> Any:
        current = self.current_id()
        return self.rows_by_id.get(current) if current is not None else None

    def select_id(self, record_id: int) -> bool:
        try:
            index = self.get_row_index(str(record_id))
        except RowDoesNotExist:  # not on the pages loaded so far
            return False
        self.move_cursor(row=index)
        return True

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row >= self.row_count - 1 and self.paging.loaded < self.paging.total:
            self.load_more()


class LedgerDesk(Vertical):
    """One desk of the ledgers screen: a one-key choice of views, the list, the record.

    ``state`` belongs to the screen and outlives a recompose (language switch):
    the view chosen and the record under the cursor come back.
    """

    DEFAULT_CSS = """
    LedgerDesk { height: 1fr; }
    LedgerDesk > ChoiceBar { height: auto; }
    LedgerDesk > .desk-body { height: 1fr; }
    LedgerDesk PagedTable { width: 1fr; height: 1fr; }
    LedgerDesk .desk-record { width: 32; height: 1fr;
                              border-left: solid $panel; padding: 0 1; }
    LedgerDesk .desk-status { height: 1; color: $text-muted; }
    """

    VIEWS: Sequence[tuple[str, str]] = ()
    """(value, ``N_`` label) of each view; keys 1, 2, 3…"""

    def __init__(self, state: dict[str, Any], *, id: str) -> None:
        super().__init__(id=id)
        self.state = state

    @property
    def desk_app(self) -> DeskApp:
        return self.app  # type: ignore[return-value]

    @property
    def view(self) -> str:
        return str(self.state.get("view") or self.VIEWS[0][0])

    def compose(self) -> ComposeResult:
        from textual.containers import Horizontal

        yield ChoiceBar([(value, _(label)) for value, label in self.VIEWS],
                        value=self.view, id=f"{self.id}-views")
        with Horizontal(classes="desk-body"):
            yield PagedTable(id=f"{self.id}-table")
            with VerticalScroll(classes="desk-record"):
                yield Static("", id=f"{self.id}-record")
        yield Static("", id=f"{self.id}-status", classes="desk-status")

    @property
    def table(self) -> PagedTable:
        return self.query_one(PagedTable)

    def on_mount(self) -> None:
        self.table.fetch = self._fetch
        self.table.cells = self.cells

    def _fetch(self, offset: int, limit: int) -> Page[Any]:
        desk = self.desk_app.desk
        page = self.desk_app.read(lambda session: self.fetch(
            session, desk=desk, now=desk.clock.now(), offset=offset, limit=limit))
        # Not read (the line says why): the list keeps what it shows.
        return page if page is not None else Page(rows=[], total=self.table.paging.total,
                                                  offset=offset, limit=limit)

    def refresh_list(self) -> None:
        table = self.table
        table.clear(columns=True)
        table.add_columns(*self.columns())
        table.reload()
        if self.state.get("record") is not None:
            table.select_id(int(self.state["record"]))
        self.show_record(table.current_id())
        self.show_status()

    def show_status(self) -> None:
        paging = self.table.paging
        self.query_one(f"#{self.id}-status", Static).update(
            _("{shown} of {total} shown").format(shown=paging.loaded, total=paging.total)
        )

    def choose_view(self, view: str) -> None:
        self.state["view"] = view
        bar = self.query_one(ChoiceBar)
        if bar.value != view:
            with bar.prevent(ChoiceBar.Changed):
                bar.value = view
        self.refresh_list()
        self.refresh_bindings()

    @on(ChoiceBar.Changed)
    def _view_changed(self, event: ChoiceBar.Changed) -> None:
        event.stop()
        self.choose_view(event.value)

    @on(ChoiceBar.Submitted)
    def _to_list(self, event: ChoiceBar.Submitted) -> None:
        event.stop()
        self.table.focus()

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        record_id = self.table.current_id()
        self.state["record"] = record_id
        self.show_record(record_id)
        self.show_status()
        self.refresh_bindings()

    @on(DataTable.RowSelected)
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        record_id = self.table.current_id()
        if record_id is not None:
            self.next_step(record_id)

    def show_record(self, record_id: int | None) -> None:
        record = self.query_one(f"#{self.id}-record", Static)
        if record_id is None:
            record.update(_("Nothing here."))
            return
        from deskapp.db import reading

        desk = self.desk_app.desk
        try:
            with reading(desk.engine) as session:
                record.update(self.record_text(session, desk=desk, now=desk.clock.now(),
                                               record_id=record_id))
        except DeskError as error:
            record.update(Text(error.message))

    def after_form(self, result: Any) -> None:
        """A form closed: show its record and what changed (None: backed out)."""
        self.table.focus()
        if result is None:
            return
        record_id = getattr(result, "key_id", None) or getattr(result, "id", None)
        if record_id is not None:
            self.state["record"] = record_id
        self.refresh_list()

    def open_record(self, record_id: int) -> None:
        """A scanned code: show the record in the view it belongs to, ready for its next step."""
        self.state["record"] = record_id
        view = self.view_of(record_id)
        if view != self.view:
            self.choose_view(view)
        else:
            self.refresh_list()
        self.table.focus()
        self.show_record(record_id)
        self.next_step(record_id)

    # --- what each desk gives -------------------------------------------------------------

    def columns(self) -> list[str]:
        raise NotImplementedError

    def fetch(self, session: Session, *, desk: Desk, now: datetime, offset: int,
              limit: int) -> Page[Any]:
        raise NotImplementedError

    def cells(self, row: Any) -> Sequence[Any]:
        raise NotImplementedError

    def record_text(self, session: Session, *, desk: Desk, now: datetime,
                    record_id: int) -> Text:
        raise NotImplementedError

    def view_of(self, record_id: int) -> str:
        return self.view

    def next_step(self, record_id: int) -> None:
        """Enter on a row (or a scan): the form for what comes next, if anything does."""


def lines(pairs: Sequence[tuple[str, str]]) -> Text:
    out = Text()
    for label, value in pairs:
        out.append(f"{label}: ", style="dim")
        out.append(f"{value}\n")
    return out
