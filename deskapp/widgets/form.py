"""Pieces every form of the desk shares: a labelled field with its error line
beside it, a one-key choice, and showing a ``DeskError`` where it belongs.

A refused save keeps every typed character; the message appears under the
field the service named (``DeskError.field``) and the cursor goes there.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from rich.text import Text
from textual import events
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Input, Label, Static, TextArea

from deskapp.errors import DeskError


class TextInput(Input):
    """A text field that keeps what is in it when the cursor arrives.

    Textual's ``Input`` selects all of its text on focus, so the next key replaces
    it: a name filled from the directory was wiped by the first letter typed after
    Tab. Here the cursor goes to the end instead, as in every desk form.
    """

    def __init__(self, *args: Any, select_on_focus: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, select_on_focus=select_on_focus, **kwargs)


class FormField(Vertical):
    """A label, the control, and an error line under it. ``field`` is the service's name."""

    DEFAULT_CSS = """
    FormField { height: auto; }
    FormField > .field-label { margin-top: 0; color: $text-muted; }
    FormField > .field-error { height: auto; min-height: 0; color: $error; }
    """

    def __init__(self, label: str, control: Widget, *, field: str, id: str | None = None) -> None:
        super().__init__(id=id or f"field-{field}")
        self.field = field
        self.label = label
        self.control = control

    def compose(self) -> ComposeResult:
        yield Label(self.label, classes="field-label")
        yield self.control
        yield Static("", classes="field-error")

    def show_error(self, message: str) -> None:
        self.query_one(".field-error", Static).update(Text("✗ " + message))
        self.add_class("-invalid")

    def clear_error(self) -> None:
        self.query_one(".field-error", Static).update("")
        self.remove_class("-invalid")


def clear_errors(container: Widget) -> None:
    for form_field in container.query(FormField):
        form_field.clear_error()


def show_error(container: Widget, error: DeskError, *, fallback: Static | None = None) -> None:
    """Put the message beside the field it names and move the cursor there.

    A message that names no field of this form goes to ``fallback`` (or a notification).
    """
    for form_field in container.query(FormField):
        if error.field and form_field.field == error.field:
            form_field.show_error(error.message)
            form_field.control.focus()
            return
    if fallback is not None:
        fallback.update(Text("✗ " + error.message))
    else:
        container.app.notify(error.message, severity="error")


class ChoiceBar(Widget, can_focus=True):
    """Pick one of a few values with one key: the key is shown before each choice.

    Left/right move too; Enter moves on to the next field. Letters are safe here:
    this is not a text field, so nobody is typing a name into it.
    """

    DEFAULT_CSS = """
    ChoiceBar { height: 1; width: 1fr; }
    ChoiceBar:focus { background: $boost; }
    """

    BINDINGS = [
        Binding("left", "move(-1)", show=False),
        Binding("right", "move(1)", show=False),
        Binding("enter", "submit", show=False),
    ]

    value: reactive[str] = reactive("", layout=True)

    class Changed(Message):
        def __init__(self, bar: ChoiceBar, value: str) -> None:
            super().__init__()
            self.bar = bar
            self.value = value

        @property
        def control(self) -> ChoiceBar:
            return self.bar

    class Submitted(Message):
        def __init__(self, bar: ChoiceBar) -> None:
            super().__init__()
            self.bar = bar

        @property
        def control(self) -> ChoiceBar:
            return self.bar

    def __init__(
        self,
        choices: Sequence[tuple[str, str]],
        *,
        keys: Sequence[str] | None = None,
        value: str | None = None,
        id: str | None = None,
    ) -> None:
        """``choices`` are (value, label) pairs; ``keys`` default to 1, 2, 3…"""
        super().__init__(id=id)
        self.choices = list(choices)
        self.keys = list(keys) if keys else [str(n + 1) for n in range(len(self.choices))]
        assert len(self.keys) == len(self.choices), "one key per choice"
        self.set_reactive(ChoiceBar.value, value if value is not None else self.choices[0][0])
        self.default = self.value

    def render(self) -> Text:
        text = Text()
        for (value, label), key in zip(self.choices, self.keys, strict=True):
            chosen = value == self.value
            text.append(f" {key} ", style="bold reverse" if chosen else "bold")
            text.append(("● " if chosen else "  ") + label, style="bold" if chosen else "dim")
            text.append("  ")
        return text

    def on_key(self, event: events.Key) -> None:
        character = event.character or ""
        for index, choice_key in enumerate(self.keys):
            if event.key == choice_key or character.lower() == choice_key.lower():
                event.stop()
                event.prevent_default()
                self.select(self.choices[index][0])
                return

    def select(self, value: str) -> None:
        if value not in {choice for choice, _ in self.choices}:
            raise ValueError(value)
        if value != self.value:
            self.value = value
            self.post_message(self.Changed(self, value))

    def reset(self) -> None:
        self.value = self.default

    def action_move(self, step: int) -> None:
        values = [choice for choice, _ in self.choices]
        index = (values.index(self.value) + step) % len(values)
        self.select(values[index])

    def action_submit(self) -> None:
        self.post_message(self.Submitted(self))


class TextBox(TextArea):
    """The desk's multi-line text field: F6 and F7 stay the desk's keys (release slips,
    the handover), not Textual's select-line and select-all, which made F7 followed by
    any key wipe what was typed."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f6", "pass_on", show=False),
        Binding("f7", "pass_on", show=False),
    ]

    def action_pass_on(self) -> None:
        raise SkipAction()
