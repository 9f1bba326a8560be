"""Lost and found (物品拾遗): register, claim with ID, notice, hand-over, disposal.

Staff hand a found item to the desk at once; the desk registers where and
when it was found, what it is and who found it (《拾遗物品登记表》). A claimant
shows ID and describes the item: the ID number is recorded in full on the
record (masked in every list), the description check noted, and the claimant
signs. Each week the unclaimed items are posted in a notice; valuables not
claimed the same day go to the admin office; each month the unclaimed items
are handed to admin; after three months unclaimed they are disposed of,
signed by two staff as witnesses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.errors import Conflict, InvalidInput
from deskapp.formatting import local_day_start
from deskapp.i18n import N_, _
from deskapp.models import Operator, Unit
from deskapp.models.custody import CustodyItem, ItemStatus, Ledger
from deskapp.services import audit, directory
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.custody import checks, core, export, lists
from deskapp.services.custody.checks import Collector
from deskapp.services.custody.lists import ItemRow, Page

audit.register_action_labels(
    {
        "lost.register": N_("Found item registered"),
        "lost.claim": N_("Found item claimed"),
        "lost.admin": N_("Found item handed to the admin office"),
        "lost.dispose": N_("Found item disposed of"),
    }
)

UNCLAIMED = (ItemStatus.HELD, ItemStatus.ADMIN)
_UNCLAIMED_VALUES = [status.value for status in UNCLAIMED]
MAX_LIST = 500


@dataclass(frozen=True)
class FoundForm:
    """The register line of a found item (《拾遗物品登记表》)."""

    description: str
    found_where: str
    finder: str
    found_at: datetime | None = None
    """When it was found; empty means now."""
    valuable: bool = False
    """Cash, a phone, jewellery, documents: to the admin office if not claimed the same day."""
    pieces: int = 1
    place: str = ""
    condition: str = ""
    owner_hint: str = ""
    """A name on the item, if any (a card, a label)."""
    unit: str = ""


def register_found(
    session: Session, *, acting: Acting, form: FoundForm, now: datetime
) -> CustodyItem:
    """Register an item handed to the desk; it gets an ``L-`` tag code."""
    description = checks.clean_text(
        form.description, field="description", label=_("the description"),
        max_length=checks.MAX_DESCRIPTION, required=True,
    )
    found_where = checks.clean_text(
        form.found_where, field="found_where", label=_("where it was found"),
        max_length=checks.MAX_SHORT, required=True,
    )
    finder = checks.clean_name(form.finder, field="finder", label=_("the finder"))
    found_at = as_utc(form.found_at) if form.found_at is not None else now
    if found_at > now:
        raise InvalidInput(_("The time found cannot be in the future."), field="found_at")
    pieces = checks.clean_pieces(form.pieces)
    place = checks.clean_text(form.place, field="place", label=_("the shelf"),
                               max_length=checks.MAX_PLACE)
    condition = checks.clean_text(form.condition, field="condition", label=_("the condition"),
                                   max_length=checks.MAX_SHORT)
    owner = checks.clean_name(form.owner_hint, field="owner_hint", label=_("the owner's name"),
                               required=False)
    unit_id = None
    if form.unit.strip():
        unit_id = directory.get_unit(session, acting=acting, code=form.unit).id
    return core.receive(
        session, acting=acting, ledger=Ledger.LOST, now=now,
        fields={
            "description": description, "found_where": found_where, "received_from": finder,
            "found_at": found_at, "valuable": form.valuable, "pieces": pieces, "place": place,
            "condition": condition, "owner_name": owner, "unit_id": unit_id,
        },
        action="lost.register",
    )


def claim(
    session: Session,
    *,
    acting: Acting,
    item_id: int,
    claimant: Collector,
    description_check: str,
    now: datetime,
    settings: Settings | None = None,
) -> CustodyItem:
    """The owner claims the item: ID shown and recorded, description checked, signed.

    Refused without the claimant's ID number (field ``id_number``) or without a note
    of how the description matched (field ``description_check``).
    """
    item = core.get_item(session, acting=acting, item_id=item_id, ledger=Ledger.LOST.value)
    zone = core.zone_of(settings) if settings else None
    core.ensure_status(item, allowed=UNCLAIMED, zone=zone)
    checked = checks.check_collector(claimant, require_id_check=True, require_id_number=True)
    note = checks.clean_text(
        description_check, field="description_check",
        label=_("how the claimant described the item"), max_length=checks.MAX_NOTE,
        required=True, multiline=True,
    )
    return core.release(
        session, acting=acting, item=item, collector=checked, now=now,
        note=note, allowed=UNCLAIMED, zone=zone, action="lost.claim",
    )


def _unclaimed(*extra: Any) -> list[Any]:
    return [CustodyItem.ledger == Ledger.LOST.value,
            col(CustodyItem.status).in_(_UNCLAIMED_VALUES), *extra]


def _valuable_unclaimed_since_yesterday(now: datetime, settings: Settings) -> Any:
    day_start = as_utc(local_day_start(now, core.zone_of(settings)))
    return lambda item: (
        item.valuable
        and item.status == ItemStatus.HELD.value
        and as_utc(item.received_at) < day_start
    )


def admin_due_at(received_at: datetime, *, settings: Settings) -> datetime:
    """When a valuable still at the desk is due at the admin office: the local midnight
    after the day it came in ("not claimed the same day"). From this moment on it is
    among ``valuables_for_admin`` (and the dashboard's ``lost_for_admin``)."""
    zone = core.zone_of(settings)
    # Aware arithmetic in a ZoneInfo is wall-clock: one day later is the next local midnight.
    return as_utc(local_day_start(as_utc(received_at), zone) + timedelta(days=1))


def lost_items(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    settings: Settings,
    status: str | None = None,
    limit: int = lists.DEFAULT_PAGE,
    offset: int = 0,
) -> Page[ItemRow]:
    """Found items, newest first, of one status (``held``, ``released``…) or all.

    ``overdue`` on a row flags a valuable still at the desk after the day it came in.
    """
    where: list[Any] = [CustodyItem.ledger == Ledger.LOST.value]
    if status:
        where.append(CustodyItem.status == status)
    return lists.item_page(
        session, acting=acting, where=where, now=now,
        limit=limit, offset=offset, newest_first=True,
        overdue_if=_valuable_unclaimed_since_yesterday(now, settings),
    )


@dataclass(frozen=True)
class Notice:
    """The weekly notice of unclaimed items (失物招领启事), as data for a printable list."""

    rows: list[ItemRow]
    posted_at: datetime
    posted_until: datetime


def _every(session: Session, *, site_id: int, where: list[Any], now: datetime,
           overdue_if: Callable[[CustodyItem], bool] | None = None) -> list[ItemRow]:
    """Every item matching ``where``, found first listed first (as ``lists.item_page``
    orders a page): a whole list, for what must see each row (a printed list, the
    hand-over of the whole list, the shift's handover)."""
    found = session.exec(
        select(CustodyItem, Unit.code)
        .outerjoin(Unit, col(Unit.id) == col(CustodyItem.unit_id))
        .where(CustodyItem.site_id == site_id, *where)
        .order_by(col(CustodyItem.received_at), col(CustodyItem.id))
    ).all()
    return [lists.item_row(item, unit_code or "", now=now, overdue_if=overdue_if)
            for item, unit_code in found]


def weekly_notice(
    session: Session, *, acting: Acting, now: datetime, settings: Settings
) -> Notice:
    """Every unclaimed item (at the desk or the admin office), found first listed first:
    the printed notice. The screen pages the same list (``notice_page``).

    The notice stays up ``lost_found_notice_days`` (one week).
    """
    site_id = acting.site_id
    return Notice(rows=_every(session, site_id=site_id, where=_unclaimed(), now=now),
                  posted_at=now,
                  posted_until=now + timedelta(days=settings.lost_found_notice_days))


def notice_page(
    session: Session, *, acting: Acting, now: datetime, settings: Settings,
    offset: int = 0, limit: int = lists.DEFAULT_PAGE,
) -> Page[ItemRow]:
    """One page of the weekly notice's items (``weekly_notice``: the same, in its order)."""
    return lists.item_page(session, acting=acting, where=_unclaimed(), now=now,
                           offset=offset, limit=limit)


def valuables_for_admin(
    session: Session, *, acting: Acting, now: datetime, settings: Settings
) -> list[ItemRow]:
    """Valuables still at the desk that came in before today (local): to the admin office."""
    day_start = as_utc(local_day_start(now, core.zone_of(settings)))
    page = lists.item_page(
        session, acting=acting,
        where=[CustodyItem.ledger == Ledger.LOST.value,
               CustodyItem.status == ItemStatus.HELD.value,
               col(CustodyItem.valuable).is_(True),
               col(CustodyItem.received_at) < day_start],
        now=now, limit=MAX_LIST,
        overdue_if=lambda _item: True,
    )
    return page.rows


def _handover_where(now: datetime, settings: Settings, before: datetime | None) -> list[Any]:
    cutoff = before if before is not None else as_utc(
        local_day_start(now, core.zone_of(settings))
    )
    return [CustodyItem.ledger == Ledger.LOST.value,
            CustodyItem.status == ItemStatus.HELD.value,
            col(CustodyItem.received_at) < cutoff]


def handover_list(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    settings: Settings,
    before: datetime | None = None,
) -> list[ItemRow]:
    """The monthly hand-over list: items still at the desk that came in before ``before``,
    found first listed first; whole, for its print and the hand-over of every item on it.
    The screen pages the same list (``handover_page``).

    ``before`` defaults to the start of today (local): everything but today's finds.
    """
    site_id = acting.site_id
    return _every(session, site_id=site_id, where=_handover_where(now, settings, before),
                  now=now, overdue_if=_valuable_unclaimed_since_yesterday(now, settings))


def handover_page(
    session: Session, *, acting: Acting, now: datetime, settings: Settings,
    before: datetime | None = None, offset: int = 0, limit: int = lists.DEFAULT_PAGE,
) -> Page[ItemRow]:
    """One page of ``handover_list`` (the same items, in its order), with how many."""
    return lists.item_page(
        session, acting=acting, where=_handover_where(now, settings, before), now=now,
        offset=offset, limit=limit,
        overdue_if=_valuable_unclaimed_since_yesterday(now, settings),
    )


def hand_over(
    session: Session,
    *,
    acting: Acting,
    item_ids: list[int],
    receiver: str,
    now: datetime,
    settings: Settings | None = None,
) -> list[CustodyItem]:
    """Record that the admin office took these items; all of them or none."""
    receiver = checks.clean_name(receiver, field="receiver",
                                  label=_("who received them at the admin office"))
    if not item_ids:
        raise InvalidInput(_("Choose the items handed over."), field="items")
    zone = core.zone_of(settings) if settings else None
    items = [
        core.get_item(session, acting=acting, item_id=item_id, ledger=Ledger.LOST.value)
        for item_id in dict.fromkeys(item_ids)
    ]
    for item in items:
        core.ensure_status(item, zone=zone)
    # A savepoint: if another desk takes one of them meanwhile, none is marked as handed over.
    with session.begin_nested():
        for item in items:
            core.hand_to_admin(session, acting=acting, item=item, receiver=receiver,
                                  now=now, action="lost.admin")
    return items


def disposal_cutoff(*, now: datetime, settings: Settings) -> datetime:
    """Items received at or before this instant have waited the disposal months."""
    return core.months_before(now, settings.lost_found_disposal_months,
                                 core.zone_of(settings))


def disposal_date(received_at: datetime, *, settings: Settings) -> datetime:
    """The first moment an item received at ``received_at`` may be disposed of: when
    ``disposal_cutoff`` reaches it. The same local wall time the disposal months later;
    a day the later month lacks (received on the 31st, three months on has 30 days)
    waits for the next local day, as the cut-off does."""
    received = as_utc(received_at)
    zone = core.zone_of(settings)
    months_on = core.months_before(received, -settings.lost_found_disposal_months, zone)
    if received <= disposal_cutoff(now=months_on, settings=settings):
        return months_on
    return as_utc(local_day_start(months_on, zone) + timedelta(days=1))


def _disposal_where(now: datetime, settings: Settings) -> list[Any]:
    return _unclaimed(col(CustodyItem.received_at) <= disposal_cutoff(now=now,
                                                                      settings=settings))


def disposal_list(
    session: Session, *, acting: Acting, now: datetime, settings: Settings
) -> list[ItemRow]:
    """Items unclaimed for ``lost_found_disposal_months`` (3) or more, at the desk or admin,
    found first listed first; whole, for its print and the shift's handover. The screen
    pages the same list (``disposal_page``)."""
    site_id = acting.site_id
    return _every(session, site_id=site_id, where=_disposal_where(now, settings), now=now,
                  overdue_if=lambda _item: True)


def disposal_page(
    session: Session, *, acting: Acting, now: datetime, settings: Settings,
    offset: int = 0, limit: int = lists.DEFAULT_PAGE,
) -> Page[ItemRow]:
    """One page of ``disposal_list`` (the same items, in its order), with how many."""
    return lists.item_page(session, acting=acting, where=_disposal_where(now, settings),
                           now=now, offset=offset, limit=limit, overdue_if=lambda _item: True)


def dispose(
    session: Session,
    *,
    acting: Acting,
    item_id: int,
    witness_a: Operator | None,
    witness_b: Operator | None,
    note: str,
    now: datetime,
    settings: Settings,
) -> CustodyItem:
    """Dispose of an item unclaimed for three months, signed by two different staff."""
    item = core.get_item(session, acting=acting, item_id=item_id, ledger=Ledger.LOST.value)
    zone = core.zone_of(settings)
    core.ensure_status(item, allowed=UNCLAIMED, zone=zone)
    if as_utc(item.received_at) > disposal_cutoff(now=now, settings=settings):
        raise Conflict(
            _("{code} has not waited {months} months yet; it may not be disposed of.").format(
                code=item.code, months=settings.lost_found_disposal_months
            ),
            field="code",
        )
    first, second = checks.check_witnesses(
        session, acting=acting, witness_a=witness_a, witness_b=witness_b
    )
    text = checks.clean_text(
        note, field="note", label=_("how it was disposed of"), max_length=checks.MAX_NOTE,
        required=True, multiline=True,
    )
    return core.dispose(
        session, acting=acting, item=item, witness_a=first, witness_b=second, note=text,
        now=now, action="lost.dispose",
    )


def search(
    session: Session, *, acting: Acting, query: str, now: datetime, settings: Settings,
    limit: int = 20,
) -> list[ItemRow]:
    """Unclaimed items whose description or place found mentions ``query`` (a claimant asks)."""
    text = " ".join(query.split())
    if not text:
        return []
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    pattern = f"%{escaped}%"
    page = lists.item_page(
        session, acting=acting,
        where=_unclaimed(or_(col(CustodyItem.description).like(pattern, escape="\\"),
                             col(CustodyItem.found_where).like(pattern, escape="\\"))),
        now=now, limit=limit, newest_first=True,
    )
    return page.rows


LOST_COLUMNS: list[export.ItemColumn] = [
    *export.COMMON_HEAD,
    ("found_at", lambda i, u, o, z: export.export_time(i.found_at, z)),
    ("found_where", lambda i, u, o, z: i.found_where),
    ("valuable", lambda i, u, o, z: "1" if i.valuable else "0"),
    ("admin_at", lambda i, u, o, z: export.export_time(i.admin_at, z)),
    ("admin_receiver", lambda i, u, o, z: i.admin_receiver),
    ("disposed_at", lambda i, u, o, z: export.export_time(i.disposed_at, z)),
    ("disposal_note", lambda i, u, o, z: i.disposal_note),
    ("witness_a", lambda i, u, o, z: o.get(i.witness_a_id or 0, "")),
    ("witness_b", lambda i, u, o, z: o.get(i.witness_b_id or 0, "")),
    *export.COMMON_TAIL,
]


def export_rows(
    session: Session, *, acting: Acting, since: datetime, until: datetime,
    zone: tzinfo | None = None,
) -> tuple[list[str], Iterator[list[str]]]:
    """Found items registered or closed in [since, until)."""
    return export.export_items(session, acting=acting, ledger=Ledger.LOST, since=since,
                                until=until, columns=LOST_COLUMNS, zone=zone)
