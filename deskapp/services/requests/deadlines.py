"""Deadlines of requests, the paused clock, and escalations to supervisor and manager.

Every pending deadline of a request is a row (``RequestDeadline``), so the
card shows all of them and the queue finds them by index; the nearest
unpaused one is repeated on the request as ``next_due_at`` for the queue order.

How each deadline is counted (domain.md §1, numbers from ``Settings``):

- department reply: ``department_reply_hours`` clock hours after dispatch;
- department report to its superior: ``department_escalation_hours`` OFFICE hours
  after dispatch (departments are not there at night);
- reply to the resident: ``resident_reply_hours`` clock hours after receipt
  (``resident_reply_hours_major`` for a major complaint), again after a reopening;
- result or explanation of what cannot be answered at once:
  ``deferred_answer_days`` WORKING days after the deferral (weekends, holidays
  and make-up working days from the working calendar);
- technician arrival: ``technician_arrival_minutes`` after the appointment;
- revisit: ``revisit_complaint_days`` calendar days after a complaint is
  resolved, ``revisit_repair_days`` after a repair, paid service or help request.
  Inquiries and suggestions need no revisit.

A paused clock (waiting for the resident) freezes every pending deadline;
resuming moves each one later by the paused time.

This module only keeps time: deadline rows, due times, the paused clock, and
the escalation record it is told to write. Which escalation a request gets,
and why, is decided by the rules (``rules.py``), which call down here and are
never called back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, cast, exists, func, literal
from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.errors import Conflict
from deskapp.i18n import _
from deskapp.models import Operator, Role
from deskapp.models.requests import (
    DeadlineKind,
    Escalation,
    EscalationLevel,
    EventKind,
    RequestDeadline,
    RequestKind,
    ServiceRequest,
    Severity,
)
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.requests.checks import clean_text, required_reason
from deskapp.services.requests.steps import Step, check_step
from deskapp.services.requests.timeline import (
    Fact,
    Label,
    add_event,
    audit_request,
    dumps,
    english,
    escalation_fact,
    get_request,
    message,
    require_actor,
)
from deskapp.services.text import check_length
from deskapp.services.workcalendar import WorkCalendar

MAX_REASON = 500  # Escalation.reason
MAX_NOTE = 500  # Escalation.note

REVISIT_COMPLAINT_KINDS = frozenset({RequestKind.COMPLAINT})
REVISIT_WORK_KINDS = frozenset({RequestKind.REPAIR, RequestKind.PAID_SERVICE, RequestKind.HELP})


def revisit_days(kind: str, settings: Settings) -> int | None:
    """Days after resolution by which a revisit is due; ``None`` when none is needed."""
    if kind in REVISIT_COMPLAINT_KINDS:
        return settings.revisit_complaint_days
    if kind in REVISIT_WORK_KINDS:
        return settings.revisit_repair_days
    return None


def resident_reply_hours(severity: str, settings: Settings) -> int:
    if severity == Severity.MAJOR:
        return settings.resident_reply_hours_major
    return settings.resident_reply_hours


def resident_reply_due(
    deadline: RequestDeadline, *, severity: str, settings: Settings
) -> datetime:
    """When a pending reply to the resident falls due for ``severity``.

    Counted from the deadline's start (the receipt, or the reopening) plus the
    time its clock was paused, never from its present due time: raising to major,
    lowering and raising again gives the major reply time once, not twice.
    """
    start = as_utc(deadline.created_at)
    return (due_at_for(DeadlineKind.RESIDENT_REPLY, start, settings, severity=severity)
            + timedelta(minutes=deadline.shifted_minutes))


def reschedule_resident_reply(
    session: Session, request: ServiceRequest, *, severity: str, settings: Settings
) -> None:
    """Move the pending reply to the resident to the reply time of ``severity``.

    The desk has 48 h instead of 24 h to answer a major complaint (it reports it
    upward): the reply is due that long after its start, whatever the severity was
    before (``resident_reply_due``).
    """
    assert request.id is not None
    for deadline in pending_deadlines(session, request.id):
        if deadline.kind == DeadlineKind.RESIDENT_REPLY:
            deadline.due_at = resident_reply_due(deadline, severity=severity, settings=settings)
            session.add(deadline)
    session.flush()
    refresh_next_due(session, request)


def due_at_for(
    kind: DeadlineKind, start: datetime, settings: Settings, *, severity: str = "general",
    request_kind: str = "",
) -> datetime:
    """When a deadline of ``kind`` started at ``start`` falls due (rules in the module doc)."""
    calendar = WorkCalendar.from_settings(settings)
    if kind is DeadlineKind.DEPARTMENT_REPLY:
        return start + timedelta(hours=settings.department_reply_hours)
    if kind is DeadlineKind.DEPARTMENT_REPORT:
        return calendar.add_office_hours(start, settings.department_escalation_hours * 60)
    if kind is DeadlineKind.RESIDENT_REPLY:
        return start + timedelta(hours=resident_reply_hours(severity, settings))
    if kind is DeadlineKind.DEFERRED_ANSWER:
        return calendar.add_working_days(start, settings.deferred_answer_days)
    if kind is DeadlineKind.TECHNICIAN_ARRIVAL:
        return start + timedelta(minutes=settings.technician_arrival_minutes)
    days = revisit_days(request_kind, settings)
    return start + timedelta(days=days if days is not None else settings.revisit_repair_days)


def add_deadline(
    session: Session, request: ServiceRequest, *, kind: DeadlineKind, due_at: datetime,
    now: datetime,
) -> RequestDeadline:
    """A new pending deadline; it starts paused when the request's clock is paused."""
    assert request.id is not None
    deadline = RequestDeadline(
        site_id=request.site_id, request_id=request.id, kind=kind.value, created_at=now,
        due_at=due_at, paused_at=now if request.paused_at is not None else None,
    )
    session.add(deadline)
    session.flush()
    return deadline


def pending_deadlines(session: Session, request_id: int) -> list[RequestDeadline]:
    return list(
        session.exec(
            select(RequestDeadline)
            .where(RequestDeadline.request_id == request_id, col(RequestDeadline.pending).is_(True))
            .order_by(col(RequestDeadline.due_at), col(RequestDeadline.id))
        ).all()
    )


def all_deadlines(session: Session, request_id: int) -> list[RequestDeadline]:
    return list(
        session.exec(
            select(RequestDeadline)
            .where(RequestDeadline.request_id == request_id)
            .order_by(col(RequestDeadline.due_at), col(RequestDeadline.id))
        ).all()
    )


def settle(
    session: Session, request: ServiceRequest, *, kinds: Iterable[DeadlineKind] | None,
    now: datetime, met: bool,
) -> list[RequestDeadline]:
    """Mark pending deadlines of ``kinds`` (all when ``None``) met or cancelled."""
    assert request.id is not None
    wanted = None if kinds is None else {kind.value for kind in kinds}
    settled = []
    for deadline in pending_deadlines(session, request.id):
        if wanted is not None and deadline.kind not in wanted:
            continue
        deadline.pending = False
        if met:
            deadline.met_at = now
        else:
            deadline.cancelled_at = now
        deadline.paused_at = None
        session.add(deadline)
        settled.append(deadline)
    session.flush()
    return settled


def refresh_next_due(session: Session, request: ServiceRequest) -> None:
    """Repeat the nearest pending, unpaused deadline on the request (for the queue)."""
    assert request.id is not None
    nearest = session.exec(
        select(func.min(RequestDeadline.due_at)).where(
            RequestDeadline.request_id == request.id,
            col(RequestDeadline.pending).is_(True),
            col(RequestDeadline.paused_at).is_(None),
        )
    ).one()
    request.next_due_at = as_utc(nearest) if nearest is not None else None
    session.add(request)
    session.flush()


def pause_clock(
    session: Session, *, acting: Acting, request_id: int, reason: str, now: datetime,
) -> ServiceRequest:
    """Stop the request's deadlines while the desk waits for the resident (reason required)."""
    actor = acting.operator
    actor = require_actor(actor)
    reason = required_reason(reason)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.PAUSE)
    if request.paused_at is not None:
        raise Conflict(
            _("The clock of {number} is already paused.").format(number=request.number),
            field="request",
        )
    request.paused_at = now
    request.pause_reason = reason
    for deadline in pending_deadlines(session, request_id):
        deadline.paused_at = now
        session.add(deadline)
    session.flush()
    refresh_next_due(session, request)
    add_event(session, request, now=now, actor=actor, kind=EventKind.PAUSED, details=reason)
    audit_request(session, request, action="request.pause", now=now, actor=actor,
                  extra={"reason": reason})
    return request


def resume_clock(
    session: Session, *, acting: Acting, request_id: int, now: datetime,
) -> ServiceRequest:
    """Start the clock again: every paused deadline moves later by the time it was paused."""
    actor = acting.operator
    actor = require_actor(actor)
    request = get_request(session, acting=acting, request_id=request_id, for_update=True)
    check_step(request, Step.RESUME)
    if request.paused_at is None:
        raise Conflict(
            _("The clock of {number} is not paused.").format(number=request.number),
            field="request",
        )
    paused_for = now - as_utc(request.paused_at)
    for deadline in pending_deadlines(session, request_id):
        if deadline.paused_at is None:
            continue
        shift = now - as_utc(deadline.paused_at)
        deadline.due_at = as_utc(deadline.due_at) + shift
        deadline.shifted_minutes += int(shift.total_seconds() // 60)
        deadline.paused_at = None
        session.add(deadline)
    request.paused_at = None
    request.pause_reason = ""
    session.flush()
    refresh_next_due(session, request)
    minutes = int(paused_for.total_seconds() // 60)
    add_event(session, request, now=now, actor=actor, kind=EventKind.RESUMED,
              details=message("clock_resumed", minutes=minutes))
    audit_request(session, request, action="request.resume", now=now, actor=actor,
                  extra={"paused_minutes": minutes})
    return request


def record_escalation(
    session: Session, request: ServiceRequest, *, level: EscalationLevel, cause: str,
    reason: Fact, now: datetime, actor: Operator | None,
) -> Escalation | None:
    """Write the escalation the rules decided, once per ``cause``; ``None`` if already written.

    The row, its timeline event and its audit entry; ``level``, ``cause`` and
    ``reason`` come from the caller (``rules.Referral``). The reason is kept as facts
    (said in the reader's language) and in English (``Escalation.reason``).
    """
    assert request.id is not None
    reason_text = check_length(english(reason), field="reason", label=_("reason"),
                               max_length=MAX_REASON)
    existing = session.exec(
        select(Escalation).where(
            Escalation.request_id == request.id, Escalation.level == level.value,
            Escalation.cause == cause,
        )
    ).first()
    if existing is not None:
        return None
    escalation = Escalation(
        site_id=request.site_id, request_id=request.id, level=level.value, cause=cause,
        reason=reason_text, facts=None if isinstance(reason, str) else dumps(reason),
        raised_at=now,
    )
    session.add(escalation)
    session.flush()
    add_event(session, request, now=now, actor=actor, kind=EventKind.ESCALATED,
              details=message("escalated", level=Label("escalation", level.value),
                              reason=reason))
    audit_request(session, request, action="request.escalate", now=now, actor=actor,
                  extra={"level": level.value, "cause": cause, "reason": reason_text})
    return escalation


def escalated(request_id: Any, *, level: EscalationLevel, cause: Any) -> Any:
    """``EXISTS`` an escalation of the request before ``level`` for ``cause`` (SQL
    expressions), for the sweep to skip in one query what was escalated before. Read
    through the unique index of (request, level, cause)."""
    return exists().where(
        col(Escalation.request_id) == request_id,
        col(Escalation.level) == level.value,
        col(Escalation.cause) == cause,
    )


def overdue_unescalated(
    session: Session, *, acting: Acting, now: datetime, level: EscalationLevel,
    cause_prefix: str,
) -> list[tuple[RequestDeadline, ServiceRequest]]:
    """Pending, unpaused deadlines past due (``due_at < now``) with no escalation before
    ``level`` for ``cause_prefix`` + the deadline's id yet, oldest due first.

    One query for all: the overdue deadlines already escalated are skipped by the
    database (``ix_request_deadline_overdue``, then the escalations' unique index),
    so a refresh reads only the deadlines that fell due since the last one.
    """
    site_id = acting.site_id
    cause = literal(cause_prefix) + cast(col(RequestDeadline.id), String)
    found = session.exec(
        select(RequestDeadline, ServiceRequest)
        .join(ServiceRequest, col(ServiceRequest.id) == col(RequestDeadline.request_id))
        .where(
            RequestDeadline.site_id == site_id,
            col(RequestDeadline.pending).is_(True),
            col(RequestDeadline.paused_at).is_(None),
            col(RequestDeadline.due_at) < now,
            ~escalated(col(RequestDeadline.request_id), level=level, cause=cause),
        )  # sorted here: an ORDER BY would choose the index that reads every row's pause
    ).all()
    return sorted(found, key=lambda pair: (as_utc(pair[0].due_at), pair[0].id or 0))


def acknowledge_escalation(
    session: Session, *, acting: Acting, escalation_id: int, note: str = "", now: datetime,
) -> Escalation:
    """The supervisor or manager takes the escalation (it leaves the dashboard count)."""
    site_id = acting.site_id
    actor = acting.operator
    actor = require_actor(actor)
    if actor.role not in (Role.SUPERVISOR, Role.MANAGER):
        raise Conflict(_("Only a supervisor or manager can acknowledge an escalation."))
    note = clean_text(note, field="note", label=_("note"), max_length=MAX_NOTE)
    escalation = session.get(Escalation, escalation_id)
    if escalation is None or escalation.site_id != site_id:
        raise Conflict(_("This escalation does not exist."), field="escalation")
    if not escalation.is_open:
        raise Conflict(_("This escalation was already acknowledged or closed."))
    if escalation.level == EscalationLevel.MANAGER and actor.role != Role.MANAGER:
        raise Conflict(_("An escalation to the manager is acknowledged by a manager."))
    escalation.is_open = False
    escalation.acknowledged_at = now
    escalation.acknowledged_by_id = actor.id
    escalation.note = note
    session.add(escalation)
    session.flush()
    request = get_request(session, acting=acting, request_id=escalation.request_id)
    add_event(session, request, now=now, actor=actor, kind=EventKind.ESCALATION_ACKNOWLEDGED,
              details=note or escalation_fact(escalation))
    audit_request(session, request, action="request.escalation_acknowledge", now=now,
                  actor=actor, extra={"escalation_id": escalation.id, "note": note})
    return escalation


def close_escalations(session: Session, request: ServiceRequest, *, now: datetime) -> None:
    """A request that is closed or voided takes its open escalations with it."""
    for escalation in session.exec(
        select(Escalation).where(
            Escalation.request_id == request.id, col(Escalation.is_open).is_(True)
        )
    ).all():
        escalation.is_open = False
        escalation.closed_at = now
        session.add(escalation)
    session.flush()


def open_escalations(session: Session, *, acting: Acting, limit: int = 50) -> list[Escalation]:
    site_id = acting.site_id
    return list(
        session.exec(
            select(Escalation)
            .where(Escalation.site_id == site_id, col(Escalation.is_open).is_(True))
            .order_by(col(Escalation.raised_at))
            .limit(limit)
        ).all()
    )


def dashboard_counts(
    session: Session, *, acting: Acting, now: datetime, next_shift_end: datetime
) -> tuple[int, int, int]:
    """(requests due before the shift ends, requests overdue, open escalations)."""
    site_id = acting.site_id
    open_requests = (
        select(func.count())
        .select_from(ServiceRequest)
        .where(ServiceRequest.site_id == site_id, col(ServiceRequest.is_open).is_(True))
    )
    due_in_shift = session.exec(
        open_requests.where(
            col(ServiceRequest.next_due_at) >= now, col(ServiceRequest.next_due_at) < next_shift_end
        )
    ).one()
    overdue = session.exec(open_requests.where(col(ServiceRequest.next_due_at) < now)).one()
    escalations = session.exec(
        select(func.count())
        .select_from(Escalation)
        .where(Escalation.site_id == site_id, col(Escalation.is_open).is_(True))
    ).one()
    return int(due_in_shift), int(overdue), int(escalations)
