"""The queue of a site granted to a supervisor (issue 18, point 3): ``s`` reads the next
site's queue, read only, and its requests open without a step; an operator of one site
reads no other. As the operator sees it on the screen."""

from __future__ import annotations

from deskapp.app import DeskApp
from deskapp.desk import Desk
from deskapp.screens.requests.detail import RequestScreen
from tests.screens.helpers import settle, sign_in
from tests.screens.test_reports import _complaints, _north_with_complaints, _zhao_reads_north
from tests.screens.test_round_trips import rendered


def _text(app: DeskApp) -> str:
    return "\n".join(rendered(app))


async def test_a_supervisor_reads_a_granted_sites_queue_with_s_and_changes_nothing_there(
        staffed: Desk) -> None:
    _zhao_reads_north(staffed)  # two complaints at 3-2-1201 here, five inquiries at north
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "zhao", at="queue")
        await pilot.press("ctrl+right", "ctrl+right", "ctrl+right")  # all open
        await settle(pilot)
        own = _text(app)
        assert own.count("3-2-1201") == 2 and "路人" not in own
        assert "2 shown" in own and "Next site" in own
        await pilot.press("s")
        await settle(pilot)
        north = _text(app)
        assert "Site 北区, read only · 5 shown" in north
        assert north.count("路人") == 5 and "3-2-1201" not in north
        await pilot.press("enter")  # the first of north's requests
        await settle(pilot)
        assert isinstance(app.screen, RequestScreen)
        card = _text(app)
        assert "Read only: this request is of a site granted to you" in card
        assert "路人 138****1111" in card and "13800001111" not in card
        for key in ("Steps…", "Correct", "Work order", "Print work order"):
            assert key not in card
        await pilot.press("ctrl+t")  # no step menu opens on a granted site's request
        await settle(pilot)
        assert isinstance(app.screen, RequestScreen)
        await pilot.press("escape", "s")  # back to the queue, and round to the own site
        await settle(pilot)
        again = _text(app)
        assert again.count("3-2-1201") == 2 and "路人" not in again
        assert "read only" not in again


async def test_an_operator_reads_only_their_own_sites_queue_and_s_does_nothing(
        staffed: Desk) -> None:
    _complaints(staffed, 2)
    _north_with_complaints(staffed, 5)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "wang", at="queue")
        await pilot.press("ctrl+right", "ctrl+right", "ctrl+right")
        await settle(pilot)
        before = _text(app)
        assert before.count("3-2-1201") == 2 and "Next site" not in before
        await pilot.press("s")
        await settle(pilot)
        assert _text(app) == before
