"""Which ledgers the nightly export writes, and how each becomes a table.

Each exporter takes the records the window touched: created, or changed (a new
timeline event) within it, with their state at export time. The rows are
generators, read as the file is written: nothing holds a whole ledger.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import or_
from sqlalchemy import select as select_columns
from sqlmodel import Session, col, select

from deskapp.models import Operator, Unit
from deskapp.models.requests import RequestEvent, ServiceRequest
from deskapp.services.acting import Acting
from deskapp.services.custody import keys, lostfound, parcels, storage
from deskapp.services.export import BATCH, Exporter, Table, Window, local_text
from deskapp.services.handover.export import export_handovers
from deskapp.services.release.export import export_release_slips

REQUEST_COLUMNS = [
    "number", "received_at", "unit", "contact_name", "contact_phone", "channel", "kind",
    "subject", "summary", "wish", "nature", "complaint_subject", "severity", "status",
    "owner", "department", "assignee", "next_due_at", "resolved_at", "closed_at",
    "voided_reason", "updated_at",
]
EVENT_COLUMNS = ["number", "at", "operator", "event", "from_status", "to_status", "details"]
NUMBER_COLUMNS = frozenset({"pieces", "chase_count"})
"""The custody columns that hold numbers (a workbook writes them as numbers)."""


def _logins(session: Session, site_id: int) -> dict[int | None, str]:
    rows = session.exec(select(Operator.id, Operator.login).where(Operator.site_id == site_id))
    return dict(rows.all())


def streamed(statement: Any) -> Any:
    """The statement read in batches (a server-side cursor on PostgreSQL): an export of
    the whole history holds one batch of rows, not the history."""
    return statement.execution_options(yield_per=BATCH)


def export_requests(session: Session, site_id: int, window: Window) -> list[Table]:
    """The requests the window touched (received, or changed: ``updated_at``), and the
    timeline events written within it. Plain column tuples, not ORM objects: a decade of
    requests streams at the speed of the rows."""
    logins = _logins(session, site_id)
    zone = window.zone
    request = ServiceRequest.__table__.c  # type: ignore[attr-defined]

    def requests() -> Iterator[list[str]]:
        rows = session.execute(streamed(
            select_columns(
                request.number, request.received_at, col(Unit.code), request.contact_name,
                request.contact_phone, request.channel, request.kind, request.subject,
                request.summary, request.wish, request.nature, request.complaint_subject,
                request.severity, request.status, request.owner_id, request.department,
                request.assignee, request.next_due_at, request.resolved_at,
                request.closed_at, request.voided_reason, request.updated_at,
            )
            .select_from(ServiceRequest)
            .join(Unit, col(Unit.id) == request.unit_id, isouter=True)
            .where(
                request.site_id == site_id,
                or_(
                    (request.received_at >= window.since) & (request.received_at < window.until),
                    (request.updated_at >= window.since) & (request.updated_at < window.until),
                ),
            )
            .order_by(request.id)
        ))
        for (number, received_at, unit, contact_name, contact_phone, channel, kind, subject,
             summary, wish, nature, complaint_subject, severity, status, owner_id, department,
             assignee, next_due_at, resolved_at, closed_at, voided_reason,
             updated_at) in rows:
            yield [
                number, local_text(received_at, zone), unit or "", contact_name,
                contact_phone, channel, kind, subject, summary, wish, nature or "",
                complaint_subject or "", severity, status, logins.get(owner_id, ""),
                department or "", assignee, local_text(next_due_at, zone),
                local_text(resolved_at, zone), local_text(closed_at, zone),
                voided_reason, local_text(updated_at, zone),
            ]

    def events() -> Iterator[list[str]]:
        event = RequestEvent.__table__.c  # type: ignore[attr-defined]
        rows = session.execute(streamed(
            select_columns(request.number, event.at, event.operator_id, event.kind,
                   event.from_status, event.to_status, event.details)
            .select_from(RequestEvent)
            .join(ServiceRequest, request.id == event.request_id)
            .where(event.site_id == site_id, event.at >= window.since,
                   event.at < window.until)
            .order_by(event.id)
        ))
        for number, at, operator_id, kind, from_status, to_status, details in rows:
            yield [number, local_text(at, zone), logins.get(operator_id, ""), kind,
                   from_status or "", to_status or "", details]

    return [Table("requests", REQUEST_COLUMNS, requests()),
            Table("request_events", EVENT_COLUMNS, events())]


def export_custody(session: Session, site_id: int, window: Window) -> list[Table]:
    """Every custody ledger's table: storage, lost_found, parcels, key_loans.

    Each ledger gives its own header and rows (plain strings, read as they are
    written); the export layer names them, masks them and makes them tables.
    """
    tables = []
    for name, module in (("storage", storage), ("lost_found", lostfound),
                         ("parcels", parcels), ("key_loans", keys)):
        header, rows = module.export_rows(session, acting=Acting(site_id), since=window.since,
                                          until=window.until, zone=window.zone)
        tables.append(Table(name, header, rows, numbers=NUMBER_COLUMNS))
    return tables


EXPORTERS: list[Exporter] = [export_requests, export_custody, export_handovers,
                             export_release_slips]
