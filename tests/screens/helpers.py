"""Driving the app by keys, as an operator would."""

from __future__ import annotations

from textual.pilot import Pilot


async def sign_in(pilot: Pilot[None], login: str = "wang", pin: str = "1234") -> None:
    await pilot.press(*login, "enter", *pin, "enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
