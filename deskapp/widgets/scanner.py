"""Barcode scanners at the desk: a fast burst of keys ending in Enter opens a record.

A keyboard-wedge scanner (扫码枪) types the code a few milliseconds per key
and presses Enter; a person needs 80 ms or more between keys. ``ScanBuffer``
tells the two apart from key timestamps alone; ``install_scanner`` watches the
keys of a Textual app and hands a scanned code to ``on_scan`` (ux.md,
"Scanning": on any screen a scanned ticket, slip or parcel code opens that
record; in a form field the scan simply fills the field).

How Textual 8.2.8 delivers keys (read from textual/app.py, message_pump.py):

- The driver posts every ``events.Key`` to the App's queue; the message pump
  calls ``App.on_event(event)`` on the *instance* (``self.on_event``), with
  ``event.time`` stamped (monotonic) when the key was parsed.
- ``App.on_event`` first runs *priority* bindings (App down to the focused
  widget, ``_check_bindings(key, priority=True)``) and then forwards the key to
  the focused widget (or the screen). An unhandled key bubbles up; when it
  reaches the App, ``App._on_key`` runs the ordinary bindings of the focused
  widget, its parents, the screen and the App. A bubbled key is marked
  ``is_forwarded``; only unforwarded keys are fresh from the keyboard.
- So nothing earlier than ``App.on_event`` sees a key, and any letter of a
  scanned code would reach the screen's bindings (``n`` for new, ``y`` in
  the confirm dialog) before the burst is known to be a scan.

Hence the scanner wraps the app's ``on_event``: a printable key that could
begin a code is *held back* for up to ``max_gap`` seconds. Another quick key
joins the burst; Enter after a quick burst that ``matches`` goes to
``on_scan`` and none of its keys reach the screen. Anything else (a slow key,
a key that cannot continue a code, Enter after a burst that does not match,
a timeout) replays the held keys, in order, through the app's own handling, so
nothing a person types is lost - it is merely late by at most ``max_gap``
(50 ms, below what a person notices). Keys that cannot begin a code (per
``could_start``) are never held. While an ``Input`` or ``TextArea`` has focus
the scanner stands aside: the scan types into the field like any keyboard.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from textual import events
from textual.app import App
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Input, TextArea

#: Longest pause between two keys of a scan, in seconds. Scanners type every
#: 2-15 ms; a fast typist leaves 60 ms or more between keys.
MAX_GAP = 0.05
#: Fewest characters a scan has; shorter bursts are keys pressed together.
MIN_LENGTH = 4
#: Longest code held back; beyond this the burst is not a code (or a paste).
MAX_LENGTH = 64


@dataclass
class ScanBuffer:
    """Collects quick keys; ``enter`` returns the text when it came as a scan.

    Pure logic on timestamps (seconds, any monotonic clock), so it is tested
    without a terminal.
    """

    max_gap: float = MAX_GAP
    min_length: int = MIN_LENGTH
    max_length: int = MAX_LENGTH
    _text: list[str] = field(default_factory=list)
    _last: float | None = None

    @property
    def text(self) -> str:
        return "".join(self._text)

    def quick(self, timestamp: float) -> bool:
        """Whether a key at ``timestamp`` continues the burst under way."""
        return self._last is not None and 0 <= timestamp - self._last < self.max_gap

    def feed(self, char: str, timestamp: float) -> None:
        """Take one typed character; a slow one starts a new burst."""
        if not self.quick(timestamp) or len(self._text) >= self.max_length:
            self._text = []
        self._text.append(char)
        self._last = timestamp

    def enter(self, timestamp: float) -> str | None:
        """Enter pressed: the burst's text if it was a scan, else ``None``. Always resets."""
        text = self.text
        scanned = self.quick(timestamp) and len(text) >= self.min_length
        self.reset()
        return text if scanned else None

    def reset(self) -> None:
        self._text = []
        self._last = None


def is_text_field(widget: Widget | None) -> bool:
    """A focused widget that takes typed text (a scan fills it instead)."""
    return isinstance(widget, Input | TextArea)


EventHandler = Callable[[events.Event], Awaitable[None]]


class KeyboardScanner:
    """Holds back keys that may be a scan; see the module docstring."""

    def __init__(
        self,
        app: App[Any],
        handle: EventHandler,
        *,
        matches: Callable[[str], bool],
        on_scan: Callable[[str], object],
        could_start: Callable[[str], bool] | None = None,
        max_gap: float = MAX_GAP,
        min_length: int = MIN_LENGTH,
    ) -> None:
        self.app = app
        self._handle = handle  # the app's own on_event, to replay held keys through
        self.matches = matches
        self.on_scan = on_scan
        self.could_start = could_start or (lambda text: True)
        self.buffer = ScanBuffer(max_gap=max_gap, min_length=min_length)
        self.enabled = True
        self._held: list[events.Key] = []
        self._timer: Timer | None = None
        self._burst = 0  # which burst a timer belongs to; a stale timer must not release

    async def on_event(self, event: events.Event) -> None:
        """Stands in for ``App.on_event``: keys may be held; everything else passes."""
        if (
            self.enabled
            and isinstance(event, events.Key)
            and not event.is_forwarded
            and await self._take(event)
        ):
            return
        await self._handle(event)

    async def _take(self, event: events.Key) -> bool:
        """True when ``event`` was held or consumed as the end of a scan."""
        if is_text_field(self.app.focused):
            await self.release()
            return False
        if event.key == "enter" and self._held:
            code = self.buffer.enter(event.time)
            if code is not None and self.matches(code):
                self._drop()
                self.on_scan(code)
                return True
            await self.release()
            return False
        char = event.character
        if char is None or not char.isprintable() or char.isspace() or len(char) != 1:
            await self.release()
            return False
        if self._held and not self.buffer.quick(event.time):
            await self.release()
        candidate = self.buffer.text + char if self._held else char
        if not self.could_start(candidate) or len(candidate) > self.buffer.max_length:
            await self.release()
            return False
        if not self._held:
            self.buffer.reset()
        else:
            self._burst += 1  # the previous key's timer is now stale
        self.buffer.feed(char, event.time)
        self._held.append(event)
        self._restart_timer()
        return True

    def _restart_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        burst = self._burst

        async def expire() -> None:
            if burst == self._burst:
                await self.release()

        self._timer = self.app.set_timer(self.buffer.max_gap, expire, name="scanner")

    def _drop(self) -> None:
        self._burst += 1
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._held = []
        self.buffer.reset()

    async def release(self) -> None:
        """Replay the held keys, in order, as if they had never been held."""
        held = self._held
        self._drop()
        for key in held:
            await self._handle(key)


def install_scanner(
    app: App[Any],
    *,
    matches: Callable[[str], bool],
    on_scan: Callable[[str], object],
    could_start: Callable[[str], bool] | None = None,
    max_gap: float = MAX_GAP,
    min_length: int = MIN_LENGTH,
) -> KeyboardScanner:
    """Watch ``app``'s keys and call ``on_scan(code)`` for a scanned ``code`` that ``matches``.

    ``could_start(text)`` says whether typed ``text`` may be the beginning of a
    code (e.g. codes start with a capital letter); keys that cannot are never
    delayed. ``on_scan`` runs on the app's event loop and should open the
    record (or refuse a bad check character with the reason). Set
    ``scanner.enabled = False`` to stand it aside. Call once, after the app is
    constructed (``__init__`` or ``on_mount``).
    """
    scanner = KeyboardScanner(
        app,
        app.on_event,
        matches=matches,
        on_scan=on_scan,
        could_start=could_start,
        max_gap=max_gap,
        min_length=min_length,
    )
    # The message pump calls ``self.on_event``, so an instance attribute takes
    # every event first (see the module docstring).
    setattr(app, "on_event", scanner.on_event)  # noqa: B010
    return scanner
