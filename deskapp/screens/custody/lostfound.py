"""Lost and found (物品拾遗): the list by state, registering a found item, the claim
with the claimant's ID, the printable lists, the hand-over and the witnessed disposal."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Static

from deskapp.db import reading
from deskapp.errors import DeskError
from deskapp.formatting import desk_zone, format_when, parse_local_time
from deskapp.i18n import N_, _, counted
from deskapp.models import Operator
from deskapp.models.custody import CustodyItem, ItemStatus, Ledger
from deskapp.screens.custody.ledger_forms import (
    LedgerDesk,
    LedgerForm,
    Write,
    code_cell,
    done,
    flagged,
    lines,
    text_input,
    yes_no,
)
from deskapp.services import printing
from deskapp.services.acting import Acting
from deskapp.services.custody import core, lostfound, lostfound_print
from deskapp.services.custody.checks import Collector
from deskapp.services.custody.lists import ItemRow, Page
from deskapp.services.custody.lostfound import FoundForm
from deskapp.services.directory import MAX_NAME_LENGTH
from deskapp.widgets.form import FormField
from deskapp.widgets.staff_pin import StaffPinModal

if TYPE_CHECKING:
    from sqlmodel import Session

    from deskapp.desk import Desk

HELD, ADMIN, CLAIMED, DISPOSED, ALL = "held", "admin", "released", "disposed", "all"
NOTICE, HANDOVER, DISPOSAL = "notice", "handover", "disposal"
_STATE_VIEWS = (HELD, ADMIN, CLAIMED, DISPOSED)
_UNCLAIMED = (ItemStatus.HELD.value, ItemStatus.ADMIN.value)


def status_cell(row: ItemRow) -> Text:
    if row.overdue and row.status == ItemStatus.HELD.value:
        return flagged(_("for admin"))
    if row.status == ItemStatus.RELEASED.value:
        return done(_("claimed"))
    label = core.status_label(row.status)
    if row.valuable and row.status == ItemStatus.HELD.value:
        label += " · " + _("valuable")
    return Text(label)


class FoundItemForm(LedgerForm):
    """Register a found item (《拾遗物品登记表》)."""

    TITLE_TEXT = N_("Register a found item")

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("Item"), text_input("found-description", max_length=500,
                                              placeholder=_("e.g. black wallet")),
                        field="description")
        yield FormField(_("Where found"), text_input("found-where", max_length=200,
                                                     placeholder=_("e.g. lobby of building 3")),
                        field="found_where")
        yield FormField(_("When found (empty: now)"),
                        text_input("found-at", max_length=20, placeholder="14:30"),
                        field="found_at")
        yield FormField(_("Finder"), text_input("found-finder", max_length=MAX_NAME_LENGTH),
                        field="finder")
        yield FormField(_("Valuable (cash, phone, jewellery, documents)"),
                        yes_no("found-valuable", _("Valuable"), _("Ordinary")),
                        field="valuable")
        yield FormField(_("Pieces"), text_input("found-pieces", kind="integer"), field="pieces")
        yield FormField(_("Shelf"), text_input("found-place", max_length=64), field="place")
        yield FormField(_("Condition"), text_input("found-condition", max_length=200),
                        field="condition")
        yield FormField(_("Name on the item, if any"),
                        text_input("found-owner", max_length=64), field="owner_hint")

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        zone = desk_zone(desk.settings.timezone)
        form = FoundForm(
            description=self.value("#found-description"),
            found_where=self.value("#found-where"),
            finder=self.value("#found-finder"),
            found_at=parse_local_time(self.value("#found-at"), now=now, zone=zone,
                                      field="found_at"),
            valuable=self.said_yes("#found-valuable"),
            pieces=self.number("#found-pieces", field="pieces"),
            place=self.value("#found-place"),
            condition=self.value("#found-condition"),
            owner_hint=self.value("#found-owner"),
        )
        return lambda session: lostfound.register_found(session, acting=Acting(desk.site_id, actor),
                                                        form=form,
                                                        now=now)


class ClaimForm(LedgerForm):
    """The owner claims: ID shown and its number recorded, description checked, signed."""

    TITLE_TEXT = N_("Claim a found item")

    def __init__(self, item_id: int, about: str) -> None:
        super().__init__(about)
        self.item_id = item_id

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("Claimant"), text_input("claim-name", max_length=MAX_NAME_LENGTH),
                        field="collector")
        yield FormField(_("Phone"), text_input("claim-phone", max_length=20),
                        field="collector_phone")
        yield FormField(_("ID number (from the ID shown)"),
                        text_input("claim-id-number", max_length=32), field="id_number")
        yield FormField(_("ID checked"), yes_no("claim-id-checked", _("Checked"), _("Not yet")),
                        field="id_checked")
        yield FormField(_("How the claimant described the item"),
                        text_input("claim-description", max_length=500,
                                   placeholder=_("e.g. said: black, 3 cards, 200 yuan")),
                        field="description_check")
        yield FormField(_("Claimant signed the register"),
                        yes_no("claim-signed", _("Signed"), _("Not yet")), field="signed")

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        claimant = Collector(
            name=self.value("#claim-name"), phone=self.value("#claim-phone"),
            id_number=self.value("#claim-id-number"),
            id_checked=self.said_yes("#claim-id-checked"), signed=self.said_yes("#claim-signed"),
        )
        item_id, description_check = self.item_id, self.value("#claim-description")
        return lambda session: lostfound.claim(
            session, acting=Acting(desk.site_id, actor), item_id=item_id, claimant=claimant,
            description_check=description_check, now=now, settings=desk.settings)


class HandoverForm(LedgerForm):
    """Record that the admin office took the items on the hand-over list."""

    TITLE_TEXT = N_("Hand over to the admin office")

    def __init__(self, item_ids: list[int], about: str) -> None:
        super().__init__(about)
        self.item_ids = item_ids

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("Received by (admin office)"),
                        text_input("handover-receiver", max_length=MAX_NAME_LENGTH),
                        field="receiver")
        yield Static("", id="field-items")

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        item_ids, receiver = list(self.item_ids), self.value("#handover-receiver")
        return lambda session: lostfound.hand_over(
            session, acting=Acting(desk.site_id, actor), item_ids=item_ids, receiver=receiver,
            now=now,
            settings=desk.settings)


class DisposeForm(LedgerForm):
    """Dispose of an item unclaimed for three months: two staff witness with their PINs."""

    TITLE_TEXT = N_("Dispose of a found item")

    def __init__(self, item_id: int, about: str) -> None:
        super().__init__(about)
        self.item_id = item_id
        self.witnesses: list[Operator] = []

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("How it is disposed of"),
                        text_input("dispose-note", max_length=500,
                                   placeholder=_("e.g. donated to the charity shop")),
                        field="note")
        yield FormField(_("First witness"), Static(self._who(0), id="dispose-witness-a"),
                        field="witness_a")
        yield FormField(_("Second witness"), Static(self._who(1), id="dispose-witness-b"),
                        field="witness_b")

    def _who(self, index: int) -> str:
        if index < len(self.witnesses):
            return "✓ " + self.witnesses[index].display_name
        return _("confirms with their PIN on ctrl+s")

    def _show_witnesses(self) -> None:
        self.query_one("#dispose-witness-a", Static).update(self._who(0))
        self.query_one("#dispose-witness-b", Static).update(self._who(1))

    async def prepare(self) -> bool:
        for index, why in enumerate((_("First witness of the disposal: sign in with your PIN."),
                                     _("Second witness of the disposal: sign in with your PIN; "
                                       "a different person from the first."))):
            if index < len(self.witnesses):
                continue
            witness = await self.app.push_screen_wait(StaffPinModal(self.about + "\n\n" + why))
            if witness is None:
                return False
            self.witnesses.append(witness)
            self._show_witnesses()
        return True

    def refused(self, error: DeskError) -> None:
        if error.field == "witness_b":
            self.witnesses = self.witnesses[:1]
        elif error.field == "witness_a":
            self.witnesses = []
        self._show_witnesses()

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        first, second = self.witnesses[0], self.witnesses[1]
        item_id, note = self.item_id, self.value("#dispose-note")
        return lambda session: lostfound.dispose(
            session, acting=Acting(desk.site_id, actor), item_id=item_id, witness_a=first,
            witness_b=second,
            note=note, now=now, settings=desk.settings)


class LostDesk(LedgerDesk):
    """The found items, by state; the notice, the hand-over and the disposal lists."""

    VIEWS = (
        (HELD, N_("At the desk")), (ADMIN, N_("At admin")), (CLAIMED, N_("Claimed")),
        (DISPOSED, N_("Disposed")), (ALL, N_("All")), (NOTICE, N_("Notice")),
        (HANDOVER, N_("Hand-over")), (DISPOSAL, N_("Disposal")),
    )
    BINDINGS = [
        Binding("ctrl+n", "register", N_("Register found item")),
        Binding("ctrl+r", "print_list", N_("Print list")),
        Binding("ctrl+s", "hand_over", N_("Record hand-over")),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "hand_over":
            return self.view == HANDOVER
        return True

    def columns(self) -> list[str]:
        # The status second: never scrolled out of sight on a narrow terminal.
        return [_("Code"), _("Status"), _("Found"), _("Where found"), _("Item"), _("Finder"),
                _("Shelf"), _("Claimant"), _("ID number")]

    def cells(self, row: ItemRow) -> Sequence[Any]:
        desk = self.desk_app.desk
        zone = desk_zone(desk.settings.timezone)
        code = code_cell(row.code, overdue=row.overdue)
        return [code, status_cell(row), format_when(row.received_at, desk.clock.now(), zone),
                row.found_where, row.description, row.received_from, row.place or "—",
                row.released_to, row.released_id_number]

    def _list(self, session: Session, desk: Desk, now: datetime) -> list[ItemRow]:
        """The hand-over or disposal list whole: its print, the hand-over of every item."""
        if self.view == HANDOVER:
            return lostfound.handover_list(session, acting=Acting(desk.site_id), now=now,
                                           settings=desk.settings)
        return lostfound.disposal_list(session, acting=Acting(desk.site_id), now=now,
                                       settings=desk.settings)

    def fetch(self, session: Session, *, desk: Desk, now: datetime, offset: int,
              limit: int) -> Page[ItemRow]:
        site, settings = desk.site_id, desk.settings
        if self.view == NOTICE:
            return lostfound.notice_page(session, acting=Acting(site), now=now, settings=settings,
                                         offset=offset, limit=limit)
        if self.view == HANDOVER:
            return lostfound.handover_page(session, acting=Acting(site), now=now, settings=settings,
                                           offset=offset, limit=limit)
        if self.view == DISPOSAL:
            return lostfound.disposal_page(session, acting=Acting(site), now=now, settings=settings,
                                           offset=offset, limit=limit)
        return lostfound.lost_items(
            session, acting=Acting(site), now=now, settings=settings,
            status=None if self.view == ALL else self.view, offset=offset, limit=limit,
        )

    def record_text(self, session: Session, *, desk: Desk, now: datetime,
                    record_id: int) -> Text:
        item = core.get_item(session, acting=Acting(desk.site_id), item_id=record_id,
                                ledger=Ledger.LOST.value)
        zone = desk_zone(desk.settings.timezone)

        def when(moment: datetime | None) -> str:
            return format_when(moment, now, zone) if moment else "—"

        out = Text(f"{item.code}  ", style="bold")
        out.append(core.status_label(item.status) + "\n\n")
        pairs = [
            (_("Item"), item.description), (_("Pieces"), str(item.pieces)),
            (_("Where found"), item.found_where), (_("When found"), when(item.found_at)),
            (_("Finder"), item.received_from), (_("Valuable"), _("yes") if item.valuable
                                                else _("no")),
            (_("Shelf"), item.place or "—"), (_("Condition"), item.condition or "—"),
        ]
        if item.owner_name:
            pairs.append((_("Name on the item"), item.owner_name))
        if item.released_at is not None:
            pairs += [(_("Claimed"), when(item.released_at)), (_("Claimant"), item.released_to),
                      (_("ID number"), item.released_id_number or "—"),
                      (_("Description check"), item.release_note or "—")]
        if item.admin_at is not None:
            pairs.append((_("To admin"), f"{when(item.admin_at)}  {item.admin_receiver}"))
        if item.disposed_at is not None:
            pairs.append((_("Disposed"), f"{when(item.disposed_at)}  {item.disposal_note}"))
        out.append_text(lines(pairs))
        out.append("\n" + _("Timeline") + "\n", style="bold")
        for event in core.timeline(session, acting=Acting(desk.site_id), item_id=record_id):
            out.append(f"{when(event.at)}  {core.event_label(event.kind)}  {event.note}\n")
        return out

    def view_of(self, record_id: int) -> str:
        desk = self.desk_app.desk
        item = self.desk_app.read(
            lambda session: core.get_item(session, acting=Acting(desk.site_id), item_id=record_id))
        if item is None:
            return self.view
        return item.status if item.status in _STATE_VIEWS else ALL

    def _about(self, record_id: int) -> str:
        row = self.table.rows_by_id.get(record_id)
        if row is not None:
            return f"{row.code}  {row.description}  ({row.found_where})"
        desk = self.desk_app.desk
        item = self.desk_app.read(
            lambda session: core.get_item(session, acting=Acting(desk.site_id), item_id=record_id))
        if item is None:
            return ""
        return f"{item.code}  {item.description}  ({item.found_where})"

    def next_step(self, record_id: int) -> None:
        desk = self.desk_app.desk
        try:
            with reading(desk.engine) as session:
                item = core.get_item(session, acting=Acting(desk.site_id), item_id=record_id)
        except DeskError as error:
            self.app.notify(error.message, severity="error")
            return
        if item.status not in _UNCLAIMED:
            self.app.notify(_("{code} is {status}: nothing more to do.").format(
                code=item.code, status=core.status_label(item.status)))
            return
        form: LedgerForm
        if self.view == DISPOSAL:
            form = DisposeForm(record_id, self._about(record_id))
        else:
            form = ClaimForm(record_id, self._about(record_id))
        self.app.push_screen(form, self.after_form)

    def action_register(self) -> None:
        self.app.push_screen(FoundItemForm(), self.after_form)

    def action_hand_over(self) -> None:
        """Every item on the hand-over list, read now, not only the pages shown."""
        if self.view != HANDOVER:
            return
        desk = self.desk_app.desk
        rows = self.desk_app.read(lambda session: self._list(session, desk, desk.clock.now()))
        if rows is None:
            return
        if not rows:
            self.app.notify(_("Nothing to hand over."))
            return
        about = counted(len(rows), N_("1 item on the hand-over list."),
                        N_("{count} items on the hand-over list."))
        self.app.push_screen(HandoverForm([row.id for row in rows], about), self.after_form)

    def after_form(self, result: Any) -> None:
        if isinstance(result, list):
            self.app.notify(counted(
                len(result), N_("1 item recorded as handed to the admin office."),
                N_("{count} items recorded as handed to the admin office.")))
            self.table.focus()
            self.refresh_list()
            return
        if isinstance(result, CustodyItem):
            self.app.notify(f"{result.code}: {core.status_label(result.status)}")
        super().after_form(result)

    def action_print_list(self) -> None:
        desk = self.desk_app.desk
        now = desk.clock.now()
        zone = desk_zone(desk.settings.timezone)
        operator = self.desk_app.operator
        who = operator.display_name if operator else ""
        site = self.desk_app.site_name
        view = self.view
        kind = view if view in (HANDOVER, DISPOSAL) else NOTICE

        def document(session: Session) -> printing.PrintDocument:
            if view == HANDOVER:
                return lostfound_print.handover_document(
                    self._list(session, desk, now), now=now, zone=zone, site_name=site,
                    printed_by=who)
            if view == DISPOSAL:
                return lostfound_print.disposal_document(
                    self._list(session, desk, now), now=now, zone=zone, site_name=site,
                    printed_by=who, months=desk.settings.lost_found_disposal_months)
            notice = lostfound.weekly_notice(session, acting=Acting(desk.site_id), now=now,
                                             settings=desk.settings)
            return lostfound_print.notice_document(notice, zone=zone, site_name=site,
                                                   printed_by=who)

        doc = self.desk_app.read(document)
        if doc is None:
            return
        try:
            pdf, text = printing.save_print(
                doc, folder=desk.settings.data_dir / "prints",
                name=lostfound_print.file_name(kind, now, zone), paper="a4",
                width=lostfound_print.TEXT_WIDTH)
        except (OSError, ValueError) as error:
            self.app.bell()
            self.app.notify(_("Could not save the list: {error}").format(error=error),
                            severity="error")
            return
        self.app.notify(_("Saved {pdf} and {text}.").format(pdf=pdf, text=text.name),
                        timeout=8)
