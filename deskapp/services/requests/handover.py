"""What the requests ledger hands to the next shift (``services.handover.assembly``).

Open requests owned by an operator handing over, and every open request due
before the shift being taken over ends, overdue first; then the revisits due
before that end.
"""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import Session, col, select

from deskapp.i18n import _
from deskapp.models.requests import EventKind, RequestEvent, ServiceRequest
from deskapp.services.acting import Acting
from deskapp.services.handover.assembly import Carried, Contribution, Window
from deskapp.services.requests import revisits
from deskapp.services.requests.labels import EVENT_LABELS
from deskapp.services.requests.views import QueueRow, rows_by_ids

MAX_CARRIED = 500
"""More than a desk could take over in one handover; the rest stay in the queue (F4)."""


def _open_requests(session: Session, window: Window) -> list[Carried]:
    due_or_owned = [col(ServiceRequest.next_due_at) < window.next_shift_ends_at]
    if window.outgoing:
        due_or_owned.append(col(ServiceRequest.owner_id).in_(sorted(window.outgoing)))
    ids = list(session.exec(
        select(ServiceRequest.id).where(
            ServiceRequest.site_id == window.site_id, col(ServiceRequest.is_open).is_(True),
            or_(*due_or_owned),
        )
        .order_by(col(ServiceRequest.next_due_at).is_(None), col(ServiceRequest.next_due_at),
                  col(ServiceRequest.id))
        .limit(MAX_CARRIED)
    ).all())
    rows = rows_by_ids(session, acting=Acting(window.site_id),
                       ids=[i for i in ids if i is not None],
                       now=window.now)
    steps = _last_steps(session, [row.id for row in rows])
    carried = [_carried(row, steps.get(row.id, "")) for row in rows]
    # Overdue first, then by the next deadline (requests without one last).
    return sorted(carried, key=lambda item: (item.deadline is None,
                                             item.deadline or window.now))


def _carried(row: QueueRow, last_step: str) -> Carried:
    return Carried(record_kind="request", record_id=row.id, reference=row.number,
                   unit_code=row.unit_code, what=row.subject, since=row.received_at,
                   deadline=row.next_due_at, last_step=last_step)


def _last_steps(session: Session, request_ids: list[int]) -> dict[int, str]:
    """Each request's last timeline step, as its label's message id."""
    if not request_ids:
        return {}
    last: dict[int, str] = {}
    for request_id, kind in session.exec(
        select(RequestEvent.request_id, RequestEvent.kind)
        .where(col(RequestEvent.request_id).in_(request_ids))
        .order_by(col(RequestEvent.at), col(RequestEvent.id))
    ).all():
        last[request_id] = kind
    return {request_id: EVENT_LABELS.get(kind, kind) for request_id, kind in last.items()}


def _revisits_due(session: Session, window: Window) -> list[Carried]:
    due = revisits.revisits_due(session, acting=Acting(window.site_id), now=window.now,
                                until=window.next_shift_ends_at, limit=200)
    return [
        Carried(record_kind="request", record_id=item.row.id, reference=item.row.number,
                unit_code=item.row.unit_code, what=item.row.subject,
                since=item.row.received_at, deadline=item.due_at,
                last_step=EVENT_LABELS[EventKind.RESOLVED])
        for item in due
    ]


CONTRIBUTIONS = [
    Contribution(group="requests", title=lambda: _("Open requests"), gather=_open_requests,
                 action=lambda: _("Follow up before the deadline")),
    Contribution(group="revisits", title=lambda: _("Revisits due"), gather=_revisits_due,
                 action=lambda: _("Call the resident back")),
]
