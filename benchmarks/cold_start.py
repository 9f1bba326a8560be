"""Cold start: how long until the sign-in screen is ready, beside a bare Textual app.

    .venv/bin/python benchmarks/cold_start.py [--runs N] [--data-dir DIR] [--no-terminal]

To compare with another tree (e.g. ``git archive HEAD | tar -x -C DIR``), run it from
a folder outside this checkout with ``PYTHONPATH=DIR``: every start it times imports
``deskapp`` from there (the current folder would come first on ``sys.path``).

Prints figures (median of N fresh processes); it asserts nothing. The reference
(a bare Textual app with a header, a table and a footer) is measured in the
same run, so the figures compare on whatever machine runs them. "Ready" is the
first frame on the (headless) screen: Textual's ``Ready`` event, "the DOM is ready
and the first frame has been displayed", the same for the bare app and the desk.
Beside it: when the desk is open (a PIN can be checked; the same moment in a tree
that opens the desk before the app), and how long a sign-in typed in one burst at the
first frame takes to show the dashboard. Then one more
start under ``python -X importtime``: whether the migration machinery (alembic,
mako) was imported, and the deskapp modules that cost most to import.
``--data-dir`` starts on an existing desk (e.g. a decade database) instead of a
new empty one; ``decade.py`` reuses ``BARE`` and ``DESK``.

Two more figures say where the time goes and what a person waits for:

- the phases of a start to the sign-in screen (median of N): Textual, SQLAlchemy and
  SQLModel, the model classes, their mapper configuration, the rest of ``deskapp.app``,
  ``open_desk`` and the app up to its first frame;
- in a terminal (a pseudo-terminal of 120x40): ``python -m deskapp`` (the command
  itself, typer included) to the first frame showing the sign-in screen, beside the
  bare app's script to its first frame (median of N each).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

RUNS = 5

BARE = """
import time
start = time.perf_counter()
from textual.app import App
from textual.widgets import DataTable, Footer, Header

class Bare(App):
    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

    def on_ready(self):
        self.first_frame = time.perf_counter() - start

async def main():
    app = Bare()
    async with app.run_test(headless=True) as pilot:
        await pilot.pause()
        print(app.first_frame)

import asyncio
asyncio.run(main())
"""

DESK = """
import time
start = time.perf_counter()
import asyncio, json, sys
from deskapp.app import DeskApp
from deskapp.config import load_settings

marks = {{}}

class Timed(DeskApp):
    def on_ready(self):
        marks["first_frame"] = time.perf_counter() - start
        marks["sqlalchemy"] = "sqlalchemy" in sys.modules
        if {burst!r}:  # name, Tab, PIN, Enter at once, as a terminal delivers a burst
            from textual import events
            for key in [*"bench", "tab", *"246810", "enter"]:
                typed = {{"tab": "\\t", "enter": "\\r"}}.get(key, key)
                event = events.Key(key, typed)
                event.set_sender(self)
                self._driver.send_message(event)

async def main():
    settings = load_settings(data_dir={data_dir!r})
    if hasattr(DeskApp, "opening"):  # the sign-in screen first, the desk behind it
        from deskapp.desk import look_at_desk
        app = Timed.opening(settings, look=look_at_desk(settings))
    else:  # the desk opened before the app
        from deskapp.desk import open_desk
        app = Timed(open_desk(settings))
    # Polled with asyncio.sleep: Pilot's pause waits until the process is idle, which
    # it is not while the desk opens in a thread.
    async with app.run_test(headless=True, size=(120, 40)) as pilot:
        while time.perf_counter() - start < 30:
            if "desk_open" not in marks and getattr(app, "desk_ready", True):
                marks["desk_open"] = time.perf_counter() - start
            if not {burst!r} and "desk_open" in marks:
                break
            if app.operator is not None and type(app.screen).__name__ == "DashboardScreen":
                marks["dashboard"] = time.perf_counter() - start
                break
            await asyncio.sleep(0.005)
        print("alembic" in sys.modules, "mako" in sys.modules, file=sys.stderr)
    print(json.dumps(marks))

import asyncio
asyncio.run(main())
"""


PHASES = """
import json, sys, time
marks = [time.perf_counter()]
import textual.app, textual.widgets
marks.append(time.perf_counter())
import sqlalchemy, sqlmodel
marks.append(time.perf_counter())
import deskapp.models
marks.append(time.perf_counter())
from sqlalchemy.orm import configure_mappers
configure_mappers()
marks.append(time.perf_counter())
from deskapp.app import DeskApp
from deskapp.config import load_settings
from deskapp.desk import open_desk
marks.append(time.perf_counter())
desk = open_desk(load_settings(data_dir={data_dir!r}))
marks.append(time.perf_counter())

async def main():
    async with DeskApp(desk).run_test(headless=True) as pilot:
        await pilot.pause()
        marks.append(time.perf_counter())

import asyncio
asyncio.run(main())
print(json.dumps([later - earlier for earlier, later in zip(marks, marks[1:])]))
"""
#: The phases of a tree that draws the sign-in screen first (``DeskApp.opening``).
OPENING_PHASES = """
import json, sys, time
marks = [time.perf_counter()]
import textual.app, textual.widgets
marks.append(time.perf_counter())
from deskapp.app import DeskApp
marks.append(time.perf_counter())
from deskapp.config import load_settings
from deskapp.desk import look_at_desk
settings = load_settings(data_dir={data_dir!r})
look = look_at_desk(settings)
marks.append(time.perf_counter())

class Timed(DeskApp):
    def on_ready(self):
        marks.append(time.perf_counter())

async def main():
    app = Timed.opening(settings, look=look)
    async with app.run_test(headless=True) as pilot:
        while not app.desk_ready and time.perf_counter() - marks[0] < 30:
            await asyncio.sleep(0.005)
        marks.append(time.perf_counter())

import asyncio
asyncio.run(main())
print(json.dumps([later - earlier for earlier, later in zip(marks, marks[1:])]))
"""
OPENING_PHASE_NAMES = (
    "textual (as the bare app)", "the rest of deskapp.app (the sign-in path)",
    "settings and the look at the SQLite file", "the app to its first frame",
    "behind the screen: the desk opened (SQLAlchemy, the models, open_desk)")

PHASE_NAMES = ("textual (as the bare app)", "sqlalchemy and sqlmodel", "the model classes",
               "their mapper configuration", "the rest of deskapp.app", "open_desk",
               "the app to its first frame")

BARE_TERMINAL = """
from textual.app import App
from textual.widgets import DataTable, Footer, Header

class Bare(App):
    TITLE = "bare-app-ready"
    def compose(self):
        yield Header()
        yield DataTable()
        yield Footer()

Bare().run()
"""


def measure(code: str, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        times.append(float(result.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def measure_marks(code: str, runs: int = RUNS) -> dict[str, float]:
    """The median of each mark ``code`` prints (a JSON object) over ``runs`` processes."""
    runs_marks = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        runs_marks.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return {name: statistics.median(float(marks[name]) for marks in runs_marks)
            for name in runs_marks[0]}


def measure_phases(code: str, runs: int = RUNS) -> list[float]:
    """The median of each phase of ``PHASES`` over ``runs`` fresh processes."""
    runs_phases = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        runs_phases.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return [statistics.median(phase) for phase in zip(*runs_phases, strict=True)]


def first_frame(argv: list[str], marker: bytes, timeout: float = 30.0, *,
                keys: bytes = b"", then: bytes = b"") -> float:
    """Seconds from starting ``argv`` in a 120x40 pseudo-terminal until its output shows
    ``marker`` (or, with ``keys`` typed at once when it does, until it shows ``then``);
    then ctrl+q, and the process is ended if it does not quit."""
    start = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # the child: the program, on the terminal
        os.execv(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    seen = b""
    elapsed = float("nan")
    try:
        while time.perf_counter() - start < timeout:
            ready, _, _ = select.select([fd], [], [], 0.5)
            if not ready:
                continue
            try:
                seen += os.read(fd, 65536)
            except OSError:  # the program ended before showing it
                break
            if keys and marker in seen:
                os.write(fd, keys)
                marker, keys, seen = then, b"", b""
            elif marker in seen:
                elapsed = time.perf_counter() - start
                break
        os.write(fd, b"\x11")  # ctrl+q
        deadline = time.perf_counter() + 5
        while time.perf_counter() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.2)
            try:
                if ready and not os.read(fd, 65536):
                    break
            except OSError:
                break
            if os.waitpid(pid, os.WNOHANG) != (0, 0):
                pid = 0
                break
    finally:
        if pid:
            try:
                os.kill(pid, signal.SIGTERM)
                os.waitpid(pid, 0)
            except (ChildProcessError, ProcessLookupError):
                pass
        os.close(fd)
    return elapsed


#: A sign-in typed in one burst (name, Tab, PIN, Enter) and what the dashboard shows.
BURST = b"bench\t246810\r"
DASHBOARD = b"Due this shift"


def terminal_starts(data_dir: str, runs: int) -> dict[str, float]:
    """Median seconds in a terminal: the bare app's first frame; ``python -m deskapp``'s
    first frame (the sign-in screen); the same with a sign-in typed at that frame, to the
    dashboard; the console script ``deskapp`` (the command line's module) to sign-in.
    The starts alternate, so a moment of load falls on each alike."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(BARE_TERMINAL)
    desk = [sys.executable, "-m", "deskapp", "--lang", "en", "--data-dir", data_dir]
    command = [str(Path(sys.executable).parent / "deskapp"), "--lang", "en",
               "--data-dir", data_dir]
    times: dict[str, list[float]] = {"bare": [], "desk": [], "dashboard": [], "script": []}
    try:
        for _ in range(runs):
            times["bare"].append(first_frame([sys.executable, script.name], b"bare-app-ready"))
            times["desk"].append(first_frame(desk, b"Front desk sign-in"))
            times["dashboard"].append(first_frame(desk, b"Front desk sign-in", keys=BURST,
                                                  then=DASHBOARD))
            times["script"].append(first_frame(command, b"Front desk sign-in"))
    finally:
        os.unlink(script.name)
    return {name: statistics.median(values) for name, values in times.items()}


def import_costs(code: str, top: int = 12) -> tuple[str, list[tuple[int, int, str]]]:
    """One start under ``-X importtime``: what it says of alembic, and the deskapp modules
    with the largest cumulative import times (µs, self and cumulative)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-c", code],
                            capture_output=True, text=True, check=True)
    costs = []
    migration = "?"
    for line in result.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            own, cumulative, name = line[len("import time:"):].split("|", 2)
            if own.strip().isdigit() and name.strip().startswith("deskapp"):
                costs.append((int(own), int(cumulative), name.rstrip()))
        elif line in ("True True", "False False", "True False", "False True"):
            migration = "imported" if line.startswith("True") else "not imported"
    return migration, sorted(costs, key=lambda cost: -cost[1])[:top]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--no-terminal", action="store_true",
                        help="Skip the starts in a pseudo-terminal.")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data_dir = str(options.data_dir or scratch)
        subprocess.run(
            [sys.executable, "-m", "deskapp", "--data-dir", data_dir, "db", "upgrade"],
            check=True, capture_output=True,
        )
        if options.data_dir is None:  # an operator, so the command opens the sign-in screen
            subprocess.run(
                [sys.executable, "-m", "deskapp", "--data-dir", data_dir, "operator", "add",
                 "bench", "--name", "Bench", "--role", "manager", "--pin", "246810"],
                check=True, capture_output=True,
            )
        bare = measure(BARE, options.runs)
        desk = measure_marks(DESK.format(data_dir=data_dir, burst=False), options.runs)
        burst = measure_marks(DESK.format(data_dir=data_dir, burst=True), options.runs)
        opening = "opening" in subprocess.run(
            [sys.executable, "-c", "from deskapp.app import DeskApp; print(dir(DeskApp))"],
            capture_output=True, text=True, check=True).stdout
        code, names = ((OPENING_PHASES, OPENING_PHASE_NAMES) if opening
                       else (PHASES, PHASE_NAMES))
        phases = measure_phases(code.format(data_dir=data_dir), options.runs)
        terminal = None if options.no_terminal else terminal_starts(data_dir, options.runs)
        migration, costs = import_costs(DESK.format(data_dir=data_dir, burst=False))
    shown = desk["first_frame"]
    print(f"median of {options.runs} fresh processes each, ms (headless, first frame)")
    print(f"bare Textual app's first frame:          {bare * 1000:7.0f}")
    print(f"deskapp's first frame (the sign-in):     {shown * 1000:7.0f}  "
          f"({shown / bare:3.1f}x the bare app)")
    print(f"deskapp's desk open (a PIN can be checked): {desk['desk_open'] * 1000:4.0f}")
    print(f"a sign-in typed at the first frame, to the dashboard: "
          f"{burst['dashboard'] * 1000:5.0f}")
    print(f"sqlalchemy imported before the first frame: {bool(desk['sqlalchemy'])}")
    print(f"alembic and mako on this start: {migration}")
    print("phases of a start (median of each, ms):")
    for name, seconds in zip(names, phases, strict=True):
        print(f"  {seconds * 1000:7.0f}  {name}")
    print(f"  {sum(phases) * 1000:7.0f}  in all")
    if terminal is not None:
        print("in a 120x40 pseudo-terminal (median, ms):")
        print(f"  bare app's first frame:                    {terminal['bare'] * 1000:7.0f}")
        print(f"  python -m deskapp to the sign-in screen:   {terminal['desk'] * 1000:7.0f} "
              f"({terminal['desk'] / terminal['bare']:3.1f}x)")
        print(f"  the console script deskapp to sign-in:     {terminal['script'] * 1000:7.0f} "
              f"({terminal['script'] / terminal['bare']:3.1f}x)")
        print(f"  python -m deskapp, sign-in typed at once, to the dashboard: "
              f"{terminal['dashboard'] * 1000:6.0f}")
    print("largest deskapp imports (-X importtime, cumulative ms, own ms):")
    for own, cumulative, name in costs:
        print(f"  {cumulative / 1000:7.1f} {own / 1000:7.1f}  {name.strip()}")


if __name__ == "__main__":
    main()
