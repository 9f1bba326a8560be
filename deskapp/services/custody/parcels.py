"""Parcels and mail (快件、邮件代收): logged with consent, scanned fast, picked up signed.

The desk accepts a parcel on a resident's behalf only with the resident's
consent: said at the time, or a standing instruction of the unit to hold
parcels (代收快件, ``deskapp.services.instructions``). Every parcel is logged
with a ``P-`` code, the resident notified, and the collector signs on pickup.

Check-in of a pile takes one scanned tracking number at a time; a parcel of
the same carrier and tracking number already waiting is refused as scanned
twice (the database refuses it too, so two desks cannot log it both).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.errors import Conflict, InvalidInput
from deskapp.i18n import N_, _
from deskapp.models.custody import CustodyItem, EventKind, ItemStatus, Ledger
from deskapp.models.requests import InstructionKind
from deskapp.services import audit, directory, instructions
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.custody import checks, core, export, lists
from deskapp.services.custody.checks import Collector
from deskapp.services.custody.lists import HeldTooLong, ItemRow, Page

audit.register_action_labels(
    {
        "parcel.log": N_("Parcel logged"),
        "parcel.pick_up": N_("Parcel picked up"),
    }
)

CARRIERS = ("顺丰", "京东", "中通", "圆通", "韵达", "申通", "极兔", "邮政EMS", "德邦")
"""Carriers offered first in the form; any other name may be typed."""

CONSENT_EXPLICIT = "explicit"
CONSENT_STANDING = "standing"
_TRACKING = re.compile(r"^[0-9A-Z][0-9A-Z\-]{5,39}$")


@dataclass(frozen=True)
class ParcelForm:
    """One parcel as logged at the desk."""

    carrier: str
    tracking_number: str
    unit: str
    resident_name: str
    shelf: str
    phone: str = ""
    description: str = ""
    pieces: int = 1


def normalize_tracking(text: str) -> str:
    """A tracking number as scanned or typed: upper case, no spaces."""
    return "".join(unicodedata.normalize("NFKC", text or "").split()).upper()


def _clean_tracking(text: str) -> str:
    tracking = normalize_tracking(text)
    if not tracking:
        raise InvalidInput(_("Scan or type the tracking number."), field="tracking_number")
    if not _TRACKING.match(tracking):
        raise InvalidInput(
            _("{text} is not a tracking number: 6 to 40 letters and digits.").format(
                text=text.strip()[:60]
            ),
            field="tracking_number",
        )
    return tracking


def _open_key(carrier: str, tracking: str) -> str:
    return f"parcel|{carrier.casefold()}|{tracking}"


def has_standing_consent(
    session: Session, *, acting: Acting, unit_id: int, now: datetime, settings: Settings | None
) -> bool:
    """The unit has an active standing instruction to hold parcels (代收快件)."""
    return any(
        instruction.kind == InstructionKind.HOLD_PARCELS.value
        for instruction in instructions.active_instructions(
            session, acting=acting, unit_id=unit_id, now=now, settings=settings
        )
    )


def _waiting_duplicate(
    session: Session, *, site_id: int, key: str
) -> CustodyItem | None:
    return session.exec(
        select(CustodyItem).where(CustodyItem.site_id == site_id, CustodyItem.open_key == key)
    ).first()


def _scanned_twice(item: CustodyItem, settings: Settings | None) -> Conflict:
    zone = core.zone_of(settings) if settings else None
    at = as_utc(item.received_at).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    return Conflict(
        _("{carrier} {tracking} is already waiting as {code} (logged {at}, shelf {shelf}) — "
          "scanned twice?").format(carrier=item.carrier, tracking=item.tracking_number,
                                   code=item.code, at=at, shelf=item.place or "-"),
        field="tracking_number",
    )


def log_parcel(
    session: Session,
    *,
    acting: Acting,
    form: ParcelForm,
    consent: bool,
    now: datetime,
    settings: Settings | None = None,
) -> CustodyItem:
    """Log a parcel taken in for a resident; it gets a ``P-`` pickup code.

    ``consent`` is the resident's consent given now; without it, a standing
    instruction of the unit to hold parcels counts; with neither, refused.
    """
    site_id = acting.site_id
    tracking = _clean_tracking(form.tracking_number)
    carrier = checks.clean_text(form.carrier, field="carrier", label=_("the carrier"),
                                 max_length=32, required=True)
    existing = _waiting_duplicate(session, site_id=site_id, key=_open_key(carrier, tracking))
    if existing is not None:
        raise _scanned_twice(existing, settings)
    unit = directory.get_unit(session, acting=acting, code=form.unit)
    name = checks.clean_name(form.resident_name, field="resident_name",
                              label=_("the resident's name"))
    phone = checks.clean_phone(form.phone, field="phone")
    shelf = checks.clean_text(form.shelf, field="shelf", label=_("the shelf"),
                               max_length=checks.MAX_PLACE, required=True)
    description = checks.clean_text(
        form.description, field="description", label=_("the description"),
        max_length=checks.MAX_DESCRIPTION,
    ) or _("parcel")
    pieces = checks.clean_pieces(form.pieces)
    if consent:
        consent_kind = CONSENT_EXPLICIT
    elif has_standing_consent(session, acting=acting, unit_id=unit.id or 0, now=now,
                              settings=settings):
        consent_kind = CONSENT_STANDING
    else:
        raise InvalidInput(
            _("Parcels are taken in only with the resident's consent: ask {unit}, or record "
              "their standing instruction to hold parcels.").format(unit=unit.code),
            field="consent",
        )
    key = _open_key(carrier, tracking)
    try:
        # A savepoint: if another desk logged the same parcel a moment ago, the unique
        # index refuses this one and the rest of the caller's work stays intact.
        with session.begin_nested():
            return core.receive(
                session, acting=acting, ledger=Ledger.PARCEL, now=now,
                fields={
                    "carrier": carrier, "tracking_number": tracking, "unit_id": unit.id,
                    "owner_name": name, "owner_phone": phone, "owner_phone_tail": phone[-4:],
                    "place": shelf, "description": description, "pieces": pieces,
                    "consent": consent_kind, "received_from": carrier,
                },
                open_key=key, action="parcel.log",
            )
    except IntegrityError:
        existing = _waiting_duplicate(session, site_id=site_id, key=key)
        if existing is None:
            raise
        raise _scanned_twice(existing, settings) from None


def check_in(
    session: Session,
    *,
    acting: Acting,
    scan: str,
    carrier: str,
    unit: str,
    resident_name: str,
    shelf: str,
    consent: bool,
    now: datetime,
    settings: Settings | None = None,
    phone: str = "",
) -> CustodyItem:
    """Fast check-in of a pile: one scanned tracking number (a scanner burst) at a time.

    The carrier and shelf stay the same through a pile; the unit and name are read
    off each label. A parcel scanned twice is refused (field ``tracking_number``).
    """
    return log_parcel(
        session, acting=acting,
        form=ParcelForm(carrier=carrier, tracking_number=scan, unit=unit,
                        resident_name=resident_name, shelf=shelf, phone=phone),
        consent=consent, now=now, settings=settings,
    )


def notify(
    session: Session, *, acting: Acting, item_id: int, how: str, now: datetime,
) -> None:
    """Note that the resident was told (a call, a text, the owners' group)."""
    core.get_item(session, acting=acting, item_id=item_id, ledger=Ledger.PARCEL.value)
    core.add_note(session, acting=acting, item_id=item_id, note=how or _("notified"),
                     now=now, kind=EventKind.NOTIFIED)


def pick_up(
    session: Session,
    *,
    acting: Acting,
    item_id: int,
    collector: Collector,
    now: datetime,
    settings: Settings | None = None,
) -> CustodyItem:
    """Hand the parcel over; the collector gives a name and signs."""
    zone = core.zone_of(settings) if settings else None
    item = to_pick_up(session, acting=acting, item_id=item_id, zone=zone)
    checked = checks.check_collector(collector, require_id_check=False)
    return core.release(session, acting=acting, item=item, collector=checked, now=now,
                           zone=zone, action="parcel.pick_up")


def awaiting_pickup(item: CustodyItem) -> bool:
    """A parcel can be picked up only while it waits at the desk."""
    return item.status == ItemStatus.HELD.value


def to_pick_up(
    session: Session, *, acting: Acting, item_id: int, zone: tzinfo | None = None
) -> CustodyItem:
    """The parcel if it can be picked up now; else refused with who took it and when."""
    item = core.get_item(session, acting=acting, item_id=item_id, ledger=Ledger.PARCEL.value)
    core.ensure_status(item, zone=zone)
    return item


def pick_up_by_code(
    session: Session,
    *,
    acting: Acting,
    code: str,
    collector: Collector,
    now: datetime,
    settings: Settings | None = None,
) -> CustodyItem:
    """Pickup by the ``P-`` code the resident was sent (typed or scanned)."""
    item = core.get_by_code(session, acting=acting, text=code, ledger=Ledger.PARCEL.value)
    return pick_up(session, acting=acting, item_id=item.id or 0, collector=collector,
                   now=now, settings=settings)


def overdue_rule(settings: Settings) -> HeldTooLong:
    """Waiting longer than ``parcel_overdue_days`` (exactly that long is not yet overdue):
    the one rule of the list, its filter, the record and the dashboard."""
    return HeldTooLong(timedelta(days=settings.parcel_overdue_days))


def overdue_count(session: Session, *, acting: Acting, now: datetime, settings: Settings) -> int:
    return lists.count_items(session, acting=acting,
                            where=[CustodyItem.ledger == Ledger.PARCEL.value,
                                   overdue_rule(settings).clause(now)])


def waiting(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    settings: Settings,
    overdue_only: bool = False,
    unit: str = "",
    limit: int = lists.DEFAULT_PAGE,
    offset: int = 0,
) -> Page[ItemRow]:
    """Parcels waiting, oldest first (by age); ``unit`` narrows to one unit's parcels.

    ``overdue`` rows have waited longer than ``parcel_overdue_days``.
    """
    rule = overdue_rule(settings)
    where: list[Any] = [CustodyItem.ledger == Ledger.PARCEL.value,
                        CustodyItem.status == ItemStatus.HELD.value]
    if overdue_only:
        where.append(rule.clause(now))
    if unit.strip():
        found = directory.find_unit(session, acting=acting, code=unit)
        if found is None:
            return Page(rows=[], total=0, offset=0, limit=limit)
        where.append(CustodyItem.unit_id == found.id)
    return lists.item_page(
        session, acting=acting, where=where, now=now, overdue=rule,
        limit=limit, offset=offset,
    )


def find_tracking(
    session: Session, *, acting: Acting, text: str, now: datetime, settings: Settings,
    limit: int = 20,
) -> list[ItemRow]:
    """Parcels whose tracking number ends with what was typed (a courier asks)."""
    tail = normalize_tracking(text)
    if len(tail) < 4:
        return []
    page = lists.item_page(
        session, acting=acting,
        where=[CustodyItem.ledger == Ledger.PARCEL.value,
               col(CustodyItem.tracking_number).endswith(tail)],
        now=now, overdue=overdue_rule(settings), limit=limit, newest_first=True,
    )
    return page.rows


PARCEL_COLUMNS: list[export.ItemColumn] = [
    *export.COMMON_HEAD,
    ("carrier", lambda i, u, o, z: i.carrier),
    ("tracking_number", lambda i, u, o, z: i.tracking_number),
    ("consent", lambda i, u, o, z: i.consent),
    *export.COMMON_TAIL,
]


def export_rows(
    session: Session, *, acting: Acting, since: datetime, until: datetime,
    zone: tzinfo | None = None,
) -> tuple[list[str], Iterator[list[str]]]:
    """Parcels logged or picked up in [since, until)."""
    return export.export_items(session, acting=acting, ledger=Ledger.PARCEL, since=since,
                                until=until, columns=PARCEL_COLUMNS, zone=zone)
