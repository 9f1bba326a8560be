"""What the screens show of requests: the queue, one request's card, a unit's context
at intake, and search. Queries only; every list is paginated and uses an index
that starts with ``site_id`` (open requests are found through ``is_open``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import exists
from sqlmodel import Session, col, select

from deskapp.errors import InvalidInput, NotFound
from deskapp.i18n import _
from deskapp.models import Operator, Resident, Unit
from deskapp.models.requests import (
    DeadlineKind,
    Escalation,
    RequestDeadline,
    RequestEvent,
    Revisit,
    ServiceRequest,
    StandingInstruction,
    WorkOrder,
)
from deskapp.services import directory, search
from deskapp.services.clock import as_utc
from deskapp.services.instructions import active_instructions
from deskapp.services.privacy import mask_phone
from deskapp.services.requests.steps import Step, allowed_steps
from deskapp.services.requests.timeline import describe, escalation_reason, get_request

MAX_PAGE = 200
DEFAULT_DUE_SOON = timedelta(hours=8)
_NUMBER = re.compile(r"^\d{6}-\d{1,5}$")
_DAY_PREFIX = re.compile(r"^\d{6}-?$")


class QueueView(StrEnum):
    OVERDUE = "overdue"  # 已超时
    DUE_SOON = "due_soon"  # 本班到期
    MINE = "mine"  # 我的
    ALL_OPEN = "all_open"  # 全部未结
    ESCALATED = "escalated"  # 已上报
    PAUSED = "paused"  # 暂停计时
    REVISIT_DUE = "revisit_due"  # 待回访
    RECENT = "recent"  # 全部 (含已结), 最新在前


@dataclass(frozen=True)
class QueueRow:
    """One line of a request list: everything the list shows, phone masked."""

    id: int
    number: str
    received_at: datetime
    unit_code: str
    contact_name: str
    masked_phone: str
    kind: str
    severity: str
    status: str
    owner_id: int
    owner_name: str
    next_due_at: datetime | None
    overdue: bool
    paused: bool
    subject: str


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    offset: int
    has_more: bool


def _row(request: ServiceRequest, unit_code: str | None, owner_name: str | None,
         now: datetime) -> QueueRow:
    assert request.id is not None
    next_due = as_utc(request.next_due_at) if request.next_due_at is not None else None
    subject = request.subject or " ".join(request.summary.split())[:40]
    return QueueRow(
        id=request.id, number=request.number, received_at=as_utc(request.received_at),
        unit_code=unit_code or "", contact_name=request.contact_name,
        masked_phone=mask_phone(request.contact_phone) if request.contact_phone else "",
        kind=request.kind, severity=request.severity, status=request.status,
        owner_id=request.owner_id, owner_name=owner_name or "", next_due_at=next_due,
        overdue=next_due is not None and next_due < now and request.is_open,
        paused=request.paused_at is not None, subject=subject,
    )


def _base_query() -> Any:
    return (
        select(ServiceRequest, Unit.code, Operator.display_name)
        .outerjoin(Unit, col(Unit.id) == col(ServiceRequest.unit_id))
        .outerjoin(Operator, col(Operator.id) == col(ServiceRequest.owner_id))
    )


def queue(
    session: Session,
    *,
    site_id: int,
    now: datetime,
    view: str = QueueView.ALL_OPEN.value,
    operator_id: int | None = None,
    kind: str | None = None,
    status: str | None = None,
    severity: str | None = None,
    building: str | None = None,
    due_before: datetime | None = None,
    offset: int = 0,
    limit: int = 50,
) -> QueuePage:
    """One page of a queue view, most urgent first (``recent``: newest first).

    ``due_soon`` lists what falls due before ``due_before`` (pass the end of the
    shift, ``WorkCalendar.next_shift_end(now)``; default 8 hours). ``mine`` needs
    ``operator_id``.
    """
    try:
        chosen = QueueView(view)
    except ValueError:
        raise InvalidInput(_("Unknown queue view {view}.").format(view=view),
                           field="view") from None
    limit = max(1, min(limit, MAX_PAGE))
    offset = max(0, offset)
    query = _base_query().where(ServiceRequest.site_id == site_id)
    if chosen is not QueueView.RECENT:
        query = query.where(col(ServiceRequest.is_open).is_(True))
    if chosen is QueueView.OVERDUE:
        query = query.where(col(ServiceRequest.next_due_at) < now)
    elif chosen is QueueView.DUE_SOON:
        until = due_before or now + DEFAULT_DUE_SOON
        query = query.where(col(ServiceRequest.next_due_at) >= now,
                            col(ServiceRequest.next_due_at) < until)
    elif chosen is QueueView.MINE:
        if operator_id is None:
            raise InvalidInput(_("Sign in to see your own requests."), field="view")
        query = query.where(ServiceRequest.owner_id == operator_id)
    elif chosen is QueueView.ESCALATED:
        query = query.where(exists().where(
            col(Escalation.request_id) == col(ServiceRequest.id),
            col(Escalation.is_open).is_(True),
        ))
    elif chosen is QueueView.PAUSED:
        query = query.where(col(ServiceRequest.paused_at).is_not(None))
    elif chosen is QueueView.REVISIT_DUE:
        query = query.where(exists().where(
            col(RequestDeadline.request_id) == col(ServiceRequest.id),
            col(RequestDeadline.pending).is_(True),
            col(RequestDeadline.kind) == DeadlineKind.REVISIT.value,
        ))
    if kind:
        query = query.where(ServiceRequest.kind == kind)
    if status:
        query = query.where(ServiceRequest.status == status)
    if severity:
        query = query.where(ServiceRequest.severity == severity)
    if building:
        query = query.where(Unit.building == directory.normalize_unit_code(building))
    if chosen is QueueView.RECENT:
        query = query.order_by(col(ServiceRequest.received_at).desc(),
                               col(ServiceRequest.id).desc())
    else:
        query = query.order_by(col(ServiceRequest.next_due_at).asc().nulls_last(),
                               col(ServiceRequest.id))
    rows = session.exec(query.offset(offset).limit(limit + 1)).all()
    page = [_row(request, code, owner, now) for request, code, owner in rows[:limit]]
    return QueuePage(rows=page, offset=offset, has_more=len(rows) > limit)


# --- one request ----------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineLine:
    at: datetime
    kind: str
    operator_name: str
    from_status: str | None
    to_status: str | None
    details: str


@dataclass(frozen=True)
class DeadlineView:
    id: int
    kind: str
    due_at: datetime
    pending: bool
    met_at: datetime | None
    cancelled_at: datetime | None
    paused: bool
    overdue: bool
    shifted_minutes: int


@dataclass
class RequestCard:
    """Everything one request shows: the record (phone in full), its timeline oldest
    first, every deadline (pending ones first), work orders, revisits, escalations,
    and the steps the lifecycle allows now.

    Timeline details and escalation reasons are said in the language current when the
    card is built (``timeline.describe``); ``escalations`` are detached copies whose
    ``reason`` is that text, so they are for showing, never for saving."""

    request: ServiceRequest
    unit_code: str
    resident_name: str
    owner_name: str
    related_number: str
    timeline: list[TimelineLine]
    pending_deadlines: list[DeadlineView]
    past_deadlines: list[DeadlineView]
    work_orders: list[WorkOrder]
    revisits: list[Revisit]
    escalations: list[Escalation]
    steps: list[Step] = field(default_factory=list)


def _deadline_view(deadline: RequestDeadline, now: datetime) -> DeadlineView:
    assert deadline.id is not None
    due = as_utc(deadline.due_at)
    paused = deadline.paused_at is not None
    return DeadlineView(
        id=deadline.id, kind=deadline.kind, due_at=due, pending=deadline.pending,
        met_at=as_utc(deadline.met_at) if deadline.met_at else None,
        cancelled_at=as_utc(deadline.cancelled_at) if deadline.cancelled_at else None,
        paused=paused, overdue=deadline.pending and not paused and due < now,
        shifted_minutes=deadline.shifted_minutes,
    )


def _shown_escalation(escalation: Escalation) -> Escalation:
    """A copy outside the session with the reason in the reader's language."""
    return Escalation.model_validate(
        escalation.model_dump() | {"reason": escalation_reason(escalation)})


def request_card(session: Session, *, site_id: int, request_id: int, now: datetime) -> RequestCard:
    request = get_request(session, site_id=site_id, request_id=request_id)
    unit = session.get(Unit, request.unit_id) if request.unit_id else None
    resident = session.get(Resident, request.resident_id) if request.resident_id else None
    owner = session.get(Operator, request.owner_id)
    related = (session.get(ServiceRequest, request.related_request_id)
               if request.related_request_id else None)
    events = session.exec(
        select(RequestEvent, Operator.display_name)
        .outerjoin(Operator, col(Operator.id) == col(RequestEvent.operator_id))
        .where(RequestEvent.request_id == request_id)
        .order_by(col(RequestEvent.at), col(RequestEvent.id))
    ).all()
    timeline = [
        TimelineLine(at=as_utc(event.at), kind=event.kind, operator_name=name or "",
                     from_status=event.from_status, to_status=event.to_status,
                     details=describe(event))
        for event, name in events
    ]
    all_deadlines = session.exec(
        select(RequestDeadline).where(RequestDeadline.request_id == request_id)
        .order_by(col(RequestDeadline.due_at), col(RequestDeadline.id))
    ).all()
    views = [_deadline_view(deadline, now) for deadline in all_deadlines]
    return RequestCard(
        request=request,
        unit_code=unit.code if unit else "",
        resident_name=resident.name if resident else "",
        owner_name=owner.display_name if owner else "",
        related_number=related.number if related else "",
        timeline=timeline,
        pending_deadlines=[view for view in views if view.pending],
        past_deadlines=[view for view in views if not view.pending],
        work_orders=list(session.exec(
            select(WorkOrder).where(WorkOrder.request_id == request_id)
            .order_by(col(WorkOrder.id))).all()),
        revisits=list(session.exec(
            select(Revisit).where(Revisit.request_id == request_id)
            .order_by(col(Revisit.at))).all()),
        escalations=[_shown_escalation(escalation) for escalation in session.exec(
            select(Escalation).where(Escalation.request_id == request_id)
            .order_by(col(Escalation.raised_at))).all()],
        steps=allowed_steps(request),
    )


def rows_by_ids(session: Session, *, site_id: int, ids: list[int], now: datetime) -> list[QueueRow]:
    """Queue rows of these requests, newest first."""
    if not ids:
        return []
    rows = session.exec(
        _base_query()
        .where(ServiceRequest.site_id == site_id, col(ServiceRequest.id).in_(ids))
        .order_by(col(ServiceRequest.received_at).desc(), col(ServiceRequest.id).desc())
    ).all()
    return [_row(request, code, owner, now) for request, code, owner in rows]


# --- intake ---------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitContext:
    """What the intake form shows beside a unit: its people, open requests, instructions."""

    unit: Unit
    residents: list[Resident]
    open_requests: list[QueueRow]
    instructions: list[StandingInstruction]


def unit_context(session: Session, *, site_id: int, unit_id: int, now: datetime,
                 limit: int = 20) -> UnitContext:
    card = directory.unit_card(session, site_id=site_id, unit_id=unit_id)
    rows = session.exec(
        _base_query()
        .where(ServiceRequest.site_id == site_id, ServiceRequest.unit_id == unit_id,
               col(ServiceRequest.is_open).is_(True))
        .order_by(col(ServiceRequest.received_at).desc())
        .limit(limit)
    ).all()
    return UnitContext(
        unit=card.unit,
        residents=card.residents,
        open_requests=[_row(request, code, owner, now) for request, code, owner in rows],
        instructions=active_instructions(session, site_id=site_id,
                                                      unit_id=unit_id, now=now),
    )


# --- search ---------------------------------------------------------------------------


def _prefix_range(column: Any, prefix: str) -> Any:
    return (col(column) >= prefix) & (col(column) < prefix + "\uffff")


def search_requests(
    session: Session, *, site_id: int, query: str, now: datetime, limit: int = 50
) -> list[QueueRow]:
    """Requests found by number, room (prefix), name, phone digits (last 4 or more)
    and free text (any 2+ character substring, e.g. 漏水), newest first."""
    text = unicodedata.normalize("NFKC", query).strip()
    if not text:
        return []
    limit = max(1, min(limit, MAX_PAGE))
    ids: list[int] = []

    def take(found: list[int | None]) -> None:
        ids.extend(value for value in found if value is not None and value not in ids)

    scoped = select(ServiceRequest.id).where(ServiceRequest.site_id == site_id)
    newest = (col(ServiceRequest.received_at).desc(),)
    if _NUMBER.match(text):
        day, sequence = text.split("-")
        take(list(session.exec(
            scoped.where(ServiceRequest.number == f"{day}-{int(sequence):04d}")).all()))
    elif _DAY_PREFIX.match(text):
        take(list(session.exec(
            scoped.where(_prefix_range(ServiceRequest.number, text.rstrip("-") + "-"))
            .order_by(col(ServiceRequest.number).desc()).limit(limit)).all()))
    digits = re.sub(r"[\s\-()（）]", "", text)
    if digits.isdigit() and len(digits) >= 4:
        found = session.exec(
            select(ServiceRequest.id, ServiceRequest.contact_phone)
            .where(ServiceRequest.site_id == site_id,
                   ServiceRequest.contact_phone_tail == digits[-4:])
            .order_by(*newest).limit(limit * 5)
        ).all()
        take([request_id for request_id, phone in found if phone.endswith(digits)][:limit])
    code = directory.normalize_unit_code(text)
    if code and (code[0].isdigit() or "-" in code) and not _NUMBER.match(text):
        unit_ids = list(session.exec(
            select(Unit.id).where(Unit.site_id == site_id, _prefix_range(Unit.code, code))
            .limit(limit)).all())
        if unit_ids:
            take(list(session.exec(
                scoped.where(col(ServiceRequest.unit_id).in_(unit_ids))
                .order_by(*newest).limit(limit)).all()))
    if not text.isdigit():
        take(list(session.exec(
            scoped.where(_prefix_range(ServiceRequest.contact_name, text))
            .order_by(*newest).limit(limit)).all()))
        resident_units = list(session.exec(
            select(Resident.unit_id).where(Resident.site_id == site_id,
                                           _prefix_range(Resident.name, text)).limit(limit)
        ).all())
        if resident_units:
            take(list(session.exec(
                scoped.where(col(ServiceRequest.unit_id).in_(resident_units))
                .order_by(*newest).limit(limit)).all()))
    if len(text) >= 2:
        try:
            take(list(search.search_ids(session, site_id=site_id, entity="request",
                                        query=text, limit=limit)))
        except InvalidInput:
            if not ids:
                raise
    return rows_by_ids(session, site_id=site_id, ids=ids[: limit * 4], now=now)[:limit]


def require_request_number(session: Session, *, site_id: int, number: str) -> int:
    """The id of the request with this number (what a person reads out)."""
    found = session.exec(
        select(ServiceRequest.id).where(ServiceRequest.site_id == site_id,
                                        ServiceRequest.number == number.strip())
    ).first()
    if found is None:
        raise NotFound(_("No request has the number {number}.").format(number=number),
                       field="number")
    return int(found)
