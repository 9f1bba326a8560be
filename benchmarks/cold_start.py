"""Cold start: how long until the sign-in screen is ready, beside a bare Textual app.

    .venv/bin/python benchmarks/cold_start.py [--runs N] [--data-dir DIR]

Prints figures (median of N fresh processes); it asserts nothing. The reference
(a bare Textual app with a header, a table and a footer) is measured in the
same run, so the figures compare on whatever machine runs them. Then one more
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

async def main():
    async with Bare().run_test(headless=True) as pilot:
        await pilot.pause()
        print(time.perf_counter() - start)

import asyncio
asyncio.run(main())
"""

DESK = """
import time
start = time.perf_counter()
from deskapp.app import DeskApp
from deskapp.config import load_settings
from deskapp.desk import open_desk

async def main():
    desk = open_desk(load_settings(data_dir={data_dir!r}))
    async with DeskApp(desk).run_test(headless=True) as pilot:
        await pilot.pause()
        import sys
        print("alembic" in sys.modules, "mako" in sys.modules, file=sys.stderr)
        print(time.perf_counter() - start)

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


def measure_phases(code: str, runs: int = RUNS) -> list[float]:
    """The median of each phase of ``PHASES`` over ``runs`` fresh processes."""
    runs_phases = []
    for _ in range(runs):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        runs_phases.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return [statistics.median(phase) for phase in zip(*runs_phases, strict=True)]


def first_frame(argv: list[str], marker: bytes, timeout: float = 30.0) -> float:
    """Seconds from starting ``argv`` in a 120x40 pseudo-terminal until its output shows
    ``marker``; then ctrl+q, and the process is ended if it does not quit."""
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
            if marker in seen:
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


def terminal_starts(data_dir: str, runs: int) -> tuple[float, float]:
    """Median seconds to the first frame in a terminal: the bare app, ``deskapp``."""
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as script:
        script.write(BARE_TERMINAL)
    try:
        bare = [first_frame([sys.executable, script.name], b"bare-app-ready")
                for _ in range(runs)]
    finally:
        os.unlink(script.name)
    desk = [first_frame([sys.executable, "-m", "deskapp", "--lang", "en",
                         "--data-dir", data_dir], b"Front desk sign-in")
            for _ in range(runs)]
    return statistics.median(bare), statistics.median(desk)


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
        desk = measure(DESK.format(data_dir=data_dir), options.runs)
        phases = measure_phases(PHASES.format(data_dir=data_dir), options.runs)
        terminal = None if options.no_terminal else terminal_starts(data_dir, options.runs)
        migration, costs = import_costs(DESK.format(data_dir=data_dir))
    print(f"bare Textual app ready:      {bare * 1000:7.0f} ms (median of {options.runs})")
    print(f"deskapp sign-in screen ready: {desk * 1000:7.0f} ms (median of {options.runs})")
    print(f"deskapp costs {desk / bare:4.1f}x the bare app")
    print(f"alembic and mako on this start: {migration}")
    print(f"phases of a start to sign-in (median of {options.runs} each, ms):")
    for name, seconds in zip(PHASE_NAMES, phases, strict=True):
        print(f"  {seconds * 1000:7.0f}  {name}")
    print(f"  {sum(phases) * 1000:7.0f}  in all")
    if terminal is not None:
        bare_tty, desk_tty = terminal
        print(f"in a terminal, bare app's first frame:       {bare_tty * 1000:7.0f} ms")
        print(f"in a terminal, python -m deskapp to sign-in: {desk_tty * 1000:7.0f} ms "
              f"({desk_tty / bare_tty:3.1f}x)")
    print("largest deskapp imports (-X importtime, cumulative ms, own ms):")
    for own, cumulative, name in costs:
        print(f"  {cumulative / 1000:7.1f} {own / 1000:7.1f}  {name.strip()}")


if __name__ == "__main__":
    main()
