"""The custody engine: one life for everything the desk keeps for somebody.

An item comes into the desk's custody (received, by whom, from whom), is kept
somewhere, and leaves to a verified person who signs — or goes to the admin
office, is disposed of before two witnesses, or is voided with a reason. The
ledgers (``storage``, ``lostfound``, ``parcels``) add their own fields and
rules and call these functions; keys live in ``keys``. What they accept as
typed is in ``checks``, their lists in ``lists``, their export rows in ``export``.

Nothing is handed out twice: every way out is a conditional update on the
item's status (``… WHERE status = 'held'``), so of two desks releasing the same
item at once, exactly one succeeds and the other is refused with the reason.
"""

from __future__ import annotations

import calendar
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.formatting import desk_zone
from deskapp.i18n import N_, _
from deskapp.models import Operator
from deskapp.models.custody import (
    CustodyEvent,
    CustodyItem,
    EventKind,
    ItemStatus,
    Ledger,
)
from deskapp.services import audit, codes
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.custody.checks import (
    MAX_NOTE,
    MAX_PLACE,
    MAX_SHORT,
    CheckedCollector,
    check_length,
    clean_text,
)
from deskapp.services.privacy import mask_id_number, mask_phone

LEDGER_PREFIX = {
    Ledger.STORAGE.value: codes.CodePrefix.STORAGE.value,
    Ledger.LOST.value: codes.CodePrefix.LOST.value,
    Ledger.PARCEL.value: codes.CodePrefix.PARCEL.value,
}
KEY_LEDGER = "key"
PREFIX_LEDGER = {prefix: ledger for ledger, prefix in LEDGER_PREFIX.items()} | {
    codes.CodePrefix.KEY.value: KEY_LEDGER
}

# Fields never copied in full into the audit trail: the record keeps them, the trail masks.
_ID_FIELDS = ("owner_id_number", "released_id_number", "id_number")
_PHONE_FIELDS = ("owner_phone", "released_phone", "borrower_phone")

audit.register_action_labels(
    {
        "custody.receive": N_("Item received"),
        "custody.move": N_("Item moved"),
        "custody.release": N_("Item handed over"),
        "custody.admin": N_("Item handed to the admin office"),
        "custody.dispose": N_("Item disposed of"),
        "custody.void": N_("Custody record voided"),
        "custody.note": N_("Note added"),
    }
)

_STATUS_LABELS = {
    ItemStatus.HELD.value: N_("held"),
    ItemStatus.RELEASED.value: N_("handed over"),
    ItemStatus.ADMIN.value: N_("at the admin office"),
    ItemStatus.DISPOSED.value: N_("disposed of"),
    ItemStatus.VOID.value: N_("void"),
}
_LEDGER_LABELS = {
    Ledger.STORAGE.value: N_("storage"),
    Ledger.LOST.value: N_("lost and found"),
    Ledger.PARCEL.value: N_("parcel"),
    KEY_LEDGER: N_("key"),
}
_EVENT_LABELS = {
    EventKind.RECEIVED.value: N_("received"),
    EventKind.MOVED.value: N_("moved"),
    EventKind.RELEASED.value: N_("handed over"),
    EventKind.ADMIN.value: N_("handed to the admin office"),
    EventKind.DISPOSED.value: N_("disposed of"),
    EventKind.VOIDED.value: N_("voided"),
    EventKind.NOTE.value: N_("note"),
    EventKind.NOTIFIED.value: N_("resident notified"),
    EventKind.KEY_REGISTERED.value: N_("key registered"),
    EventKind.KEY_ISSUED.value: N_("key issued"),
    EventKind.KEY_LENT.value: N_("key lent"),
    EventKind.KEY_RETURNED.value: N_("key returned"),
    EventKind.KEY_CHASED.value: N_("borrower chased"),
    EventKind.KEY_RETIRED.value: N_("key taken off the register"),
}


def status_label(status: str) -> str:
    label = _STATUS_LABELS.get(status)
    return _(label) if label else status


def ledger_label(ledger: str) -> str:
    label = _LEDGER_LABELS.get(ledger)
    return _(label) if label else ledger


def event_label(kind: str) -> str:
    label = _EVENT_LABELS.get(kind)
    return _(label) if label else kind


def event_label_id(kind: str) -> str:
    """The label's message id (English source), for text stored and translated when read."""
    return _EVENT_LABELS.get(kind, kind)


# --- reading ---------------------------------------------------------------------------------


def flushed_id(value: int | None) -> int:
    """The id of a record already flushed (``session.flush()`` gave it one)."""
    assert value is not None, "flushed records have an id"
    return value


def get_item(
    session: Session, *, acting: Acting, item_id: int, ledger: str | None = None
) -> CustodyItem:
    site_id = acting.site_id
    item = session.get(CustodyItem, item_id, populate_existing=True)
    if item is None or item.site_id != site_id or (ledger is not None and item.ledger != ledger):
        raise NotFound(_("This record does not exist (any more)."), field="code")
    return item


def get_by_code(session: Session, *, acting: Acting, text: str, ledger: str) -> CustodyItem:
    """The item whose ticket/tag code was typed or scanned, for one ledger."""
    site_id = acting.site_id
    code = codes.check_code(text)
    expected = LEDGER_PREFIX[ledger]
    if code.prefix != expected:
        raise InvalidInput(
            _("{code} is a {kind} code, not a {wanted} code.").format(
                code=code.text,
                kind=ledger_label(PREFIX_LEDGER.get(code.prefix, code.prefix)),
                wanted=ledger_label(ledger),
            ),
            field="code",
        )
    item = session.exec(
        select(CustodyItem)
        .where(CustodyItem.site_id == site_id, CustodyItem.code == code.text)
        .execution_options(populate_existing=True)
    ).first()
    if item is None or item.ledger != ledger:
        raise NotFound(
            _("No record has the code {code}. Check the ticket.").format(code=code.text),
            field="code",
        )
    return item


def timeline(session: Session, *, acting: Acting, item_id: int) -> list[CustodyEvent]:
    """The events of an item, oldest first."""
    site_id = acting.site_id
    return list(
        session.exec(
            select(CustodyEvent)
            .where(CustodyEvent.site_id == site_id, CustodyEvent.item_id == item_id)
            .order_by(col(CustodyEvent.at), col(CustodyEvent.id))
        ).all()
    )


# --- writing ----------------------------------------------------------------------------------


def audit_view(record: Any) -> dict[str, Any]:
    """A snapshot for the audit trail with phone and ID numbers masked."""
    values = audit.snapshot(record)
    for name in _ID_FIELDS:
        if values.get(name):
            values[name] = mask_id_number(str(values[name]))
    for name in _PHONE_FIELDS:
        if values.get(name):
            values[name] = mask_phone(str(values[name]))
    return values


def add_event(
    session: Session,
    *,
    acting: Acting,
    kind: EventKind,
    now: datetime,
    item_id: int | None = None,
    key_id: int | None = None,
    loan_id: int | None = None,
    note: str = "",
) -> CustodyEvent:
    site_id = acting.site_id
    actor = acting.operator
    event = CustodyEvent(
        site_id=site_id, item_id=item_id, key_id=key_id, loan_id=loan_id, kind=kind.value,
        at=now, operator_id=actor.id if actor else None,
        note=check_length(note, field="note", label=_("the note"), max_length=MAX_NOTE),
    )
    session.add(event)
    return event


def receive(
    session: Session,
    *,
    acting: Acting,
    ledger: Ledger,
    now: datetime,
    fields: dict[str, Any],
    open_key: str | None = None,
    note: str = "",
    action: str = "custody.receive",
) -> CustodyItem:
    """Take an item into custody: the row, its code, its first event and the audit entry.

    ``fields`` are already checked by the ledger's module. ``open_key`` (a parcel's
    carrier and tracking number) is unique among waiting items: a second one is
    refused by the database as well, so two desks cannot log the same parcel.
    """
    site_id = acting.site_id
    actor = acting.operator
    item = CustodyItem(
        site_id=site_id, ledger=ledger.value, status=ItemStatus.HELD.value, received_at=now,
        received_by_id=actor.id if actor else None, open_key=open_key, created_at=now,
        **fields,
    )
    session.add(item)
    session.flush()
    item.code = codes.draw_code(LEDGER_PREFIX[ledger.value], lambda code: session.exec(
        select(CustodyItem.id).where(CustodyItem.site_id == site_id, CustodyItem.code == code)
    ).first() is not None)
    session.add(item)
    add_event(
        session, acting=acting, kind=EventKind.RECEIVED, now=now,
        item_id=item.id, note=note,
    )
    session.flush()
    audit.record(
        session, now=now, actor=actor, action=action, entity="custody_item",
        entity_id=item.id, site_id=site_id, after=audit_view(item),
    )
    return item


def _refusal(item: CustodyItem, zone: tzinfo | None = None) -> Conflict:
    """Why an item can no longer leave: who took it and when, in the operator's words."""
    when = item.released_at or item.admin_at or item.disposed_at or item.voided_at
    at = as_utc(when).astimezone(zone).strftime("%Y-%m-%d %H:%M") if when else ""
    code = item.code or f"#{item.id}"
    if item.status == ItemStatus.RELEASED.value:
        message = _("{code} was already handed over to {name} on {at}; nothing more to hand out.")
        return Conflict(message.format(code=code, name=item.released_to, at=at), field="code")
    if item.status == ItemStatus.ADMIN.value:
        return Conflict(
            _("{code} was handed to the admin office on {at}.").format(code=code, at=at),
            field="code",
        )
    if item.status == ItemStatus.DISPOSED.value:
        return Conflict(
            _("{code} was disposed of on {at}.").format(code=code, at=at), field="code"
        )
    if item.status == ItemStatus.VOID.value:
        return Conflict(
            _("{code} was voided on {at}: {reason}").format(
                code=code, at=at, reason=item.void_reason
            ),
            field="code",
        )
    return Conflict(
        _("{code} is still at the desk.").format(code=code), field="code"
    )


def ensure_status(
    item: CustodyItem,
    *,
    allowed: tuple[ItemStatus, ...] = (ItemStatus.HELD,),
    zone: tzinfo | None = None,
) -> None:
    """Refuse at once, with who took it and when, an item no longer in ``allowed``."""
    if item.status not in [status.value for status in allowed]:
        raise _refusal(item, zone)


def transition(
    session: Session,
    item: CustodyItem,
    *,
    allowed: tuple[ItemStatus, ...],
    values: dict[str, Any],
    zone: tzinfo | None = None,
) -> CustodyItem:
    """Move ``item`` out of one of the ``allowed`` states, or refuse with the reason.

    The update is conditional on the status still being one of ``allowed``: if
    another desk got there first (its row lock released, its commit done), this
    one updates nothing and is refused, so the item is never handed out twice.
    """
    allowed_values = [status.value for status in allowed]
    if item.status not in allowed_values:
        raise _refusal(item, zone)
    changes = {key: value for key, value in values.items() if key != "open_key"}
    if "status" in values and values["status"] != ItemStatus.HELD.value:
        changes["open_key"] = None
    result = session.exec(
        update(CustodyItem)
        .where(col(CustodyItem.id) == item.id, col(CustodyItem.status).in_(allowed_values))
        .values(**changes, version=col(CustodyItem.version) + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.refresh(item)
        raise _refusal(item, zone)
    session.refresh(item)
    return item


def release(
    session: Session,
    *,
    acting: Acting,
    item: CustodyItem,
    collector: CheckedCollector,
    now: datetime,
    note: str = "",
    approved_by: Operator | None = None,
    allowed: tuple[ItemStatus, ...] = (ItemStatus.HELD,),
    zone: tzinfo | None = None,
    event_note: str = "",
    action: str = "custody.release",
) -> CustodyItem:
    """Hand ``item`` to a verified collector who signed; refuses a second hand-out."""
    site_id = acting.site_id
    actor = acting.operator
    before = audit_view(item)
    transition(
        session, item, allowed=allowed, zone=zone,
        values={
            "status": ItemStatus.RELEASED.value,
            "released_at": now,
            "released_by_id": actor.id if actor else None,
            "released_to": collector.name,
            "released_relation": collector.relation,
            "released_phone": collector.phone,
            "id_checked": collector.id_checked,
            "released_id_number": collector.id_number,
            "signed": True,
            "release_note": note,
            "approved_by_id": approved_by.id if approved_by else None,
        },
    )
    add_event(
        session, acting=acting, kind=EventKind.RELEASED, now=now,
        item_id=item.id, note=event_note or collector.name,
    )
    session.flush()
    audit.record(
        session, now=now, actor=actor, action=action, entity="custody_item",
        entity_id=item.id, site_id=site_id, before=before, after=audit_view(item),
    )
    return item


def move(
    session: Session,
    *,
    acting: Acting,
    item_id: int,
    place: str,
    now: datetime,
) -> CustodyItem:
    """Put a held item on another shelf."""
    site_id = acting.site_id
    actor = acting.operator
    item = get_item(session, acting=acting, item_id=item_id)
    place = clean_text(place, field="place", label=_("the shelf"), max_length=MAX_PLACE,
                       required=True)
    before = audit_view(item)
    transition(session, item, allowed=(ItemStatus.HELD,), values={"place": place})
    add_event(session, acting=acting, kind=EventKind.MOVED, now=now,
              item_id=item.id, note=place)
    session.flush()
    audit.record(
        session, now=now, actor=actor, action="custody.move", entity="custody_item",
        entity_id=item.id, site_id=site_id, before=before, after=audit_view(item),
    )
    return item


def add_note(
    session: Session,
    *,
    acting: Acting,
    item_id: int,
    note: str,
    now: datetime,
    kind: EventKind = EventKind.NOTE,
) -> CustodyEvent:
    """A line on the item's timeline (a call to the owner, a resident notified)."""
    site_id = acting.site_id
    actor = acting.operator
    item = get_item(session, acting=acting, item_id=item_id)
    text = clean_text(note, field="note", label=_("the note"), max_length=MAX_NOTE,
                      required=kind == EventKind.NOTE, multiline=True)
    event = add_event(session, acting=acting, kind=kind, now=now,
                      item_id=item.id, note=text)
    session.flush()
    audit.record(
        session, now=now, actor=actor, action="custody.note", entity="custody_item",
        entity_id=item.id, site_id=site_id,
        after={"code": item.code, "kind": kind.value, "note": text},
    )
    return event


def void(
    session: Session,
    *,
    acting: Acting,
    item_id: int,
    reason: str,
    now: datetime,
) -> CustodyItem:
    """Void an item entered by mistake; it stays in the ledger with the reason."""
    site_id = acting.site_id
    actor = acting.operator
    item = get_item(session, acting=acting, item_id=item_id)
    reason = clean_text(reason, field="reason", label=_("the reason"), max_length=MAX_SHORT,
                        required=True)
    before = audit_view(item)
    transition(
        session, item, allowed=(ItemStatus.HELD,),
        values={"status": ItemStatus.VOID.value, "voided_at": now,
                "voided_by_id": actor.id if actor else None, "void_reason": reason},
    )
    add_event(session, acting=acting, kind=EventKind.VOIDED, now=now,
              item_id=item.id, note=reason)
    session.flush()
    audit.record(
        session, now=now, actor=actor, action="custody.void", entity="custody_item",
        entity_id=item.id, site_id=site_id, before=before, after=audit_view(item),
    )
    return item


def dispose(
    session: Session,
    *,
    acting: Acting,
    item: CustodyItem,
    witness_a: Operator,
    witness_b: Operator,
    note: str,
    now: datetime,
    allowed: tuple[ItemStatus, ...] = (ItemStatus.HELD, ItemStatus.ADMIN),
    action: str = "custody.dispose",
) -> CustodyItem:
    """Dispose of an item before two witnesses (already checked by ``check_witnesses``).

    The timeline line carries the witnesses' names before the note, so the note
    is refused (not cut) when both do not fit in one line of ``MAX_NOTE``.
    """
    site_id = acting.site_id
    actor = acting.operator
    witnessed = f"{witness_a.display_name}, {witness_b.display_name}. "
    check_length(note, field="note", label=_("how it was disposed of"),
                 max_length=max(0, MAX_NOTE - len(witnessed)))
    before = audit_view(item)
    transition(
        session, item, allowed=allowed,
        values={"status": ItemStatus.DISPOSED.value, "disposed_at": now, "disposal_note": note,
                "witness_a_id": witness_a.id, "witness_b_id": witness_b.id},
    )
    add_event(
        session, acting=acting, kind=EventKind.DISPOSED, now=now,
        item_id=item.id, note=witnessed + note,
    )
    session.flush()
    audit.record(
        session, now=now, actor=actor, action=action, entity="custody_item",
        entity_id=item.id, site_id=site_id, before=before, after=audit_view(item),
    )
    return item


def hand_to_admin(
    session: Session,
    *,
    acting: Acting,
    item: CustodyItem,
    receiver: str,
    now: datetime,
    action: str = "custody.admin",
) -> CustodyItem:
    """Record that the admin office took the item (``receiver`` already checked)."""
    site_id = acting.site_id
    actor = acting.operator
    before = audit_view(item)
    transition(
        session, item, allowed=(ItemStatus.HELD,),
        values={"status": ItemStatus.ADMIN.value, "admin_at": now,
                "admin_by_id": actor.id if actor else None, "admin_receiver": receiver},
    )
    add_event(session, acting=acting, kind=EventKind.ADMIN, now=now,
              item_id=item.id, note=receiver)
    session.flush()
    audit.record(
        session, now=now, actor=actor, action=action, entity="custody_item",
        entity_id=item.id, site_id=site_id, before=before, after=audit_view(item),
    )
    return item


def months_before(moment: datetime, months: int, zone: tzinfo) -> datetime:
    """The same local wall time ``months`` calendar months earlier (day clamped: 31 → 30)."""
    local = moment.astimezone(zone)
    year, month0 = divmod(local.year * 12 + local.month - 1 - months, 12)
    day = min(local.day, calendar.monthrange(year, month0 + 1)[1])
    earlier = local.replace(year=year, month=month0 + 1, day=day)
    return as_utc(earlier)


def zone_of(settings: Settings) -> tzinfo:
    return desk_zone(settings.timezone)
