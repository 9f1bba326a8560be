"""Work orders (维修单) of repairs and paid services, sent to engineering.

Appointment (预约时间, not in the past), in-home (入户) or public area (公共区域),
paid or free. On a paid job the material cost (in fen, 分) is told and agreed
before work starts. The technician arrives within ``technician_arrival_minutes``
of the appointment (a deadline of the request), signs completion with time and
result; the resident confirms and rates 1–5, a public-area job is confirmed by
the area's staff. Each step is an event on the request's timeline.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.i18n import _
from deskapp.models import Operator
from deskapp.models.requests import (
    DeadlineKind,
    EventKind,
    RequestKind,
    ServiceRequest,
    WorkLocation,
    WorkOrder,
    WorkOrderStatus,
)
from deskapp.services import audit
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.requests import deadlines
from deskapp.services.requests.checks import check_aware, clean_text, parse_choice, required_reason
from deskapp.services.requests.steps import Step, check_step
from deskapp.services.requests.timeline import (
    Fact,
    Label,
    add_event,
    get_request,
    message,
    require_actor,
)

WORK_KINDS = frozenset({RequestKind.REPAIR, RequestKind.PAID_SERVICE})
"""The kinds of request that get work orders."""
MAX_COST_FEN = 10_000_000  # 100,000 yuan: beyond that it is a project, not a repair
ACTIVE = (WorkOrderStatus.OPEN, WorkOrderStatus.ARRIVED, WorkOrderStatus.STARTED)
"""Work still to be done: only one such order per request, and it can be cancelled."""
PENDING = (*ACTIVE, WorkOrderStatus.COMPLETED)
"""An order with a step left: the active ones and completed work awaiting confirmation."""


class WorkStep(StrEnum):
    """The steps of a work order, each one service call below."""

    OPEN = "wo_open"  # open_work_order
    ARRIVE = "wo_arrive"  # record_arrival
    AGREE_COST = "wo_cost"  # agree_cost
    START = "wo_start"  # start_work
    COMPLETE = "wo_complete"  # complete_work
    CONFIRM = "wo_confirm"  # confirm_work
    CANCEL = "wo_cancel"  # cancel_work_order


def is_work_kind(kind: str) -> bool:
    """Repairs and paid services get work orders; other requests do not."""
    return kind in WORK_KINDS


def pending_order(orders: Sequence[WorkOrder]) -> WorkOrder | None:
    """The latest order of a request with a step left (``PENDING``), if any."""
    for order in reversed(orders):
        if order.status in PENDING:
            return order
    return None


def allowed_steps(order: WorkOrder) -> list[WorkStep]:
    """The steps the service accepts on ``order`` now, the usual next one first.

    The one place that knows the order's state machine: the screens offer these
    and nothing else, and each step function refuses what is not listed here.
    """
    status = order.status
    steps: list[WorkStep] = []
    if status == WorkOrderStatus.OPEN:
        steps.append(WorkStep.ARRIVE)
    if (status in ACTIVE and order.paid and not order.cost_agreed
            and order.started_at is None):
        steps.append(WorkStep.AGREE_COST)
    if status in (WorkOrderStatus.OPEN, WorkOrderStatus.ARRIVED) and (
            not order.paid or order.cost_agreed):
        steps.append(WorkStep.START)
    if status == WorkOrderStatus.STARTED:
        steps.append(WorkStep.COMPLETE)
    if status == WorkOrderStatus.COMPLETED:
        steps.append(WorkStep.CONFIRM)
    if status in ACTIVE:
        steps.append(WorkStep.CANCEL)
    return steps


def request_steps(kind: str, orders: Sequence[WorkOrder], *, may_open: bool) -> list[WorkStep]:
    """The work-order steps of a request: those of its pending order, else opening one
    when the lifecycle allows it now (``may_open``: ``Step.WORK_ORDER`` is allowed)."""
    if not is_work_kind(kind):
        return []
    order = pending_order(orders)
    if order is None:
        return [WorkStep.OPEN] if may_open else []
    return allowed_steps(order)


def format_fen(fen: int) -> str:
    """``12345`` → ``123.45`` (yuan)."""
    return f"{fen // 100}.{fen % 100:02d}"


def _check_cost(fen: int) -> int:
    if not isinstance(fen, int) or isinstance(fen, bool) or not 0 <= fen <= MAX_COST_FEN:
        raise InvalidInput(
            _("The material cost must be between 0 and {most} yuan.").format(
                most=format_fen(MAX_COST_FEN)),
            field="material_cost",
        )
    return fen


def _past_moment(moment: datetime | None, now: datetime, field: str) -> datetime:
    """A time the operator records afterwards: not in the future (default: now)."""
    if moment is None:
        return now
    check_aware(moment, field=field)
    if moment > now:
        raise InvalidInput(_("This time lies in the future."), field=field)
    return as_utc(moment)


def _event(session: Session, order: WorkOrder, *, now: datetime, actor: Operator,
           details: Fact, action: str, before: dict[str, object] | None = None) -> None:
    request = get_request(session, acting=Acting(order.site_id), request_id=order.request_id)
    add_event(session, request, now=now, actor=actor, kind=EventKind.WORK_ORDER, details=details)
    audit.record(
        session, now=now, actor=actor, action=action, entity="work_order", entity_id=order.id,
        site_id=order.site_id, before=before,
        after=audit.snapshot(order) | {"code": request.number},
    )


def get_work_order(session: Session, *, acting: Acting, work_order_id: int) -> WorkOrder:
    site_id = acting.site_id
    order = session.get(WorkOrder, work_order_id)
    if order is None or order.site_id != site_id:
        raise NotFound(_("This work order does not exist."), field="work_order")
    return order


def _active(order: WorkOrder) -> None:
    if order.status not in ACTIVE:
        raise Conflict(_("This work order is already finished or cancelled."),
                       field="work_order")


def open_work_order(
    session: Session, *, acting: Acting, request_id: int, settings: Settings, now: datetime,
    task: str, location: str, appointment_at: datetime,
    technician: str = "", paid: bool = False, material_cost_fen: int = 0,
) -> WorkOrder:
    """A work order for a repair or paid service; the appointment may not lie in the past."""
    site_id = acting.site_id
    actor = acting.operator
    actor = require_actor(actor)
    task = clean_text(task, field="task", label=_("work to do"), max_length=500, required=True)
    parsed_location = parse_choice(WorkLocation, location, field="location",
                                   label=_("location"))
    technician = clean_text(technician, field="technician", label=_("technician"),
                            max_length=64)
    check_aware(appointment_at, field="appointment_at")
    if appointment_at < now:
        raise InvalidInput(_("The appointment lies in the past; choose a later time."),
                           field="appointment_at")
    if appointment_at > now + timedelta(days=90):
        raise InvalidInput(_("The appointment is more than 90 days ahead; check the date."),
                           field="appointment_at")
    cost = _check_cost(material_cost_fen)
    if not paid and cost:
        raise InvalidInput(_("A free repair has no material cost; mark it paid or clear the cost."),
                           field="material_cost")
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    if request.kind not in WORK_KINDS:
        raise Conflict(_("Work orders are for repairs and paid services."), field="request")
    check_step(request, Step.WORK_ORDER)
    running = session.exec(
        select(WorkOrder).where(WorkOrder.request_id == request_id,
                                col(WorkOrder.status).in_([s.value for s in ACTIVE]))
    ).first()
    if running is not None:
        raise Conflict(_("This request already has a work order in progress."),
                       field="request")
    order = WorkOrder(
        site_id=site_id, request_id=request_id, task=task, location=parsed_location.value,
        appointment_at=as_utc(appointment_at), technician=technician, paid=paid,
        material_cost_fen=cost, created_by_id=actor.id, created_at=now,
    )
    session.add(order)
    session.flush()
    deadlines.add_deadline(
        session, request, kind=DeadlineKind.TECHNICIAN_ARRIVAL, now=now,
        due_at=deadlines.due_at_for(DeadlineKind.TECHNICIAN_ARRIVAL, as_utc(appointment_at),
                                    settings),
    )
    deadlines.refresh_next_due(session, request)
    details = message("work_order.opened", task=task,
                      location=Label("location", parsed_location.value))
    _event(session, order, now=now, actor=actor, details=details, action="work_order.open")
    return order


def agree_cost(
    session: Session, *, acting: Acting, work_order_id: int, material_cost_fen: int,
    now: datetime,
) -> WorkOrder:
    """The resident agrees to the material cost the technician told (paid jobs)."""
    actor = acting.operator
    actor = require_actor(actor)
    cost = _check_cost(material_cost_fen)
    order = get_work_order(session, acting=acting, work_order_id=work_order_id)
    _active(order)
    if not order.paid:
        raise Conflict(_("This repair is free; there is no cost to agree."),
                       field="material_cost")
    if order.started_at is not None:
        raise Conflict(_("Work has started; the cost had to be agreed before."),
                       field="material_cost")
    if order.cost_agreed:
        raise Conflict(_("The resident has already agreed the material cost."),
                       field="material_cost")
    before = audit.snapshot(order)
    order.material_cost_fen = cost
    order.cost_agreed = True
    order.cost_agreed_at = now
    session.add(order)
    session.flush()
    _event(session, order, now=now, actor=actor, before=before, action="work_order.agree_cost",
           details=message("work_order.cost_agreed", amount=format_fen(cost)))
    return order


def record_arrival(
    session: Session, *, acting: Acting, work_order_id: int, now: datetime,
    arrived_at: datetime | None = None, technician: str = "",
) -> WorkOrder:
    actor = acting.operator
    actor = require_actor(actor)
    arrived = _past_moment(arrived_at, now, "arrived_at")
    technician = clean_text(technician, field="technician", label=_("technician"),
                            max_length=64)
    order = get_work_order(session, acting=acting, work_order_id=work_order_id)
    if order.status != WorkOrderStatus.OPEN:
        raise Conflict(_("The technician's arrival is already recorded."), field="arrived_at")
    before = audit.snapshot(order)
    order.arrived_at = arrived
    order.status = WorkOrderStatus.ARRIVED.value
    if technician:
        order.technician = technician
    session.add(order)
    request = get_request(session, acting=acting, request_id=order.request_id)
    deadlines.settle(session, request, kinds=[DeadlineKind.TECHNICIAN_ARRIVAL], now=arrived,
                     met=True)
    deadlines.refresh_next_due(session, request)
    _event(session, order, now=now, actor=actor, before=before, action="work_order.arrive",
           details=message("work_order.arrived"))
    return order


def is_late(order: WorkOrder, settings: Settings) -> bool:
    """Arrived (or still not there) later than the appointment plus the allowed minutes."""
    if order.arrived_at is None:
        return False
    allowed = as_utc(order.appointment_at) + timedelta(minutes=settings.technician_arrival_minutes)
    return as_utc(order.arrived_at) > allowed


def start_work(
    session: Session, *, acting: Acting, work_order_id: int, now: datetime,
) -> WorkOrder:
    """Work begins; on a paid job only after the resident agreed the cost."""
    actor = acting.operator
    actor = require_actor(actor)
    order = get_work_order(session, acting=acting, work_order_id=work_order_id)
    if order.status not in (WorkOrderStatus.OPEN, WorkOrderStatus.ARRIVED):
        raise Conflict(_("Work on this order has already started or ended."),
                       field="work_order")
    if order.paid and not order.cost_agreed:
        raise Conflict(_("Paid repair: the resident must agree the material cost before work "
                         "starts."), field="cost_agreed")
    if order.status == WorkOrderStatus.OPEN:
        record_arrival(session, acting=acting, work_order_id=work_order_id, now=now)
    before = audit.snapshot(order)
    order.started_at = now
    order.status = WorkOrderStatus.STARTED.value
    session.add(order)
    session.flush()
    _event(session, order, now=now, actor=actor, before=before, action="work_order.start",
           details=message("work_order.started"))
    return order


def complete_work(
    session: Session, *, acting: Acting, work_order_id: int, result: str, now: datetime,
    completed_at: datetime | None = None,
) -> WorkOrder:
    """The technician signs completion with its time and result."""
    actor = acting.operator
    actor = require_actor(actor)
    result = clean_text(result, field="completion_result", label=_("result of the work"),
                        max_length=1000, required=True, multiline=True)
    completed = _past_moment(completed_at, now, "completed_at")
    order = get_work_order(session, acting=acting, work_order_id=work_order_id)
    if order.status != WorkOrderStatus.STARTED:
        raise Conflict(_("Record the start of the work before its completion."),
                       field="work_order")
    if order.started_at is not None and completed < as_utc(order.started_at):
        raise InvalidInput(_("Completion cannot come before the start of the work."),
                           field="completed_at")
    before = audit.snapshot(order)
    order.completed_at = completed
    order.completion_result = result
    order.status = WorkOrderStatus.COMPLETED.value
    session.add(order)
    session.flush()
    _event(session, order, now=now, actor=actor, before=before, action="work_order.complete",
           details=message("work_order.completed", result=result))
    return order


def confirm_work(
    session: Session, *, acting: Acting, work_order_id: int, now: datetime,
    confirmed_by: str = "", rating: int | None = None,
) -> WorkOrder:
    """The resident confirms and rates 1–5 (in-home); area staff confirm a public-area job."""
    actor = acting.operator
    actor = require_actor(actor)
    confirmed_by = clean_text(confirmed_by, field="confirmed_by", label=_("name"),
                              max_length=64)
    if rating is not None and (isinstance(rating, bool) or not 1 <= rating <= 5):
        raise InvalidInput(_("The rating is 1 to 5."), field="rating")
    order = get_work_order(session, acting=acting, work_order_id=work_order_id)
    if order.status != WorkOrderStatus.COMPLETED:
        raise Conflict(_("Only completed work can be confirmed."), field="work_order")
    request = session.get(ServiceRequest, order.request_id)
    assert request is not None
    if order.location == WorkLocation.PUBLIC:
        if not confirmed_by:
            raise InvalidInput(_("A public-area repair is confirmed by the area's staff: give "
                                 "their name."), field="confirmed_by")
    else:
        if rating is None:
            raise InvalidInput(_("Ask the resident for a rating from 1 to 5."), field="rating")
        confirmed_by = confirmed_by or request.contact_name
        if not confirmed_by:
            raise InvalidInput(_("Give the name of who confirms."), field="confirmed_by")
    before = audit.snapshot(order)
    order.confirmed_by = confirmed_by
    order.confirmed_at = now
    order.rating = rating
    order.status = WorkOrderStatus.CONFIRMED.value
    session.add(order)
    session.flush()
    details = (message("work_order.confirmed", name=confirmed_by) if rating is None
               else message("work_order.confirmed_rated", name=confirmed_by, rating=rating))
    _event(session, order, now=now, actor=actor, before=before, action="work_order.confirm",
           details=details)
    return order


def cancel_work_order(
    session: Session, *, acting: Acting, work_order_id: int, reason: str, now: datetime,
) -> WorkOrder:
    actor = acting.operator
    actor = require_actor(actor)
    reason = required_reason(reason)
    order = get_work_order(session, acting=acting, work_order_id=work_order_id)
    _active(order)
    before = audit.snapshot(order)
    order.status = WorkOrderStatus.CANCELLED.value
    order.cancelled_reason = reason
    session.add(order)
    request = get_request(session, acting=acting, request_id=order.request_id)
    deadlines.settle(session, request, kinds=[DeadlineKind.TECHNICIAN_ARRIVAL], now=now,
                     met=False)
    deadlines.refresh_next_due(session, request)
    _event(session, order, now=now, actor=actor, before=before, action="work_order.cancel",
           details=message("work_order.cancelled", reason=reason))
    return order
