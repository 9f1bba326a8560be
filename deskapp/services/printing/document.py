"""What a printed page says, independent of any ledger and of the paper.

A ledger builds a ``PrintDocument`` (a work order 工单, a claim ticket 取件凭条,
the weekly lost-and-found notice 招领公告) from blocks; ``render_pdf`` and
``render_text`` lay the same document out for A4, an 80 mm roll or a receipt
printer's plain text. Every string here is already in the reader's language:
the ledger translates its labels, the printer adds only page numbers and the
"printed at" line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

#: Longest value a code block takes: codes are short by design, and a QR code
#: or a Code128 bar that long would no longer scan from a slip of paper.
MAX_CODE_LENGTH = 80


@dataclass(frozen=True)
class Heading:
    """A section title inside the document (``Items``, ``Handling``)."""

    text: str


@dataclass(frozen=True)
class KeyValues:
    """Label/value rows aligned in two columns: ``Unit  3-2-1201``."""

    rows: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Paragraph:
    """Free text, wrapped to the paper; ``\\n`` starts a new line."""

    text: str


@dataclass(frozen=True)
class Table:
    """A list with column headers, e.g. the weekly lost-and-found notice."""

    headers: Sequence[str]
    rows: Sequence[Sequence[str]]


@dataclass(frozen=True)
class CodeBlock:
    """A code to scan back at the desk: QR and/or Code128, with its text printed.

    ``label`` is what the code is (``Claim code``); the code itself is always
    printed as text too, so it can be typed when a scanner is not at hand.
    """

    value: str
    label: str = ""
    qr: bool = True
    barcode: bool = True

    def __post_init__(self) -> None:
        # Codes come from the system, not from a person: a bad one is a defect.
        if not self.value or len(self.value) > MAX_CODE_LENGTH:
            raise ValueError(f"code value must be 1-{MAX_CODE_LENGTH} characters")
        if self.barcode and not all(32 <= ord(ch) < 127 for ch in self.value):
            raise ValueError("Code128 holds printable ASCII only")


@dataclass(frozen=True)
class Signatures:
    """Lines to sign on: ``Depositor signature ________``, one per label."""

    labels: Sequence[str]


@dataclass(frozen=True)
class Bars:
    """A bar chart: one row per label, its bar as long as ``amount`` against the largest
    amount of the chart, and ``shown`` (``12``, ``75 %``) printed after it."""

    rows: Sequence[tuple[str, float, str]]
    scale: float | None = None
    """What a full bar stands for (100 for per cents); the largest amount when None."""


Block = Heading | KeyValues | Paragraph | Table | CodeBlock | Signatures | Bars


@dataclass
class PrintDocument:
    """One printable document: title, site name, blocks, and who printed it when.

    ``printed_at`` is already formatted for the desk (see ``printed_stamp``):
    rendering never reads the clock.
    """

    title: str
    subtitle: str = ""
    blocks: list[Block] = field(default_factory=list)
    printed_at: str = ""
    printed_by: str = ""

    def texts(self) -> list[str]:
        """Every string the document prints, for checks before printing."""
        out = [self.title, self.subtitle, self.printed_at, self.printed_by]
        for block in self.blocks:
            match block:
                case Heading(text) | Paragraph(text):
                    out.append(text)
                case KeyValues(rows):
                    out.extend(part for row in rows for part in row)
                case Table(headers, rows):
                    out.extend(headers)
                    out.extend(cell for row in rows for cell in row)
                case CodeBlock(value, label):
                    out.extend((value, label))
                case Signatures(labels):
                    out.extend(labels)
                case Bars(rows, _scale):
                    out.extend(part for label, _amount, shown in rows for part in (label, shown))
        return out


def printed_stamp(moment: datetime, zone: tzinfo) -> str:
    """``2026-11-23 10:00`` in the desk's zone, for ``PrintDocument.printed_at``."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M")
