"""The guard's gate screen (门岗放行): scan a slip, tick its lines, release or send back.

Made for the gate: big text and few keys. The guard scans the slip's code (or
types it and presses Enter), sees its lines, and ticks each as it passes
(Enter or space on a line, or its number). When every line is ticked ctrl+s
releases the slip, with the guard and the time; ctrl+b sends it back to the desk
when the items do not match. A slip that cannot pass says why in one line. A
guard signed in sees this screen and nothing else (``DeskApp``).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Input, Static

from deskapp.db import reading, transaction
from deskapp.errors import DeskError
from deskapp.formatting import desk_zone
from deskapp.i18n import N_, _
from deskapp.screens.base import DeskScreen
from deskapp.screens.custody.ledger_forms import LedgerForm, Write, text_input
from deskapp.services.acting import Acting
from deskapp.services.release import checks, slips
from deskapp.services.release.slips import GateView
from deskapp.widgets.form import FormField, TextInput


class SendBackForm(LedgerForm):
    """What does not match: the slip goes back to the desk to be amended."""

    TITLE_TEXT = N_("Send the slip back to the desk")

    def __init__(self, slip_id: int, about: str) -> None:
        super().__init__(about)
        self.slip_id = slip_id

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("What does not match"), text_input("back-note",
                                                             max_length=checks.MAX_NOTE),
                        field="note")

    def write(self, *, desk: Any, now: Any, actor: Any) -> Write:
        note, slip_id = self.value("#back-note"), self.slip_id
        return lambda session: slips.send_back(session, acting=Acting(desk.site_id),
                                               slip_id=slip_id,
                                               note=note, now=now, guard=actor,
                                               settings=desk.settings)


class GateScreen(DeskScreen):
    TITLE_TEXT = N_("Gate")
    DEFAULT_CSS = """
    GateScreen #gate-box { padding: 0 2; height: 1fr; }
    GateScreen #gate-code { width: 40; margin: 1 0 0 0; }
    GateScreen #gate-head { height: auto; text-style: bold; margin-top: 1; }
    GateScreen #gate-prompt { text-style: bold; margin-top: 1; }
    GateScreen #gate-verdict { height: auto; margin: 1 0; padding: 0 1; }
    GateScreen #gate-verdict.refused { background: $error 30%; text-style: bold; }
    GateScreen #gate-verdict.released { background: $success 30%; text-style: bold; }
    GateScreen #gate-lines { height: auto; max-height: 1fr; }
    GateScreen #gate-keys { height: auto; color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [
        Binding("ctrl+s", "release", N_("Release")),
        Binding("ctrl+b", "send_back", N_("Send back")),
        Binding("escape", "next_slip", N_("Next slip")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: GateView | None = None
        self.verdict: tuple[str, str] = ("", "")
        self._queued: list[int] = []
        self._sent: set[int] = set()
        """Lines ticked by the guard, saved or waiting their turn."""

    def compose_body(self) -> ComposeResult:
        with Vertical(id="gate-box"):
            yield Static(_("Scan the release slip, or type its code and press Enter."),
                         id="gate-prompt")
            yield TextInput(placeholder="R-XXXX-X", id="gate-code", max_length=20)
            yield Static("", id="gate-head")
            yield DataTable(id="gate-lines", cursor_type="row", zebra_stripes=True)
            yield Static("", id="gate-verdict")
            yield Static("", id="gate-keys")

    def on_mount(self) -> None:
        self.query_one("#gate-code", Input).focus()
        self.show()

    def refresh_view(self) -> None:
        self.show()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        view = self.view
        if action == "release":
            return view is not None and view.can_release
        if action == "send_back":
            return view is not None and view.can_release
        if action == "next_slip":
            return view is not None or bool(self.verdict[0])
        return True

    # --- a code ------------------------------------------------------------------------------

    @on(Input.Submitted, "#gate-code")
    def _typed_code(self, event: Input.Submitted) -> None:
        event.stop()
        self.open_code(event.value)

    def open_code(self, text: str) -> None:
        """A slip code, scanned (the app's scanner) or typed: its lines, or why not."""
        desk = self.desk_app.desk
        self.query_one("#gate-code", Input).value = ""
        if not text.strip():
            return
        try:
            with reading(desk.engine) as session:
                view = slips.at_gate(session, acting=Acting(desk.site_id), text=text,
                                     now=desk.clock.now(), settings=desk.settings)
        except DeskError as error:  # a wrong check character, no such slip, no database
            self.view = None
            self.verdict = ("refused", error.message)
            self.app.bell()
            self.show()
            return
        self.view = view
        self._queued.clear()
        self._sent = {line.id for line in view.lines if line.ticked}
        self.verdict = ("refused", view.refusal) if view.refusal else ("", "")
        if view.refusal:
            self.app.bell()
        self.show()
        if view.can_release:
            table = self.query_one("#gate-lines", DataTable)
            table.focus()
            first_open = next((index for index, line in enumerate(view.lines)
                               if not line.ticked), 0)
            table.move_cursor(row=first_open)

    # --- what the guard sees -----------------------------------------------------------------

    def show(self) -> None:
        if not self.query("#gate-box"):
            return
        view = self.view
        head = self.query_one("#gate-head", Static)
        table = self.query_one("#gate-lines", DataTable)
        table.clear(columns=True)
        if view is None:
            head.update("")
        else:
            text = Text()
            text.append(f" {view.code} ", style="bold reverse")
            text.append("  " + _("revision {number}").format(number=view.revision))
            text.append("\n\n" + _("Unit") + f": {view.unit}      " + _("Carried by") +
                        f": {view.carrier}")
            if view.plate:
                text.append("      " + _("Vehicle") + f": {view.plate}")
            text.append("\n")
            head.update(text)
            table.add_columns("", _("No."), _("Item"), _("Quantity"), "")
            for line in view.lines:
                tick = Text("✓", style="bold green") if line.ticked else Text("☐")
                large = _("large") if line.large else ""
                table.add_row(tick, Text(str(line.position), style="bold"),
                              Text(line.description, style="bold"),
                              Text(f"×{line.quantity}", style="bold"), large,
                              key=str(line.id), height=2)
        verdict = self.query_one("#gate-verdict", Static)
        kind, words = self.verdict
        verdict.set_class(kind == "refused", "refused")
        verdict.set_class(kind == "released", "released")
        mark = {"refused": "✗ ", "released": "✓ "}.get(kind, "")
        verdict.update(Text(mark + words) if words else "")
        keys = self.query_one("#gate-keys", Static)
        if view is not None and view.can_release:
            left = sum(1 for line in view.lines if not line.ticked)
            keys.update(_("Enter or space ticks the line as it passes ({left} to go) · ctrl+s "
                          "releases when all are ticked · ctrl+b sends it back to the desk · "
                          "Esc: next slip").format(left=left))
        else:
            keys.update(_("Scan the next slip."))
        self.refresh_bindings()

    # --- ticks, release, send back -----------------------------------------------------------

    def on_key(self, event: Any) -> None:
        table = self.query("#gate-lines")
        if not table or self.focused is not table.first() or self.view is None:
            return
        if event.key == "space" or (event.character or "").isdigit():
            event.stop()
            event.prevent_default()
            if event.key == "space":
                self._tick_current()
            else:
                self._tick_position(int(event.character))

    @on(DataTable.RowSelected, "#gate-lines")
    def _selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self._tick_current()

    def _tick_current(self) -> None:
        table = self.query_one("#gate-lines", DataTable)
        if self.view is None or not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        if not key:
            return
        self._tick(int(key))
        # On to the next line at once, so a quick "Enter, Enter" ticks two lines.
        row = table.cursor_row
        waiting = [index for index, line in enumerate(self.view.lines)
                   if not line.ticked and line.id not in self._sent]
        later = [index for index in waiting if index > row]
        if later or waiting:
            table.move_cursor(row=(later or waiting)[0])

    def _tick_position(self, position: int) -> None:
        if self.view is None:
            return
        line = next((line for line in self.view.lines if line.position == position), None)
        if line is not None:
            self._tick(line.id)

    def _tick(self, line_id: int) -> None:
        view = self.view
        if view is None or not view.can_release or line_id in self._sent:
            return
        self._sent.add(line_id)
        if self.db_busy("gate"):  # ticks as fast as the items pass: each in its turn
            self._queued.append(line_id)
            return
        self._send_tick(line_id)

    def _send_tick(self, line_id: int) -> None:
        view, desk = self.view, self.desk_app.desk
        if view is None:
            return
        guard = self.desk_app.operator

        def save() -> GateView:
            with transaction(desk.engine) as session:
                return slips.tick(session, acting=Acting(desk.site_id), slip_id=view.slip_id,
                                  line_id=line_id, now=desk.clock.now(), guard=guard,
                                  settings=desk.settings)

        self.run_db(save, self._ticked, failed=self._refused, name="gate")

    def _ticked(self, view: GateView) -> None:
        self.view = view
        if self._queued:
            self._send_tick(self._queued.pop(0))
        table = self.query_one("#gate-lines", DataTable)
        row = table.cursor_row
        self.show()
        table.move_cursor(row=row)
        if view.all_ticked:
            self.verdict = ("", _("Every line ticked: ctrl+s releases the slip."))
            self.show()

    def action_release(self) -> None:
        view, desk = self.view, self.desk_app.desk
        if view is None or not view.can_release:
            return
        guard = self.desk_app.operator

        def save() -> Any:
            with transaction(desk.engine) as session:
                return slips.release(session, acting=Acting(desk.site_id), slip_id=view.slip_id,
                                     now=desk.clock.now(), guard=guard, settings=desk.settings)

        self.run_db(save, self._released, failed=self._refused, name="gate")

    def _released(self, slip: Any) -> None:
        zone = desk_zone(self.desk_app.desk.settings.timezone)
        guard = self.desk_app.operator
        self.view = None
        self.verdict = ("released", _("Released {code} at {when} by {guard}.").format(
            code=slip.code, when=slip.released_at.astimezone(zone).strftime("%H:%M"),
            guard=guard.display_name if guard else ""))
        self.show()
        self.query_one("#gate-code", Input).focus()

    def _refused(self, error: Any) -> None:
        self.app.bell()
        self._queued.clear()
        self._sent = {line.id for line in self.view.lines if line.ticked} if self.view else set()
        self.verdict = ("refused", error.message)
        self.show()

    def action_send_back(self) -> None:
        view = self.view
        if view is None or not view.can_release:
            return
        about = f"{view.code}  {view.unit}  {view.carrier}"

        def closed(result: Any) -> None:
            if result is None:
                return
            self.view = None
            self.verdict = ("refused", _("Sent back to the desk: {code} is to be amended there."
                                         ).format(code=result.code))
            self.show()
            self.query_one("#gate-code", Input).focus()

        self.app.push_screen(SendBackForm(view.slip_id, about), closed)

    def action_next_slip(self) -> None:
        self.view = None
        self.verdict = ("", "")
        self.show()
        self.query_one("#gate-code", Input).focus()
