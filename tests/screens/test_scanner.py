"""A scanner's quick burst + Enter opens a record; a person's typing stays typing."""

from __future__ import annotations

import re

from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.pilot import Pilot
from textual.widgets import Input, Static

from deskapp.widgets.scanner import ScanBuffer, install_scanner

CODE = re.compile(r"[A-Z][0-9A-Z]{5}")


class ScanApp(App[None]):
    AUTO_FOCUS = None  # the desk's screens start with nothing typed into
    BINDINGS = [
        Binding("s", "count('s')", "s"),
        Binding("k", "count('k')", "k"),
        Binding("7", "count('7')", "7"),
        Binding("enter", "count('enter')", "enter"),
    ]

    def __init__(self, *, could_start: bool = False) -> None:
        super().__init__()
        self.scanned: list[str] = []
        self.actions: list[str] = []
        self.scanner = install_scanner(
            self,
            matches=lambda text: CODE.fullmatch(text) is not None,
            on_scan=self.scanned.append,
            could_start=(lambda text: text[0].isupper()) if could_start else None,
        )

    def compose(self) -> ComposeResult:
        yield Static("desk")
        yield Input(id="field")

    def action_count(self, key: str) -> None:
        self.actions.append(key)


async def scan(pilot: Pilot[None], text: str) -> None:
    """Keys as a scanner sends them: all in one read from the terminal, then Enter.

    ``pilot.press`` cannot stand in for a scanner: it waits for the app to be
    idle after every key (two sleeps of 20 ms in textual._wait), so its keys
    are 40 ms or more apart - as slow as a fast typist.
    """
    for char in text:
        pilot.app.post_message(events.Key(char, char))
    pilot.app.post_message(events.Key("enter", "\r"))
    await pilot.pause(0.1)


# -- the pure buffer -----------------------------------------------------------


def test_quick_burst_ending_in_enter_is_a_scan() -> None:
    buffer = ScanBuffer()
    for index, char in enumerate("S7K3MQ"):
        buffer.feed(char, 10.0 + index * 0.005)
    assert buffer.enter(10.03) == "S7K3MQ"
    assert buffer.text == ""


def test_person_typing_is_not_a_scan() -> None:
    buffer = ScanBuffer()
    for index, char in enumerate("S7K3MQ"):
        buffer.feed(char, 10.0 + index * 0.12)
    assert buffer.enter(10.0 + 6 * 0.12) is None


def test_slow_start_then_quick_burst_scans_only_the_burst() -> None:
    buffer = ScanBuffer()
    buffer.feed("x", 1.0)
    for index, char in enumerate("S7K3MQ"):
        buffer.feed(char, 2.0 + index * 0.004)
    assert buffer.enter(2.03) == "S7K3MQ"


def test_gap_at_the_boundary() -> None:
    buffer = ScanBuffer(max_gap=0.05)
    for index, char in enumerate("ABCD"):
        buffer.feed(char, index * 0.049)
    assert buffer.enter(4 * 0.049) == "ABCD"
    for index, char in enumerate("ABCD"):
        buffer.feed(char, 10 + index * 0.051)
    assert buffer.enter(10 + 4 * 0.051) is None


def test_too_short_burst_or_late_enter_is_not_a_scan() -> None:
    buffer = ScanBuffer()
    for index, char in enumerate("ABC"):
        buffer.feed(char, index * 0.005)
    assert buffer.enter(0.02) is None
    for index, char in enumerate("ABCD"):
        buffer.feed(char, 5 + index * 0.005)
    assert buffer.enter(6.0) is None


# -- in a Textual app -------------------------------------------------------------


async def test_scan_opens_the_record_and_fires_no_bindings() -> None:
    app = ScanApp()
    async with app.run_test() as pilot:
        await scan(pilot, "S7K3MQ")
        assert app.scanned == ["S7K3MQ"]
        assert app.actions == []
        await scan(pilot, "K7S3MQ")  # the letters are bindings in lower case only
        assert app.scanned == ["S7K3MQ", "K7S3MQ"]
        assert app.actions == []


async def test_slow_typing_reaches_the_bindings_in_order() -> None:
    app = ScanApp()
    async with app.run_test() as pilot:
        for key in ["s", "7", "k", "enter"]:
            await pilot.press(key)
            await pilot.pause(0.1)
        assert app.scanned == []
        assert app.actions == ["s", "7", "k", "enter"]


async def test_quick_burst_that_is_not_a_code_is_replayed() -> None:
    app = ScanApp()
    async with app.run_test() as pilot:
        await scan(pilot, "s7k7")  # quick, but not a code: codes start with a capital
        assert app.scanned == []
        assert app.actions == ["s", "7", "k", "7", "enter"]


async def test_single_key_binding_still_works_after_a_moment() -> None:
    app = ScanApp()
    async with app.run_test() as pilot:
        await pilot.press("k")
        await pilot.pause(0.1)
        assert app.actions == ["k"]


async def test_key_that_cannot_start_a_code_is_not_delayed() -> None:
    app = ScanApp(could_start=True)
    async with app.run_test() as pilot:
        await pilot.press("k")
        assert app.actions == ["k"]  # no pause needed: never held back
        await scan(pilot, "S7K3MQ")
        assert app.scanned == ["S7K3MQ"]
        assert app.actions == ["k"]


async def test_scan_into_a_focused_field_fills_the_field() -> None:
    app = ScanApp()
    async with app.run_test() as pilot:
        field = app.query_one("#field", Input)
        field.focus()
        await scan(pilot, "S7K3MQ")
        assert field.value == "S7K3MQ"
        assert app.scanned == []


async def test_disabled_scanner_stands_aside() -> None:
    app = ScanApp()
    async with app.run_test() as pilot:
        app.scanner.enabled = False
        await scan(pilot, "S7K3MQ")
        assert app.scanned == []
        assert app.actions == ["7", "enter"]  # S, K, M, Q are capitals: no binding
