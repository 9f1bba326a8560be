"""Revisits: due 3 days after a complaint, 7 after a repair; the due list; an unsatisfied
revisit reopens the request."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle, revisits
from deskapp.services.requests.views import request_card
from tests.services.requests.test_requests_support import (  # noqa: F401 (fixtures)
    Homes,
    Staff,
    homes_fixture,
    load,
    new_request,
    staff_fixture,
)


def _resolve(desk: Desk, staff: Staff, request_id: int | None) -> None:
    with transaction(desk.engine) as session:
        lifecycle.resolve(session, acting=Acting(desk.site_id, staff.operator),
                          request_id=request_id or 0,
                         settings=desk.settings, now=desk.clock.now(),
                         result="已处理")


def _revisit(desk: Desk, staff: Staff, request_id: int | None, result: str,
             **fields: object) -> None:
    with transaction(desk.engine) as session:
        revisits.record_revisit(session, acting=Acting(desk.site_id, staff.colleague),
                                request_id=request_id or 0,
                                result=result, settings=desk.settings, now=desk.clock.now(),
                                **fields)  # type: ignore[arg-type]


def test_revisit_due_dates_by_kind(desk: Desk, staff: Staff, homes: Homes):
    now = desk.clock.now()
    complaint = new_request(desk, staff.operator, unit_id=homes.a.id)
    repair = new_request(desk, staff.operator, unit_id=homes.b.id, kind="repair")
    inquiry = new_request(desk, staff.operator, unit_id=homes.c.id, kind="inquiry")
    for request in (complaint, repair, inquiry):
        _resolve(desk, staff, request.id)
    with reading(desk.engine) as session:
        due = revisits.revisits_due(session, acting=Acting(desk.site_id), now=now)
        assert [(d.row.number, d.due_at) for d in due] == [
            (complaint.number, now + timedelta(days=3)),
            (repair.number, now + timedelta(days=7)),
        ]
        assert not any(d.overdue for d in due)
        later = revisits.revisits_due(session, acting=Acting(desk.site_id),
                                      now=now + timedelta(days=3, minutes=1))
        assert [d.overdue for d in later] == [True, False]
        within = revisits.revisits_due(session, acting=Acting(desk.site_id), now=now,
                                       until=now + timedelta(days=3, minutes=1))
        assert [d.row.number for d in within] == [complaint.number]
    # An inquiry needs no revisit: it closes at once.
    with transaction(desk.engine) as session:
        lifecycle.close(session, acting=Acting(desk.site_id, staff.operator),
                        request_id=inquiry.id or 0,
                       settings=desk.settings, now=now)


def test_a_satisfied_revisit_lets_the_request_close(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    _resolve(desk, staff, request.id)
    _revisit(desk, staff, request.id, "basically_satisfied", remarks="基本满意",
             resident_confirmed=True)
    assert load(desk, request.id).status == "revisited"
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id or 0,
                            now=desk.clock.now())
        assert revisits.revisits_due(session, acting=Acting(desk.site_id),
                                     now=desk.clock.now()) == []
    [visit] = card.revisits
    assert (visit.result, visit.visited_by, visit.resident_confirmed) == (
        "basically_satisfied", "刘洋", True)
    with transaction(desk.engine) as session:
        lifecycle.close(session, acting=Acting(desk.site_id, staff.operator),
                        request_id=request.id or 0,
                       settings=desk.settings, now=desk.clock.now())
    assert load(desk, request.id).status == "closed"


def test_an_unsatisfied_revisit_reopens_and_needs_remarks(desk: Desk, staff: Staff,
                                                         homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    _resolve(desk, staff, request.id)
    with pytest.raises(InvalidInput) as refused:
        _revisit(desk, staff, request.id, "unsatisfied")
    assert refused.value.field == "remarks"
    with pytest.raises(InvalidInput) as refused:
        _revisit(desk, staff, request.id, "so-so")
    assert refused.value.field == "result"
    assert load(desk, request.id).status == "resolved"
    _revisit(desk, staff, request.id, "unsatisfied", remarks="还在漏水", visited_by="赵敏")
    reopened = load(desk, request.id)
    assert reopened.status == "reopened" and reopened.is_open and reopened.reopen_count == 1
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id or 0,
                            now=desk.clock.now())
    assert [d.kind for d in card.pending_deadlines] == ["resident_reply"]
    assert [line.kind for line in card.timeline][-2:] == ["revisited", "reopened"]
    assert card.timeline[-1].details == "Unsatisfied at the revisit: 还在漏水"
    assert card.revisits[0].visited_by == "赵敏"


def test_revisit_only_after_resolution(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    with pytest.raises(Conflict):
        _revisit(desk, staff, request.id, "satisfied")
