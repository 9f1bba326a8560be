"""Work orders: appointment not in the past, paid jobs agree the cost before work,
arrival deadline, completion, confirmation by the resident or the area's staff."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput
from deskapp.models.requests import WorkOrder
from deskapp.services.acting import Acting
from deskapp.services.requests import workorders
from deskapp.services.requests.views import request_card
from tests.services.requests.test_requests_support import (  # noqa: F401 (fixtures)
    Homes,
    Staff,
    count,
    homes_fixture,
    new_request,
    staff_fixture,
)


def _open(desk: Desk, staff: Staff, request_id: int | None, **fields: Any) -> WorkOrder:
    values: dict[str, Any] = {"task": "更换厨房水龙头", "location": "in_home",
                              "appointment_at": desk.clock.now() + timedelta(hours=2)}
    values.update(fields)
    with transaction(desk.engine) as session:
        return workorders.open_work_order(
            session, acting=Acting(desk.site_id, staff.operator), request_id=request_id or 0,
            settings=desk.settings,
            now=desk.clock.now(), **values)


def _step(desk: Desk, staff: Staff, name: str, order: WorkOrder, now: datetime | None = None,
          **fields: Any) -> WorkOrder:
    with transaction(desk.engine) as session:
        return getattr(workorders, name)(  # type: ignore[no-any-return]
            session, acting=Acting(desk.site_id, staff.operator), work_order_id=order.id,
            now=now or desk.clock.now(), **fields)


def test_appointment_in_the_past_is_refused(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair")
    now = desk.clock.now()
    with pytest.raises(InvalidInput) as refused:
        _open(desk, staff, request.id, appointment_at=now - timedelta(minutes=1))
    assert refused.value.field == "appointment_at"
    assert count(desk, WorkOrder) == 0
    order = _open(desk, staff, request.id, appointment_at=now + timedelta(minutes=1))
    assert order.status == "open"


@pytest.mark.parametrize(("fields", "field"), [
    ({"task": ""}, "task"), ({"task": "修🔧"}, "task"), ({"location": "roof"}, "location"),
    ({"material_cost_fen": 500}, "material_cost"),
    ({"paid": True, "material_cost_fen": -1}, "material_cost"),
])
def test_bad_work_orders_are_refused(desk: Desk, staff: Staff, homes: Homes,
                                     fields: dict[str, Any], field: str):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair")
    with pytest.raises(InvalidInput) as refused:
        _open(desk, staff, request.id, **fields)
    assert refused.value.field == field
    assert count(desk, WorkOrder) == 0


def test_work_orders_are_for_repairs_and_one_at_a_time(desk: Desk, staff: Staff, homes: Homes):
    complaint = new_request(desk, staff.operator, unit_id=homes.a.id)
    with pytest.raises(Conflict):
        _open(desk, staff, complaint.id)
    repair = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair")
    _open(desk, staff, repair.id)
    with pytest.raises(Conflict):
        _open(desk, staff, repair.id)


def test_a_paid_job_starts_only_after_the_cost_is_agreed(desk: Desk, staff: Staff,
                                                         homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="paid_service",
                          resident_id=homes.zhang.id)
    order = _open(desk, staff, request.id, paid=True, material_cost_fen=8_000)
    with pytest.raises(Conflict) as refused:
        _step(desk, staff, "start_work", order)
    assert refused.value.field == "cost_agreed"
    order = _step(desk, staff, "agree_cost", order, material_cost_fen=8_550)
    assert order.cost_agreed and order.material_cost_fen == 8_550
    assert workorders.format_fen(order.material_cost_fen) == "85.50"
    order = _step(desk, staff, "start_work", order)
    assert order.status == "started" and order.arrived_at is not None
    with pytest.raises(Conflict):
        _step(desk, staff, "agree_cost", order, material_cost_fen=9_000)


def test_a_free_job_has_no_cost_to_agree(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair")
    order = _open(desk, staff, request.id)
    with pytest.raises(Conflict):
        _step(desk, staff, "agree_cost", order, material_cost_fen=100)


def test_technician_arrival_is_a_deadline_of_the_request(desk: Desk, staff: Staff,
                                                         homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair")
    appointment = desk.clock.now() + timedelta(hours=2)
    order = _open(desk, staff, request.id, appointment_at=appointment)
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id or 0,
                            now=desk.clock.now())
    due = {d.kind: d.due_at for d in card.pending_deadlines}
    assert due["technician_arrival"] == appointment + timedelta(minutes=15)
    late = appointment + timedelta(minutes=16)
    with pytest.raises(InvalidInput) as refused:
        _step(desk, staff, "record_arrival", order, arrived_at=late)  # in the future
    assert refused.value.field == "arrived_at"
    order = _step(desk, staff, "record_arrival", order, now=late + timedelta(minutes=5),
                  arrived_at=late, technician="李师傅")
    assert workorders.is_late(order, desk.settings)
    on_time = order.model_copy(update={"arrived_at": appointment + timedelta(minutes=15)})
    assert not workorders.is_late(on_time, desk.settings)
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id or 0,
                            now=late)
    assert "technician_arrival" not in {d.kind for d in card.pending_deadlines}


def test_completion_and_confirmation_in_a_home(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair",
                          resident_id=homes.zhang.id)
    order = _open(desk, staff, request.id)
    with pytest.raises(Conflict):
        _step(desk, staff, "complete_work", order, result="已更换")
    order = _step(desk, staff, "start_work", order)
    with pytest.raises(InvalidInput):
        _step(desk, staff, "complete_work", order, result="")
    order = _step(desk, staff, "complete_work", order, result="已更换水龙头，试水正常")
    with pytest.raises(InvalidInput) as refused:
        _step(desk, staff, "confirm_work", order)
    assert refused.value.field == "rating"
    for bad in (0, 6):
        with pytest.raises(InvalidInput):
            _step(desk, staff, "confirm_work", order, rating=bad)
    order = _step(desk, staff, "confirm_work", order, rating=5)
    assert order.status == "confirmed" and order.confirmed_by == "张伟" and order.rating == 5
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id or 0,
                            now=desk.clock.now())
    assert [line.kind for line in card.timeline].count("work_order") == 5
    assert card.work_orders[0].id == order.id


def test_a_public_area_job_is_confirmed_by_the_area_staff(desk: Desk, staff: Staff,
                                                          homes: Homes):
    request = new_request(desk, staff.operator, kind="repair", contact_name="保洁员小刘",
                          contact_phone="13500001234", summary="2号楼大堂灯不亮")
    order = _open(desk, staff, request.id, location="public")
    order = _step(desk, staff, "start_work", order)
    order = _step(desk, staff, "complete_work", order, result="更换灯管")
    with pytest.raises(InvalidInput) as refused:
        _step(desk, staff, "confirm_work", order)
    assert refused.value.field == "confirmed_by"
    order = _step(desk, staff, "confirm_work", order, confirmed_by="保安队长老周")
    assert order.confirmed_by == "保安队长老周" and order.rating is None


def test_cancel_needs_a_reason(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair")
    order = _open(desk, staff, request.id)
    with pytest.raises(InvalidInput):
        _step(desk, staff, "cancel_work_order", order, reason="")
    order = _step(desk, staff, "cancel_work_order", order, reason="业主自行修好")
    assert order.status == "cancelled"
    _open(desk, staff, request.id)  # a new one may follow


def test_voiding_the_request_cancels_its_work_order_with_its_event_and_audit_entry(
    desk: Desk, staff: Staff, homes: Homes
):
    from deskapp.services.acting import Acting
    from deskapp.services.requests import lifecycle
    from tests.services.requests.test_requests_support import audit_actions

    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair")
    order = _open(desk, staff, request.id)
    with transaction(desk.engine) as session:
        lifecycle.void(session, acting=Acting(desk.site_id, staff.operator),
                       request_id=request.id or 0,
                       now=desk.clock.now(), reason="重复登记")
    with reading(desk.engine) as session:
        stored = session.get(WorkOrder, order.id)
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id or 0,
                            now=desk.clock.now())
    assert stored is not None
    assert (stored.status, stored.cancelled_reason) == ("cancelled", "重复登记")
    assert audit_actions(desk, "work_order.") == ["work_order.open", "work_order.cancel"]
    lines = [(line.kind, line.details) for line in card.timeline]
    assert lines[-2:] == [("work_order", "Work order cancelled: 重复登记"),
                          ("voided", "重复登记")]
