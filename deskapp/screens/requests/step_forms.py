"""The table of step forms: which step of a request opens which form, with which fields,
and which service call its ctrl+s makes.

``StepForms.form(key)`` looks the key up in ``StepForms.table`` (a lifecycle
``Step``, a ``WorkStep``, ``raise_severity``, or ``ack:<escalation id>``) and builds
the ``StepForm`` shown by ``StepModal``. The calls go through ``call`` (the
screen's one transaction per action); nothing here touches a widget.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any, Protocol

from deskapp.errors import InvalidInput
from deskapp.formatting import parse_local_time
from deskapp.i18n import N_, _
from deskapp.models import Operator
from deskapp.models.requests import RequestKind, WorkLocation, WorkOrder
from deskapp.screens.requests.card_text import word
from deskapp.screens.requests.dialogs import (
    FieldSpec,
    StepForm,
    Values,
    parse_rating,
    parse_yuan,
    suggest_appointment,
)
from deskapp.services import versions
from deskapp.services.requests import deadlines, revisits, rules, workorders
from deskapp.services.requests import lifecycle as requests
from deskapp.services.requests.labels import (
    DEPARTMENT_LABELS,
    LOCATION_LABELS,
    REVISIT_RESULT_LABELS,
    SEVERITY_LABELS,
    label,
)
from deskapp.services.requests.steps import Step
from deskapp.services.requests.views import RequestCard
from deskapp.services.requests.workorders import WorkStep

WORK_STEP_LABELS: dict[str, str] = {
    WorkStep.OPEN: N_("work order: open"),
    WorkStep.ARRIVE: N_("work order: technician arrived"),
    WorkStep.AGREE_COST: N_("work order: material cost agreed"),
    WorkStep.START: N_("work order: work started"),
    WorkStep.COMPLETE: N_("work order: work completed"),
    WorkStep.CONFIRM: N_("work order: confirmation and rating"),
    WorkStep.CANCEL: N_("work order: cancel"),
}


class Clock(Protocol):
    def now(self) -> datetime: ...


Call = Callable[..., Any]
"""``call(function, *, settings=False, target="request_id", target_id=None, **kwargs)``:
one service call in its own transaction with the desk's site, time and operator."""


def _text(values: Values, name: str) -> str:
    return str(values.get(name, ""))


def _done(_result: object, message: str) -> str:
    return message


class StepForms:
    """The forms of one request's steps, built on demand from the card shown."""

    def __init__(
        self, card: RequestCard, *, call: Call, clock: Clock, zone: tzinfo,
        operator: Operator | None, operator_choices: Callable[[], list[tuple[str, str]]],
    ) -> None:
        self.card = card
        self.call = call
        self.clock = clock
        self.zone = zone
        self.operator = operator
        self.operator_choices = operator_choices
        self.table: dict[str, Callable[[], StepForm]] = {
            Step.DISPATCH: self.dispatch,
            Step.DEPARTMENT_REPORT: lambda: self.text_step(Step.DEPARTMENT_REPORT),
            Step.DEPARTMENT_REPLY: lambda: self.text_step(Step.DEPARTMENT_REPLY),
            Step.ANSWER: lambda: self.text_step(Step.ANSWER),
            Step.NOTE: lambda: self.text_step(Step.NOTE),
            Step.DEFER: self.defer,
            Step.RESOLVE: self.resolve,
            Step.REVISIT: self.revisit,
            Step.CLOSE: self.close,
            Step.REOPEN: self.reopen,
            Step.VOID: self.void,
            Step.HAND_OVER: self.hand_over,
            Step.PAUSE: self.pause,
            Step.RESUME: self.resume,
            Step.EDIT: self.edit,
            "raise_severity": self.raise_severity,
            WorkStep.OPEN: self.open_order,
            WorkStep.ARRIVE: self.arrive,
            WorkStep.AGREE_COST: self.agree_cost,
            WorkStep.START: self.start,
            WorkStep.COMPLETE: self.complete,
            WorkStep.CONFIRM: self.confirm,
            WorkStep.CANCEL: self.cancel_order,
        }

    def form(self, key: str) -> StepForm:
        """The form of ``key``; InvalidInput when the step is not offered here."""
        if key.startswith("ack:"):
            return self.acknowledge(int(key.split(":", 1)[1]))
        build = self.table.get(key)
        if build is None:
            raise InvalidInput(_("This step is not offered here."), field="request")
        return build()

    @property
    def number(self) -> str:
        return self.card.request.number

    def _time(self, values: Values, name: str) -> datetime | None:
        return parse_local_time(str(values[name]), now=self.clock.now(), zone=self.zone,
                                field=name)

    def _reason(self) -> FieldSpec:
        return FieldSpec("reason", _("Reason"), "area")

    # --- the request's lifecycle ------------------------------------------------------

    def dispatch(self) -> StepForm:
        request = self.card.request
        departments = [(str(value), label(DEPARTMENT_LABELS, value))
                       for value in DEPARTMENT_LABELS]
        return StepForm(
            _("Dispatch {number}").format(number=self.number),
            [FieldSpec("department", _("Department"), "choice", departments,
                       request.department or departments[0][0]),
             FieldSpec("assignee", _("Person in the department"), value=request.assignee),
             FieldSpec("needs_superior", _("Must ask its superior (interim report due)"),
                       "check", value=False),
             FieldSpec("note", _("Note for the department"))],
            lambda v: _done(self.call(
                requests.dispatch, settings=True, department=_text(v, "department"),
                assignee=_text(v, "assignee"), note=_text(v, "note"),
                needs_superior=bool(v["needs_superior"])), _("Dispatched.")),
        )

    def text_step(self, step: Step) -> StepForm:
        """A step that records one text: a report, a reply, an answer, a note."""
        function, title, field_label, done = {
            Step.DEPARTMENT_REPORT: (requests.department_report, _("Department report"),
                                     _("What the department reported"), _("Report recorded.")),
            Step.DEPARTMENT_REPLY: (requests.department_reply, _("Department reply"),
                                    _("What the department replied"), _("Reply recorded.")),
            Step.ANSWER: (requests.answer_resident, _("Answer the resident"),
                          _("What the resident was told"), _("Answer recorded.")),
            Step.NOTE: (requests.add_note, _("Note"), _("Note"), _("Note added.")),
        }[step]
        return StepForm(
            f"{title} · {self.number}", [FieldSpec("text", field_label, "area")],
            lambda v: _done(self.call(function, text=_text(v, "text")), done),
        )

    def defer(self) -> StepForm:
        return StepForm(
            _("Defer the answer · {number}").format(number=self.number), [self._reason()],
            lambda v: _done(self.call(requests.defer, settings=True,
                                      reason=_text(v, "reason")),
                            _("Deferred: the new deadline is on the card.")),
            intro=_("Record why it cannot be answered at once; the department head is "
                    "told."),
        )

    def resolve(self) -> StepForm:
        return StepForm(
            _("Resolve {number}").format(number=self.number),
            [FieldSpec("result", _("Handling result"), "area", value=self.card.request.result)],
            lambda v: _done(self.call(requests.resolve, settings=True,
                                      result=_text(v, "result")), _("Resolved.")),
        )

    def revisit(self) -> StepForm:
        results = [(str(value), label(REVISIT_RESULT_LABELS, value))
                   for value in REVISIT_RESULT_LABELS]
        operator = self.operator
        return StepForm(
            _("Revisit {number}").format(number=self.number),
            [FieldSpec("result", _("Result"), "choice", results, results[0][0]),
             FieldSpec("remarks", _("Remarks (required when unsatisfied)"), "area"),
             FieldSpec("visited_by", _("Visited by"),
                       placeholder=operator.display_name if operator else ""),
             FieldSpec("resident_confirmed", _("The resident confirmed"), "check")],
            self._record_revisit,
            intro=_("An unsatisfied revisit reopens the request."),
        )

    def _record_revisit(self, values: Values) -> str:
        self.call(revisits.record_revisit, settings=True, result=str(values["result"]),
                  remarks=str(values["remarks"]), visited_by=str(values["visited_by"]),
                  resident_confirmed=bool(values["resident_confirmed"]))
        if values["result"] == "unsatisfied":
            return _("Revisit recorded: not satisfied, the request is reopened.")
        return _("Revisit recorded.")

    def close(self) -> StepForm:
        return StepForm(
            _("Close {number}").format(number=self.number),
            [FieldSpec("note", _("Note"))],
            lambda v: _done(self.call(requests.close, settings=True,
                                      note=_text(v, "note")), _("Closed.")),
        )

    def reopen(self) -> StepForm:
        return StepForm(
            _("Reopen {number}").format(number=self.number), [self._reason()],
            lambda v: _done(self.call(requests.reopen, settings=True,
                                      reason=_text(v, "reason")), _("Reopened.")),
        )

    def void(self) -> StepForm:
        number = self.number
        return StepForm(
            _("Void {number}").format(number=number), [self._reason()],
            lambda v: _done(self.call(requests.void, reason=_text(v, "reason")),
                            _("Voided.")),
            intro=_("Voiding keeps the record with the reason; it cannot be undone."),
            confirm=_("Void request {number}? This cannot be undone.").format(number=number),
        )

    def hand_over(self) -> StepForm:
        return StepForm(
            _("Hand over {number}").format(number=self.number),
            [FieldSpec("owner", _("New owner"), "select", self.operator_choices(),
                       placeholder=_("Choose the operator")), self._reason()],
            self._hand_over,
            intro=_("Owner now: {name}").format(name=self.card.owner_name),
        )

    def _hand_over(self, values: Values) -> str:
        chosen = str(values["owner"])
        if not chosen:
            raise InvalidInput(_("Choose the operator who takes the request over."),
                               field="owner")
        self.call(requests.hand_over, to_operator_id=int(chosen), reason=str(values["reason"]))
        return _("Handed over.")

    def pause(self) -> StepForm:
        return StepForm(
            _("Pause the clock · {number}").format(number=self.number), [self._reason()],
            lambda v: _done(self.call(deadlines.pause_clock, reason=_text(v, "reason")),
                            _("Clock paused: deadlines wait.")),
            intro=_("While paused (waiting for the resident) the deadlines do not run."),
        )

    def resume(self) -> StepForm:
        return StepForm(
            _("Resume the clock · {number}").format(number=self.number), [],
            lambda v: _done(self.call(deadlines.resume_clock),
                            _("Clock running again; deadlines moved by the pause.")),
            intro=_("Paused: {reason}. ctrl+s resumes the clock.").format(
                reason=self.card.request.pause_reason),
        )

    def edit(self) -> StepForm:
        """Correct what was taken down: the form holds the request as shown on the card.

        The version the card was read at goes with the save: when another desk changed
        the request since, the service refuses with what changed and who changed it,
        everything typed stays, and the next ctrl+s saves it over the newer record."""
        request = self.card.request
        seen = {"version": request.version}
        opened = {name: str(getattr(request, name)) for name in (
            "summary", "subject", "wish", "location", "happened_text", "contact_name",
            "contact_phone")}

        def save(values: Values) -> str:
            # Only what the operator changed goes to the service: a field left as it was
            # opened never overwrites what another desk saved in it meanwhile.
            changed = {name: _text(values, name) for name, was in opened.items()
                       if _text(values, name) != was}
            if not changed:
                return _("Nothing was changed.")
            try:
                self.call(requests.edit_request, settings=True, seen_version=seen["version"],
                          **changed)
            except versions.ChangedMeanwhile as refused:
                seen["version"] = refused.version  # compared now: saving again applies it
                raise
            return _("Details corrected.")

        # The intake's own labels: the same field has the same name on both forms.
        return StepForm(
            _("Correct the details · {number}").format(number=self.number),
            [FieldSpec("summary", _("Summary"), "area", value=request.summary),
             FieldSpec("subject", _("Subject line"), value=request.subject),
             FieldSpec("wish", _("Resident's wish"), "area", value=request.wish),
             FieldSpec("location", _("Where"), value=request.location),
             FieldSpec("happened_text", _("When it happened"), value=request.happened_text),
             FieldSpec("contact_name", _("Contact"), value=request.contact_name),
             FieldSpec("contact_phone", _("Contact phone"), value=request.contact_phone)],
            save,
            intro=_("The timeline keeps what was there before."),
        )

    def raise_severity(self) -> StepForm:
        request = self.card.request
        higher = [(str(value), label(SEVERITY_LABELS, value)) for value in SEVERITY_LABELS
                  if rules.rank(str(value)) > rules.rank(request.severity)]
        if not higher:
            raise InvalidInput(_("{number} is already major.").format(number=self.number),
                               field="severity")
        return StepForm(
            _("Raise the severity · {number}").format(number=self.number),
            [FieldSpec("severity", _("Severity"), "choice", higher, higher[0][0]),
             self._reason()],
            lambda v: _done(self.call(
                rules.raise_severity, settings=True,
                severity=_text(v, "severity"), reason=_text(v, "reason")),
                _("Severity raised.")),
            intro=_("Now: {severity}").format(
                severity=label(SEVERITY_LABELS, request.severity)),
        )

    def acknowledge(self, escalation_id: int) -> StepForm:
        return StepForm(
            _("Acknowledge the escalation · {number}").format(number=self.number),
            [FieldSpec("note", _("Note"))],
            lambda v: _done(self.call(
                deadlines.acknowledge_escalation, target="escalation_id",
                target_id=escalation_id, note=_text(v, "note")),
                _("Escalation acknowledged.")),
        )

    # --- work orders ------------------------------------------------------------------

    def _work_title(self, step: WorkStep) -> str:
        return f"{word(WORK_STEP_LABELS[step])} · {self.number}"

    def _pending_order_id(self) -> tuple[WorkOrder, int]:
        order = workorders.pending_order(self.card.work_orders)
        if order is None or order.id is None:
            raise InvalidInput(_("This request has no work order in progress."),
                               field="work_order")
        return order, order.id

    def open_order(self) -> StepForm:
        request = self.card.request
        locations = [(str(value), label(LOCATION_LABELS, value)) for value in LOCATION_LABELS]
        paid = request.kind == RequestKind.PAID_SERVICE
        return StepForm(self._work_title(WorkStep.OPEN), [
            FieldSpec("task", _("Work to do"), "area",
                      value=request.subject or request.summary[:500]),
            FieldSpec("location", _("Location"), "choice", locations,
                      value=WorkLocation.IN_HOME.value),
            FieldSpec("appointment_at", _("Appointment (14:30 or 2026-11-24 14:30)"),
                      value=suggest_appointment(self.clock.now(), self.zone)),
            FieldSpec("technician", _("Technician")),
            FieldSpec("paid", _("Charge"), "choice",
                      [("free", _("free")), ("paid", _("paid"))],
                      "paid" if paid else "free"),
            FieldSpec("material_cost", _("Material cost agreed (yuan)")),
        ], self._open_order)

    def _open_order(self, values: Values) -> str:
        appointment = self._time(values, "appointment_at")
        if appointment is None:
            raise InvalidInput(_("Give the appointment time."), field="appointment_at")
        self.call(
            workorders.open_work_order, settings=True, task=str(values["task"]),
            location=str(values["location"]), appointment_at=appointment,
            technician=str(values["technician"]), paid=values["paid"] == "paid",
            material_cost_fen=parse_yuan(str(values["material_cost"]), field="material_cost"),
        )
        return _("Work order opened; ctrl+r prints it.")

    def arrive(self) -> StepForm:
        order, order_id = self._pending_order_id()
        return StepForm(self._work_title(WorkStep.ARRIVE), [
            FieldSpec("arrived_at", _("Arrived at (empty: now)")),
            FieldSpec("technician", _("Technician"), value=order.technician),
        ], lambda v: _done(self.call(
            workorders.record_arrival, target="work_order_id", target_id=order_id,
            arrived_at=self._time(v, "arrived_at"), technician=str(v["technician"])),
            _("Arrival recorded.")))

    def agree_cost(self) -> StepForm:
        order, order_id = self._pending_order_id()
        return StepForm(self._work_title(WorkStep.AGREE_COST), [
            FieldSpec("material_cost", _("Material cost the resident agreed (yuan)"),
                      value=workorders.format_fen(order.material_cost_fen)),
        ], lambda v: _done(self.call(
            workorders.agree_cost, target="work_order_id", target_id=order_id,
            material_cost_fen=parse_yuan(str(v["material_cost"]), field="material_cost")),
            _("Material cost agreed.")))

    def start(self) -> StepForm:
        _order, order_id = self._pending_order_id()
        return StepForm(self._work_title(WorkStep.START), [], lambda v: _done(self.call(
            workorders.start_work, target="work_order_id", target_id=order_id),
            _("Work started.")), intro=_("ctrl+s records that work starts now."))

    def complete(self) -> StepForm:
        _order, order_id = self._pending_order_id()
        return StepForm(self._work_title(WorkStep.COMPLETE), [
            FieldSpec("completion_result", _("Result of the work"), "area"),
            FieldSpec("completed_at", _("Completed at (empty: now)")),
        ], lambda v: _done(self.call(
            workorders.complete_work, target="work_order_id", target_id=order_id,
            result=str(v["completion_result"]),
            completed_at=self._time(v, "completed_at")), _("Completion recorded.")))

    def confirm(self) -> StepForm:
        order, order_id = self._pending_order_id()
        public = order.location == WorkLocation.PUBLIC
        return StepForm(self._work_title(WorkStep.CONFIRM), [
            FieldSpec("confirmed_by", _("Area staff who confirm") if public
                      else _("Resident who confirms"),
                      value="" if public else self.card.request.contact_name),
            FieldSpec("rating", _("Rating 1-5"), placeholder="5"),
        ], lambda v: _done(self.call(
            workorders.confirm_work, target="work_order_id", target_id=order_id,
            confirmed_by=str(v["confirmed_by"]),
            rating=parse_rating(str(v["rating"]), field="rating")),
            _("Work confirmed.")))

    def cancel_order(self) -> StepForm:
        _order, order_id = self._pending_order_id()
        return StepForm(self._work_title(WorkStep.CANCEL),
                        [FieldSpec("reason", _("Reason"), "area")],
                        lambda v: _done(self.call(
                            workorders.cancel_work_order, target="work_order_id",
                            target_id=order_id, reason=str(v["reason"])),
                            _("Work order cancelled.")),
                        confirm=_("Cancel this work order?"))
