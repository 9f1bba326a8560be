"""Units (楼栋-单元-房号) and the residents who live there; lookup as the phone rings.

A lookup takes what the operator types first: a room (``3-2-12``), a name
(``王``), or the last digits of a phone (``5678``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.i18n import _
from deskapp.models import Relation, Resident, Unit
from deskapp.services import audit
from deskapp.services.acting import Acting
from deskapp.services.privacy import mask_phone

UNIT_PATTERN = re.compile(r"^([0-9A-Z]{1,4})-([0-9A-Z]{1,3})-([0-9]{2,5})$")
# The beginning of a unit code, at least building and entrance: 3-2, 3-2-6, 3-2-601.
_ROOM_PREFIX = re.compile(r"^[0-9A-Z]{1,4}-[0-9A-Z]{1,3}(-[0-9]{1,5})?$")
_SEPARATORS = re.compile(r"[\s\-－—–_/]+")
_PHONE_NOISE = re.compile(r"[\s\-()（）]+")
MAX_NAME_LENGTH = 64
"""The longest name of a person the desk keeps (resident, caller, depositor, collector)."""

RELATION_WORDS = {
    "owner": Relation.OWNER,
    "业主": Relation.OWNER,
    "tenant": Relation.TENANT,
    "租户": Relation.TENANT,
    "household": Relation.HOUSEHOLD,
    "household member": Relation.HOUSEHOLD,
    "家属": Relation.HOUSEHOLD,
    "住户": Relation.HOUSEHOLD,
}


def relation_label(relation: str) -> str:
    labels = {
        Relation.OWNER.value: _("owner"),
        Relation.TENANT.value: _("tenant"),
        Relation.HOUSEHOLD.value: _("household"),
    }
    return labels.get(relation, relation)


def normalize_unit_code(text: str) -> str:
    """``3-2-1201`` from ``3 2 1201``, ``3－2－1201`` or ``a-1-101`` → ``A-1-101``."""
    text = unicodedata.normalize("NFKC", text).strip().upper()
    return _SEPARATORS.sub("-", text).strip("-")


def room_prefix(text: str) -> str | None:
    """The unit code (or its beginning) that ``text`` reads as, else ``None``.

    ``3-2-601``, ``3 2 601`` and ``3-2`` are rooms, so ``32601`` is never taken for the
    tail of a phone; ``138-1234-5678`` (an entrance of four) and ``1201`` are not."""
    code = normalize_unit_code(text)
    return code if _ROOM_PREFIX.match(code) else None


def phone_digits(text: str) -> str | None:
    """The digits of ``text`` when it reads as (the end of) a phone number: four digits
    or more, spaces, dashes and brackets between them; a room is not a phone."""
    digits = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", text))
    if not (digits.isascii() and digits.isdigit()) or len(digits) < 4:
        return None
    if room_prefix(text) is not None:
        return None
    return digits


def parse_unit_code(text: str) -> tuple[str, str, str]:
    code = normalize_unit_code(text)
    match = UNIT_PATTERN.match(code)
    if match is None:
        raise InvalidInput(
            _("{text} is not a unit: write building-entrance-room, e.g. 3-2-1201.").format(
                text=text.strip() or "''"
            ),
            field="unit",
        )
    building, entrance, room = match.groups()
    return building, entrance, room


def normalize_phone(text: str) -> str:
    """Digits of a phone number; refused unless it looks like one (7 to 15 digits)."""
    digits = _PHONE_NOISE.sub("", unicodedata.normalize("NFKC", text))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("+"):
        digits = digits[1:]
    if not digits.isdigit() or not 7 <= len(digits) <= 15:
        raise InvalidInput(
            _("{text} is not a phone number: use 7 to 15 digits, e.g. 13812345678.").format(
                text=text.strip()
            ),
            field="phone",
        )
    return digits


def parse_relation(text: str) -> Relation:
    relation = RELATION_WORDS.get(text.strip().lower())
    if relation is None:
        raise InvalidInput(
            _("{text} is not a relation: use owner, tenant or household (业主, 租户, 家属).")
            .format(text=text.strip() or "''"),
            field="relation",
        )
    return relation


def find_unit(session: Session, *, acting: Acting, code: str) -> Unit | None:
    site_id = acting.site_id
    return session.exec(
        select(Unit).where(Unit.site_id == site_id, Unit.code == normalize_unit_code(code))
    ).first()


def unit_code(session: Session, unit_id: int | None) -> str:
    """The code (``3-2-1201``) of the unit with ``unit_id``; empty for none (a visitor)."""
    if unit_id is None:
        return ""
    unit = session.get(Unit, unit_id)
    return unit.code if unit else ""


def find_resident(session: Session, *, acting: Acting, resident_id: int) -> Resident | None:
    site_id = acting.site_id
    resident = session.get(Resident, resident_id)
    return resident if resident is not None and resident.site_id == site_id else None


def get_unit(session: Session, *, acting: Acting, code: str) -> Unit:
    unit = find_unit(session, acting=acting, code=code)
    if unit is None:
        raise NotFound(
            _("Room {code} does not exist. Check the number or import the directory.").format(
                code=normalize_unit_code(code)
            ),
            field="unit",
        )
    return unit


def add_unit(
    session: Session, *, acting: Acting, code: str, now: datetime
) -> Unit:
    site_id = acting.site_id
    actor = acting.operator
    building, entrance, room = parse_unit_code(code)
    normalized = f"{building}-{entrance}-{room}"
    if find_unit(session, acting=acting, code=normalized) is not None:
        raise Conflict(_("Room {code} already exists.").format(code=normalized), field="unit")
    unit = Unit(
        site_id=site_id, code=normalized, building=building, entrance=entrance, room=room,
        created_at=now,
    )
    session.add(unit)
    session.flush()
    audit.record(
        session, now=now, actor=actor, action="unit.add", entity="unit", entity_id=unit.id,
        site_id=site_id, after=audit.snapshot(unit),
    )
    return unit


def add_resident(
    session: Session,
    *,
    acting: Acting,
    unit: Unit,
    name: str,
    relation: str,
    phone: str = "",
    alt_phone: str = "",
    now: datetime,
) -> Resident:
    site_id = acting.site_id
    actor = acting.operator
    name = " ".join(name.split())
    if not name:
        raise InvalidInput(_("Give the resident's name."), field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(
            _("A name may have at most {count} characters.").format(count=MAX_NAME_LENGTH),
            field="name",
        )
    if any(unicodedata.category(char).startswith("C") for char in name):
        raise InvalidInput(_("The name contains control characters."), field="name")
    parsed_relation = parse_relation(relation)
    phone_digits = normalize_phone(phone) if phone.strip() else ""
    alt_digits = normalize_phone(alt_phone) if alt_phone.strip() else ""
    duplicate = session.exec(
        select(Resident).where(
            Resident.unit_id == unit.id, Resident.name == name, col(Resident.active).is_(True)
        )
    ).first()
    if duplicate is not None:
        raise Conflict(
            _("{name} is already listed at {code}.").format(name=name, code=unit.code),
            field="name",
        )
    resident = Resident(
        site_id=site_id,
        unit_id=_id(unit.id),
        name=name,
        relation=parsed_relation.value,
        phone=phone_digits,
        phone_tail=phone_digits[-4:],
        alt_phone=alt_digits,
        alt_phone_tail=alt_digits[-4:],
        created_at=now,
    )
    session.add(resident)
    session.flush()
    audit.record(
        session, now=now, actor=actor, action="resident.add", entity="resident",
        entity_id=resident.id, site_id=site_id, after=audit.snapshot(resident),
    )
    return resident


@dataclass(frozen=True)
class LookupHit:
    """One line of a lookup: a unit, and the person matched in it if any."""

    unit_id: int
    unit_code: str
    resident_id: int | None
    name: str
    relation: str
    masked_phone: str
    people: str = ""
    """For a unit matched by its room: the names of its residents (张伟、张小红)."""


def _id(value: int | None) -> int:
    assert value is not None, "flushed records have an id"
    return value


def _prefix_range(column: Any, prefix: str) -> Any:
    # A range instead of LIKE 'x%': both databases use the index, whatever the collation.
    return (col(column) >= prefix) & (col(column) < prefix + "\uffff")


def lookup(session: Session, *, acting: Acting, query: str, limit: int = 10) -> list[LookupHit]:
    """Units and residents matching what was typed, best matches first."""
    site_id = acting.site_id
    text = unicodedata.normalize("NFKC", query).strip()
    if not text:
        return []
    digits = phone_digits(text)
    hits: list[LookupHit] = []
    seen: set[tuple[int, int | None]] = set()

    def add(unit: Unit, resident: Resident | None) -> None:
        key = (unit.id or 0, resident.id if resident else None)
        if key in seen or len(hits) >= limit:
            return
        seen.add(key)
        hits.append(
            LookupHit(
                unit_id=unit.id or 0,
                unit_code=unit.code,
                resident_id=resident.id if resident else None,
                name=resident.name if resident else "",
                relation=resident.relation if resident else "",
                masked_phone=mask_phone(resident.phone) if resident and resident.phone else "",
            )
        )

    active = col(Resident.active).is_(True)
    if digits is not None:  # not for a room: 3-2-601 is no phone ending 2601
        tail = digits[-4:]
        rows = session.exec(
            select(Resident, Unit)
            .join(Unit, col(Unit.id) == col(Resident.unit_id))
            .where(
                Resident.site_id == site_id,
                active,
                or_(col(Resident.phone_tail) == tail, col(Resident.alt_phone_tail) == tail),
            )
            .limit(limit * 5)
        ).all()
        for resident, unit in rows:
            if resident.phone.endswith(digits) or resident.alt_phone.endswith(digits):
                add(unit, resident)
    code_prefix = normalize_unit_code(text)
    if code_prefix and (code_prefix[0].isdigit() or "-" in code_prefix) and len(hits) < limit:
        units = session.exec(
            select(Unit)
            .where(Unit.site_id == site_id, _prefix_range(Unit.code, code_prefix))
            .order_by(func.length(Unit.code), col(Unit.code))
            .limit(limit)
        ).all()
        for unit in units:
            add(unit, None)
    if not text.isdigit() and len(hits) < limit:
        rows = session.exec(
            select(Resident, Unit)
            .join(Unit, col(Unit.id) == col(Resident.unit_id))
            .where(Resident.site_id == site_id, active, _prefix_range(Resident.name, text))
            .order_by(col(Resident.name))
            .limit(limit)
        ).all()
        if len(rows) < limit:
            pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            rows = list(rows) + list(
                session.exec(
                    select(Resident, Unit)
                    .join(Unit, col(Unit.id) == col(Resident.unit_id))
                    .where(
                        Resident.site_id == site_id,
                        active,
                        col(Resident.name).like(pattern, escape="\\"),
                    )
                    .order_by(col(Resident.name))
                    .limit(limit)
                ).all()
            )
        for resident, unit in rows:
            add(unit, resident)
    return _with_people(session, hits)


def _with_people(session: Session, hits: list[LookupHit]) -> list[LookupHit]:
    """A unit matched by its room shows who lives there (one query for all of them)."""
    unit_ids = {hit.unit_id for hit in hits if hit.resident_id is None}
    if not unit_ids:
        return hits
    rank = {relation.value: place for place, relation in enumerate(Relation)}
    rows = session.exec(
        select(Resident.unit_id, Resident.relation, Resident.name)
        .where(col(Resident.unit_id).in_(unit_ids), col(Resident.active).is_(True))
    ).all()
    names: dict[int, list[str]] = {}
    for unit_id, _relation, name in sorted(rows, key=lambda row: (rank.get(row[1], 9), row[2])):
        names.setdefault(unit_id, []).append(name)
    return [
        replace(hit, people="、".join(names.get(hit.unit_id, []))) if hit.resident_id is None
        else hit
        for hit in hits
    ]


@dataclass(frozen=True)
class UnitCard:
    """A unit with its people, as the desk shows it beside a form."""

    unit: Unit
    residents: list[Resident]


def unit_card(session: Session, *, acting: Acting, unit_id: int) -> UnitCard:
    site_id = acting.site_id
    unit = session.get(Unit, unit_id)
    if unit is None or unit.site_id != site_id:
        raise NotFound(_("This unit no longer exists."), field="unit")
    residents = session.exec(
        select(Resident)
        .where(Resident.unit_id == unit_id, col(Resident.active).is_(True))
        .order_by(col(Resident.relation), col(Resident.name))
    ).all()
    return UnitCard(unit=unit, residents=list(residents))


def counts(session: Session, *, acting: Acting) -> tuple[int, int]:
    """Number of units and of active residents of the site."""
    site_id = acting.site_id
    units = session.exec(
        select(func.count()).select_from(Unit).where(Unit.site_id == site_id)
    ).one()
    residents = session.exec(
        select(func.count())
        .select_from(Resident)
        .where(Resident.site_id == site_id, col(Resident.active).is_(True))
    ).one()
    return int(units), int(residents)
