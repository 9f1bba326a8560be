"""What the requests ledger accepts in its fields.

Text follows the desk's one text policy (``deskapp.services.text``: no emoji,
no control or bidi characters, refused rather than cut at the field's limit),
the same as every custody ledger; this module adds reasons, choices and times.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from deskapp.errors import InvalidInput
from deskapp.i18n import _
from deskapp.services.text import clean_text as clean_text
from deskapp.services.text import is_emoji as is_emoji

E = TypeVar("E", bound=StrEnum)


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
