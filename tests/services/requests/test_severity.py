"""Severity rules of complaints, each just below and at its threshold; raising by hand;
never lowered silently."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput
from deskapp.models.requests import Escalation
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from deskapp.services.requests import deadlines, lifecycle
from deskapp.services.requests import rules as request_rules
from deskapp.services.requests.views import request_card
from tests.services.requests.test_requests_support import (  # noqa: F401 (fixtures)
    Homes,
    Staff,
    count,
    homes_fixture,
    load,
    new_request,
    staff_fixture,
)


def _severity(desk: Desk, request_id: int | None) -> str:
    return load(desk, request_id).severity


@pytest.mark.parametrize(("people", "expected"), [
    (1, "general"), (2, "general"), (3, "hot"), (9, "hot"), (10, "major"), (40, "major"),
])
def test_collective_complaints(desk: Desk, staff: Staff, homes: Homes, people: int,
                               expected: str):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, collective_people=people)
    assert _severity(desk, request.id) == expected


@pytest.mark.parametrize(("exposure", "expected"), [
    ("none", "general"), ("risk", "hot"), ("actual", "major"),
])
def test_lawsuit_or_media(desk: Desk, staff: Staff, homes: Homes, exposure: str, expected: str):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, exposure=exposure)
    assert _severity(desk, request.id) == expected


def test_needs_outside_help_is_important(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, needs_outside_help=True)
    assert _severity(desk, request.id) == "important"


def test_rules_apply_to_complaints_only(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="help",
                          collective_people=20)
    assert _severity(desk, request.id) == "general"


def test_third_different_resident_with_the_same_subject_makes_all_hot(desk: Desk, staff: Staff,
                                                                      homes: Homes):
    now = desk.clock.now()
    # All within a week, so that the age rule stays out of the way.
    first = new_request(desk, staff.operator, unit_id=homes.a.id, complaint_subject="equipment",
                        now=now - timedelta(days=6))
    # The same household again, and another subject: still two complainants.
    again = new_request(desk, staff.operator, unit_id=homes.a.id, complaint_subject="equipment",
                        now=now - timedelta(days=5))
    new_request(desk, staff.operator, unit_id=homes.c.id, complaint_subject="attitude",
                now=now - timedelta(days=5))
    second = new_request(desk, staff.operator, unit_id=homes.b.id, complaint_subject="equipment",
                         now=now - timedelta(days=2))
    assert {_severity(desk, r.id) for r in (first, again, second)} == {"general"}
    third = new_request(desk, staff.operator, kind="complaint", complaint_subject="equipment",
                        contact_name="访客", contact_phone="13600009999")
    assert _severity(desk, third.id) == "hot"
    assert {_severity(desk, r.id) for r in (first, again, second)} == {"hot"}
    assert count(desk, Escalation) == 4  # each hot complaint goes to the supervisor once


def test_subject_window_is_30_days(desk: Desk, staff: Staff, homes: Homes):
    now = desk.clock.now()
    window = timedelta(days=30)
    new_request(desk, staff.operator, unit_id=homes.a.id, complaint_subject="quality",
                now=now - window - timedelta(minutes=1))
    new_request(desk, staff.operator, unit_id=homes.b.id, complaint_subject="quality",
                now=now - timedelta(days=1))
    outside = new_request(desk, staff.operator, unit_id=homes.c.id, complaint_subject="quality")
    assert _severity(desk, outside.id) == "general"
    new_request(desk, staff.operator, unit_id=homes.empty.id, complaint_subject="quality",
                now=now - window + timedelta(minutes=1))
    inside = new_request(desk, staff.operator, unit_id=homes.d.id, complaint_subject="quality")
    assert _severity(desk, inside.id) == "hot"


def test_classifying_later_applies_the_rules(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    with transaction(desk.engine) as session:
        lifecycle.classify(session, acting=Acting(desk.site_id, staff.operator),
                           request_id=request.id,
                          settings=desk.settings, now=desk.clock.now(),
                          nature="valid", complaint_subject="incident", collective_people=3)
    assert _severity(desk, request.id) == "hot"


def _sweep(desk: Desk, now: datetime) -> request_rules.SweepReport:
    with transaction(desk.engine) as session:
        return request_rules.sweep(session, acting=Acting(desk.site_id), now=now,
                                   settings=desk.settings)


def test_unresolved_seven_days_becomes_hot(desk: Desk, staff: Staff, homes: Homes):
    received = desk.clock.now()
    request = new_request(desk, staff.operator, unit_id=homes.a.id, now=received)
    with transaction(desk.engine) as session:  # answered in time: no overdue escalation
        lifecycle.answer_resident(session, acting=Acting(desk.site_id, staff.operator),
                                  request_id=request.id,
                                 now=received + timedelta(hours=1),
                                 text="已答复")
    seven = received + timedelta(days=7)
    assert not _sweep(desk, seven - timedelta(minutes=1)).raised
    assert _severity(desk, request.id) == "general"
    report = _sweep(desk, seven)
    assert [(c.before, c.after) for c in report.raised] == [("general", "hot")]
    assert [e.level for e in report.escalations] == ["supervisor"]
    assert not _sweep(desk, seven).changed


def test_unresolved_thirty_days_is_major_only_through_our_fault(desk: Desk, staff: Staff,
                                                                homes: Homes):
    received = desk.clock.now()
    ours = new_request(desk, staff.operator, unit_id=homes.a.id, nature="valid", now=received)
    venting = new_request(desk, staff.operator, unit_id=homes.b.id, nature="venting",
                          now=received)
    thirty = received + timedelta(days=30)
    _sweep(desk, thirty - timedelta(minutes=1))
    assert (_severity(desk, ours.id), _severity(desk, venting.id)) == ("hot", "hot")
    report = _sweep(desk, thirty)
    assert [(c.number, c.after) for c in report.raised] == [(ours.number, "major")]
    assert "manager" in [e.level for e in report.escalations]
    assert _severity(desk, venting.id) == "hot"


def test_a_resolved_complaint_does_not_age(desk: Desk, staff: Staff, homes: Homes):
    received = desk.clock.now()
    request = new_request(desk, staff.operator, unit_id=homes.a.id, now=received)
    with transaction(desk.engine) as session:
        lifecycle.resolve(session, acting=Acting(desk.site_id, staff.operator),
                          request_id=request.id,
                         settings=desk.settings, now=received,
                         result="已处理")
    _sweep(desk, received + timedelta(days=40))
    assert _severity(desk, request.id) == "general"


def test_a_repeat_after_closure_is_important(desk: Desk, staff: Staff, homes: Homes):
    now = desk.clock.now()
    first = new_request(desk, staff.operator, unit_id=homes.a.id, complaint_subject="quality",
                        now=now - timedelta(days=20))
    with transaction(desk.engine) as session:
        for step in ("resolve", "revisit", "close"):
            when = now - timedelta(days=19)
            if step == "resolve":
                lifecycle.resolve(session, acting=Acting(desk.site_id, staff.operator),
                                  request_id=first.id,
                                 settings=desk.settings, now=when,
                                 result="已处理")
            elif step == "revisit":
                from deskapp.services.requests import revisits

                revisits.record_revisit(session, acting=Acting(desk.site_id, staff.operator),
                                        request_id=first.id,
                                        result="satisfied", settings=desk.settings, now=when)
            else:
                lifecycle.close(session, acting=Acting(desk.site_id, staff.operator),
                                request_id=first.id,
                               settings=desk.settings, now=when)
    linked = new_request(desk, staff.operator, unit_id=homes.b.id, related_request_id=first.id)
    assert _severity(desk, linked.id) == "important"
    same_unit = new_request(desk, staff.operator, unit_id=homes.a.id,
                            complaint_subject="quality")
    assert _severity(desk, same_unit.id) == "important"
    other_subject = new_request(desk, staff.operator, unit_id=homes.a.id,
                                complaint_subject="attitude")
    assert _severity(desk, other_subject.id) == "general"


def _raise(desk: Desk, actor: object, request_id: int | None, severity: str,
           reason: str = "业主扬言找媒体") -> None:
    with transaction(desk.engine) as session:
        request_rules.raise_severity(session, acting=Acting(desk.site_id, actor),
                                     request_id=request_id or 0,
                                     severity=severity, reason=reason, now=desk.clock.now(),
                                     settings=desk.settings)  # type: ignore[arg-type]


def _lower(desk: Desk, actor: object, request_id: int | None, severity: str,
           reason: str = "核实后为一般") -> None:
    with transaction(desk.engine) as session:
        request_rules.lower_severity(session, acting=Acting(desk.site_id, actor),
                                     request_id=request_id or 0,
                                     severity=severity, reason=reason, now=desk.clock.now(),
                                     settings=desk.settings)  # type: ignore[arg-type]


def test_raise_by_hand_needs_a_reason_and_a_higher_severity(desk: Desk, staff: Staff,
                                                            homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    with pytest.raises(InvalidInput) as refused:
        _raise(desk, staff.operator, request.id, "hot", reason=" ")
    assert refused.value.field == "reason"
    with pytest.raises(InvalidInput) as refused:
        _raise(desk, staff.operator, request.id, "general")
    assert refused.value.field == "severity"
    with pytest.raises(InvalidInput):
        _raise(desk, staff.operator, request.id, "extreme")
    _raise(desk, staff.operator, request.id, "hot")
    assert _severity(desk, request.id) == "hot"
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id or 0,
                            now=desk.clock.now())
    raised = [line for line in card.timeline if line.kind == "severity_raised"]
    assert raised[0].details == "general → hot: 业主扬言找媒体"
    assert [e.level for e in card.escalations] == ["supervisor"]


def test_lowering_needs_a_supervisor_and_not_below_the_rules(desk: Desk, staff: Staff,
                                                             homes: Homes):
    by_hand = new_request(desk, staff.operator, unit_id=homes.a.id)
    _raise(desk, staff.operator, by_hand.id, "major")
    with pytest.raises(Conflict):
        _lower(desk, staff.operator, by_hand.id, "general")
    with pytest.raises(InvalidInput):
        _lower(desk, staff.supervisor, by_hand.id, "major")
    _lower(desk, staff.supervisor, by_hand.id, "general")
    assert _severity(desk, by_hand.id) == "general"
    by_rule = new_request(desk, staff.operator, unit_id=homes.b.id, collective_people=4)
    with pytest.raises(Conflict) as refused:
        _lower(desk, staff.supervisor, by_rule.id, "general")
    assert "Collective complaint of 4 people" in refused.value.message
    assert _severity(desk, by_rule.id) == "hot"
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=by_hand.id or 0,
                            now=desk.clock.now())
    assert card.timeline[-1].kind == "severity_lowered"
    assert card.timeline[-1].operator_name == "赵敏"


def test_severity_of_a_closed_request_is_not_raised(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="inquiry")
    with transaction(desk.engine) as session:
        lifecycle.void(session, acting=Acting(desk.site_id, staff.operator), request_id=request.id,
                       now=desk.clock.now(),
                      reason="打错电话")
    with pytest.raises(Conflict):
        _raise(desk, staff.operator, request.id, "hot")


def test_lowering_the_severity_of_a_closed_request_is_refused_like_raising_it(
    desk: Desk, staff: Staff, homes: Homes
):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    _raise(desk, staff.operator, request.id, "hot")
    with transaction(desk.engine) as session:
        lifecycle.void(session, acting=Acting(desk.site_id, staff.operator), request_id=request.id,
                       now=desk.clock.now(),
                       reason="打错电话")
    with pytest.raises(Conflict) as raising:
        _raise(desk, staff.operator, request.id, "major")
    with pytest.raises(Conflict) as lowering:
        _lower(desk, staff.supervisor, request.id, "general")
    assert lowering.value.field == raising.value.field == "severity"
    assert lowering.value.message == raising.value.message == (
        f"Request {request.number} is closed: its severity stays as it was.")
    assert _severity(desk, request.id) == "hot"


def _reply_due(desk: Desk, request_id: int | None) -> datetime:
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request_id or 0,
                            now=desk.clock.now())
    return {d.kind: d.due_at for d in card.pending_deadlines}["resident_reply"]


def test_the_major_reply_time_is_counted_from_receipt_and_does_not_compound(
    desk: Desk, staff: Staff, homes: Homes, clock: FixedClock
):
    received = desk.clock.now()
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    assert _reply_due(desk, request.id) == received + timedelta(hours=24)
    clock.advance(timedelta(hours=1))
    _raise(desk, staff.operator, request.id, "major")
    assert _reply_due(desk, request.id) == received + timedelta(hours=48)
    clock.advance(timedelta(hours=1))
    _lower(desk, staff.supervisor, request.id, "hot")
    assert _reply_due(desk, request.id) == received + timedelta(hours=24)
    clock.advance(timedelta(hours=1))
    _raise(desk, staff.operator, request.id, "major")
    assert _reply_due(desk, request.id) == received + timedelta(hours=48)


def test_the_major_reply_time_keeps_the_time_the_clock_was_paused(
    desk: Desk, staff: Staff, homes: Homes, clock: FixedClock
):
    received = desk.clock.now()
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    with transaction(desk.engine) as session:
        deadlines.pause_clock(session, acting=Acting(desk.site_id, staff.operator),
                              request_id=request.id or 0,
                              reason="等业主回电", now=desk.clock.now())
    clock.advance(timedelta(minutes=90))
    with transaction(desk.engine) as session:
        deadlines.resume_clock(session, acting=Acting(desk.site_id, staff.operator),
                               request_id=request.id or 0,
                               now=desk.clock.now())
    assert _reply_due(desk, request.id) == received + timedelta(hours=25, minutes=30)
    _raise(desk, staff.operator, request.id, "major")
    _lower(desk, staff.supervisor, request.id, "hot")
    _raise(desk, staff.operator, request.id, "major")
    assert _reply_due(desk, request.id) == received + timedelta(hours=49, minutes=30)
