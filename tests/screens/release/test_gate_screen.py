"""The guard's gate screen, driven by keys: the guard lands on it and nowhere else, a scan
as a burst shows the slip's lines, ticks, the release with the guard and the time, and a
second scan refused in one line; a mistyped code, and a slip sent back to the desk."""

from __future__ import annotations

from datetime import UTC, datetime

from deskapp.app import DeskApp
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models import Operator
from deskapp.models.release import ReleaseSlip, SlipStatus
from deskapp.screens.release.gate import GateScreen, SendBackForm
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.services.release import slips
from deskapp.services.release.slips import LineForm, SlipForm
from tests.screens.helpers import burst, settle, sign_in, wait_until
from tests.support import add_operators

# The desk's morning is Monday 2026-11-23 10:00 in Beijing: within office hours.
TWO_PM = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)


def screen_text(app: DeskApp) -> str:
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def issued_slip(desk: Desk, *, lines: tuple[LineForm, ...] = (LineForm("三人沙发"),
                                                               LineForm("纸箱", 3))
                ) -> ReleaseSlip:
    """A slip for 1-1-101 issued at the desk: drafted, confirmed by 王芳 on file, issued."""
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        wang = operators.get_operator(session, acting=Acting(desk.site_id), login="wang")
        slip = slips.create(session, acting=Acting(desk.site_id, wang), now=now,
                            settings=desk.settings, form=SlipForm(
                                unit="1-1-101", applicant_name="王芳",
                                applicant_relation="owner", carrier_name="周师傅",
                                carrier_id_number="11010519491231002X",
                                carrier_phone="13955556666", reason="gift_or_sale",
                                planned_at=TWO_PM, lines=lines))
        owner = slips.offered_numbers(session, acting=Acting(desk.site_id), slip_id=slip.id or 0)[0]
        slips.record_confirmation(session, acting=Acting(desk.site_id, wang), slip_id=slip.id or 0,
                                  resident_id=owner.resident_id, now=now)
        return slips.issue(session, acting=Acting(desk.site_id, wang), slip_id=slip.id or 0,
                           now=now,
                           settings=desk.settings)


def status_of(desk: Desk, slip_id: int) -> ReleaseSlip:
    with reading(desk.engine) as session:
        return slips.get_slip(session, acting=Acting(desk.site_id), slip_id=slip_id)


def with_guard(desk: Desk) -> Operator:
    return add_operators(desk, (("sun", "孙强", "guard"),))["sun"]


async def test_the_guard_scans_ticks_releases_and_a_second_scan_is_refused(
        staffed: Desk) -> None:
    with_guard(staffed)
    slip = issued_slip(staffed)
    code = slip.code or ""
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "sun")
        assert isinstance(app.screen, GateScreen)
        shown = screen_text(app)
        assert "Gate" in shown and "Scan the release slip" in shown
        # Nothing else: no task key in the footer, none works, no palette.
        for label in ("Dashboard", "Intake", "Queue", "Storage", "Release slips"):
            assert label not in shown
        await burst(pilot, "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "ctrl+p")
        assert isinstance(app.screen, GateScreen)
        assert "Gate" in screen_text(app)
        await burst(pilot, "f1")  # help offers the gate's keys, no task key
        shown = screen_text(app)
        assert "Send back" in shown and "Dashboard" not in shown and "Intake" not in shown
        await burst(pilot, "escape")
        assert isinstance(app.screen, GateScreen)

        # A scan: the code as a scanner's burst, then Enter.
        await burst(pilot, *code, "enter")
        shown = screen_text(app)
        assert code in shown and "三人沙发" in shown and "纸箱" in shown and "×3" in shown
        assert "2 to go" in shown
        assert "Release" in shown  # ctrl+s is in the footer now
        # ctrl+s before every line is ticked releases nothing.
        await burst(pilot, "ctrl+s")
        assert status_of(staffed, slip.id or 0).status == SlipStatus.ISSUED.value
        assert "not ticked yet" in screen_text(app)

        await burst(pilot, "enter", "space")  # tick line 1, then line 2
        shown = screen_text(app)
        assert "Every line ticked" in shown
        await burst(pilot, "ctrl+s")
        released = status_of(staffed, slip.id or 0)
        assert released.status == SlipStatus.RELEASED.value
        assert released.released_by_id is not None
        shown = screen_text(app)
        assert f"Released {code} at 10:00 by 孙强" in shown

        # The same code again: refused in one line.
        await burst(pilot, *code, "enter")
        shown = screen_text(app)
        assert "Already used" in shown and "10:00" in shown
        assert "三人沙发" not in shown or "Release" not in shown.splitlines()[-1]


async def test_a_mistyped_code_and_a_slip_sent_back(staffed: Desk) -> None:
    with_guard(staffed)
    slip = issued_slip(staffed)
    code = slip.code or ""
    wrong = code[:-1] + ("X" if code[-1] != "X" else "Y")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "sun")
        await burst(pilot, *wrong.lower(), "enter")  # typed by hand, lower case
        assert "check character" in screen_text(app).lower() or "mistyped" in \
            screen_text(app).lower()
        assert status_of(staffed, slip.id or 0).status == SlipStatus.ISSUED.value

        await burst(pilot, *code, "enter", "ctrl+b")
        await wait_until(pilot, lambda: isinstance(app.screen, SendBackForm), "the form")
        await burst(pilot, *"多了一台冰箱", "ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, GateScreen)
        back = status_of(staffed, slip.id or 0)
        assert back.status == SlipStatus.SENT_BACK.value
        assert back.sent_back_note == "多了一台冰箱"
        assert "Sent back to the desk" in screen_text(app)
        await burst(pilot, *code, "enter")
        assert "being amended at the desk" in screen_text(app)
