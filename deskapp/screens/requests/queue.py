"""The queue (F4, 诉求台账): what is overdue, what falls due this shift, mine, all open …

One view at a time (digits 1–8 on the view bar, or ctrl+←/→ from anywhere),
filtered by kind, status, severity and building, a page at a time: moving
the cursor onto the last row loads the next page. ``/`` searches every
request (room, name, phone digits, number, words such as 漏水). Enter opens the
request. Each refresh runs the severity sweep first, so ages and escalations
are current. A supervisor or manager granted other sites (``grants``) reads their
queues too: ``s`` goes to the next site, read only (no sweep, no step).
"""

from __future__ import annotations

import time
from contextlib import suppress
from functools import partial

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, Select, Static
from textual.worker import get_current_worker

from deskapp.db import reading, transaction
from deskapp.errors import DeskError
from deskapp.formatting import format_when
from deskapp.i18n import N_, _
from deskapp.screens.base import DeskScreen, SiteTurns
from deskapp.services import grants
from deskapp.services.acting import Acting
from deskapp.services.requests import rules as request_rules
from deskapp.services.requests import views as request_views
from deskapp.services.requests.labels import (
    KIND_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    label,
)
from deskapp.services.requests.views import QueueRow, QueueView
from deskapp.services.workcalendar import WorkCalendar
from deskapp.widgets.form import ChoiceBar, TextInput

PAGE_SIZE = 50
SEARCH_PAUSE = 0.2
"""Seconds of no typing before the search box searches (a key comes every 0.1-0.15 s)."""

VIEWS: tuple[tuple[str, str], ...] = (
    (QueueView.OVERDUE.value, N_("overdue")),
    (QueueView.DUE_SOON.value, N_("this shift")),
    (QueueView.MINE.value, N_("mine")),
    (QueueView.ALL_OPEN.value, N_("all open")),
    (QueueView.ESCALATED.value, N_("escalated")),
    (QueueView.PAUSED.value, N_("paused")),
    (QueueView.REVISIT_DUE.value, N_("revisits due")),
    (QueueView.RECENT.value, N_("recent")),
)

COLUMNS: tuple[str, ...] = (
    N_("Due"), N_("Number"), N_("Unit"), N_("Contact"), N_("Phone"), N_("Kind"),
    N_("Severity"), N_("Status"), N_("Owner"), N_("Subject"),
)


class ViewBar(ChoiceBar):
    """The one-key view choice, wrapping between choices (never inside one) when narrow."""

    def render(self) -> Text:
        text = Text()
        for (value, name), key in zip(self.choices, self.keys, strict=True):
            chosen = value == self.value
            text.append(f"\u00a0{key}\u00a0", style="bold reverse" if chosen else "bold")
            marker = "●\u00a0" if chosen else "\u00a0\u00a0"
            text.append(marker + name.replace(" ", "\u00a0"), style="bold" if chosen else "dim")
            text.append("  ")
        return text


class QueueScreen(SiteTurns, DeskScreen):
    TITLE_TEXT = N_("Queue")
    DEFAULT_CSS = """
    QueueScreen #queue { height: 1fr; }
    QueueScreen #queue-views { height: auto; margin: 0 1; }
    QueueScreen #queue-filters { height: auto; margin: 0 1; }
    QueueScreen #queue-filters Select { width: 1fr; }
    QueueScreen #queue-building { width: 16; margin-left: 1; }
    QueueScreen #queue-search { margin: 1 1 0 1; }
    QueueScreen #queue-table { height: 1fr; }
    QueueScreen #queue-status { height: 1; margin: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("slash", "focus_search", N_("Search"), key_display="/"),
        Binding("ctrl+right", "cycle_view(1)", N_("Next view"), show=False),
        Binding("ctrl+left", "cycle_view(-1)", N_("Previous view"), show=False),
        Binding("ctrl+n", "new_request", N_("New request"), show=False),
        Binding("s", "next_site", N_("Next site")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view = QueueView.OVERDUE.value
        self.kind: str | None = None
        self.status: str | None = None
        self.severity: str | None = None
        self.building = ""
        self.query_text = ""
        self.rows: list[QueueRow] = []
        self.has_more = False
        self._loading = False
        self._typed_count = 0  # changes of the search box
        self._searched_count = 0  # the change last searched for
        self.sites: list[tuple[int, str]] = []
        """The sites the signed-in operator reads (id, name), their own first."""
        self._site_index = 0
        self._sites_of: int | None = None  # whose sites ``sites`` are (an operator's id)

    # --- the site read ----------------------------------------------------------------

    @property
    def site_id(self) -> int:
        """The site whose queue is shown: the desk's own, or one granted to the operator."""
        if self.sites and 0 <= self._site_index < len(self.sites):
            return self.sites[self._site_index][0]
        return self.desk_app.desk.site_id

    @property
    def acting(self) -> Acting:
        return Acting(self.site_id, self.desk_app.operator)

    def show_next_site(self) -> None:
        self._clear_search()
        self.refresh_view()

    def _read_sites(self) -> None:
        """The sites the operator reads, as the service says (read again on each refresh:
        a grant given or withdrawn meanwhile shows at once)."""
        app = self.desk_app
        operator = app.operator
        if operator is None:
            self.sites, self._site_index, self._sites_of = [], 0, None
            return
        shown = self.site_id if self._sites_of == operator.id else app.desk.site_id
        with reading(app.desk.engine) as session:
            readable = [(site.id or 0, site.name or site.code)
                        for site in grants.readable_site_list(session, operator)]
        ids = [site_id for site_id, _name in readable]
        self.sites, self._sites_of = readable, operator.id
        self._site_index = ids.index(shown) if shown in ids else 0
        self.refresh_bindings()

    # --- layout -----------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with Vertical(id="queue"):
            yield ViewBar([(value, _(text)) for value, text in VIEWS],
                          value=self.view, id="queue-views")
            with Horizontal(id="queue-filters"):
                yield self._select("queue-kind", _("Kind: all"), KIND_LABELS, self.kind)
                yield self._select("queue-status-filter", _("Status: all"), STATUS_LABELS,
                                   self.status)
                yield self._select("queue-severity", _("Severity: all"), SEVERITY_LABELS,
                                   self.severity)
                yield TextInput(self.building, placeholder=_("Building"), id="queue-building",
                            compact=True)
            yield TextInput(self.query_text, id="queue-search", compact=True,
                        placeholder=_("/ search: room, name, phone digits, number, words (漏水)"))
            yield DataTable(id="queue-table", cursor_type="row", zebra_stripes=True)
            yield Static("", id="queue-status")

    @staticmethod
    def _select(widget_id: str, prompt: str, labels: dict[str, str],
                value: str | None) -> Select[str]:
        options = [(label(labels, key), str(key)) for key in labels]
        return Select(options, prompt=prompt, value=value if value else Select.NULL,
                      id=widget_id, compact=True)

    def on_mount(self) -> None:
        self.query_one("#queue-table", DataTable).focus()

    def refresh_view(self) -> None:
        """Sweep the severity rules (idempotent), then show the current view again."""
        desk = self.desk_app.desk
        now = desk.clock.now()
        table = self.query_one("#queue-table", DataTable)
        if not table.columns:
            for column in COLUMNS:
                table.add_column(_(column), key=column)
        try:
            self._read_sites()
        except DeskError as error:
            self._say(error.message, error=True)
            return
        if self.site_id != desk.site_id:
            self.reload()  # another site's desk sweeps its own queue
            return

        def sweep() -> None:  # it writes: in a thread, so a locked database freezes nothing
            with transaction(desk.engine) as session:
                request_rules.sweep(session, acting=Acting(desk.site_id), now=now,
                                    settings=desk.settings)

        def not_swept(error: DeskError) -> None:
            self.notify(error.message, severity="error")
            self.reload()

        if self.run_db(sweep, lambda _: self.reload(), failed=not_swept, name="sweep") is None:
            self.reload()  # a sweep still running (or not on duty): show what is there

    # --- loading ----------------------------------------------------------------------

    def reload(self) -> None:
        self.rows = []
        self.has_more = False
        table = self.query_one("#queue-table", DataTable)
        table.clear()
        if self.query_text.strip():
            self._search()
        else:
            self._load_page()

    def _load_page(self) -> None:
        app = self.desk_app
        now = app.desk.clock.now()
        operator = app.operator
        try:
            with reading(app.desk.engine) as session:
                page = request_views.queue(
                    session, acting=self.acting, now=now, view=self.view,
                    operator_id=operator.id if operator else None, kind=self.kind,
                    status=self.status, severity=self.severity,
                    building=self.building.strip() or None,
                    due_before=WorkCalendar.from_settings(app.desk.settings).next_shift_end(now),
                    offset=len(self.rows), limit=PAGE_SIZE,
                )
        except DeskError as error:
            self._say(error.message, error=True)
            return
        self._append(page.rows)
        self.has_more = page.has_more
        self._say_count()

    def _search(self) -> None:
        app = self.desk_app
        try:
            with reading(app.desk.engine) as session:
                found = request_views.search_requests(
                    session, acting=self.acting, query=self.query_text,
                    now=app.desk.clock.now(), limit=PAGE_SIZE,
                )
        except DeskError as error:
            self._say(error.message, error=True)
            return
        self._append(found)
        self._say(_("{count} found for “{query}”. Esc clears the search.").format(
            count=len(found), query=self.query_text.strip()))

    def _of_site(self) -> str:
        """Before the status line: which site is shown, when it is not the desk's own."""
        if self.site_id == self.desk_app.desk.site_id:
            return ""
        name = next((name for site_id, name in self.sites if site_id == self.site_id), "")
        return _("Site {name}, read only · ").format(name=name)

    def _append(self, rows: list[QueueRow]) -> None:
        table = self.query_one("#queue-table", DataTable)
        for row in rows:
            if any(existing.id == row.id for existing in self.rows[-PAGE_SIZE:]):
                continue  # a row that moved between pages
            self.rows.append(row)
            table.add_row(*self._cells(row), key=str(row.id))

    def _cells(self, row: QueueRow) -> list[Text | str]:
        app = self.desk_app
        now = app.desk.clock.now()
        theme = app.theme_variables
        due = Text()
        if row.paused:
            due.append("⏸ " + _("paused"), style=theme.get("text-muted", ""))
        elif row.overdue and row.next_due_at is not None:
            due.append("⚠ " + _("overdue") + " " + format_when(row.next_due_at, now, app.zone),
                       style="bold " + theme.get("error", "red"))
        elif row.next_due_at is not None:
            shift_end = WorkCalendar.from_settings(app.desk.settings).next_shift_end(now)
            when = format_when(row.next_due_at, now, app.zone)
            if row.next_due_at < shift_end:
                due.append("◷ " + when, style=theme.get("warning", "yellow"))
            else:
                due.append(when)
        elif row.status in ("closed", "voided"):
            due.append("✓ " + label(STATUS_LABELS, row.status),
                       style=theme.get("success", "green"))
        number = Text(row.number, style="bold " + theme.get("error", "red") if row.overdue
                      else "")
        severity = label(SEVERITY_LABELS, row.severity)
        if request_rules.is_alarming(row.severity):
            severity = "‼ " + severity
        return [
            due, number, row.unit_code or "—", row.contact_name or "—", row.masked_phone or "—",
            label(KIND_LABELS, row.kind), severity, label(STATUS_LABELS, row.status),
            row.owner_name, row.subject,
        ]

    def _say_count(self) -> None:
        overdue = sum(1 for row in self.rows if row.overdue)
        text = _("{count} shown").format(count=len(self.rows))
        if overdue:
            text += " · ⚠ " + _("{count} overdue").format(count=overdue)
        if self.has_more:
            text += " · " + _("more below: move past the last row or press Page Down")
        self._say(text)

    def _say(self, text: str, *, error: bool = False) -> None:
        status = self.query_one("#queue-status", Static)
        status.update(Text(("✗ " if error else "") + self._of_site() + text))
        status.set_class(error, "-error")

    # --- keys and events --------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#queue-table")
    def _maybe_more(self, event: DataTable.RowHighlighted) -> None:
        if self.has_more and not self._loading and event.cursor_row >= len(self.rows) - 1:
            self._loading = True
            try:
                self._load_page()
            finally:
                self._loading = False

    @on(DataTable.RowSelected, "#queue-table")
    def _open(self, event: DataTable.RowSelected) -> None:
        self.open_row(event.cursor_row)

    def open_row(self, index: int) -> None:
        table = self.query_one("#queue-table", DataTable)
        if not 0 <= index < table.row_count:
            return
        key = table.coordinate_to_cell_key(Coordinate(index, 0)).row_key.value
        if key:
            self.open_request(int(key))

    def open_request(self, request_id: int) -> None:
        from deskapp.screens.requests.detail import RequestScreen

        self.app.push_screen(RequestScreen(request_id, site_id=self.site_id))

    @on(ChoiceBar.Changed, "#queue-views")
    def _view_chosen(self, event: ChoiceBar.Changed) -> None:
        self.view = event.value
        self._clear_search()
        self.reload()

    @on(ChoiceBar.Submitted, "#queue-views")
    def _to_table(self) -> None:
        self.query_one("#queue-table", DataTable).focus()

    @on(Select.Changed)
    def _filter_chosen(self, event: Select.Changed) -> None:
        value = None if event.value is Select.NULL else str(event.value)
        if event.select.id == "queue-kind":
            self.kind = value
        elif event.select.id == "queue-status-filter":
            self.status = value
        elif event.select.id == "queue-severity":
            self.severity = value
        else:
            return
        self.reload()

    @on(Input.Submitted, "#queue-building")
    def _building_chosen(self, event: Input.Submitted) -> None:
        self.building = event.value
        self.reload()
        self.query_one("#queue-table", DataTable).focus()

    @on(Input.Changed, "#queue-search")
    def _typed(self, event: Input.Changed) -> None:
        """Search once the typing pauses (``SEARCH_PAUSE``): a word typed in one go is
        searched once, not once per key (5 searches for 窗户关不上). Enter searches at
        once. The pause is a thread's sleep, so tests that wait for the workers
        (``settle``) see its result."""
        self.query_text = event.value
        self._typed_count += 1
        self.run_worker(partial(self._search_after_pause, self._typed_count),
                        name="queue-search-pause", group="queue-search-pause",
                        thread=True, exclusive=True, exit_on_error=False)

    def _search_after_pause(self, typed: int) -> None:
        time.sleep(SEARCH_PAUSE)
        if get_current_worker().is_cancelled:
            return  # a later key started the pause again
        with suppress(RuntimeError):  # the app closed meanwhile
            self.app.call_from_thread(self._search_typed, typed)

    def _search_typed(self, typed: int) -> None:
        if typed == self._typed_count and self._searched_count != typed:
            self._searched_count = typed
            self.reload()

    @on(Input.Submitted, "#queue-search")
    def _search_to_table(self) -> None:
        if self._searched_count != self._typed_count:  # Enter before the pause ended
            self._searched_count = self._typed_count
            self.reload()
        table = self.query_one("#queue-table", DataTable)
        table.focus()
        if table.row_count:
            table.move_cursor(row=0)

    def on_key(self, event: object) -> None:
        from textual import events

        assert isinstance(event, events.Key)
        search = self.query_one("#queue-search", Input)
        if event.key == "escape" and (self.focused is search or self.query_text):
            event.stop()
            self._clear_search()
            self.reload()
            self.query_one("#queue-table", DataTable).focus()

    def _clear_search(self) -> None:
        search = self.query_one("#queue-search", Input)
        self._searched_count = self._typed_count  # a pause still running searches nothing
        self.query_text = ""
        with search.prevent(Input.Changed):
            search.value = ""

    def action_focus_search(self) -> None:
        self.query_one("#queue-search", Input).focus()

    def action_focus_views(self) -> None:
        self.query_one("#queue-views", ChoiceBar).focus()

    def action_cycle_view(self, step: int) -> None:
        self.query_one("#queue-views", ChoiceBar).action_move(step)

    def action_new_request(self) -> None:
        self.desk_app.go("intake")

    def show_view(self, view: str) -> None:
        """Open a view chosen elsewhere (a dashboard tile)."""
        self.view = QueueView(view).value
        if self.query("#queue-views"):
            self.query_one("#queue-views", ChoiceBar).select(self.view)
