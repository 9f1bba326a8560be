"""The lifecycle: every step from every status, allowed or refused as the table says;
the whole path with its timeline; hand-over, close, reopen and void rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.models.requests import RequestEvent, RequestStatus
from deskapp.services.acting import Acting
from deskapp.services.requests import deadlines, revisits, workorders
from deskapp.services.requests import lifecycle as requests
from deskapp.services.requests import rules as request_rules
from deskapp.services.requests.steps import TRANSITIONS, Step, allowed_steps
from deskapp.services.requests.views import request_card
from tests.services.requests.test_requests_support import (  # noqa: F401 (fixtures)
    Homes,
    Staff,
    audit_actions,
    count,
    homes_fixture,
    load,
    new_request,
    staff_fixture,
)

PATHS: dict[RequestStatus, list[Step]] = {
    RequestStatus.RECEIVED: [],
    RequestStatus.DISPATCHED: [Step.DISPATCH],
    RequestStatus.REPLIED: [Step.DISPATCH, Step.DEPARTMENT_REPLY],
    RequestStatus.ANSWERED: [Step.ANSWER],
    RequestStatus.RESOLVED: [Step.RESOLVE],
    RequestStatus.REVISITED: [Step.RESOLVE, Step.REVISIT],
    RequestStatus.CLOSED: [Step.RESOLVE, Step.REVISIT, Step.CLOSE],
    RequestStatus.REOPENED: [Step.RESOLVE, Step.REOPEN],
    RequestStatus.VOIDED: [Step.VOID],
}


def do(desk: Desk, staff: Staff, step: Step, request_id: int, **extra: Any) -> None:
    """Take ``step`` with valid input, as the screen would."""
    now = desk.clock.now()
    common: dict[str, Any] = {"acting": Acting(desk.site_id, staff.operator),
                              "request_id": request_id, "now": now}
    with_settings = common | {"settings": desk.settings}
    with transaction(desk.engine) as session:
        if step is Step.DISPATCH:
            requests.dispatch(session, **with_settings, department="engineering",
                              assignee="李师傅")
        elif step is Step.DEPARTMENT_REPORT:
            requests.department_report(session, **common, text="需请示经理")
        elif step is Step.DEPARTMENT_REPLY:
            requests.department_reply(session, **common, text="已更换水管")
        elif step is Step.DEFER:
            requests.defer(session, **with_settings, reason="需物业公司审批")
        elif step is Step.ANSWER:
            requests.answer_resident(session, **common, text="已电话答复业主")
        elif step is Step.RESOLVE:
            requests.resolve(session, **with_settings, result="已修好")
        elif step is Step.REVISIT:
            revisits.record_revisit(session, **with_settings, result="satisfied")
        elif step is Step.CLOSE:
            requests.close(session, **with_settings)
        elif step is Step.REOPEN:
            requests.reopen(session, **with_settings, reason="业主说又漏了")
        elif step is Step.VOID:
            requests.void(session, **common, reason="重复登记")
        elif step is Step.HAND_OVER:
            requests.hand_over(session, **common, to_operator_id=staff.colleague.id,
                               reason="交班")
        elif step is Step.EDIT:
            requests.edit_request(session, **common, subject="漏水")
        elif step is Step.CLASSIFY:
            requests.classify(session, **with_settings, collective_people=2)
        elif step is Step.PAUSE:
            deadlines.pause_clock(session, **common, reason="业主出差")
        elif step is Step.RESUME:
            deadlines.resume_clock(session, **common)
        elif step is Step.NOTE:
            requests.add_note(session, **common, text="业主来电催办")
        elif step is Step.WORK_ORDER:
            workorders.open_work_order(
                session, **with_settings, task="更换水管", location="in_home",
                appointment_at=now + timedelta(hours=2),
            )
        else:  # pragma: no cover - a new step must be added here
            raise AssertionError(step)


def bring_to(desk: Desk, staff: Staff, homes: Homes, status: RequestStatus, kind: str) -> int:
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind=kind)
    assert request.id is not None
    for step in PATHS[status]:
        do(desk, staff, step, request.id)
    assert load(desk, request.id).status == status
    return request.id


ALL_PAIRS = [(step, status) for step in Step for status in RequestStatus]


def test_every_step_has_a_path_and_every_status_a_way_in():
    assert set(PATHS) == set(RequestStatus)
    targets = {t.target for t in TRANSITIONS.values() if t.target is not None}
    assert targets | {RequestStatus.RECEIVED} == set(RequestStatus)
    assert set(TRANSITIONS) == set(Step)


@pytest.mark.parametrize(("step", "status"), ALL_PAIRS, ids=[f"{s}-from-{t}" for s, t in ALL_PAIRS])
def test_each_step_from_each_status(desk: Desk, staff: Staff, homes: Homes, step: Step,
                                    status: RequestStatus):
    # Repairs (for work orders); a suggestion for CLOSE, which needs no revisit.
    kind = "suggestion" if step is Step.CLOSE else "repair"
    request_id = bring_to(desk, staff, homes, status, kind)
    transition = TRANSITIONS[step]
    if step is Step.RESUME and status in transition.sources:
        do(desk, staff, Step.PAUSE, request_id)
    events_before = count(desk, RequestEvent)
    if status in transition.sources:
        do(desk, staff, step, request_id)
        after = load(desk, request_id).status
        assert after == (transition.target or status)
        assert count(desk, RequestEvent) > events_before
    else:
        with pytest.raises(Conflict) as refused:
            do(desk, staff, step, request_id)
        assert refused.value.field == "request"
        assert load(desk, request_id).status == status
        assert count(desk, RequestEvent) == events_before


def test_the_whole_path_leaves_a_timeline_and_an_audit_trail(desk: Desk, staff: Staff,
                                                             homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    assert request.id is not None
    for step in (Step.DISPATCH, Step.DEPARTMENT_REPLY, Step.ANSWER, Step.RESOLVE, Step.REVISIT,
                 Step.CLOSE):
        do(desk, staff, step, request.id)
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id,
                            now=desk.clock.now())
    assert [(line.kind, line.from_status, line.to_status) for line in card.timeline] == [
        ("received", None, "received"),
        ("dispatched", "received", "dispatched"),
        ("department_replied", "dispatched", "replied"),
        ("answered", "replied", "answered"),
        ("resolved", "answered", "resolved"),
        ("revisited", "resolved", "revisited"),
        ("closed", "revisited", "closed"),
    ]
    assert all(line.operator_name == "王芳" for line in card.timeline)
    assert card.pending_deadlines == []
    assert {d.kind for d in card.past_deadlines} == {"resident_reply", "department_reply",
                                                     "revisit"}
    assert all(d.met_at is not None for d in card.past_deadlines)
    assert card.request.is_open is False
    assert card.steps == [Step.REOPEN]
    assert audit_actions(desk) == ["request.create", "request.dispatch",
                                   "request.department_reply", "request.answer",
                                   "request.resolve", "request.revisit", "request.close"]


def test_closing_before_a_due_revisit_is_refused(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    assert request.id is not None
    do(desk, staff, Step.RESOLVE, request.id)
    with pytest.raises(Conflict) as refused:
        do(desk, staff, Step.CLOSE, request.id)
    assert "revisit" in refused.value.message
    assert "2026-11-26 10:00" in refused.value.message  # 3 days, shown in Beijing time
    assert load(desk, request.id).status == "resolved"


def test_dispatching_a_closed_request_says_why(desk: Desk, staff: Staff, homes: Homes):
    request_id = bring_to(desk, staff, homes, RequestStatus.CLOSED, "complaint")
    with pytest.raises(Conflict) as refused:
        do(desk, staff, Step.DISPATCH, request_id)
    assert refused.value.message == (
        f'Request {load(desk, request_id).number} is closed: "dispatch" is not possible now.')


def test_allowed_steps_follow_the_table_and_the_clock(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    assert request.id is not None
    steps = allowed_steps(load(desk, request.id))
    assert Step.PAUSE in steps and Step.RESUME not in steps
    assert Step.CLOSE not in steps and Step.DEPARTMENT_REPLY not in steps
    do(desk, staff, Step.PAUSE, request.id)
    steps = allowed_steps(load(desk, request.id))
    assert Step.RESUME in steps and Step.PAUSE not in steps


def _hand_over(desk: Desk, actor: Any, request_id: int, to: int | None, reason: str) -> None:
    with transaction(desk.engine) as session:
        requests.hand_over(session, acting=Acting(desk.site_id, actor), request_id=request_id,
                           now=desk.clock.now(), to_operator_id=to or 0,
                           reason=reason)


def test_hand_over_needs_a_reason_and_the_owner_or_a_supervisor(desk: Desk, staff: Staff,
                                                                homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    assert request.id is not None
    with pytest.raises(InvalidInput) as refused:
        _hand_over(desk, staff.operator, request.id, staff.colleague.id, "  ")
    assert refused.value.field == "reason"
    with pytest.raises(Conflict) as refused:
        _hand_over(desk, staff.colleague, request.id, staff.colleague.id, "我来跟")
    assert refused.value.field == "owner"
    with pytest.raises(InvalidInput):
        _hand_over(desk, staff.operator, request.id, staff.guard.id, "交班")
    with pytest.raises(InvalidInput):
        _hand_over(desk, staff.operator, request.id, staff.operator.id, "交班")
    with pytest.raises(NotFound):
        _hand_over(desk, staff.operator, request.id, 999, "交班")
    assert load(desk, request.id).owner_id == staff.operator.id
    _hand_over(desk, staff.operator, request.id, staff.colleague.id, "下班交接")
    assert load(desk, request.id).owner_id == staff.colleague.id
    _hand_over(desk, staff.supervisor, request.id, staff.operator.id, "刘洋请假")
    assert load(desk, request.id).owner_id == staff.operator.id
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id,
                            now=desk.clock.now())
    assert card.timeline[1].details == "王芳 → 刘洋: 下班交接"
    assert card.timeline[2].operator_name == "赵敏"


def test_void_needs_a_reason_and_ends_every_deadline(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair")
    assert request.id is not None
    do(desk, staff, Step.DISPATCH, request.id)
    do(desk, staff, Step.WORK_ORDER, request.id)
    with pytest.raises(InvalidInput) as refused, transaction(desk.engine) as session:
        requests.void(session, acting=Acting(desk.site_id, staff.operator), request_id=request.id,
                      now=desk.clock.now(), reason="")
    assert refused.value.field == "reason"
    do(desk, staff, Step.VOID, request.id)
    voided = load(desk, request.id)
    assert voided.voided_reason == "重复登记" and voided.is_open is False
    assert voided.next_due_at is None
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id,
                            now=desk.clock.now())
    assert card.pending_deadlines == []
    assert card.work_orders[0].status == "cancelled"


def test_reopening_a_closed_complaint_makes_it_important(desk: Desk, staff: Staff,
                                                         homes: Homes):
    request_id = bring_to(desk, staff, homes, RequestStatus.CLOSED, "complaint")
    do(desk, staff, Step.REOPEN, request_id)
    reopened = load(desk, request_id)
    assert reopened.status == "reopened" and reopened.is_open
    assert reopened.severity == "important"
    assert reopened.reopen_count == 1
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request_id,
                            now=desk.clock.now())
    assert [d.kind for d in card.pending_deadlines] == ["resident_reply"]
    assert card.timeline[-1].kind == "severity_raised"


def test_reopening_a_resolved_request_does_not_raise_it(desk: Desk, staff: Staff, homes: Homes):
    request_id = bring_to(desk, staff, homes, RequestStatus.REOPENED, "complaint")
    assert load(desk, request_id).severity == "general"


def test_redispatch_replaces_the_department_deadline(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    assert request.id is not None
    do(desk, staff, Step.DISPATCH, request.id)
    desk.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    with transaction(desk.engine) as session:
        requests.dispatch(session, acting=Acting(desk.site_id, staff.operator),
                          request_id=request.id,
                          settings=desk.settings, now=desk.clock.now(),
                          department="cleaning")
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id,
                            now=desk.clock.now())
    pending = [(d.kind, d.due_at) for d in card.pending_deadlines]
    assert ("department_reply", desk.clock.now() + timedelta(hours=24)) in pending
    assert len([k for k, _due in pending if k == "department_reply"]) == 1
    assert load(desk, request.id).department == "cleaning"


def test_bad_department_is_refused(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    with pytest.raises(InvalidInput) as refused, transaction(desk.engine) as session:
        requests.dispatch(session, acting=Acting(desk.site_id, staff.operator),
                          request_id=request.id,
                          settings=desk.settings, now=desk.clock.now(),
                          department="kitchen")
    assert refused.value.field == "department"
    assert load(desk, request.id).status == "received"


def test_a_request_of_another_site_is_not_found(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    with pytest.raises(NotFound), transaction(desk.engine) as session:
        requests.add_note(session, acting=Acting(desk.site_id + 1, staff.operator),
                          request_id=request.id,
                          now=desk.clock.now(), text="x")


def test_unauthenticated_steps_are_refused(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    with pytest.raises(InvalidInput) as refused, transaction(desk.engine) as session:
        requests.add_note(session, acting=Acting(desk.site_id), request_id=request.id,
                          now=desk.clock.now(), text="x")
    assert "Sign in first" in refused.value.message  # refused for who, not for what


def test_severity_helpers_are_reachable(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    with reading(desk.engine) as session:
        assert request_rules.evaluate(session, load(desk, request.id), now=desk.clock.now(),
                                      settings=desk.settings) == []
