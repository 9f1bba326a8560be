"""The custody lists of the screens: pages of rows, counts, and finding a record by its code.

Rows carry personal data masked and times as aware UTC; ``HeldTooLong`` is the
"overdue" rule of a held item in its Python and SQL forms together.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from sqlalchemy import and_, func
from sqlmodel import Session, col, select

from deskapp.errors import NotFound
from deskapp.i18n import _
from deskapp.models import Unit
from deskapp.models.custody import CustodyItem, ItemStatus, KeyRecord
from deskapp.services import codes
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.custody.core import KEY_LEDGER, PREFIX_LEDGER, flushed_id
from deskapp.services.privacy import mask_id_number, mask_phone

DEFAULT_PAGE = 50


def find_by_code(session: Session, *, acting: Acting, text: str) -> tuple[str, int]:
    """``(ledger, id)`` of the record a scanned or typed S/P/L/K code names.

    ``ledger`` is ``storage``, ``lost``, ``parcel`` or ``key``. A code with a typo
    raises InvalidInput(field="code"); a valid code nobody holds raises NotFound.
    """
    site_id = acting.site_id
    code = codes.check_code(text)
    if code.prefix == codes.CodePrefix.KEY.value:
        key_id = session.exec(
            select(KeyRecord.id).where(KeyRecord.site_id == site_id, KeyRecord.code == code.text)
        ).first()
        if key_id is None:
            raise NotFound(
                _("No key has the code {code}.").format(code=code.text), field="code"
            )
        return KEY_LEDGER, key_id
    if code.prefix not in PREFIX_LEDGER:
        raise NotFound(
            _("{code} is not a custody code (storage, lost and found, parcel or key).").format(
                code=code.text
            ),
            field="code",
        )
    row = session.exec(
        select(CustodyItem.ledger, CustodyItem.id).where(
            CustodyItem.site_id == site_id, CustodyItem.code == code.text
        )
    ).first()
    if row is None:
        raise NotFound(
            _("No record has the code {code}. Check the ticket.").format(code=code.text),
            field="code",
        )
    ledger, item_id = row
    return ledger, flushed_id(item_id)


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    """One page of a list and how many there are in all."""

    rows: list[T]
    total: int
    offset: int
    limit: int


@dataclass(frozen=True)
class ItemRow:
    """A line of a custody list: personal data masked, times aware UTC."""

    id: int
    code: str
    ledger: str
    status: str
    description: str
    pieces: int
    place: str
    unit_code: str
    owner_name: str
    owner_phone: str
    """Masked (``138****5678``)."""
    received_at: datetime
    received_from: str
    age: timedelta
    overdue: bool
    valuable: bool = False
    found_where: str = ""
    carrier: str = ""
    tracking_number: str = ""
    released_at: datetime | None = None
    released_to: str = ""
    released_id_number: str = ""
    """Masked to the last 4 characters."""


@dataclass(frozen=True)
class HeldTooLong:
    """"Overdue" for an item still held: received longer than ``limit`` ago.

    Exactly ``limit`` is not yet overdue; a minute more is. The one rule in its two
    forms, built from the same cut-off, so a list's flags, its filter, its count,
    the record view and the dashboard can never disagree: ``applies`` in Python,
    ``clause`` in SQL.
    """

    limit: timedelta

    def cutoff(self, now: datetime) -> datetime:
        return now - self.limit

    def overdue_at(self, received_at: datetime) -> datetime:
        """The moment an item received at ``received_at`` turns overdue: ``applies``
        holds at any ``now`` later than this (at this exact moment, not yet)."""
        return as_utc(received_at) + self.limit

    def applies(self, item: CustodyItem, now: datetime) -> bool:
        return (item.status == ItemStatus.HELD.value
                and as_utc(item.received_at) < self.cutoff(now))

    def clause(self, now: datetime) -> Any:
        return and_(col(CustodyItem.status) == ItemStatus.HELD.value,
                    col(CustodyItem.received_at) < self.cutoff(now))


def item_row(
    item: CustodyItem,
    unit_code: str,
    *,
    now: datetime,
    overdue: HeldTooLong | None = None,
    overdue_if: Callable[[CustodyItem], bool] | None = None,
) -> ItemRow:
    received = as_utc(item.received_at)
    end = as_utc(item.released_at) if item.released_at else now
    age = end - received
    return ItemRow(
        id=flushed_id(item.id),
        code=item.code or "",
        ledger=item.ledger,
        status=item.status,
        description=item.description,
        pieces=item.pieces,
        place=item.place,
        unit_code=unit_code,
        owner_name=item.owner_name,
        owner_phone=mask_phone(item.owner_phone) if item.owner_phone else "",
        received_at=received,
        received_from=item.received_from,
        age=age,
        overdue=(
            overdue_if(item) if overdue_if is not None
            else overdue is not None and overdue.applies(item, now)
        ),
        valuable=item.valuable,
        found_where=item.found_where,
        carrier=item.carrier,
        tracking_number=item.tracking_number,
        released_at=as_utc(item.released_at) if item.released_at else None,
        released_to=item.released_to,
        released_id_number=(
            mask_id_number(item.released_id_number) if item.released_id_number else ""
        ),
    )


def item_page(
    session: Session,
    *,
    acting: Acting,
    where: list[Any],
    now: datetime,
    overdue: HeldTooLong | None = None,
    limit: int = DEFAULT_PAGE,
    offset: int = 0,
    newest_first: bool = False,
    overdue_if: Callable[[CustodyItem], bool] | None = None,
) -> Page[ItemRow]:
    """A page of items matching ``where`` (clauses on CustodyItem), with their units."""
    site_id = acting.site_id
    limit = max(1, min(limit, 500))
    offset = max(0, offset)
    conditions = [CustodyItem.site_id == site_id, *where]
    total = session.exec(
        select(func.count()).select_from(CustodyItem).where(*conditions)
    ).one()
    # The id breaks a tie the same way the time runs, so the index gives the order whole
    # (``ix_custody_item_received``, ``ix_custody_item_list``): no sort of the ledger.
    order = ((col(CustodyItem.received_at).desc(), col(CustodyItem.id).desc()) if newest_first
             else (col(CustodyItem.received_at), col(CustodyItem.id)))
    rows = session.exec(
        select(CustodyItem, Unit.code)
        .outerjoin(Unit, col(Unit.id) == col(CustodyItem.unit_id))
        .where(*conditions)
        .order_by(*order)
        .offset(offset)
        .limit(limit)
    ).all()
    return Page(
        rows=[
            item_row(item, unit_code or "", now=now, overdue=overdue, overdue_if=overdue_if)
            for item, unit_code in rows
        ],
        total=int(total),
        offset=offset,
        limit=limit,
    )


def count_items(session: Session, *, acting: Acting, where: list[Any]) -> int:
    site_id = acting.site_id
    return int(
        session.exec(
            select(func.count())
            .select_from(CustodyItem)
            .where(CustodyItem.site_id == site_id, *where)
        ).one()
    )
