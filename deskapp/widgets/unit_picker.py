"""A unit field that completes as you type: a room (``3-2-12``), a name, or phone digits.

Used by every form that starts from a unit (intake, storage, parcels, keys). The
candidates come from :func:`deskapp.services.directory.lookup`, an indexed query
of at most ten rows, so a keystroke stays cheap at any size (stack.md measured a
static candidate list at ~230 ms per key with 10,000 units).

Enter takes the highlighted match; with the list closed, Enter takes what was
typed if it names one unit, else the first match. Either way the picker posts
:class:`UnitPicker.Picked`. Empty text posts :class:`UnitPicker.Cleared`: the
form decides whether a request without a unit (a visitor) is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input
from textual_autocomplete import AutoComplete, DropdownItem, TargetState

from deskapp.db import reading
from deskapp.errors import DeskError
from deskapp.i18n import _
from deskapp.services import directory
from deskapp.services.acting import Acting
from deskapp.services.directory import LookupHit
from deskapp.widgets.form import TextInput

MAX_MATCHES = 10


def hit_label(hit: LookupHit) -> str:
    """One line of the list: the unit, then the person matched in it, if any."""
    if not hit.name:
        return hit.unit_code
    relation = directory.relation_label(hit.relation) if hit.relation else ""
    parts = [hit.unit_code, hit.name, relation, hit.masked_phone]
    return "  ".join(part for part in parts if part)


@dataclass(frozen=True)
class PickedUnit:
    unit_id: int
    unit_code: str
    resident_id: int | None
    name: str


class _UnitAutoComplete(AutoComplete):
    """The dropdown: candidates already matched by the database, shown in its order."""

    def __init__(self, picker: UnitPicker, target: Input) -> None:
        super().__init__(target, candidates=self._candidates)
        self._picker = picker

    def _candidates(self, state: TargetState) -> list[DropdownItem]:
        hits = self._picker.lookup(state.text)
        return [DropdownItem(main=hit_label(hit)) for hit in hits]

    def get_search_string(self, target_state: TargetState) -> str:
        return target_state.text

    def get_matches(
        self, target_state: TargetState, candidates: list[DropdownItem], search_string: str
    ) -> list[DropdownItem]:
        # The database has matched already (phone digits would never fuzzy-match a room).
        return candidates if search_string.strip() else []

    def apply_completion(self, value: str, state: TargetState) -> None:
        hit = self._picker.hit_for_label(value)
        if hit is None:
            return
        self._picker.take(hit)


class UnitPicker(Widget):
    """An Input for a unit with a dropdown of matching units and people."""

    DEFAULT_CSS = """
    UnitPicker { height: auto; width: 1fr; }
    UnitPicker > Input { width: 1fr; }
    """

    class Picked(Message):
        """A unit was chosen (with the person matched, if the match was a person)."""

        def __init__(self, picker: UnitPicker, unit: PickedUnit) -> None:
            super().__init__()
            self.picker = picker
            self.unit = unit

        @property
        def control(self) -> UnitPicker:
            return self.picker

    class Cleared(Message):
        """The field was emptied and submitted: no unit (a visitor, or not known yet)."""

        def __init__(self, picker: UnitPicker) -> None:
            super().__init__()
            self.picker = picker

        @property
        def control(self) -> UnitPicker:
            return self.picker

    class NotFound(Message):
        """Enter on text that matches no unit; the text stays for the operator to fix."""

        def __init__(self, picker: UnitPicker, text: str) -> None:
            super().__init__()
            self.picker = picker
            self.text = text

        @property
        def control(self) -> UnitPicker:
            return self.picker

    def __init__(
        self,
        *,
        placeholder: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._placeholder = placeholder
        self._hits: list[LookupHit] = []
        self.picked: PickedUnit | None = None

    def compose(self) -> ComposeResult:
        field = TextInput(
            placeholder=self._placeholder
            or _("Room (3-2-1201), name, or last 4 digits of a phone"),
            id=f"{self.id}-input" if self.id else None,
        )
        yield field
        yield _UnitAutoComplete(self, field)

    @property
    def input(self) -> Input:
        return self.query_one(Input)

    @property
    def value(self) -> str:
        return self.input.value

    def focus(self, scroll_visible: bool = True) -> UnitPicker:
        self.input.focus(scroll_visible)
        return self

    def lookup(self, text: str) -> list[LookupHit]:
        if not text.strip():
            self._hits = []
            return []
        desk = self.app.desk  # type: ignore[attr-defined]
        try:
            with reading(desk.engine) as session:
                self._hits = directory.lookup(
                    session, acting=Acting(desk.site_id), query=text, limit=MAX_MATCHES
                )
        except DeskError as error:  # the database cannot answer: one line, no matches
            self._hits = []
            self.app.bell()
            self.notify(error.message, severity="error", timeout=8)
        return self._hits

    def hit_for_label(self, label: str) -> LookupHit | None:
        return next((hit for hit in self._hits if hit_label(hit) == label), None)

    def take(self, hit: LookupHit) -> None:
        """Choose a match: the field shows the unit code, the form hears of it."""
        self.picked = PickedUnit(hit.unit_id, hit.unit_code, hit.resident_id, hit.name)
        with self.input.prevent(Input.Changed):
            self.input.value = hit.unit_code
            self.input.cursor_position = len(hit.unit_code)
        self.post_message(self.Picked(self, self.picked))

    def set_unit(self, unit_id: int, unit_code: str) -> None:
        """Show a unit chosen elsewhere (a record being edited, the palette)."""
        self.picked = PickedUnit(unit_id, unit_code, None, "")
        with self.input.prevent(Input.Changed):
            self.input.value = unit_code

    def clear(self) -> None:
        self.picked = None
        self._hits = []
        with self.input.prevent(Input.Changed):
            self.input.value = ""

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        # Typing again forgets the unit picked before, so a half-edited code is never saved.
        if self.picked is not None and event.value != self.picked.unit_code:
            self.picked = None

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if self.picked is not None and text == self.picked.unit_code:
            event.stop()
            self.post_message(self.Picked(self, self.picked))
            return
        event.stop()
        if not text:
            self.picked = None
            self.post_message(self.Cleared(self))
            return
        hits = self.lookup(text)
        exact = directory.normalize_unit_code(text)
        chosen = next((hit for hit in hits if hit.unit_code == exact), None)
        if chosen is None and hits:
            chosen = hits[0]
        if chosen is None:
            self.post_message(self.NotFound(self, text))
            return
        self.take(chosen)
