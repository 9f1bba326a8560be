"""Dashboard: counts from the database, refreshing itself, reached by F2."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import DataTable, Static

from deskapp import i18n
from deskapp.app import DeskApp
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models import Operator
from deskapp.screens.dashboard import TILES, DashboardScreen
from deskapp.services import directory, operators
from deskapp.services.acting import Acting
from deskapp.services.release import slips
from tests.screens.helpers import settle, sign_in, wait_until
from tests.services.release.test_slips import form as slip_form
from tests.services.test_dashboard import seal_handover


def _tile(app: DeskApp, key: str) -> str:
    return str(app.screen.query_one(f"#tile-{key} .tile-value", Static).render())


async def test_dashboard_counts_units_and_residents_and_lists_recent_changes(
    staffed: Desk,
) -> None:
    with transaction(staffed.engine) as session:  # a slip waiting for the owner's call
        slips.create(session, acting=Acting(staffed.site_id), form=slip_form(),
                     now=staffed.clock.now(), settings=staffed.settings)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert _tile(app, "units") == "3"
        assert _tile(app, "residents") == "4"
        assert _tile(app, "items_held") == "0"
        assert [_tile(app, key) for key in ("slips_waiting", "slips_issued_today",
                                            "slips_unfiled")] == ["1", "0", "0"]
        assert not app.screen.query_one("#escalations", DataTable).display
        recent = app.screen.query_one("#recent", DataTable)
        assert recent.row_count > 0
        assert "Signed in" in [str(cell) for cell in recent.get_row_at(0)]


async def test_dashboard_refreshes_when_the_database_changes(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        with transaction(staffed.engine) as session:
            directory.add_unit(
                session, acting=Acting(staffed.site_id), code="2-1-301",
                now=staffed.clock.now() + timedelta(minutes=1),
            )
        assert _tile(app, "units") == "3"
        screen = app.screen
        assert isinstance(screen, DashboardScreen)
        screen.refresh_view()  # what the interval timer calls
        await settle(pilot)
        assert _tile(app, "units") == "4"


async def test_f9_then_f2_returns_to_the_dashboard_with_fresh_counts(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        await pilot.press("f9")
        assert not isinstance(app.screen, DashboardScreen)
        with transaction(staffed.engine) as session:
            directory.add_unit(
                session, acting=Acting(staffed.site_id), code="2-1-302", now=staffed.clock.now(),
            )
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, DashboardScreen)
        assert _tile(app, "units") == "4"


async def test_overdue_items_and_requests_show_with_a_warning_sign(staffed: Desk) -> None:
    from sqlmodel import select

    from deskapp.models import Operator
    from deskapp.services.acting import Acting
    from deskapp.services.custody import storage
    from deskapp.services.requests import lifecycle

    with transaction(staffed.engine) as session:
        wang = session.exec(select(Operator).where(Operator.login == "wang")).one()
        storage.deposit(
            session, acting=Acting(staffed.site_id, wang), now=staffed.clock.now(),
            form=storage.StorageForm(
                depositor_name="王芳", description="行李箱", shelf="A1", phone="13812345678",
                unit="1-1-101", depositor_confirmed=True,
            ),
        )
        lifecycle.create_request(
            session, acting=Acting(staffed.site_id, wang), settings=staffed.settings,
            now=staffed.clock.now(),
            kind="complaint", summary="电梯停运", unit_code="3-2-1201",
        )
    staffed.clock.advance(timedelta(days=8))
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        assert _tile(app, "items_held") == "1"
        assert _tile(app, "items_overdue") == "⚠ 1"
        assert _tile(app, "requests_overdue") == "⚠ 1"
        assert app.screen.query_one("#tile-items_overdue").has_class("-alert")
        # Unresolved a week: the complaint is hot and waits for the supervisor.
        assert _tile(app, "escalations").startswith("⚠")
        escalations = app.screen.query_one("#escalations", DataTable)
        assert escalations.display and escalations.row_count >= 1
        assert "supervisor" in str(escalations.get_row_at(0)[2])


def _staff_of(desk: Desk, *logins: str) -> list[Operator]:
    with reading(desk.engine) as session:
        return [operators.get_operator(session, acting=Acting(desk.site_id), login=login)
                for login in logins]


def _rendered(app: DeskApp) -> list[str]:
    """The lines the terminal shows now, as the compositor renders them."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_the_handovers_waiting_for_the_supervisor_show_on_their_tiles(
    staffed: Desk,
) -> None:
    wang, li = _staff_of(staffed, "wang", "li")
    seal_handover(staffed, wang, li, refuse=True)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, "zhao")
        assert _tile(app, "handovers_unreviewed") == "1"
        assert _tile(app, "refused_waiting") == "⚠ 1"
        # A refused item is the supervisor's to settle: it stands out; a handover to
        # review is the day's ordinary business.
        assert app.screen.query_one("#tile-refused_waiting").has_class("-alert")
        assert not app.screen.query_one("#tile-handovers_unreviewed").has_class("-alert")


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_every_tile_keeps_its_label_whole_at_80_by_24(
    staffed: Desk, language: str,
) -> None:
    wang, li = _staff_of(staffed, "wang", "li")
    seal_handover(staffed, wang, li, refuse=False)
    i18n.set_language(language)
    app = DeskApp(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        lines = _rendered(app)
        # Four tiles a row, each label on one line: the slips side by side with the day's
        # changes, the directory and the handovers waiting for the supervisor last.
        labels = [i18n._(label) for _key, label in TILES]
        rows = [labels[start:start + 4] for start in range(0, len(labels), 4)]
        assert rows[2][:3] == [i18n._(label) for label in (
            "Slips to confirm", "Issued today", "Slips not filed")]
        for row in rows:
            [label_row] = [index for index, line in enumerate(lines) if row[0] in line]
            assert [cell.strip() for cell in lines[label_row].split("│") if cell.strip()] == row
        [last] = [index for index, line in enumerate(lines) if rows[-1][0] in line]
        assert lines[last - 1].replace("│", " ").split() == ["3", "4", "1", "0"]


async def test_another_desks_change_shows_without_a_key(staffed: Desk) -> None:
    """Two desks on one database: what the other writes is on this screen within
    seconds (the change watch), with no key pressed and no timer reload."""
    from dataclasses import replace

    watching = replace(staffed, settings=replace(staffed.settings, change_watch_seconds=0.2,
                                                 dashboard_refresh_seconds=3600))
    app = DeskApp(watching, watch_changes=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        assert _tile(app, "units") == "3"
        with transaction(staffed.engine) as session:  # the other desk
            directory.add_unit(session, acting=Acting(staffed.site_id), code="2-1-301",
                               now=staffed.clock.now())
        await wait_until(pilot, lambda: _tile(app, "units") == "4", "the other desk's unit",
                         timeout=5)
        rows = [str(cell) for cell in app.screen.query_one("#recent", DataTable).get_row_at(0)]
        assert "Unit added" in rows
