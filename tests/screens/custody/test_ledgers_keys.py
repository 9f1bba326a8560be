"""Keys desk (F8, second tab), driven by keys: a contractor's loan (due the same day),
a second loan refused, the return; a sales loan without and with a manager; a chase."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from deskapp.app import DeskApp
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models.custody import BorrowerKind, KeyLoan, KeyRecord, KeyStatus
from deskapp.screens.custody.keys import LendKeyForm, ReturnKeyForm
from deskapp.screens.custody.ledgers import LedgersScreen
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.services.custody import keys
from deskapp.services.custody.keys import Borrower
from tests.screens.custody.fill import set_choices, set_pin, set_values
from tests.screens.custody.test_ledgers_lost import field_error, settle
from tests.screens.helpers import sign_in


def add_key(desk: Desk, unit: str = "1-1-101", label: str = "入户门") -> KeyRecord:
    with transaction(desk.engine) as session:
        return keys.register_key(session, acting=Acting(desk.site_id), unit=unit, label=label,
                                 place="A柜-12", custodian="赵主管", now=desk.clock.now())


def add_manager(desk: Desk) -> None:
    with transaction(desk.engine) as session:
        operators.add_operator(session, acting=Acting(desk.site_id), login="qian",
                               display_name="钱经理",
                               role="manager", secret="1234", now=desk.clock.now())


def loans(desk: Desk) -> list[KeyLoan]:
    with reading(desk.engine) as session:
        return list(session.exec(select(KeyLoan).order_by(KeyLoan.id)).all())  # type: ignore[arg-type]


def key_status(desk: Desk, key_id: int) -> str:
    with reading(desk.engine) as session:
        return keys.get_key(session, acting=Acting(desk.site_id), key_id=key_id).status


async def open_keys(pilot: Pilot[None]) -> LedgersScreen:
    await sign_in(pilot, at="ledgers")
    screen = pilot.app.screen
    assert isinstance(screen, LedgersScreen)
    await pilot.press("ctrl+t")
    await settle(pilot)
    assert screen.tab == "keys"
    return screen


async def test_lend_to_a_contractor_refuse_a_second_loan_and_return(staffed: Desk) -> None:
    key = add_key(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_keys(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, LendKeyForm)
        await pilot.press("3", "enter", *"刘师傅", "enter", *"13800001111", "enter",
                          *"恒安装修", "enter", "enter", "enter", *"修水管", "enter", "enter", "y")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        [loan] = loans(staffed)
        assert (loan.borrower_name, loan.borrower_kind, loan.purpose) == (
            "刘师傅", "contractor", "修水管")
        # Due the same day: 23:59 in Beijing.
        assert loan.due_at is not None
        assert loan.due_at.replace(tzinfo=UTC) == datetime(2026, 11, 23, 15, 59, tzinfo=UTC)
        assert key_status(staffed, key.id or 0) == KeyStatus.OUT.value
        table = screen.query_one("#desk-keys-table", DataTable)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert any("刘师傅" in cell for cell in row) and "13800001111" not in row

        # A form opened before the loan (another desk): saving it is refused with who has it.
        # (The form was typed above; here its values are set.)
        second = LendKeyForm(key.id or 0, "K")
        app.push_screen(second)
        await settle(pilot)
        set_loan(second, kind=BorrowerKind.OWNER.value, name="王芳", id_number=VALID,
                 id_checked=True, due="18:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is second
        message = str(app.screen.query_one("#form-message", Static).render())
        assert "already out with 刘师傅" in message
        assert len(loans(staffed)) == 1
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")  # leave the form with typed text: asked first
        await settle(pilot)
        assert app.screen is screen

        # Enter on a key that is out: the return.
        table.focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ReturnKeyForm)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
    [loan] = loans(staffed)
    assert loan.returned_at is not None and loan.returned_from == "刘师傅"
    assert key_status(staffed, key.id or 0) == KeyStatus.IN.value


VALID = "11010519491231002X"


def set_loan(form: LendKeyForm, *, kind: str, name: str, company: str = "",
             id_number: str = "", id_checked: bool = False, purpose: str = "", due: str = "",
             signed: bool = True) -> None:
    """The lend form's fields set, not typed (the contractor's loan above types them)."""
    set_values(form, {"#lend-name": name, "#lend-company": company,
                      "#lend-id-number": id_number, "#lend-purpose": purpose, "#lend-due": due})
    set_choices(form, {"#lend-kind": kind, "#lend-id-checked": "yes" if id_checked else "no",
                       "#lend-signed": "yes" if signed else "no"})


async def test_a_sales_loan_needs_a_manager_with_their_pin(staffed: Desk) -> None:
    add_manager(staffed)
    key = add_key(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_keys(pilot)
        await pilot.press("enter")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, LendKeyForm)
        set_loan(form, kind=BorrowerKind.SALES.value, name="孙销售", company="置业顾问部",
                 purpose="带客看房", due="17:00")
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("escape")  # no manager at hand
        await settle(pilot)
        assert isinstance(app.screen, LendKeyForm)
        assert "manager's approval" in field_error(app.screen, "approved_by")
        assert loans(staffed) == []

        await pilot.press("ctrl+s")
        await settle(pilot)
        await set_pin(pilot, "wang")  # an operator: not enough
        await settle(pilot)
        pin_message = str(app.screen.query_one("#pin-message", Static).render())
        assert "Only a manager" in pin_message
        # The PIN dialog by keys, end to end (the other tests set its two fields).
        await pilot.press(*"qian", "enter", *"1234", "enter")
        await settle(pilot)
        assert app.screen is screen
    [loan] = loans(staffed)
    with reading(staffed.engine) as session:
        manager = operators.get_operator(session, acting=Acting(staffed.site_id), login="qian")
    assert (loan.borrower_kind, loan.approved_by_id) == ("sales", manager.id)
    assert loan.due_at is not None
    assert loan.due_at.replace(tzinfo=UTC) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    assert key_status(staffed, key.id or 0) == KeyStatus.OUT.value


async def test_an_overdue_key_is_listed_with_who_has_it_and_chased(staffed: Desk) -> None:
    key = add_key(staffed)
    now = staffed.clock.now()
    with transaction(staffed.engine) as session:
        keys.lend_key(session, acting=Acting(staffed.site_id), key_id=key.id or 0,
                      borrower=Borrower(name="刘师傅", kind="contractor", phone="13800001111",
                                        signed=True),
                      purpose="修水管", due_at=now - timedelta(hours=1),
                      now=now - timedelta(hours=3), settings=staffed.settings)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_keys(pilot)
        screen.query_one("#desk-keys-views").focus()
        await pilot.press("3")
        await settle(pilot)
        table = screen.query_one("#desk-keys-table", DataTable)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert "⚠ overdue" in row and any("刘师傅" in cell for cell in row)
        table.focus()
        await pilot.press("ctrl+e")
        await settle(pilot)
        await pilot.press(*"电话催还", "ctrl+s")
        await settle(pilot)
        assert app.screen is screen
    [loan] = loans(staffed)
    assert loan.chase_count == 1 and loan.chased_at is not None
