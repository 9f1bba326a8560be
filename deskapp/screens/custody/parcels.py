"""Parcels (快件代收): waiting by age, logging one, the fast check-in of a pile, pickup."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Input, RichLog, Static

from deskapp.db import reading, transaction
from deskapp.errors import DeskError
from deskapp.formatting import desk_zone, format_age, format_when
from deskapp.i18n import N_, _, counted
from deskapp.models import Operator
from deskapp.models.custody import CustodyItem, ItemStatus, Ledger
from deskapp.screens.custody.ledger_forms import (
    YES,
    LedgerDesk,
    LedgerForm,
    Write,
    code_cell,
    done,
    flagged,
    lines,
    text_input,
    tone,
    yes_no,
)
from deskapp.services.acting import Acting
from deskapp.services.custody import core, parcels
from deskapp.services.custody.checks import Collector
from deskapp.services.custody.lists import ItemRow, Page
from deskapp.services.custody.parcels import ParcelForm
from deskapp.services.directory import MAX_NAME_LENGTH
from deskapp.widgets.form import ChoiceBar, FormField, clear_errors, show_error
from deskapp.widgets.unit_picker import UnitPicker

if TYPE_CHECKING:
    from sqlmodel import Session

    from deskapp.desk import Desk

WAITING, OVERDUE = "waiting", "overdue"
_CARRIER_HINT = "、".join(parcels.CARRIERS[:5]) + "…"


def _consent_field() -> FormField:
    return FormField(
        _("Resident's consent (a unit with a standing instruction to hold parcels counts)"),
        yes_no("parcel-consent", _("Consented"), _("Not asked")), field="consent")


class LogParcelForm(LedgerForm):
    TITLE_TEXT = N_("Log a parcel")

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("Carrier"), text_input("parcel-carrier", max_length=32,
                                                 placeholder=_CARRIER_HINT), field="carrier")
        yield FormField(_("Tracking number"), text_input("parcel-tracking", max_length=60),
                        field="tracking_number")
        yield FormField(_("Unit"), UnitPicker(id="parcel-unit"), field="unit")
        yield FormField(_("Resident"), text_input("parcel-name", max_length=MAX_NAME_LENGTH),
                        field="resident_name")
        yield FormField(_("Phone"), text_input("parcel-phone", max_length=20), field="phone")
        yield FormField(_("Shelf"), text_input("parcel-shelf", max_length=64), field="shelf")
        yield _consent_field()
        yield FormField(_("Description"), text_input("parcel-description", max_length=500),
                        field="description")

    def on_mount(self) -> None:
        self.query_one(UnitPicker).input.compact = True
        super().on_mount()

    def on_unit_picker_picked(self, event: UnitPicker.Picked) -> None:
        event.stop()
        name = self.query_one("#parcel-name", Input)
        if event.unit.name and not name.value.strip():
            name.value = event.unit.name
        self.focus_next()

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        form = ParcelForm(
            carrier=self.value("#parcel-carrier"), tracking_number=self.value("#parcel-tracking"),
            unit=self.query_one(UnitPicker).value, resident_name=self.value("#parcel-name"),
            shelf=self.value("#parcel-shelf"), phone=self.value("#parcel-phone"),
            description=self.value("#parcel-description"),
        )
        consent = self.said_yes("#parcel-consent")
        return lambda session: parcels.log_parcel(
            session, acting=Acting(desk.site_id, actor), form=form, consent=consent, now=now,
            settings=desk.settings)


class CheckInForm(LedgerForm):
    """A pile of parcels: carrier, shelf and consent stay; one parcel per Enter.

    Scan first or type the unit first, either way: Enter on the tracking number
    logs the parcel when the unit and resident are there, else moves to them;
    Enter on the resident logs it. After each parcel the tracking number, unit
    and resident clear and the cursor waits in the tracking number for the next.
    A parcel scanned twice is refused with the reason and a bell; the flow goes on.
    """

    TITLE_TEXT = N_("Fast check-in")
    BINDINGS = [Binding("escape", "back", N_("Done"))]

    def __init__(self) -> None:
        super().__init__(_("Scan one tracking number after another; Esc when the pile is done."))
        self.logged: list[CustodyItem] = []
        self._waiting: list[Scan] = []

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("Carrier"), text_input("checkin-carrier", max_length=32,
                                                 placeholder=_CARRIER_HINT), field="carrier")
        yield FormField(_("Shelf"), text_input("checkin-shelf", max_length=64), field="shelf")
        yield _consent_field()
        yield FormField(_("Tracking number (scan)"), text_input("checkin-tracking",
                                                                max_length=60),
                        field="tracking_number")
        yield FormField(_("Unit"), UnitPicker(id="checkin-unit"), field="unit")
        yield FormField(_("Resident"), text_input("checkin-name", max_length=MAX_NAME_LENGTH),
                        field="resident_name")
        yield Static("", id="checkin-count")
        yield RichLog(id="checkin-log", markup=False, max_lines=200)

    DEFAULT_CSS = """
    CheckInForm #checkin-log { height: 8; border: round $panel; }
    CheckInForm #checkin-count { text-style: bold; }
    """

    def on_mount(self) -> None:
        self.query_one(UnitPicker).input.compact = True
        super().on_mount()
        self._count()

    def typed_anything(self) -> bool:
        # The pile's carrier and shelf are settings, not typing; only a half-logged parcel counts.
        return bool(self.value("#checkin-tracking").strip() or self.value("#checkin-name").strip()
                    or self.query_one(UnitPicker).value.strip())

    def action_back(self) -> None:
        if self.typed_anything():
            super().action_back()
        else:
            self.dismiss(self.logged)

    def _count(self) -> None:
        count = len(self.logged)
        text = counted(count, N_("1 parcel checked in"), N_("{count} parcels checked in"))
        self.query_one("#checkin-count", Static).update(text)

    @on(ChoiceBar.Changed, "#parcel-consent")
    def _consent_answered(self, event: ChoiceBar.Changed) -> None:
        # The answer is one key; the next thing in the operator's hand is the scanner,
        # so the cursor waits in the tracking number (a scan into the choice was lost).
        self.query_one("#checkin-tracking", Input).focus()

    @on(Input.Submitted, "#checkin-tracking")
    def _scanned(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()  # not the form's "Enter moves on"
        self._log()

    @on(Input.Submitted, "#checkin-name")
    def _named(self, event: Input.Submitted) -> None:
        event.stop()
        event.prevent_default()
        self._log()

    def on_unit_picker_picked(self, event: UnitPicker.Picked) -> None:
        event.stop()
        name = self.query_one("#checkin-name", Input)
        if event.unit.name:
            name.value = event.unit.name
        name.focus()

    def action_save(self) -> None:
        self._log()

    def _log(self) -> None:
        """Log the parcel on the form. The values are taken and the fields cleared at
        once, so the next scan can come while this one is written (in a thread, one
        after another, in the order scanned)."""
        clear_errors(self)
        self.query_one("#form-message", Static).update("")
        tracking, unit = self.query_one("#checkin-tracking", Input), self.query_one(UnitPicker)
        name = self.query_one("#checkin-name", Input)
        if not tracking.value.strip():
            tracking.focus()
            return
        labelled = bool(unit.value.strip() and name.value.strip())
        self._waiting.append(Scan(
            tracking=tracking.value, unit=unit.value, resident=name.value,
            carrier=self.value("#checkin-carrier"), shelf=self.value("#checkin-shelf"),
            consent=self.choice("#parcel-consent") == YES, cleared=labelled,
        ))
        if labelled:
            self._clear_parcel()
        elif self.focused is tracking:
            # Scanned first: the cursor goes on to the label's unit (or resident) at once,
            # while the service checks the number (a parcel scanned twice is refused).
            (unit if not unit.value.strip() else name).focus()
        self._write_next()

    def _clear_parcel(self) -> None:
        tracking = self.query_one("#checkin-tracking", Input)
        tracking.value = ""
        self.query_one(UnitPicker).clear()
        self.query_one("#checkin-name", Input).value = ""
        tracking.focus()

    def _write_next(self) -> None:
        if not self._waiting or self.db_busy("save"):
            return
        scan = self._waiting[0]
        desk, actor = self.desk, self.desk_app.operator

        def save() -> CustodyItem:
            with transaction(desk.engine) as session:
                return parcels.check_in(
                    session, acting=Acting(desk.site_id, actor), scan=scan.tracking,
                    carrier=scan.carrier,
                    unit=scan.unit, resident_name=scan.resident, shelf=scan.shelf,
                    consent=scan.consent, now=desk.clock.now(),
                    settings=desk.settings,
                )

        if self.run_db(save, lambda item: self._logged(scan, item),
                       failed=lambda error: self._not_logged(scan, error), name="save") is None:
            self._waiting.clear()  # signed out or disabled: nothing more is written

    def _logged(self, scan: Scan, item: CustodyItem) -> None:
        self._waiting.remove(scan)
        if not scan.cleared and self.value("#checkin-tracking") == scan.tracking:
            self._clear_parcel()
        self.logged.append(item)
        self.query_one("#checkin-log", RichLog).write(Text(
            f"✓ {item.code}  {item.carrier} {item.tracking_number}  "
            f"{scan.unit}  {item.owner_name}  {item.place}",
            style="green"))
        self._count()
        self._write_next()

    def _not_logged(self, scan: Scan, error: DeskError) -> None:
        """A refusal: the log says why. Scanned before its label was typed: the cursor
        goes to the unit. Refused for its label after the form was cleared: it comes back
        to the form if the form is empty. Refused for its number: the number clears."""
        self._waiting.remove(scan)
        tracking, unit = self.query_one("#checkin-tracking", Input), self.query_one(UnitPicker)
        name = self.query_one("#checkin-name", Input)
        if (error.field in ("unit", "resident_name") and not scan.cleared
                and tracking.value == scan.tracking):
            self._write_next()  # scanned first: the label is being typed (see ``_log``)
            return
        self.app.bell()
        log = self.query_one("#checkin-log", RichLog)
        log.write(Text(f"✗ {scan.tracking.strip()}  " + error.message, style="red"))
        if error.field != "tracking_number" and not (tracking.value or unit.value or name.value):
            tracking.value, name.value = scan.tracking, scan.resident
            with unit.input.prevent(Input.Changed):
                unit.input.value = scan.unit
        show_error(self, error, fallback=self.query_one("#form-message", Static))
        if error.field == "tracking_number" and tracking.value == scan.tracking:
            tracking.value = ""
            tracking.focus()
        self._write_next()


@dataclass(frozen=True)
class Scan:
    """One parcel of the pile as the form held it when Enter was pressed."""

    tracking: str
    unit: str
    resident: str
    carrier: str
    shelf: str
    consent: bool
    cleared: bool
    """Unit and resident were there, so the form was cleared for the next scan at once."""


class PickupForm(LedgerForm):
    TITLE_TEXT = N_("Parcel picked up")

    def __init__(self, item_id: int, about: str) -> None:
        super().__init__(about)
        self.item_id = item_id

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("Collector"), text_input("pickup-name", max_length=MAX_NAME_LENGTH),
                        field="collector")
        yield FormField(_("Relation to the resident"),
                        text_input("pickup-relation", max_length=32,
                                   placeholder=_("e.g. self, family, neighbour")),
                        field="relation")
        yield FormField(_("Phone"), text_input("pickup-phone", max_length=20),
                        field="collector_phone")
        yield FormField(_("Collector signed"), yes_no("pickup-signed", _("Signed"), _("Not yet")),
                        field="signed")

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        collector = Collector(name=self.value("#pickup-name"),
                              relation=self.value("#pickup-relation"),
                              phone=self.value("#pickup-phone"),
                              signed=self.said_yes("#pickup-signed"))
        item_id = self.item_id
        return lambda session: parcels.pick_up(
            session, acting=Acting(desk.site_id, actor), item_id=item_id, collector=collector,
            now=now,
            settings=desk.settings)


class ParcelsDesk(LedgerDesk):
    VIEWS = ((WAITING, N_("Waiting")), (OVERDUE, N_("Overdue")))
    BINDINGS = [
        Binding("ctrl+n", "log_parcel", N_("Log parcel")),
        Binding("ctrl+k", "check_in", N_("Fast check-in")),
    ]

    def columns(self) -> list[str]:
        return [_("Code"), _("Status"), _("Waiting"), _("Unit"), _("Resident"), _("Shelf"),
                _("Carrier"), _("Tracking number"), _("Phone"), _("Logged")]

    def cells(self, row: ItemRow) -> Sequence[Any]:
        desk = self.desk_app.desk
        zone = desk_zone(desk.settings.timezone)
        if row.overdue:
            status = flagged(_("overdue"))
        elif row.status == ItemStatus.HELD.value:
            status = Text(_("waiting"))
        else:
            status = done(core.status_label(row.status))
        return [code_cell(row.code, overdue=row.overdue), status,
                Text(format_age(row.age), style=tone("error") if row.overdue else ""),
                row.unit_code, row.owner_name, row.place, row.carrier, row.tracking_number,
                row.owner_phone, format_when(row.received_at, desk.clock.now(), zone)]

    def fetch(self, session: Session, *, desk: Desk, now: datetime, offset: int,
              limit: int) -> Page[ItemRow]:
        return parcels.waiting(session, acting=Acting(desk.site_id), now=now,
                               settings=desk.settings,
                               overdue_only=self.view == OVERDUE, offset=offset, limit=limit)

    def record_text(self, session: Session, *, desk: Desk, now: datetime,
                    record_id: int) -> Text:
        item = core.get_item(session, acting=Acting(desk.site_id), item_id=record_id,
                                ledger=Ledger.PARCEL.value)
        zone = desk_zone(desk.settings.timezone)

        def when(moment: datetime | None) -> str:
            return format_when(moment, now, zone) if moment else "—"

        out = Text(f"{item.code}  ", style="bold")
        out.append(core.status_label(item.status) + "\n\n")
        consent = {parcels.CONSENT_STANDING: _("standing instruction"),
                   parcels.CONSENT_EXPLICIT: _("given")}.get(item.consent, item.consent)
        pairs = [(_("Carrier"), item.carrier), (_("Tracking number"), item.tracking_number),
                 (_("Resident"), item.owner_name), (_("Phone"), item.owner_phone or "—"),
                 (_("Shelf"), item.place), (_("Consent"), consent),
                 (_("Logged"), when(item.received_at))]
        if item.released_at is not None:
            pairs += [(_("Picked up"), when(item.released_at)),
                      (_("Collector"), item.released_to)]
        out.append_text(lines(pairs))
        out.append("\n" + _("Timeline") + "\n", style="bold")
        for event in core.timeline(session, acting=Acting(desk.site_id), item_id=record_id):
            out.append(f"{when(event.at)}  {core.event_label(event.kind)}  {event.note}\n")
        return out

    def view_of(self, record_id: int) -> str:
        return WAITING

    def next_step(self, record_id: int) -> None:
        desk = self.desk_app.desk
        try:
            with reading(desk.engine) as session:
                item = core.get_item(session, acting=Acting(desk.site_id), item_id=record_id,
                                        ledger=Ledger.PARCEL.value)
        except DeskError as error:
            self.app.notify(error.message, severity="error")
            return
        if not parcels.awaiting_pickup(item):
            self.app.notify(_("{code} is {status}: nothing more to do.").format(
                code=item.code, status=core.status_label(item.status)))
            return
        about = f"{item.code}  {item.carrier} {item.tracking_number}  {item.owner_name}  " \
                f"{_('shelf')} {item.place}"
        self.app.push_screen(PickupForm(record_id, about), self.after_form)

    def action_log_parcel(self) -> None:
        self.app.push_screen(LogParcelForm(), self.after_form)

    def action_check_in(self) -> None:
        self.app.push_screen(CheckInForm(), self.after_form)

    def after_form(self, result: Any) -> None:
        if isinstance(result, list):
            self.app.notify(counted(len(result), N_("1 parcel checked in."),
                                    N_("{count} parcels checked in.")))
            result = result[-1] if result else None
        elif isinstance(result, CustodyItem):
            self.app.notify(f"{result.code}: {core.status_label(result.status)}")
        super().after_form(result)

