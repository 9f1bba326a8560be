"""What the custody ledgers hand to the next shift (``services.handover.assembly``).

Four groups, each read through its ledger's own list and rule, never a copy of one:

- ``storage``: stored items still held, oldest (so overdue) first. The deadline is
  the moment the item turns overdue by ``storage.overdue_rule`` (received + the
  ``storage_overdue_days``), so an overdue item is urgent.
- ``keys``: keys out on loan (not returned; an issue to the owner for good is not
  a loan), due first; the deadline is the loan's ``due_at``.
- ``parcels``: parcels waiting, by age; the deadline is the moment the parcel turns
  overdue by ``parcels.overdue_rule`` (received + ``parcel_overdue_days``).
- ``lost``: found items still at the desk, and those at the admin office that have
  waited long enough to be disposed of (``lostfound.disposal_list``), earliest
  deadline first. The deadline is the ledger's next firm date for the item:

  * a valuable still at the desk: its hand-over to the admin office,
    ``lostfound.admin_due_at`` (the local midnight after the day it came in, when the
    dashboard starts counting it as ``lost_for_admin``), so a valuable left over
    from yesterday is urgent and one found today is watched before the night ends;
  * any other unclaimed item: its disposal date, ``lostfound.disposal_date`` (the
    moment ``disposal_cutoff`` reaches it, three months on), so an item that may be
    disposed of is urgent and the rest are routine.

  The weekly notice and the monthly hand-over have no fixed day in the settings,
  so they give no deadline of their own: every item of the group is on the notice.

Each group lists at most ``MAX_CARRIED`` items (oldest first); the rest stay in the
ledger's own list (F5, F8). The last step of a record is its last timeline event,
in the reader's language. Phone and ID numbers are never part of a carried line.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlmodel import Session, col, select

from deskapp.i18n import _
from deskapp.models.custody import CustodyEvent, CustodyItem, EventKind, ItemStatus, Ledger
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.custody import core, keys, lists, lostfound, parcels, storage
from deskapp.services.custody.keys import KeyRow
from deskapp.services.custody.lists import ItemRow
from deskapp.services.handover.assembly import Carried, Contribution, Window

MAX_CARRIED = 500
"""More than a desk could count in one handover; the rest stay in the ledger's list."""

ITEM_KIND = "custody"
LOAN_KIND = "key_loan"


def _step_label(kind: str) -> str:
    """A timeline event as the handover's last step: the ledger's label's message id,
    said in each reader's language when shown (``assembly.step_label``)."""
    return core.event_label_id(kind)


def _item_steps(session: Session, window: Window, item_ids: list[int]) -> dict[int, str]:
    """Each item's last timeline event, as its label."""
    if not item_ids:
        return {}
    last: dict[int, str] = {}
    for item_id, kind in session.exec(
        select(CustodyEvent.item_id, CustodyEvent.kind)
        .where(CustodyEvent.site_id == window.site_id, col(CustodyEvent.item_id).in_(item_ids))
        .order_by(col(CustodyEvent.at), col(CustodyEvent.id))
    ).all():
        if item_id is not None:
            last[item_id] = kind
    return {item_id: _step_label(kind) for item_id, kind in last.items()}


def _what(row: ItemRow, *, valuable: bool = False) -> str:
    text = row.description
    if row.pieces > 1:
        text = _("{description} ({pieces} pieces)").format(description=text, pieces=row.pieces)
    if valuable:
        text = _("{description}, valuable").format(description=text)
    return text


def _carried_items(
    session: Session, window: Window, rows: Iterable[tuple[ItemRow, datetime]],
    *, valuable_ids: frozenset[int] = frozenset(),
) -> list[Carried]:
    """Carried lines of items with their deadlines, in the order given."""
    pairs = list(rows)
    steps = _item_steps(session, window, [row.id for row, _deadline in pairs])
    received = _step_label(EventKind.RECEIVED.value)
    return [
        Carried(record_kind=ITEM_KIND, record_id=row.id, reference=row.code,
                unit_code=row.unit_code, what=_what(row, valuable=row.id in valuable_ids),
                since=as_utc(row.received_at), deadline=as_utc(deadline),
                last_step=steps.get(row.id, received))
        for row, deadline in pairs
    ]


def _stored(session: Session, window: Window) -> list[Carried]:
    rule = storage.overdue_rule(window.settings)
    page = storage.held(session, acting=Acting(window.site_id), now=window.now,
                        settings=window.settings, limit=MAX_CARRIED)
    # Oldest first is overdue first: every item turns overdue the same days after it came.
    return _carried_items(session, window,
                          ((row, rule.overdue_at(row.received_at)) for row in page.rows))


def _parcels(session: Session, window: Window) -> list[Carried]:
    rule = parcels.overdue_rule(window.settings)
    page = parcels.waiting(session, acting=Acting(window.site_id), now=window.now,
                           settings=window.settings, limit=MAX_CARRIED)
    return _carried_items(session, window,
                          ((row, rule.overdue_at(row.received_at)) for row in page.rows))


def _lost(session: Session, window: Window) -> list[Carried]:
    settings = window.settings
    at_desk = lists.item_page(
        session, acting=Acting(window.site_id),
        where=[CustodyItem.ledger == Ledger.LOST.value,
               CustodyItem.status == ItemStatus.HELD.value],
        now=window.now, limit=MAX_CARRIED,
    ).rows
    seen = {row.id for row in at_desk}
    # At the admin office, but waited long enough to be disposed of (those at the desk
    # are listed already).
    to_dispose = [row for row in lostfound.disposal_list(session, acting=Acting(window.site_id),
                                                         now=window.now, settings=settings)
                  if row.id not in seen][:MAX_CARRIED]
    valuables = frozenset(row.id for row in at_desk if row.valuable)

    def deadline(row: ItemRow) -> datetime:
        if row.id in valuables:
            return lostfound.admin_due_at(row.received_at, settings=settings)
        return lostfound.disposal_date(row.received_at, settings=settings)

    pairs = sorted(((row, deadline(row)) for row in [*at_desk, *to_dispose]),
                   key=lambda pair: (pair[1], pair[0].received_at, pair[0].id))
    return _carried_items(session, window, pairs, valuable_ids=valuables)


def _loan_steps(session: Session, window: Window, rows: list[KeyRow]) -> dict[int, str]:
    """Each loan's last timeline event (lent, chased), as its label."""
    loan_ids = [row.loan_id for row in rows if row.loan_id is not None]
    if not loan_ids:
        return {}
    last: dict[int, str] = {}
    for loan_id, kind in session.exec(
        select(CustodyEvent.loan_id, CustodyEvent.kind)
        .where(CustodyEvent.site_id == window.site_id,
               col(CustodyEvent.key_id).in_(sorted({row.id for row in rows})),
               col(CustodyEvent.loan_id).in_(loan_ids))
        .order_by(col(CustodyEvent.at), col(CustodyEvent.id))
    ).all():
        if loan_id is not None:
            last[loan_id] = kind
    return {loan_id: _step_label(kind) for loan_id, kind in last.items()}


def _keys_out(session: Session, window: Window) -> list[Carried]:
    page = keys.keys_out(session, acting=Acting(window.site_id), now=window.now, limit=MAX_CARRIED)
    rows = [row for row in page.rows if row.loan_id is not None and row.out_at is not None]
    steps = _loan_steps(session, window, rows)
    lent = _step_label(EventKind.KEY_LENT.value)
    carried = [
        Carried(record_kind=LOAN_KIND, record_id=row.loan_id or 0, reference=row.code,
                unit_code=row.unit_code,
                what=_("{label}, lent to {borrower}").format(label=row.label,
                                                             borrower=row.borrower_name),
                since=as_utc(row.out_at or window.now),
                deadline=as_utc(row.due_at) if row.due_at else None,
                last_step=steps.get(row.loan_id or 0, lent))
        for row in rows
    ]
    # Overdue first, then by the time due (a loan without one, if any, last).
    return sorted(carried, key=lambda item: (item.deadline is None,
                                             item.deadline or window.now, item.record_id))


CONTRIBUTIONS: list[Contribution] = [
    Contribution(group="storage", title=lambda: _("Stored items held"), gather=_stored),
    Contribution(group="keys", title=lambda: _("Keys out on loan"), gather=_keys_out),
    Contribution(group="parcels", title=lambda: _("Parcels waiting"), gather=_parcels),
    Contribution(group="lost", title=lambda: _("Lost and found awaiting notice or disposal"),
                 gather=_lost),
]
