"""Cold start: how long until the sign-in screen is ready, beside a bare Textual app.

Prints figures (median of N fresh processes); it asserts nothing. The reference
(a bare Textual app with a header, a table and a footer) is measured in the
same run, so the figures compare on whatever machine runs them.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile

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
        print(time.perf_counter() - start)

import asyncio
asyncio.run(main())
"""


def measure(code: str) -> float:
    times = []
    for _ in range(RUNS):
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )
        times.append(float(result.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as data_dir:
        subprocess.run(
            [sys.executable, "-m", "deskapp", "--data-dir", data_dir, "db", "upgrade"],
            check=True, capture_output=True,
        )
        bare = measure(BARE)
        desk = measure(DESK.format(data_dir=data_dir))
    print(f"bare Textual app ready:      {bare * 1000:7.0f} ms (median of {RUNS})")
    print(f"deskapp sign-in screen ready: {desk * 1000:7.0f} ms (median of {RUNS})")
    print(f"deskapp costs {desk / bare:4.1f}x the bare app")


if __name__ == "__main__":
    main()
