"""What the requests ledger accepts in its text fields, and why.

Emoji are refused everywhere: the work order is printed on receipt printers
(GB18030 fonts) and in PDFs with an embedded CJK font, neither of which can
show them, and a request whose summary prints as boxes is a lost request.
Control and format characters (bidi overrides, zero-width joiners) are refused
too; multi-line fields (summary, wish, result) keep line breaks and tabs.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from deskapp.errors import InvalidInput
from deskapp.i18n import _

E = TypeVar("E", bound=StrEnum)

# Symbols of the CJK desk that live in the emoji blocks but print on GB18030 printers.
_ALLOWED_SYMBOLS = frozenset("★☆☎※○●◎◇◆□■△▲")
_LINE_BREAKS = frozenset("\n\t")


def is_emoji(char: str) -> bool:
    """Pictographs, dingbats, flags, skin tones and the joiners that build emoji."""
    code = ord(char)
    if char in _ALLOWED_SYMBOLS:
        return False
    if code in (0x200D, 0xFE0F, 0xFE0E, 0x20E3):
        return True
    category = unicodedata.category(char)
    if code >= 0x1F000 and category in ("So", "Sk"):
        return True
    return 0x2600 <= code <= 0x27BF and category == "So"


def _is_control(char: str, multiline: bool) -> bool:
    if multiline and char in _LINE_BREAKS:
        return False
    return unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co")


def clean_text(
    value: str | None,
    *,
    field: str,
    label: str,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """The text as stored (trimmed, NFC), or a refusal naming ``label`` beside ``field``."""
    text = unicodedata.normalize("NFC", value or "").strip()
    if required and not text:
        raise InvalidInput(_("Give the {label}.").format(label=label), field=field)
    if len(text) > max_length:
        raise InvalidInput(
            _("The {label} may have at most {count} characters; this one has {length}. "
              "Shorten it.").format(label=label, count=max_length, length=len(text)),
            field=field,
        )
    if any(is_emoji(char) for char in text):
        raise InvalidInput(
            _("The {label} contains emoji, which cannot be printed; describe it in words.")
            .format(label=label),
            field=field,
        )
    if any(_is_control(char, multiline) for char in text):
        raise InvalidInput(
            _("The {label} contains control characters; retype it.").format(label=label),
            field=field,
        )
    return text


def required_reason(value: str | None, *, field: str = "reason", max_length: int = 500) -> str:
    return clean_text(value, field=field, label=_("reason"), max_length=max_length, required=True)


def parse_choice(enum: type[E], value: str | E, *, field: str, label: str) -> E:
    """A value of ``enum`` or a refusal that lists the accepted values."""
    try:
        return enum(str(value).strip().lower())
    except ValueError:
        raise InvalidInput(
            _("{value} is not a valid {label}: use one of {choices}.").format(
                value=value, label=label, choices=", ".join(item.value for item in enum)
            ),
            field=field,
        ) from None


def check_aware(moment: datetime, *, field: str) -> datetime:
    if moment.utcoffset() is None:
        raise InvalidInput(_("A time without a time zone was given."), field=field)
    return moment
