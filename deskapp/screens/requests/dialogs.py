"""Small dialogs for the steps of a request: a menu of the allowed steps, and one
form per step (a few fields, ctrl+s confirms, errors beside the field).

A step's form is described by ``FieldSpec``s and a ``run`` callable that does
the one service call in its own transaction; a ``DeskError`` it raises lands
beside the field the service named, and everything typed stays where it was.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Select, Static, TextArea

from deskapp.errors import DeskError, InvalidInput
from deskapp.i18n import N_, _
from deskapp.screens.base import DatabaseWork
from deskapp.widgets.confirm import ConfirmModal
from deskapp.widgets.form import (
    ChoiceBar,
    FormField,
    TextBox,
    TextInput,
    clear_errors,
    show_error,
)

FieldKind = Literal["text", "area", "choice", "check", "select", "secret"]
Values = dict[str, str | bool]

#: Keys of the step menu: digits first, then letters (a menu has no text field).
MENU_KEYS = "123456789abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class FieldSpec:
    """One field of a step form; ``name`` is the service's field name (for errors)."""

    name: str
    label: str
    kind: FieldKind = "text"
    choices: Sequence[tuple[str, str]] = ()
    value: str | bool = ""
    placeholder: str = ""


@dataclass(frozen=True)
class MenuEntry:
    key: str
    """What the caller does when chosen (a step value or an action name)."""
    label: str
    hint: str = ""


@dataclass
class StepForm:
    title: str
    fields: list[FieldSpec]
    run: Callable[[Values], str | None]
    """Does the step; returns a line to notify (or None). Raises DeskError to refuse."""
    intro: str = ""
    confirm: str = ""
    """A yes/no question asked before ``run`` (irreversible steps)."""
    focus: str = ""
    """The field the cursor starts in (default: the first)."""
    enter_confirms: bool = False
    """Enter in the last field confirms, as ctrl+s does (a PIN, a one-line reason)."""


class StepMenu(ModalScreen[str | None]):
    """The steps allowed now, one key each (digits, then letters); esc closes."""

    DEFAULT_CSS = """
    StepMenu { align: center middle; }
    StepMenu > #step-menu { width: 64; height: auto; max-height: 90%;
        border: round $accent; background: $surface; padding: 0 1; }
    StepMenu .step-menu-title { text-style: bold; margin-bottom: 1; }
    StepMenu .step-menu-hint { color: $text-muted; margin-top: 1; }
    """
    BINDINGS = [Binding("escape", "dismiss_none", N_("Cancel"))]

    def __init__(self, title: str, entries: Sequence[MenuEntry]) -> None:
        super().__init__()
        self._title = title
        self._entries = list(entries)[: len(MENU_KEYS)]

    def compose(self) -> ComposeResult:
        with Vertical(id="step-menu"):
            yield Static(self._title, classes="step-menu-title")
            if not self._entries:
                yield Static(_("No step is possible for this request now."))
            for index, entry in enumerate(self._entries):
                line = f" {MENU_KEYS[index]}  {entry.label}"
                if entry.hint:
                    line += f"  ({entry.hint})"
                yield Static(line, classes="step-menu-entry")
            yield Static(_("Press the key before a step; Esc closes."), classes="step-menu-hint")

    def on_key(self, event: object) -> None:
        from textual import events

        assert isinstance(event, events.Key)
        character = (event.character or "").lower()
        if character and character in MENU_KEYS:
            index = MENU_KEYS.index(character)
            if index < len(self._entries):
                event.stop()
                self.dismiss(self._entries[index].key)

    def action_dismiss_none(self) -> None:
        self.dismiss(None)


class StepModal(DatabaseWork[bool], ModalScreen[bool]):
    """One step's form. ctrl+s confirms; esc backs out (asking if something was typed)."""

    DEFAULT_CSS = """
    StepModal { align: center middle; }
    StepModal > #step-box { width: 76; height: auto; max-height: 95%;
        border: round $accent; background: $surface; padding: 0 1; }
    StepModal .step-title { text-style: bold; }
    StepModal .step-intro { color: $text-muted; }
    StepModal #step-fields { height: auto; max-height: 70vh; }
    StepModal TextArea { height: 5; }
    StepModal #step-error { color: $error; height: auto; }
    StepModal .step-keys { color: $text-muted; }
    """
    BINDINGS = [
        Binding("ctrl+s", "confirm", N_("Confirm"), priority=True),
        Binding("escape", "back_out", N_("Cancel")),
    ]

    def __init__(self, form: StepForm) -> None:
        super().__init__()
        self.form = form

    def compose(self) -> ComposeResult:
        with Vertical(id="step-box"):
            yield Static(self.form.title, classes="step-title")
            if self.form.intro:
                yield Static(self.form.intro, classes="step-intro")
            with VerticalScroll(id="step-fields"):
                for spec in self.form.fields:
                    label = "" if spec.kind == "check" else spec.label
                    yield FormField(label, self._control(spec), field=spec.name)
            yield Static("", id="step-error")
            has_text = any(spec.kind == "area" for spec in self.form.fields)
            yield Static(_("ctrl+s confirm · Esc cancel · Tab next field · Enter: a new line "
                           "in a text box") if has_text else
                         _("ctrl+s confirm · Esc cancel · Enter next field"),
                         classes="step-keys")

    def _control(self, spec: FieldSpec) -> Widget:
        control_id = f"step-{spec.name}"
        if spec.kind == "area":
            area = TextBox(str(spec.value), id=control_id, soft_wrap=True)
            return area
        if spec.kind == "choice":
            return ChoiceBar(spec.choices, value=str(spec.value) or None, id=control_id)
        if spec.kind == "check":
            return Checkbox(spec.label, bool(spec.value), id=control_id)
        if spec.kind == "select":
            return Select([(text, value) for value, text in spec.choices], id=control_id,
                          prompt=spec.placeholder or _("Choose…"),
                          value=str(spec.value) if spec.value else Select.NULL)
        return TextInput(str(spec.value), placeholder=spec.placeholder, id=control_id,
                         password=spec.kind == "secret")

    def on_mount(self) -> None:
        names = [spec.name for spec in self.form.fields]
        first = self.form.focus if self.form.focus in names else names[0] if names else ""
        if first:
            control = self.query_one(f"#step-{first}")
            control.focus()
            if isinstance(control, TextArea):
                # Typing goes after what is there already, never in front of it.
                control.move_cursor(control.document.end)

    def values(self) -> Values:
        out: Values = {}
        for spec in self.form.fields:
            control = self.query_one(f"#step-{spec.name}")
            if isinstance(control, TextArea):
                out[spec.name] = control.text
            elif isinstance(control, ChoiceBar | Checkbox | Input):
                out[spec.name] = control.value
            elif isinstance(control, Select):
                out[spec.name] = "" if control.value is Select.NULL else str(control.value)
        return out

    def _typed(self) -> bool:
        """Whether leaving would lose something the operator typed."""
        for spec in self.form.fields:
            value = self.values()[spec.name]
            if spec.kind in ("text", "area") and str(value).strip() != str(spec.value).strip():
                return True
        return False

    @on(Input.Submitted)
    @on(ChoiceBar.Submitted)
    def _next_field(self) -> None:
        last = f"step-{self.form.fields[-1].name}" if self.form.fields else ""
        if self.form.enter_confirms and self.focused is not None and self.focused.id == last:
            self.action_confirm()
            return
        self.focus_next()

    def action_confirm(self) -> None:
        if self.form.confirm:
            self.app.push_screen(ConfirmModal(self.form.confirm), self._confirmed)
        else:
            self._run()

    def _confirmed(self, answer: bool | None) -> None:
        if answer:
            self._run()

    def _run(self) -> None:
        """The step's one service call, in a thread: the desk keeps drawing while the
        database waits, and a refusal keeps every character typed."""
        clear_errors(self.query_one("#step-box"))
        self.query_one("#step-error", Static).update("")
        values, run = self.values(), self.form.run
        self.run_db(lambda: run(values), self._ran, failed=self._refused, name="save")

    def _ran(self, message: str | None) -> None:
        if message:
            self.app.notify(message, timeout=6)
        self.dismiss(True)

    def _refused(self, error: DeskError) -> None:
        show_error(self.query_one("#step-box"), error,
                   fallback=self.query_one("#step-error", Static))

    def action_back_out(self) -> None:
        if self._typed():
            self.app.push_screen(
                ConfirmModal(_("Discard what you typed in this step?")), self._discard
            )
        else:
            self.dismiss(False)

    def _discard(self, answer: bool | None) -> None:
        if answer:
            self.dismiss(False)


# --- reading what was typed ------------------------------------------------------------

def suggest_appointment(now: datetime, zone: tzinfo) -> str:
    """The next full hour after the next half hour: a time the resident can be home."""
    local = now.astimezone(zone) + timedelta(minutes=90)
    return local.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%d %H:%M")


def parse_yuan(text: str, *, field: str) -> int:
    """``35``, ``35.5`` or ``35.50`` yuan as fen; empty is 0."""
    cleaned = text.strip().replace("¥", "").replace("元", "").strip()
    if not cleaned:
        return 0
    match = re.fullmatch(r"(\d{1,7})(?:\.(\d{1,2}))?", cleaned)
    if match is None:
        raise InvalidInput(_("Write the amount in yuan, e.g. 35 or 35.50."), field=field)
    whole, cents = match.groups()
    return int(whole) * 100 + int((cents or "0").ljust(2, "0"))


def parse_rating(text: str, *, field: str) -> int | None:
    cleaned = text.strip()
    if not cleaned:
        return None
    if not cleaned.isdigit():
        raise InvalidInput(_("The rating is 1 to 5."), field=field)
    return int(cleaned)
