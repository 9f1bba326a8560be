"""The reports screen (F11) by keys: the month or quarter chosen, its figures and bars
as the operator sees them, in English and Chinese, at 120×40 and 80×24, saved as files."""

from __future__ import annotations

from typing import Any

import pytest

from deskapp import i18n
from deskapp.app import DeskApp
from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle
from tests.screens.helpers import settle, sign_in, wait_until
from tests.screens.test_round_trips import rendered


def _complaints(desk: Desk, count: int) -> None:
    with transaction(desk.engine) as session:
        actor = operators.get_operator(session, acting=Acting(desk.site_id), login="wang")
        for number in range(count):
            lifecycle.create_request(
                session, acting=Acting(desk.site_id, actor), settings=desk.settings,
                now=desk.clock.now(),
                kind="complaint" if number else "repair",
                summary="楼上漏水，请处理", subject="楼上漏水", unit_code="3-2-1201",
                complaint_subject="equipment" if number else None, channel="phone")


def _text(app: DeskApp) -> str:
    return "\n".join(rendered(app))


async def test_a_month_and_a_quarter_chosen_by_keys_show_their_figures_and_bars(
        staffed: Desk) -> None:
    _complaints(staffed, 3)  # on 23 November: one repair, two complaints
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "zhao")
        await pilot.press("f11")
        await settle(pilot)
        shown = _text(app)
        assert "Monthly complaint summary  2026-10" in shown  # the last complete month
        assert "Complaints                   0" in shown
        await pilot.press("right")
        await settle(pilot)
        shown = _text(app)
        assert "Monthly complaint summary  2026-11" in shown
        assert "Requests received            3" in shown
        line = next(row for row in rendered(app) if "equipment" in row and "█" in row)
        assert line.rstrip().endswith("2")  # the two complaints about equipment, as a bar
        await pilot.press("q")
        await settle(pilot)
        assert "Quarterly revisit analysis  2026 Q3" in _text(app)
        await pilot.press("right")
        await settle(pilot)
        shown = _text(app)
        assert "Quarterly revisit analysis  2026 Q4" in shown
        assert "Complaints received  2" in shown
        await pilot.press("m")
        await settle(pilot)
        assert "Monthly complaint summary  2026-10" in _text(app)
        await pilot.press("right", "right", "left")  # typed quickly: each period read
        await settle(pilot)
        assert "Monthly complaint summary  2026-11" in _text(app)


async def test_p_and_e_save_the_report_shown_into_the_exports(staffed: Desk) -> None:
    _complaints(staffed, 2)
    app = DeskApp(staffed)
    folder = staffed.settings.data_dir / "exports" / staffed.settings.site_code
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "zhao")
        await pilot.press("f11", "right")
        await settle(pilot)
        await pilot.press("p")
        await wait_until(pilot, lambda: (folder / "report-2026-11.pdf").exists(), "the PDF")
        await pilot.press("e")
        await wait_until(pilot, lambda: (folder / "report-2026-11.csv").exists(), "the CSV")
        await settle(pilot)
        assert (folder / "report-2026-11.pdf").read_bytes().startswith(b"%PDF")
        assert "Complaints" in (folder / "report-2026-11.csv").read_text(encoding="utf-8-sig")
        said = [str(notice.message) for notice in app._notifications]
        assert f"Saved: {folder / 'report-2026-11.csv'}" in said


async def test_in_chinese_at_80_by_24_every_line_fits(staffed: Desk) -> None:
    from rich.cells import cell_len

    _complaints(staffed, 3)
    i18n.set_language("zh_CN")
    app = DeskApp(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot, "zhao")
        await pilot.press("f11", "right")
        await settle(pilot)
        lines = rendered(app)
        assert "月度投诉汇总  2026年11月" in "\n".join(lines)
        assert all(cell_len(line) <= 80 for line in lines)
        assert any("█" in line and "设备" in line for line in lines), lines


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_reports_snapshot(snap_compare: Any, snapshot_desk: Desk, language: str) -> None:
    _complaints(snapshot_desk, 4)
    i18n.set_language(language)

    async def at_november(pilot: Any) -> None:
        await sign_in(pilot, "zhao")
        await pilot.press("f11", "right")
        await settle(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(120, 40), run_before=at_november)


def _north_with_complaints(desk: Desk, count: int) -> int:
    """Site north (北区), its manager, and ``count`` requests received there today."""
    from deskapp.services import sites
    from deskapp.services.acting import Acting

    with transaction(desk.engine) as session:
        north = sites.add_site(session, code="north", name="北区", now=desk.clock.now())
        assert north.id is not None
        manager = operators.add_operator(
            session, acting=Acting(north.id), login="bei", display_name="北经理", role="manager",
            secret="2468", now=desk.clock.now())
        for _number in range(count):
            lifecycle.create_request(
                session, acting=Acting(north.id, manager), settings=desk.settings,
                now=desk.clock.now(),
                kind="inquiry", summary="问路", contact_name="路人",
                contact_phone="13800001111")
        return north.id


def _zhao_reads_north(desk: Desk) -> None:
    """Two requests here, five at north, whose manager grants zhao (a supervisor here)
    the reading of north."""
    from deskapp.services import grants
    from deskapp.services.acting import Acting

    _complaints(desk, 2)
    north = _north_with_complaints(desk, 5)
    with transaction(desk.engine) as session:
        zhao = operators.get_operator(session, acting=Acting(desk.site_id), login="zhao")
        bei = operators.get_operator(session, acting=Acting(north), login="bei")
        grants.grant(session, acting=Acting(north, bei), operator=zhao, now=desk.clock.now())


async def test_a_supervisor_granted_another_site_reports_on_it_with_s(staffed: Desk) -> None:
    _zhao_reads_north(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "zhao")
        await pilot.press("f11", "right")  # November: 2 requests here, 5 at north
        await settle(pilot)
        shown = _text(app)
        assert "Requests received            2" in shown
        assert "Next site" in shown  # in the footer: zhao reads two sites
        await pilot.press("s")
        await settle(pilot)
        shown = _text(app)
        assert "Monthly complaint summary  2026-11  · 北区" in shown
        assert "Requests received            5" in shown
        await pilot.press("e")
        await settle(pilot)
        await wait_until(pilot, lambda: (staffed.settings.data_dir / "exports" / "north"
                                         / "report-2026-11.csv").exists(), "the north CSV")
        await pilot.press("s")  # round again to the own site
        await settle(pilot)
        shown = _text(app)
        assert "Requests received            2" in shown and "北区" not in shown


async def test_an_operator_reads_only_their_own_site_and_s_does_nothing(staffed: Desk) -> None:
    _complaints(staffed, 2)
    _north_with_complaints(staffed, 5)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "wang")
        await pilot.press("f11", "right")
        await settle(pilot)
        before = _text(app)
        assert "Requests received            2" in before and "Next site" not in before
        await pilot.press("s")
        await settle(pilot)
        assert _text(app) == before


async def test_a_save_while_another_site_is_read_saves_the_sheet_shown(
        staffed: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    """s, then e before the next site's sheet has come: the file is the sheet on the
    screen, under its own site's folder, never one site's figures under another's name."""
    import threading

    from deskapp.screens import reports as reports_screen
    _zhao_reads_north(staffed)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "zhao")
        await pilot.press("f11", "right")
        await settle(pilot)
        assert "Requests received            2" in _text(app)
        gate = threading.Event()
        real = reports_screen.reports.report_sheet

        def slow(*args: Any, **kwargs: Any) -> Any:
            assert gate.wait(10), "the test never let the read go on"
            return real(*args, **kwargs)

        monkeypatch.setattr(reports_screen.reports, "report_sheet", slow)
        await pilot.press("s", "e")  # north asked for; its sheet not read yet
        exports = staffed.settings.data_dir / "exports"
        await wait_until(pilot, lambda: (exports / "main" / "report-2026-11.csv").exists(),
                         "the sheet shown saved")
        assert not (exports / "north").exists()
        assert "Requests received,2" in (exports / "main" / "report-2026-11.csv").read_text(
            encoding="utf-8-sig").replace('"', "")
        gate.set()
        await settle(pilot)
        assert "Monthly complaint summary  2026-11  · 北区" in _text(app)
