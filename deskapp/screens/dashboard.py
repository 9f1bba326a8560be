"""The desk at a glance (工作台): what is due, held and out, and what just happened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Grid, Vertical
from textual.widgets import DataTable, Static

from deskapp.db import reading, transaction
from deskapp.errors import DeskError
from deskapp.formatting import format_when, local_day_start
from deskapp.i18n import N_, _
from deskapp.screens.base import DeskScreen
from deskapp.services import audit, dashboard
from deskapp.services.acting import Acting
from deskapp.services.requests import rules as request_rules
from deskapp.services.requests.labels import ESCALATION_LABELS, label

TILES: tuple[tuple[str, str], ...] = (
    ("requests_due", N_("Due this shift")),
    ("requests_overdue", N_("Requests overdue")),
    ("escalations", N_("Escalations")),
    ("items_held", N_("Items held")),
    ("items_overdue", N_("Items overdue")),
    ("keys_out", N_("Keys out")),
    ("keys_overdue", N_("Keys overdue")),
    ("parcels_waiting", N_("Parcels waiting")),
    # The release slips side by side: four tiles a row at 80 columns puts them in a row
    # with the day's changes; the last four (directory, handovers) make a row at any width.
    ("slips_waiting", N_("Slips to confirm")),
    ("slips_issued_today", N_("Issued today")),
    ("slips_unfiled", N_("Slips not filed")),
    ("changes_today", N_("Changes today")),
    ("units", N_("Units")),
    ("residents", N_("Residents")),
    # What waits for the supervisor from the handovers (F7), ending the last row.
    ("handovers_unreviewed", N_("Shifts to review")),
    ("refused_waiting", N_("Refused items")),
)
ALERT_TILES = frozenset({"requests_overdue", "escalations", "items_overdue", "keys_overdue",
                         "refused_waiting"})


@dataclass(frozen=True)
class DeskView:
    """What one refresh read: the counts, the open escalations, and a sweep that could
    not run (another desk held the write lock)."""

    now: datetime
    summary: dashboard.DeskSummary
    escalations: list[dashboard.EscalationLine]
    swept: DeskError | None


class DashboardScreen(DeskScreen):
    TITLE_TEXT = N_("Dashboard")
    # Below 100 columns the tiles take four a row, so no label breaks mid-word (80x24).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    def compose_body(self) -> ComposeResult:
        with Vertical(id="dashboard"):
            with Grid(id="tiles"):
                for key, label in TILES:
                    with Vertical(classes="tile", id=f"tile-{key}"):
                        yield Static("…", classes="tile-value")
                        yield Static(_(label), classes="tile-label")
            note = Static("", id="dashboard-note", classes="field-error")
            note.display = False
            yield note
            yield Static(_("Open escalations"), classes="section-title", id="escalations-title")
            yield DataTable(id="escalations", cursor_type="row", zebra_stripes=True)
            yield Static(_("Recent activity"), classes="section-title")
            yield DataTable(id="recent", cursor_type="row", zebra_stripes=True)

    def on_mount(self) -> None:
        self.set_interval(self.desk_app.desk.settings.dashboard_refresh_seconds,
                          self.refresh_view)

    def refresh_view(self) -> None:
        if self.db_busy("refresh"):
            return  # the last refresh is still waiting for the database
        app = self.desk_app
        desk = app.desk
        now = desk.clock.now()
        self.run_db(lambda: self._read_desk(now), self._show_desk, failed=self._not_refreshed,
                    name="refresh")

    def _read_desk(self, now: datetime) -> DeskView:
        """In a thread: the age rules, then the counts (the sweep is idempotent)."""
        desk = self.desk_app.desk
        swept: DeskError | None = None
        try:
            # Age rules raise severities and open escalations. While another desk holds
            # the write lock the counts are still worth showing; the next tick sweeps.
            with transaction(desk.engine) as session:
                request_rules.sweep(session, acting=Acting(desk.site_id), now=now,
                                    settings=desk.settings)
        except DeskError as error:
            swept = error
        with reading(desk.engine) as session:
            summary = dashboard.desk_summary(
                session, acting=Acting(desk.site_id), now=now,
                day_start=local_day_start(now, self.desk_app.zone), settings=desk.settings,
            )
            escalations = dashboard.open_escalations(session, acting=Acting(desk.site_id))
        return DeskView(now, summary, escalations, swept)

    def _not_refreshed(self, error: DeskError) -> None:
        self._note("⚠ " + error.message)

    def _note(self, text: str) -> None:
        """A line above the tiles' details when the database could not do all of it."""
        note = self.query_one("#dashboard-note", Static)
        note.update(text)
        note.display = bool(text)

    def _show_desk(self, view: DeskView) -> None:
        app = self.desk_app
        now, summary = view.now, view.summary
        self._note("" if view.swept is None else "⚠ " + view.swept.message)
        for key, _label in TILES:
            value = getattr(summary, key)
            tile = self.query_one(f"#tile-{key}", Vertical)
            alert = bool(value) and key in ALERT_TILES
            text = "—" if value is None else ("⚠ " if alert else "") + str(value)
            tile.query_one(".tile-value", Static).update(text)
            tile.set_class(value is None, "-unused")
            tile.set_class(alert, "-alert")
        self._show_escalations(view.escalations, now)
        table = self.query_one("#recent", DataTable)
        table.clear(columns=True)
        table.add_columns(_("When"), _("Who"), _("What"), _("Record"))
        for entry in summary.recent:
            table.add_row(
                format_when(entry.at, now, app.zone),
                entry.actor,
                audit.describe_action(entry.action),
                audit.describe_record(entry),
            )

    def _show_escalations(self, lines: list[dashboard.EscalationLine], now: datetime) -> None:
        """Escalations waiting for a supervisor or manager; hidden when there are none."""
        table = self.query_one("#escalations", DataTable)
        table.clear(columns=True)
        table.add_columns(_("Since"), _("Request"), _("To"), _("Why"))
        for line in lines:
            table.add_row(
                format_when(line.raised_at, now, self.desk_app.zone),
                line.number,
                "⚠ " + label(ESCALATION_LABELS, line.level),
                line.reason,
            )
        table.display = bool(lines)
        table.styles.height = min(len(lines), 5) + 2  # header, rows (at most five), scrollbar
        self.query_one("#escalations-title", Static).display = bool(lines)
