"""Intake (来电来访登记), F3: a phone call registered while the resident talks.

The cursor starts in the unit field. Enter takes the first match and the
unit's people, open requests and standing instructions appear beside the
form; a number key picks who is calling, another the kind, then the summary.
ctrl+s saves in one transaction, shows the number and the reply deadline on a
line that stays, and clears the form for the next call. A refused save keeps
every character and shows the message beside the field the service named.

Keys (F1 lists them): Enter next field (a new line in the summary), Tab /
ctrl+down next field, ctrl+up previous field, ctrl+s save, esc clear (asks),
ctrl+r next standard phrase, ctrl+t add a standing instruction for the unit.
A complaint from a known unit takes 11 keys besides its words
(tests/screens/requests/test_intake_screen.py counts them).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea

from deskapp import recovery
from deskapp.db import reading, transaction
from deskapp.errors import DeskError, InvalidInput
from deskapp.formatting import format_when
from deskapp.i18n import N_, _
from deskapp.models import Resident
from deskapp.models.requests import RequestKind
from deskapp.screens.base import DeskScreen
from deskapp.screens.requests.intake_choices import NOT_SAID, AdvancingChoiceBar, CallerBar
from deskapp.screens.requests.intake_draft import IntakeDraft
from deskapp.screens.requests.intake_instruction import InstructionModal
from deskapp.screens.requests.intake_side import (
    PhraseHint,
    SidePanel,
    empty_lines,
    unit_lines,
    visitor_lines,
)
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle, views
from deskapp.services.requests.labels import (
    CHANNEL_LABELS,
    KIND_LABELS,
    NATURE_LABELS,
    SUBJECT_LABELS,
    label,
)
from deskapp.services.requests.phrases import Phrase
from deskapp.widgets.confirm import ConfirmModal
from deskapp.widgets.form import FormField, TextBox, TextInput, clear_errors, show_error
from deskapp.widgets.unit_picker import PickedUnit, UnitPicker

NOT_CLASSIFIED = ""
"""Nature / complaint subject left for later (the request card classifies too)."""


def _choices(mapping: dict[str, str]) -> list[tuple[str, str]]:
    return [(value, label(mapping, value)) for value in mapping]


class _Form(SidePanel):
    """The form's scrolling column (not itself a stop for Tab)."""


class IntakeScreen(DeskScreen):
    TITLE_TEXT = N_("Intake")

    DEFAULT_CSS = """
    IntakeScreen #intake-body { height: 1fr; }
    IntakeScreen #intake-form { width: 3fr; padding: 0 1; }
    IntakeScreen #intake-side { width: 2fr; }
    IntakeScreen #intake-unit { height: 1fr; border: round $primary; padding: 0 1; }
    IntakeScreen #intake-phrase { height: auto; border: round $secondary; padding: 0 1; }
    IntakeScreen #intake-status { height: 1; padding: 0 1; background: $panel; }
    IntakeScreen #intake-status.-saved { color: $success; text-style: bold; }
    IntakeScreen #intake-status.-refused { color: $error; text-style: bold; }
    IntakeScreen FormField {
        layout: grid; grid-size: 2; grid-columns: 18 1fr; grid-rows: auto; height: auto;
    }
    IntakeScreen FormField > .field-label { color: $text-muted; }
    IntakeScreen FormField:focus-within > .field-label { color: $accent; text-style: bold; }
    IntakeScreen FormField > .field-error { column-span: 2; padding-left: 18; display: none; }
    IntakeScreen FormField.-invalid > .field-error { display: block; }
    IntakeScreen FormField.-optional > .field-label { text-style: italic; }
    IntakeScreen ChoiceBar { height: auto; }
    IntakeScreen #intake-form Input { border: none; height: 1; padding: 0 1; }
    IntakeScreen #intake-form Input:focus { background: $accent 25%; }
    IntakeScreen #summary { height: 5; border: none; padding: 0 1; }
    IntakeScreen #summary:focus { background: $accent 15%; }
    IntakeScreen.-narrow #intake-side { width: 32; }
    IntakeScreen.-narrow FormField { grid-columns: 14 1fr; }
    IntakeScreen.-narrow FormField > .field-error { padding-left: 14; }
    IntakeScreen.-narrow #intake-summary-keys { padding-left: 14; }
    IntakeScreen #intake-summary-keys { color: $text-muted; padding-left: 18; }
    """

    # At 80 columns the labels and the unit panel take less room (ux.md: check 80x24).
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    BINDINGS = [
        Binding("ctrl+s", "save", N_("Save")),
        Binding("escape", "clear_form", N_("Clear")),
        Binding("ctrl+r", "next_phrase", N_("Phrase")),
        Binding("ctrl+t", "add_instruction", N_("Instruction")),
        Binding("ctrl+down", "next_field", N_("Next field"), show=False),
        Binding("ctrl+up", "previous_field", N_("Previous field"), show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.draft = IntakeDraft()
        self._people: list[Resident] = []
        self._saved: tuple[str, datetime | None] | None = None
        """Number and reply deadline of the last save, shown until the next one."""
        self._refused = ""
        self._restore_pending = False
        self._recovered: bool | None = None
        """Whether a draft kept through a crash was restored (None: not looked yet)."""

    # --- composition -----------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        if self._recovered is None:
            kept = recovery.take(self.desk_app.desk.settings.data_dir, "intake")
            self._recovered = kept is not None
            if kept is not None:
                self.draft = IntakeDraft.from_json(kept)
        draft = self.draft
        self._restore_pending = True
        with Horizontal(id="intake-body"):
            with _Form(id="intake-form"):
                yield FormField(_("Unit"), UnitPicker(id="unit"), field="unit")
                yield FormField(_("Name"), TextInput(draft.name, id="name"), field="name")
                yield FormField(_("Phone"), TextInput(draft.phone, id="phone"), field="phone")
                yield FormField(_("Caller"), CallerBar(id="caller"), field="resident",
                                id="field-caller")
                yield FormField(
                    _("Kind"),
                    AdvancingChoiceBar(_choices(KIND_LABELS), value=draft.kind, id="kind"),
                    field="kind",
                )
                yield FormField(_("Summary"), TextBox(draft.summary, id="summary"),
                                field="summary")
                yield Static(_("Enter: new line · Tab or ctrl+↓: next field"),
                             id="intake-summary-keys")
                yield from self._optional_fields(draft)
            with Vertical(id="intake-side"):
                with SidePanel(id="intake-unit"):
                    yield Static(empty_lines(), id="intake-unit-body")
                yield PhraseHint(id="intake-phrase")
        yield Static("", id="intake-status")

    def _optional_fields(self, draft: IntakeDraft) -> ComposeResult:
        optional = "-optional"
        yield FormField(_("Subject line"), TextInput(draft.subject, id="subject"), field="subject")
        yield FormField(
            _("Channel"),
            AdvancingChoiceBar(_choices(CHANNEL_LABELS), value=draft.channel, id="channel"),
            field="channel",
        )
        nature = [*_choices(NATURE_LABELS), (NOT_CLASSIFIED, _("later"))]
        yield FormField(
            _("Nature"),
            AdvancingChoiceBar(nature, keys=["1", "2", "3", "4", "0"], value=draft.nature,
                               id="nature"),
            field="nature", id="field-nature",
        )
        subjects = [*_choices(SUBJECT_LABELS), (NOT_CLASSIFIED, _("later"))]
        yield FormField(
            _("Complaint about"),
            AdvancingChoiceBar(subjects, keys=["1", "2", "3", "4", "0"],
                               value=draft.complaint_subject, id="complaint_subject"),
            field="complaint_subject", id="field-complaint_subject",
        )
        for field, caption, value in (
            ("wish", _("Resident's wish"), draft.wish),
            ("location", _("Where"), draft.location),
            ("happened_text", _("When it happened"), draft.happened_text),
            ("about", _("Whom it is about"), draft.about),
        ):
            form_field = FormField(caption, TextInput(value, id=field), field=field)
            form_field.add_class(optional)
            yield form_field
        people = FormField(
            _("People involved"),
            TextInput(draft.collective_people, placeholder="1", type="integer",
                  id="collective_people"),
            field="collective_people",
        )
        people.add_class(optional)
        yield people

    async def recompose(self) -> None:
        # F12 rebuilds the widgets: keep what was typed (ui.md: a switch loses nothing).
        if self.query("#intake-form"):
            self.draft = self.read_draft()
        await super().recompose()

    def on_mount(self) -> None:
        self._restore()

    def refresh_view(self) -> None:
        if self._restore_pending:
            self._restore()
        elif self.draft.picked is not None:
            self._show_unit(self.draft.picked.unit_id)  # its requests may have changed

    def _restore(self) -> None:
        """Put back what compose could not: label margins, the picked unit, the status."""
        if not self._restore_pending or not self.query("#intake-form"):
            return
        self._restore_pending = False
        for caption in self.query(".field-label"):
            caption.styles.margin = (0, 1, 0, 0)  # desk.tcss spaces labels for tall forms
        draft = self.draft
        picker = self.query_one("#unit", UnitPicker)
        if draft.picked is not None:
            picker.set_unit(draft.picked.unit_id, draft.picked.unit_code)
            picker.picked = draft.picked
            self._show_unit(draft.picked.unit_id, chosen=draft.caller)
        else:
            with picker.input.prevent(Input.Changed):
                picker.input.value = draft.unit_text
            self._show_no_unit()
        self._show_classification(draft.kind)
        self._show_status()
        self.query_one(PhraseHint).show_phrase(Phrase.GREETING)
        self._focus_start()

    def _focus_start(self) -> None:
        self.query_one("#unit", UnitPicker).focus()

    # --- reading the form --------------------------------------------------------------

    def _value(self, selector: str) -> str:
        return self.query_one(selector, Input).value

    def read_draft(self) -> IntakeDraft:
        picker = self.query_one("#unit", UnitPicker)
        caller = self.query_one("#caller", CallerBar)
        return IntakeDraft(
            unit_text=picker.value,
            picked=picker.picked,
            caller=caller.value,
            name=self._value("#name"),
            phone=self._value("#phone"),
            autofilled_name=self.draft.autofilled_name,
            autofilled_phone=self.draft.autofilled_phone,
            kind=self.query_one("#kind", AdvancingChoiceBar).value,
            channel=self.query_one("#channel", AdvancingChoiceBar).value,
            nature=self.query_one("#nature", AdvancingChoiceBar).value,
            complaint_subject=self.query_one("#complaint_subject", AdvancingChoiceBar).value,
            subject=self._value("#subject"),
            summary=self.query_one("#summary", TextArea).text,
            wish=self._value("#wish"),
            location=self._value("#location"),
            happened_text=self._value("#happened_text"),
            about=self._value("#about"),
            collective_people=self._value("#collective_people"),
        )

    # --- the unit and the caller -------------------------------------------------------

    @on(UnitPicker.Picked)
    def _unit_picked(self, event: UnitPicker.Picked) -> None:
        self.query_one("#field-unit", FormField).clear_error()
        self._show_unit(event.unit.unit_id, chosen=str(event.unit.resident_id or ""))
        if event.unit.resident_id is not None:
            self._fill_caller(event.unit.resident_id)
        caller = self.query_one("#caller", CallerBar)
        if caller.display:
            caller.focus()
        else:
            self.query_one("#kind").focus()
        self.query_one(PhraseHint).show_phrase(Phrase.ASK_NAME)

    @on(UnitPicker.Cleared)
    def _visitor(self) -> None:
        self.query_one("#field-unit", FormField).clear_error()
        self.draft.picked = None
        self._clear_autofill()
        self._show_no_unit(visitor=True)
        self.query_one("#name", Input).focus()
        self.query_one(PhraseHint).show_phrase(Phrase.ASK_NAME)

    @on(UnitPicker.NotFound)
    def _no_such_unit(self, event: UnitPicker.NotFound) -> None:
        self.query_one("#field-unit", FormField).show_error(
            _("No unit or resident matches {text}. Check the room, or empty the field for a "
              "visitor.").format(text=event.text)
        )
        self._show_no_unit()

    @on(Input.Changed, "#unit-input")
    def _unit_retyped(self) -> None:
        picker = self.query_one("#unit", UnitPicker)
        if picker.picked is None and self.draft.picked is not None:
            # Typing over a picked unit forgets it and the caller taken from it.
            self.draft.picked = None
            self._clear_autofill()
            self._show_no_unit()

    def _show_unit(self, unit_id: int, *, chosen: str | None = None) -> None:
        desk = self.desk_app.desk
        body = self.query_one("#intake-unit-body", Static)
        caller = self.query_one("#caller", CallerBar)
        try:
            with reading(desk.engine) as session:
                context = views.unit_context(
                    session, acting=Acting(desk.site_id), unit_id=unit_id, now=desk.clock.now()
                )
                body.update(unit_lines(context, now=desk.clock.now()))
                residents = list(context.residents)
        except DeskError as error:
            body.update(error.message)
            return
        self._people = list(residents)
        picker = self.query_one("#unit", UnitPicker)
        self.draft.picked = picker.picked
        keep = chosen if chosen is not None else caller.value
        caller.set_people(residents, chosen=int(keep) if keep else None)
        self.query_one("#field-caller").display = bool(residents)

    def _show_no_unit(self, *, visitor: bool = False) -> None:
        body = self.query_one("#intake-unit-body", Static)
        body.update(visitor_lines() if visitor else empty_lines())
        self._people = []
        self.query_one("#caller", CallerBar).set_people([])
        self.query_one("#field-caller").display = False

    @on(CallerBar.Changed, "#caller")
    def _caller_changed(self, event: CallerBar.Changed) -> None:
        if event.value == NOT_SAID:
            self._clear_autofill()
        else:
            self._fill_caller(int(event.value))

    def _fill_caller(self, resident_id: int) -> None:
        """The picked person's name and phone go into empty (or directory-filled) fields."""
        person = next((p for p in self._people if p.id == resident_id), None)
        if person is None:
            return
        name_field = self.query_one("#name", Input)
        phone_field = self.query_one("#phone", Input)
        if name_field.value in {"", self.draft.autofilled_name}:
            name_field.value = person.name
            self.draft.autofilled_name = name_field.value
        if phone_field.value in {"", self.draft.autofilled_phone}:
            phone_field.value = person.phone
            self.draft.autofilled_phone = phone_field.value

    def _clear_autofill(self) -> None:
        for selector, filled in (("#name", self.draft.autofilled_name),
                                 ("#phone", self.draft.autofilled_phone)):
            field = self.query_one(selector, Input)
            if filled and field.value == filled:
                field.value = ""
        self.draft.autofilled_name = ""
        self.draft.autofilled_phone = ""

    # --- moving through the form -------------------------------------------------------

    @on(Input.Submitted)
    def _input_done(self, event: Input.Submitted) -> None:
        event.stop()
        self.focus_next()

    @on(AdvancingChoiceBar.Advanced, "#kind")
    def _kind_done(self) -> None:
        self.query_one(PhraseHint).show_phrase(Phrase.REPEAT)

    @on(AdvancingChoiceBar.Changed, "#kind")
    def _kind_changed(self, event: AdvancingChoiceBar.Changed) -> None:
        self._show_classification(event.value)

    def _show_classification(self, kind: str) -> None:
        complaint = kind == RequestKind.COMPLAINT.value
        for selector in ("#field-nature", "#field-complaint_subject"):
            self.query_one(selector).display = complaint

    def action_next_field(self) -> None:
        self.focus_next()

    def action_previous_field(self) -> None:
        self.focus_previous()

    def action_next_phrase(self) -> None:
        self.query_one(PhraseHint).next_phrase()

    # --- saving ------------------------------------------------------------------------

    def _people_count(self, text: str) -> int:
        if not text.strip():
            return 1
        try:
            return int(text)
        except ValueError:
            raise InvalidInput(_("Write the number of people as digits, e.g. 12."),
                               field="collective_people") from None

    def action_save(self) -> None:
        form = self.query_one("#intake-form", Widget)
        clear_errors(form)
        self._refused = ""
        draft = self.read_draft()
        self.draft = draft
        desk = self.desk_app.desk
        complaint = draft.kind == RequestKind.COMPLAINT.value
        caller = self.query_one("#caller", CallerBar)
        try:
            people = self._people_count(draft.collective_people)
        except DeskError as error:
            self._not_saved(error)
            return
        actor = self.desk_app.operator
        resident_id = caller.resident_id if draft.picked else None

        def save() -> tuple[str, datetime | None]:
            with transaction(desk.engine) as session:
                request = lifecycle.create_request(
                    session, acting=Acting(desk.site_id, actor), settings=desk.settings,
                    now=desk.clock.now(),
                    kind=draft.kind, channel=draft.channel, summary=draft.summary,
                    unit_id=draft.picked.unit_id if draft.picked else None,
                    unit_code=None if draft.picked else draft.unit_text,
                    resident_id=resident_id,
                    contact_name=draft.name, contact_phone=draft.phone,
                    subject=draft.subject, wish=draft.wish, location=draft.location,
                    happened_text=draft.happened_text, about=draft.about,
                    collective_people=people,
                    nature=(draft.nature or None) if complaint else None,
                    complaint_subject=(draft.complaint_subject or None) if complaint else None,
                )
                return request.number, request.next_due_at

        # The save runs in a thread: a desk waiting for another desk's write lock keeps
        # drawing, and a refusal or a locked database leaves the form as it was typed.
        self.run_db(save, self._saved_request, failed=self._not_saved, name="save")

    def _saved_request(self, saved: tuple[str, datetime | None]) -> None:
        self._saved = saved
        self.query_one(PhraseHint).show_phrase(Phrase.REGISTERED, number=saved[0])
        self._clear()

    def _not_saved(self, error: DeskError) -> None:
        self._refused = error.message
        self._show_status()
        form = self.query_one("#intake-form", Widget)
        show_error(form, error, fallback=self.query_one("#intake-status", Static))

    def recovery_draft(self) -> dict[str, Any] | None:
        return self.read_draft().to_json() if self.has_typing() else None

    def has_typing(self) -> bool:
        if not self.query("#intake-form"):
            return self.draft.has_typing()
        return self.read_draft().has_typing()

    def _show_status(self) -> None:
        status = self.query_one("#intake-status", Static)
        status.set_class(bool(self._refused), "-refused")
        status.set_class(not self._refused and self._saved is not None, "-saved")
        if self._refused:
            status.update(_("✗ Not saved: {reason}").format(reason=self._refused))
            return
        if self._saved is None and self._recovered:
            status.update(_("↺ The call typed when the desk stopped is back: check it, "
                            "then ctrl+s."))
            return
        if self._saved is None:
            status.update(_("A new call: the cursor is in the unit field."))
            return
        number, due = self._saved
        text = _("✓ Saved {number}").format(number=number)
        if due is not None:
            app = self.desk_app
            text += " · " + _("reply due {when}").format(
                when=format_when(due, app.desk.clock.now(), app.zone))
        status.update(text)

    # --- clearing ----------------------------------------------------------------------

    def _clear(self) -> None:
        """An empty form for the next call; the saved line stays."""
        form = self.query_one("#intake-form", Widget)
        clear_errors(form)
        self.draft = IntakeDraft()
        self._refused = ""
        self.query_one("#unit", UnitPicker).clear()
        for field in self.query("#intake-form Input").results(Input):
            if field.parent is not None and field.parent.id == "unit":
                continue
            field.value = ""
        self.query_one("#summary", TextArea).text = ""
        for bar in self.query("#intake-form AdvancingChoiceBar").results(AdvancingChoiceBar):
            bar.reset()
        self._show_no_unit()
        self._show_classification(self.draft.kind)
        self._show_status()
        self.query_one("#intake-form", Widget).scroll_home(animate=False)
        self._focus_start()
        self.query_one(PhraseHint).show_phrase(
            Phrase.REGISTERED if self._saved else Phrase.ASK_UNIT)

    def action_clear_form(self) -> None:
        if not self.read_draft().has_typing():
            self._clear()
            return

        def answered(clear: bool | None) -> None:
            if clear:
                self._clear()

        self.app.push_screen(
            ConfirmModal(_("Clear the form? What you typed will be lost.")), answered
        )

    # --- standing instructions ---------------------------------------------------------

    def action_add_instruction(self) -> None:
        picked: PickedUnit | None = self.query_one("#unit", UnitPicker).picked
        if picked is None:
            self.query_one("#field-unit", FormField).show_error(
                _("Pick a unit first: a standing instruction belongs to a unit."))
            self._focus_start()
            return

        def recorded(saved: bool | None) -> None:
            if saved:
                self.notify(_("Standing instruction recorded for {code}.").format(
                    code=picked.unit_code), timeout=4)
                self._show_unit(picked.unit_id)

        self.app.push_screen(
            InstructionModal(unit_id=picked.unit_id, unit_code=picked.unit_code), recorded
        )
