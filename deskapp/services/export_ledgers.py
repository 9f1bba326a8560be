"""Which ledgers the nightly export writes, and how each becomes a table.

Each exporter takes the records the day touched: created, or changed (a new
timeline event) within the window, with their state at export time.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_
from sqlmodel import Session, col, select

from deskapp.models import Operator, Unit
from deskapp.models.requests import RequestEvent, ServiceRequest
from deskapp.services.custody import keys, lostfound, parcels, storage
from deskapp.services.export import Exporter, Table, Window, local_text
from deskapp.services.handover.export import export_handovers
from deskapp.services.privacy import mask_phone
from deskapp.services.release.export import export_release_slips

REQUEST_COLUMNS = [
    "number", "received_at", "unit", "contact_name", "contact_phone", "channel", "kind",
    "subject", "summary", "wish", "nature", "complaint_subject", "severity", "status",
    "owner", "department", "assignee", "next_due_at", "resolved_at", "closed_at",
    "voided_reason", "updated_at",
]
EVENT_COLUMNS = ["number", "at", "operator", "event", "from_status", "to_status", "details"]


def _logins(session: Session, site_id: int) -> dict[int | None, str]:
    rows = session.exec(select(Operator).where(Operator.site_id == site_id)).all()
    return {operator.id: operator.login for operator in rows}


def export_requests(session: Session, site_id: int, window: Window) -> Iterable[Table]:
    logins = _logins(session, site_id)
    touched = session.exec(
        select(ServiceRequest, Unit)
        .join(Unit, col(Unit.id) == col(ServiceRequest.unit_id), isouter=True)
        .where(
            ServiceRequest.site_id == site_id,
            or_(
                (col(ServiceRequest.received_at) >= window.since)
                & (col(ServiceRequest.received_at) < window.until),
                (col(ServiceRequest.updated_at) >= window.since)
                & (col(ServiceRequest.updated_at) < window.until),
            ),
        )
        .order_by(col(ServiceRequest.id))
    ).all()
    zone = window.zone
    requests = Table("requests", REQUEST_COLUMNS)
    for request, unit in touched:
        phone = mask_phone(request.contact_phone) if request.contact_phone else ""
        requests.rows.append([
            request.number, local_text(request.received_at, zone), unit.code if unit else "",
            request.contact_name, phone,
            request.channel, request.kind, request.subject, request.summary, request.wish,
            request.nature or "", request.complaint_subject or "", request.severity,
            request.status, logins.get(request.owner_id, ""), request.department or "",
            request.assignee, local_text(request.next_due_at, zone),
            local_text(request.resolved_at, zone), local_text(request.closed_at, zone),
            request.voided_reason, local_text(request.updated_at, zone),
        ])
    events = session.exec(
        select(RequestEvent, ServiceRequest)
        .join(ServiceRequest, col(ServiceRequest.id) == col(RequestEvent.request_id))
        .where(
            RequestEvent.site_id == site_id,
            col(RequestEvent.at) >= window.since,
            col(RequestEvent.at) < window.until,
        )
        .order_by(col(RequestEvent.id))
    ).all()
    timeline = Table("request_events", EVENT_COLUMNS)
    for event, request in events:
        timeline.rows.append([
            request.number, local_text(event.at, zone), logins.get(event.operator_id, ""),
            event.kind, event.from_status or "", event.to_status or "", event.details,
        ])
    return [requests, timeline]


def export_custody(session: Session, site_id: int, window: Window) -> list[Table]:
    """Every custody ledger's table: storage, lost_found, parcels, key_loans.

    Each ledger gives its own header and rows (plain strings, phones and IDs
    masked); the export layer only names them and makes them tables.
    """
    tables = []
    for name, module in (("storage", storage), ("lost_found", lostfound),
                         ("parcels", parcels), ("key_loans", keys)):
        header, rows = module.export_rows(session, site_id=site_id, since=window.since,
                                          until=window.until, zone=window.zone)
        tables.append(Table(name, header, rows))
    return tables


EXPORTERS: list[Exporter] = [export_requests, export_custody, export_handovers,
                             export_release_slips]
