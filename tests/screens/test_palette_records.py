"""The palette opens records by what a person reads out: a request number, a code."""

from __future__ import annotations

from sqlmodel import select
from textual.pilot import Pilot

from deskapp.app import DeskApp
from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.models import Operator
from deskapp.services.acting import Acting
from deskapp.services.custody import storage
from deskapp.services.requests import lifecycle
from tests.screens.helpers import palette_search, settle, sign_in


def _records(desk: Desk) -> tuple[str, str]:
    with transaction(desk.engine) as session:
        wang = session.exec(select(Operator).where(Operator.login == "wang")).one()
        request = lifecycle.create_request(
            session, acting=Acting(desk.site_id, wang), settings=desk.settings,
            now=desk.clock.now(),
            kind="repair", summary="厨房水龙头漏水", unit_code="1-1-101",
        )
        item = storage.deposit(
            session, acting=Acting(desk.site_id, wang), now=desk.clock.now(),
            form=storage.StorageForm(
                depositor_name="王芳", description="雨伞", shelf="B2", phone="13812345678",
                unit="1-1-101", depositor_confirmed=True,
            ),
        )
        return request.number, item.code


async def _palette(pilot: Pilot[None], text: str) -> None:
    await palette_search(pilot, text)
    await pilot.press("enter")
    await settle(pilot)


async def test_a_request_number_opens_the_request(staffed: Desk) -> None:
    from deskapp.screens.requests.detail import RequestScreen

    number, _code = _records(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        await _palette(pilot, number)
        assert isinstance(app.screen, RequestScreen)
        assert app.screen.card is not None and app.screen.card.request.number == number


async def test_a_ticket_code_opens_the_item_ready_for_collection(staffed: Desk) -> None:
    from deskapp.screens.custody.storage import StorageScreen

    _number, code = _records(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        await _palette(pilot, code.lower())
        assert isinstance(app.screen, StorageScreen)
        assert app.screen.mode == "collect"
        assert code in str(app.screen.query_one("#storage-record-body").render())
