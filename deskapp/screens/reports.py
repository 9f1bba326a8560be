"""The reports (F11): the monthly complaint summary and the quarterly revisit analysis,
with bar charts drawn in the terminal.

m / q choose the report, ← / → the month or quarter before or after, p saves the PDF
and e the CSV into the data folder's exports; s goes to the next site a supervisor or
manager reads (their own, then those granted to them: ``services/grants``). The figures come from
``services/reports`` (the same sheet the command line writes); this screen only lays
them out, so they never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from deskapp.db import snapshot
from deskapp.i18n import N_, _
from deskapp.screens.base import DeskScreen, SiteTurns
from deskapp.services import grants, reports
from deskapp.services.acting import Acting
from deskapp.services.printing import printed_stamp
from deskapp.services.reports import periods
from deskapp.services.reports.sheets import Section, Sheet, write_sheet

BAR = "█"


@dataclass(frozen=True)
class ReportSite:
    """A site the report can be of: its id, code (the exports' folder) and name."""

    id: int
    code: str
    name: str

_LABEL_CELLS = 28  # at most, so the bars keep room at 80 columns
_BAR_CELLS = 48  # at most: a bar across a wide terminal is harder to read, not clearer


def _fit(text: str, cells: int) -> str:
    """``text`` cut to ``cells`` terminal cells (a Chinese character takes two)."""
    out, used = "", 0
    for char in text:
        width = cell_len(char)
        if used + width > cells:
            return out[:-1] + "…" if out else ""
        out, used = out + char, used + width
    return out


def section_text(section: Section, width: int) -> Text:
    """One section: its title, then a line per row, with a bar where it has an amount."""
    text = Text(section.title + "\n", style="bold")
    if not section.rows:
        text.append("  " + _("none") + "\n", style="dim")
        return text
    label_cells = min(_LABEL_CELLS, max(cell_len(row.label) for row in section.rows))
    shown_cells = max(cell_len(row.shown) for row in section.rows)
    room = min(_BAR_CELLS, max(4, width - label_cells - shown_cells - 6))
    largest = section.scale or max((row.amount or 0 for row in section.rows), default=0) or 1
    for row in section.rows:
        label = _fit(row.label, label_cells)
        text.append("  " + label + " " * (label_cells - cell_len(label)) + "  ")
        if section.charted:
            length = round(room * max(0.0, row.amount or 0) / largest)
            text.append(BAR * length, style="bold blue")
            text.append(" ")
        text.append(row.shown + "\n")
    return text


class ReportsScreen(SiteTurns, DeskScreen):
    TITLE_TEXT = N_("Reports")
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("m", "kind('month')", N_("Monthly")),
        Binding("q", "kind('quarter')", N_("Quarterly")),
        # Priority: the scrolling sheet beneath would take the arrows for itself.
        Binding("left", "shift(-1)", N_("Earlier"), key_display="←", priority=True),
        Binding("right", "shift(1)", N_("Later"), key_display="→", priority=True),
        Binding("p", "save('pdf')", N_("Save PDF")),
        Binding("e", "save('csv')", N_("Save CSV")),
        Binding("s", "next_site", N_("Next site")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.sheet: Sheet | None = None
        self._period: periods.Period | None = None  # the last complete month, when first shown
        self.sites: list[ReportSite] = []
        """The sites the signed-in operator reads, their own first (read when shown)."""
        self._site_index = 0
        self._sites_of: int | None = None  # whose sites ``sites`` are (an operator's id)
        self._sheet_of: tuple[ReportSite | None, periods.Period] | None = None
        """The site and period of the sheet shown (what p and e save)."""

    @property
    def site(self) -> ReportSite | None:
        return self.sites[self._site_index] if self.sites else None

    def show_next_site(self) -> None:
        self.refresh_view()

    def compose_body(self) -> ComposeResult:
        yield Static("", id="report-title", classes="section-title")
        with VerticalScroll(id="report-body"):
            yield Static("", id="report-sheet")

    @property
    def period(self) -> periods.Period:
        if self._period is None:
            app = self.desk_app
            self._period = periods.last_complete(
                periods.PeriodKind.MONTH, app.desk.clock.now(), app.zone)
        return self._period

    def action_kind(self, kind: str) -> None:
        wanted = periods.PeriodKind(kind)
        if wanted is self.period.kind:
            return
        app = self.desk_app
        self._period = periods.last_complete(wanted, app.desk.clock.now(), app.zone)
        self.refresh_view()

    def action_shift(self, steps: int) -> None:
        self._period = self.period.shifted(steps)
        self.refresh_view()

    def refresh_view(self) -> None:
        if self.db_busy("report"):
            return  # the sheet being read shows, then the period chosen meanwhile
        app = self.desk_app
        desk, period, operator = app.desk, self.period, app.operator
        now, zone = desk.clock.now(), app.zone
        if operator is None or operator.id != self._sites_of:
            self._site_index = 0  # another operator: their own site first
        wanted = self.site
        site_id = wanted.id if wanted is not None else desk.site_id

        def read() -> tuple[periods.Period, int, list[ReportSite], Sheet]:
            with snapshot(desk.engine) as session:
                # The service says which sites this operator reads, and refuses the rest.
                readable = ([ReportSite(site.id or 0, site.code, site.name)
                             for site in grants.readable_site_list(session, operator)]
                            if operator is not None else [])
                shown = site_id
                if readable and shown not in {site.id for site in readable}:
                    shown = readable[0].id  # the grant was withdrawn meanwhile: their own
                grants.check_reading(session, operator, shown)
                return period, shown, readable, reports.report_sheet(
                    session, acting=Acting(shown), period=period, zone=zone, now=now)

        self.run_db(read, self._read, name="report")

    def _read(self, result: tuple[periods.Period, int, list[ReportSite], Sheet]) -> None:
        period, site_id, readable, sheet = result
        operator = self.desk_app.operator
        operator_id = operator.id if operator is not None else None
        # The site chosen meanwhile (s while this was read) stays chosen, if still readable.
        chosen = self.site.id if self.site is not None and self._sites_of == operator_id \
            else site_id
        self.sites, self._sites_of = readable, operator_id
        ids = [site.id for site in readable]
        self._site_index = ids.index(chosen) if chosen in ids else (
            ids.index(site_id) if site_id in ids else 0)
        self.refresh_bindings()
        # What p and e save: this sheet, of the site and period it was read for (a key
        # may choose another before the next sheet has arrived).
        self._sheet_of = (next((site for site in readable if site.id == site_id), None),
                          period)
        self._show(sheet)
        if period != self.period or (self.site is not None and self.site.id != site_id):
            self.refresh_view()  # a key chose another period or site while this was read

    def _show(self, sheet: Sheet) -> None:
        self.sheet = sheet
        site = self._sheet_of[0] if self._sheet_of is not None else None
        of_site = (f"  · {site.name}" if site is not None and len(self.sites) > 1 else "")
        self.query_one("#report-title", Static).update(
            f"{sheet.title}  {sheet.period}{of_site}")
        width = max(40, (self.size.width or 80) - 4)
        body = Text()
        for section in sheet.sections:
            body.append_text(section_text(section, width))
            body.append("\n")
        self.query_one("#report-sheet", Static).update(body)

    def on_resize(self) -> None:
        if self.sheet is not None:
            self._show(self.sheet)

    def action_save(self, file_format: str) -> None:
        sheet, sheet_of = self.sheet, self._sheet_of
        if sheet is None or sheet_of is None:
            self.app.bell()
            return
        app = self.desk_app
        desk = app.desk
        chosen, period = sheet_of
        code = chosen.code if chosen is not None else desk.settings.site_code
        folder = desk.settings.data_dir / "exports" / code
        target = folder / f"report-{period.code}.{file_format}"
        operator = app.operator
        printed_by = operator.display_name if operator is not None else ""
        stamp = printed_stamp(desk.clock.now(), app.zone)
        site = chosen.name if chosen is not None else app.site_name

        def write() -> str:
            return str(write_sheet(sheet, file_format=file_format, out_file=target,
                                   site=site, printed_at=stamp, printed_by=printed_by))

        self.run_db(write, lambda path: self.notify(
            _("Saved: {path}").format(path=path), timeout=6), name="save")
