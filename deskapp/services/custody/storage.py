"""Item storage (物品寄存): the storage form, the claim ticket, collection.

A customer leaves an item; the operator fills the storage form (物品寄存表),
the depositor confirms it by signature and takes a ticket with a short code
(``S-7K3M-Q``). Collection is by the code, with the collector's identity
checked and signed for. A lost ticket is a supervisor's matter: the item is
found by the depositor's name, phone or ID number and released with a note.
Cash, valuables, perishables and dangerous goods are refused unless a
supervisor notes an exception. Items held longer than a set number of days
(default 7) are flagged.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import or_
from sqlmodel import Session, col

from deskapp.config import Settings
from deskapp.errors import InvalidInput
from deskapp.i18n import N_, _
from deskapp.models import Operator
from deskapp.models.custody import (
    CustodyEvent,
    CustodyItem,
    DepositorKind,
    ItemStatus,
    Ledger,
    StorageCategory,
)
from deskapp.services import audit, directory, operators
from deskapp.services.acting import Acting
from deskapp.services.custody import checks, core, export, lists
from deskapp.services.custody.checks import Collector
from deskapp.services.custody.lists import HeldTooLong, ItemRow, Page

audit.register_action_labels(
    {
        "storage.deposit": N_("Item left for storage"),
        "storage.collect": N_("Stored item collected"),
        "storage.release_lost_ticket": N_("Stored item released without its ticket"),
    }
)

_CATEGORY_LABELS = {
    StorageCategory.ORDINARY.value: N_("ordinary item"),
    StorageCategory.CASH.value: N_("cash"),
    StorageCategory.VALUABLES.value: N_("valuables"),
    StorageCategory.PERISHABLE.value: N_("perishables"),
    StorageCategory.DANGEROUS.value: N_("dangerous goods"),
}
_DEPOSITOR_LABELS = {
    DepositorKind.RESIDENT.value: N_("resident"),
    DepositorKind.VISITOR.value: N_("visitor"),
}


def category_label(category: str) -> str:
    label = _CATEGORY_LABELS.get(category)
    return _(label) if label else category


def depositor_kind_label(kind: str) -> str:
    label = _DEPOSITOR_LABELS.get(kind)
    return _(label) if label else kind


@dataclass(frozen=True)
class StorageForm:
    """The storage form (物品寄存表) as the operator filled it."""

    depositor_name: str
    description: str
    shelf: str
    phone: str
    depositor_kind: str = DepositorKind.RESIDENT.value
    unit: str = ""
    """Unit code (``3-2-1201``); required for a resident, optional for a visitor."""
    id_number: str = ""
    """Optional: lets a lost ticket be found by the depositor's ID."""
    may_collect: str = ""
    pieces: int = 1
    condition: str = ""
    category: str = StorageCategory.ORDINARY.value
    depositor_confirmed: bool = False
    """The depositor confirmed the form by signature."""


def needs_exception(category: str) -> bool:
    """Only an ordinary item is taken as it is; cash, valuables, perishables and dangerous
    goods need a supervisor's exception (who signs, and a note)."""
    return category != StorageCategory.ORDINARY.value


def _parse_kind(value: str) -> DepositorKind:
    try:
        return DepositorKind(value.strip().lower())
    except ValueError:
        raise InvalidInput(
            _("Choose resident or visitor for the depositor."), field="depositor_kind"
        ) from None


def _parse_category(value: str) -> StorageCategory:
    try:
        return StorageCategory(value.strip().lower())
    except ValueError:
        raise InvalidInput(
            _("Choose what kind of item it is: ordinary, cash, valuables, perishables or "
              "dangerous goods."),
            field="category",
        ) from None


def deposit(
    session: Session,
    *,
    acting: Acting,
    form: StorageForm,
    now: datetime,
    exception_by: Operator | None = None,
    exception_note: str = "",
) -> CustodyItem:
    """Take an item for storage and give it a claim ticket code (``item.code``).

    Cash, valuables, perishables and dangerous goods need ``exception_by`` (a
    supervisor or manager) and ``exception_note``; otherwise they are refused.
    """
    kind = _parse_kind(form.depositor_kind)
    name = checks.clean_name(form.depositor_name, field="depositor_name",
                              label=_("the depositor's name"))
    phone = checks.clean_phone(form.phone, field="phone", required=True)
    unit_id = None
    if form.unit.strip():
        unit_id = directory.get_unit(session, acting=acting, code=form.unit).id
    elif kind == DepositorKind.RESIDENT:
        raise InvalidInput(_("Give the depositor's unit, or choose visitor."), field="unit")
    id_number = checks.clean_id_number(form.id_number, field="id_number")
    may_collect = checks.clean_text(
        form.may_collect, field="may_collect", label=_("who may collect"),
        max_length=checks.MAX_SHORT,
    )
    description = checks.clean_text(
        form.description, field="description", label=_("the description"),
        max_length=checks.MAX_DESCRIPTION, required=True,
    )
    pieces = checks.clean_pieces(form.pieces)
    condition = checks.clean_text(
        form.condition, field="condition", label=_("the condition"),
        max_length=checks.MAX_SHORT,
    )
    shelf = checks.clean_text(
        form.shelf, field="shelf", label=_("the shelf"), max_length=checks.MAX_PLACE,
        required=True,
    )
    category = _parse_category(form.category)
    note = ""
    if needs_exception(category.value):
        checks.require_role(
            exception_by, checks.SUPERVISORS, acting=acting, field="category",
            message=_("{category} is not taken for storage unless a supervisor notes an "
                      "exception.").format(category=category_label(category.value).capitalize()),
        )
        note = checks.clean_text(
            exception_note, field="exception_note", label=_("the supervisor's note"),
            max_length=checks.MAX_NOTE, required=True, multiline=True,
        )
    if not form.depositor_confirmed:
        raise InvalidInput(
            _("The depositor confirms the form by signature before the item is taken."),
            field="depositor_confirmed",
        )
    item = core.receive(
        session, acting=acting, ledger=Ledger.STORAGE, now=now,
        fields={
            "description": description, "pieces": pieces, "condition": condition,
            "place": shelf, "unit_id": unit_id, "owner_name": name, "owner_phone": phone,
            "owner_phone_tail": phone[-4:], "owner_id_number": id_number,
            "owner_id_tail": id_number[-4:], "received_from": name,
            "depositor_kind": kind.value, "may_collect": may_collect,
            "depositor_confirmed": True, "category": category.value,
            "exception_note": note,
            "exception_by_id": exception_by.id if note and exception_by else None,
        },
        action="storage.deposit",
    )
    return item


def collect(
    session: Session,
    *,
    acting: Acting,
    code: str,
    collector: Collector,
    now: datetime,
    settings: Settings | None = None,
) -> CustodyItem:
    """Hand the item of ticket ``code`` to the collector, identity checked and signed.

    A code with a typo is refused (field ``code``), a code already collected is
    refused with who took it and when; nothing is handed out twice.
    """
    zone = core.zone_of(settings) if settings else None
    item = to_collect(session, acting=acting, code=code, zone=zone)
    checked = checks.check_collector(collector, require_id_check=True)
    return core.release(session, acting=acting, item=item, collector=checked, now=now,
                           zone=zone, action="storage.collect")


def to_collect(
    session: Session, *, acting: Acting, code: str, zone: tzinfo | None = None
) -> CustodyItem:
    """The item of ticket ``code`` if it can be handed over now; else the refusal
    (a typo: field ``code``; already collected: who took it and when)."""
    item = core.get_by_code(session, acting=acting, text=code, ledger=Ledger.STORAGE.value)
    core.ensure_status(item, zone=zone)
    return item


def release_without_ticket(
    session: Session,
    *,
    acting: Acting,
    item_id: int,
    collector: Collector,
    supervisor: Operator | None,
    note: str,
    now: datetime,
    settings: Settings | None = None,
) -> CustodyItem:
    """A lost ticket: release with the collector's ID checked and a supervisor's note."""
    item = core.get_item(session, acting=acting, item_id=item_id,
                            ledger=Ledger.STORAGE.value)
    zone = core.zone_of(settings) if settings else None
    core.ensure_status(item, zone=zone)
    approver = checks.require_role(
        supervisor, checks.SUPERVISORS, acting=acting, field="supervisor",
        message=_("Without the ticket, a supervisor approves the release with a note."),
    )
    text = checks.clean_text(
        note, field="note", label=_("the supervisor's note"), max_length=checks.MAX_NOTE,
        required=True, multiline=True,
    )
    checked = checks.check_collector(collector, require_id_check=True)
    return core.release(
        session, acting=acting, item=item, collector=checked, now=now,
        note=text, approved_by=approver, zone=zone, action="storage.release_lost_ticket",
    )


def find_lost_ticket(
    session: Session, *, acting: Acting, query: str, now: datetime, settings: Settings,
    limit: int = 20,
) -> list[ItemRow]:
    """Items still held for a depositor found by name, phone digits or ID number."""
    text = unicodedata.normalize("NFKC", query).strip()
    if not text:
        return []
    compact = "".join(text.split()).replace("-", "").upper()
    clauses = []
    if compact.isdigit() and len(compact) >= 4:
        clauses.append(col(CustodyItem.owner_phone).endswith(compact))
    if len(compact) >= 4 and compact[:-1].isdigit():
        clauses.append(col(CustodyItem.owner_id_number).endswith(compact))
    if not compact.isdigit():
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(col(CustodyItem.owner_name).like(f"%{escaped}%", escape="\\"))
    if not clauses:
        return []
    page = lists.item_page(
        session, acting=acting,
        where=[CustodyItem.ledger == Ledger.STORAGE.value,
               CustodyItem.status == ItemStatus.HELD.value, or_(*clauses)],
        now=now, overdue=overdue_rule(settings), limit=limit,
    )
    return page.rows


def overdue_rule(settings: Settings) -> HeldTooLong:
    """Held longer than ``storage_overdue_days`` (exactly that long is not yet overdue):
    the one rule of the list, its filter and count, the record view and the dashboard."""
    return HeldTooLong(timedelta(days=settings.storage_overdue_days))


def is_overdue(item: CustodyItem, *, now: datetime, settings: Settings) -> bool:
    return overdue_rule(settings).applies(item, now)


def overdue_count(session: Session, *, acting: Acting, now: datetime, settings: Settings) -> int:
    """How many stored items are overdue now (the list's count line, the dashboard)."""
    return lists.count_items(session, acting=acting,
                            where=[CustodyItem.ledger == Ledger.STORAGE.value,
                                   overdue_rule(settings).clause(now)])


def held(
    session: Session, *, acting: Acting, now: datetime, settings: Settings,
    overdue_only: bool = False, limit: int = lists.DEFAULT_PAGE, offset: int = 0,
) -> Page[ItemRow]:
    """Items held for storage, oldest first; ``overdue_only`` keeps the flagged ones."""
    rule = overdue_rule(settings)
    where: list[Any] = [CustodyItem.ledger == Ledger.STORAGE.value,
                        CustodyItem.status == ItemStatus.HELD.value]
    if overdue_only:
        where.append(rule.clause(now))
    return lists.item_page(
        session, acting=acting, where=where, now=now, overdue=rule,
        limit=limit, offset=offset,
    )


def history(
    session: Session, *, acting: Acting, now: datetime, settings: Settings,
    limit: int = lists.DEFAULT_PAGE, offset: int = 0,
) -> Page[ItemRow]:
    """Every storage record, newest first (collected and voided ones too)."""
    return lists.item_page(
        session, acting=acting, where=[CustodyItem.ledger == Ledger.STORAGE.value],
        now=now, overdue=overdue_rule(settings), limit=limit, offset=offset,
        newest_first=True,
    )


@dataclass(frozen=True)
class StorageRecord:
    """One stored item as its record view shows it."""

    item: CustodyItem
    unit_code: str
    names: dict[int, str]
    """Operators' display names by id (who took it in, handed it out, approved)."""
    events: list[CustodyEvent]
    overdue: bool


def record(
    session: Session, *, acting: Acting, item_id: int, now: datetime, settings: Settings
) -> StorageRecord:
    """The whole record of a stored item, its timeline and whether it is overdue."""
    item = core.get_item(session, acting=acting, item_id=item_id, ledger=Ledger.STORAGE.value)
    return StorageRecord(
        item=item,
        unit_code=directory.unit_code(session, item.unit_id),
        names=operators.display_names(session, acting=acting),
        events=core.timeline(session, acting=acting, item_id=item_id),
        overdue=is_overdue(item, now=now, settings=settings),
    )


def has_ticket(item: CustodyItem) -> bool:
    """A claim ticket exists only while the item is held at the desk."""
    return item.status == ItemStatus.HELD.value


def ticket_item(session: Session, *, acting: Acting, item_id: int) -> tuple[CustodyItem, str]:
    """The item and its unit code, for printing its ticket; refused once it left the desk."""
    item = core.get_item(session, acting=acting, item_id=item_id, ledger=Ledger.STORAGE.value)
    if not has_ticket(item):
        raise InvalidInput(
            _("{code} is no longer at the desk: there is no ticket to print.").format(
                code=item.code))
    return item, directory.unit_code(session, item.unit_id)


@dataclass(frozen=True)
class Depositor:
    """Who a picked unit or person suggests as the depositor."""

    name: str = ""
    phone: str = ""
    overwrite: bool = False
    """A picked person replaces what was typed; a unit's only resident fills empty fields."""
    others: tuple[str, ...] = ()
    """The unit's people when there are several (the operator types one of them)."""


def depositor_from_pick(
    session: Session, *, acting: Acting, unit_id: int, resident_id: int | None
) -> Depositor:
    """The depositor a pick in the unit picker suggests: the person picked, the unit's
    only resident, or nobody and the names of the unit's people."""
    if resident_id is not None:
        person = directory.find_resident(session, acting=acting, resident_id=resident_id)
        if person is None:
            return Depositor()
        return Depositor(name=person.name, phone=person.phone, overwrite=True)
    card = directory.unit_card(session, acting=acting, unit_id=unit_id)
    if len(card.residents) == 1:
        only = card.residents[0]
        return Depositor(name=only.name, phone=only.phone)
    return Depositor(others=tuple(person.name for person in card.residents))


STORAGE_COLUMNS: list[export.ItemColumn] = [
    *export.COMMON_HEAD,
    ("depositor_kind", lambda i, u, o, z: i.depositor_kind),
    ("owner_id_number", lambda i, u, o, z: i.owner_id_number),
    ("may_collect", lambda i, u, o, z: i.may_collect),
    ("condition", lambda i, u, o, z: i.condition),
    ("category", lambda i, u, o, z: i.category),
    ("depositor_confirmed", lambda i, u, o, z: "1" if i.depositor_confirmed else "0"),
    ("exception_note", lambda i, u, o, z: i.exception_note),
    *export.COMMON_TAIL,
]


def export_rows(
    session: Session, *, acting: Acting, since: datetime, until: datetime,
    zone: tzinfo | None = None,
) -> tuple[list[str], Iterator[list[str]]]:
    """Storage records received or closed in [since, until)."""
    return export.export_items(session, acting=acting, ledger=Ledger.STORAGE, since=since,
                                until=until, columns=STORAGE_COLUMNS, zone=zone)
