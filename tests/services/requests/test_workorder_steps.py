"""The work-order steps a screen offers are exactly those the service accepts:
``workorders.allowed_steps`` is tried against every step function, in every state."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session

from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict
from deskapp.models.requests import WorkOrder, WorkOrderStatus
from deskapp.services.acting import Acting
from deskapp.services.requests import workorders
from deskapp.services.requests.workorders import WorkStep
from tests.services.requests.test_requests_support import (  # noqa: F401 (fixtures)
    Homes,
    Staff,
    homes_fixture,
    new_request,
    staff_fixture,
)

STEP_CALLS: dict[WorkStep, tuple[Callable[..., WorkOrder], dict[str, Any]]] = {
    WorkStep.ARRIVE: (workorders.record_arrival, {}),
    WorkStep.AGREE_COST: (workorders.agree_cost, {"material_cost_fen": 4_500}),
    WorkStep.START: (workorders.start_work, {}),
    WorkStep.COMPLETE: (workorders.complete_work, {"result": "更换了水龙头"}),
    WorkStep.CONFIRM: (workorders.confirm_work, {"rating": 5, "confirmed_by": "张伟"}),
    WorkStep.CANCEL: (workorders.cancel_work_order, {"reason": "住户改约"}),
}
"""Each step of an order with arguments the step accepts, so only the state decides."""

# How to bring a fresh order to each state: the steps taken, in order.
WALKS: dict[WorkOrderStatus, list[WorkStep]] = {
    WorkOrderStatus.OPEN: [],
    WorkOrderStatus.ARRIVED: [WorkStep.ARRIVE],
    WorkOrderStatus.STARTED: [WorkStep.START],
    WorkOrderStatus.COMPLETED: [WorkStep.START, WorkStep.COMPLETE],
    WorkOrderStatus.CONFIRMED: [WorkStep.START, WorkStep.COMPLETE, WorkStep.CONFIRM],
    WorkOrderStatus.CANCELLED: [WorkStep.CANCEL],
}
CASES = [
    pytest.param(status, paid, agreed, id=f"{status}-{'paid' if paid else 'free'}"
                 + ("-agreed" if paid and agreed else ""))
    for status in WorkOrderStatus
    for paid in (False, True)
    for agreed in ((False, True) if paid and status in (WorkOrderStatus.OPEN,
                                                         WorkOrderStatus.ARRIVED,
                                                         WorkOrderStatus.CANCELLED)
                   else (paid,))
]


def _take(session: Session, desk: Desk, staff: Staff, step: WorkStep,
          order: WorkOrder) -> WorkOrder:
    function, fields = STEP_CALLS[step]
    return function(session, acting=Acting(desk.site_id, staff.operator),
                    work_order_id=order.id, now=desk.clock.now(), **fields)


def _order_in(desk: Desk, staff: Staff, homes: Homes, status: WorkOrderStatus, *,
              paid: bool, agreed: bool) -> WorkOrder:
    request = new_request(desk, staff.operator, unit_id=homes.a.id,
                          kind="paid_service" if paid else "repair",
                          resident_id=homes.zhang.id)
    with transaction(desk.engine) as session:
        order = workorders.open_work_order(
            session, acting=Acting(desk.site_id, staff.operator), request_id=request.id or 0,
            settings=desk.settings,
            now=desk.clock.now(), task="更换厨房水龙头",
            location="in_home", appointment_at=desk.clock.now() + timedelta(hours=2),
            paid=paid)
        walk = WALKS[status]
        if paid and (agreed or WorkStep.START in walk):  # a paid job starts only agreed
            walk = [WorkStep.AGREE_COST, *walk]
        for step in walk:
            order = _take(session, desk, staff, step, order)
    assert order.status == status and order.cost_agreed == (paid and agreed)
    return order


def _accepted(desk: Desk, staff: Staff, order: WorkOrder, step: WorkStep) -> bool:
    """Whether the service takes ``step`` now; whatever it wrote is rolled back."""
    with Session(desk.engine) as session:
        fresh = session.get(WorkOrder, order.id)
        assert fresh is not None
        try:
            _take(session, desk, staff, step, fresh)
        except Conflict:
            return False
        finally:
            session.rollback()
    return True


@pytest.mark.parametrize(("status", "paid", "agreed"), CASES)
def test_offered_steps_are_exactly_the_accepted_ones(
    desk: Desk, staff: Staff, homes: Homes, status: WorkOrderStatus, paid: bool, agreed: bool
) -> None:
    order = _order_in(desk, staff, homes, status, paid=paid, agreed=agreed)
    offered = set(workorders.allowed_steps(order))
    accepted = {step for step in STEP_CALLS if _accepted(desk, staff, order, step)}
    assert offered == accepted


def test_a_paid_order_whose_cost_is_not_agreed_is_not_offered_start(
    desk: Desk, staff: Staff, homes: Homes
) -> None:
    order = _order_in(desk, staff, homes, WorkOrderStatus.ARRIVED, paid=True, agreed=False)
    assert workorders.allowed_steps(order) == [WorkStep.AGREE_COST, WorkStep.CANCEL]
    order = _order_in(desk, staff, homes, WorkOrderStatus.OPEN, paid=True, agreed=True)
    assert workorders.allowed_steps(order) == [WorkStep.ARRIVE, WorkStep.START,
                                               WorkStep.CANCEL]


def test_a_request_offers_opening_only_without_an_order_pending(
    desk: Desk, staff: Staff, homes: Homes
) -> None:
    assert workorders.request_steps("repair", [], may_open=True) == [WorkStep.OPEN]
    assert workorders.request_steps("repair", [], may_open=False) == []
    assert workorders.request_steps("complaint", [], may_open=True) == []
    done = _order_in(desk, staff, homes, WorkOrderStatus.COMPLETED, paid=False, agreed=False)
    cancelled = _order_in(desk, staff, homes, WorkOrderStatus.CANCELLED, paid=False,
                          agreed=False)
    assert workorders.request_steps("repair", [done, cancelled], may_open=True) == [
        WorkStep.CONFIRM]
    assert workorders.request_steps("repair", [cancelled], may_open=True) == [WorkStep.OPEN]
