"""The handover (F7, 交接班): the desk's open business taken over item by item,
the public items counted, two PINs, sealed.

It reads top-down as the incoming operator takes it over (ux.md): what stops
the seal, in words, at the top until it is gone; the carried items, urgent
first, then watch, then routine; the public items to count; then the PINs.

- ctrl+n starts the handover of this shift (the services assemble it from the
  ledgers; nothing is typed). It lives in the database: leaving, switching
  operator or a crash loses nothing, and F7 shows it again where it stopped.
- On an item: ``e`` settles it (the outgoing operator's watch level, next action
  and contingency; ctrl+s saves and the cursor moves on to the next item that
  still needs a contingency); Enter accepts it for the incoming operator; ``a``
  accepts every routine item of its group; ``r`` refuses it with a reason; ``u``
  lets a supervisor accept carrying an unfinished urgent item (reason and PIN),
  ``U`` every urgent item not done yet at once.
- ``i`` names the incoming operator (one key per person).
- Tab goes to the counts: type what was counted, Enter (the next one); ctrl+e
  lets the outgoing operator explain a difference.
- ctrl+s signs: the outgoing operator's PIN, then the incoming operator's. The
  second signature seals the handover.

Every rule (who may do what, what blocks the seal) is the service's
(``services.handover.handovers``); this screen shows what it answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.cells import cell_len
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Input, Label, Static

from deskapp.db import reading, transaction
from deskapp.errors import DeskError, InvalidInput, StorageError
from deskapp.formatting import format_when, parse_local_time
from deskapp.i18n import N_, _
from deskapp.models.handover import HandoverCount, HandoverItem, ItemDecision, WatchLevel
from deskapp.screens.base import DeskScreen
from deskapp.screens.requests.dialogs import (
    FieldSpec,
    MenuEntry,
    StepForm,
    StepMenu,
    StepModal,
    Values,
)
from deskapp.services.acting import Acting
from deskapp.services.handover import assembly, handovers, sheet
from deskapp.services.handover.handovers import HandoverView, SealedLine, Side
from deskapp.widgets.confirm import ConfirmModal
from deskapp.widgets.form import TextInput

if TYPE_CHECKING:
    from sqlmodel import Session

COLUMNS = (N_("Level"), N_("Ledger"), N_("Record"), N_("Unit"), N_("What"), N_("Due"),
           N_("Next action"), N_("Contingency"), N_("Taken"))
LEVEL_STYLE = {WatchLevel.URGENT.value: "bold red", WatchLevel.WATCH.value: "bold yellow",
               WatchLevel.ROUTINE.value: ""}
SHOWN_BLOCKERS = 3
LETTER_ACTIONS = frozenset({"settle", "accept_group", "refuse", "carry", "incoming",
                            "print_sheet", "review", "addendum", "settle_refused"})
SEALED_COLUMNS = (N_("No."), N_("Shift"), N_("Outgoing"), N_("Incoming"), N_("Sealed"),
                  N_("Reviewed"), N_("Refused items"), N_("Addenda"))


def short_when(moment: datetime, now: datetime, zone: Any) -> str:
    """``14:05`` today, else ``11-29 09:11``: a time that fits a narrow column."""
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    return local.strftime("%H:%M") if local.date() == today else local.strftime("%m-%d %H:%M")


def _cut(text: str, cells: int) -> str:
    """One line of at most ``cells`` terminal cells (a Chinese character takes two)."""
    line = " ".join(text.split())
    if cell_len(line) <= cells:
        return line
    kept, used = [], 0
    for char in line:
        used += cell_len(char)
        if used > cells - 1:
            break
        kept.append(char)
    return "".join(kept) + "…"


class CountInput(TextInput):
    """What the incoming operator counted of one public item.

    Any text is taken as typed (``3.5``, ``-1``, ``三``) and the service refuses what is
    not a whole number with its reason; an integer-only field would have read ``3.5``
    as ``35`` and dropped ``三`` without a word. A count already there is selected on
    arrival, so a recount replaces it instead of adding digits to it.
    """

    def __init__(self, count: HandoverCount) -> None:
        super().__init__("" if count.counted is None else str(count.counted),
                         id=f"count-{count.id}", max_length=8, select_on_focus=True)
        self.count_id = count.id or 0


class HandoverScreen(DeskScreen):
    TITLE_TEXT = N_("Handover")
    BINDINGS = [
        Binding("ctrl+n", "start", N_("Start handover")),
        Binding("ctrl+s", "sign", N_("Sign")),
        Binding("i", "incoming", N_("Incoming")),
        Binding("e", "settle", N_("Settle")),
        Binding("a", "accept_group", N_("Accept group")),
        Binding("r", "refuse", N_("Refuse")),
        Binding("u", "carry", N_("Carry urgent")),
        Binding("U", "carry(True)", N_("Carry all urgent"), show=False),
        Binding("ctrl+e", "explain", N_("Explain count"), priority=True),
        Binding("p", "print_sheet", N_("Print")),
        Binding("v", "review", N_("Review day")),
        Binding("d", "addendum", N_("Addendum")),
        Binding("f", "settle_refused", N_("Refused items")),
    ]
    DEFAULT_CSS = """
    HandoverScreen #handover-head { height: auto; padding: 0 1; }
    HandoverScreen #handover-blockers { height: auto; padding: 0 1; color: $warning; }
    HandoverScreen #handover-items { height: 1fr; }
    HandoverScreen #handover-sealed { height: 1fr; }
    HandoverScreen #handover-detail { height: auto; max-height: 4; padding: 0 1;
        color: $text-muted; }
    HandoverScreen #counts-heading { height: 1; padding: 0 1; }
    HandoverScreen #handover-counts { layout: grid; grid-size: 4; grid-rows: 1;
        grid-gutter: 0 2; height: auto; padding: 0 1; }
    HandoverScreen #handover-counts.-narrow { grid-size: 3; }
    HandoverScreen .count-cell { height: 1; width: 1fr; }
    HandoverScreen .count-name { width: 1fr; }
    HandoverScreen .count-expected { width: 6; }
    HandoverScreen CountInput { width: 6; height: 1; border: none; padding: 0 1;
        background: $boost; }
    HandoverScreen CountInput:focus { background: $accent 30%; border: none; }
    HandoverScreen .count-mark { width: 2; }
    HandoverScreen #handover-status { height: 1; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.view: HandoverView | None = None
        self.sealed: list[SealedLine] = []
        self._taking: set[int] = set()
        """Items accepted whose write is still under way (the cursor has moved on)."""
        self._count_ids: tuple[int, ...] = ()
        self._counts_typed: set[int] = set()
        """Counts whose typed text is not in the database: written meanwhile, or refused.
        A reload after another count's write leaves their text as typed."""

    # --- composition ------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        yield Static("", id="handover-head")
        yield Static("", id="handover-blockers")
        table: DataTable[Any] = DataTable(id="handover-items", cursor_type="row",
                                          zebra_stripes=True)
        yield table
        sealed: DataTable[Any] = DataTable(id="handover-sealed", cursor_type="row",
                                           zebra_stripes=True)
        yield sealed
        yield Static("", id="handover-detail")
        yield Static("", id="counts-heading")
        yield Vertical(id="handover-counts")
        yield Static("", id="handover-status")

    def on_mount(self) -> None:
        self.reload()

    async def recompose(self) -> None:
        # F12: new widgets in the other language; the handover itself is in the database.
        self._count_ids = ()
        await super().recompose()
        self.reload()

    def _columns(self) -> None:
        """Headings in the language shown (the tables are new after F12's recompose)."""
        for table, columns in ((self.table, COLUMNS), (self.sealed_table, SEALED_COLUMNS)):
            if not table.columns:
                for column in columns:
                    table.add_column(_(column))

    @property
    def sealed_table(self) -> DataTable[Any]:
        return self.query_one("#handover-sealed", DataTable)

    @property
    def table(self) -> DataTable[Any]:
        return self.query_one("#handover-items", DataTable)

    def refresh_view(self) -> None:
        self.reload()

    # --- reading ----------------------------------------------------------------------

    def reload(self, *, cursor_on: int | None = None) -> None:
        self._columns()
        desk = self.desk_app.desk
        now = desk.clock.now()
        def read(session: Session) -> tuple[HandoverView | None, list[SealedLine]]:
            view = handovers.open_view(session, acting=Acting(desk.site_id), now=now,
                                       settings=desk.settings)
            past = [] if view else handovers.recent_sealed(session, acting=Acting(desk.site_id))
            return view, past

        answer = self.desk_app.read(read)
        if answer is None:
            return  # the database could not answer: keep what is shown (one line said why)
        keep = cursor_on if cursor_on is not None else self._item_id()
        before = self.view
        self.view, self.sealed = answer
        if (before is not None and self.view is not None
                and before.handover.id == self.view.handover.id
                and (before.handover.outgoing_signed_at or before.handover.incoming_signed_at)
                and not (self.view.handover.outgoing_signed_at
                         or self.view.handover.incoming_signed_at)):
            self._say(_("That change took back the signatures: both sign again."), error=True)
        self._show_head(now)
        self._fill_items(keep)
        self._fill_sealed()
        self._fill_counts()
        open_now = self.view is not None
        self.table.display = open_now
        self.sealed_table.display = not open_now
        if not isinstance(self.focused, Input):
            (self.table if open_now else self.sealed_table).focus()
        self.refresh_bindings()  # the footer shows the keys of an open or of no handover

    def _show_head(self, now: datetime) -> None:
        head = self.query_one("#handover-head", Static)
        blockers = self.query_one("#handover-blockers", Static)
        view = self.view
        if view is None:
            head.update(Text(_("No handover is open. ctrl+n starts the handover of this "
                               "shift, gathered from the ledgers. Below: the sealed ones (p "
                               "prints, v reviews the day, d adds an addendum, f settles "
                               "refused items)."), style="bold"))
            blockers.update("")
            return
        zone = self.desk_app.zone
        span = "{start}–{end}".format(
            start=view.shift_starts_at.astimezone(zone).strftime("%m-%d %H:%M"),
            end=view.shift_ends_at.astimezone(zone).strftime("%H:%M"))
        text = Text()
        text.append(_("Shift {span}").format(span=span), style="bold")
        text.append("  ·  " + _("Outgoing: {name}").format(name=view.outgoing_name))
        text.append("  ·  " + (_("Incoming: {name}").format(name=view.incoming_name)
                               if view.incoming_name else _("Incoming: not named (i)")))
        signed = view.handover
        marks = []
        if signed.outgoing_signed_at:
            marks.append(_("outgoing signed {time}").format(
                time=format_when(signed.outgoing_signed_at, now, zone)))
        if signed.incoming_signed_at:
            marks.append(_("incoming signed {time}").format(
                time=format_when(signed.incoming_signed_at, now, zone)))
        if marks:
            text.append("  ·  " + ", ".join(marks), style="green")
        head.update(text)
        if not view.blockers:
            blockers.update(Text("✓ " + _("Nothing stops the seal: ctrl+s to sign."),
                                 style="bold green"))
            return
        lines = Text()
        shown = SHOWN_BLOCKERS if self.size.height >= 30 else 1
        for blocker in view.blockers[:shown]:
            lines.append("✗ " + blocker.message + "\n")
        extra = len(view.blockers) - shown
        if extra > 0:
            lines.append(_("… and {count} more before the seal.").format(count=extra))
        lines.rstrip()
        blockers.update(lines)

    def _fill_items(self, keep: int | None) -> None:
        table = self.table
        table.clear()
        view = self.view
        if view is None:
            self._show_detail()
            return
        zone, now = self.desk_app.zone, self.desk_app.desk.clock.now()
        for item in view.items:
            table.add_row(*self._cells(item, view, zone, now), key=str(item.id))
        if keep is not None:
            self._select(keep)
        self._show_detail()

    @on(DataTable.RowHighlighted, "#handover-items")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """The item under the cursor as its ledger knows it: since when, the last step,
        the next action and the contingency in full."""
        detail = self.query_one("#handover-detail", Static)
        item = self._item()
        if item is None:
            detail.update("")
            return
        zone, now = self.desk_app.zone, self.desk_app.desk.clock.now()
        parts = [_("since {time}").format(time=format_when(item.since, now, zone))]
        if item.last_step:
            parts.append(_("last step: {step}").format(
                step=assembly.step_label(item.last_step)))
        if item.deadline:
            parts.append(_("deadline {time}").format(time=format_when(item.deadline, now, zone)))
        text = Text(f"{item.reference or item.unit_code} · " + " · ".join(parts))
        if item.contingency:
            text.append("\n" + _("If: {contingency}").format(contingency=item.contingency))
        if item.refusal_reason:
            text.append("\n" + _("Refused: {reason}").format(reason=item.refusal_reason),
                        style="red")
        if item.carried_by_id:
            text.append("\n" + _("S: carried by a supervisor: {reason}").format(
                reason=item.carry_reason), style="yellow")
        detail.update(text)

    def _cells(self, item: HandoverItem, view: HandoverView, zone: Any, now: datetime
               ) -> list[Any]:
        """One row, 120 cells wide at most: the item under the cursor is shown whole in
        the line below the table (``_show_detail``)."""
        level = WatchLevel(item.level)
        taken = {ItemDecision.PENDING.value: Text(""),
                 ItemDecision.ACCEPTED.value: Text("✓", style="green"),
                 ItemDecision.REFUSED.value: Text("✗", style="red")}[item.decision]
        if item.carried_by_id:
            taken.append(" S", style="yellow")
        return [
            Text(assembly.level_label(level), style=LEVEL_STYLE[item.level]),
            _cut(view.group_titles.get(item.group, item.group), 12),
            item.reference, item.unit_code, _cut(item.what, 20),
            short_when(item.next_at, now, zone) if item.next_at else "",
            _cut(handovers.next_action_of(item, view.group_actions), 12),
            _cut(item.contingency, 14), taken,
        ]

    def _fill_counts(self) -> None:
        """The public items: built once per handover, then updated in place, so the
        cursor stays in the count being typed."""
        box = self.query_one("#handover-counts", Vertical)
        box.set_class(self.size.width < 100, "-narrow")
        view = self.view
        self.query_one("#counts-heading", Static).update(
            Text(_("Public items counted / expected: type the count, Enter for the next; "
                   "ctrl+e explains a difference"), style="bold") if view else "")
        ids = tuple(count.id or 0 for count in view.counts) if view else ()
        if ids != self._count_ids:
            self._count_ids = ids
            box.remove_children()
            if view is None:
                return
            box.mount_all([
                Horizontal(
                    Label(count.name, classes="count-name"),
                    CountInput(count),
                    Label(f"/{count.expected}", classes="count-expected"),
                    Label("", classes="count-mark", id=f"count-note-{count.id}"),
                    classes="count-cell",
                )
                for count in view.counts
            ])
            self.call_after_refresh(self._show_counts)
        else:
            self._show_counts()

    def on_resize(self) -> None:
        self.query_one("#handover-counts", Vertical).set_class(self.size.width < 100,
                                                                "-narrow")
        self._show_head(self.desk_app.desk.clock.now())  # fewer blocker lines when short

    def _show_counts(self) -> None:
        view = self.view
        if view is None:
            return
        for count in view.counts:
            differs = count.counted is not None and count.counted != count.expected
            mark = Text("✎", style="green") if count.explanation else (
                Text("!", style="bold yellow") if differs else
                Text("✓", style="green") if count.counted is not None else Text(""))
            for label in self.query(f"#count-note-{count.id}").results(Label):
                label.update(mark)
            for field in self.query(f"#count-{count.id}").results(CountInput):
                if field.has_focus or count.id in self._counts_typed:
                    continue  # being typed, written or refused: the operator's text stays
                field.value = "" if count.counted is None else str(count.counted)

    def _item_id(self) -> int | None:
        """The item under the cursor (the rows are ``view.items`` in order)."""
        table = self.table
        if self.view is None or not 0 <= table.cursor_row < len(self.view.items):
            return None
        return self.view.items[table.cursor_row].id

    def _item(self) -> HandoverItem | None:
        item_id = self._item_id()
        if self.view is None or item_id is None:
            return None
        return next((item for item in self.view.items if item.id == item_id), None)

    def _select(self, item_id: int) -> None:
        if self.view is None:
            return
        for index, item in enumerate(self.view.items):
            if item.id == item_id:
                self.table.move_cursor(row=index)
                return

    def _say(self, text: str, *, error: bool = False) -> None:
        self.query_one("#handover-status", Static).update(
            Text(("✗ " if error else "✓ ") + text, style="red" if error else "green"))

    def _refused(self, error: DeskError) -> None:
        self.app.bell()
        self._say(error.message, error=True)

    def _fill_sealed(self) -> None:
        table = self.sealed_table
        keep = self._sealed_id()
        table.clear()
        zone, now = self.desk_app.zone, self.desk_app.desk.clock.now()
        for line in self.sealed:
            span = "{start}–{end}".format(
                start=line.shift_starts_at.astimezone(zone).strftime("%m-%d %H:%M"),
                end=line.shift_ends_at.astimezone(zone).strftime("%H:%M"))
            reviewed = (_("{name} {time}").format(
                name=line.reviewer_name, time=format_when(line.reviewed_at, now, zone))
                if line.reviewed_at else Text(_("not reviewed yet"), style="yellow"))
            table.add_row(
                str(line.id), span, line.outgoing_name, line.incoming_name,
                format_when(line.sealed_at, now, zone) if line.sealed_at else "", reviewed,
                Text(str(line.refused_waiting), style="bold red") if line.refused_waiting
                else "", str(line.addenda) if line.addenda else "",
                key=str(line.id))
        if keep is not None:
            for index, line in enumerate(self.sealed):
                if line.id == keep:
                    table.move_cursor(row=index)

    def _sealed_id(self) -> int | None:
        row = self.sealed_table.cursor_row
        return self.sealed[row].id if 0 <= row < len(self.sealed) else None

    # --- database work ----------------------------------------------------------------

    def _write(self, call: Callable[[Session], Any], done: Callable[[Any], object],
               name: str = "save", failed: Callable[[DeskError], object] | None = None
               ) -> None:
        engine = self.desk_app.desk.engine

        def work() -> Any:
            with transaction(engine) as session:
                return call(session)

        self.run_db(work, done, failed=failed or self._refused, name=name)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        open_only = {"settle", "accept_group", "refuse", "carry", "incoming", "explain", "sign"}
        if action in open_only and self.view is None:
            return False
        if action in {"review", "addendum", "settle_refused"} and self.view is not None:
            return False
        if action in LETTER_ACTIONS and isinstance(self.focused, Input):
            return False  # a letter typed in a count is typing, never a command
        return not (action == "start" and self.view is not None)

    def action_start(self) -> None:
        desk, actor = self.desk_app.desk, self.desk_app.operator
        if actor is None:
            return
        now = desk.clock.now()
        self._say(_("Gathering the desk's open business…"))
        self._write(lambda session: handovers.start(
            session, acting=Acting(desk.site_id, actor), now=now, settings=desk.settings),
            lambda _handover: self._started())

    def _started(self) -> None:
        self._say(_("Handover started: settle each item (e), then the incoming operator "
                    "takes them over."))
        self.reload()
        self.table.move_cursor(row=0)
        self.table.focus()

    def _after(self, message: str, *, cursor_on: int | None = None) -> None:
        self._say(message)
        self.reload(cursor_on=cursor_on)

    def _then(self, message: str, *, cursor_on: int | None = None
              ) -> Callable[[bool | None], None]:
        """What a step's dialog does when it closes: saved, say so and show it."""
        def closed(saved: bool | None) -> None:
            if saved:
                self._after(message, cursor_on=cursor_on)
        return closed

    # --- the outgoing operator ----------------------------------------------------------

    def _outgoing_here(self) -> bool:
        """Whether the operator signed in here hands over (the service's rule, asked
        before a form is typed into, not after)."""
        assert self.view is not None
        if handovers.is_outgoing(self.view.handover, self.desk_app.operator):
            return True
        self._say(_("Only the outgoing operator does this.") + " " + _(
            "Sign in as {name} (ctrl+l).").format(name=self.view.outgoing_name), error=True)
        return False

    def _supervisor_here(self) -> bool:
        if handovers.is_supervisor(self.desk_app.operator):
            return True
        self._say(_("Only a supervisor or a manager does this."), error=True)
        return False

    def action_settle(self) -> None:
        if self.view is not None and not self._outgoing_here():
            return
        item = self._item()
        view = self.view
        if item is None or view is None:
            return
        desk, actor = self.desk_app.desk, self.desk_app.operator
        zone = self.desk_app.zone
        levels = [(level.value, assembly.level_label(level)) for level in WatchLevel]
        next_at = item.next_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if item.next_at \
            else ""
        handover_id, item_id = view.handover.id or 0, item.id or 0

        def run(values: Values) -> str | None:
            assert actor is not None
            now = desk.clock.now()
            when = parse_local_time(str(values["next_at"]), now=now, zone=zone,
                                    field="next_at")
            with transaction(desk.engine) as session:
                handovers.settle_item(
                    session, acting=Acting(desk.site_id, actor), handover_id=handover_id,
                    item_id=item_id,
                    now=now, level=str(values["level"]),
                    next_action=str(values["next_action"]), next_at=when,
                    contingency=str(values["contingency"]))
            return None

        form = StepForm(
            title=_("{record} · {what}").format(record=item.reference or item.unit_code,
                                                 what=_cut(item.what, 40)),
            intro=_("Watch and urgent items need a contingency: if this happens, do that."),
            fields=[
                FieldSpec("level", _("Watch level"), "choice", levels, item.level),
                FieldSpec("next_action", _("Next action"),
                          value=handovers.next_action_of(item, view.group_actions)),
                FieldSpec("next_at", _("By (14:30, 11-24 09:00)"), value=next_at),
                FieldSpec("contingency", _("Contingency"), "area", value=item.contingency),
            ],
            run=run, focus="contingency",
        )
        self.app.push_screen(StepModal(form), lambda saved: self._settled(saved, item_id))

    def _settled(self, saved: bool | None, item_id: int) -> None:
        if not saved:
            return
        self.reload(cursor_on=item_id)
        # On to the next item that still needs its contingency, if any.
        view = self.view
        if view is not None:
            waiting = [item for item in view.items
                       if item.level != WatchLevel.ROUTINE.value and not item.contingency]
            if waiting:
                self._select(waiting[0].id or 0)
        self._say(_("Item settled."))

    def action_explain(self) -> None:
        if self.view is not None and not self._outgoing_here():
            return
        view = self.view
        focused = self.focused
        if view is None:
            return
        count = next((c for c in view.counts if isinstance(focused, CountInput)
                      and c.id == focused.count_id), None)
        if count is None:
            count = next((c for c in view.counts if c.counted is not None
                          and c.counted != c.expected and not c.explanation), None)
        if count is None:
            self._say(_("No count differs: nothing to explain."))
            return
        desk, actor = self.desk_app.desk, self.desk_app.operator
        handover_id, count_id = view.handover.id or 0, count.id or 0

        def run(values: Values) -> str | None:
            assert actor is not None
            with transaction(desk.engine) as session:
                handovers.explain(session, acting=Acting(desk.site_id, actor),
                                  handover_id=handover_id,
                                  count_id=count_id, explanation=str(values["explanation"]),
                                  now=desk.clock.now())
            return None

        form = StepForm(
            title=_("{name}: counted {counted}, expected {expected}").format(
                name=count.name, counted=count.counted, expected=count.expected),
            intro=_("The outgoing operator explains the difference; it is on the sheet."),
            fields=[FieldSpec("explanation", _("Explanation"), "area",
                              value=count.explanation)],
            run=run,
        )
        self.app.push_screen(StepModal(form), self._then(
            _("Explanation kept.")))

    # --- the incoming operator ----------------------------------------------------------

    def action_incoming(self) -> None:
        view = self.view
        if view is None:
            return
        desk, actor = self.desk_app.desk, self.desk_app.operator
        now = desk.clock.now()
        people = self.desk_app.read(lambda session: [
            (operator.login, operator.display_name) for operator in handovers.candidates(
                session, acting=Acting(desk.site_id), handover=view.handover, now=now)]) or []
        if not people:
            self._say(_("Nobody else can take over: add or unlock an operator."), error=True)
            return
        handover_id = view.handover.id or 0
        chosen = next((login for login, _name in people
                       if view.incoming_name and _name == view.incoming_name), people[0][0])

        def run(values: Values) -> str | None:
            assert actor is not None
            with transaction(desk.engine) as session:
                handovers.name_incoming(session, acting=Acting(desk.site_id, actor),
                                        handover_id=handover_id,
                                        login=str(values["incoming"]),
                                        now=desk.clock.now())
            return None

        form = StepForm(
            title=_("Who takes over?"),
            fields=[FieldSpec("incoming", _("Incoming operator"), "choice", people[:9],
                              chosen)],
            run=run,
            intro=_("Press the person's number, then Enter."),
            enter_confirms=True,
        )
        first_waiting = next((item.id for item in view.items
                              if item.decision == ItemDecision.PENDING.value), None)
        self.app.push_screen(StepModal(form), self._then(
            _("Incoming operator named: Enter takes each item over, a accepts the routine "
              "items of a group."), cursor_on=first_waiting))

    def _accept_item(self, item: HandoverItem) -> None:
        """Enter: accepted for the incoming operator. The cursor moves on at once, before
        the write is done, so the next Enter of a quick run takes the next item."""
        view = self.view
        assert view is not None
        desk = self.desk_app.desk
        handover_id, item_id = view.handover.id or 0, item.id or 0
        if item_id in self._taking:
            return
        self._taking.add(item_id)
        following = self._next_pending(after=item_id)
        if following is not None:
            self._select(following)
        self._write(lambda session: handovers.take_item(
            session, acting=Acting(desk.site_id), handover_id=handover_id, item_id=item_id,
            accept=True, now=desk.clock.now()),
            lambda _item: self._taken([item_id], _("Accepted.")),
            name=f"take-{item_id}", failed=lambda error: self._not_taken([item_id], error))

    def _taken(self, item_ids: list[int], message: str) -> None:
        self._taking.difference_update(item_ids)
        self._after(message)

    def _not_taken(self, item_ids: list[int], error: DeskError) -> None:
        self._taking.difference_update(item_ids)
        self._refused(error)
        self.reload()

    def _next_pending(self, *, after: int) -> int | None:
        """The next item still waiting for the incoming operator, after ``after`` (items
        being written now are not waiting)."""
        view = self.view
        if view is None:
            return None
        ids = [item.id for item in view.items]
        start = ids.index(after) + 1 if after in ids else 0
        for item in view.items[start:] + view.items[:start]:
            if (item.decision == ItemDecision.PENDING.value and item.id != after
                    and item.id not in self._taking):
                return item.id
        return None

    @on(DataTable.RowSelected, "#handover-items")
    def _accept(self, event: DataTable.RowSelected) -> None:
        event.stop()
        item = self._item()
        if item is not None and self.view is not None:
            self._accept_item(item)

    def action_accept_group(self) -> None:
        item = self._item()
        view = self.view
        if item is None or view is None:
            return
        desk = self.desk_app.desk
        handover_id, group = view.handover.id or 0, item.group
        routine = [other.id or 0 for other in view.items
                   if other.group == group and other.level == WatchLevel.ROUTINE.value
                   and other.decision == ItemDecision.PENDING.value]
        self._taking.update(routine)
        later = self._next_pending(after=item.id or 0)
        if later is not None:
            self._select(later)
        self._write(lambda session: handovers.accept_routine(
            session, acting=Acting(desk.site_id), handover_id=handover_id, group=group,
            now=desk.clock.now()),
            lambda accepted: self._taken(routine, _(
                "{count} routine item(s) of {group} accepted.").format(
                    count=accepted, group=view.group_titles.get(group, group))),
            name=f"take-group-{group}", failed=lambda error: self._not_taken(routine, error))

    def action_refuse(self) -> None:
        item = self._item()
        if item is None:
            return

        view = self.view
        assert view is not None
        desk = self.desk_app.desk
        handover_id, item_id = view.handover.id or 0, item.id or 0
        following = self._next_pending(after=item_id)

        def run(values: Values) -> str | None:
            with transaction(desk.engine) as session:
                handovers.take_item(session, acting=Acting(desk.site_id), handover_id=handover_id,
                                    item_id=item_id, accept=False, reason=str(values["reason"]),
                                    now=desk.clock.now())
            return None

        form = StepForm(title=_("Refuse {record}").format(record=item.reference or item.what),
                        intro=_("A refused item goes to the supervisor's list."),
                        fields=[FieldSpec("reason", _("Why you do not take it over"))],
                        run=run, enter_confirms=True)
        self.app.push_screen(StepModal(form), self._then(
            _("Refused: it goes to the supervisor's list."), cursor_on=following))

    def action_carry(self, every: bool = False) -> None:
        """``u``: a supervisor carries the urgent item under the cursor; ``U``: every
        urgent item not done yet, with one reason and one PIN."""
        item = self._item()
        view = self.view
        if item is None or view is None:
            return
        if not every and not handovers.may_carry(item):
            self._say(_("Only an urgent item is carried by a supervisor."), error=True)
            return
        desk = self.desk_app.desk
        handover_id, item_id = view.handover.id or 0, item.id or 0
        now = desk.clock.now()
        people = self.desk_app.read(lambda session: [
            (operator.login, operator.display_name)
            for operator in handovers.supervisors(session, acting=Acting(desk.site_id),
                                                  now=now)]) or []
        if not people:
            self._say(_("No supervisor can sign in to carry it: finish the item first."),
                      error=True)
            return

        def run(values: Values) -> str | None:
            fields: dict[str, Any] = {
                "acting": Acting(desk.site_id), "handover_id": handover_id,
                "login": str(values["login"]), "pin": str(values["pin"]),
                "reason": str(values["carry_reason"]), "now": desk.clock.now(),
                "settings": desk.settings}
            with transaction(desk.engine) as session:
                if not every:
                    handovers.carry_urgent(session, item_id=item_id, **fields)
                    return None
                carried = handovers.carry_all_urgent(session, **fields)
            return _("{count} urgent item(s) carried by the supervisor.").format(count=carried)

        title = (_("A supervisor carries every urgent item not done") if every
                 else _("A supervisor carries {record}").format(record=item.reference))
        intro = (_("One reason and one PIN for each urgent item still open in its ledger; "
                   "each item keeps them.") if every else
                 _("The item is urgent and not done. A supervisor may accept carrying it "
                   "into the next shift, with a reason and their PIN."))
        form = StepForm(
            title=title, intro=intro,
            fields=[FieldSpec("carry_reason", _("Reason")),
                    FieldSpec("login", _("Supervisor"), "choice", people[:9], people[0][0]),
                    FieldSpec("pin", _("The supervisor's PIN"), "secret")],
            run=run, enter_confirms=True,
        )
        self.app.push_screen(StepModal(form), self._then(
            _("Carried by the supervisor."), cursor_on=item_id))

    @on(Input.Submitted, "CountInput")
    def _counted(self, event: Input.Submitted) -> None:
        event.stop()
        field = event.input
        assert isinstance(field, CountInput)
        view = self.view
        if view is None:
            return
        desk = self.desk_app.desk
        handover_id, count_id, typed = view.handover.id or 0, field.count_id, field.value
        inputs = list(self.query(CountInput))
        index = inputs.index(field)
        following = inputs[index + 1].count_id if index + 1 < len(inputs) else None
        def refused(error: DeskError) -> None:
            # Back to the count that was refused, with what was typed, and why.
            self._refused(error)
            field.focus()

        self._counts_typed.add(count_id)
        self._write_count(lambda session: handovers.count(
            session, acting=Acting(desk.site_id), handover_id=handover_id, count_id=count_id,
            counted=typed, now=desk.clock.now()), refused, count_id=count_id)
        # On to the next count at once: the next digits typed belong to it.
        if following is not None:
            self.query_one(f"#count-{following}", CountInput).focus()
        else:
            self.table.focus()

    def _write_count(self, call: Callable[[Session], Any],
                     refused: Callable[[DeskError], None], *, count_id: int) -> None:
        engine = self.desk_app.desk.engine

        def work() -> Any:
            with transaction(engine) as session:
                return call(session)

        # Counts are typed one after another, faster than each is written: a write of
        # its own per public item, so the next count is not refused as "still working".
        self.run_db(work, lambda _count: self._count_taken(count_id), failed=refused,
                    name=f"count-{count_id}")

    def _count_taken(self, count_id: int) -> None:
        self._counts_typed.discard(count_id)
        self._say(_("Counted."))
        self.reload()

    # --- signing ----------------------------------------------------------------------

    def action_sign(self) -> None:
        """Both PINs in one dialog, outgoing then incoming: each person types their own,
        and a burst of both lands in the right fields (a second dialog opened later would
        have lost the keys typed before it appeared)."""
        view = self.view
        if view is None:
            return
        if view.blockers:
            self._say(_("Not ready to sign: {reason}").format(
                reason=view.blockers[0].message), error=True)
            return
        desk = self.desk_app.desk
        handover_id = view.handover.id or 0
        sides = [side for side, signed in ((Side.OUTGOING, view.handover.outgoing_signed_at),
                                           (Side.INCOMING, view.handover.incoming_signed_at))
                 if not signed]
        logins = self.desk_app.read(lambda session: {side: handovers.signer_login(
            session, acting=Acting(desk.site_id), handover_id=handover_id, side=side)
            for side in sides})
        if logins is None:
            return
        names = {Side.OUTGOING: view.outgoing_name, Side.INCOMING: view.incoming_name}

        def run(values: Values) -> str | None:
            with transaction(desk.engine) as session:
                for side in sides:
                    try:
                        handovers.sign(session, acting=Acting(desk.site_id),
                                       handover_id=handover_id,
                                       side=side, login=logins[side],
                                       pin=str(values[f"pin_{side}"]), now=desk.clock.now(),
                                       settings=desk.settings)
                    except DeskError as error:  # beside the PIN that was wrong
                        raise type(error)(error.message, field=f"pin_{side}") from error
            return None

        labels = {Side.OUTGOING: _("Outgoing {name}: PIN"),
                  Side.INCOMING: _("Incoming {name}: PIN")}
        form = StepForm(
            title=_("Both operators sign"),
            intro=_("Each types their own PIN; with both the handover is sealed and "
                    "read-only."),
            fields=[FieldSpec(f"pin_{side}", labels[side].format(name=names[side]), "secret")
                    for side in sides],
            run=run, enter_confirms=True)
        self.app.push_screen(StepModal(form), self._signed)

    def _signed(self, saved: bool | None) -> None:
        if saved:
            self._say(_("Handover sealed. Both signatures are in the audit trail."))
        self.reload()

    # --- printing and what comes after the seal ---------------------------------------

    def action_print_sheet(self, replace_missing: bool = False) -> None:
        """The open handover's sheet (a draft), or the sealed one under the cursor."""
        handover_id = (self.view.handover.id if self.view is not None else self._sealed_id())
        if handover_id is None:
            self._say(_("Nothing to print yet."), error=True)
            return
        app = self.desk_app
        desk, zone, now = app.desk, app.zone, app.desk.clock.now()
        printed_by = app.operator.display_name if app.operator else ""
        folder = desk.settings.data_dir / "prints"

        def build_and_save() -> tuple[Path, Path]:
            with reading(desk.engine) as session:
                doc = sheet.handover_document(session, acting=Acting(desk.site_id),
                                              handover_id=handover_id, settings=desk.settings,
                                              now=now, printed_by=printed_by)
            try:
                return sheet.save_sheet(doc, folder=folder, handover_id=handover_id, now=now,
                                        zone=zone, replace_missing=replace_missing)
            except OSError as error:
                raise StorageError(_("Could not save the sheet: {reason}").format(
                    reason=error)) from error

        def refused(error: DeskError) -> None:
            if isinstance(error, InvalidInput) and not replace_missing:
                def answered(yes: bool | None) -> None:
                    if yes:
                        self.action_print_sheet(replace_missing=True)

                self.app.push_screen(ConfirmModal(_("{reason} Print it with 〓 in its place?")
                                                  .format(reason=error.message)), answered)
                return
            self._refused(error)

        self._say(_("Printing the handover sheet…"))
        self.run_db(build_and_save, self._printed, failed=refused, name="print")

    def _printed(self, files: tuple[Path, Path]) -> None:
        pdf_path, text_path = files
        message = _("Sheet saved: {pdf} and {text}").format(pdf=pdf_path, text=text_path)
        self._say(message)
        self.notify(message, title=_("Printed"), timeout=10)

    def action_review(self) -> None:
        if not self._supervisor_here():
            return
        line = next((line for line in self.sealed if line.id == self._sealed_id()), None)
        if line is None or line.sealed_at is None:
            return
        desk, actor = self.desk_app.desk, self.desk_app.operator
        day = handovers.local_day(line.sealed_at, desk.settings)

        def run(values: Values) -> str | None:
            assert actor is not None
            with transaction(desk.engine) as session:
                signed = handovers.review_day(session, acting=Acting(desk.site_id, actor), day=day,
                                              remarks=str(values["remarks"]),
                                              now=desk.clock.now(), settings=desk.settings)
            return _("{count} handover(s) of {day} reviewed.").format(count=signed,
                                                                      day=day.isoformat())

        form = StepForm(title=_("Review the handovers of {day}").format(day=day.isoformat()),
                        intro=_("The supervisor signs every sealed handover of the day "
                                "not reviewed yet, with remarks."),
                        fields=[FieldSpec("remarks", _("Remarks"), "area")], run=run)
        self.app.push_screen(StepModal(form), self._then(_("Reviewed.")))

    def action_addendum(self) -> None:
        handover_id = self._sealed_id()
        if handover_id is None:
            return
        desk, actor = self.desk_app.desk, self.desk_app.operator

        def run(values: Values) -> str | None:
            assert actor is not None
            with transaction(desk.engine) as session:
                handovers.add_addendum(session, acting=Acting(desk.site_id, actor),
                                       handover_id=handover_id,
                                       text=str(values["text"]),
                                       now=desk.clock.now())
            return None

        form = StepForm(title=_("Addendum to handover {number}").format(number=handover_id),
                        intro=_("The sealed handover stays as it was signed; the addendum is "
                                "kept beside it with your name and the time."),
                        fields=[FieldSpec("text", _("Addendum"), "area")], run=run)
        self.app.push_screen(StepModal(form), self._then(_("Addendum kept.")))

    def action_settle_refused(self) -> None:
        if not self._supervisor_here():
            return
        desk = self.desk_app.desk
        waiting = self.desk_app.read(lambda session: handovers.refused_waiting(
            session, acting=Acting(desk.site_id))) or []
        if not waiting:
            self._say(_("No refused item waits for the supervisor."))
            return
        entries = [MenuEntry(str(refused.item.id), " · ".join(part for part in (
            refused.item.reference, refused.item.unit_code, _cut(refused.item.what, 24))
            if part), hint=_cut(refused.item.refusal_reason, 30)) for refused in waiting]

        def chosen(key: str | None) -> None:
            if key is not None:
                self._settle_one(int(key))

        self.app.push_screen(StepMenu(_("Refused items waiting for the supervisor"), entries),
                             chosen)

    def _settle_one(self, item_id: int) -> None:
        desk, actor = self.desk_app.desk, self.desk_app.operator

        def run(values: Values) -> str | None:
            assert actor is not None
            with transaction(desk.engine) as session:
                handovers.settle_refused(session, acting=Acting(desk.site_id, actor),
                                         item_id=item_id,
                                         note=str(values["note"]),
                                         now=desk.clock.now())
            return None

        form = StepForm(title=_("Settle the refused item"),
                        intro=_("Say what was done about it (who follows it up now)."),
                        fields=[FieldSpec("note", _("What was done about it"), "area")], run=run)
        self.app.push_screen(StepModal(form), self._then(_("Refused item settled.")))
