"""One request (诉求详情): who, what, every deadline, the timeline, work orders,
revisits and escalations - and the steps the lifecycle allows now.

ctrl+t opens the step menu (one key per step); ctrl+g takes the work order's
next step; ctrl+r prints the work order (ctrl+r prints on every screen). Esc goes
back to the queue. A task key (F2 …) closes this screen first (``DeskApp.go``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from deskapp.db import reading, transaction
from deskapp.errors import DeskError, InvalidInput
from deskapp.formatting import format_duration, format_when, parse_local_time
from deskapp.i18n import N_, _
from deskapp.models.requests import (
    RequestKind,
    Severity,
    WorkLocation,
    WorkOrder,
    WorkOrderStatus,
)
from deskapp.screens.base import DeskScreen
from deskapp.screens.requests.dialogs import (
    FieldSpec,
    MenuEntry,
    StepForm,
    StepMenu,
    StepModal,
    Values,
    parse_rating,
    parse_yuan,
    suggest_appointment,
)
from deskapp.services import operators
from deskapp.services.requests import deadlines, revisits, rules, views, workorders
from deskapp.services.requests import lifecycle as requests
from deskapp.services.requests.labels import (
    CHANNEL_LABELS,
    DEADLINE_LABELS,
    DEPARTMENT_LABELS,
    ESCALATION_LABELS,
    EVENT_LABELS,
    KIND_LABELS,
    LOCATION_LABELS,
    REVISIT_RESULT_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    WORK_ORDER_STATUS_LABELS,
    label,
)
from deskapp.services.requests.steps import STEP_LABELS, Step
from deskapp.services.requests.views import DeadlineView, RequestCard
from deskapp.services.workcalendar import WorkCalendar

WORK_KINDS = frozenset({RequestKind.REPAIR.value, RequestKind.PAID_SERVICE.value})
ACTIVE_ORDER = frozenset({WorkOrderStatus.OPEN.value, WorkOrderStatus.ARRIVED.value,
                          WorkOrderStatus.STARTED.value, WorkOrderStatus.COMPLETED.value})
#: Steps offered elsewhere (edit and classify belong to the intake form).
NOT_IN_MENU = frozenset({Step.EDIT, Step.CLASSIFY, Step.WORK_ORDER})

WORK_STEP_LABELS: dict[str, str] = {
    "wo_open": N_("work order: open"),
    "wo_arrive": N_("work order: technician arrived"),
    "wo_cost": N_("work order: material cost agreed"),
    "wo_start": N_("work order: work started"),
    "wo_complete": N_("work order: work completed"),
    "wo_confirm": N_("work order: confirmation and rating"),
    "wo_cancel": N_("work order: cancel"),
}

TASK_KEYS: tuple[tuple[str, str, str], ...] = (
    ("f2", "dashboard", N_("Dashboard")),
    ("f3", "intake", N_("Intake")),
    ("f4", "queue", N_("Queue")),
    ("f5", "storage", N_("Storage")),
    ("f8", "ledgers", N_("Ledgers")),
    ("f9", "directory", N_("Directory")),
)


#: Words shown inside composed lines (extracted for the catalog here, translated when shown).
WORDS = (N_("paused"), N_("overdue"), N_("due this shift"), N_("cancelled"), N_("appointment"),
         N_("completed"), N_("confirmed by"), N_("open"), N_("visitor, no unit"))


def word(msgid: str) -> str:
    return _(msgid)


def pad(value: str, cells: int) -> str:
    """``value`` padded to ``cells`` terminal cells (a Chinese character takes two)."""
    return value + " " * max(0, cells - cell_len(value))


def section(title: str) -> Text:
    """A section's text starting with its bold title line (the rest keeps its own style)."""
    text = Text()
    text.append(title + "\n", style="bold")
    return text


class RequestScreen(DeskScreen):
    TITLE_TEXT = N_("Request")
    DEFAULT_CSS = """
    RequestScreen #request-body { height: 1fr; padding: 0 1; }
    RequestScreen .request-section { height: auto; margin-bottom: 1; }
    RequestScreen #request-steps { color: $text-muted; }
    """
    BINDINGS = [
        Binding("ctrl+t", "steps", N_("Steps…")),
        Binding("ctrl+g", "work_order", N_("Work order")),
        Binding("ctrl+r", "print_work_order", N_("Print work order")),
        Binding("escape", "back", N_("Back to queue")),
        # Hidden: the same keys as the app's, which F1 lists; these first leave this screen.
        *(Binding(key, f"leave('{name}')", text, show=False) for key, name, text in TASK_KEYS),
    ]

    def __init__(self, request_id: int) -> None:
        super().__init__()
        self.request_id = request_id
        self.card: RequestCard | None = None

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="request-body", can_focus=True):
            for name in ("header", "steps", "details", "deadlines", "timeline", "work",
                         "revisits", "escalations"):
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
                    session, site_id=app.desk.site_id, request_id=self.request_id,
                    now=app.desk.clock.now())
        except DeskError as error:
            self.query_one("#request-header", Static).update(Text("✗ " + error.message))
            return
        card = self.card
        self._show("header", self._header(card))
        self._show("steps", self._steps_line(card))
        self._show("details", self._details(card))
        self._show("deadlines", self._deadlines(card))
        self._show("timeline", self._timeline(card))
        self._show("work", self._work(card))
        self._show("revisits", self._revisits(card))
        self._show("escalations", self._escalations(card))
        self.refresh_bindings()

    def _show(self, name: str, text: Text) -> None:
        """Fill a section; an empty one takes no room."""
        text.rstrip()
        widget = self.query_one(f"#request-{name}", Static)
        widget.update(text)
        widget.display = bool(text.plain.strip())

    def _when(self, moment: datetime | None) -> str:
        if moment is None:
            return ""
        app = self.desk_app
        return format_when(moment, app.desk.clock.now(), app.zone)

    def _color(self, name: str, fallback: str) -> str:
        return self.app.theme_variables.get(name, fallback)

    def _header(self, card: RequestCard) -> Text:
        request = card.request
        text = Text()
        text.append(f"{request.number}  ", style="bold")
        text.append(label(KIND_LABELS, request.kind) + "  ")
        severity = label(SEVERITY_LABELS, request.severity)
        if request.severity in (Severity.HOT, Severity.MAJOR):
            text.append("‼ " + severity, style="bold " + self._color("error", "red"))
        else:
            text.append(severity)
        text.append("  ·  " + label(STATUS_LABELS, request.status))
        if request.paused_at is not None:
            text.append("  ⏸ " + _("clock paused: {reason}").format(reason=request.pause_reason),
                        style=self._color("warning", "yellow"))
        text.append("\n")
        text.append(_("Owner") + f": {card.owner_name}   ", style="")
        text.append(_("Unit") + f": {card.unit_code or word('visitor, no unit')}   ")
        contact = " ".join(part for part in (request.contact_name, request.contact_phone) if part)
        text.append(_("Contact") + f": {contact or '—'}   ")
        text.append(_("Received") + f": {self._when(request.received_at)} · "
                    f"{label(CHANNEL_LABELS, request.channel)}")
        return text

    def _steps_line(self, card: RequestCard) -> Text:
        names = [_(STEP_LABELS[step]) for step in card.steps if step not in NOT_IN_MENU]
        if not names:
            return Text(_("No step is possible now."))
        return Text(_("ctrl+t steps: {steps}").format(steps=" · ".join(names)))

    def _details(self, card: RequestCard) -> Text:
        request = card.request
        rows: list[tuple[str, str]] = [
            (_("Subject"), request.subject),
            (_("Summary"), request.summary),
            (_("Wish"), request.wish),
            (_("Where"), request.location),
            (_("When"), request.happened_text or self._when(request.happened_at)),
            (_("About"), request.about),
            (_("Department"), (label(DEPARTMENT_LABELS, request.department)
                               + (f" · {request.assignee}" if request.assignee else ""))
             if request.department else ""),
            (_("Department reply"), request.department_reply),
            (_("Result"), request.result),
            (_("Related request"), card.related_number),
            (_("Void reason"), request.voided_reason),
        ]
        text = Text()
        for name, value in rows:
            if value:
                text.append(f"{name}: ", style="bold")
                text.append(value.replace("\n", "\n    ") + "\n")
        return text

    def _deadline_line(self, deadline: DeadlineView) -> Text:
        app = self.desk_app
        now = app.desk.clock.now()
        what = label(DEADLINE_LABELS, deadline.kind)
        when = self._when(deadline.due_at)
        line = Text("  ")
        if deadline.pending and deadline.paused:
            line.append(f"⏸ {word('paused')}  {what}  {when}",
                        style=self._color("warning", "yellow"))
        elif deadline.overdue:
            late = format_duration(now - deadline.due_at)
            line.append(f"⚠ {word('overdue')} {late}  {what}  {when}",
                        style="bold " + self._color("error", "red"))
        elif deadline.pending:
            shift_end = WorkCalendar.from_settings(app.desk.settings).next_shift_end(now)
            if deadline.due_at < shift_end:
                line.append(f"◷ {word('due this shift')}  {what}  {when}",
                            style=self._color("warning", "yellow"))
            else:
                line.append(f"◷ {what}  {when}")
        elif deadline.met_at is not None:
            met_late = deadline.met_at > deadline.due_at
            mark = ("⚠ " + _("met late")) if met_late else ("✓ " + _("met"))
            line.append(f"{mark} {self._when(deadline.met_at)}  {what}  ({when})",
                        style=self._color("error" if met_late else "success", "green"))
        else:
            line.append(f"— {word('cancelled')}  {what}  ({when})", style="dim")
        if deadline.shifted_minutes:
            line.append("  " + _("moved {minutes} min by pauses").format(
                minutes=deadline.shifted_minutes), style="dim")
        return line

    def _deadlines(self, card: RequestCard) -> Text:
        text = section(_("Deadlines"))
        if not card.pending_deadlines:
            text.append("  " + _("Nothing pending.") + "\n")
        for deadline in card.pending_deadlines:
            text.append_text(self._deadline_line(deadline))
            text.append("\n")
        for deadline in card.past_deadlines:
            text.append_text(self._deadline_line(deadline))
            text.append("\n")
        return text

    def _timeline(self, card: RequestCard) -> Text:
        text = section(_("Timeline"))
        for line in card.timeline:
            text.append(f"  {pad(self._when(line.at), 16)}  {pad(line.operator_name or '—', 8)}  ")
            text.append(label(EVENT_LABELS, line.kind), style="bold")
            if line.from_status and line.to_status and line.from_status != line.to_status:
                text.append(f"  {label(STATUS_LABELS, line.from_status)} → "
                            f"{label(STATUS_LABELS, line.to_status)}")
            text.append("\n")
            if line.details:
                details = line.details.replace("\n", "\n" + " " * 30)
                text.append(" " * 30 + details + "\n", style="dim")
        return text

    def _work(self, card: RequestCard) -> Text:
        if card.request.kind not in WORK_KINDS and not card.work_orders:
            return Text()
        text = section(_("Work orders"))
        if not card.work_orders:
            text.append("  " + _("None yet: ctrl+g opens one.") + "\n")
        for order in card.work_orders:
            charge = (_("paid") + f" ¥{workorders.format_fen(order.material_cost_fen)}"
                      + (" ✓" if order.cost_agreed else " (" + _("not yet agreed") + ")")
                      if order.paid else _("free"))
            text.append(f"  #{order.id}  {label(WORK_ORDER_STATUS_LABELS, order.status)}  "
                        f"{word('appointment')} {self._when(order.appointment_at)}  "
                        f"{label(LOCATION_LABELS, order.location)}  {charge}  "
                        f"{order.technician or ''}\n")
            text.append(f"      {order.task}\n", style="dim")
            if order.completed_at is not None:
                text.append(f"      {word('completed')} {self._when(order.completed_at)}: "
                            f"{order.completion_result}\n")
            if order.confirmed_at is not None:
                rating = f" {order.rating}/5" if order.rating is not None else ""
                text.append(f"      ✓ {word('confirmed by')} {order.confirmed_by}{rating}\n",
                            style=self._color("success", "green"))
            if order.cancelled_reason:
                text.append(f"      {word('cancelled')}: {order.cancelled_reason}\n", style="dim")
        return text

    def _revisits(self, card: RequestCard) -> Text:
        if not card.revisits:
            return Text()
        text = section(_("Revisits"))
        for visit in card.revisits:
            confirmed = "  ✓ " + _("confirmed by the resident") if visit.resident_confirmed else ""
            text.append(f"  {self._when(visit.at)}  {label(REVISIT_RESULT_LABELS, visit.result)}"
                        f"  {visit.visited_by}{confirmed}\n")
            if visit.remarks:
                text.append(f"      {visit.remarks}\n", style="dim")
        return text

    def _escalations(self, card: RequestCard) -> Text:
        if not card.escalations:
            return Text()
        text = section(_("Escalations"))
        for escalation in card.escalations:
            level = label(ESCALATION_LABELS, escalation.level)
            if escalation.is_open:
                text.append(f"  ⚠ {word('open')}  {level}  {self._when(escalation.raised_at)}  "
                            f"{escalation.reason}\n", style=self._color("error", "red"))
            else:
                state = (_("acknowledged") + " " + self._when(escalation.acknowledged_at)
                         if escalation.acknowledged_at else _("closed"))
                text.append(f"  ✓ {state}  {level}  {escalation.reason}"
                            + (f" · {escalation.note}" if escalation.note else "") + "\n")
        return text

    # --- keys -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "leave" and parameters:
            return self.desk_app.has_screen(str(parameters[0]))
        card = self.card
        if action == "work_order":
            return card is not None and card.request.kind in WORK_KINDS
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

    def _active_order(self) -> WorkOrder | None:
        assert self.card is not None
        for order in reversed(self.card.work_orders):
            if order.status in ACTIVE_ORDER:
                return order
        return None

    def _work_steps(self) -> list[str]:
        card = self.card
        assert card is not None
        if card.request.kind not in WORK_KINDS:
            return []
        order = self._active_order()
        if order is None:
            return ["wo_open"] if Step.WORK_ORDER in card.steps else []
        steps: list[str] = []
        if order.status == WorkOrderStatus.OPEN:
            steps.append("wo_arrive")
        if order.paid and not order.cost_agreed and order.started_at is None:
            steps.append("wo_cost")
        if order.status in (WorkOrderStatus.OPEN, WorkOrderStatus.ARRIVED):
            steps.append("wo_start")
        if order.status == WorkOrderStatus.STARTED:
            steps.append("wo_complete")
        if order.status == WorkOrderStatus.COMPLETED:
            steps.append("wo_confirm")
        if order.status != WorkOrderStatus.COMPLETED:
            steps.append("wo_cancel")
        return steps

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
            "site_id": app.desk.site_id, "now": app.desk.clock.now(), "actor": app.operator,
            target: target_id if target_id is not None else self.request_id,
        }
        if settings:
            arguments["settings"] = app.desk.settings
        with transaction(app.desk.engine) as session:
            return function(session, **arguments, **kwargs)

    def _time(self, values: Values, name: str) -> datetime | None:
        app = self.desk_app
        return parse_local_time(str(values[name]), now=app.desk.clock.now(), zone=app.zone,
                                field=name)

    def step_form(self, key: str) -> StepForm:
        card = self.card
        assert card is not None
        request = card.request
        number = request.number
        reason = FieldSpec("reason", _("Reason"), "area")

        def text(values: Values, name: str) -> str:
            return str(values.get(name, ""))

        if key == Step.DISPATCH:
            departments = [(str(value), label(DEPARTMENT_LABELS, value))
                           for value in DEPARTMENT_LABELS]
            return StepForm(
                _("Dispatch {number}").format(number=number),
                [FieldSpec("department", _("Department"), "choice", departments,
                           request.department or departments[0][0]),
                 FieldSpec("assignee", _("Person in the department"), value=request.assignee),
                 FieldSpec("needs_superior", _("Must ask its superior (interim report due)"),
                           "check", value=False),
                 FieldSpec("note", _("Note for the department"))],
                lambda v: self._done(self._call(
                    requests.dispatch, settings=True, department=text(v, "department"),
                    assignee=text(v, "assignee"), note=text(v, "note"),
                    needs_superior=bool(v["needs_superior"])), _("Dispatched.")),
            )
        if key in (Step.DEPARTMENT_REPORT, Step.DEPARTMENT_REPLY, Step.ANSWER, Step.NOTE):
            function, title, field_label, done = {
                Step.DEPARTMENT_REPORT: (requests.department_report, _("Department report"),
                                         _("What the department reported"), _("Report recorded.")),
                Step.DEPARTMENT_REPLY: (requests.department_reply, _("Department reply"),
                                        _("What the department replied"), _("Reply recorded.")),
                Step.ANSWER: (requests.answer_resident, _("Answer the resident"),
                              _("What the resident was told"), _("Answer recorded.")),
                Step.NOTE: (requests.add_note, _("Note"), _("Note"), _("Note added.")),
            }[Step(key)]
            return StepForm(
                f"{title} · {number}", [FieldSpec("text", field_label, "area")],
                lambda v: self._done(self._call(function, text=text(v, "text")), done),
            )
        if key == Step.DEFER:
            return StepForm(
                _("Defer the answer · {number}").format(number=number), [reason],
                lambda v: self._done(self._call(requests.defer, settings=True,
                                                reason=text(v, "reason")),
                                     _("Deferred: the new deadline is on the card.")),
                intro=_("Record why it cannot be answered at once; the department head is "
                        "told."),
            )
        if key == Step.RESOLVE:
            return StepForm(
                _("Resolve {number}").format(number=number),
                [FieldSpec("result", _("Handling result"), "area", value=request.result)],
                lambda v: self._done(self._call(requests.resolve, settings=True,
                                                result=text(v, "result")), _("Resolved.")),
            )
        if key == Step.REVISIT:
            results = [(str(value), label(REVISIT_RESULT_LABELS, value))
                       for value in REVISIT_RESULT_LABELS]
            operator = self.desk_app.operator
            return StepForm(
                _("Revisit {number}").format(number=number),
                [FieldSpec("result", _("Result"), "choice", results, results[0][0]),
                 FieldSpec("remarks", _("Remarks (required when unsatisfied)"), "area"),
                 FieldSpec("visited_by", _("Visited by"),
                           placeholder=operator.display_name if operator else ""),
                 FieldSpec("resident_confirmed", _("The resident confirmed"), "check")],
                lambda v: self._revisit(v),
                intro=_("An unsatisfied revisit reopens the request."),
            )
        if key == Step.CLOSE:
            return StepForm(
                _("Close {number}").format(number=number),
                [FieldSpec("note", _("Note"))],
                lambda v: self._done(self._call(requests.close, settings=True,
                                                note=text(v, "note")), _("Closed.")),
            )
        if key == Step.REOPEN:
            return StepForm(
                _("Reopen {number}").format(number=number), [reason],
                lambda v: self._done(self._call(requests.reopen, settings=True,
                                                reason=text(v, "reason")), _("Reopened.")),
            )
        if key == Step.VOID:
            return StepForm(
                _("Void {number}").format(number=number), [reason],
                lambda v: self._done(self._call(requests.void, reason=text(v, "reason")),
                                     _("Voided.")),
                intro=_("Voiding keeps the record with the reason; it cannot be undone."),
                confirm=_("Void request {number}? This cannot be undone.").format(number=number),
            )
        if key == Step.HAND_OVER:
            return StepForm(
                _("Hand over {number}").format(number=number),
                [FieldSpec("owner", _("New owner"), "select", self._operator_choices(),
                           placeholder=_("Choose the operator")), reason],
                lambda v: self._hand_over(v),
                intro=_("Owner now: {name}").format(name=card.owner_name),
            )
        if key == Step.PAUSE:
            return StepForm(
                _("Pause the clock · {number}").format(number=number), [reason],
                lambda v: self._done(self._call(deadlines.pause_clock,
                                                reason=text(v, "reason")),
                                     _("Clock paused: deadlines wait.")),
                intro=_("While paused (waiting for the resident) the deadlines do not run."),
            )
        if key == Step.RESUME:
            return StepForm(
                _("Resume the clock · {number}").format(number=number), [],
                lambda v: self._done(self._call(deadlines.resume_clock),
                                     _("Clock running again; deadlines moved by the pause.")),
                intro=_("Paused: {reason}. ctrl+s resumes the clock.").format(
                    reason=request.pause_reason),
            )
        if key == "raise_severity":
            higher = [(str(value), label(SEVERITY_LABELS, value)) for value in SEVERITY_LABELS
                      if rules.rank(str(value)) > rules.rank(request.severity)]
            if not higher:
                raise InvalidInput(_("{number} is already major.").format(number=number),
                                   field="severity")
            return StepForm(
                _("Raise the severity · {number}").format(number=number),
                [FieldSpec("severity", _("Severity"), "choice", higher, higher[0][0]), reason],
                lambda v: self._done(self._call(
                    rules.raise_severity, settings=True,
                    severity=text(v, "severity"), reason=text(v, "reason")),
                    _("Severity raised.")),
                intro=_("Now: {severity}").format(
                    severity=label(SEVERITY_LABELS, request.severity)),
            )
        if key.startswith("ack:"):
            escalation_id = int(key.split(":", 1)[1])
            return StepForm(
                _("Acknowledge the escalation · {number}").format(number=number),
                [FieldSpec("note", _("Note"))],
                lambda v: self._done(self._call(
                    deadlines.acknowledge_escalation, target="escalation_id",
                    target_id=escalation_id, note=text(v, "note")),
                    _("Escalation acknowledged.")),
            )
        if key.startswith("wo_"):
            return self.work_form(key)
        raise InvalidInput(_("This step is not offered here."), field="request")

    def _done(self, _result: object, message: str) -> str:
        return message

    def _revisit(self, values: Values) -> str:
        self._call(revisits.record_revisit, settings=True, result=str(values["result"]),
                   remarks=str(values["remarks"]), visited_by=str(values["visited_by"]),
                   resident_confirmed=bool(values["resident_confirmed"]))
        if values["result"] == "unsatisfied":
            return _("Revisit recorded: not satisfied, the request is reopened.")
        return _("Revisit recorded.")

    def _operator_choices(self) -> list[tuple[str, str]]:
        app = self.desk_app
        with reading(app.desk.engine) as session:
            staff = operators.list_operators(session, site_id=app.desk.site_id,
                                             include_disabled=False)
        assert self.card is not None
        return [(str(person.id), f"{person.display_name} ({person.login})") for person in staff
                if person.id != self.card.request.owner_id and person.role != "guard"]

    def _hand_over(self, values: Values) -> str:
        chosen = str(values["owner"])
        if not chosen:
            raise InvalidInput(_("Choose the operator who takes the request over."),
                               field="owner")
        self._call(requests.hand_over, to_operator_id=int(chosen), reason=str(values["reason"]))
        return _("Handed over.")

    # --- work orders ------------------------------------------------------------------

    def work_form(self, key: str) -> StepForm:
        card = self.card
        assert card is not None
        request = card.request
        app = self.desk_app
        title = f"{word(WORK_STEP_LABELS[key])} · {request.number}"
        if key == "wo_open":
            locations = [(str(value), label(LOCATION_LABELS, value)) for value in LOCATION_LABELS]
            paid = request.kind == RequestKind.PAID_SERVICE
            return StepForm(title, [
                FieldSpec("task", _("Work to do"), "area",
                          value=request.subject or request.summary[:500]),
                FieldSpec("location", _("Location"), "choice", locations,
                          value=WorkLocation.IN_HOME.value),
                FieldSpec("appointment_at", _("Appointment (14:30 or 2026-11-24 14:30)"),
                          value=suggest_appointment(app.desk.clock.now(), app.zone)),
                FieldSpec("technician", _("Technician")),
                FieldSpec("paid", _("Charge"), "choice",
                          [("free", _("free")), ("paid", _("paid"))],
                          "paid" if paid else "free"),
                FieldSpec("material_cost", _("Material cost agreed (yuan)")),
            ], self._open_order)
        order = self._active_order()
        if order is None or order.id is None:
            raise InvalidInput(_("This request has no work order in progress."),
                               field="work_order")
        order_id = order.id
        if key == "wo_arrive":
            return StepForm(title, [
                FieldSpec("arrived_at", _("Arrived at (empty: now)")),
                FieldSpec("technician", _("Technician"), value=order.technician),
            ], lambda v: self._done(self._call(
                workorders.record_arrival, target="work_order_id", target_id=order_id,
                arrived_at=self._time(v, "arrived_at"), technician=str(v["technician"])),
                _("Arrival recorded.")))
        if key == "wo_cost":
            return StepForm(title, [
                FieldSpec("material_cost", _("Material cost the resident agreed (yuan)"),
                          value=workorders.format_fen(order.material_cost_fen)),
            ], lambda v: self._done(self._call(
                workorders.agree_cost, target="work_order_id", target_id=order_id,
                material_cost_fen=parse_yuan(str(v["material_cost"]), field="material_cost")),
                _("Material cost agreed.")))
        if key == "wo_start":
            return StepForm(title, [], lambda v: self._done(self._call(
                workorders.start_work, target="work_order_id", target_id=order_id),
                _("Work started.")), intro=_("ctrl+s records that work starts now."))
        if key == "wo_complete":
            return StepForm(title, [
                FieldSpec("completion_result", _("Result of the work"), "area"),
                FieldSpec("completed_at", _("Completed at (empty: now)")),
            ], lambda v: self._done(self._call(
                workorders.complete_work, target="work_order_id", target_id=order_id,
                result=str(v["completion_result"]),
                completed_at=self._time(v, "completed_at")), _("Completion recorded.")))
        if key == "wo_confirm":
            public = order.location == WorkLocation.PUBLIC
            return StepForm(title, [
                FieldSpec("confirmed_by", _("Area staff who confirm") if public
                          else _("Resident who confirms"),
                          value="" if public else request.contact_name),
                FieldSpec("rating", _("Rating 1-5"), placeholder="5"),
            ], lambda v: self._done(self._call(
                workorders.confirm_work, target="work_order_id", target_id=order_id,
                confirmed_by=str(v["confirmed_by"]),
                rating=parse_rating(str(v["rating"]), field="rating")),
                _("Work confirmed.")))
        if key == "wo_cancel":
            return StepForm(title, [FieldSpec("reason", _("Reason"), "area")],
                            lambda v: self._done(self._call(
                                workorders.cancel_work_order, target="work_order_id",
                                target_id=order_id, reason=str(v["reason"])),
                                _("Work order cancelled.")),
                            confirm=_("Cancel this work order?"))
        raise InvalidInput(_("This step is not offered here."), field="work_order")

    def _open_order(self, values: Values) -> str:
        appointment = self._time(values, "appointment_at")
        if appointment is None:
            raise InvalidInput(_("Give the appointment time."), field="appointment_at")
        self._call(
            workorders.open_work_order, settings=True, task=str(values["task"]),
            location=str(values["location"]), appointment_at=appointment,
            technician=str(values["technician"]), paid=values["paid"] == "paid",
            material_cost_fen=parse_yuan(str(values["material_cost"]), field="material_cost"),
        )
        return _("Work order opened; ctrl+r prints it.")

