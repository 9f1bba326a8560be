"""Parcels desk (F8, third tab), driven by keys: the fast check-in of a pile with a
parcel scanned twice in the middle, the pickup, and one parcel logged by its form."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, RichLog

from deskapp.app import DeskApp
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models.custody import CustodyItem, ItemStatus, Ledger
from deskapp.screens.custody.ledgers import LedgersScreen
from deskapp.screens.custody.parcels import CheckInForm, LogParcelForm, PickupForm
from deskapp.services.acting import Acting
from deskapp.services.custody import parcels
from tests.screens.custody.test_ledgers_lost import field_error
from tests.screens.helpers import burst, settle, sign_in


def waiting(desk: Desk) -> list[CustodyItem]:
    with reading(desk.engine) as session:
        return list(session.exec(
            select(CustodyItem).where(CustodyItem.ledger == Ledger.PARCEL.value)
            .order_by(CustodyItem.id)  # type: ignore[arg-type]
        ).all())


def log(desk: Desk, tracking: str, *, days_ago: int = 0, unit: str = "3-2-1201",
        name: str = "张伟") -> CustodyItem:
    with transaction(desk.engine) as session:
        return parcels.check_in(session, acting=Acting(desk.site_id), scan=tracking, carrier="顺丰",
                                unit=unit, resident_name=name, shelf="B-2", consent=True,
                                now=desk.clock.now() - timedelta(days=days_ago),
                                settings=desk.settings)


async def open_parcels(pilot: Pilot[None]) -> LedgersScreen:
    await sign_in(pilot, at="ledgers")
    screen = pilot.app.screen
    assert isinstance(screen, LedgersScreen)
    # Straight to the third desk (ctrl+t to the next desk: open_keys, the parcels snapshot).
    screen.show_tab("parcels")
    await settle(pilot)
    assert screen.tab == "parcels" and pilot.app.focused is screen.desk_of("parcels").table
    return screen


async def _label(pilot: Pilot[None], unit: str, name_on_label: str) -> None:
    """After a scan: the unit from the label, Enter, the resident, Enter logs."""
    app = pilot.app
    assert app.focused is not None and app.focused.id == "checkin-unit-input"
    await pilot.press(*unit)
    await settle(pilot)  # the unit's matches are in the dropdown
    await pilot.press("enter")
    await settle(pilot)
    name = app.screen.query_one("#checkin-name", Input)
    assert app.focused is name
    if not name.value:  # a room matches the unit, not one of its people
        await pilot.press(*name_on_label)
    await pilot.press("enter")
    await settle(pilot)


async def test_fast_check_in_with_a_parcel_scanned_twice_then_pickup(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_parcels(pilot)
        await pilot.press("ctrl+k")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, CheckInForm)
        await pilot.press(*"顺丰", "enter", *"B-2", "enter", "y", "enter")
        await settle(pilot)
        tracking = form.query_one("#checkin-tracking", Input)
        assert app.focused is tracking

        # Each tracking number comes from the scanner: one burst of keys and Enter.
        await burst(pilot, *"SF1000000001", "enter")
        await _label(pilot, "3-2-1201", "张伟")
        assert len(waiting(staffed)) == 1 and app.focused is tracking and tracking.value == ""

        await burst(pilot, *"SF1000000001", "enter")  # the same parcel again
        assert "scanned twice" in field_error(form, "tracking_number")
        assert app.focused is tracking and tracking.value == ""
        assert len(waiting(staffed)) == 1

        await burst(pilot, *"SF1000000003", "enter")
        await _label(pilot, "1-1-102", "李明")
        logged = waiting(staffed)
        assert [(p.tracking_number, p.owner_name, p.place, p.carrier) for p in logged] == [
            ("SF1000000001", "张伟", "B-2", "顺丰"), ("SF1000000003", "李明", "B-2", "顺丰")]
        lines = "\n".join(str(line.text) for line in form.query_one(RichLog).lines)
        assert lines.count("✓") == 2 and "scanned twice" in lines

        await pilot.press("escape")  # nothing half-typed: back to the list at once
        await settle(pilot)
        assert app.screen is screen
        table = screen.query_one("#desk-parcels-table", DataTable)
        assert table.row_count == 2
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PickupForm)
        await pilot.press(*"张伟", "enter", *"本人", "enter", "enter")
        await pilot.press("ctrl+s")  # not signed yet: refused
        await settle(pilot)
        assert "signs" in field_error(app.screen, "signed")
        await pilot.press("y", "ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert table.row_count == 1
    first = waiting(staffed)[0]
    assert first.status == ItemStatus.RELEASED.value and first.released_to == "张伟"
    assert first.signed


async def test_log_one_parcel_without_consent_is_refused_beside_the_field(
    staffed: Desk,
) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_parcels(pilot)
        await pilot.press("ctrl+n")
        await settle(pilot)
        assert isinstance(app.screen, LogParcelForm)
        await pilot.press(*"京东", "enter", *"JD0012345678", "enter", *"1-1-101")
        await settle(pilot)  # the unit's matches are in the dropdown
        await pilot.press("enter")
        await settle(pilot)
        if not app.screen.query_one("#parcel-name", Input).value:
            await pilot.press(*"王芳")
        await pilot.press("enter", "enter", *"C-1", "enter")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "consent" in field_error(app.screen, "consent")
        assert waiting(staffed) == []
        await pilot.press("y", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, LedgersScreen)
    [parcel] = waiting(staffed)
    assert (parcel.owner_name, parcel.place, parcel.consent) == ("王芳", "C-1", "explicit")
