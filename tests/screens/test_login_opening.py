"""The sign-in screen before the desk is open: a start draws it first and opens the
database behind it (``DeskApp.opening``; docs/performance.md, Cold start).

What is typed meanwhile is never lost: Enter waits ("Opening the database…") and the
sign-in completes once the desk is open. A database that cannot be opened is one line
on the screen, never a traceback; quitting then ends with exit status 1.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from textual.widgets import Input, Static
from typer.testing import CliRunner

from deskapp import i18n
from deskapp.__main__ import desk_options
from deskapp.app import DeskApp
from deskapp.cli import build_cli
from deskapp.config import load_settings
from deskapp.db import transaction
from deskapp.desk import Desk, look_at_desk
from deskapp.models import Site
from deskapp.screens.dashboard import DashboardScreen
from deskapp.screens.login import LoginScreen
from deskapp.services import operators
from deskapp.services.acting import Acting
from tests.screens.helpers import settle, wait_until


def rendered(app: DeskApp) -> str:
    """What the terminal shows now, as the compositor renders it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def gated(desk: Desk) -> tuple[Callable[[], Desk], threading.Event]:
    """An opener that hands ``desk`` over only when the test opens the gate: the desk
    is still opening for as long as the test likes."""
    gate = threading.Event()

    def opener() -> Desk:
        assert gate.wait(20), "the test never opened the gate"
        return desk

    return opener, gate


def message(app: DeskApp) -> str:
    return str(app.screen.query_one("#login-message", Static).render())


async def test_enter_before_the_desk_is_open_signs_in_once_it_is(staffed: Desk) -> None:
    opener, gate = gated(staffed)
    app = DeskApp.opening(staffed.settings, opener=opener)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert not app.desk_ready
        await pilot.press(*"wang", "enter", *"1234", "enter")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert message(app) == "Opening the database…"
        await wait_until(pilot, lambda: "Opening the database…" in rendered(app),
                         "the line drawn on the screen")
        assert app.screen.query_one("#login-name", Input).value == "wang"
        assert app.screen.query_one("#login-pin", Input).value == "1234"
        gate.set()
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen),
                         "the sign-in once the desk is open")
        await settle(pilot)
        assert app.operator is not None and app.operator.login == "wang"


async def test_a_burst_typed_at_once_signs_in_when_the_desk_opens(staffed: Desk) -> None:
    """tmux send-keys 'wang' Tab '1234' Enter, right after the start."""
    from tests.screens.helpers import burst

    opener, gate = gated(staffed)
    app = DeskApp.opening(staffed.settings, opener=opener)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        threading.Timer(0.3, gate.set).start()
        await burst(pilot, *"wang", "tab", *"1234", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen),
                         "the sign-in once the desk is open")
        assert app.operator is not None and app.operator.login == "wang"


async def test_keys_do_nothing_while_the_desk_opens(staffed: Desk) -> None:
    opener, gate = gated(staffed)
    app = DeskApp.opening(staffed.settings, opener=opener)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press("f2", "f3", "f7", "f9", "f10", "f11", "ctrl+l", "ctrl+p", "ctrl+o")
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen)
        assert app.operator is None
        gate.set()
        await settle(pilot)
        await pilot.press("f2", "f9")
        assert isinstance(app.screen, LoginScreen)


async def test_the_opening_line_in_chinese_at_80x24(staffed: Desk) -> None:
    opener, gate = gated(staffed)
    i18n.set_language("zh_CN")
    app = DeskApp.opening(staffed.settings, opener=opener)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*"wang", "enter", *"1234", "enter")
        await pilot.pause()
        assert message(app) == "正在打开数据库…"
        await wait_until(pilot, lambda: "正在打开数据库…" in rendered(app),
                         "the line drawn on the screen")
        gate.set()
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen),
                         "the sign-in once the desk is open")


def newer_database(sqlite_template: Path, folder: Path) -> Path:
    """A desk file written by a newer deskapp (a schema this one does not know)."""
    shutil.copy(sqlite_template, folder / "desk.db")
    with sqlite3.connect(folder / "desk.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999_future'")
    return folder


NEWER = ("This database was written by a newer deskapp (schema 9999_future). "
         "Install the newer version; this one will not touch it.")


async def test_a_database_that_cannot_be_opened_is_one_line_on_the_screen(
        sqlite_template: Path, tmp_path: Path) -> None:
    settings = load_settings(data_dir=newer_database(sqlite_template, tmp_path),
                             password_hash_profile="cheapest")
    app = DeskApp.opening(settings, look=look_at_desk(settings))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert not app.desk_ready
        assert app.desk_failure == NEWER
        assert message(app) == NEWER
        await wait_until(pilot, lambda: "Install the newer version" in rendered(app),
                         "the line drawn on the screen")
        assert "Traceback" not in rendered(app)
        # Enter tries again (a lock released, a server back), and says it again.
        await pilot.press(*"wang", "enter", *"1234", "enter")
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert message(app) == NEWER
        assert app.screen.query_one("#login-name", Input).value == "wang"
        # The sign-in asked for stops: the name stays, the PIN goes (as after a wrong
        # one), so the next Enter at this desk signs in nobody by itself.
        assert app.screen.query_one("#login-pin", Input).value == ""
        assert app.screen.focused is app.screen.query_one("#login-pin", Input)
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_code == 1


async def test_f12_while_the_sign_in_waits_keeps_what_was_typed(staffed: Desk) -> None:
    opener, gate = gated(staffed)
    app = DeskApp.opening(staffed.settings, opener=opener)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        await pilot.press(*"wa")
        await pilot.press("f12")  # mid-typing: the other language, the text as typed
        await pilot.pause()
        name = app.screen.query_one("#login-name", Input)
        assert name.value == "wa" and app.screen.focused is name
        await pilot.press(*"ng", "enter", *"1234", "enter")
        await pilot.pause()
        assert message(app) == "正在打开数据库…"
        await pilot.press("f12")  # and back, while the sign-in waits for the desk
        await pilot.pause()
        assert app.screen.query_one("#login-name", Input).value == "wang"
        assert app.screen.query_one("#login-pin", Input).value == "1234"
        assert message(app) == "Opening the database…"
        gate.set()
        await wait_until(pilot, lambda: isinstance(app.screen, DashboardScreen),
                         "the sign-in once the desk is open")
        assert app.operator is not None and app.operator.login == "wang"


async def test_a_failure_that_is_no_refusal_is_logged_not_shown(staffed: Desk) -> None:
    def opener() -> Desk:
        raise RuntimeError("something nobody foresaw")

    app = DeskApp.opening(staffed.settings, opener=opener)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        shown = message(app)
        assert shown.startswith("Something went wrong") and "deskapp-errors.log" in shown
        await wait_until(pilot, lambda: "Something went wrong" in rendered(app),
                         "the line drawn on the screen")
        assert "Traceback" not in rendered(app)
    assert "something nobody foresaw" in app.error_log.read_text(encoding="utf-8")


async def test_a_demo_site_shows_its_sign_ins_once_the_desk_is_open(desk: Desk) -> None:
    with transaction(desk.engine) as session:
        site = session.get(Site, desk.site_id)
        assert site is not None
        site.is_demo = True
        session.add(site)
        operators.add_operator(
            session, acting=Acting(desk.site_id), login="wangfang", display_name="王芳",
            role="operator", secret="1111", now=desk.clock.now())
    opener, gate = gated(desk)
    look = look_at_desk(desk.settings)
    assert look.is_demo and not look.first_run
    app = DeskApp.opening(desk.settings, look=look, opener=opener)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        assert str(app.screen.query_one("#login-demo", Static).render()) == ""
        gate.set()
        await settle(pilot)
        hint = str(app.screen.query_one("#login-demo", Static).render())
        assert hint == "Demo site: wangfang/1111"


async def test_a_desk_with_no_operator_leaves_the_app_for_the_terminal(desk: Desk) -> None:
    """PostgreSQL, which the look cannot see into: the first manager is made on the
    terminal (``run_desk`` then calls the CLI's first run)."""
    app = DeskApp.opening(desk.settings, opener=lambda: desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.found_unstaffed, "the desk found unstaffed")
    assert app.return_code in (None, 0)


def test_the_look_tells_a_first_run(sqlite_template: Path, tmp_path: Path) -> None:
    new = load_settings(data_dir=tmp_path / "new")
    assert look_at_desk(new).first_run
    shutil.copy(sqlite_template, tmp_path / "desk.db")  # the schema, no site yet
    empty = load_settings(data_dir=tmp_path)
    assert look_at_desk(empty).first_run
    postgresql = load_settings(database_url="postgresql://127.0.0.1:1/none")
    assert not look_at_desk(postgresql).first_run  # opened behind the screen, then asked


def test_the_first_run_of_an_empty_database_still_asks_on_the_terminal(
        tmp_path: Path) -> None:
    """No terminal to ask on: the same refusal as before the app starts."""
    result = CliRunner().invoke(build_cli(), ["--data-dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "The database has no operators yet" in result.output


def test_the_first_run_offers_the_demo(monkeypatch: pytest.MonkeyPatch,
                                       tmp_path: Path) -> None:
    """On a terminal: the demo is loaded before the app starts on the open desk."""
    import sys

    from deskapp import app as app_module

    started: list[DeskApp] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr(app_module.DeskApp, "run", lambda self, **_: started.append(self))
    settings = load_settings(data_dir=tmp_path, password_hash_profile="cheapest")

    def first_run(given: object) -> Desk:
        from deskapp.cli import _seed_demo
        from deskapp.desk import open_desk

        desk = open_desk(settings)
        _seed_demo(desk)
        return desk

    assert app_module.run_desk(settings, first_run=first_run) == 0
    assert len(started) == 1 and started[0].desk_ready
    assert not look_at_desk(settings).first_run


@pytest.mark.parametrize(("argv", "options"), [
    ([], {}),
    (["--data-dir", "/d", "--lang", "zh_CN"], {"data_dir": "/d", "language": "zh_CN"}),
    (["--data-dir=/d", "--site=north"], {"data_dir": "/d", "site_code": "north"}),
    (["--database-url", "postgresql://h/db"], {"database_url": "postgresql://h/db"}),
    (["demo"], None),
    (["--help"], None),
    (["--data-dir"], None),
    (["--data-dir", "--help"], None),
    (["--lang", "en", "operator", "list"], None),
    (["--as", "boss"], None),
])
def test_only_the_desk_itself_skips_the_command_line(
        argv: list[str], options: dict[str, str] | None) -> None:
    assert desk_options(argv) == options


def test_the_guard_role_the_app_names_is_the_models_own() -> None:
    """``deskapp.app`` names it without importing the models (the sign-in path)."""
    from deskapp.app import GUARD_ROLE
    from deskapp.models import Role

    assert Role.GUARD.value == GUARD_ROLE
