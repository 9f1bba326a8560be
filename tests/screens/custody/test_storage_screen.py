"""Item storage (F5) driven by keys: deposit, the ticket, collection, a lost ticket."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Label, Static

from deskapp import i18n
from deskapp.app import DeskApp
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models import AuditEntry
from deskapp.models.custody import CustodyItem, StorageCategory
from deskapp.screens.custody.storage import StorageScreen
from deskapp.screens.custody.storage_forms import DepositForm
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.services.custody import storage
from deskapp.services.custody.checks import Collector
from deskapp.services.custody.storage import StorageForm
from deskapp.widgets.confirm import ConfirmModal
from deskapp.widgets.form import ChoiceBar, FormField
from deskapp.widgets.unit_picker import UnitPicker
from tests.screens.custody.fill import pick_unit, set_choices, set_pin, set_values
from tests.screens.helpers import pin_checked, settle, sign_in


async def open_storage(pilot: Pilot[None]) -> StorageScreen:
    await sign_in(pilot, at="storage")
    screen = pilot.app.screen
    assert isinstance(screen, StorageScreen)
    return screen


def error_of(screen: StorageScreen, field: str) -> str:
    form_field = next(f for f in screen.query(FormField) if f.field == field)
    return str(form_field.query_one(".field-error", Static).render())


def items(desk: Desk) -> list[CustodyItem]:
    with reading(desk.engine) as session:
        return list(session.exec(select(CustodyItem).order_by(CustodyItem.id)).all())


def audit_actions(desk: Desk) -> list[str]:
    with reading(desk.engine) as session:
        return [entry.action for entry in session.exec(select(AuditEntry)).all()]


async def type_into(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text)


async def fill_deposit(pilot: Pilot[None], *, category: str = "1") -> None:
    """The storage form by keys only: resident 1-1-101 picked, the rest typed, Enter between."""
    await pilot.press("ctrl+n")
    await settle(pilot)
    await pilot.press("enter")  # depositor: resident (default)
    await type_into(pilot, "1-1-101")
    await pilot.press("enter")  # picks the unit and fills name and phone
    await settle(pilot)
    await pilot.press("enter", "enter")  # name, phone (filled)
    await type_into(pilot, "110101199003070011")
    await pilot.press("enter")
    await type_into(pilot, "李明")
    await pilot.press("enter")
    await type_into(pilot, "A-3")
    await pilot.press("enter")
    await type_into(pilot, "行李箱 蓝色")
    await pilot.press("enter", "backspace", "2", "enter")
    await type_into(pilot, "完好")
    await pilot.press("enter", category, "enter")
    await settle(pilot)


async def set_deposit(pilot: Pilot[None], *, category: str = StorageCategory.ORDINARY.value,
                      signed: bool = False) -> None:
    """The storage form of ``fill_deposit``, its values set instead of typed: the same
    unit picked (name and phone from the directory), the same text, the same category,
    the cursor on the depositor's signature; ``signed``: "y" pressed there.

    ``fill_deposit`` (by keys) is proved by the deposit test; the other tests start here.
    """
    await pilot.press("ctrl+n")
    await settle(pilot)
    screen = pilot.app.screen
    pick_unit(screen.query_one("#deposit-unit", UnitPicker), "1-1-101")
    await settle(pilot)
    set_values(screen, {
        "#deposit-id-number": "110101199003070011", "#deposit-may-collect": "李明",
        "#deposit-shelf": "A-3", "#deposit-description": "行李箱 蓝色",
        "#deposit-pieces": "2", "#deposit-condition": "完好",
    })
    set_choices(screen, {"#deposit-category": category,
                         "#deposit-confirmed": "yes" if signed else "no"})
    screen.query_one("#deposit-confirmed", ChoiceBar).focus()
    await settle(pilot)
    assert (screen.query_one("#deposit-name", Input).value,
            screen.query_one("#deposit-phone", Input).value) == ("王芳", "13812345678")


async def test_a_deposit_by_keys_is_saved_audited_and_its_ticket_printed(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        await fill_deposit(pilot)
        await pilot.press("y")  # the depositor signed
        await pilot.press("ctrl+s")
        await settle(pilot)
        [item] = items(staffed)
        assert item.status == "held" and item.ledger == "storage"
        assert (item.owner_name, item.owner_phone) == ("王芳", "13812345678")
        assert item.owner_id_number == "110101199003070011"
        assert (item.may_collect, item.place, item.description) == ("李明", "A-3", "行李箱 蓝色")
        assert (item.pieces, item.condition, item.category) == (2, "完好", "ordinary")
        assert item.depositor_confirmed
        assert "storage.deposit" in audit_actions(staffed)
        assert screen.mode == "ticket"
        big = str(screen.query_one("#storage-ticket-code", Static).render())
        assert f"Ticket {item.code}" in big
        assert item.code in str(screen.query_one("#storage-ticket-text", Static).render())
        prints = Path(staffed.settings.data_dir) / "prints"
        assert (prints / f"ticket-{item.code}.pdf").exists()
        assert item.code in (prints / f"ticket-{item.code}.txt").read_text(encoding="utf-8")
        # The form is empty again for the next depositor.
        await pilot.press("ctrl+n")
        assert screen.query_one("#deposit-name", Input).value == ""


async def test_a_refused_field_shows_beside_it_and_keeps_the_text(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        await set_deposit(pilot)
        await pilot.press("ctrl+s")  # not signed by the depositor yet
        await settle(pilot)
        assert items(staffed) == []
        assert "signature" in error_of(screen, "depositor_confirmed")
        assert screen.query_one("#deposit-description", Input).value == "行李箱 蓝色"


async def test_cash_without_a_supervisor_is_refused_beside_the_category(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        await set_deposit(pilot, category=StorageCategory.CASH.value, signed=True)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert items(staffed) == []
        assert "Cash is not taken" in error_of(screen, "category")
        assert screen.query_one("#deposit-description", Input).value == "行李箱 蓝色"
        assert screen.query_one("#deposit-shelf", Input).value == "A-3"


async def test_cash_with_a_supervisors_exception_is_saved(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        await set_deposit(pilot, category=StorageCategory.CASH.value, signed=True)
        await pilot.press("ctrl+g")
        await settle(pilot)
        await set_pin(pilot, "li")  # an operator, not a supervisor
        await pin_checked(pilot)
        assert "not a supervisor" in str(app.screen.query_one("#pin-message").render())
        await pilot.press("escape")
        await pilot.press("ctrl+g")
        await settle(pilot)
        await set_pin(pilot, "zhao")
        await pin_checked(pilot)
        assert app.screen is screen
        note = screen.query_one("#deposit-exception-note", Input)
        assert app.focused is note  # the supervisor has signed: their note next
        note.value = "密封信封 主管核对金额 500 元"
        await pilot.press("ctrl+s")
        await settle(pilot)
        [item] = items(staffed)
        assert item.category == "cash"
        assert item.exception_note == "密封信封 主管核对金额 500 元"
        with reading(staffed.engine) as session:
            zhao = operators.get_operator(session, acting=Acting(staffed.site_id), login="zhao")
        assert item.exception_by_id == zhao.id
        assert screen.mode == "ticket"


async def test_esc_with_typed_text_asks_before_leaving_the_form(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        await pilot.press("ctrl+n", "tab", "tab")  # depositor kind → unit → name
        await type_into(pilot, "王")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert screen.mode == "deposit"
        assert screen.query_one("#deposit-name", Input).value == "王"
        await pilot.press("escape", "y")
        await settle(pilot)
        assert screen.mode == "list"
        assert screen.query_one("#deposit-name", Input).value == ""


def deposit_one(desk: Desk, *, name: str = "王芳", phone: str = "13812345678",
                id_number: str = "") -> CustodyItem:
    with transaction(desk.engine) as session:
        clerk = operators.get_operator(session, acting=Acting(desk.site_id), login="wang")
        return storage.deposit(
            session, acting=Acting(desk.site_id, clerk),
            form=StorageForm(depositor_name=name, description="纸箱", shelf="B-1", phone=phone,
                             unit="1-1-101", id_number=id_number, depositor_confirmed=True),
            now=desk.clock.now(),
        )


async def collect_by_keys(pilot: Pilot[None]) -> None:
    await type_into(pilot, "王丽")
    await pilot.press("enter")
    await type_into(pilot, "家属")
    await pilot.press("enter", "enter", "y", "enter", "enter", "y", "ctrl+s")
    await settle(pilot)


async def test_typing_the_ticket_code_hands_the_item_over(staffed: Desk) -> None:
    code = deposit_one(staffed).code or ""
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        table = screen.query_one("#storage-items", DataTable)
        assert table.row_count == 1
        await type_into(pilot, code.lower().replace("-", ""))
        await pilot.press("enter")
        await settle(pilot)
        assert screen.mode == "collect"
        assert code in str(screen.query_one("#storage-record-body", Static).render())
        await collect_by_keys(pilot)
        [item] = items(staffed)
        assert item.status == "released"
        assert (item.released_to, item.released_relation, item.id_checked) == ("王丽", "家属", True)
        assert "storage.collect" in audit_actions(staffed)
        assert screen.mode == "list" and table.row_count == 0


async def test_a_code_with_a_typo_is_refused_beside_the_field(staffed: Desk) -> None:
    code = deposit_one(staffed).code or ""
    typo = code[:-1] + ("A" if code[-1] != "A" else "B")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        screen.query_one("#storage-code", Input).value = typo
        await pilot.press("enter")
        await settle(pilot)
        assert screen.mode == "list"
        assert "typo" in error_of(screen, "code")
        assert screen.query_one("#storage-code", Input).value == typo


async def test_a_code_already_collected_is_refused_with_who_took_it(staffed: Desk) -> None:
    code = deposit_one(staffed).code or ""
    with transaction(staffed.engine) as session:
        storage.collect(session, acting=Acting(staffed.site_id), code=code,
                        collector=Collector("王丽", id_checked=True, signed=True),
                        now=staffed.clock.now(), settings=staffed.settings)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        screen.query_one("#storage-code", Input).value = code
        await pilot.press("enter")
        await settle(pilot)
        assert screen.mode == "list"
        assert "already handed over to 王丽" in error_of(screen, "code")
    assert [item.status for item in items(staffed)] == ["released"]


async def test_collection_without_the_signature_is_refused_and_nothing_handed_out(
    staffed: Desk,
) -> None:
    code = deposit_one(staffed).code or ""
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        screen.query_one("#storage-code", Input).value = code
        await pilot.press("enter")
        await settle(pilot)
        assert screen.mode == "collect"
        # The collector's form by keys is test_typing_the_ticket_code_hands_the_item_over's.
        set_values(screen, {"#collect-name": "王丽"})
        set_choices(screen, {"#collect-id-checked": "yes"})  # not signed
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "signs" in error_of(screen, "signed")
        assert screen.query_one("#collect-name", Input).value == "王丽"
    assert [item.status for item in items(staffed)] == ["held"]


async def test_open_code_shows_the_item_ready_for_collection(staffed: Desk) -> None:
    code = deposit_one(staffed).code or ""
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        app.go("storage")
        screen = app.desk_screen("storage")
        assert isinstance(screen, StorageScreen)
        screen.open_code(code)
        await settle(pilot)
        assert screen.mode == "collect"
        assert code in str(screen.query_one("#storage-record-body", Static).render())
        assert app.focused is screen.query_one("#collect-name", Input)


async def test_a_lost_ticket_is_released_with_a_supervisors_note(staffed: Desk) -> None:
    deposit_one(staffed, name="赵六", phone="13700001111")
    deposit_one(staffed, name="钱七", phone="13900002222")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        await pilot.press("ctrl+f")
        await type_into(pilot, "1111")
        await settle(pilot)
        hits = screen.query_one("#storage-lost-hits", DataTable)
        assert hits.row_count == 1
        assert "137****1111" in [str(cell) for cell in hits.get_row_at(0)]
        await pilot.press("enter", "enter")
        await settle(pilot)
        assert screen.mode == "lost-item"
        assert app.focused is screen.query_one("#collect-name", Input)
        # The collector's form by keys is test_typing_the_ticket_code_hands_the_item_over's.
        set_values(screen, {"#collect-name": "赵六", "#collect-relation": "本人",
                            "#collect-id-number": "110101199003070011"})
        set_choices(screen, {"#collect-id-checked": "yes", "#collect-signed": "yes"})
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "supervisor" in error_of(screen, "supervisor")
        assert [item.status for item in items(staffed)] == ["held", "held"]
        await pilot.press("ctrl+g")
        await settle(pilot)
        await set_pin(pilot, "zhao")
        await pin_checked(pilot)
        note = screen.query_one("#collect-note", Input)
        assert app.focused is note  # the supervisor has signed: their note next
        note.value = "凭身份证核对本人, 凭条遗失"
        await pilot.press("ctrl+s")
        await settle(pilot)
        first, second = items(staffed)
        assert first.status == "released" and second.status == "held"
        assert first.release_note == "凭身份证核对本人, 凭条遗失"
        assert first.released_id_number == "110101199003070011"
        assert "storage.release_lost_ticket" in audit_actions(staffed)
        assert screen.mode == "list"


async def test_overdue_items_are_marked_and_filtered(staffed: Desk) -> None:
    from datetime import timedelta

    from deskapp.services.clock import FixedClock

    assert isinstance(staffed.clock, FixedClock)
    old = deposit_one(staffed, name="老王")
    staffed.clock.advance(timedelta(days=8))
    deposit_one(staffed, name="新李")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        table = screen.query_one("#storage-items", DataTable)
        first = [str(cell) for cell in table.get_row_at(0)]
        assert first[0] == old.code and "⚠ overdue" in first[-1]
        assert first[2] == "8 d 0 h"
        assert "overdue" not in str(table.get_row_at(1)[-1])
        assert "1 overdue" in str(screen.query_one("#storage-count", Static).render())
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert table.row_count == 1
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert screen.state.view == "all" and table.row_count == 2


async def test_enter_on_a_row_shows_the_record_and_its_timeline(staffed: Desk) -> None:
    item = deposit_one(staffed, id_number="110101199003070011")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        await pilot.press("tab", "tab", "enter")
        await settle(pilot)
        assert screen.mode == "item"
        body = str(screen.query_one("#storage-record-body", Static).render())
        assert item.code in body and "13812345678" in body and "110101199003070011" in body
        assert "Timeline" in body and "王芳" in body
        await pilot.press("escape")
        assert screen.mode == "list"


async def test_the_form_survives_a_language_switch(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        await set_deposit(pilot, category=StorageCategory.CASH.value)

        def description_label() -> str:
            return str(screen.query_one("#field-description .field-label", Label).render())

        assert description_label() == "Description"
        for language, label in (("zh_CN", "物品描述"), ("en", "Description")):
            await pilot.press("f12")
            await settle(pilot)
            assert i18n.current_language() == language
            assert description_label() == label  # the form is drawn in the new language
            assert screen.mode == "deposit"
            assert screen.query_one("#deposit-description", Input).value == "行李箱 蓝色"
            assert screen.query_one("#deposit-shelf", Input).value == "A-3"
            form = screen.query_one(DepositForm)
            assert form.category == "cash"
            assert form.query_one("#deposit-exception").display


async def test_a_reprint_that_cannot_be_saved_says_why_and_still_shows_the_ticket(
    staffed: Desk,
) -> None:
    """The ticket is built and saved in a thread; a folder that cannot be written is one
    line, and the ticket's text and code are still on screen to read out."""
    item = deposit_one(staffed)
    prints = Path(staffed.settings.data_dir) / "prints"
    prints.write_text("not a folder", encoding="utf-8")  # the prints folder cannot be made
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_storage(pilot)
        screen.query_one("#storage-items", DataTable).focus()
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert screen.mode == "ticket"
        assert "Could not save the ticket" in str(
            screen.query_one("#storage-ticket-files", Static).render())
        assert item.code in str(screen.query_one("#storage-ticket-text", Static).render())
        assert app.is_running
