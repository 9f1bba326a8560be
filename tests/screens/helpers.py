"""Driving the app by keys, as an operator would; and signing in without typing."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from time import monotonic

from textual.pilot import Pilot
from textual.worker import Worker, WorkerFailed

from deskapp.db import transaction
from deskapp.services import operators
from deskapp.services.acting import Acting


async def settle(pilot: Pilot[None]) -> None:
    """Wait until the keys held behind a Tab or Enter are typed and the database work
    (thread workers) has finished and its results are shown.

    Workers waiting for the operator (a form's save flow waiting on a PIN dialog)
    are not waited for: they finish only when the test answers the dialog.
    """
    key_order = getattr(pilot.app, "key_order", None)
    quiet = 0
    for _ in range(40):
        if key_order is not None:
            await key_order.idle.wait()
        threads = [worker for worker in pilot.app.workers if _in_a_thread(worker)]
        for worker in threads:
            # A worker that failed has been answered by its screen (an error line, the
            # app's error handler); the test asserts what the operator was shown.
            with suppress(WorkerFailed):
                await worker.wait()
        await pilot.pause()
        busy = (key_order is not None and not key_order.idle.is_set()) or any(
            _in_a_thread(worker) and not worker.is_finished for worker in pilot.app.workers)
        # Quiet twice in a row: a key still queued at a screen may start work after
        # the first look.
        quiet = 0 if busy else quiet + 1
        if quiet >= 2:
            return


def _in_a_thread(worker: Worker[object]) -> bool:
    return bool(getattr(worker, "_thread_worker", False))


async def sign_in(pilot: Pilot[None], login: str = "wang", pin: str = "1234", *,
                  at: str = "dashboard") -> None:
    """Sign in through the service, for tests that are not about signing in.

    The same as a right PIN typed on the sign-in screen, without its ten keys (1.5 s):
    ``operators.sign_in`` checks the PIN and writes the sign-in's audit entry, then the
    operator is handed to the app as the sign-in screen hands it (``signed_in_as``).
    The sign-in screen's own tests (test_login.py) type it: ``sign_in_by_keys``.
    ``at``: the task screen to start from (the F-key tests press the key themselves),
    which spares a test that is about another screen the dashboard's start (~1 s).
    """
    from deskapp.app import DeskApp
    from deskapp.screens.login import LoginScreen

    app = pilot.app
    assert isinstance(app, DeskApp)
    for _ in range(50):  # the sign-in screen is up once the app has mounted it
        if isinstance(app.screen, LoginScreen):
            break
        await pilot.pause()
    assert isinstance(app.screen, LoginScreen), app.screen
    desk = app.desk
    with transaction(desk.engine) as session:
        operator = operators.sign_in(
            session, acting=Acting(desk.site_id), login=login, secret=pin, now=desk.clock.now(),
            max_failures=desk.settings.max_failed_sign_ins, lockout=desk.lockout,
        )
    app.signed_in_as(operator, first=at)
    await settle(pilot)
    assert app.operator is not None and app.operator.login == login


async def sign_in_by_keys(pilot: Pilot[None], login: str = "wang", pin: str = "1234") -> None:
    """The name, Enter, the PIN, Enter, typed on the sign-in screen."""
    await pilot.press(*login, "enter", *pin, "enter")
    await settle(pilot)


async def burst(pilot: Pilot[None], *keys: str) -> None:
    """Keys as a terminal delivers a fast typist's or a scanner's burst: all sent to the
    app at once, without waiting between them (``pilot.press`` waits after each key)."""
    from textual import events
    from textual.keys import _character_to_key

    app = pilot.app
    driver = app._driver
    assert driver is not None
    for key in keys:
        name = _character_to_key(key) if len(key) == 1 and not key.isalnum() else key
        character = key if len(key) == 1 else {"tab": "\t", "enter": "\r"}.get(key)
        event = events.Key(name, character)
        event.set_sender(app)
        driver.send_message(event)
    await settle(pilot)


async def wait_until(
    pilot: Pilot[None], condition: Callable[[], object], what: str, *, timeout: float = 10.0
) -> None:
    """Pause (no fixed delay: until the app is idle) until ``condition()`` holds."""
    deadline = monotonic() + timeout
    while not condition():
        if monotonic() > deadline:
            raise AssertionError(f"still waiting for {what} after {timeout} s")
        await pilot.pause()


async def pin_checked(pilot: Pilot[None]) -> None:
    """A staff PIN dialog's check is done and taken up: its worker (a thread) has
    finished, the dialog has closed or says why not, and what it set off is done."""
    app = pilot.app
    await wait_until(
        pilot, lambda: not any(worker.name == "staff-pin" for worker in app.workers),
        "the PIN check",
    )
    await settle(pilot)


async def palette_search(pilot: Pilot[None], text: str) -> None:
    """ctrl+p, ``text`` typed, and the palette's search finished with at least one hit."""
    from textual.command import CommandList, CommandPalette

    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: CommandPalette.is_open(app), "the palette")
    await pilot.press(*text)
    palette = app.screen
    assert isinstance(palette, CommandPalette)

    def searched() -> bool:
        gathering = any(
            worker.group == CommandPalette._GATHER_COMMANDS_GROUP and not worker.is_finished
            for worker in app.workers
        )
        return not gathering and palette.query_one(CommandList).option_count > 0

    await wait_until(pilot, searched, f"the palette's hits for {text!r}")
