"""The one policy for text the desk keeps and prints, shared by every ledger.

Whatever an operator types into a ledger ends up on paper: a work order on the
receipt printer (GB18030), a claim ticket or a register page as a PDF with an
embedded CJK font. So a field is checked once, at input, before anything is
written, by the same rules everywhere:

- trimmed and NFC-normalised; a one-line field has its runs of spaces
  (ideographic and no-break ones too) made one space;
- not longer than the field's limit: refused with the field's name, the limit
  and the length given, never cut silently;
- no emoji (the printers' fonts have none: a summary that prints as boxes is
  a lost request), except the desk symbols that GB18030 printers do carry;
- no control or invisible format characters (bidi overrides such as U+202E,
  zero-width joiners, unassigned code points, line separators); only a
  multi-line field takes line breaks and tabs.
"""

from __future__ import annotations

import re
import unicodedata

from deskapp.errors import InvalidInput
from deskapp.i18n import _

# Symbols of the CJK desk that live in the emoji blocks but print on GB18030 printers.
_ALLOWED_SYMBOLS = frozenset("★☆☎※○●◎◇◆□■△▲")
_EMOJI_JOINERS = frozenset({0x200D, 0xFE0F, 0xFE0E, 0x20E3})
_LINE_BREAKS = frozenset("\n\t")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SPACES = re.compile("[\u0020\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]+")  # Zs


def is_emoji(char: str) -> bool:
    """Pictographs, dingbats, flags, skin tones and the joiners that build emoji."""
    code = ord(char)
    if char in _ALLOWED_SYMBOLS:
        return False
    if code in _EMOJI_JOINERS:
        return True
    category = unicodedata.category(char)
    if code >= 0x1F000 and category in ("So", "Sk"):
        return True
    return 0x2600 <= code <= 0x27BF and category == "So"


def is_refused_control(char: str, *, multiline: bool = False) -> bool:
    """Control, format (bidi, zero-width), surrogate, private and unassigned characters."""
    if multiline and char in _LINE_BREAKS:
        return False
    return unicodedata.category(char) in _REFUSED_CATEGORIES


def _named(label: str) -> str:
    """The field's name at the start of a sentence."""
    return label[:1].upper() + label[1:]


def too_long(*, field: str, label: str, max_length: int, length: int) -> InvalidInput:
    """The refusal of a text longer than its field takes: the field, the limit, the length."""
    return InvalidInput(
        _("{label}: at most {count} characters, this one has {length}. Shorten it.").format(
            label=_named(label), count=max_length, length=length
        ),
        field=field,
    )


def check_length(text: str, *, field: str, label: str, max_length: int) -> str:
    """``text`` if it fits in ``max_length`` characters, else the refusal (never a cut)."""
    if len(text) > max_length:
        raise too_long(field=field, label=label, max_length=max_length, length=len(text))
    return text


def clean_text(
    value: str | None,
    *,
    field: str,
    label: str,
    max_length: int,
    required: bool = False,
    multiline: bool = False,
) -> str:
    """The text as stored, or ``InvalidInput`` on ``field`` naming ``label``.

    ``label`` is the field's name as the operator reads it (already translated).
    """
    text = unicodedata.normalize("NFC", value or "").replace("\r\n", "\n").strip()
    if not multiline:
        text = _SPACES.sub(" ", text)
    if required and not text:
        raise InvalidInput(_("{label}: fill this in.").format(label=_named(label)), field=field)
    check_length(text, field=field, label=label, max_length=max_length)
    if any(is_emoji(char) for char in text):
        raise InvalidInput(
            _("{label}: emoji cannot be printed; describe it in words.").format(
                label=_named(label)
            ),
            field=field,
        )
    if any(is_refused_control(char, multiline=multiline) for char in text):
        raise InvalidInput(
            _("{label}: contains control or invisible formatting characters (such as a "
              "text-direction mark); retype it.").format(label=_named(label)),
            field=field,
        )
    return text


def shown_safely(text: str) -> str:
    """Stored text as it may reach a terminal: each control or invisible character
    written as its escape (``\\x1b``, ``\\u202e``), so a value stored before the policy,
    or by another program, cannot colour, move or hide what the terminal shows."""
    if not any(is_refused_control(char) for char in text):
        return text
    return "".join(char.encode("unicode_escape").decode("ascii")
                   if is_refused_control(char) else char for char in text)


def cells(text: str) -> int:
    """How many terminal cells ``text`` takes: Chinese (East Asian wide) characters two,
    combining marks and format characters none."""
    return sum(0 if unicodedata.category(char) in ("Mn", "Me", "Cf")
               else 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
               for char in text)


def column(text: str, width: int) -> str:
    """``text`` shown safely and padded to ``width`` cells, for the command line's tables
    (``f"{name:<12}"`` counts characters, so a Chinese name pushed the next column out)."""
    shown = shown_safely(text)
    return shown + " " * max(0, width - cells(shown))
