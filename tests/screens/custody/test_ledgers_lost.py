"""Lost and found desk (F8, first tab), driven by keys: register, claim with ID
(refused without), the hand-over, the witnessed disposal, the printed notice."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from deskapp.app import DeskApp
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models.custody import CustodyItem, ItemStatus, Ledger
from deskapp.screens.custody.ledgers import LedgersScreen
from deskapp.screens.custody.lostfound import ClaimForm, DisposeForm, FoundItemForm
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.services.custody import lostfound
from deskapp.services.custody.lostfound import FoundForm
from deskapp.widgets.form import FormField
from tests.screens.custody.fill import set_pin
from tests.screens.helpers import settle, sign_in
from tests.support import statements_sent

VALID_ID = "11010519491231002X"


async def open_ledgers(pilot: Pilot[None]) -> LedgersScreen:
    await sign_in(pilot, at="ledgers")
    screen = pilot.app.screen
    assert isinstance(screen, LedgersScreen)
    return screen


def lost_items(desk: Desk) -> list[CustodyItem]:
    with reading(desk.engine) as session:
        return list(session.exec(
            select(CustodyItem).where(CustodyItem.ledger == Ledger.LOST.value)
        ).all())


def field_error(screen: object, field: str) -> str:
    from textual.screen import Screen

    assert isinstance(screen, Screen)
    form_field = screen.query_one(f"#field-{field}", FormField)
    return str(form_field.query_one(".field-error", Static).render())


def register(desk: Desk, description: str, *, days_ago: int = 0,
             valuable: bool = False) -> CustodyItem:
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        actor = operators.get_operator(session, acting=Acting(desk.site_id), login="wang")
        return lostfound.register_found(
            session, acting=Acting(desk.site_id, actor),
            form=FoundForm(description=description, found_where="3号楼大堂", finder="刘阿姨",
                           valuable=valuable, place="L-1"),
            now=now - timedelta(days=days_ago),
        )


async def test_register_a_found_item_then_claim_it_only_with_an_id(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ledgers(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, FoundItemForm)
        await pilot.press(*"黑色钱包", "enter", *"3号楼大堂", "enter", "enter",
                          *"刘阿姨", "enter", "y", "enter", "enter", *"L-1")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        [item] = lost_items(staffed)
        assert (item.description, item.found_where, item.received_from) == (
            "黑色钱包", "3号楼大堂", "刘阿姨")
        assert item.valuable and item.place == "L-1" and item.status == ItemStatus.HELD.value
        table = screen.query_one("#desk-lost-table", DataTable)
        assert table.row_count == 1

        # Enter on the row: the claim form. Without an ID number it is refused, beside the field.
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClaimForm)
        await pilot.press(*"王小明", "enter", "enter", "enter", "y", "enter",
                          *"黑色三张卡", "enter", "y")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, ClaimForm)
        assert "ID number" in field_error(app.screen, "id_number")
        assert lost_items(staffed)[0].status == ItemStatus.HELD.value

        # The ID number typed: claimed, recorded in full on the record, masked in the list.
        app.screen.query_one("#claim-id-number").focus()
        await pilot.press(*VALID_ID)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        [item] = lost_items(staffed)
        assert item.status == ItemStatus.RELEASED.value
        assert (item.released_to, item.released_id_number) == ("王小明", VALID_ID)
        assert item.id_checked and item.release_note == "黑色三张卡"
        screen.query_one("#desk-lost-views").focus()
        await pilot.press("3")  # the view bar is no text field: 3 is the Claimed view
        await settle(pilot)
        row = [str(cell) for cell in table.get_row_at(0)]
        assert "**************002X" in row and VALID_ID not in row


async def test_a_valuable_from_yesterday_is_flagged_and_handed_to_admin(staffed: Desk) -> None:
    item = register(staffed, "手机", days_ago=1, valuable=True)
    register(staffed, "雨伞")  # today's: not on the hand-over list
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ledgers(pilot)
        table = screen.query_one("#desk-lost-table", DataTable)
        cells = [str(cell) for row in range(table.row_count) for cell in table.get_row_at(row)]
        assert "⚠ for admin" in cells
        screen.query_one("#desk-lost-views").focus()
        await pilot.press("7")
        await settle(pilot)
        assert table.row_count == 1
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press(*"陈主任")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
    states = {found.description: (found.status, found.admin_receiver)
              for found in lost_items(staffed)}
    assert states == {"手机": ("admin", "陈主任"), "雨伞": ("held", "")}
    assert item.id is not None


async def test_a_disposal_needs_two_different_witnesses_with_their_pins(staffed: Desk) -> None:
    register(staffed, "旧外套", days_ago=100)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ledgers(pilot)
        screen.query_one("#desk-lost-views").focus()
        await pilot.press("8")
        await settle(pilot)
        screen.query_one("#desk-lost-table").focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, DisposeForm)
        await pilot.press(*"捐赠", "ctrl+s")
        await settle(pilot)
        for login in ("wang", "wang"):  # the same person twice: refused
            await set_pin(pilot, login)
            await settle(pilot)
        assert isinstance(app.screen, DisposeForm)
        assert "two different" in field_error(app.screen, "witness_b")
        assert lost_items(staffed)[0].status == ItemStatus.HELD.value
        await pilot.press("ctrl+s")
        await settle(pilot)
        await set_pin(pilot, "li")
        await settle(pilot)
        assert app.screen is screen
    [item] = lost_items(staffed)
    with reading(staffed.engine) as session:
        wang = operators.get_operator(session, acting=Acting(staffed.site_id), login="wang")
        li = operators.get_operator(session, acting=Acting(staffed.site_id), login="li")
    assert item.status == ItemStatus.DISPOSED.value and item.disposal_note == "捐赠"
    assert (item.witness_a_id, item.witness_b_id) == (wang.id, li.id)


async def test_the_weekly_notice_is_saved_as_pdf_and_text(staffed: Desk) -> None:
    register(staffed, "钥匙扣")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_ledgers(pilot)
        await pilot.press("ctrl+r")
        await settle(pilot)
    prints = staffed.settings.data_dir / "prints"
    names = sorted(path.name for path in prints.iterdir())
    assert names == ["lost-notice-2026-11-23-1000.pdf", "lost-notice-2026-11-23-1000.txt"]
    text = (prints / names[1]).read_text(encoding="utf-8")
    assert "钥匙扣" in text and "刘阿姨" not in text  # a public notice names no finder


def found_earlier(desk: Desk, count: int) -> list[str]:
    """``count`` items found two days ago, a minute apart, unclaimed (written straight into
    the ledger: the list is what is tested). Their codes, found first first."""
    found = desk.clock.now() - timedelta(days=2)
    with transaction(desk.engine) as session:
        wang = operators.get_operator(session, acting=Acting(desk.site_id), login="wang")
        codes = [f"L-B{index:03d}" for index in range(1, count + 1)]
        for index, code in enumerate(codes):
            at = found + timedelta(minutes=index)
            session.add(CustodyItem(
                site_id=desk.site_id, ledger=Ledger.LOST.value, code=code,
                description="雨伞", found_where="3号楼大堂", received_from="刘阿姨",
                received_at=at, found_at=at, received_by_id=wang.id, created_at=at))
    return codes


def listed(pilot: Pilot[None]) -> list[str]:
    """The codes of the table's rows as the terminal shows them, top to bottom (the
    table left of the record pane's border)."""
    strips = pilot.app.screen._compositor.render_strips()
    return [cells.split()[0] for line in (strip.text for strip in strips) if "│" in line
            and (cells := line.split("│")[0].strip()).startswith("L-")]


async def test_the_notice_list_pages_forward_past_its_first_page(staffed: Desk) -> None:
    """130 unclaimed items on the weekly notice: the list reads the first 100 (found
    first first); the cursor on the last row loaded reads the rest, in order."""
    codes = found_earlier(staffed, 130)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_ledgers(pilot)
        screen.query_one("#desk-lost-views").focus()
        await pilot.press("6")  # the notice
        await settle(pilot)
        status = screen.query_one("#desk-lost-status", Static)
        assert str(status.render()) == "100 of 130 shown"
        rows = listed(pilot)
        assert len(rows) > 20 and rows == codes[:len(rows)]
        screen.query_one("#desk-lost-table").focus()
        with statements_sent(staffed.engine) as sent:
            await pilot.press("ctrl+end")  # the last row of the first page
            await settle(pilot)
        assert str(status.render()) == "130 of 130 shown"
        assert listed(pilot)[-1] == codes[99]
        [read] = [statement for statement in sent if "FROM custody_item LEFT OUTER JOIN unit"
                  in statement]
        assert " LIMIT " in read and " OFFSET " in read
        await pilot.press("down")  # the first row of the second page, right below it
        await settle(pilot)
        assert listed(pilot)[-2:] == codes[99:101]
        await pilot.press("ctrl+end")
        await settle(pilot)
        rows = listed(pilot)
        assert len(rows) > 20 and rows == codes[-len(rows):]
