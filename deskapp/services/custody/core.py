"""The custody engine: one life for everything the desk keeps for somebody.

An item comes into the desk's custody (received, by whom, from whom), is kept
somewhere, and leaves to a verified person who signs — or goes to the admin
office, is disposed of before two witnesses, or is voided with a reason. The
ledgers (``storage``, ``lostfound``, ``parcels``) add their own fields and
rules and call these functions; keys live in ``keys``.

Nothing is handed out twice: every way out is a conditional update on the
item's status (``… WHERE status = 'held'``), so of two desks releasing the same
item at once, exactly one succeeds and the other is refused with the reason.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any, Generic, TypeVar

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.formatting import desk_zone
from deskapp.i18n import N_, _
from deskapp.models import Operator, Role, Unit
from deskapp.models.custody import (
    CustodyEvent,
    CustodyItem,
    EventKind,
    ItemStatus,
    KeyRecord,
    Ledger,
)
from deskapp.services import audit, codes
from deskapp.services.clock import as_utc
from deskapp.services.privacy import mask_id_number, mask_phone

MAX_NAME = 64
MAX_SHORT = 200
MAX_NOTE = 500
MAX_DESCRIPTION = 500
MAX_PLACE = 64
MAX_PIECES = 999
DEFAULT_PAGE = 50

LEDGER_PREFIX = {
    Ledger.STORAGE.value: codes.CodePrefix.STORAGE.value,
    Ledger.LOST.value: codes.CodePrefix.LOST.value,
    Ledger.PARCEL.value: codes.CodePrefix.PARCEL.value,
}
KEY_LEDGER = "key"
_PREFIX_LEDGER = {prefix: ledger for ledger, prefix in LEDGER_PREFIX.items()} | {
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


# --- checking what was typed ---------------------------------------------------------------

_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")
_ID_NUMBER = re.compile(r"^[0-9A-Z]{5,32}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def clean_text(
    value: str,
    *,
    field: str,
    label: str,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
    allow_emoji: bool = True,
) -> str:
    """``value`` trimmed, or InvalidInput naming ``field`` when it cannot be kept.

    ``label`` is the field's name as the operator reads it (already translated).
    """
    text = unicodedata.normalize("NFC", value or "").strip()
    if not multiline:
        text = " ".join(text.split())
    if required and not text:
        raise InvalidInput(_("Fill in {label}.").format(label=label), field=field)
    if len(text) > max_length:
        raise InvalidInput(
            _("{label} may have at most {count} characters ({length} given).").format(
                label=label, count=max_length, length=len(text)
            ),
            field=field,
        )
    allowed_controls = "\n\t" if multiline else ""
    if any(
        unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn") and char not in allowed_controls
        for char in text
    ):
        raise InvalidInput(
            _("{label} contains control characters.").format(label=label), field=field
        )
    if not allow_emoji and _EMOJI.search(text):
        raise InvalidInput(
            _("{label} cannot contain emoji.").format(label=label), field=field
        )
    return text


def clean_name(value: str, *, field: str, label: str, required: bool = True) -> str:
    """A person's name: one line, no emoji, at most 64 characters."""
    return clean_text(
        value, field=field, label=label, max_length=MAX_NAME, required=required,
        allow_emoji=False,
    )


def clean_pieces(value: int, *, field: str = "pieces") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_PIECES:
        raise InvalidInput(
            _("The number of pieces must be between 1 and {count}.").format(count=MAX_PIECES),
            field=field,
        )
    return value


def clean_phone(value: str, *, field: str = "phone", required: bool = False) -> str:
    """Digits of a phone number (``directory.normalize_phone``), with this form's field name."""
    from deskapp.services.directory import normalize_phone

    if not (value or "").strip():
        if required:
            raise InvalidInput(_("Fill in the phone number."), field=field)
        return ""
    try:
        return normalize_phone(value)
    except InvalidInput as error:
        raise InvalidInput(error.message, field=field) from None


def clean_id_number(value: str, *, field: str = "id_number", required: bool = False) -> str:
    """An ID number as shown: 18-character resident IDs have their check digit verified."""
    text = unicodedata.normalize("NFKC", value or "").strip().upper().replace(" ", "")
    if not text:
        if required:
            raise InvalidInput(_("Record the ID number from the ID shown."), field=field)
        return ""
    if not _ID_NUMBER.match(text):
        raise InvalidInput(
            _("{text} is not an ID number: 5 to 32 letters and digits.").format(text=value.strip()),
            field=field,
        )
    if len(text) == 18 and text[:17].isdigit():
        pairs = zip(text[:17], _ID_WEIGHTS, strict=True)
        total = sum(int(digit) * weight for digit, weight in pairs)
        if _ID_CHECK[total % 11] != text[17]:
            raise InvalidInput(
                _("The ID number {text} does not add up (its last character is wrong) — a typo?")
                .format(text=mask_id_number(text)),
                field=field,
            )
    return text


def require_role(
    operator: Operator | None, roles: tuple[str, ...], *, site_id: int, field: str, message: str
) -> Operator:
    """``operator`` if it is an active operator of the site with one of ``roles``."""
    if (
        operator is None
        or operator.site_id != site_id
        or not operator.active
        or operator.role not in roles
    ):
        raise InvalidInput(message, field=field)
    return operator


SUPERVISORS = (Role.SUPERVISOR.value, Role.MANAGER.value)


# --- the person who takes an item -----------------------------------------------------------


@dataclass(frozen=True)
class Collector:
    """Who takes an item and signs for it (取件人 / 认领人)."""

    name: str
    relation: str = ""
    """How they stand to the owner: self, family, neighbour, colleague…"""
    phone: str = ""
    id_checked: bool = False
    id_number: str = ""
    """The ID number shown (or only its last digits where the ledger needs no more)."""
    signed: bool = False


@dataclass(frozen=True)
class CheckedCollector:
    name: str
    relation: str
    phone: str
    id_checked: bool
    id_number: str


def check_collector(
    collector: Collector, *, require_id_check: bool, require_id_number: bool = False
) -> CheckedCollector:
    """The collector's details, or InvalidInput naming the field to fix."""
    name = clean_name(collector.name, field="collector", label=_("the collector's name"))
    relation = clean_text(
        collector.relation, field="relation", label=_("the relation"), max_length=32
    )
    phone = clean_phone(collector.phone, field="collector_phone")
    id_number = clean_id_number(
        collector.id_number, field="id_number", required=require_id_number
    )
    if require_id_number and not id_number:
        raise InvalidInput(_("Record the ID number from the ID shown."), field="id_number")
    if (require_id_check or require_id_number) and not collector.id_checked:
        raise InvalidInput(
            _("Check the collector's ID before handing the item over."), field="id_checked"
        )
    if not collector.signed:
        raise InvalidInput(
            _("The collector signs for the item before it is handed over."), field="signed"
        )
    return CheckedCollector(
        name=name, relation=relation, phone=phone, id_checked=collector.id_checked,
        id_number=id_number,
    )


# --- reading ---------------------------------------------------------------------------------


def _id(value: int | None) -> int:
    assert value is not None, "flushed records have an id"
    return value


def get_item(
    session: Session, *, site_id: int, item_id: int, ledger: str | None = None
) -> CustodyItem:
    item = session.get(CustodyItem, item_id, populate_existing=True)
    if item is None or item.site_id != site_id or (ledger is not None and item.ledger != ledger):
        raise NotFound(_("This record does not exist (any more)."), field="code")
    return item


def get_by_code(session: Session, *, site_id: int, text: str, ledger: str) -> CustodyItem:
    """The item whose ticket/tag code was typed or scanned, for one ledger."""
    code = codes.check_code(text)
    expected = LEDGER_PREFIX[ledger]
    if code.prefix != expected:
        raise InvalidInput(
            _("{code} is a {kind} code, not a {wanted} code.").format(
                code=code.text,
                kind=ledger_label(_PREFIX_LEDGER.get(code.prefix, code.prefix)),
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


def find_by_code(session: Session, *, site_id: int, text: str) -> tuple[str, int]:
    """``(ledger, id)`` of the record a scanned or typed S/P/L/K code names.

    ``ledger`` is ``storage``, ``lost``, ``parcel`` or ``key``. A code with a typo
    raises InvalidInput(field="code"); a valid code nobody holds raises NotFound.
    """
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
    if code.prefix not in _PREFIX_LEDGER:
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
    return ledger, _id(item_id)


def timeline(session: Session, *, site_id: int, item_id: int) -> list[CustodyEvent]:
    """The events of an item, oldest first."""
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
    site_id: int,
    kind: EventKind,
    now: datetime,
    actor: Operator | None,
    item_id: int | None = None,
    key_id: int | None = None,
    loan_id: int | None = None,
    note: str = "",
) -> CustodyEvent:
    event = CustodyEvent(
        site_id=site_id, item_id=item_id, key_id=key_id, loan_id=loan_id, kind=kind.value,
        at=now, operator_id=actor.id if actor else None, note=note[:MAX_NOTE],
    )
    session.add(event)
    return event


def receive(
    session: Session,
    *,
    site_id: int,
    ledger: Ledger,
    now: datetime,
    actor: Operator | None,
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
    item = CustodyItem(
        site_id=site_id, ledger=ledger.value, status=ItemStatus.HELD.value, received_at=now,
        received_by_id=actor.id if actor else None, open_key=open_key, created_at=now,
        **fields,
    )
    session.add(item)
    session.flush()
    item.code = codes.make_code(LEDGER_PREFIX[ledger.value], _id(item.id))
    session.add(item)
    add_event(
        session, site_id=site_id, kind=EventKind.RECEIVED, now=now, actor=actor,
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
        .values(**changes)
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
    site_id: int,
    item: CustodyItem,
    collector: CheckedCollector,
    now: datetime,
    actor: Operator | None,
    note: str = "",
    approved_by: Operator | None = None,
    allowed: tuple[ItemStatus, ...] = (ItemStatus.HELD,),
    zone: tzinfo | None = None,
    event_note: str = "",
    action: str = "custody.release",
) -> CustodyItem:
    """Hand ``item`` to a verified collector who signed; refuses a second hand-out."""
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
        session, site_id=site_id, kind=EventKind.RELEASED, now=now, actor=actor,
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
    site_id: int,
    item_id: int,
    place: str,
    now: datetime,
    actor: Operator | None,
) -> CustodyItem:
    """Put a held item on another shelf."""
    item = get_item(session, site_id=site_id, item_id=item_id)
    place = clean_text(place, field="place", label=_("the shelf"), max_length=MAX_PLACE,
                       required=True)
    before = audit_view(item)
    transition(session, item, allowed=(ItemStatus.HELD,), values={"place": place})
    add_event(session, site_id=site_id, kind=EventKind.MOVED, now=now, actor=actor,
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
    site_id: int,
    item_id: int,
    note: str,
    now: datetime,
    actor: Operator | None,
    kind: EventKind = EventKind.NOTE,
) -> CustodyEvent:
    """A line on the item's timeline (a call to the owner, a resident notified)."""
    item = get_item(session, site_id=site_id, item_id=item_id)
    text = clean_text(note, field="note", label=_("the note"), max_length=MAX_NOTE,
                      required=kind == EventKind.NOTE, multiline=True)
    event = add_event(session, site_id=site_id, kind=kind, now=now, actor=actor,
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
    site_id: int,
    item_id: int,
    reason: str,
    now: datetime,
    actor: Operator | None,
) -> CustodyItem:
    """Void an item entered by mistake; it stays in the ledger with the reason."""
    item = get_item(session, site_id=site_id, item_id=item_id)
    reason = clean_text(reason, field="reason", label=_("the reason"), max_length=MAX_SHORT,
                        required=True)
    before = audit_view(item)
    transition(
        session, item, allowed=(ItemStatus.HELD,),
        values={"status": ItemStatus.VOID.value, "voided_at": now,
                "voided_by_id": actor.id if actor else None, "void_reason": reason},
    )
    add_event(session, site_id=site_id, kind=EventKind.VOIDED, now=now, actor=actor,
              item_id=item.id, note=reason)
    session.flush()
    audit.record(
        session, now=now, actor=actor, action="custody.void", entity="custody_item",
        entity_id=item.id, site_id=site_id, before=before, after=audit_view(item),
    )
    return item


def check_witnesses(
    session: Session, *, site_id: int, witness_a: Operator | None, witness_b: Operator | None
) -> tuple[Operator, Operator]:
    """Two different active staff of the site sign a disposal."""
    for field, witness in (("witness_a", witness_a), ("witness_b", witness_b)):
        if witness is None or witness.site_id != site_id or not witness.active:
            raise InvalidInput(
                _("A disposal is signed by two staff as witnesses: choose both."), field=field
            )
    assert witness_a is not None and witness_b is not None
    if witness_a.id == witness_b.id:
        raise InvalidInput(
            _("The two witnesses must be two different people."), field="witness_b"
        )
    return witness_a, witness_b


def dispose(
    session: Session,
    *,
    site_id: int,
    item: CustodyItem,
    witness_a: Operator,
    witness_b: Operator,
    note: str,
    now: datetime,
    actor: Operator | None,
    allowed: tuple[ItemStatus, ...] = (ItemStatus.HELD, ItemStatus.ADMIN),
    action: str = "custody.dispose",
) -> CustodyItem:
    """Dispose of an item before two witnesses (already checked by ``check_witnesses``)."""
    before = audit_view(item)
    transition(
        session, item, allowed=allowed,
        values={"status": ItemStatus.DISPOSED.value, "disposed_at": now, "disposal_note": note,
                "witness_a_id": witness_a.id, "witness_b_id": witness_b.id},
    )
    add_event(
        session, site_id=site_id, kind=EventKind.DISPOSED, now=now, actor=actor,
        item_id=item.id, note=f"{witness_a.display_name}, {witness_b.display_name}. {note}",
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
    site_id: int,
    item: CustodyItem,
    receiver: str,
    now: datetime,
    actor: Operator | None,
    action: str = "custody.admin",
) -> CustodyItem:
    """Record that the admin office took the item (``receiver`` already checked)."""
    before = audit_view(item)
    transition(
        session, item, allowed=(ItemStatus.HELD,),
        values={"status": ItemStatus.ADMIN.value, "admin_at": now,
                "admin_by_id": actor.id if actor else None, "admin_receiver": receiver},
    )
    add_event(session, site_id=site_id, kind=EventKind.ADMIN, now=now, actor=actor,
              item_id=item.id, note=receiver)
    session.flush()
    audit.record(
        session, now=now, actor=actor, action=action, entity="custody_item",
        entity_id=item.id, site_id=site_id, before=before, after=audit_view(item),
    )
    return item


# --- lists for screens -----------------------------------------------------------------------

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


def item_row(
    item: CustodyItem,
    unit_code: str,
    *,
    now: datetime,
    overdue_after: timedelta | None,
    overdue_if: Callable[[CustodyItem], bool] | None = None,
) -> ItemRow:
    received = as_utc(item.received_at)
    end = as_utc(item.released_at) if item.released_at else now
    age = end - received
    return ItemRow(
        id=_id(item.id),
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
            overdue_if(item)
            if overdue_if is not None
            else overdue_after is not None
            and item.status == ItemStatus.HELD.value
            and now - received > overdue_after
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
    site_id: int,
    where: list[Any],
    now: datetime,
    overdue_after: timedelta | None,
    limit: int = DEFAULT_PAGE,
    offset: int = 0,
    newest_first: bool = False,
    overdue_if: Callable[[CustodyItem], bool] | None = None,
) -> Page[ItemRow]:
    """A page of items matching ``where`` (clauses on CustodyItem), with their units."""
    limit = max(1, min(limit, 500))
    offset = max(0, offset)
    conditions = [CustodyItem.site_id == site_id, *where]
    total = session.exec(
        select(func.count()).select_from(CustodyItem).where(*conditions)
    ).one()
    order = col(CustodyItem.received_at).desc() if newest_first else col(CustodyItem.received_at)
    rows = session.exec(
        select(CustodyItem, Unit.code)
        .outerjoin(Unit, col(Unit.id) == col(CustodyItem.unit_id))
        .where(*conditions)
        .order_by(order, col(CustodyItem.id))
        .offset(offset)
        .limit(limit)
    ).all()
    return Page(
        rows=[
            item_row(item, unit_code or "", now=now, overdue_after=overdue_after,
                     overdue_if=overdue_if)
            for item, unit_code in rows
        ],
        total=int(total),
        offset=offset,
        limit=limit,
    )


def months_before(moment: datetime, months: int, zone: tzinfo) -> datetime:
    """The same local wall time ``months`` calendar months earlier (day clamped: 31 → 30)."""
    local = moment.astimezone(zone)
    year, month0 = divmod(local.year * 12 + local.month - 1 - months, 12)
    day = min(local.day, calendar.monthrange(year, month0 + 1)[1])
    earlier = local.replace(year=year, month=month0 + 1, day=day)
    return as_utc(earlier)


def zone_of(settings: Settings) -> tzinfo:
    return desk_zone(settings.timezone)


def count_items(session: Session, *, site_id: int, where: list[Any]) -> int:
    return int(
        session.exec(
            select(func.count())
            .select_from(CustodyItem)
            .where(CustodyItem.site_id == site_id, *where)
        ).one()
    )


# --- dashboard ------------------------------------------------------------------------------


def dashboard_counts(
    session: Session, *, site_id: int, now: datetime, settings: Settings
) -> dict[str, int]:
    """The custody counts of the dashboard.

    ``items_held`` / ``items_overdue`` are the storage ledger (held longer than
    ``storage_overdue_days``); ``keys_out`` / ``keys_overdue`` loans not returned
    (and past due); ``parcels_waiting`` / ``parcels_overdue`` parcels not picked up
    (and older than ``parcel_overdue_days``); ``lost_unclaimed`` found items at the
    desk, ``lost_for_admin`` valuables not claimed the day they came in.
    """
    from deskapp.formatting import local_day_start
    from deskapp.models.custody import KeyLoan

    held = ItemStatus.HELD.value

    def items(ledger: Ledger, *extra: Any) -> int:
        return count_items(session, site_id=site_id,
                           where=[CustodyItem.ledger == ledger.value,
                                  CustodyItem.status == held, *extra])

    def loans(*extra: Any) -> int:
        return int(session.exec(
            select(func.count()).select_from(KeyLoan).where(
                KeyLoan.site_id == site_id, col(KeyLoan.returned_at).is_(None),
                col(KeyLoan.permanent).is_(False), *extra)
        ).one())

    day_start = as_utc(local_day_start(now, zone_of(settings)))
    storage_cut = now - timedelta(days=settings.storage_overdue_days)
    parcel_cut = now - timedelta(days=settings.parcel_overdue_days)
    return {
        "items_held": items(Ledger.STORAGE),
        "items_overdue": items(Ledger.STORAGE, col(CustodyItem.received_at) < storage_cut),
        "keys_out": loans(),
        "keys_overdue": loans(col(KeyLoan.due_at) < now),
        "parcels_waiting": items(Ledger.PARCEL),
        "parcels_overdue": items(Ledger.PARCEL, col(CustodyItem.received_at) < parcel_cut),
        "lost_unclaimed": items(Ledger.LOST),
        "lost_for_admin": items(Ledger.LOST, col(CustodyItem.valuable).is_(True),
                                col(CustodyItem.received_at) < day_start),
    }


# --- nightly export -------------------------------------------------------------------------


def export_time(value: datetime | None, zone: tzinfo | None) -> str:
    """ISO 8601 with the offset, in ``zone`` (UTC when none), or empty."""
    if value is None:
        return ""
    moment = as_utc(value)
    return (moment.astimezone(zone) if zone else moment).isoformat(timespec="minutes")


def operator_logins(session: Session, *, site_id: int) -> dict[int, str]:
    rows = session.exec(select(Operator.id, Operator.login).where(Operator.site_id == site_id))
    return {operator_id: login for operator_id, login in rows if operator_id is not None}


def touched_in(since: datetime, until: datetime) -> Any:
    """Items that came in or changed state within [since, until)."""
    from sqlalchemy import and_, or_

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
    ("owner_phone", lambda i, u, o, z: mask_phone(i.owner_phone) if i.owner_phone else ""),
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
    ("released_id_number",
     lambda i, u, o, z: mask_id_number(i.released_id_number) if i.released_id_number else ""),
    ("release_note", lambda i, u, o, z: i.release_note),
    ("approved_by", lambda i, u, o, z: _login(o, i.approved_by_id)),
    ("voided_at", lambda i, u, o, z: export_time(i.voided_at, z)),
    ("void_reason", lambda i, u, o, z: i.void_reason),
]


def export_items(
    session: Session,
    *,
    site_id: int,
    ledger: Ledger,
    since: datetime,
    until: datetime,
    columns: list[ItemColumn],
    zone: tzinfo | None = None,
) -> tuple[list[str], list[list[str]]]:
    """Header and rows (plain strings, phones and IDs masked) of one ledger's day."""
    logins = operator_logins(session, site_id=site_id)
    rows = session.exec(
        select(CustodyItem, Unit.code)
        .outerjoin(Unit, col(Unit.id) == col(CustodyItem.unit_id))
        .where(CustodyItem.site_id == site_id, CustodyItem.ledger == ledger.value,
               touched_in(as_utc(since), as_utc(until)))
        .order_by(col(CustodyItem.received_at), col(CustodyItem.id))
    ).all()
    header = [name for name, _value in columns]
    return header, [
        [value(item, unit_code or "", logins, zone) for _name, value in columns]
        for item, unit_code in rows
    ]


def export_tables(session: Session, site_id: int, window: Any) -> list[Any]:
    """Every custody ledger's table for the nightly export (an ``export.Exporter``).

    ``window`` is an ``export.Window``; tables: storage, lost_found, parcels, key_loans.
    """
    from deskapp.services.custody import keys, lostfound, parcels, storage
    from deskapp.services.export import Table

    tables = []
    for name, module in (("storage", storage), ("lost_found", lostfound),
                         ("parcels", parcels), ("key_loans", keys)):
        header, rows = module.export_rows(session, site_id=site_id, since=window.since,
                                          until=window.until, zone=window.zone)
        tables.append(Table(name, header, rows))
    return tables
