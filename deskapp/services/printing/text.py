"""The plain-text form of a document, for a receipt printer (小票打印机).

Laid out in character cells: Chinese takes two, Latin one. A receipt printer
fed GB18030 (or GBK/GB2312) prints every multi-byte character double-width,
so with ``encoding`` a character counts one cell per byte up to two - this
is why ``×`` ``·`` ``—`` take two cells there but one on a screen. Characters
the encoding cannot carry are refused (or replaced, when asked) rather than
left for the printer to garble.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Literal

from deskapp.errors import InvalidInput
from deskapp.i18n import _
from deskapp.services.printing.document import (
    Bars,
    CodeBlock,
    Heading,
    KeyValues,
    Paragraph,
    PrintDocument,
    Signatures,
    Table,
)
from deskapp.services.printing.layout import clean, fit_columns, is_wide, is_zero_width, wrap

#: Narrowest paper the layout is meant for (a 58 mm roll prints 32 cells).
MIN_WIDTH = 16
REPLACEMENT = "?"

Errors = Literal["strict", "replace"]


def cell_width(char: str, encoding: str | None = None) -> int:
    """Cells ``char`` takes: by display width, or by its bytes in ``encoding`` (at most 2)."""
    if is_zero_width(char):
        return 0
    if encoding is None:
        return 2 if is_wide(char) else 1
    return min(2, len(char.encode(encoding)))


def display_width(text: str, encoding: str | None = None) -> int:
    """Cells ``text`` takes on the printer (see ``cell_width``)."""
    return sum(cell_width(char, encoding) for char in text)


def unencodable(text: str, encoding: str) -> str:
    """The distinct characters of ``text`` that ``encoding`` cannot carry, in order."""
    seen: dict[str, None] = {}
    for char in text:
        if char not in seen:
            try:
                char.encode(encoding)
            except UnicodeEncodeError:
                seen[char] = None
    return "".join(seen)


def render_text(
    doc: PrintDocument,
    *,
    width: int = 32,
    encoding: str | None = None,
    errors: Errors = "strict",
) -> str:
    """``doc`` as lines of at most ``width`` cells, ending in a newline.

    With ``encoding``, characters it cannot carry raise ``InvalidInput`` naming
    them, or are printed as ``?`` when ``errors="replace"``.
    """
    if width < MIN_WIDTH:
        raise ValueError(f"receipt width must be at least {MIN_WIDTH} cells")
    if encoding is not None:
        codecs.lookup(encoding)  # an unknown encoding is a setup defect: fail loudly
    writer = _TextWriter(width, encoding, errors)
    writer.document(doc)
    return "\n".join(writer.lines) + "\n"


class _TextWriter:
    def __init__(self, width: int, encoding: str | None, errors: Errors) -> None:
        self.width = width
        self.encoding = encoding
        self.errors = errors
        self.lines: list[str] = []
        self._cells: Callable[[str], int] = lru_cache(maxsize=4096)(
            lambda char: cell_width(char, encoding)
        )

    # -- text preparation ---------------------------------------------------
    def prepare(self, text: str) -> str:
        text = clean(text)
        if self.encoding is None:
            return text
        missing = unencodable(text, self.encoding)
        if not missing:
            return text
        if self.errors == "replace":
            return "".join(REPLACEMENT if char in missing else char for char in text)
        raise InvalidInput(
            _("The receipt printer cannot print {characters} ({encoding}).").format(
                characters=" ".join(f"{char} (U+{ord(char):04X})" for char in missing),
                encoding=self.encoding,
            )
        )

    def measure(self, text: str) -> int:
        return sum(self._cells(char) for char in text)

    def wrapped(self, text: str, width: int) -> list[str]:
        return wrap(self.prepare(text), width, self._cells)

    def pad(self, text: str, width: int) -> str:
        return text + " " * max(0, width - self.measure(text))

    def centred(self, text: str) -> None:
        for line in self.wrapped(text, self.width):
            self.lines.append(" " * ((self.width - self.measure(line)) // 2) + line)

    def rule(self, char: str = "-") -> None:
        self.lines.append(char * self.width)

    # -- blocks ---------------------------------------------------------------
    def document(self, doc: PrintDocument) -> None:
        if doc.title:
            self.centred(doc.title)
        if doc.subtitle:
            self.centred(doc.subtitle)
        self.rule("=")
        for block in doc.blocks:
            match block:
                case Heading(text):
                    self.lines.append("")
                    self.lines.extend(self.wrapped(text, self.width))
                    self.rule()
                case KeyValues(rows):
                    self.key_values(rows)
                case Paragraph(text):
                    self.lines.extend(self.wrapped(text, self.width))
                case Table(headers, rows):
                    self.table(headers, rows)
                case CodeBlock():
                    self.code(block)
                case Signatures(labels):
                    self.signatures(labels)
                case Bars(rows, scale):
                    self.bars(rows, scale)
        footer = footer_text(doc)
        if footer:
            self.rule()
            self.lines.extend(self.wrapped(footer, self.width))

    def bars(self, rows: Sequence[tuple[str, float, str]], scale: float | None) -> None:
        """Label, a bar of ``#`` against the largest amount, the value after it."""
        if not rows:
            return
        labels = [self.prepare(label) for label, _amount, _shown in rows]
        shown = [self.prepare(text) for _label, _amount, text in rows]
        label_width = min(max(self.measure(label) for label in labels), self.width // 3)
        room = max(4, self.width - label_width - max(self.measure(t) for t in shown) - 2)
        largest = scale or max((amount for _label, amount, _shown in rows), default=0) or 1
        for label, (_label, amount, _shown), text in zip(labels, rows, shown, strict=True):
            left = (wrap(label, label_width, self._cells) or [""])[0] if label_width else ""
            bar = "#" * round(room * max(0.0, amount) / largest)
            self.lines.append(f"{self.pad(left, label_width)} {bar} {text}".rstrip())

    def key_values(self, rows: Sequence[tuple[str, str]]) -> None:
        labels = [self.prepare(label) for label, _value in rows]
        widest = max((self.measure(label) for label in labels), default=0)
        label_width = min(widest, self.width // 3)
        value_width = self.width - label_width - 1
        for label, (_label, value) in zip(labels, rows, strict=True):
            label_lines = wrap(label, label_width, self._cells) if label_width else []
            value_lines = self.wrapped(value, value_width)
            for index in range(max(len(label_lines), len(value_lines))):
                left = label_lines[index] if index < len(label_lines) else ""
                right = value_lines[index] if index < len(value_lines) else ""
                self.lines.append((self.pad(left, label_width) + " " + right).rstrip())

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        columns = max([len(headers), *(len(row) for row in rows)], default=0)
        if not columns:
            return
        grid = [[self.prepare(cell) for cell in row] for row in [headers, *rows]]
        for row in grid:
            row.extend([""] * (columns - len(row)))
        gaps = columns - 1
        natural = [max(1, *(self.measure(row[i]) for row in grid)) for i in range(columns)]
        keep = [self.measure(header) for header in grid[0]] if headers else []
        widths = fit_columns(natural, self.width - gaps, minimum=4, keep=keep, whole=True)
        if widths is None:  # too many columns for the paper: one record per row
            self.table_as_records(grid[0], grid[1:])
            return
        for index, row in enumerate(grid):
            cells = [wrap(cell, int(widths[i]), self._cells) for i, cell in enumerate(row)]
            for line_index in range(max(len(cell) for cell in cells)):
                parts = [
                    self.pad(cell[line_index] if line_index < len(cell) else "", int(widths[i]))
                    for i, cell in enumerate(cells)
                ]
                self.lines.append(" ".join(parts).rstrip())
            if index == 0 and headers:
                self.rule()

    def table_as_records(self, headers: list[str], rows: list[list[str]]) -> None:
        for number, row in enumerate(rows):
            if number:
                self.lines.append("")
            self.key_values(list(zip(headers, row, strict=True)))

    def code(self, block: CodeBlock) -> None:
        self.lines.append("")
        if block.label:
            self.centred(block.label)
        self.centred(block.value)
        self.lines.append("")

    def signatures(self, labels: Sequence[str]) -> None:
        for label in labels:
            self.lines.append("")
            lines = self.wrapped(label, self.width)
            last = lines[-1] if lines else ""
            blank = self.width - self.measure(last) - 1
            if blank >= 8:
                self.lines.extend(lines[:-1])
                self.lines.append(last + " " + "_" * blank)
            else:
                self.lines.extend(lines)
                self.lines.append("_" * self.width)


def footer_text(doc: PrintDocument) -> str:
    """``Printed 2026-11-23 10:00 by 张三``, or as much of it as the document knows."""
    when, who = clean(doc.printed_at).strip(), clean(doc.printed_by).strip()
    if when and who:
        return _("Printed {when} by {who}").format(when=when, who=who)
    if when:
        return _("Printed {when}").format(when=when)
    if who:
        return _("Printed by {who}").format(who=who)
    return ""
