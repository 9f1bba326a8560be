"""The release slips screen (F6), driven by keys: a slip typed in one burst, the owner's
confirmation on the number on file, the issue and its print, a broken rule overridden by
a supervisor's PIN, a slip sent back and amended into a new revision, filing; refusals
beside their field with nothing saved; the F6 round trip."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlmodel import func, select

from deskapp.app import DeskApp
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models.release import ReleaseSlip, SlipStatus
from deskapp.screens.release import slip_forms
from deskapp.screens.release.slips import ReleaseScreen
from deskapp.services import directory, operators
from deskapp.services.acting import Acting
from deskapp.services.release import slips
from deskapp.widgets.staff_pin import StaffPinModal
from tests.screens.helpers import (
    burst,
    palette_search,
    pin_checked,
    settle,
    sign_in,
    wait_until,
)
from tests.screens.release.test_gate_screen import issued_slip, screen_text, with_guard
from tests.support import statements_sent

CARRIER = ("周师傅", "11010519491231002X", "13955556666")


def notices(app: DeskApp) -> list[str]:
    return [str(notice.message) for notice in app._notifications]


def all_slips(desk: Desk) -> list[ReleaseSlip]:
    with reading(desk.engine) as session:
        return list(session.exec(select(ReleaseSlip).order_by(ReleaseSlip.id)).all())


def slip_form_keys(*, items: str = "三人沙发\n纸箱 x3", reason: str = "4",
                   planned: str = "14:00") -> list[str]:
    """The slip form typed as a hurried operator does: every field in one burst."""
    name, id_number, phone = CARRIER
    keys = [*"1-1-101", "enter", *"王芳", "tab", "1", "tab"]
    for index, line in enumerate(items.split("\n")):
        if index:
            keys.append("enter")
        keys += list(line)
    keys += ["tab", reason, "tab", *planned, "tab", "tab", *name, "tab", *id_number, "tab",
             *phone, "tab", *"京A12345", "tab", *name]
    return keys


async def test_a_slip_typed_confirmed_issued_and_printed_in_one_flow(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="release")
        assert isinstance(app.screen, ReleaseScreen)
        assert "Release slips" in screen_text(app) and "New slip" in screen_text(app)
        await burst(pilot, "ctrl+n", *slip_form_keys(), "ctrl+s")
        # Saved, and the confirmation opens at once: the number on file, not the carrier's.
        await wait_until(pilot, lambda: isinstance(app.screen, slip_forms.ConfirmationForm),
                         "the confirmation")
        shown = screen_text(app)
        assert "王芳 (owner) 13812345678" in shown
        assert "13955556666" not in shown.split("Who confirmed")[1]
        [slip] = all_slips(staffed)
        assert slip.status == SlipStatus.DRAFT.value and slip.plate == "京A12345"
        with reading(staffed.engine) as session:
            lines = [(line.description, line.quantity, line.large)
                     for line in slips.lines_of(session, slip.id or 0)]
        assert lines == [("三人沙发", 1, True), ("纸箱", 3, False)]

        await burst(pilot, "1", "ctrl+s")  # 王芳 on the number on file
        await wait_until(pilot, lambda: isinstance(app.screen, slip_forms.IssueForm),
                         "the issue")
        assert "Every rule is kept" in screen_text(app)
        await burst(pilot, "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ReleaseScreen), "the list")
        await settle(pilot)
        [slip] = all_slips(staffed)
        assert slip.status == SlipStatus.ISSUED.value
        assert slip.confirmed_by == "王芳" and slip.confirmed_phone == "13812345678"
        prints = Path(staffed.settings.data_dir) / "prints"
        assert (prints / f"slip-{slip.code}.pdf").read_bytes().startswith(b"%PDF")
        assert slip.code in (prints / f"slip-{slip.code}.txt").read_text(encoding="utf-8")
        # Issued today, on screen: the record shows who confirmed.
        await burst(pilot, "2")
        await wait_until(pilot, lambda: slip.code in screen_text(app), "the issued slip")
        assert "Confirmed: ✓ 王芳" in screen_text(app)


async def test_bad_input_is_refused_beside_its_field_and_nothing_is_saved(
        staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="release")
        for items, words in (("沙发 x0", "Line 1: The quantity must be between 1 and 9999"),
                             ("书\n沙发 x10000", "Line 2: The quantity"),
                             ("", "at least one item")):
            await burst(pilot, "ctrl+n", *slip_form_keys(items=items), "ctrl+s")
            assert isinstance(app.screen, slip_forms.SlipFormModal)
            assert words in screen_text(app), screen_text(app)
            await burst(pilot, "escape")
            await wait_until(pilot, lambda: not isinstance(app.screen, slip_forms.LedgerForm)
                             or isinstance(app.screen, slip_forms.SlipFormModal), "the form")
            if not isinstance(app.screen, ReleaseScreen):
                await burst(pilot, "y")
        # A plate that is not a plate and a wrong ID check digit.
        keys = slip_form_keys()
        plate_at = keys.index("京")
        keys[plate_at:plate_at + 7] = list("ABC")
        await burst(pilot, "ctrl+n", *keys, "ctrl+s")
        assert "ABC is not a vehicle plate" in screen_text(app)
        assert all_slips(staffed) == []


async def test_after_hours_needs_a_supervisor_who_overrides_with_a_pin(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="release")
        await burst(pilot, "ctrl+n", *slip_form_keys(planned="19:30"), "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, slip_forms.ConfirmationForm),
                         "the confirmation")
        await burst(pilot, "1", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, slip_forms.IssueForm),
                         "the issue")
        assert "Large items leave only within office hours" in screen_text(app)
        await burst(pilot, "ctrl+s")  # no reason: refused, no PIN asked
        assert "Say why the rule is overridden" in screen_text(app)
        await burst(pilot, *"业主出差，晚上搬", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, StaffPinModal), "the PIN")
        await burst(pilot, *"zhao", "enter", *"1234", "enter")
        await pin_checked(pilot)
        await wait_until(pilot, lambda: isinstance(app.screen, ReleaseScreen), "the list")
        await settle(pilot)
        [slip] = all_slips(staffed)
        assert slip.status == SlipStatus.ISSUED.value
        assert slip.override_rules == "office_hours" and slip.override_reason == "业主出差，晚上搬"
        text = (Path(staffed.settings.data_dir) / "prints" / f"slip-{slip.code}.txt"
                ).read_text(encoding="utf-8")
        assert "业主出差，晚上搬" in text and "赵主管" in text


async def test_a_slip_sent_back_is_amended_into_a_new_revision_and_filed_after_release(
        staffed: Desk) -> None:
    guard = with_guard(staffed)
    slip = issued_slip(staffed)
    with transaction(staffed.engine) as session:
        slips.send_back(session, acting=Acting(staffed.site_id), slip_id=slip.id or 0,
                        note="多了一台冰箱", now=staffed.clock.now(), guard=guard,
                        settings=staffed.settings)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="release")
        assert "sent back to the desk" in screen_text(app)
        assert "多了一台冰箱" in screen_text(app)
        await burst(pilot, "enter")  # the amendment, filled from the old slip
        await wait_until(pilot, lambda: isinstance(app.screen, slip_forms.SlipFormModal),
                         "the amendment")
        area = app.screen.query_one("#slip-lines")
        assert "三人沙发 x1" in area.text  # type: ignore[attr-defined]
        area.focus()
        await burst(pilot, "enter", *"冰箱 1台", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, slip_forms.ConfirmationForm),
                         "the confirmation of the amended lines")
        await burst(pilot, "escape")
        await settle(pilot)
        old, new = all_slips(staffed)
        assert old.status == SlipStatus.SUPERSEDED.value
        assert new.revision == 2 and new.supersedes_id == old.id
        with reading(staffed.engine) as session:
            assert [line.description for line in slips.lines_of(session, new.id or 0)] == [
                "三人沙发", "纸箱", "冰箱"]
        assert isinstance(app.screen, ReleaseScreen)
        assert f"{new.code} r2" in screen_text(app)

    # Released at the gate, the slip comes back to be filed (Enter, then y).
    other = issued_slip(staffed, lines=(slips.LineForm("书架"),))
    with transaction(staffed.engine) as session:
        view = slips.at_gate(session, acting=Acting(staffed.site_id), text=other.code or "",
                             now=staffed.clock.now(), settings=staffed.settings)
        slips.tick(session, acting=Acting(staffed.site_id), slip_id=view.slip_id,
                   line_id=view.lines[0].id, now=staffed.clock.now(), guard=guard,
                   settings=staffed.settings)
        slips.release(session, acting=Acting(staffed.site_id), slip_id=view.slip_id,
                      now=staffed.clock.now(), guard=guard, settings=staffed.settings)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="release")
        await burst(pilot, "3")  # not filed
        await wait_until(pilot, lambda: other.code in screen_text(app), "the released slip")
        app.screen.query_one("#desk-slips-table").focus()
        await burst(pilot, "enter", "y")
        await settle(pilot)
        with reading(staffed.engine) as session:
            assert slips.get_slip(session, acting=Acting(staffed.site_id),
                                  slip_id=other.id or 0).status == SlipStatus.FILED.value
            assert session.exec(select(func.count()).select_from(ReleaseSlip).where(
                ReleaseSlip.status == SlipStatus.RELEASED.value)).one() == 0
        assert f"Filed {other.code}." in notices(app)
        assert "0 of 0 shown" in screen_text(app)
        # The week's reconciliation: on screen, and as a CSV with ctrl+w.
        await burst(pilot, "6")
        assert "This week: 1 released, 1 filed, 0 not filed." in screen_text(app)
        await burst(pilot, "ctrl+w")
        written = (Path(staffed.settings.data_dir) / "exports" / staffed.settings.site_code
                   / "reconciliation-2026-11-23.csv").read_text(encoding="utf-8")
        assert f"{other.code},1-1-101," in written and written.splitlines()[-1] == "total,,1,1"


async def test_a_slip_code_scanned_on_the_dashboard_opens_it_on_f6(staffed: Desk) -> None:
    from tests.screens.test_scanner import scan

    slip = issued_slip(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await scan(pilot, slip.code or "")
        await wait_until(pilot, lambda: app.current_mode == "release", "the release screen")
        await settle(pilot)
        assert slip.code in screen_text(app)
        # Read out over the phone: the palette finds the slip by its code too.
        await burst(pilot, "f2")
        await palette_search(pilot, (slip.code or "").lower())
        assert "Release slip" in screen_text(app)
        await burst(pilot, "enter")
        await wait_until(pilot, lambda: app.current_mode == "release", "the slip again")
        # The desk never works the gate: a desk operator has no gate screen.
        assert not app.may_open("gate")
        with reading(staffed.engine) as session:
            assert operators.get_operator(session, acting=Acting(staffed.site_id),
                                          login="wang").role == "operator"


async def test_moving_out_lists_what_the_unit_has_at_the_desk_before_the_slip_is_issued(
        staffed: Desk) -> None:
    from tests.screens.test_scan_anywhere import _parcel

    parcel_code = _parcel(staffed)  # a parcel waiting for 1-1-101
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="release")
        # Moving out (reason 1) next Monday: three working days' notice kept.
        await burst(pilot, "ctrl+n", *slip_form_keys(reason="1", planned="11-30 10:00"),
                    "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, slip_forms.ConfirmationForm),
                         "the confirmation")
        await burst(pilot, "1", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, slip_forms.SettlementForm),
                         "what the unit still has")
        shown = screen_text(app)
        assert "parcel waiting" in shown and parcel_code in shown
        await burst(pilot, "ctrl+s")  # not settled and no reason: refused beside it
        assert isinstance(app.screen, slip_forms.SettlementForm)
        assert "why not settled" in screen_text(app).lower()
        # The cursor is in the field to fix: the note typed there is saved.
        await burst(pilot, *"业主下午来取", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, slip_forms.FeesForm),
                         "the fees")
        await burst(pilot, *"收费员小刘", "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, slip_forms.IssueForm),
                         "the issue")
        await burst(pilot, "ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, ReleaseScreen), "the list")
        await settle(pilot)
        [slip] = all_slips(staffed)
        assert slip.status == SlipStatus.ISSUED.value and slip.fees_settled_by == "收费员小刘"
        await burst(pilot, "7")
        shown = screen_text(app)
        assert "The unit still has at the desk" in shown and "✗" in shown
        assert "业主下午来取" in shown and "Print" in shown  # ctrl+r prints it again


def released_not_filed(desk: Desk, count: int) -> list[str]:
    """``count`` slips released at the gate this morning and not filed, a minute apart
    (written straight into the ledger: the list is what is tested, not the slip's life).
    Their codes, in the order they left."""
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        unit = directory.get_unit(session, acting=Acting(desk.site_id), code="1-1-101")
        codes = [f"R-B{index:03d}" for index in range(1, count + 1)]
        for index, code in enumerate(codes):
            left = now - timedelta(hours=3) + timedelta(minutes=index)
            session.add(ReleaseSlip(
                site_id=desk.site_id, code=code, status=SlipStatus.RELEASED.value,
                unit_id=unit.id or 0, applicant_name="王芳", applicant_relation="owner",
                carrier_name="周师傅", reason="gift_or_sale", planned_at=left, issued_at=left,
                released_at=left, created_at=left))
    return codes


def listed(app: DeskApp) -> list[str]:
    """The codes of the table's rows as the terminal shows them, top to bottom (the
    table left of the record pane's border)."""
    return [cells.split()[0] for line in screen_text(app).splitlines() if "│" in line
            and (cells := line.split("│")[0].strip()).startswith("R-")]


async def test_the_not_filed_list_pages_forward_past_its_first_page(staffed: Desk) -> None:
    """150 slips not filed: the list reads its first 100 (by the time they left); the
    cursor on the last row loaded reads the next page, and the rows go on in order."""
    codes = released_not_filed(staffed, 150)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="release")
        await burst(pilot, "3")  # not filed
        await wait_until(pilot, lambda: "100 of 150 shown" in screen_text(app),
                         "the first page")
        rows = listed(app)
        assert len(rows) > 20 and rows == codes[:len(rows)]
        with statements_sent(staffed.engine) as sent:
            await burst(pilot, "ctrl+end")  # the last row of the first page
            await wait_until(pilot, lambda: "150 of 150 shown" in screen_text(app),
                             "the second page")
        assert listed(app)[-1] == codes[99]
        # The second page read from the database: the list's query carries its page.
        [read] = [statement for statement in sent if "FROM release_slip JOIN unit" in statement]
        assert " LIMIT " in read and " OFFSET " in read
        await burst(pilot, "down")  # the first row of the second page, right below it
        await settle(pilot)
        assert listed(app)[-2:] == codes[99:101]
        await burst(pilot, "ctrl+end")  # the last slip of all
        await settle(pilot)
        rows = listed(app)
        assert len(rows) > 20 and rows == codes[-len(rows):]
        assert "150 of 150 shown" in screen_text(app)
