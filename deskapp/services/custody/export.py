"""The custody items as rows of the exports (plain strings; the export layer masks the
phone and ID columns by their names).

Each ledger (``storage``, ``lostfound``, ``parcels``) picks its columns from
``COMMON_HEAD`` + its own + ``COMMON_TAIL`` and calls ``export_items``; the export
layer (``services/export_ledgers.py``) makes them tables. Nothing here imports
the export layer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from deskapp.models import Operator, Unit
from deskapp.models.custody import CustodyItem, Ledger
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc

EXPORT_BATCH = 2000
"""Items read from the database at a time (the export layer's batch; this module must
not import it)."""


def export_time(value: datetime | None, zone: tzinfo | None) -> str:
    """ISO 8601 with the offset, in ``zone`` (UTC when none), or empty."""
    if value is None:
        return ""
    moment = as_utc(value)
    return (moment.astimezone(zone) if zone else moment).isoformat(timespec="minutes")


def operator_logins(session: Session, *, acting: Acting) -> dict[int, str]:
    site_id = acting.site_id
    rows = session.exec(select(Operator.id, Operator.login).where(Operator.site_id == site_id))
    return {operator_id: login for operator_id, login in rows if operator_id is not None}


def touched_in(since: datetime, until: datetime) -> Any:
    """Items that came in or changed state within [since, until)."""
    moments = (CustodyItem.received_at, CustodyItem.released_at, CustodyItem.admin_at,
               CustodyItem.disposed_at, CustodyItem.voided_at)
    return or_(*(and_(col(moment) >= since, col(moment) < until) for moment in moments))


ItemColumn = tuple[str, Callable[[CustodyItem, str, dict[int, str], tzinfo | None], str]]


def _login(logins: dict[int, str], operator_id: int | None) -> str:
    return logins.get(operator_id, "") if operator_id is not None else ""


COMMON_HEAD: list[ItemColumn] = [
    ("code", lambda i, u, o, z: i.code or ""),
    ("status", lambda i, u, o, z: i.status),
    ("received_at", lambda i, u, o, z: export_time(i.received_at, z)),
    ("received_by", lambda i, u, o, z: _login(o, i.received_by_id)),
    ("received_from", lambda i, u, o, z: i.received_from),
    ("unit", lambda i, u, o, z: u),
    ("owner_name", lambda i, u, o, z: i.owner_name),
    ("owner_phone", lambda i, u, o, z: i.owner_phone),
    ("description", lambda i, u, o, z: i.description),
    ("pieces", lambda i, u, o, z: str(i.pieces)),
    ("place", lambda i, u, o, z: i.place),
]
COMMON_TAIL: list[ItemColumn] = [
    ("released_at", lambda i, u, o, z: export_time(i.released_at, z)),
    ("released_by", lambda i, u, o, z: _login(o, i.released_by_id)),
    ("released_to", lambda i, u, o, z: i.released_to),
    ("released_relation", lambda i, u, o, z: i.released_relation),
    ("id_checked", lambda i, u, o, z: "1" if i.id_checked else "0"),
    ("released_id_number", lambda i, u, o, z: i.released_id_number),
    ("release_note", lambda i, u, o, z: i.release_note),
    ("approved_by", lambda i, u, o, z: _login(o, i.approved_by_id)),
    ("voided_at", lambda i, u, o, z: export_time(i.voided_at, z)),
    ("void_reason", lambda i, u, o, z: i.void_reason),
]


def export_items(
    session: Session,
    *,
    acting: Acting,
    ledger: Ledger,
    since: datetime,
    until: datetime,
    columns: list[ItemColumn],
    zone: tzinfo | None = None,
) -> tuple[list[str], Iterator[list[str]]]:
    """Header and rows (plain strings, read in batches as they are written) of one
    ledger's items touched within [since, until)."""
    site_id = acting.site_id
    logins = operator_logins(session, acting=acting)
    statement = (
        select(CustodyItem, Unit.code)
        .outerjoin(Unit, col(Unit.id) == col(CustodyItem.unit_id))
        .where(CustodyItem.site_id == site_id, CustodyItem.ledger == ledger.value,
               touched_in(as_utc(since), as_utc(until)))
        .order_by(col(CustodyItem.received_at), col(CustodyItem.id))
        .execution_options(yield_per=EXPORT_BATCH)
    )

    def rows() -> Iterator[list[str]]:
        for item, unit_code in session.exec(statement):
            yield [value(item, unit_code or "", logins, zone) for _name, value in columns]

    return [name for name, _value in columns], rows()
