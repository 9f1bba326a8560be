"""Keys (钥匙管理): the key register, issue and loan, return, and chasing overdue keys."""

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
from deskapp.i18n import N_, _
from deskapp.models import Operator, Role
from deskapp.models.custody import BorrowerKind, KeyLoan, KeyRecord, KeyStatus
from deskapp.screens.custody.ledger_forms import (
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
from deskapp.services import directory
from deskapp.services.acting import Acting
from deskapp.services.custody import core, keys
from deskapp.services.custody.keys import Borrower, KeyRow
from deskapp.services.custody.lists import Page
from deskapp.services.directory import MAX_NAME_LENGTH
from deskapp.widgets.form import ChoiceBar, FormField
from deskapp.widgets.staff_pin import StaffPinModal
from deskapp.widgets.unit_picker import UnitPicker

if TYPE_CHECKING:
    from sqlmodel import Session

    from deskapp.desk import Desk

REGISTER, OUT, OVERDUE = "register", "out", "overdue"
ISSUE = "issue"
"""The kind choice that hands the key to its owner for good (发放) rather than lending it."""


def key_about(row: KeyRow | KeyRecord, unit_code: str = "") -> str:
    unit = getattr(row, "unit_code", "") or unit_code
    return f"{row.code}  {unit}  {row.label}  ({row.place})"


class RegisterKeyForm(LedgerForm):
    TITLE_TEXT = N_("Register a key")

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("Unit"), UnitPicker(id="key-unit"), field="unit")
        yield FormField(_("Label"), text_input("key-label", max_length=64,
                                               placeholder=_("e.g. front door")),
                        field="label")
        yield FormField(_("Where kept"), text_input("key-place", max_length=64,
                                                    placeholder=_("e.g. cabinet A, hook 12")),
                        field="place")
        yield FormField(_("Custodian"), text_input("key-custodian", max_length=MAX_NAME_LENGTH),
                        field="custodian")
        yield FormField(_("Pieces"), text_input("key-pieces", kind="integer"), field="pieces")

    def on_mount(self) -> None:
        self.query_one(UnitPicker).input.compact = True
        super().on_mount()

    def on_unit_picker_picked(self, event: UnitPicker.Picked) -> None:
        event.stop()
        self.focus_next()

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        unit, label = self.query_one(UnitPicker).value, self.value("#key-label")
        place, custodian = self.value("#key-place"), self.value("#key-custodian")
        pieces = self.number("#key-pieces", field="pieces")
        return lambda session: keys.register_key(
            session, acting=Acting(desk.site_id, actor), unit=unit, label=label, place=place,
            custodian=custodian, pieces=pieces, now=now,
        )


class LendKeyForm(LedgerForm):
    """Lend a key (or issue it to its owner for good); sales staff need a manager's PIN."""

    TITLE_TEXT = N_("Lend or issue a key")

    def __init__(self, key_id: int, about: str) -> None:
        super().__init__(about)
        self.key_id = key_id
        self.manager: Operator | None = None

    def compose_fields(self) -> ComposeResult:
        kinds = [(kind.value, keys.borrower_kind_label(kind.value)) for kind in BorrowerKind]
        kinds.append((ISSUE, _("owner, for good")))
        yield FormField(_("Who takes it (one key)"), ChoiceBar(kinds, id="lend-kind"),
                        field="borrower_kind")
        yield FormField(_("Name"), text_input("lend-name", max_length=MAX_NAME_LENGTH),
                        field="borrower")
        yield FormField(_("Phone"), text_input("lend-phone", max_length=20),
                        field="borrower_phone")
        yield FormField(_("Company"), text_input("lend-company", max_length=64),
                        field="company")
        yield FormField(_("ID number"), text_input("lend-id-number", max_length=32),
                        field="id_number")
        yield FormField(_("ID checked (owners and residents)"),
                        yes_no("lend-id-checked", _("Checked"), _("Not yet")),
                        field="id_checked")
        yield FormField(_("Purpose"), text_input("lend-purpose", max_length=200),
                        field="purpose")
        yield FormField(_("Due back (14:30, 11-24 09:00; contractors: empty = 23:59 today)"),
                        text_input("lend-due", max_length=20), field="due_at")
        yield FormField(_("Borrower signed the register"),
                        yes_no("lend-signed", _("Signed"), _("Not yet")), field="signed")
        yield FormField(_("Manager's approval (sales staff)"),
                        Static(self._manager_line(), id="lend-manager"), field="approved_by")

    def _manager_line(self) -> str:
        if self.manager is None:
            return _("asked on ctrl+s for sales staff")
        return "✓ " + self.manager.display_name

    async def prepare(self) -> bool:
        if self.choice("#lend-kind") == BorrowerKind.SALES.value and self.manager is None:
            self.manager = await self.app.push_screen_wait(StaffPinModal(
                self.about + "\n\n" + _("A key lent to sales staff needs a manager's approval: "
                                        "the manager signs in with their PIN."),
                roles=(Role.MANAGER.value,),
                refusal=_("Only a manager approves a key lent to sales staff."),
            ))
            self.query_one("#lend-manager", Static).update(self._manager_line())
        # Without a manager the service still refuses, with its reason beside the field.
        return True

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        kind, key_id = self.choice("#lend-kind"), self.key_id
        borrower = Borrower(
            name=self.value("#lend-name"),
            kind=BorrowerKind.OWNER.value if kind == ISSUE else kind,
            phone=self.value("#lend-phone"), company=self.value("#lend-company"),
            id_checked=self.said_yes("#lend-id-checked"),
            id_number=self.value("#lend-id-number"), signed=self.said_yes("#lend-signed"),
        )
        if kind == ISSUE:
            return lambda session: keys.issue_key(
                session, acting=Acting(desk.site_id, actor), key_id=key_id, owner=borrower, now=now,
                settings=desk.settings)
        due = parse_local_time(self.value("#lend-due"), now=now,
                               zone=desk_zone(desk.settings.timezone), field="due_at")
        purpose = self.value("#lend-purpose")
        approved_by = self.manager if kind == BorrowerKind.SALES.value else None
        return lambda session: keys.lend_key(
            session, acting=Acting(desk.site_id, actor), key_id=key_id, borrower=borrower,
            purpose=purpose,
            due_at=due, now=now, settings=desk.settings, approved_by=approved_by,
        )


class ReturnKeyForm(LedgerForm):
    TITLE_TEXT = N_("Key returned")

    def __init__(self, key_id: int, about: str) -> None:
        super().__init__(about)
        self.key_id = key_id

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("Returned by (empty: the borrower)"),
                        text_input("return-by", max_length=MAX_NAME_LENGTH), field="returned_by")
        yield FormField(_("Note"), text_input("return-note", max_length=500), field="note")

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        key_id, returned_by = self.key_id, self.value("#return-by")
        note = self.value("#return-note")
        return lambda session: keys.return_key(
            session, acting=Acting(desk.site_id, actor), key_id=key_id, now=now,
            returned_by=returned_by, note=note)


class ChaseForm(LedgerForm):
    TITLE_TEXT = N_("Chase the borrower")

    def __init__(self, loan_id: int, about: str) -> None:
        super().__init__(about)
        self.loan_id = loan_id

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("What was done"),
                        text_input("chase-note", max_length=500,
                                   placeholder=_("e.g. called, returns by 17:00")),
                        field="note")

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        loan_id, note = self.loan_id, self.value("#chase-note")
        return lambda session: keys.chase(session, acting=Acting(desk.site_id, actor),
                                          loan_id=loan_id,
                                          note=note, now=now)


def status_cell(row: KeyRow) -> Text:
    if row.overdue:
        return flagged(_("overdue"))
    if row.status == KeyStatus.OUT.value:
        return Text("→ " + keys.key_status_label(row.status), style=tone("warning"))
    if row.status == KeyStatus.IN.value:
        return done(keys.key_status_label(row.status))
    return Text(keys.key_status_label(row.status))


class KeysDesk(LedgerDesk):
    VIEWS = ((REGISTER, N_("Register")), (OUT, N_("Out")), (OVERDUE, N_("Overdue")))
    BINDINGS = [
        Binding("ctrl+n", "register", N_("Register key")),
        Binding("ctrl+e", "chase", N_("Chase")),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "chase":
            row = self.table.current_row() if self.is_mounted else None
            return row is not None and row.loan_id is not None
        return True

    def columns(self) -> list[str]:
        return [_("Code"), _("Status"), _("Unit"), _("Label"), _("Has it"), _("Due"),
                _("Where kept"), _("Custodian"), _("Chased")]

    def cells(self, row: KeyRow) -> Sequence[Any]:
        desk = self.desk_app.desk
        now = desk.clock.now()
        zone = desk_zone(desk.settings.timezone)
        holder = ""
        if row.borrower_name:
            holder = f"{row.borrower_name} ({keys.borrower_kind_label(row.borrower_kind)})"
        due = format_when(row.due_at, now, zone) if row.due_at else ""
        chased = str(row.chase_count) if row.chase_count else ""
        return [code_cell(row.code, overdue=row.overdue), status_cell(row), row.unit_code,
                row.label, holder, Text(due, style=tone("error") if row.overdue else ""),
                row.place, row.custodian, chased]

    def fetch(self, session: Session, *, desk: Desk, now: datetime, offset: int,
              limit: int) -> Page[KeyRow]:
        if self.view == REGISTER:
            return keys.register(session, acting=Acting(desk.site_id), now=now, offset=offset,
                                 limit=limit)
        return keys.keys_out(session, acting=Acting(desk.site_id), now=now,
                             overdue_only=self.view == OVERDUE, offset=offset, limit=limit)

    def record_text(self, session: Session, *, desk: Desk, now: datetime,
                    record_id: int) -> Text:
        key = keys.get_key(session, acting=Acting(desk.site_id), key_id=record_id)
        zone = desk_zone(desk.settings.timezone)

        def when(moment: datetime | None) -> str:
            return format_when(moment, now, zone) if moment else "—"

        out = Text(f"{key.code}  ", style="bold")
        out.append(keys.key_status_label(key.status) + "\n\n")
        out.append_text(lines([(_("Label"), key.label), (_("Where kept"), key.place),
                               (_("Custodian"), key.custodian), (_("Pieces"), str(key.pieces))]))
        loan = keys.open_loan(session, key_id=record_id)
        if loan is not None:
            pairs = [
                (_("Has it"), f"{loan.borrower_name} "
                              f"({keys.borrower_kind_label(loan.borrower_kind)})"),
                (_("Phone"), loan.borrower_phone or "—"),
                (_("Company"), loan.borrower_company or "—"),
                (_("ID number"), loan.id_number or "—"),
                (_("Purpose"), loan.purpose or "—"),
                (_("Out since"), when(loan.out_at)),
            ]
            if not loan.permanent:
                pairs.append((_("Due"), when(loan.due_at)))
            if loan.chase_count:
                pairs.append((_("Chased"), f"{loan.chase_count} × {when(loan.chased_at)}"))
            out.append("\n")
            out.append_text(lines(pairs))
        out.append("\n" + _("Timeline") + "\n", style="bold")
        for event in keys.key_timeline(session, acting=Acting(desk.site_id), key_id=record_id):
            out.append(f"{when(event.at)}  {core.event_label(event.kind)}  {event.note}\n")
        return out

    def view_of(self, record_id: int) -> str:
        # Every key but a retired one is on the register; its row shows whether it is out.
        return REGISTER if self.view == REGISTER else self._out_view(record_id)

    def _out_view(self, record_id: int) -> str:
        desk = self.desk_app.desk
        key = self.desk_app.read(
            lambda session: keys.get_key(session, acting=Acting(desk.site_id), key_id=record_id))
        if key is None or key.status == KeyStatus.OUT.value:
            return self.view
        return REGISTER

    def next_step(self, record_id: int) -> None:
        desk = self.desk_app.desk
        try:
            with reading(desk.engine) as session:
                key = keys.get_key(session, acting=Acting(desk.site_id), key_id=record_id)
                unit_code = directory.unit_code(session, key.unit_id)
        except DeskError as error:
            self.app.notify(error.message, severity="error")
            return
        about = key_about(key, unit_code)
        if key.status == KeyStatus.IN.value:
            self.app.push_screen(LendKeyForm(record_id, about), self.after_form)
        elif key.status == KeyStatus.OUT.value:
            self.app.push_screen(ReturnKeyForm(record_id, about), self.after_form)
        else:
            self.app.notify(_("{code} is {status}: nothing more to do.").format(
                code=key.code, status=keys.key_status_label(key.status)))

    def action_register(self) -> None:
        self.app.push_screen(RegisterKeyForm(), self.after_form)

    def action_chase(self) -> None:
        row = self.table.current_row()
        if row is None or row.loan_id is None:
            return
        about = f"{key_about(row)}\n{row.borrower_name}  {row.borrower_phone}"
        self.app.push_screen(ChaseForm(row.loan_id, about), self.after_form)

    def after_form(self, result: Any) -> None:
        if isinstance(result, KeyLoan):
            word = _("returned") if result.returned_at else (
                _("chased") if result.chase_count and result.chased_at else _("out"))
            self.app.notify(f"{result.borrower_name}: {word}")
        elif isinstance(result, KeyRecord):
            self.app.notify(_("Registered {code}.").format(code=result.code))
        super().after_form(result)
