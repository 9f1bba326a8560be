"""What the custody ledgers accept as typed: names, phones, ID numbers, pieces,
the person who takes an item, the staff who sign.

Each check returns the value as it is kept, or raises ``InvalidInput`` naming
the field to fix. Text follows the desk's one text policy (``services/text.py``),
re-exported here for the ledgers (``checks.clean_text``).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlmodel import Session

from deskapp.errors import InvalidInput
from deskapp.i18n import _
from deskapp.models import Operator, Role
from deskapp.services.acting import Acting
from deskapp.services.directory import MAX_NAME_LENGTH
from deskapp.services.privacy import mask_id_number
from deskapp.services.text import check_length as check_length
from deskapp.services.text import clean_text as clean_text

MAX_SHORT = 200
MAX_NOTE = 500
MAX_DESCRIPTION = 500
MAX_PLACE = 64
MAX_PIECES = 999


_ID_NUMBER = re.compile(r"^[0-9A-Z]{5,32}$")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def clean_name(value: str, *, field: str, label: str, required: bool = True) -> str:
    """A person's name: one line of the desk's text policy, at most ``MAX_NAME_LENGTH``."""
    return clean_text(value, field=field, label=label, max_length=MAX_NAME_LENGTH,
                      required=required)


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
    operator: Operator | None, roles: tuple[str, ...], *, acting: Acting, field: str, message: str
) -> Operator:
    """``operator`` if it is an active operator of the site with one of ``roles``."""
    site_id = acting.site_id
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


def check_witnesses(
    session: Session, *, acting: Acting, witness_a: Operator | None, witness_b: Operator | None
) -> tuple[Operator, Operator]:
    """Two different active staff of the site sign a disposal."""
    site_id = acting.site_id
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
