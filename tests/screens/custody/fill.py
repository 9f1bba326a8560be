"""Filling a form without its keys, for the tests that are not about the typing.

Each form keeps one test that types it key by key, end to end (``pilot.press``
costs ~150 ms a key on a loaded machine); the others set the same values here and
then go on by keys as the operator would (Enter, ctrl+s, the one-key choices).
"""

from __future__ import annotations

from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.widgets import Input

from deskapp.widgets.form import ChoiceBar
from deskapp.widgets.staff_pin import StaffPinModal
from deskapp.widgets.unit_picker import UnitPicker


def set_values(node: DOMNode, values: dict[str, str]) -> None:
    """Text fields (``#id``: text) set as if typed."""
    for selector, value in values.items():
        node.query_one(selector, Input).value = value


def set_choices(node: DOMNode, choices: dict[str, str]) -> None:
    """One-key choices (``#id``: value) set as if their key was pressed."""
    for selector, value in choices.items():
        node.query_one(selector, ChoiceBar).select(value)


def pick_unit(picker: UnitPicker, code: str) -> None:
    """As ``code`` typed and Enter: the picker takes that unit and its form hears of it
    (``UnitPicker.Picked``), as from the picker's own Enter."""
    hit = next((hit for hit in picker.lookup(code) if hit.unit_code == code), None)
    assert hit is not None, f"no unit {code} in the directory"
    picker.take(hit)


async def set_pin(pilot: Pilot[None], login: str, pin: str = "1234") -> None:
    """A staff PIN dialog answered without typing: name and PIN set, Enter in the PIN
    field. The caller waits for the check. (The sales loan of test_ledgers_keys types
    the dialog by keys.)"""
    dialog = pilot.app.screen
    assert isinstance(dialog, StaffPinModal), dialog
    set_values(dialog, {"#pin-login": login, "#pin-secret": pin})
    dialog.set_focus(dialog.query_one("#pin-secret", Input))
    await pilot.press("enter")
