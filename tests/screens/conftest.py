"""A staffed desk for driving screens: two operators, a supervisor, a few units.

The screens run on SQLite only. A screen holds no SQL of its own (it calls the
services, and lint-imports keeps sqlmodel and sqlalchemy out of screens and
widgets); the services' tests run on every engine in BACKENDS. Running each
screen test again on PostgreSQL would prove nothing more and doubled the suite's
longest part. A screen whose own queries differ by engine would need its tests
parametrized over ``tests.conftest.BACKENDS`` again.
"""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from deskapp import i18n
from deskapp.config import load_settings
from deskapp.desk import Desk, open_desk
from deskapp.services.clock import FixedClock
from tests.conftest import DESK_MORNING
from tests.screens.css_cache import css_parsed_once
from tests.support import PEOPLE, staff_desk

__all__ = ["PEOPLE", "staff"]


def staff(desk: Desk) -> Desk:
    """Operators wang, li (operators) and zhao (supervisor), PIN 1234, and ``PEOPLE``."""
    return staff_desk(desk)


@pytest.fixture(scope="session", autouse=True)
def _css_parsed_once() -> Iterator[None]:
    """Every app of a worker shares the parsed stylesheet (``tests.screens.css_cache``)."""
    with css_parsed_once():
        yield


@pytest.fixture(scope="session", autouse=True)
def _quick_pilot() -> Iterator[None]:
    """Pilot's waits without their fixed cost, and no animation to wait for.

    - ``pilot.press`` waits twice per key until the process looks idle: its CPU time
      grew by less than 1 ms in a 20 ms sleep (``textual._wait``). Most keys are done
      within a millisecond or two, so each key paid ~40 ms of sleep: more than half of
      a screen test's time. Here the same check (CPU time under 5 % of the time slept)
      is made every 2 ms.
    - Scrolling a focused field into view is animated over several frames. With
      animations off the view jumps at once, which is what the tests assert, and a
      snapshot no longer depends on when in the animation it was taken (the slip
      form's snapshot failed now and then for this).

    Both leave the app's own behaviour as it is; the tests wait on events and
    conditions (``helpers.settle``, ``wait_until``), never on these timings.
    """
    import textual._wait as wait
    import textual.constants as constants
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(constants, "TEXTUAL_ANIMATIONS", "none")
        patch.setattr(wait, "SLEEP_GRANULARITY", 1 / 500)
        patch.setattr(wait, "SLEEP_IDLE", 1 / 500 / 20)
        yield


@pytest.fixture
def backend() -> str:
    """SQLite only for the screens (see above): overrides the parametrized ``backend``."""
    return "sqlite"


@pytest.fixture
def staffed(desk: Desk) -> Desk:
    return staff(desk)


@pytest.fixture
def snapshot_desk(sqlite_template: Path, tmp_path: Path) -> Iterator[Desk]:
    """SQLite only and a fixed clock, so a snapshot is the same on every machine."""
    shutil.copy(sqlite_template, tmp_path / "desk.db")
    settings = load_settings(data_dir=tmp_path, password_hash_profile="cheapest")
    desk = open_desk(settings, clock=FixedClock(DESK_MORNING))
    yield staff(desk)
    desk.engine.dispose()
    i18n.set_language("en")


@pytest.fixture
def quick_lock_desk(sqlite_template: Path, tmp_path: Path) -> Iterator[Desk]:
    """A SQLite desk that gives up on a held write lock after 0.2 s instead of 5 s."""
    shutil.copy(sqlite_template, tmp_path / "desk.db")
    settings = load_settings(data_dir=tmp_path, password_hash_profile="cheapest",
                             sqlite_busy_timeout_ms=200)
    desk = staff(open_desk(settings, clock=FixedClock(DESK_MORNING)))
    yield desk
    desk.engine.dispose()


@contextmanager
def write_lock_held(desk: Desk) -> Iterator[None]:
    """Another desk (a second connection) holds the SQLite write lock meanwhile."""
    other_desk = sqlite3.connect(str(Path(desk.settings.data_dir) / "desk.db"),
                                 isolation_level=None)
    other_desk.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        other_desk.execute("ROLLBACK")
        other_desk.close()
