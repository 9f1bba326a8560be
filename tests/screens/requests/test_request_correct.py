"""Correcting a request by keys (ctrl+e), and two desks correcting it at once: the second
save is refused in the form with who changed what, and the text typed stays there."""

from __future__ import annotations

from textual.widgets import Static

from deskapp.app import DeskApp
from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.screens.requests.dialogs import StepModal
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle
from deskapp.widgets.form import TextBox
from tests.screens.helpers import burst, settle
from tests.screens.requests.test_queue_screen import new_request
from tests.screens.requests.test_request_screen import open_request, status_of, text_of
from tests.screens.test_round_trips import rendered


def shown(app: DeskApp) -> str:
    return "\n".join(rendered(app))


def _other_desk_corrects(desk: Desk, request_id: int, summary: str) -> None:
    """The colleague at the second counter (li), through the same service, meanwhile."""
    with transaction(desk.engine) as session:
        colleague = operators.get_operator(session, acting=Acting(desk.site_id), login="li")
        lifecycle.edit_request(session, acting=Acting(desk.site_id, colleague),
                               request_id=request_id,
                               now=desk.clock.now(), summary=summary,
                               location="厨房吊顶")


async def test_ctrl_e_corrects_the_details_and_the_card_shows_them(staffed: Desk) -> None:
    leak = new_request(staffed, summary="厨房漏水")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_request(pilot, leak.id or 0)
        assert "Correct" in shown(app)  # the key is in the footer
        await pilot.press("ctrl+e")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, StepModal)
        summary = modal.query_one("#step-summary", TextBox)
        assert summary.text == "厨房漏水"  # the form holds what is on file
        await burst(pilot, *"，已关总阀", "ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert status_of(staffed, leak.id).summary == "厨房漏水，已关总阀"
        assert "厨房漏水，已关总阀" in text_of(screen, "details")


async def test_the_second_desk_keeps_its_text_and_is_told_who_changed_what(
        staffed: Desk) -> None:
    leak = new_request(staffed, summary="厨房漏水")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_request(pilot, leak.id or 0)
        await pilot.press("ctrl+e")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, StepModal)
        _other_desk_corrects(staffed, leak.id or 0, "卫生间和厨房都漏水")
        await burst(pilot, *"，楼上在装修", "ctrl+s")
        await settle(pilot)
        assert app.screen is modal  # refused: the form stays open
        refusal = str(modal.query_one("#step-error", Static).render())
        assert "was changed while you were typing" in shown(app)
        assert "李娜" in refusal  # who: the colleague, by name
        assert "summary “卫生间和厨房都漏水”" in refusal  # what, as it is now
        typed = modal.query_one("#step-summary", TextBox).text
        assert typed == "厨房漏水，楼上在装修"  # nothing typed is lost
        assert status_of(staffed, leak.id).summary == "卫生间和厨房都漏水"
        # Having compared, the operator saves again: it goes on top of the newer record.
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        saved = status_of(staffed, leak.id)
        assert saved.summary == "厨房漏水，楼上在装修"
        assert saved.location == "厨房吊顶"  # a field this desk left alone keeps theirs
        assert "Details corrected." in [n.message for n in app._notifications]
