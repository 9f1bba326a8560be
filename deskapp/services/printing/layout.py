"""Line breaking shared by the PDF and the plain-text renderer.

Chinese breaks between any two characters; Latin words and codes break at
spaces and are cut only when longer than a whole line. Closing punctuation
(，。）) never starts a line: the character before it moves down with it.
Width is whatever the caller measures (millimetres in a PDF, cells on a
receipt printer), so both renderers wrap alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator, Sequence

# Characters that should not begin a line (a light form of 禁则 / kinsoku).
NO_LINE_START = frozenset("，。、；：？！）》」』】〕〉”’…,.;:?!)]}%·")

# Control characters would be printer commands on a receipt printer (ESC/POS)
# and invisible in a PDF: tabs become spaces, everything else goes.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")


def clean(text: str) -> str:
    """``text`` with line breaks normalised, tabs as spaces, control characters removed."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    return _CONTROL.sub("", text)


def is_wide(char: str) -> bool:
    """East Asian wide or full-width: takes two cells and may break on either side."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def is_zero_width(char: str) -> bool:
    """Combining marks and format characters take no room of their own."""
    return unicodedata.category(char) in ("Mn", "Me", "Cf")


def _tokens(paragraph: str) -> Iterator[str]:
    """Runs of spaces, runs of narrow non-space characters, and single wide characters."""
    token = ""
    kind = ""
    for char in paragraph:
        if token and is_zero_width(char):
            token += char
            continue
        char_kind = "space" if char.isspace() else "wide" if is_wide(char) else "word"
        if token and (char_kind != kind or kind == "wide"):
            yield token
            token = ""
        token += char
        kind = char_kind
    if token:
        yield token


def wrap(text: str, limit: float, width_of: Callable[[str], float]) -> list[str]:
    """``text`` cut into lines no wider than ``limit``; ``\\n`` forces a break.

    Spaces at a break are dropped; every other character is kept, in order.
    A single character wider than ``limit`` gets a line of its own.
    """
    lines: list[str] = []
    for paragraph in clean(text).split("\n"):
        lines.extend(_wrap_paragraph(paragraph, limit, width_of))
    return lines


def _wrap_paragraph(paragraph: str, limit: float, width_of: Callable[[str], float]) -> list[str]:
    def measure(token: str) -> float:
        return sum(width_of(char) for char in token)

    limit += 1e-9  # widths summed in a different order must not break a fitting line
    lines: list[str] = []
    line: list[str] = []
    used = 0.0

    def flush() -> None:
        nonlocal line, used
        while line and line[-1].isspace():
            line.pop()
        lines.append("".join(line))
        line, used = [], 0.0

    for token in _tokens(paragraph):
        width = measure(token)
        if token.isspace():
            if line and used + width <= limit:
                line.append(token)
                used += width
            elif line:
                flush()
            elif not lines:  # indentation at the start of a paragraph is kept
                line.append(token)
                used = width
            continue
        if used + width <= limit:
            line.append(token)
            used += width
            continue
        if width > limit:  # a word longer than a line: fill this line, then cut
            for char in token:
                char_width = width_of(char)
                if line and used + char_width > limit:
                    flush()
                line.append(char)
                used += char_width
            continue
        carried: list[str] = []
        if token[0] in NO_LINE_START and len(line) > 1 and is_wide(line[-1][0]):
            carried = [line.pop()]
        flush()
        line = [*carried, token]
        used = measure("".join(line))
        if used > limit:  # the carried character did not fit after all
            lines.append(carried[0])
            line, used = [token], width
    if line or not lines:
        flush()
    return lines


def fit_columns(
    natural: Sequence[float],
    room: float,
    *,
    minimum: float,
    keep: Sequence[float] = (),
    whole: bool = False,
) -> list[float] | None:
    """Column widths sharing ``room``; ``None`` when the columns cannot get ``minimum`` each.

    Columns that fit keep their natural width; otherwise each keeps up to
    ``minimum`` and the rest of the room goes to the columns that want more, in
    proportion. ``keep`` asks for more than ``minimum`` for some columns (a header
    not to be broken) where the room allows. With ``whole`` the widths are whole
    cells that add up to ``room``.
    """
    floors = [
        min(width, max(minimum, wish))
        for width, wish in zip(natural, [*keep, *[0.0] * len(natural)], strict=False)
    ]
    if sum(floors) > room:
        floors = [min(width, minimum) for width in natural]
    if sum(floors) > room:
        return None
    if sum(natural) <= room:
        return list(natural)
    spare = room - sum(floors)
    wants = [width - floor for width, floor in zip(natural, floors, strict=True)]
    total_want = sum(wants)
    widths = [floor + spare * want / total_want for floor, want in zip(floors, wants, strict=True)]
    if not whole:
        return widths
    cells = [float(int(width)) for width in widths]
    by_remainder = sorted(range(len(widths)), key=lambda i: widths[i] - cells[i], reverse=True)
    for index in by_remainder[: int(room) - int(sum(cells))]:
        cells[index] += 1
    return cells
