"""What a release slip accepts as typed: plates, quantities, lines, carriers' ID numbers.

Names, phones and ID numbers are the custody ledgers' checks
(``services/custody/checks.py``); an 18-character ID number here also has its
birth date checked. Text follows the one text policy (``services/text.py``).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from deskapp.errors import InvalidInput
from deskapp.i18n import _
from deskapp.services.custody.checks import clean_id_number as _custody_id_number
from deskapp.services.custody.checks import clean_name as clean_name
from deskapp.services.custody.checks import clean_phone as clean_phone
from deskapp.services.privacy import mask_id_number
from deskapp.services.text import clean_text as clean_text

MAX_QUANTITY = 9999
MAX_LINES = 50
MAX_DESCRIPTION = 200
MAX_NOTE = 500

_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_LETTER = "A-HJ-NP-Z"  # no I or O on a plate
# Ordinary plates: province, city letter, five symbols (the last may be 挂/学/警/港/澳).
# New-energy plates: six symbols, D or F first (small cars) or last (large vehicles).
_PLATE = re.compile(
    rf"^[{_PROVINCES}][{_LETTER}]"
    rf"(?:[{_LETTER}0-9]{{4}}[{_LETTER}0-9挂学警港澳]"
    rf"|[DF][{_LETTER}0-9][0-9]{{4}}"
    rf"|[0-9]{{5}}[DF])$"
)


def clean_plate(value: str, *, field: str = "plate") -> str:
    """A mainland plate as kept (``京A12345``, ``粤BD12345``), or empty when none was given."""
    text = unicodedata.normalize("NFKC", value or "").strip().upper()
    text = re.sub(r"[\s·•・\-.]", "", text)
    if not text:
        return ""
    if not _PLATE.match(text):
        raise InvalidInput(
            _("{text} is not a vehicle plate (such as 京A12345, or 粤B·D12345 for a "
              "new-energy car).").format(text=value.strip()),
            field=field,
        )
    return text


def clean_quantity(value: int, *, field: str = "quantity") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_QUANTITY:
        raise InvalidInput(
            _("The quantity must be between 1 and {count}.").format(count=MAX_QUANTITY),
            field=field,
        )
    return value


def clean_id_number(value: str, *, field: str = "id_number", required: bool = False) -> str:
    """The custody check (GB 11643 check digit), and a birth date that can be."""
    text = _custody_id_number(value, field=field, required=required)
    if len(text) == 18 and text[:17].isdigit():
        try:
            born = date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
        except ValueError:
            born = None
        if born is None or born.year < 1900 or born > date.today():
            raise InvalidInput(
                _("The ID number {text} holds no possible birth date — a typo?").format(
                    text=mask_id_number(text)),
                field=field,
            )
    return text
