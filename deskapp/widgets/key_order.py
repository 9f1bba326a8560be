"""Keys typed in a burst arrive in the order they were typed.

A fast typist, or a scanner, sends "本人", Tab, "B-2" in one read of the
terminal. Textual hands every key to the focused field at once; a letter is
typed by the field itself, but Tab and Enter only move the cursor after they
have bubbled up to the screen's or the app's handlers. By then the field has
already taken "B-2", so it read "本人B-2" (the desk's own finding, in tmux).

``install_key_order`` therefore wraps the app's ``on_event`` (like the scanner,
see ``scanner.py``): after a key that moves between fields (Tab, shift+Tab,
Enter) or edits by a binding (backspace, home, ctrl+u: "abc⌫d" would read "abc")
reaches a text field, or any key reaches another widget (a one-key choice moves
on when answered: "y", then the scan), the keys that follow are held until that
key has had its effect, then replayed in order. Likewise a key
after typed characters (ctrl+s after "换了阀芯") waits until the field has taken
them, so a screen's binding never reads a field that is still filling.

The effect is known to be done when a ``Fence`` sent behind the key has
travelled the same way: every message pump handles its queue in order, so a
fence queued at the field bubbles up to the app behind the key; sent round a
second time, it comes behind the message the key's binding posted (Enter's
``Submitted``) and its handler. The held keys then wait for the screen's next
layout: Textual orders focus by each field's place on screen, and a field the key
has just shown (the caller, once a unit is picked) has its place only after that.
Nothing is lost or reordered.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from textual import events
from textual.app import App
from textual.widget import Widget

from deskapp.widgets.scanner import is_text_field

EventHandler = Callable[[events.Event], Awaitable[None]]

#: Keys whose effect (focus moves, a field is submitted) is applied after it bubbles.
FIELD_KEYS = frozenset({"tab", "shift+tab", "enter"})
#: Rounds a fence makes: a key bubbles to the app, whose binding (Input's ``enter``:
#: submit) posts a message at the field, which bubbles to a handler that may post
#: another (the unit picker's Submitted -> Picked -> the form moves on). Each round
#: comes back behind one more link of such a chain; a round costs a few hops.
FENCE_ROUNDS = 4
#: Longest the keys behind a field key are held should the fence never come back. A
#: removed field (its dialog closed) is noticed every ``WATCH_EVERY`` seconds; the cap
#: is generous because a loaded machine can stall the event loop for half a second.
MAX_HOLD = 2.0
WATCH_EVERY = 0.02
#: Longest the keys wait for a dialog's save (a database waiting for a lock answers
#: within ``sqlite_busy_timeout_ms``, 5 s by default).
MAX_PAUSE = 10.0


def _types_text(event: events.Key) -> bool:
    """A key that a text field takes as a character (not a binding's key)."""
    return event.is_printable and event.key not in FIELD_KEYS


class Fence(events.Event, bubble=True):
    """Sent behind a field key; when it reaches the app the key has had its effect."""

    def __init__(self, number: int, field: Widget, rounds: int) -> None:
        super().__init__()
        self.number = number
        self.field = field
        self.rounds = rounds

    def send(self) -> None:
        """Queue this fence at its field, behind everything queued there now."""
        self.field.call_later(self.field.post_message, self)


class KeyOrder:
    def __init__(self, app: App[Any], handle: EventHandler) -> None:
        self.app = app
        self._handle = handle
        self._held: list[events.Key] = []
        self._waiting = False
        self._fence = 0  # which wait a callback belongs to; a stale one must not release
        self._typed_into: Widget | None = None
        """The text field the last key typed a character into (still in its queue)."""
        self._pauses: set[int] = set()
        self._pause_number = 0
        self.idle = asyncio.Event()
        """Set while no key is held (tests await it instead of sleeping)."""
        self.idle.set()

    def pause(self) -> int:
        """Hold every key from now until ``resume`` with the number returned: a dialog
        is saving, and the keys typed ahead belong to the screen it closes onto. Resumed
        by itself after ``MAX_PAUSE`` seconds should the caller never answer."""
        self._pause_number += 1
        number = self._pause_number
        self._pauses.add(number)
        self.idle.clear()
        self.app.set_timer(MAX_PAUSE, lambda: self.resume(number), name="key-order-pause")
        return number

    def resume(self, number: int) -> None:
        if number not in self._pauses:
            return
        self._pauses.discard(number)
        if not self._pauses and not self._waiting:
            self.app.call_later(self._replay)

    async def _replay(self) -> None:
        while self._held and not self._waiting and not self._pauses:
            await self._pass(self._held.pop(0))
        if not self._waiting and not self._pauses:
            self.idle.set()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, Fence):
            if event.rounds > 1 and event.field.is_attached:
                Fence(event.number, event.field, event.rounds - 1).send()
            else:
                # Released once the screen is laid out again: a field the key just
                # showed has no place on screen before, and the focus order (by place)
                # would send the next key to the wrong field.
                self.app.call_after_refresh(self._release, event.number)
            return
        if not isinstance(event, events.Key) or event.is_forwarded:
            await self._handle(event)
            return
        if self._waiting or self._pauses:
            self._held.append(event)
            return
        await self._pass(event)

    async def _pass(self, event: events.Key) -> None:
        field = self.app.focused
        if self._typed_into is not None and not _types_text(event):
            # Characters went to a field just now and sit in its queue; a key handled
            # by a binding of the screen (ctrl+s) must wait until the field has them.
            typed_into, self._typed_into = self._typed_into, None
            self._held.insert(0, event)
            self._hold_behind(typed_into)
            return
        await self._handle(event)
        if field is None:
            return
        if is_text_field(field) and _types_text(event):
            self._typed_into = field
        else:
            # Tab or Enter, a field's own editing key (backspace, home, ctrl+u: applied by
            # the field's binding once the key has bubbled up to the app), or any key on
            # another widget: the keys that follow wait until it has had its effect.
            self._typed_into = None
            self._hold_behind(field)

    def _hold_behind(self, field: Widget) -> None:
        """Hold the keys that follow until a fence sent through ``field`` comes back."""
        self._waiting = True
        self.idle.clear()
        self._fence += 1
        fence = self._fence
        Fence(fence, field, FENCE_ROUNDS).send()
        self._watch(fence, field, time.monotonic() + MAX_HOLD)

    def _watch(self, fence: int, field: Widget, deadline: float) -> None:
        """A field removed meanwhile (its dialog closed) never sends its fence on."""
        if fence != self._fence or not self._waiting:
            return
        if not field.is_attached or time.monotonic() >= deadline:
            self.app.call_later(self._release, fence)
            return
        self.app.set_timer(WATCH_EVERY, lambda: self._watch(fence, field, deadline),
                           name="key-order")

    async def _release(self, fence: int) -> None:
        if fence != self._fence or not self._waiting:
            return
        self._waiting = False
        if not self.app.is_running or not self.app.screen_stack:
            self._held.clear()  # the app is closing: nothing left to type into
        while self._held and not self._waiting and not self._pauses:
            await self._pass(self._held.pop(0))
        if not self._waiting and not self._pauses:
            self.idle.set()


def install_key_order(app: App[Any]) -> KeyOrder:
    """Keep ``app``'s keys in typed order across field changes (call after the scanner)."""
    order = KeyOrder(app, app.on_event)
    setattr(app, "on_event", order.on_event)  # noqa: B010
    return order
