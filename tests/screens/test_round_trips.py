"""What the operator sees after every key: task screens redraw on every return, and
nothing of the desk is reachable from the sign-in screen (issue: the screen stopped
redrawing after F4 -> F2; the F-keys worked on the sign-in screen)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from textual.widgets import Input, TextArea

from deskapp.app import DeskApp
from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.screens.login import LoginScreen
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from deskapp.widgets.confirm import ConfirmModal
from tests.screens.helpers import burst, settle, sign_in

#: Each task key and the title its screen shows in the duty bar.
TASK_TITLES = (
    ("f2", "Dashboard"),
    ("f3", "Intake"),
    ("f4", "Queue"),
    ("f5", "Item storage"),
    ("f6", "Release slips"),
    ("f7", "Handover"),
    ("f8", "Ledgers"),
    ("f9", "Directory"),
    ("f10", "Duty log"),
    ("f11", "Reports"),
)


def rendered(app: DeskApp) -> list[str]:
    """The lines the terminal shows now, as the compositor renders them."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def title_line(app: DeskApp) -> str:
    return rendered(app)[0]


async def test_every_task_key_redraws_its_screen_twice_round(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        for _round in range(2):
            for key, title in (*TASK_TITLES, ("f4", "Queue"), ("f2", "Dashboard")):
                await pilot.press(key)
                await settle(pilot)
                top = title_line(app)
                assert top.lstrip().startswith(title), (key, top)
                # The footer is drawn too (it emptied when the screen stopped redrawing).
                assert "Help" in rendered(app)[-1], (key, rendered(app)[-1])


async def test_a_return_shows_the_screen_as_left_with_what_was_typed(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await pilot.press("f4", "f3")
        await settle(pilot)
        await burst(pilot, *"3-2-9")
        await pilot.press("f2", "f3")
        await settle(pilot)
        assert "3-2-9" in "\n".join(rendered(app))


async def test_no_task_key_palette_or_scan_acts_on_the_sign_in_screen(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await burst(pilot, *"1-1-101")
        await pilot.press("ctrl+l")
        await settle(pilot)
        if isinstance(app.screen, ConfirmModal):
            await pilot.press("y")
            await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        for key in ("f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "f10", "ctrl+p", "ctrl+s",
                    "ctrl+l", "ctrl+n", "ctrl+t", "ctrl+r", "escape"):
            await pilot.press(key)
            await settle(pilot)
            assert isinstance(app.screen, LoginScreen), key
            assert "Front desk sign-in" in "\n".join(rendered(app)), key
        app.open_scanned("S-5DD7-7")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.operator is None
        # The footer offers nothing but the language, quitting and help.
        footer = rendered(app)[-1]
        assert "Intake" not in footer and "palette" not in footer


async def test_quitting_with_a_call_half_typed_asks_first(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="intake")
        await burst(pilot, *"a caller's words")
        await pilot.press("ctrl+q")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        assert "Intake: what is typed there will be lost. Quit anyway?" in "\n".join(
            rendered(app))
        await pilot.press("n")
        await settle(pilot)
        assert app.return_code is None and "a caller's words" in "\n".join(rendered(app))
        await pilot.press("ctrl+q", "y")
        await settle(pilot)
        assert app.return_code == 0  # it quit


async def test_the_next_operator_starts_from_empty_screens(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f3")
        await settle(pilot)
        await burst(pilot, *"a caller's words")
        await pilot.press("ctrl+l")
        await settle(pilot)
        # The form holds typing: ask first; "n" keeps the desk as it was.
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert app.operator is not None
        assert "a caller's words" in "\n".join(rendered(app))
        await pilot.press("ctrl+l")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        await sign_in(pilot, "li")
        await pilot.press("f3")
        await settle(pilot)
        screen_text = "\n".join(rendered(app))
        assert "a caller's words" not in screen_text
        assert "李娜" in screen_text  # the duty bar names the new operator
        assert all(not field.value for field in app.screen.query(Input))
        assert all(not area.text for area in app.screen.query(TextArea))


async def test_a_disabled_operator_is_signed_out_at_the_next_action(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        with transaction(staffed.engine) as session:
            # The administrator at the command line (only a manager or the CLI disables).
            operators.disable_operator(
                session, acting=Acting(staffed.site_id), login="wang", reason="left the company",
                now=staffed.clock.now(),
            )
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert app.operator is None
        assert "disabled" in "\n".join(rendered(app))


async def test_a_locked_operator_is_signed_out_at_the_next_action(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        now = staffed.clock.now()
        with transaction(staffed.engine) as session:
            wang = operators.get_operator(session, acting=Acting(staffed.site_id), login="wang")
            wang.locked_until = now + timedelta(minutes=15)
            session.add(wang)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert "locked" in "\n".join(rendered(app))
        # Once the lockout is over the same operator signs in again.
        assert isinstance(staffed.clock, FixedClock)
        staffed.clock.advance(timedelta(minutes=16))
        await sign_in(pilot)
        assert not isinstance(app.screen, LoginScreen)


async def test_help_speaks_chinese_on_every_task_screen(staffed: Desk) -> None:
    """Every key help lists is described in the operator's language, Textual's own too."""
    import re

    from textual.widgets import DataTable

    from deskapp import i18n
    from deskapp.screens.help import HelpScreen

    i18n.set_language("zh_CN")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        for key, _title in TASK_TITLES:
            await pilot.press(key)
            await settle(pilot)
            await pilot.press("f1")
            await settle(pilot)
            assert isinstance(app.screen, HelpScreen)
            table = app.screen.query_one("#help-keys", DataTable)
            described = [str(table.get_row_at(row)[1]) for row in range(table.row_count)]
            untranslated = [text for text in described
                            if not re.search(r"[\u4e00-\u9fff]", text)]
            assert untranslated == [], (key, untranslated)
            await pilot.press("escape")
            await settle(pilot)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_dashboard_tiles_keep_every_label_whole_at_80_columns(
    staffed: Desk, language: str,
) -> None:
    from deskapp import i18n
    from deskapp.i18n import _
    from deskapp.screens.dashboard import TILES

    i18n.set_language(language)
    app = DeskApp(staffed)
    async with app.run_test(size=(80, 24)) as pilot:
        await sign_in(pilot)
        await settle(pilot)
        screen_text = "\n".join(rendered(app))
        for _key, label in TILES:
            assert _(label) in screen_text, _(label)


async def test_a_dialog_is_answered_before_the_palette_or_a_sign_out(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot, at="intake")
        await burst(pilot, *"a caller's words")
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("ctrl+p", "ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal) and app.operator is not None
