"""One-key choices for the intake form: a choice key picks AND moves on.

On a phone call every key counts (ux.md: 15 keys besides the words), so
pressing ``2`` on the kind bar chooses "repair" and puts the cursor in the
next field; arrows change the choice without moving on, Enter keeps it.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.message import Message
from textual.widget import Widget

from deskapp.i18n import _
from deskapp.models import Resident
from deskapp.screens.requests.intake_side import CALLER_KEYS, ordered_people
from deskapp.services import directory
from deskapp.widgets.form import ChoiceBar

NOT_SAID = ""
"""The caller choice when the caller is not (yet) one of the unit's people."""


class AdvancingChoiceBar(ChoiceBar):
    """A ChoiceBar whose choice keys (and Enter) also move the cursor to the next field.

    The cursor moves at once, not when a message arrives, and a character typed
    so fast that it reached this bar after the cursor left goes where the cursor
    is now (a quick "1 1" picks the caller, then the kind).
    """

    class Advanced(Message):
        def __init__(self, bar: AdvancingChoiceBar) -> None:
            super().__init__()
            self.bar = bar

        @property
        def control(self) -> AdvancingChoiceBar:
            return self.bar

    _handed_to: Widget | None = None
    """The field the cursor is moving to; keys typed meanwhile belong to it."""

    def on_key(self, event: events.Key) -> None:
        # Focus moves a moment later than this handler runs, so a quick "1 1" would
        # otherwise give both keys to this bar: pass them on to where the cursor goes.
        target = self._handed_to or (None if self.has_focus else self.screen.focused)
        if target is not None and target is not self:
            if event.is_printable:
                event.stop()
                event.prevent_default()
                target.post_message(events.Key(event.key, event.character))
            return
        character = event.character or ""
        for index, choice_key in enumerate(self.keys):
            if event.key == choice_key or character.lower() == choice_key.lower():
                event.stop()
                event.prevent_default()
                self.select(self.choices[index][0])
                self.advance()
                return

    def on_blur(self) -> None:
        self._handed_to = None

    def action_submit(self) -> None:
        self.advance()

    def advance(self) -> None:
        chain = self.screen.focus_chain
        if self in chain and len(chain) > 1:
            self._handed_to = chain[(chain.index(self) + 1) % len(chain)]
            self._handed_to.focus()
        self.post_message(self.Advanced(self))


class CallerBar(AdvancingChoiceBar):
    """Who is calling: one of the unit's people (1…9), or 0 for someone else / not said."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__([(NOT_SAID, _("someone else"))], keys=["0"], id=id)

    def set_people(self, residents: Sequence[Resident], *, chosen: int | None = None) -> None:
        people = [
            (str(resident.id), f"{resident.name} ({directory.relation_label(resident.relation)})")
            for resident in ordered_people(residents)[: len(CALLER_KEYS)]
        ]
        self.choices = [*people, (NOT_SAID, _("someone else"))]
        self.keys = [*CALLER_KEYS[: len(people)], "0"]
        value = str(chosen) if chosen is not None else NOT_SAID
        self.set_reactive(ChoiceBar.value, value if value in dict(self.choices) else NOT_SAID)
        self.refresh(layout=True)

    @property
    def resident_id(self) -> int | None:
        return int(self.value) if self.value else None
