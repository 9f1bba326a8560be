"""Loading a request for a change, and writing the lines of its timeline.

Shared by every module of the requests ledger (lifecycle, severity, deadlines,
work orders, revisits), so each step writes its event the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, select

from deskapp.errors import InvalidInput, NotFound
from deskapp.i18n import _
from deskapp.models import Operator
from deskapp.models.requests import EventKind, RequestEvent, ServiceRequest
from deskapp.services import audit


def get_request(
    session: Session, *, site_id: int, request_id: int, for_update: bool = False
) -> ServiceRequest:
    """The request, locked for the change on PostgreSQL when ``for_update``.

    The lock makes two desks that act on the same request at once take turns,
    so the second sees the first one's status and is refused if its step no
    longer applies (SQLite's single writer gives the same result).
    """
    query = select(ServiceRequest).where(
        ServiceRequest.id == request_id, ServiceRequest.site_id == site_id
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    request = session.exec(query).first()
    if request is None:
        raise NotFound(_("This request does not exist."), field="request")
    return request


def require_actor(actor: Operator | None) -> Operator:
    """Request steps are always somebody's (first-responder rule): no anonymous changes."""
    if actor is None or actor.id is None:
        raise InvalidInput(_("Sign in first: every step of a request is signed by an operator."))
    return actor


def add_event(
    session: Session,
    request: ServiceRequest,
    *,
    now: datetime,
    actor: Operator | None,
    kind: EventKind,
    details: str = "",
    from_status: str | None = None,
    to_status: str | None = None,
) -> RequestEvent:
    assert request.id is not None, "the request was flushed"
    event = RequestEvent(
        site_id=request.site_id,
        request_id=request.id,
        at=now,
        operator_id=actor.id if actor else None,
        kind=kind.value,
        from_status=from_status,
        to_status=to_status,
        details=details,
    )
    session.add(event)
    return event


def audit_request(
    session: Session,
    request: ServiceRequest,
    *,
    action: str,
    now: datetime,
    actor: Operator | None,
    before: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """The audit entry of a request step; ``code`` carries the number the desk reads out."""
    after = audit.snapshot(request) | {"code": request.number} | (extra or {})
    audit.record(
        session, now=now, actor=actor, action=action, entity="request",
        entity_id=request.id, site_id=request.site_id, before=before, after=after,
    )
