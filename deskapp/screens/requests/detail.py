"""One request (诉求详情): who, what, every deadline, the timeline, work orders,
revisits and escalations - and the steps the lifecycle allows now.

ctrl+t opens the step menu (one key per step); ctrl+e corrects the details (a
save made on an older version of the request is refused with what changed and who
changed it, the form kept as typed); ctrl+g takes the work order's
next step; ctrl+r prints the work order (ctrl+r prints on every screen). Esc goes
back to the queue. A task key (F2 …) closes this screen first (``DeskApp.go``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from deskapp.db import reading, transaction
from deskapp.errors import DeskError
from deskapp.i18n import N_, _
from deskapp.screens.base import DeskScreen
from deskapp.screens.requests import card_text
from deskapp.screens.requests.card_text import NOT_IN_MENU, SECTIONS, CardContext
from deskapp.screens.requests.dialogs import MenuEntry, StepForm, StepMenu, StepModal
from deskapp.screens.requests.step_forms import WORK_STEP_LABELS, StepForms
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle as requests
from deskapp.services.requests import views, workorders
from deskapp.services.requests.labels import ESCALATION_LABELS, label
from deskapp.services.requests.steps import STEP_LABELS, Step
from deskapp.services.requests.views import RequestCard
from deskapp.services.requests.workorders import WorkStep
from deskapp.services.workcalendar import WorkCalendar

TASK_KEYS: tuple[tuple[str, str, str], ...] = (
    ("f2", "dashboard", N_("Dashboard")),
    ("f3", "intake", N_("Intake")),
    ("f4", "queue", N_("Queue")),
    ("f5", "storage", N_("Storage")),
    ("f8", "ledgers", N_("Ledgers")),
    ("f9", "directory", N_("Directory")),
)


class RequestScreen(DeskScreen):
    TITLE_TEXT = N_("Request")
    DEFAULT_CSS = """
    RequestScreen #request-body { height: 1fr; padding: 0 1; }
    RequestScreen .request-section { height: auto; margin-bottom: 1; }
    RequestScreen #request-steps { color: $text-muted; }
    """
    BINDINGS = [
        Binding("ctrl+t", "steps", N_("Steps…")),
        Binding("ctrl+e", "correct", N_("Correct")),
        Binding("ctrl+g", "work_order", N_("Work order")),
        Binding("ctrl+r", "print_work_order", N_("Print work order")),
        Binding("escape", "back", N_("Back to queue")),
        # Hidden: the same keys as the app's, which F1 lists; these first leave this screen.
        *(Binding(key, f"leave('{name}')", text, show=False) for key, name, text in TASK_KEYS),
    ]

    def __init__(self, request_id: int, *, site_id: int | None = None) -> None:
        super().__init__()
        self.request_id = request_id
        self.site_id = site_id
        """The request's site, when the queue showed a site granted to the operator."""
        self.card: RequestCard | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="request-body", can_focus=True):
            for name in SECTIONS:
                yield Static("", id=f"request-{name}", classes="request-section")

    def on_mount(self) -> None:
        self.refresh_view()
        self.query_one("#request-body").focus()

    # --- what it shows ----------------------------------------------------------------

    def refresh_view(self) -> None:
        app = self.desk_app
        try:
            with reading(app.desk.engine) as session:
                self.card = views.request_card(
                    session, acting=Acting(self.site_id or app.desk.site_id, app.operator),
                    request_id=self.request_id, now=app.desk.clock.now())
        except DeskError as error:
            self.query_one("#request-header", Static).update(Text("✗ " + error.message))
            return
        sections = card_text.card_sections(self.card, self.card_context())
        if not self.card.may_change:
            note = Text(_("Read only: this request is of a site granted to you; its own "
                          "desk takes the steps.") + "\n", style="bold")
            sections["header"] = note + sections.get("header", Text())
        for name, text in sections.items():
            self._show(name, text)
        self.refresh_bindings()

    def card_context(self) -> CardContext:
        """The time, zone and theme colours the card is drawn with."""
        app = self.desk_app
        now = app.desk.clock.now()
        return CardContext(
            now=now, zone=app.zone,
            shift_end=WorkCalendar.from_settings(app.desk.settings).next_shift_end(now),
            colors=self.app.theme_variables,
        )

    def _show(self, name: str, text: Text) -> None:
        """Fill a section; an empty one takes no room."""
        text.rstrip()
        widget = self.query_one(f"#request-{name}", Static)
        widget.update(text)
        widget.display = bool(text.plain.strip())

    # --- keys -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave" and parameters:
            return self.desk_app.has_screen(str(parameters[0]))
        card = self.card
        if action in ("steps", "correct", "work_order", "print_work_order") \
                and card is not None \
                and not card.may_change:
            return False  # a site granted to the operator: read there, never changed
        if action == "correct":  # offered while the lifecycle allows it (an open request)
            return True if card is not None and Step.EDIT in card.steps else None
        if action == "work_order":
            return card is not None and workorders.is_work_kind(card.request.kind)
        if action == "print_work_order":
            return True if card is not None and card.work_orders else None
        return True

    def action_back(self) -> None:
        self.dismiss()

    def action_leave(self, name: str) -> None:
        app = self.desk_app
        self.dismiss()
        if name != "queue":
            app.go(name)

    def action_steps(self) -> None:
        if self.card is None:
            return
        self.app.push_screen(
            StepMenu(_("Steps for {number}").format(number=self.card.request.number),
                     self.menu_entries()),
            self._menu_chosen,
        )

    def action_correct(self) -> None:
        if self.card is not None and Step.EDIT in self.card.steps:
            self.start_step(Step.EDIT)

    def _menu_chosen(self, key: str | None) -> None:
        if key:
            self.start_step(key)

    def menu_entries(self) -> list[MenuEntry]:
        card = self.card
        assert card is not None
        entries = [MenuEntry(step.value, _(STEP_LABELS[step]))
                   for step in card.steps if step not in NOT_IN_MENU]
        request = card.request
        if request.is_open:
            position = 2 if entries else 0  # after the commonest steps
            entries.insert(min(position, len(entries)),
                           MenuEntry("raise_severity", _("raise the severity")))
        if Step.WORK_ORDER in card.steps or card.work_orders:
            entries += [MenuEntry(key, _(WORK_STEP_LABELS[key])) for key in self._work_steps()]
        for escalation in card.escalations:
            if escalation.is_open:
                entries.append(MenuEntry(
                    f"ack:{escalation.id}",
                    _("acknowledge the escalation to the {level}").format(
                        level=label(ESCALATION_LABELS, escalation.level)),
                    escalation.reason,
                ))
        return entries

    def _work_steps(self) -> list[WorkStep]:
        """What the work-order service allows now (it owns the order's state machine)."""
        card = self.card
        assert card is not None
        return workorders.request_steps(card.request.kind, card.work_orders,
                                        may_open=Step.WORK_ORDER in card.steps)

    def action_work_order(self) -> None:
        if self.card is None:
            return
        steps = self._work_steps()
        if not steps:
            self.notify(_("No work order step is possible for this request now."),
                        severity="warning")
            return
        self.start_step(steps[0])

    def action_print_work_order(self) -> None:
        from deskapp.services.requests import workorder_print

        app = self.desk_app
        card = self.card
        if card is None:
            return
        now = app.desk.clock.now()
        try:
            doc = workorder_print.work_order_document(
                card, site_name=app.site_name, zone=app.zone, printed_at=now,
                printed_by=app.operator.display_name if app.operator else "",
                arrival_minutes=app.desk.settings.technician_arrival_minutes,
            )
            order = workorder_print.latest_work_order(card)
            pdf_path, text_path = workorder_print.save_work_order(
                doc, folder=app.desk.settings.data_dir / "prints",
                number=card.request.number, order_id=order.id)
        except DeskError as error:
            self.notify(error.message, severity="error", timeout=8)
            return
        except OSError as error:
            self.notify(_("The work order could not be saved: {reason}").format(
                reason=error.strerror or str(error)), severity="error", timeout=8)
            return
        self.notify(_("Work order printed to {pdf} (receipt text: {text}).").format(
            pdf=str(pdf_path), text=text_path.name), timeout=10)

    # --- the steps --------------------------------------------------------------------

    def start_step(self, key: str) -> None:
        try:
            form = self.step_form(key)
        except DeskError as error:
            self.notify(error.message, severity="error")
            return
        self.app.push_screen(StepModal(form), self._step_done)

    def _step_done(self, done: bool | None) -> None:
        self.refresh_view()

    def _call(self, function: Callable[..., Any], *, settings: bool = False,
              target: str = "request_id", target_id: int | None = None, **kwargs: Any) -> Any:
        """One service call in its own transaction, with the desk's usual arguments."""
        app = self.desk_app
        arguments: dict[str, Any] = {
            "acting": Acting(app.desk.site_id, app.operator), "now": app.desk.clock.now(),
            target: target_id if target_id is not None else self.request_id,
        }
        if settings:
            arguments["settings"] = app.desk.settings
        with transaction(app.desk.engine) as session:
            return function(session, **arguments, **kwargs)

    def step_form(self, key: str) -> StepForm:
        """The form of step ``key`` (the table in ``step_forms``) for the card on view."""
        assert self.card is not None
        app = self.desk_app
        return StepForms(self.card, call=self._call, clock=app.desk.clock, zone=app.zone,
                         operator=app.operator,
                         operator_choices=self._operator_choices).form(key)

    def _operator_choices(self) -> list[tuple[str, str]]:
        app = self.desk_app
        staff = app.read(lambda session: requests.handover_candidates(
            session, acting=Acting(app.desk.site_id), request_id=self.request_id)) or []
        return [(str(person.id), f"{person.display_name} ({person.login})") for person in staff]
