"""The two forms of the storage screen: the storage form (物品寄存表) and the
collector's form (取件), each reading itself into what the service takes.

Field names (``FormField(field=...)``) are the service's, so a refusal lands
beside the field it is about. Inputs are compact (one line each) so the whole
storage form fits at 80x24 in two columns.
"""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Input, Static

from deskapp.errors import InvalidInput
from deskapp.i18n import _
from deskapp.models import Operator
from deskapp.models.custody import DepositorKind, StorageCategory
from deskapp.services.custody import storage
from deskapp.services.custody.checks import Collector
from deskapp.services.custody.storage import StorageForm
from deskapp.services.directory import MAX_NAME_LENGTH
from deskapp.widgets.form import ChoiceBar, FormField, TextInput
from deskapp.widgets.unit_picker import UnitPicker

YES, NO = "yes", "no"


def _input(id: str, *, placeholder: str = "", max_length: int = 0, kind: str = "text") -> Input:
    return TextInput(id=id, placeholder=placeholder, max_length=max_length, compact=True,
                     type=kind)


def _yes_no(id: str, yes_label: str, no_label: str) -> ChoiceBar:
    return ChoiceBar([(NO, no_label), (YES, yes_label)], keys=["n", "y"], value=NO, id=id)


def _value(widget: Widget, selector: str) -> str:
    return widget.query_one(selector, Input).value


def tighten(form: Widget) -> None:
    """One line less per field than desk.tcss gives (its ``.field-label`` margin wins over
    DEFAULT_CSS), so the storage form fits on one screen; inline styles win over both."""
    for label in form.query(".field-label"):
        label.styles.margin = (0, 0, 0, 0)


def supervisor_line(supervisor: Operator | None) -> str:
    if supervisor is None:
        return _("Not signed yet: ctrl+g, or Enter on the button.")
    return _("✓ Signed by {name}").format(name=supervisor.display_name)


class DepositForm(VerticalScroll):
    """Everything the depositor tells the desk, and the depositor's signature."""

    DEFAULT_CSS = """
    DepositForm { height: 1fr; padding: 0 1; }
    DepositForm > Horizontal { height: auto; }
    DepositForm .form-column { width: 1fr; height: auto; padding: 0 1; }
    DepositForm > FormField, #deposit-exception { margin: 0 1; }
    #deposit-unit-people { display: none; }
    #deposit-unit-people.-shown { display: block; }
    DepositForm UnitPicker Input { border: none; height: 1; padding: 0 1; }
    #deposit-exception { height: auto; border-left: thick $warning; padding-left: 1; }
    #deposit-exception Button { min-width: 20; height: 1; border: none; margin: 0; }
    .form-hint { color: $text-muted; height: auto; }
    """

    def compose(self) -> ComposeResult:
        with Horizontal():
            with Vertical(classes="form-column"):
                yield FormField(
                    _("Depositor"),
                    ChoiceBar(
                        [(DepositorKind.RESIDENT.value, _("Resident")),
                         (DepositorKind.VISITOR.value, _("Visitor"))],
                        id="deposit-kind",
                    ),
                    field="depositor_kind",
                )
                yield FormField(
                    _("Unit (a resident's: pick to fill name and phone)"),
                    UnitPicker(id="deposit-unit"), field="unit",
                )
                yield Static("", id="deposit-unit-people", classes="form-hint")
                yield FormField(_("Depositor's name"),
                                _input("deposit-name", max_length=MAX_NAME_LENGTH),
                                field="depositor_name")
                yield FormField(_("Phone"), _input("deposit-phone", max_length=20),
                                field="phone")
                yield FormField(_("ID number (optional: finds a lost ticket)"),
                                _input("deposit-id-number", max_length=32), field="id_number")
                yield FormField(_("Who may collect"),
                                _input("deposit-may-collect", max_length=200,
                                       placeholder=_("e.g. the depositor, or 李明 (neighbour)")),
                                field="may_collect")
                yield FormField(_("Shelf"), _input("deposit-shelf", max_length=64,
                                                   placeholder=_("e.g. A-3")), field="shelf")
            with Vertical(classes="form-column"):
                yield FormField(_("Description"), _input("deposit-description", max_length=500),
                                field="description")
                yield FormField(_("Pieces"), _input("deposit-pieces", kind="integer"),
                                field="pieces")
                yield FormField(_("Condition"), _input("deposit-condition", max_length=200,
                                                       placeholder=_("e.g. sealed, scratched")),
                                field="condition")
        yield FormField(
            _("Category"),
            ChoiceBar(
                [(category.value, storage.category_label(category.value))
                 for category in StorageCategory],
                id="deposit-category",
            ),
            field="category",
        )
        with Vertical(id="deposit-exception"):
            yield Static(
                _("Not taken unless a supervisor notes an exception."),
                classes="form-hint",
            )
            yield FormField(
                _("Supervisor"),
                Button(_("Supervisor signs"), id="deposit-supervisor", compact=True),
                field="exception_by",
            )
            yield Static(supervisor_line(None), id="deposit-supervisor-name")
            yield FormField(_("Supervisor's note"),
                            _input("deposit-exception-note", max_length=500),
                            field="exception_note")
        yield FormField(
            _("Depositor's signature on the form"),
            _yes_no("deposit-confirmed", _("Signed"), _("Not yet")),
            field="depositor_confirmed",
        )

    def on_mount(self) -> None:
        tighten(self)
        self.query_one("#deposit-unit", UnitPicker).input.compact = True
        self.query_one("#deposit-pieces", Input).value = "1"
        self.show_exception(storage.needs_exception(self.category))

    @property
    def category(self) -> str:
        return self.query_one("#deposit-category", ChoiceBar).value

    def show_exception(self, visible: bool) -> None:
        self.query_one("#deposit-exception").display = visible

    def show_people(self, hint: str) -> None:
        """The people of a picked unit, when it has several (the hint shows only then)."""
        people = self.query_one("#deposit-unit-people", Static)
        people.update(Text(hint))
        people.set_class(bool(hint), "-shown")

    def show_supervisor(self, supervisor: Operator | None) -> None:
        self.query_one("#deposit-supervisor-name", Static).update(supervisor_line(supervisor))

    def read(self) -> StorageForm:
        """The form as the service takes it; a count that is not a number is refused here."""
        pieces_text = _value(self, "#deposit-pieces").strip() or "1"
        try:
            pieces = int(pieces_text)
        except ValueError:
            raise InvalidInput(_("Give the number of pieces as a whole number, e.g. 2."),
                               field="pieces") from None
        return StorageForm(
            depositor_name=_value(self, "#deposit-name"),
            description=_value(self, "#deposit-description"),
            shelf=_value(self, "#deposit-shelf"),
            phone=_value(self, "#deposit-phone"),
            depositor_kind=self.query_one("#deposit-kind", ChoiceBar).value,
            unit=self.query_one("#deposit-unit", UnitPicker).value,
            id_number=_value(self, "#deposit-id-number"),
            may_collect=_value(self, "#deposit-may-collect"),
            pieces=pieces,
            condition=_value(self, "#deposit-condition"),
            category=self.category,
            depositor_confirmed=self.query_one("#deposit-confirmed", ChoiceBar).value == YES,
        )

    def exception_note(self) -> str:
        return _value(self, "#deposit-exception-note")

    def has_text(self) -> bool:
        typed = any(
            field.value.strip() for field in self.query(Input) if field.id != "deposit-pieces"
        )
        return typed or _value(self, "#deposit-pieces").strip() not in ("", "1")

    def clear(self) -> None:
        for field in self.query(Input):
            field.value = ""
        self.query_one("#deposit-unit", UnitPicker).clear()
        self.query_one("#deposit-pieces", Input).value = "1"
        for bar in self.query(ChoiceBar):
            bar.reset()
        self.show_exception(False)
        self.show_supervisor(None)
        self.show_people("")


class CollectorForm(VerticalScroll):
    """Who takes the item: name, relation, phone, ID checked, signature.

    Without the ticket (``lost``) a supervisor signs and writes a note too.
    """

    DEFAULT_CSS = """
    CollectorForm { height: 1fr; padding: 0 1; }
    #collect-lost { height: auto; border-left: thick $warning; padding-left: 1; }
    #collect-lost Button { min-width: 20; height: 1; border: none; margin: 0; }
    """

    def compose(self) -> ComposeResult:
        yield Static(_("Collector"), classes="section-title")
        yield FormField(_("Collector's name"), _input("collect-name", max_length=MAX_NAME_LENGTH),
                        field="collector")
        yield FormField(_("Relation to the depositor"),
                        _input("collect-relation", max_length=32,
                               placeholder=_("e.g. self, family, neighbour")),
                        field="relation")
        yield FormField(_("Collector's phone"), _input("collect-phone", max_length=20),
                        field="collector_phone")
        yield FormField(_("ID checked"), _yes_no("collect-id-checked", _("Checked"), _("Not yet")),
                        field="id_checked")
        yield FormField(_("ID number"), _input("collect-id-number", max_length=32),
                        field="id_number")
        yield FormField(_("Collector's signature"),
                        _yes_no("collect-signed", _("Signed"), _("Not yet")), field="signed")
        with Vertical(id="collect-lost"):
            yield FormField(
                _("Supervisor (no ticket)"),
                Button(_("Supervisor signs"), id="collect-supervisor", compact=True),
                field="supervisor",
            )
            yield Static(supervisor_line(None), id="collect-supervisor-name")
            yield FormField(_("Supervisor's note"), _input("collect-note", max_length=500),
                            field="note")

    def on_mount(self) -> None:
        tighten(self)

    def set_lost(self, lost: bool) -> None:
        self.query_one("#collect-lost").display = lost

    def show_supervisor(self, supervisor: Operator | None) -> None:
        self.query_one("#collect-supervisor-name", Static).update(supervisor_line(supervisor))

    def read(self) -> Collector:
        return Collector(
            name=_value(self, "#collect-name"),
            relation=_value(self, "#collect-relation"),
            phone=_value(self, "#collect-phone"),
            id_checked=self.query_one("#collect-id-checked", ChoiceBar).value == YES,
            id_number=_value(self, "#collect-id-number"),
            signed=self.query_one("#collect-signed", ChoiceBar).value == YES,
        )

    def note(self) -> str:
        return _value(self, "#collect-note")

    def has_text(self) -> bool:
        return any(field.value.strip() for field in self.query(Input))

    def clear(self) -> None:
        for field in self.query(Input):
            field.value = ""
        for bar in self.query(ChoiceBar):
            bar.reset()
        self.show_supervisor(None)
