"""Short codes a person can read out and type: ``S-7K3M-Q`` (票号 / 取件码).

A code is a prefix letter naming the ledger, four to six symbols of Crockford's
base32 (no I, L, O or U, which look like 1, 0 and V) and one check symbol.
Typed codes are forgiving: lower case, spaces, a missing dash, ``O`` for ``0``
and ``I``/``L`` for ``1`` are all accepted, and any single mistyped symbol or
two neighbours swapped is caught by the check symbol.

The check is a Damm-style running value over GF(32): ``v = 2·v ⊕ symbol``,
starting from the prefix. ``x∘y = 2x ⊕ y`` is a quasigroup (one wrong symbol
always changes the result) and weakly totally anti-symmetric (two different
neighbours swapped always change it), so both mistakes are caught, including
ones that touch the check symbol itself.

A new record's code is drawn at random from the whole five-symbol space (33
million bodies, ``draw_code``), never from its id: the first ticket of every
database is not the same, and holding one ticket says nothing of the next. The
check symbol is kept, and a code already given in the ledger is drawn again.
``make_code`` still spells the code of a number, for a fixed reference (tests,
examples).
"""

from __future__ import annotations

import random
import re
import secrets
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum

from deskapp.errors import InvalidInput
from deskapp.i18n import _

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Crockford's reading of look-alikes typed by hand.
_LOOK_ALIKES = {"O": "0", "I": "1", "L": "1"}

MIN_BODY = 4
MAX_BODY = 6
DRAWN_BODY = 5
"""The width of a drawn code's body: 32⁵ = 33,554,432 codes per ledger letter, so a
decade of parcels (500,000) uses 1.5 % of them."""
_DRAWS = 32
"""Draws before giving up on finding a free code (each finds one with odds ≥ 98 %)."""

_source: random.Random = secrets.SystemRandom()
_MULTIPLIER = 0x2B5A7  # odd, so it is invertible modulo every power of two


class CodePrefix(StrEnum):
    """Which ledger a code belongs to."""

    STORAGE = "S"  # 寄存票
    PARCEL = "P"  # 快件取件码
    LOST = "L"  # 拾遗物品
    KEY = "K"  # 钥匙
    RELEASE = "R"  # 放行条
    WORK_ORDER = "W"  # 维修单 (future)


# The prefix seeds the check, so a code read with the wrong ledger letter is caught too.
_PREFIX_SEED = {prefix.value: index + 1 for index, prefix in enumerate(CodePrefix)}

# A scanner burst or a typed code: prefix, body, check; dashes and spaces optional.
CODE_PATTERN = re.compile(
    r"^\s*([SPLKRW])[\s\-]*([0-9A-Z]{4,6})[\s\-]*([0-9A-Z])\s*$", re.IGNORECASE
)

# What a scanner types from a printed ticket: the canonical text exactly (``S-7K3M-Q``).
# Stricter than CODE_PATTERN, so a fast-typed word such as "Parcel" is not taken for a code.
SCAN_PATTERN = re.compile(r"^([SPLKRW])-([0-9A-HJKMNP-TV-Z]{4,6})-([0-9A-HJKMNP-TV-Z])$")


@dataclass(frozen=True)
class Code:
    """A checked code: its ledger prefix and its canonical text (``S-7K3M2-Q``)."""

    prefix: str
    text: str


def _mul2(value: int) -> int:
    """Multiply by x in GF(32) with the polynomial x⁵ + x² + 1."""
    value <<= 1
    if value & 0x20:
        value ^= 0x25
    return value


def _running(prefix: str, symbols: list[int]) -> int:
    value = 0
    for symbol in [_PREFIX_SEED[prefix], *symbols]:
        value = _mul2(value) ^ symbol
    return value


def check_symbol(prefix: str, body: str) -> str:
    """The check symbol of ``body`` under ``prefix``."""
    return ALPHABET[_mul2(_running(prefix, [_VALUES[s] for s in body]))]


def _width(number: int) -> int:
    for width in range(MIN_BODY, MAX_BODY + 1):
        if number < 32**width:
            return width
    raise ValueError(f"{number} is too large for a code")


def make_code(prefix: str, number: int) -> str:
    """The code that spells ``number`` (1, 2, ...) under ``prefix``: a fixed reference
    (tests, examples). A new record draws its code instead (``draw_code``)."""
    if prefix not in _PREFIX_SEED:
        raise ValueError(f"unknown code prefix {prefix!r}")
    if number < 1:
        raise ValueError("code numbers start at 1")
    width = _width(number)
    scrambled = (number * _MULTIPLIER) % (32**width)
    digits = []
    for _position in range(width):
        digits.append(ALPHABET[scrambled % 32])
        scrambled //= 32
    return _spelled(prefix, "".join(reversed(digits)))


def _spelled(prefix: str, body: str) -> str:
    return f"{prefix}-{body}-{check_symbol(prefix, body)}"


def draw_code(prefix: str, is_taken: Callable[[str], bool]) -> str:
    """A code for a new record: a body drawn at random, checked, not yet given."""
    if prefix not in _PREFIX_SEED:
        raise ValueError(f"unknown code prefix {prefix!r}")
    for _draw in range(_DRAWS):
        value = _source.randrange(32**DRAWN_BODY)
        body = "".join(ALPHABET[(value >> (5 * place)) & 31]
                       for place in reversed(range(DRAWN_BODY)))
        code = _spelled(prefix, body)
        if not is_taken(code):
            return code
    raise RuntimeError(f"no free {prefix} code in {_DRAWS} draws")  # 1 in 10^50 or a bug


@contextmanager
def drawn_from(source: random.Random) -> Iterator[None]:
    """Codes drawn from ``source`` meanwhile: a seeded demo gives the same tickets
    every time (its codes are not secret); the desk draws from the system's secrets."""
    global _source
    before, _source = _source, source
    try:
        yield
    finally:
        _source = before


def _not_a_code(text: str) -> InvalidInput:
    return InvalidInput(
        _("{text} is not a ticket code: a code looks like S-7K3M-Q.").format(
            text=text.strip() or "''"
        ),
        field="code",
    )


def normalize(text: str) -> str:
    """Upper case, full-width characters folded, look-alikes read as Crockford does."""
    return unicodedata.normalize("NFKC", text).strip().upper()


def looks_like_code(text: str) -> bool:
    """True when ``text`` has the shape of a code (its check is not verified)."""
    return CODE_PATTERN.match(normalize(text)) is not None


def check_code(text: str) -> Code:
    """The code typed or scanned, or InvalidInput(field="code") saying what is wrong."""
    match = CODE_PATTERN.match(normalize(text))
    if match is None:
        raise _not_a_code(text)
    prefix = match.group(1)
    typed = "".join(_LOOK_ALIKES.get(symbol, symbol) for symbol in match.group(2) + match.group(3))
    if any(symbol not in _VALUES for symbol in typed):
        raise _not_a_code(text)
    body, check = typed[:-1], typed[-1]
    if check_symbol(prefix, body) != check:
        raise InvalidInput(
            _("{text}: the check character does not match — a typo? "
              "Read the code again or scan it.").format(text=text.strip()),
            field="code",
        )
    return Code(prefix=prefix, text=f"{prefix}-{body}-{check}")
