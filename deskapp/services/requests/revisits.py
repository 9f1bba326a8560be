"""Revisits (回访) after a request is resolved: the due list and the result.

A complaint is revisited within ``revisit_complaint_days``, a repair, paid
service or help request within ``revisit_repair_days`` (calendar days; the
``revisit`` deadline is written when the request is resolved). Satisfied or
basically satisfied: the request is revisited and may be closed. Unsatisfied:
the request is reopened with a new reply deadline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.i18n import _
from deskapp.models.requests import (
    DeadlineKind,
    EventKind,
    RequestDeadline,
    Revisit,
    RevisitResult,
)
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.requests import deadlines, lifecycle
from deskapp.services.requests.checks import clean_text, parse_choice
from deskapp.services.requests.steps import Step, check_step
from deskapp.services.requests.timeline import (
    Label,
    add_event,
    audit_request,
    get_request,
    message,
    require_actor,
)
from deskapp.services.requests.views import QueueRow, rows_by_ids


def record_revisit(
    session: Session,
    *,
    acting: Acting,
    request_id: int,
    result: str,
    settings: Settings,
    now: datetime,
    remarks: str = "",
    visited_by: str = "",
    resident_confirmed: bool = False,
) -> Revisit:
    """Record what the resident said; ``visited_by`` defaults to the operator's name."""
    site_id = acting.site_id
    actor = acting.operator
    actor = require_actor(actor)
    parsed = parse_choice(RevisitResult, result, field="result", label=_("revisit result"))
    remarks = clean_text(remarks, field="remarks", label=_("remarks"), max_length=1000,
                         required=parsed is RevisitResult.UNSATISFIED, multiline=True)
    visited_by = clean_text(visited_by, field="visited_by", label=_("revisited by"), max_length=64)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.REVISIT)
    revisit = Revisit(
        site_id=site_id, request_id=request_id, at=now, result=parsed.value, remarks=remarks,
        visited_by=visited_by or actor.display_name, operator_id=actor.id,
        resident_confirmed=resident_confirmed,
    )
    session.add(revisit)
    session.flush()
    deadlines.settle(session, request, kinds=[DeadlineKind.REVISIT], now=now, met=True)
    said = Label("revisit_result", parsed.value)
    details = message("with_detail", what=said, detail=remarks) if remarks else said
    if parsed is RevisitResult.UNSATISFIED:
        add_event(session, request, now=now, actor=actor, kind=EventKind.REVISITED,
                  details=details)
        audit_request(session, request, action="request.revisit", now=now, actor=actor,
                      extra={"revisit": parsed.value, "remarks": remarks})
        lifecycle.reopen_row(session, request, settings=settings, now=now, actor=actor,
                            reason=message("revisit_unsatisfied", remarks=remarks))
        return revisit
    from_status = request.status
    request.status = check_step(request, Step.REVISIT).target or request.status
    request.updated_at = now
    session.add(request)
    session.flush()
    deadlines.refresh_next_due(session, request)
    add_event(session, request, now=now, actor=actor, kind=EventKind.REVISITED,
              details=details, from_status=from_status, to_status=request.status)
    audit_request(session, request, action="request.revisit", now=now, actor=actor,
                  extra={"revisit": parsed.value, "remarks": remarks})
    return revisit


@dataclass(frozen=True)
class RevisitDue:
    row: QueueRow
    due_at: datetime
    overdue: bool


def revisits_due(
    session: Session, *, acting: Acting, now: datetime, until: datetime | None = None,
    offset: int = 0, limit: int = 50,
) -> list[RevisitDue]:
    """Requests waiting for their revisit, the earliest due first (``until``: due before)."""
    site_id = acting.site_id
    query = (
        select(RequestDeadline.request_id, RequestDeadline.due_at)
        .where(
            RequestDeadline.site_id == site_id,
            col(RequestDeadline.pending).is_(True),
            RequestDeadline.kind == DeadlineKind.REVISIT.value,
        )
        .order_by(col(RequestDeadline.due_at), col(RequestDeadline.id))
    )
    if until is not None:
        query = query.where(col(RequestDeadline.due_at) < until)
    found = session.exec(query.offset(max(0, offset)).limit(max(1, min(limit, 200)))).all()
    rows = {row.id: row for row in rows_by_ids(
        session, acting=acting, ids=[request_id for request_id, _due in found], now=now)}
    return [
        RevisitDue(row=rows[request_id], due_at=as_utc(due), overdue=as_utc(due) < now)
        for request_id, due in found if request_id in rows
    ]


def revisit_history(session: Session, *, acting: Acting, request_id: int) -> list[Revisit]:
    site_id = acting.site_id
    return list(session.exec(
        select(Revisit).where(Revisit.site_id == site_id, Revisit.request_id == request_id)
        .order_by(col(Revisit.at))
    ).all())

