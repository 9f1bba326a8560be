"""The resident directory (住户信息): find a unit by room, name or phone digits."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Input, Static

from deskapp.db import reading
from deskapp.errors import DeskError
from deskapp.i18n import N_, _
from deskapp.screens.base import DeskScreen
from deskapp.services import directory
from deskapp.services.acting import Acting
from deskapp.services.privacy import mask_phone
from deskapp.widgets.form import TextInput


class DirectoryScreen(DeskScreen):
    TITLE_TEXT = N_("Directory")
    BINDINGS = [Binding("slash", "focus_search", N_("Search"), key_display="/")]

    def __init__(self) -> None:
        super().__init__()
        self._unit_id: int | None = None
        self._pending: tuple[int, str] | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="directory"):
            with Vertical(id="directory-list"):
                yield TextInput(
                    id="directory-search",
                    placeholder=_("Room (3-2-1201), name, or last 4 digits of a phone"),
                )
                yield DataTable(id="directory-hits", cursor_type="row", zebra_stripes=True)
            with Vertical(id="unit-card"):
                yield Static(_("Choose a unit to see its people."), id="unit-card-body")

    def on_mount(self) -> None:
        self.query_one("#directory-search", Input).focus()

    def refresh_view(self) -> None:
        table = self.query_one("#directory-hits", DataTable)
        if not table.columns:
            table.add_columns(_("Unit"), _("Name"), _("Relation"), _("Phone"))
            self._search(self.query_one("#directory-search", Input).value)
        if self._pending is not None:
            self._apply_pending()
        elif self._unit_id is not None:
            self._show_card(self._unit_id)

    def action_focus_search(self) -> None:
        self.query_one("#directory-search", Input).focus()

    @on(Input.Changed, "#directory-search")
    def _typed(self, event: Input.Changed) -> None:
        self._search(event.value)

    @on(Input.Submitted, "#directory-search")
    def _to_results(self) -> None:
        table = self.query_one("#directory-hits", DataTable)
        if table.row_count:
            table.focus()
            table.move_cursor(row=0)
            self._open_row(0)

    def _search(self, query: str) -> None:
        app = self.desk_app
        table = self.query_one("#directory-hits", DataTable)
        hits = app.read(lambda session: directory.lookup(
            session, acting=Acting(app.desk.site_id), query=query, limit=50))
        if hits is None:
            return
        table.clear()
        for hit in hits:
            table.add_row(
                hit.unit_code,
                hit.name or hit.people or "—",
                directory.relation_label(hit.relation) if hit.relation else "",
                hit.masked_phone,
                key=str(hit.unit_id) + ":" + str(hit.resident_id or ""),
            )

    @on(DataTable.RowSelected, "#directory-hits")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        self._open_row(event.cursor_row)

    def _open_row(self, row: int) -> None:
        table = self.query_one("#directory-hits", DataTable)
        key = table.coordinate_to_cell_key(Coordinate(row, 0)).row_key.value or ""
        self._show_card(int(key.split(":", 1)[0]))

    def _show_card(self, unit_id: int) -> None:
        app = self.desk_app
        body = self.query_one("#unit-card-body", Static)
        try:
            with reading(app.desk.engine) as session:
                card = directory.unit_card(session, acting=Acting(app.desk.site_id),
                                           unit_id=unit_id)
        except DeskError as error:
            body.update(error.message)
            return
        self._unit_id = unit_id
        lines = [_("Unit {code}").format(code=card.unit.code), ""]
        if not card.residents:
            lines.append(_("Nobody is listed in this unit."))
        for resident in card.residents:
            phones = ", ".join(
                mask_phone(number) for number in (resident.phone, resident.alt_phone) if number
            )
            lines.append(
                f"{resident.name}  {directory.relation_label(resident.relation)}  {phones}"
            )
        body.update("\n".join(lines))

    def show_unit(self, unit_id: int, unit_code: str) -> None:
        """Open a unit chosen elsewhere (the command palette), now or once composed."""
        self._pending = (unit_id, unit_code)
        if self.query("#directory-search"):
            self._apply_pending()

    def _apply_pending(self) -> None:
        if self._pending is None:
            return
        unit_id, unit_code = self._pending
        self._pending = None
        search = self.query_one("#directory-search", Input)
        with search.prevent(Input.Changed):
            search.value = unit_code
        self._search(unit_code)
        self._show_card(unit_id)
