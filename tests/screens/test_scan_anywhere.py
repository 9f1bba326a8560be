"""Scanning anywhere: a scanner's burst on any screen opens the record of its code."""

from __future__ import annotations

from sqlmodel import select

from deskapp.app import DeskApp
from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.models import Operator
from deskapp.services import codes
from deskapp.services.acting import Acting
from deskapp.services.custody import parcels
from tests.screens.helpers import settle, sign_in, wait_until
from tests.screens.test_scanner import scan


def _parcel(desk: Desk) -> str:
    with transaction(desk.engine) as session:
        wang = session.exec(select(Operator).where(Operator.login == "wang")).one()
        parcel = parcels.log_parcel(
            session, acting=Acting(desk.site_id, wang), consent=True, now=desk.clock.now(),
            form=parcels.ParcelForm(carrier="顺丰", tracking_number="SF1234567890",
                                    unit="1-1-101", resident_name="王芳", shelf="P1"),
        )
        return parcel.code or ""


async def test_a_parcel_code_scanned_on_the_dashboard_opens_its_pickup(staffed: Desk) -> None:
    from deskapp.screens.custody.ledgers import LedgersScreen

    code = _parcel(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        dashboard = app.screen
        await scan(pilot, code)
        await wait_until(pilot, lambda: app.screen is not dashboard, "the scanned record")
        await settle(pilot)
        ledgers = app.desk_screen("ledgers")
        assert isinstance(ledgers, LedgersScreen)
        assert ledgers.tab == "parcels"
        # The parcel's pickup form is open over the ledgers screen.
        assert app.screen is not app.desk_screen("dashboard")
        assert code in str(app.screen.render()) or app.screen_stack[-2] is ledgers


async def test_a_code_with_a_typo_is_refused_with_the_reason(staffed: Desk) -> None:
    code = _parcel(staffed)
    wrong = code[:-1] + ("X" if code[-1] != "X" else "Y")
    assert codes.SCAN_PATTERN.fullmatch(wrong)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        dashboard = app.screen
        await scan(pilot, wrong)

        def messages() -> list[str]:
            return [notification.message for notification in app._notifications]

        await wait_until(pilot, lambda: any("check character" in m for m in messages()),
                         "the refusal")
        # Refused with the reason (the wait above fails otherwise), and nothing opened.
        assert app.screen is dashboard
