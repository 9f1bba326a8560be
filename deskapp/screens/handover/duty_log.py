"""The duty log (F10, 值班记录): what happened during a shift, written as it happens.

One shift at a time, oldest entry first: the current shift when the screen opens,
``[`` and ``]`` step to the shift before and after. ctrl+n writes an entry (a modal
form, as the ledgers' forms are; an entry always goes into the shift running now).
``/`` searches every shift, newest first; Enter on a hit shows it in its shift and
Esc leaves the search. The list cuts a long text to the width; the entry under the
cursor is shown whole below it. A long shift is read a page at a time: its latest
entries first, the page before when the cursor reaches the first row loaded (and the
page after, below a search hit's page, at the last).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, Static, TextArea
from textual.widgets.data_table import RowDoesNotExist

from deskapp.errors import AuthError
from deskapp.formatting import format_when
from deskapp.i18n import N_, _
from deskapp.models import Operator
from deskapp.screens.base import DeskScreen
from deskapp.screens.custody.ledger_forms import PAGE, LedgerForm, Write, text_input, tone
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.handover import dutylog, shifts
from deskapp.services.handover.dutylog import MAX_TEXT, DutyLine, ShiftLog
from deskapp.services.workcalendar import WorkCalendar
from deskapp.widgets.form import ChoiceBar, FormField, TextBox, TextInput
from deskapp.widgets.unit_picker import UnitPicker

if TYPE_CHECKING:
    from sqlmodel import Session

    from deskapp.desk import Desk

ROUTINE, ANOMALY = "routine", "anomaly"
SEARCH_LIMIT = 100
COLUMNS = (N_("When"), N_("Kind"), N_("Who"), N_("Unit"), N_("Record"), N_("What happened"))
#: A text cell is never narrower than this, however narrow the terminal.
MIN_TEXT_WIDTH = 12


@dataclass(frozen=True)
class ShiftShown:
    """One shift as the log shows it: its times, who worked it, a page of its entries."""

    starts_at: datetime
    ends_at: datetime
    current: bool
    worked: bool
    operators: list[str] = field(default_factory=list)
    log: ShiftLog = field(default_factory=lambda: ShiftLog(rows=[], total=0, offset=0,
                                                           limit=PAGE))
    shift_id: int | None = None


def read_shift(session: Session, *, desk: Desk, now: datetime,
               starts_at: datetime | None, around: int | None = None) -> ShiftShown:
    """The shift that starts at ``starts_at`` (``None``: the one running now), with a
    page of its log: the one with the entry ``around`` in it, or the latest entries.

    A shift nobody has worked yet has no row; it is shown empty, and reading it
    writes nothing (the first entry or sign-in writes it).
    """
    calendar = WorkCalendar.from_settings(desk.settings)
    running = shifts.times_at(calendar, now)
    times = running if starts_at is None else shifts.times_at(calendar, starts_at)
    current = times.starts_at == running.starts_at
    shift = shifts.shift_starting(session, acting=Acting(desk.site_id), starts_at=times.starts_at)
    if shift is None or shift.id is None:
        return ShiftShown(times.starts_at, times.ends_at, current, worked=False)
    return ShiftShown(
        as_utc(shift.starts_at), as_utc(shift.ends_at), current, worked=True,
        operators=[operator.display_name for operator in shifts.operators_of(session, shift.id)],
        log=dutylog.shift_log(session, acting=Acting(desk.site_id), shift_id=shift.id, limit=PAGE,
                              newest=True, around=around),
        shift_id=shift.id,
    )


def one_line(text: str) -> str:
    """A multi-line entry on one table row; the pane below shows its lines."""
    return " ↵ ".join(part.strip() for part in text.splitlines() if part.strip())


def kind_cell(line: DutyLine) -> Text:
    if line.anomaly:  # never colour alone: the ⚠ and the word say it too
        return Text("⚠ " + _("anomaly"), style=tone("error", bold=True))
    return Text(_("routine"), style="dim")


class DutyEntryForm(LedgerForm):
    """A new entry: the text, anomaly or routine, and the unit and record it is about."""

    TITLE_TEXT = N_("New duty log entry")
    DEFAULT_CSS = """
    DutyEntryForm #duty-text { height: 5; }
    DutyEntryForm > #form-box > #form-body { max-height: 60vh; }
    """

    def __init__(self) -> None:
        super().__init__(_("Enter starts a new line in the text; Tab goes to the next field. "
                           "An entry is never changed afterwards: a correction is a new entry."))

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("What happened (at most {count} characters)").format(count=MAX_TEXT),
                        TextBox(id="duty-text", soft_wrap=True, tab_behavior="focus"),
                        field="text")
        yield FormField(_("Anomaly or routine (one key)"),
                        ChoiceBar([(ROUTINE, _("routine")), (ANOMALY, _("anomaly"))],
                                  keys=["r", "a"], value=ROUTINE, id="duty-kind"),
                        field="anomaly")
        yield FormField(_("Unit (optional)"), UnitPicker(id="duty-unit"), field="unit")
        yield FormField(_("Record (optional)"),
                        text_input("duty-record", max_length=32,
                                   placeholder=_("a request number (261202-0001) or a ticket, "
                                                 "parcel or key code")),
                        field="record")

    def on_mount(self) -> None:
        self.query_one(UnitPicker).input.compact = True
        super().on_mount()

    @on(UnitPicker.Picked)
    @on(UnitPicker.Cleared)
    def _unit_done(self, event: UnitPicker.Picked | UnitPicker.Cleared) -> None:
        event.stop()
        self.query_one("#field-unit", FormField).clear_error()
        self.focus_next()

    @on(UnitPicker.NotFound)
    def _no_such_unit(self, event: UnitPicker.NotFound) -> None:
        event.stop()
        self.query_one("#field-unit", FormField).show_error(
            _("No unit matches {text}: type a room like 3-2-1201, a name or phone digits.")
            .format(text=event.text))

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        if actor is None:
            raise AuthError(_("Sign in first."))
        text = self.query_one("#duty-text", TextArea).text
        anomaly = self.choice("#duty-kind") == ANOMALY
        picker = self.query_one(UnitPicker)
        unit = picker.picked.unit_code if picker.picked is not None else picker.value
        record = self.value("#duty-record")
        return lambda session: dutylog.write_entry(
            session, acting=Acting(desk.site_id, actor), now=now, settings=desk.settings,
            text=text, anomaly=anomaly, unit=unit, record=record,
        )


class DutyLogScreen(DeskScreen):
    TITLE_TEXT = N_("Duty log")
    DEFAULT_CSS = """
    DutyLogScreen #duty-log { height: 1fr; }
    DutyLogScreen #duty-shift { height: auto; margin: 0 1; text-style: bold; }
    DutyLogScreen #duty-search { margin: 0 1; }
    DutyLogScreen #duty-table { height: 1fr; }
    DutyLogScreen #duty-entry { height: auto; max-height: 7; padding: 0 1;
                                border-top: solid $panel; }
    DutyLogScreen #duty-status { height: 1; margin: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("ctrl+n", "new_entry", N_("New entry")),
        Binding("slash", "focus_search", N_("Search"), key_display="/"),
        Binding("left_square_bracket", "step_shift(-1)", N_("Previous shift"), key_display="["),
        Binding("right_square_bracket", "step_shift(1)", N_("Next shift"), key_display="]"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.pinned_start: datetime | None = None
        """The start of the shift shown; ``None`` follows the shift running now."""
        self.query_text = ""
        self.shown: ShiftShown | None = None
        self.lines: list[DutyLine] = []
        """The entries loaded: a page of the shift (more as the cursor reaches either end),
        or the search's hits."""
        self.shift_page = ShiftLog(rows=[], total=0, offset=0, limit=PAGE)
        """Where ``lines`` stand in the shift: the offset of the first, how many in all."""
        self.entry_id: int | None = None
        self._form: DutyEntryForm | None = None
        self._filled_width = 0

    # --- layout -----------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Vertical(id="duty-log"):
            yield Static("", id="duty-shift")
            yield TextInput(self.query_text, id="duty-search", compact=True,
                            placeholder=_("/ search every shift: words (电梯), a unit, "
                                          "a record number"))
            yield DataTable(id="duty-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="duty-entry")
            yield Static("", id="duty-status")

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#duty-table", DataTable)

    @property
    def searching(self) -> bool:
        return bool(self.query_text.strip())

    def on_mount(self) -> None:
        self.table.focus()

    def refresh_view(self) -> None:
        if not self.query("#duty-table"):
            return
        self.reload()

    def on_resize(self, event: events.Resize) -> None:
        # The text column takes what the width leaves: cut again only when that changed.
        if self.query("#duty-table") and event.size.width != self._filled_width:
            self._fill_table()

    # --- loading ----------------------------------------------------------------------

    def reload(self) -> None:
        """Read the shift shown (or the search) again; a failed read keeps what is shown."""
        if self.searching:
            self._search()
        else:
            self._load_shift()
        self.refresh_bindings()

    def _load_shift(self) -> None:
        app = self.desk_app
        desk = app.desk
        start, around = self.pinned_start, self.entry_id
        shown = app.read(lambda session: read_shift(session, desk=desk, now=desk.clock.now(),
                                                    starts_at=start, around=around))
        if shown is None:
            return
        if shown.current:
            self.pinned_start = None
        self.shown, self.shift_page, self.lines = shown, shown.log, list(shown.log.rows)
        self.query_one("#duty-shift", Static).update(self._heading(shown))
        self._fill_table(cursor_on_last=True)
        self._say(self._shift_status())

    def _load_more(self, *, older: bool) -> None:
        """The page before the first entry loaded, or after the last, around the cursor."""
        shown, app = self.shown, self.desk_app
        if shown is None or shown.shift_id is None:
            return
        shift_id, first = shown.shift_id, self.shift_page.offset
        offset = max(0, first - PAGE) if older else first + len(self.lines)
        limit = first - offset if older else PAGE
        log = app.read(lambda session: dutylog.shift_log(
            session, acting=Acting(app.desk.site_id), shift_id=shift_id, offset=offset,
            limit=limit))
        if log is None:
            return
        loaded = {line.id for line in self.lines}
        more = [line for line in log.rows if line.id not in loaded]
        self.lines = more + self.lines if older else self.lines + more
        self.shift_page = ShiftLog(rows=[], total=log.total, anomalies=log.anomalies,
                                   offset=log.offset if older else first, limit=PAGE)
        self._fill_table()
        self._say(self._shift_status())

    def _shift_status(self) -> str:
        log = self.shift_page
        status = _("{count} in this shift, oldest first").format(count=log.total)
        if len(self.lines) < log.total:
            status += " · " + _("{shown} of {total} shown").format(shown=len(self.lines),
                                                                  total=log.total)
        if log.anomalies:
            status += " · ⚠ " + _("{count} marked as anomaly").format(count=log.anomalies)
        return status

    def _heading(self, shown: ShiftShown) -> Text:
        app = self.desk_app
        now = app.desk.clock.now()
        span = "{start}–{end}".format(start=format_when(shown.starts_at, now, app.zone),
                                      end=shown.ends_at.astimezone(app.zone).strftime("%H:%M"))
        heading = Text(_("Shift {span}").format(span=span))
        if shown.current:
            heading.append("  " + _("(now)"), style=tone("success"))
        heading.append("  ·  ")
        if shown.operators:
            heading.append(_("Worked by: {names}").format(names=_(", ").join(shown.operators)),
                           style="not bold")
        else:
            heading.append(_("Nobody has worked this shift yet.") if shown.current
                           else _("Nobody worked this shift."), style="not bold")
        return heading

    def _search(self) -> None:
        app = self.desk_app
        query = self.query_text
        found = app.read(lambda session: dutylog.search_log(
            session, acting=Acting(app.desk.site_id), query=query, limit=SEARCH_LIMIT))
        if found is None:
            return
        self.lines = found
        self.shift_page = ShiftLog(rows=[], total=len(found), offset=0, limit=SEARCH_LIMIT)
        self.query_one("#duty-shift", Static).update(
            Text(_("Every shift, newest first: “{query}”").format(query=query.strip())))
        self._fill_table(cursor_on_last=False)
        self._say(_("{count} found · Enter shows the entry in its shift · Esc leaves the search")
                  .format(count=len(found)))

    def _fill_table(self, *, cursor_on_last: bool | None = None) -> None:
        """The rows of ``self.lines``, the text cut to what the width leaves it."""
        table = self.table
        app = self.desk_app
        now = app.desk.clock.now()
        rows = [self._cells(line, now) for line in self.lines]
        headers = [_(column) for column in COLUMNS]
        fixed = [max([cell_len(headers[index])]
                     + [cell_len(str(row[index])) for row in rows])
                 for index in range(len(COLUMNS) - 1)]
        # Each column pads one cell on both sides; the scrollbar takes two more.
        available = self._filled_width = self.size.width or self.app.size.width
        text_width = max(MIN_TEXT_WIDTH, available - sum(width + 2 for width in fixed) - 4)
        keep = self.entry_id
        table.clear(columns=True)
        for header in headers:
            table.add_column(header)
        for line, row in zip(self.lines, rows, strict=True):
            text = Text(one_line(line.text))
            text.truncate(text_width, overflow="ellipsis")
            table.add_row(*row, text, key=str(line.id))
        if not self.lines:
            self._show_entry(None)
            return
        if keep is not None and self._select(keep):
            return
        if cursor_on_last is not None:
            self._select(self.lines[-1 if cursor_on_last else 0].id)

    def _cells(self, line: DutyLine, now: datetime) -> list[Any]:
        zone = self.desk_app.zone
        return [format_when(line.at, now, zone), kind_cell(line), line.operator_name,
                line.unit_code or "—", line.record_ref or "—"]

    def _select(self, entry_id: int) -> bool:
        try:
            index = self.table.get_row_index(str(entry_id))
        except RowDoesNotExist:
            return False
        self.table.move_cursor(row=index)
        self.entry_id = entry_id
        self._show_entry(self._line(entry_id))
        return True

    def _line(self, entry_id: int | None) -> DutyLine | None:
        return next((line for line in self.lines if line.id == entry_id), None)

    def _show_entry(self, line: DutyLine | None) -> None:
        pane = self.query_one("#duty-entry", Static)
        if line is None:
            pane.update(Text(_("Nothing here.") if not self.searching
                             else _("Nothing found."), style="dim"))
            return
        app = self.desk_app
        about = [format_when(line.at, app.desk.clock.now(), app.zone), line.operator_name]
        about += [part for part in (line.unit_code, line.record_ref) if part]
        text = Text(" · ".join(about), style="dim")
        text.append("  ")
        text.append_text(kind_cell(line))
        text.append("\n" + line.text)
        pane.update(text)

    def _say(self, text: str) -> None:
        self.query_one("#duty-status", Static).update(text)

    # --- keys and events --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "step_shift":
            if self.searching:
                return None  # Esc leaves the search first
            if parameters and parameters[0] == 1 and self.pinned_start is None:
                return None  # the shift running now has nothing after it yet
        return True

    def action_step_shift(self, step: int) -> None:
        shown = self.shown
        if shown is None or self.searching:
            return
        calendar = WorkCalendar.from_settings(self.desk_app.desk.settings)
        if step < 0:
            start = shifts.times_at(calendar, shown.starts_at - timedelta(seconds=1)).starts_at
        else:
            if shown.current:
                return
            start = shifts.times_at(calendar, shown.ends_at).starts_at
        self.pinned_start = start
        self.entry_id = None
        self.reload()

    def action_focus_search(self) -> None:
        self.query_one("#duty-search", Input).focus()

    def action_new_entry(self) -> None:
        if not self.desk_app.on_duty():
            return
        form = DutyEntryForm()
        self._form = form
        self.app.push_screen(form, self._written)

    def _written(self, entry: Any) -> None:
        self._form = None
        self.table.focus()
        if entry is None:
            return
        # The entry went into the shift running now: show that shift, the entry chosen.
        self.pinned_start = None
        self._clear_search()
        self.entry_id = entry.id
        self.reload()

    def has_typing(self) -> bool:
        form = self._form
        return form is not None and form.is_attached and form.typed_anything()

    @on(DataTable.RowHighlighted, "#duty-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        # The cursor as it is now (a highlight from before a reload may arrive late).
        row = self.table.cursor_row
        self.entry_id = self._row_id(row)
        self._show_entry(self._line(self.entry_id))
        if self.searching or event.cursor_row != row:
            return
        if row == 0 and self.shift_page.offset > 0:
            self._load_more(older=True)
        elif row == self.table.row_count - 1 and \
                self.shift_page.offset + len(self.lines) < self.shift_page.total:
            self._load_more(older=False)

    @on(DataTable.RowSelected, "#duty-table")
    def _to_its_shift(self, event: DataTable.RowSelected) -> None:
        """Enter on a search hit: the entry among the rest of its shift."""
        if not self.searching:
            return
        line = self._line(self._row_id(event.cursor_row))
        if line is None:
            return
        calendar = WorkCalendar.from_settings(self.desk_app.desk.settings)
        self.pinned_start = shifts.times_at(calendar, line.at).starts_at
        self.entry_id = line.id
        self._clear_search()
        self.reload()

    def _row_id(self, index: int) -> int | None:
        if not 0 <= index < self.table.row_count:
            return None
        key = self.table.coordinate_to_cell_key(Coordinate(index, 0)).row_key.value
        return int(key) if key else None

    @on(Input.Changed, "#duty-search")
    def _typed(self, event: Input.Changed) -> None:
        was_searching = self.searching
        self.query_text = event.value
        if was_searching or self.searching:
            self.entry_id = None
            self.reload()

    @on(Input.Submitted, "#duty-search")
    def _search_to_table(self) -> None:
        self.table.focus()
        if self.table.row_count:
            self.table.move_cursor(row=0)

    def on_key(self, event: events.Key) -> None:
        search = self.query_one("#duty-search", Input)
        if event.key == "escape" and (self.focused is search or self.searching):
            event.stop()
            if self.searching:
                self._clear_search()
                self.entry_id = None
                self.reload()
            self.table.focus()

    def _clear_search(self) -> None:
        self.query_text = ""
        search = self.query_one("#duty-search", Input)
        with search.prevent(Input.Changed):
            search.value = ""
