"""Release slips (F6, 物品放行条): the desk's lists, the slip in full, and its next step.

Enter on a slip opens what comes next, as the service says (``slips.next_step``):
the owner's confirmation, what a moving-out unit still has at the desk, the fees,
the issue (with a supervisor's override when a rule is broken), the amendment of a
slip sent back from the gate, filing a released slip, a repair's items back. The
keys in the footer are the service's ``desk_actions`` for the slip under the cursor.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from deskapp.db import reading, transaction
from deskapp.errors import DeskError
from deskapp.formatting import desk_zone
from deskapp.i18n import N_, _
from deskapp.models.release import ConfirmationKind, ReleaseSlip, SlipStatus
from deskapp.screens.base import DeskScreen
from deskapp.screens.custody.ledger_forms import LedgerDesk, done, flagged, lines
from deskapp.screens.release import slip_forms
from deskapp.services import directory
from deskapp.services.acting import Acting
from deskapp.services.custody.lists import Page
from deskapp.services.release import moving_out, reconciliation, slips
from deskapp.services.release.slips import SlipRow
from deskapp.widgets.confirm import ConfirmModal

if TYPE_CHECKING:
    from sqlmodel import Session

    from deskapp.desk import Desk

DESK, TODAY, NOT_FILED, UNUSED, OVERDUE, ALL = (
    slips.SlipList.AT_DESK.value, slips.SlipList.ISSUED_TODAY.value,
    slips.SlipList.NOT_FILED.value, slips.SlipList.UNUSED.value, slips.SlipList.OVERDUE.value,
    slips.SlipList.ALL.value)
WEEK = "week"
"""The week's reconciliation: its own rows (``slips.week_page``), not a ``SlipList``."""
# The binding of each desk action; the footer shows those the slip allows.
_ACTION_STEP = {"new_slip": None, "amend": slips.AMEND, "void": slips.VOID,
                "print": slips.PRINT, "items_back": slips.RETURNED}


class SlipsDesk(LedgerDesk):
    VIEWS = ((DESK, N_("To do at the desk")), (TODAY, N_("Issued today")),
             (NOT_FILED, N_("Not filed")), (UNUSED, N_("Unused")),
             (OVERDUE, N_("Repairs overdue")), (WEEK, N_("This week")), (ALL, N_("All")))
    DEFAULT_CSS = """
    SlipsDesk .desk-record { width: 46; max-width: 45%; }
    """
    BINDINGS = [
        Binding("ctrl+n", "new_slip", N_("New slip")),
        Binding("ctrl+e", "amend", N_("Amend")),
        Binding("ctrl+r", "print", N_("Print")),
        Binding("ctrl+d", "void", N_("Void")),
        Binding("ctrl+b", "items_back", N_("Items back")),
        Binding("ctrl+w", "week_csv", N_("Week as CSV")),
    ]
    _week_filed = 0
    """How many of the week's released slips are filed (the week view's status line)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "week_csv":
            return self.view == WEEK
        if action not in _ACTION_STEP or action == "new_slip":
            return True
        slip = self._current_slip()
        return slip is not None and _ACTION_STEP[action] in slips.desk_actions(slip)

    def _current_slip(self) -> SlipRow | None:
        if not self.is_mounted:
            return None
        row = self.table.current_row()
        return row if isinstance(row, SlipRow) else None

    def on_key(self, event: Any) -> None:
        """1–7 on the list choose its view, as on the bar above it."""
        character = event.character or ""
        if self.table.has_focus and character.isdigit() and \
                1 <= int(character) <= len(self.VIEWS):
            event.stop()
            event.prevent_default()
            self.choose_view(self.VIEWS[int(character) - 1][0])

    # --- the list ---------------------------------------------------------------------------

    def columns(self) -> list[str]:
        if self.view == WEEK:
            return [_("Code"), _("Unit"), _("Released"), _("Filed")]
        return [_("Code"), _("Status"), _("Unit"), _("Leaves"), _("Applicant"), _("Reason")]

    def cells(self, row: Any) -> Sequence[Any]:
        zone = desk_zone(self.desk_app.desk.settings.timezone)
        if isinstance(row, _WeekRow):
            return [Text(row.code, style="bold"), row.unit,
                    row.released_at.astimezone(zone).strftime("%m-%d %H:%M"),
                    done(_("filed")) if row.filed else flagged(_("not filed"))]
        status = slips.status_label(row.status)
        cell = Text(status)
        if row.status == SlipStatus.SENT_BACK.value:
            cell = flagged(status)
        elif row.status in (SlipStatus.ISSUED.value, SlipStatus.FILED.value):
            cell = done(status)
        code = row.code + (f" r{row.revision}" if row.revision > 1 else "")
        return [Text(code, style="bold"), cell, row.unit,
                row.planned_at.astimezone(zone).strftime("%m-%d %H:%M"), row.applicant,
                slips.reason_label(row.reason)]

    def fetch(self, session: Session, *, desk: Desk, now: datetime, offset: int,
              limit: int) -> Page[Any]:
        site, settings = desk.site_id, desk.settings
        if self.view != WEEK:
            return slips.desk_list(session, acting=Acting(site), view=self.view, now=now,
                                   settings=settings, offset=offset, limit=limit)
        today = now.astimezone(desk_zone(settings.timezone)).date()
        week = slips.week_page(session, acting=Acting(site),
                               week_start=reconciliation.week_of(today),
                               settings=settings, offset=offset, limit=limit)
        self._week_filed = week.filed
        return Page(rows=[_WeekRow(row.slip_id, row.code, row.unit, row.released_at, row.filed)
                          for row in week.rows],
                    total=week.total, offset=week.offset, limit=week.limit)

    def show_status(self) -> None:
        if self.view != WEEK:
            super().show_status()
            return
        released, filed = self.table.paging.total, self._week_filed
        self.query_one(f"#{self.id}-status", Static).update(
            _("This week: {released} released, {filed} filed, {missing} not filed.").format(
                released=released, filed=filed, missing=released - filed))

    # --- the slip in full -------------------------------------------------------------------

    def record_text(self, session: Session, *, desk: Desk, now: datetime,
                    record_id: int) -> Text:
        return slip_text(session, desk=desk, now=now, slip_id=record_id)

    def view_of(self, record_id: int) -> str:
        desk = self.desk_app.desk
        slip = self.desk_app.read(
            lambda session: slips.get_slip(session, acting=Acting(desk.site_id), slip_id=record_id))
        if slip is None:
            return self.view
        if slip.status in (SlipStatus.DRAFT.value, SlipStatus.SENT_BACK.value):
            return DESK
        if slip.status == SlipStatus.RELEASED.value:
            return NOT_FILED
        return ALL

    # --- the next step ----------------------------------------------------------------------

    def next_step(self, record_id: int) -> None:
        desk = self.desk_app.desk
        now = desk.clock.now()
        try:
            with reading(desk.engine) as session:
                slip = slips.get_slip(session, acting=Acting(desk.site_id), slip_id=record_id)
                step = slips.next_step(session, acting=Acting(desk.site_id), slip_id=record_id,
                                       settings=desk.settings, now=now)
                about = slip_about(session, slip, desk)
                form = self._form_for(session, desk, now, slip, step, about)
        except DeskError as error:
            self.desk_app.show_failure(error)
            return
        code = slip.code or ""
        if form is not None:
            self.app.push_screen(form, self._after(form))
        elif step == slips.FILE:
            self._ask(_("File slip {code}: the guard's copy is back at the desk?").format(
                code=code), lambda session: slips.file(
                    session, acting=Acting(desk.site_id, self.desk_app.operator), slip_id=record_id,
                    now=desk.clock.now()), _("Filed {code}.").format(code=code))
        elif step == slips.RETURNED:
            self.items_back(record_id, code)
        elif slip.status == SlipStatus.ISSUED.value:
            self.app.notify(_("Slip {code} is issued: it waits for the guard at the gate.")
                            .format(code=code))
        else:
            self.app.notify(_("Slip {code} is {status}: nothing more to do.").format(
                code=code, status=slips.status_label(slip.status)))

    def _form_for(self, session: Session, desk: Desk, now: datetime, slip: ReleaseSlip,
                  step: str, about: str) -> slip_forms.LedgerForm | None:
        slip_id = slip.id or 0
        if step == slips.CONFIRM:
            return slip_forms.ConfirmationForm(
                slip_id, about, slips.offered_numbers(session, acting=Acting(desk.site_id),
                                                      slip_id=slip_id),
                slips.owners_on_file(session, acting=Acting(desk.site_id), slip_id=slip_id))
        if step == slips.SETTLE:
            return slip_forms.SettlementForm(slip_id, about,
                                             moving_out.unsettled(session, slip, now))
        if step == slips.FEES:
            return slip_forms.FeesForm(slip_id, about)
        if step == slips.ISSUE:
            found = slips.problems(session, acting=Acting(desk.site_id), slip_id=slip_id,
                                   settings=desk.settings, now=now)
            return slip_forms.IssueForm(slip_id, about, [problem.message for problem in found])
        if step == slips.AMEND:
            return slip_forms.SlipFormModal(amend=slip_id, form=slips.form_of(session, slip),
                                            about=about)
        return None

    def _after(self, form: slip_forms.LedgerForm) -> Callable[[Any], None]:
        def closed(result: Any) -> None:
            self.after_form(result)
            if not isinstance(result, ReleaseSlip) or result.id is None:
                return
            if result.status == SlipStatus.ISSUED.value and isinstance(
                    form, slip_forms.IssueForm):
                self.app.notify(_("Issued {code}.").format(code=result.code))
                self.print_slip(result.id)
            elif result.status == SlipStatus.DRAFT.value:
                # One step done: the next opens at once (confirm → settle → fees → issue).
                slip_id = result.id
                self.app.call_after_refresh(self.next_step, slip_id)
            elif isinstance(form, slip_forms.VoidForm):
                self.app.notify(_("Voided {code}.").format(code=result.code))

        return closed

    def _ask(self, question: str, change: Callable[[Session], Any], said: str) -> None:
        desk = self.desk_app.desk
        screen: Any = self.screen

        def answered(yes: bool | None) -> None:
            if not yes:
                return

            def save() -> Any:
                with transaction(desk.engine) as session:
                    return change(session)

            def saved(result: Any) -> None:
                self.app.notify(said)
                self.after_form(result)

            screen.run_db(save, saved, name="slip-step")

        self.app.push_screen(ConfirmModal(question), answered)

    # --- the keys ---------------------------------------------------------------------------

    def action_new_slip(self) -> None:
        self.app.push_screen(form := slip_forms.SlipFormModal(), self._after(form))

    def action_amend(self) -> None:
        slip = self._current_slip()
        if slip is None or slip.id is None:
            return
        desk = self.desk_app.desk
        try:
            with reading(desk.engine) as session:
                current = slips.get_slip(session, acting=Acting(desk.site_id), slip_id=slip.id)
                form = slip_forms.SlipFormModal(amend=slip.id,
                                                form=slips.form_of(session, current),
                                                about=slip_about(session, current, desk))
        except DeskError as error:
            self.desk_app.show_failure(error)
            return
        self.app.push_screen(form, self._after(form))

    def action_void(self) -> None:
        slip = self._current_slip()
        if slip is None or slip.id is None:
            return
        desk, slip_id = self.desk_app.desk, slip.id
        about = self.desk_app.read(lambda session: slip_about(
            session, slips.get_slip(session, acting=Acting(desk.site_id), slip_id=slip_id), desk))
        if about is None:
            return
        self.app.push_screen(form := slip_forms.VoidForm(slip_id, about), self._after(form))

    def action_items_back(self) -> None:
        slip = self._current_slip()
        if slip is not None:
            self.items_back(slip.id, slip.code)

    def items_back(self, slip_id: int, code: str) -> None:
        """Repair: the items released came back (asked first, it cannot be taken back)."""
        desk = self.desk_app.desk
        self._ask(_("Slip {code}: are the repaired items back?").format(code=code),
                  lambda session: slips.mark_returned(
                      session, acting=Acting(desk.site_id, self.desk_app.operator), slip_id=slip_id,
                      now=desk.clock.now()),
                  _("{code}: the items are back.").format(code=code))

    def action_week_csv(self) -> None:
        """This week's reconciliation as a CSV in the exports folder (as ``deskapp release
        reconcile`` writes it)."""
        desk, app = self.desk_app.desk, self.desk_app
        today = desk.clock.now().astimezone(desk_zone(desk.settings.timezone)).date()
        screen: Any = self.screen

        def write() -> Any:
            with reading(desk.engine) as session:
                return reconciliation.write_week(
                    session, acting=Acting(desk.site_id), site_code=desk.settings.site_code,
                    week_start=reconciliation.week_of(today), settings=desk.settings,
                    out_dir=desk.settings.data_dir / "exports")

        def written(report: Any) -> None:
            app.notify(_("Reconciliation of the week from {week} written to {path}: {released} "
                         "released, {filed} filed, {missing} not filed.").format(
                week=report.week_start, path=report.path, released=report.released,
                filed=report.filed, missing=report.not_filed), timeout=10)

        screen.run_db(write, written, name="week-csv")

    def action_print(self) -> None:
        slip = self._current_slip()
        if slip is not None and slip.id is not None:
            self.print_slip(slip.id)

    def print_slip(self, slip_id: int) -> None:
        """The slip as an A4 PDF and a receipt text, in the prints folder."""
        from deskapp.services.acting import Acting
        from deskapp.services.release import slip_print

        desk, app = self.desk_app.desk, self.desk_app
        zone = desk_zone(desk.settings.timezone)
        who = app.operator.display_name if app.operator else ""
        screen: Any = self.screen

        def save() -> Any:
            with reading(desk.engine) as session:
                doc = slip_print.slip_document(
                    session, acting=Acting(desk.site_id), slip_id=slip_id, site_name=app.site_name,
                    zone=zone, printed_at=desk.clock.now(), printed_by=who)
                code = slips.get_slip(session, acting=Acting(desk.site_id), slip_id=slip_id).code
            return slip_print.save_slip(doc, folder=desk.settings.data_dir / "prints",
                                        code=code or str(slip_id), replace_missing=True)

        def saved(paths: Any) -> None:
            pdf, _text = paths
            app.notify(_("Printed: {pdf}").format(pdf=pdf), timeout=8)

        screen.run_db(save, saved, name="print")


@dataclass(frozen=True)
class _WeekRow:
    """A slip released this week, and whether it came back to be filed."""

    id: int
    code: str
    unit: str
    released_at: datetime
    filed: bool


def slip_about(session: Session, slip: ReleaseSlip, desk: Desk) -> str:
    """One line a form shows above its fields: which slip, whose, what."""
    zone = desk_zone(desk.settings.timezone)
    unit = directory.unit_code(session, slip.unit_id)
    when = slip.planned_at.astimezone(zone).strftime("%m-%d %H:%M")
    return (f"{slip.code}  {unit}  {slip.applicant_name} "
            f"({slips.relation_label(slip.applicant_relation)})  "
            f"{slips.reason_label(slip.reason)}  {when}")


def slip_text(session: Session, *, desk: Desk, now: datetime, slip_id: int) -> Text:
    """The slip in full for the record pane: lines, people, confirmation, what stops it."""
    zone = desk_zone(desk.settings.timezone)
    slip = slips.get_slip(session, acting=Acting(desk.site_id), slip_id=slip_id)

    def when(moment: datetime | None) -> str:
        return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "—"

    out = Text()
    out.append(f"{slip.code}  ", style="bold")
    out.append(slips.status_label(slip.status))
    if slip.revision > 1:
        out.append("  " + _("revision {number}").format(number=slip.revision))
    out.append("\n\n")
    pairs = [
        (_("Unit"), directory.unit_code(session, slip.unit_id)),
        (_("Applicant"),
         f"{slip.applicant_name} ({slips.relation_label(slip.applicant_relation)})"),
        (_("Reason"), slips.reason_label(slip.reason) + (f" — {slip.reason_note}"
                                                          if slip.reason_note else "")),
        (_("Leaves"), when(slip.planned_at)),
        (_("Carried by"), f"{slip.carrier_name}  {slip.carrier_phone}"),
        (_("Carrier's ID number"), slip.carrier_id_number or "—"),
    ]
    if slip.plate:
        pairs.append((_("Vehicle"), f"{slip.plate}  {slip.driver_name}"))
    if slip.due_back_on:
        pairs.append((_("Back by"), slip.due_back_on.isoformat()))
    out.append_text(lines(pairs))
    out.append("\n" + _("Items") + "\n", style="bold")
    for line in slips.lines_of(session, slip_id):
        mark = "✓ " if line.ticked_at else "· "
        large = "  [" + _("large") + "]" if line.large else ""
        out.append(f"{mark}{line.position}. {line.description} ×{line.quantity}{large}\n")
    out.append("\n")
    if slip.confirmed_at:
        kind = {ConfirmationKind.PHONE.value: _("by phone"),
                ConfirmationKind.IN_PERSON.value: _("in person, ID checked"),
                ConfirmationKind.PATTERN.value: _("standing pattern")}.get(
                    slip.confirmation_kind, slip.confirmation_kind)
        confirmed = f"✓ {slip.confirmed_by}, {kind}, {when(slip.confirmed_at)}"
        if slip.confirmed_phone:
            confirmed += f", {slip.confirmed_phone}"
        out.append(_("Confirmed") + ": " + confirmed + "\n", style="green")
        if not slip.confirmed_on_file:
            out.append("⚠ " + _("Not the number on file: {reason}").format(
                reason=slip.off_file_reason) + "\n", style="bold yellow")
    if slip.pattern_id and not slip.confirmed_at:
        out.append(_("Under the company's standing pattern: no call needed.") + "\n")
    if slip.fees_settled_by:
        out.append(_("Fees settled, confirmed by {name}").format(name=slip.fees_settled_by)
                   + "\n")
    if slip.override_at:
        out.append("⚠ " + _("Rule overridden by a supervisor: {reason}").format(
            reason=slip.override_reason) + "\n", style="bold yellow")
    if slip.sent_back_note:
        out.append("⚠ " + _("Sent back from the gate: {note}").format(
            note=slip.sent_back_note) + "\n", style="bold red")
    if slip.void_reason:
        out.append(_("Voided: {reason}").format(reason=slip.void_reason) + "\n")
    if slip.released_at:
        out.append(_("Released at the gate: {when}").format(when=when(slip.released_at)) + "\n")
    if slip.filed_at:
        out.append(_("Filed: {when}").format(when=when(slip.filed_at)) + "\n")
    if slip.status == SlipStatus.DRAFT.value:
        found = slips.problems(session, acting=Acting(desk.site_id), slip_id=slip_id,
                               settings=desk.settings, now=now)
        if found:
            out.append("\n" + _("Before it is issued") + "\n", style="bold")
            for problem in found:
                out.append("⚠ " + problem.message + "\n", style="yellow")
        else:
            out.append("\n" + _("Ready: Enter issues and prints it.") + "\n", style="green")
    if slip.reason == "moving_out":
        items = moving_out.outstanding(session, acting=Acting(desk.site_id), unit_id=slip.unit_id,
                                       now=now, slip_id=slip_id)
        out.append("\n" + _("The unit still has at the desk") + "\n", style="bold")
        if not items:
            out.append(_("nothing") + "\n")
        for item in items:
            answer = ("✓ " + (item.note or _("settled")) if item.settled
                      else "✗ " + item.note if item.settled is False else "? " + _("not answered"))
            out.append(f"{moving_out.kind_label(item.kind)} {item.reference} {item.what}: "
                       f"{answer}\n")
    return out


class ReleaseScreen(DeskScreen):
    """F6: the release slips of the desk."""

    TITLE_TEXT = N_("Release slips")

    def __init__(self) -> None:
        super().__init__()
        self.desk_state: dict[str, Any] = {}
        self._pending: int | None = None

    def compose_body(self) -> ComposeResult:
        yield SlipsDesk(self.desk_state, id="desk-slips")

    @property
    def slips_desk(self) -> SlipsDesk:
        return self.query_one(SlipsDesk)

    def refresh_view(self) -> None:
        if not self.query(SlipsDesk):
            return
        self.slips_desk.refresh_list()
        if self._pending is not None:
            self.call_after_refresh(self._apply_pending)
        else:
            self.slips_desk.table.focus()

    def open_code(self, text: str) -> None:
        """A slip code scanned or typed anywhere: the slip, ready for its next step."""
        desk = self.desk_app.desk
        slip = self.desk_app.read(
            lambda session: slips.get_by_code(session, acting=Acting(desk.site_id), text=text))
        if slip is None or slip.id is None:
            return
        self._pending = slip.id
        if self.is_mounted and self.query(SlipsDesk) and self.app.screen is self:
            self._apply_pending()

    def _apply_pending(self) -> None:
        if self._pending is None:
            return
        record_id, self._pending = self._pending, None
        self.slips_desk.open_record(record_id)
