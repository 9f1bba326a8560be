"""The desk at a glance: the counts the dashboard shows and refreshes.

Each ledger contributes its counts here as it is built; a count whose ledger
does not exist yet is ``None`` and shown as "not in use yet", not as zero.
The handovers count what waits for the supervisor: sealed handovers not yet
reviewed, and the items an incoming operator refused, not yet settled. The
release slips count the slips waiting for the owner's confirmation, those issued
today and those released at the gate but not filed (``release_counts``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.formatting import local_day_start
from deskapp.models import AuditEntry, Operator
from deskapp.models.custody import CustodyItem, ItemStatus, KeyLoan, Ledger
from deskapp.models.requests import Escalation, ServiceRequest
from deskapp.services import directory
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.custody import core, lists, parcels, storage
from deskapp.services.handover import handovers
from deskapp.services.release import slips as release_slips
from deskapp.services.requests import deadlines
from deskapp.services.requests.timeline import escalation_reason
from deskapp.services.workcalendar import WorkCalendar


@dataclass(frozen=True)
class DeskSummary:
    units: int
    residents: int
    operators_active: int
    changes_today: int
    requests_due: int | None = None
    requests_overdue: int | None = None
    escalations: int | None = None
    items_held: int | None = None
    items_overdue: int | None = None
    slips_waiting: int | None = None
    """Release slips waiting for the owner's confirmation (``slips.waiting_for_confirmation``)."""
    slips_issued_today: int | None = None
    """Release slips issued today, used or not (``slips.issued_today``)."""
    slips_unfiled: int | None = None
    """Release slips released at the gate, not filed yet (``slips.released_not_filed``)."""
    keys_out: int | None = None
    keys_overdue: int | None = None
    parcels_waiting: int | None = None
    handovers_unreviewed: int | None = None
    """Sealed handovers the supervisor has not reviewed yet (``handovers.unreviewed``)."""
    refused_waiting: int | None = None
    """Refused handover items on the supervisor's list (``handovers.refused_waiting``)."""
    recent: list[AuditEntry] = field(default_factory=list)


def _by_value(column: Any) -> Any:
    """``column + 0``: compared by its value, row by row, not looked up in its index.

    An audit trail holds one site's entries, or nearly: its site index selects all of
    them, and a planner without statistics takes it anyway, then counts a day's entries
    or sorts the trail for the newest 12 (5 s at 6,000,000 entries). Compared by value,
    the same conditions are read through the indexes of time (``at``) and sequence
    (``seq``): a day's entries, and the newest from the end.
    """
    return column + 0


def desk_summary(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    day_start: datetime | None = None,
    settings: Settings | None = None,
) -> DeskSummary:
    """Counts for the dashboard; ``day_start`` is the start of the desk's local day.

    The ledgers' counts need the desk's settings (shifts, overdue days); without
    them they stay ``None``, shown as "not in use". The handovers' counts need none.
    """
    site_id = acting.site_id
    units, residents = directory.counts(session, acting=acting)
    operators_active = session.exec(
        select(func.count())
        .select_from(Operator)
        .where(Operator.site_id == site_id, col(Operator.active).is_(True))
    ).one()
    since = day_start if day_start is not None else now - timedelta(hours=24)
    # The audit trail is millions of entries of (nearly) one site: read it by time and by
    # sequence, never through its site (``_by_value``). The day's count is read from
    # ``ix_audit_entry_at_site`` (at, site) alone, no entry's row.
    changes_today = session.exec(
        select(func.count())
        .select_from(AuditEntry)
        .where(_by_value(col(AuditEntry.site_id)) == site_id, col(AuditEntry.at) >= since)
    ).one()
    recent = session.exec(
        select(AuditEntry)
        .where(_by_value(col(AuditEntry.site_id)) == site_id)
        .order_by(col(AuditEntry.seq).desc())
        .limit(12)
    ).all()
    ledgers: dict[str, int | None] = handover_counts(session, acting=acting)
    if settings is not None:
        ledgers.update(_request_counts(session, site_id=site_id, now=now, settings=settings))
        ledgers.update(_custody_counts(session, site_id=site_id, now=now, settings=settings))
        ledgers.update(release_counts(session, acting=acting, now=now, settings=settings))
    return DeskSummary(
        units=units,
        residents=residents,
        operators_active=int(operators_active),
        changes_today=int(changes_today),
        recent=list(recent),
        **ledgers,
    )


@dataclass(frozen=True)
class EscalationLine:
    """An open escalation as the dashboard lists it."""

    request_id: int
    number: str
    level: str
    reason: str
    raised_at: datetime


def open_escalations(session: Session, *, acting: Acting, limit: int = 5) -> list[EscalationLine]:
    """The oldest open escalations first: they have waited longest for a supervisor."""
    site_id = acting.site_id
    rows = session.exec(
        select(Escalation, ServiceRequest)
        .join(ServiceRequest, col(ServiceRequest.id) == col(Escalation.request_id))
        .where(Escalation.site_id == site_id, col(Escalation.is_open).is_(True))
        .order_by(col(Escalation.raised_at))
        .limit(limit)
    ).all()
    return [
        EscalationLine(
            request_id=request.id or 0, number=request.number, level=escalation.level,
            reason=escalation_reason(escalation), raised_at=escalation.raised_at,
        )
        for escalation, request in rows
    ]


def _request_counts(
    session: Session, *, site_id: int, now: datetime, settings: Settings
) -> dict[str, int | None]:
    shift_end = WorkCalendar.from_settings(settings).next_shift_end(now)
    due, overdue, escalations = deadlines.dashboard_counts(
        session, acting=Acting(site_id), now=now, next_shift_end=shift_end
    )
    return {"requests_due": due, "requests_overdue": overdue, "escalations": escalations}


def handover_counts(session: Session, *, acting: Acting) -> dict[str, int | None]:
    """What waits for the supervisor, counted on the conditions of the handovers' own lists
    (not loaded): sealed handovers not yet reviewed, and refused items not yet settled."""
    return {
        "handovers_unreviewed": handovers.unreviewed_count(session, acting=acting),
        "refused_waiting": handovers.refused_waiting_count(session, acting=acting),
    }


def custody_counts(
    session: Session, *, acting: Acting, now: datetime, settings: Settings
) -> dict[str, int]:
    """The custody counts of the dashboard.

    ``items_held`` / ``items_overdue`` are the storage ledger (overdue by
    ``storage.overdue_rule``, the rule of its list and record); ``keys_out`` /
    ``keys_overdue`` loans not returned (and past due); ``parcels_waiting`` /
    ``parcels_overdue`` parcels not picked up (overdue by ``parcels.overdue_rule``);
    ``lost_unclaimed`` found items at the desk, ``lost_for_admin`` valuables not
    claimed the day they came in.
    """

    site_id = acting.site_id
    def items(ledger: Ledger, *extra: Any) -> int:
        return lists.count_items(session, acting=acting,
                                where=[CustodyItem.ledger == ledger.value,
                                       CustodyItem.status == ItemStatus.HELD.value, *extra])

    def loans(*extra: Any) -> int:
        return int(session.exec(
            select(func.count()).select_from(KeyLoan).where(
                KeyLoan.site_id == site_id, col(KeyLoan.returned_at).is_(None),
                col(KeyLoan.permanent).is_(False), *extra)
        ).one())

    day_start = as_utc(local_day_start(now, core.zone_of(settings)))
    return {
        "items_held": items(Ledger.STORAGE),
        "items_overdue": storage.overdue_count(session, acting=acting, now=now,
                                               settings=settings),
        "keys_out": loans(),
        "keys_overdue": loans(col(KeyLoan.due_at) < now),
        "parcels_waiting": items(Ledger.PARCEL),
        "parcels_overdue": parcels.overdue_count(session, acting=acting, now=now,
                                                 settings=settings),
        "lost_unclaimed": items(Ledger.LOST),
        "lost_for_admin": items(Ledger.LOST, col(CustodyItem.valuable).is_(True),
                                col(CustodyItem.received_at) < day_start),
    }


def _custody_counts(
    session: Session, *, site_id: int, now: datetime, settings: Settings
) -> dict[str, int | None]:
    counts = custody_counts(session, acting=Acting(site_id), now=now, settings=settings)
    wanted = ("items_held", "items_overdue", "keys_out", "keys_overdue", "parcels_waiting")
    return {key: counts.get(key) for key in wanted}


def release_counts(
    session: Session, *, acting: Acting, now: datetime, settings: Settings
) -> dict[str, int | None]:
    """The release slips' counts, on the conditions of the desk's own lists
    (``slips.desk_counts``: waiting for confirmation, issued today, released not filed)."""
    return dict(release_slips.desk_counts(session, acting=acting, now=now, settings=settings))
