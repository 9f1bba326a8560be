"""The release slip's forms at the desk (F6): the slip itself (new or amended), the
owner's confirmation, what a moving-out unit still has at the desk, the fees, the
issue (with a supervisor's override when a rule is broken), voiding and filing.

Each is a ``LedgerForm``: Enter moves on, ctrl+s saves, Esc backs out, and a
refusal shows beside its field with everything typed kept. The service decides;
these forms only read what was typed and show what it answers.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.app import ComposeResult
from textual.widgets import Static

from deskapp.errors import InvalidInput
from deskapp.formatting import desk_zone, parse_local_date, parse_local_time
from deskapp.i18n import N_, _
from deskapp.models import Operator
from deskapp.models.release import ApplicantRelation, ReleaseReason
from deskapp.screens.custody.ledger_forms import LedgerForm, Write, text_input, yes_no
from deskapp.services.acting import Acting
from deskapp.services.custody.checks import SUPERVISORS
from deskapp.services.directory import MAX_NAME_LENGTH, relation_label
from deskapp.services.release import checks, moving_out, slips
from deskapp.services.release.slips import OnFileNumber, Override, SlipForm
from deskapp.widgets.form import ChoiceBar, FormField, TextBox
from deskapp.widgets.staff_pin import StaffPinModal
from deskapp.widgets.unit_picker import UnitPicker

if TYPE_CHECKING:
    from deskapp.desk import Desk

IN_PERSON = "person"


def _local(moment: datetime, desk: Desk) -> str:
    return moment.astimezone(desk_zone(desk.settings.timezone)).strftime("%Y-%m-%d %H:%M")


class SlipFormModal(LedgerForm):
    """A new slip, or an amendment of one (a new revision; the old one is kept)."""

    TITLE_TEXT = N_("New release slip")
    DEFAULT_CSS = """
    SlipFormModal #slip-lines { height: 4; }
    SlipFormModal ChoiceBar { height: auto; }
    """

    def __init__(self, *, amend: int | None = None, form: SlipForm | None = None,
                 about: str = "") -> None:
        super().__init__(about)
        self.amend = amend
        self.start = form

    def compose_fields(self) -> ComposeResult:
        start = self.start
        relations = [(relation.value, slips.relation_label(relation.value))
                     for relation in ApplicantRelation]
        reasons = [(reason.value, slips.reason_label(reason.value)) for reason in ReleaseReason]
        yield FormField(_("Unit"), UnitPicker(id="slip-unit"), field="unit")
        yield FormField(_("Applicant"), text_input("slip-applicant",
                                                   max_length=MAX_NAME_LENGTH),
                        field="applicant_name")
        yield FormField(_("Relation to the unit"),
                        ChoiceBar(relations, id="slip-relation",
                                  value=start.applicant_relation if start else None),
                        field="applicant_relation")
        yield FormField(_("Items, one a line (x2 for a quantity; ! marks a large item)"),
                        TextBox("", id="slip-lines", soft_wrap=True, tab_behavior="focus"),
                        field="lines")
        yield FormField(_("Reason"), ChoiceBar(reasons, id="slip-reason",
                                               value=start.reason if start else None),
                        field="reason")
        yield FormField(_("Leaves on (12-03 10:00)"),
                        text_input("slip-planned", max_length=20), field="planned_at")
        yield FormField(_("Repair: back by (12-10)"), text_input("slip-due", max_length=12),
                        field="due_back_on")
        yield FormField(_("Carried by"), text_input("slip-carrier", max_length=MAX_NAME_LENGTH),
                        field="carrier_name")
        yield FormField(_("Carrier's ID number"), text_input("slip-carrier-id", max_length=20),
                        field="carrier_id_number")
        yield FormField(_("Carrier's phone"), text_input("slip-carrier-phone", max_length=20),
                        field="carrier_phone")
        yield FormField(_("Vehicle plate (none: empty)"), text_input("slip-plate",
                                                                     max_length=12),
                        field="plate")
        yield FormField(_("Driver"), text_input("slip-driver", max_length=MAX_NAME_LENGTH),
                        field="driver_name")
        yield FormField(_("Note (other: what and why)"),
                        text_input("slip-note", max_length=checks.MAX_NOTE), field="reason_note")

    def on_mount(self) -> None:
        self.query_one(UnitPicker).input.compact = True
        start = self.start
        if start is not None:
            zone = desk_zone(self.desk.settings.timezone)
            self._fill("#slip-applicant", start.applicant_name)
            area = self.query_one("#slip-lines", TextBox)
            area.load_text("\n".join(
                f"{line.description} x{line.quantity}" + (" !" if line.large else "")
                for line in start.lines))
            area.move_cursor(area.document.end)  # a line added goes after the others
            self._fill("#slip-planned", start.planned_at.astimezone(zone).strftime(
                "%Y-%m-%d %H:%M"))
            self._fill("#slip-due", start.due_back_on.isoformat() if start.due_back_on else "")
            self._fill("#slip-carrier", start.carrier_name)
            self._fill("#slip-carrier-id", start.carrier_id_number)
            self._fill("#slip-carrier-phone", start.carrier_phone)
            self._fill("#slip-plate", start.plate)
            self._fill("#slip-driver", start.driver_name)
            self._fill("#slip-note", start.reason_note)
            self.query_one(UnitPicker).input.value = start.unit
        super().on_mount()

    def _fill(self, selector: str, value: str) -> None:
        from textual.widgets import Input

        self.query_one(selector, Input).value = value

    def on_unit_picker_picked(self, event: UnitPicker.Picked) -> None:
        event.stop()
        self.focus_next()

    def has_items(self) -> bool:
        return bool(self.query_one("#slip-lines", TextBox).text.strip())

    def read_form(self, desk: Desk, now: datetime) -> SlipForm:
        zone = desk_zone(desk.settings.timezone)
        planned = parse_local_time(self.value("#slip-planned"), now=now, zone=zone,
                                   field="planned_at", ahead=True)
        if planned is None:
            raise InvalidInput(_("When do the items leave? Type the day and time, such as "
                                 "12-03 10:00."), field="planned_at")
        return SlipForm(
            unit=self.query_one(UnitPicker).value,
            applicant_name=self.value("#slip-applicant"),
            applicant_relation=self.choice("#slip-relation"),
            carrier_name=self.value("#slip-carrier"),
            reason=self.choice("#slip-reason"),
            planned_at=planned,
            lines=slips.parse_lines(self.query_one("#slip-lines", TextBox).text),
            carrier_id_number=self.value("#slip-carrier-id"),
            carrier_phone=self.value("#slip-carrier-phone"),
            plate=self.value("#slip-plate"),
            driver_name=self.value("#slip-driver"),
            reason_note=self.value("#slip-note"),
            due_back_on=parse_local_date(self.value("#slip-due"), now=now, zone=zone,
                                         field="due_back_on"),
        )

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        form, amend = self.read_form(desk, now), self.amend
        if amend is not None:
            return lambda session: slips.revise(session, acting=Acting(desk.site_id, actor),
                                                slip_id=amend,
                                                form=form, now=now,
                                                settings=desk.settings)
        return lambda session: slips.create(session, acting=Acting(desk.site_id, actor), form=form,
                                            now=now,
                                            settings=desk.settings)


def _number_label(number: OnFileNumber) -> str:
    return f"{number.name} ({relation_label(number.relation)}) {number.phone}"


class ConfirmationForm(LedgerForm):
    """The desk's call to the owner or tenant on the number on file, or the owner in person.

    The numbers offered are the directory's, never one the applicant gives; another
    number is typed with the reason it was called.
    """

    TITLE_TEXT = N_("The owner's confirmation")
    DEFAULT_CSS = "ConfirmationForm #confirm-who { height: auto; }"

    def __init__(self, slip_id: int, about: str, numbers: list[OnFileNumber],
                 owners: list[tuple[int, str]]) -> None:
        super().__init__(about)
        self.slip_id = slip_id
        self.numbers = numbers
        self.owners = owners

    def compose_fields(self) -> ComposeResult:
        choices = [(f"{number.resident_id}:{number.phone}", _number_label(number))
                   for number in self.numbers]
        choices += [(f"{resident_id}:{IN_PERSON}",
                     _("{name} here in person, ID checked").format(name=name))
                    for resident_id, name in self.owners]
        if not choices:
            yield Static(_("The unit has no owner or tenant on file with a number: add them "
                           "in the directory (F9) first."), id="confirm-none")
            return
        yield FormField(_("Who confirmed, on which number (call it now)"),
                        ChoiceBar(choices, id="confirm-who"), field="confirmed_by")
        yield FormField(_("Another number called (empty: the one chosen above)"),
                        text_input("confirm-phone", max_length=20), field="confirmed_phone")
        yield FormField(_("Why another number"),
                        text_input("confirm-why", max_length=checks.MAX_NOTE),
                        field="off_file_reason")
        yield FormField(_("In person: the owner's ID checked"),
                        yes_no("confirm-id", _("Checked"), _("Not yet")), field="id_checked")

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        if not self.query("#confirm-who"):
            raise InvalidInput(_("Nobody on file to confirm with."), field="confirmed_by")
        resident, _sep, how = self.choice("#confirm-who").partition(":")
        resident_id, slip_id = int(resident), self.slip_id
        if how == IN_PERSON:
            id_checked = self.said_yes("#confirm-id")
            return lambda session: slips.record_in_person(
                session, acting=Acting(desk.site_id, actor), slip_id=slip_id,
                resident_id=resident_id,
                id_checked=id_checked, now=now)
        phone = self.value("#confirm-phone").strip() or how
        reason = self.value("#confirm-why")
        return lambda session: slips.record_confirmation(
            session, acting=Acting(desk.site_id, actor), slip_id=slip_id, resident_id=resident_id,
            phone=phone, off_file_reason=reason, now=now)


class SettlementForm(LedgerForm):
    """Moving out: each thing the unit still has at the desk, settled or why not."""

    TITLE_TEXT = N_("What the unit still has at the desk")

    def __init__(self, slip_id: int, about: str, items: list[moving_out.Outstanding]) -> None:
        super().__init__(about)
        self.slip_id = slip_id
        self.items = items

    def compose_fields(self) -> ComposeResult:
        for index, item in enumerate(self.items):
            label = f"{moving_out.kind_label(item.kind)} {item.reference}  {item.what}"
            yield FormField(label, yes_no(f"settle-{index}", _("Settled"), _("Not settled")),
                            field=f"settled-{index}")
            yield FormField(_("How, or why not"),
                            text_input(f"settle-note-{index}", max_length=checks.MAX_NOTE),
                            field=f"settlement_note-{index}")

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        answers = [(item, self.said_yes(f"#settle-{index}"),
                    self.value(f"#settle-note-{index}"))
                   for index, item in enumerate(self.items)]
        slip_id = self.slip_id

        def settle(session: Any) -> Any:
            for item, settled, note in answers:
                moving_out.record_settlement(
                    session, acting=Acting(desk.site_id, actor), slip_id=slip_id, kind=item.kind,
                    record_id=item.record_id, settled=settled, note=note, now=now)
            return slips.get_slip(session, acting=Acting(desk.site_id), slip_id=slip_id)

        return settle

    def refused(self, error: Any) -> None:
        # The service names the note field without the row: point at the first empty one.
        if getattr(error, "field", "") == "settlement_note":
            for index, _item in enumerate(self.items):
                if not self.said_yes(f"#settle-{index}") and \
                        not self.value(f"#settle-note-{index}").strip():
                    error.field = f"settlement_note-{index}"
                    return


class FeesForm(LedgerForm):
    """Moving out: who confirmed the fees are settled (物业费已结清)."""

    TITLE_TEXT = N_("Moving-out fees settled")

    def __init__(self, slip_id: int, about: str) -> None:
        super().__init__(about)
        self.slip_id = slip_id

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("Who confirmed the fees are settled (name, e.g. the cashier)"),
                        text_input("fees-by", max_length=MAX_NAME_LENGTH),
                        field="fees_settled_by")

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        by, slip_id = self.value("#fees-by"), self.slip_id
        return lambda session: slips.record_fees_settled(
            session, acting=Acting(desk.site_id, actor), slip_id=slip_id, confirmed_by=by, now=now)


class IssueForm(LedgerForm):
    """Issue the slip. A broken rule a supervisor may override shows here; the override
    takes a reason and the supervisor's PIN, and is printed on the slip."""

    TITLE_TEXT = N_("Issue the release slip")

    def __init__(self, slip_id: int, about: str, broken: list[str]) -> None:
        super().__init__(about)
        self.slip_id = slip_id
        self.broken = broken
        self.supervisor: Operator | None = None

    def compose_fields(self) -> ComposeResult:
        if not self.broken:
            yield Static(_("Every rule is kept: ctrl+s issues the slip and prints it."),
                         id="issue-ok")
            return
        yield Static("\n".join("⚠ " + message for message in self.broken), id="issue-broken")
        yield FormField(_("Override: the reason (a supervisor signs with a PIN on ctrl+s)"),
                        text_input("issue-reason", max_length=checks.MAX_NOTE),
                        field="override_reason")

    async def prepare(self) -> bool:
        if not self.broken or self.supervisor is not None:
            return True
        if not self.value("#issue-reason").strip():
            self._refused(InvalidInput(_("Say why the rule is overridden."),
                                       field="override_reason"))
            return False
        self.supervisor = await self.app.push_screen_wait(StaffPinModal(
            self.about + "\n\n" + _("A supervisor overrides a release rule with a PIN."),
            roles=SUPERVISORS,
            refusal=_("Only a supervisor or a manager overrides a release rule."),
        ))
        return self.supervisor is not None

    def refused(self, error: Any) -> None:
        self.supervisor = None  # a refusal asks for the PIN again on the next ctrl+s

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        slip_id = self.slip_id
        override = None
        if self.broken and self.supervisor is not None:
            override = Override(self.supervisor, self.value("#issue-reason"))
        return lambda session: slips.issue(session, acting=Acting(desk.site_id, actor),
                                           slip_id=slip_id,
                                           now=now, settings=desk.settings,
                                           override=override)


class VoidForm(LedgerForm):
    TITLE_TEXT = N_("Void the release slip")

    def __init__(self, slip_id: int, about: str) -> None:
        super().__init__(about)
        self.slip_id = slip_id

    def compose_fields(self) -> ComposeResult:
        yield FormField(_("Why is it voided"), text_input("void-reason",
                                                          max_length=checks.MAX_NOTE),
                        field="void_reason")

    def write(self, *, desk: Desk, now: datetime, actor: Operator | None) -> Write:
        reason, slip_id = self.value("#void-reason"), self.slip_id
        return lambda session: slips.void(session, acting=Acting(desk.site_id, actor),
                                          slip_id=slip_id,
                                          reason=reason, now=now)
