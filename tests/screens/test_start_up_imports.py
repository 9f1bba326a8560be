"""The way to the sign-in screen imports only what the sign-in screen needs.

The task screens, the ledgers' services (the palette's searches), the demo's seeders
and the migration machinery come when first used: a fresh process imports the app,
or starts it headless to the sign-in screen, and says what it found in
``sys.modules`` (this process has long imported all of it). See docs/performance.md,
"Cold start".

A start (``DeskApp.opening``) draws the sign-in screen before the database layer is
imported at all: SQLAlchemy, SQLModel (pydantic) and the models come with the desk's
opening, in a thread, after the first frame.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

from textual.widgets import Static

from deskapp.app import DeskApp
from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.models import Site
from deskapp.screens.login import LoginScreen
from deskapp.services import operators
from deskapp.services.acting import Acting
from tests.screens.helpers import settle

#: Not imported before the operator asks: each costs time at every start.
DEFERRED = (
    "alembic",
    "mako",
    "deskapp.services.demo",
    "deskapp.services.directory",
    "deskapp.services.custody.core",
    "deskapp.services.custody.lists",
    "deskapp.services.release.slips",
    "deskapp.services.requests.views",
    "deskapp.services.requests.rules",
    "deskapp.services.dashboard",
    "deskapp.screens.help",
)

FOUND = """
import json, sys
{start}
from deskapp.app import DeskApp
deferred = set(json.loads(sys.argv[1]))
deferred.update(target.split(":", 1)[0] for target in DeskApp.SCREEN_FACTORIES.values())
print(json.dumps(sorted(name for name in deferred if name in sys.modules)))
"""

IMPORT_ONLY = FOUND.format(start="import deskapp.app")

TO_SIGN_IN = FOUND.format(start="""
import asyncio
from deskapp.app import DeskApp
from deskapp.config import load_settings
from deskapp.desk import open_desk
from deskapp.screens.login import LoginScreen

async def sign_in_screen():
    desk = open_desk(load_settings(data_dir=sys.argv[2], password_hash_profile="cheapest"))
    app = DeskApp(desk)
    async with app.run_test(headless=True) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, LoginScreen), app.screen
    desk.engine.dispose()

asyncio.run(sign_in_screen())
""")


#: Not imported before the sign-in screen's first frame: the desk opens behind it.
BEHIND_THE_SCREEN = (
    "sqlalchemy", "sqlmodel", "pydantic", "deskapp.models", "deskapp.db", "deskapp.migrate",
    "deskapp.services.operators", "deskapp.commands", "typer", "alembic",
)

FIRST_FRAME = """
import asyncio, json, sys
from deskapp.app import DeskApp
from deskapp.config import load_settings
from deskapp.desk import look_at_desk

watched = json.loads(sys.argv[1])
found = {}

class Watched(DeskApp):
    def on_ready(self):  # the first frame is on the screen (DeskApp.on_ready runs too)
        found["first_frame"] = sorted(name for name in watched if name in sys.modules)

async def start():
    settings = load_settings(data_dir=sys.argv[2], password_hash_profile="cheapest")
    app = Watched.opening(settings, look=look_at_desk(settings))
    async with app.run_test(headless=True) as pilot:
        await pilot.press(*"wang", "tab", *"1234", "enter")
        for _ in range(2000):
            if type(app.screen).__name__ == "DashboardScreen":
                break
            await pilot.pause(0.01)
        found["signed_in"] = app.operator is not None and app.operator.login == "wang"
    app.desk.engine.dispose()

asyncio.run(start())
print(json.dumps(found))
"""


def _imported(code: str, *args: str) -> list[str]:
    result = subprocess.run([sys.executable, "-c", code, json.dumps(DEFERRED), *args],
                            capture_output=True, text=True, check=True, timeout=120)
    found: list[str] = json.loads(result.stdout.strip().splitlines()[-1])
    return found


def test_the_deferred_modules_exist() -> None:
    """A name mistyped here would pass the checks below for nothing."""
    import importlib.util

    missing = [name for name in DEFERRED if importlib.util.find_spec(name) is None]
    assert missing == []


def test_importing_the_app_imports_no_task_screen_nor_ledger_service() -> None:
    assert _imported(IMPORT_ONLY) == []


def test_the_sign_in_screen_comes_up_without_them(
        sqlite_template: Path, tmp_path: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "desk.db")
    assert _imported(TO_SIGN_IN, str(tmp_path)) == []


async def test_a_real_site_shows_no_demo_sign_ins(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        assert not app.screen.query("#login-demo")


async def test_a_demo_site_still_shows_its_sign_ins(desk: Desk) -> None:
    """The demo's module comes only for a demo site, and the hint is there as before."""
    with transaction(desk.engine) as session:
        site = session.get(Site, desk.site_id)
        assert site is not None
        site.is_demo = True
        session.add(site)
        operators.add_operator(
            session, acting=Acting(desk.site_id), login="wangfang", display_name="王芳",
            role="operator", secret="1111", now=desk.clock.now())
    app = DeskApp(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, LoginScreen)
        hint = str(app.screen.query_one("#login-demo", Static).render())
        assert hint == "Demo site: wangfang/1111"


def test_the_quick_entry_imports_neither_typer_nor_the_database_layer() -> None:
    """``deskapp`` with no command (``deskapp.__main__``) up to the app's module."""
    code = ("import json, sys; import deskapp.__main__, deskapp.app; "
            "print(json.dumps(sorted(n for n in json.loads(sys.argv[1]) if n in sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code, json.dumps(BEHIND_THE_SCREEN)],
                            capture_output=True, text=True, check=True, timeout=120)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_the_first_frame_comes_before_the_database_layer(
        tmp_path: Path, staffed: Desk) -> None:
    """The sign-in screen is drawn with none of it imported; a sign-in typed at once
    completes when the desk has opened behind it."""
    with closing(sqlite3.connect(Path(staffed.settings.data_dir) / "desk.db")) as source, \
            closing(sqlite3.connect(tmp_path / "desk.db")) as copy:
        source.backup(copy)  # the staffed desk as committed (its WAL included)
    result = subprocess.run(
        [sys.executable, "-c", FIRST_FRAME, json.dumps(BEHIND_THE_SCREEN), str(tmp_path)],
        capture_output=True, text=True, check=True, timeout=120)
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {"first_frame": [], "signed_in": True}
