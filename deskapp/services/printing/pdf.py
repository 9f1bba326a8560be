"""The PDF form of a document: A4 sheets or an 80 mm roll, Chinese font embedded.

QR and Code128 symbols are drawn as filled rectangles straight from segno's
matrix and python-barcode's module string: sharp at any printer resolution,
no SVG parsing and no image library. QR codes are always full QR (segno would
pick Micro QR for short data, which phone cameras and many scanners ignore).
An 80 mm roll has no page length: the document is laid out once on a very
long page to measure it, then again on a page cut to its length.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from fpdf import FPDF

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
from deskapp.services.printing.fonts import FONT_FAMILY, attach_font, missing_glyphs
from deskapp.services.printing.layout import clean, fit_columns, wrap
from deskapp.services.printing.text import footer_text

Paper = Literal["a4", "receipt80"]
Errors = Literal["strict", "replace"]

#: Printed in place of a character the font lacks, when asked to go on anyway.
MISSING_GLYPH = "〓"
PT = 25.4 / 72  # millimetres per point
ROLL_MAX_LENGTH = 5000.0  # mm; PDF pages stop at 5080 mm


@dataclass(frozen=True)
class _Sheet:
    width: float
    height: float
    margin: float
    top: float
    bottom: float
    body: float  # font sizes in points
    small: float
    title: float
    heading: float
    code_text: float
    qr_size: float  # mm
    bar_height: float
    bar_module: float  # widest Code128 bar module, mm
    paged: bool  # page numbers at the foot of every page


SHEETS: dict[str, _Sheet] = {
    "a4": _Sheet(210, 297, 18, 15, 18, 10.5, 8.5, 17, 12.5, 15, 32, 14, 0.38, True),
    "receipt80": _Sheet(80, ROLL_MAX_LENGTH, 4, 4, 6, 9, 7.5, 13, 10.5, 13, 34, 12, 0.3, False),
}


def render_pdf(doc: PrintDocument, *, paper: Paper = "a4", errors: Errors = "strict") -> bytes:
    """``doc`` as a PDF carrying its own Chinese font.

    A character the font lacks raises ``InvalidInput`` naming it (fpdf2 would
    drop it without a word), or prints as ``〓`` when ``errors="replace"``.
    """
    if paper not in SHEETS:
        raise ValueError(f"unknown paper {paper!r}; one of {', '.join(SHEETS)}")
    missing = missing_glyphs(doc.texts())
    if missing and errors == "strict":
        raise InvalidInput(
            _("The printer font has no {characters}; print with 〓 in their place?").format(
                characters=" ".join(f"{char} (U+{ord(char):04X})" for char in missing)
            )
        )
    sheet = SHEETS[paper]
    if sheet.paged:
        return bytes(_render(doc, sheet, missing).output())
    draft = _render(doc, sheet, missing)
    if draft.page == 1:
        # Cut the roll to the content. A block that asks for room ahead (a signature
        # line wants two) can still break onto a second page at the exact length, so
        # grow the cut a little until the ticket is one piece of paper.
        length = max(draft.y + sheet.bottom, 40.0)
        for _attempt in range(8):
            cut = _render(doc, _Sheet(**{**sheet.__dict__, "height": length}), missing)
            if cut.page == 1:
                return bytes(cut.output())
            length += 2 * sheet.bottom
    return bytes(draft.output())


class _Pdf(FPDF):
    footer_line = ""
    paged = True

    def footer(self) -> None:
        if not self.paged:
            return
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=8)
        self.set_text_color(90)
        self.cell(0, 5, self.footer_line, align="L")
        self.set_x(self.l_margin)
        page = _("Page {page} of {pages}").format(page=self.page_no(), pages="{nb}")
        self.cell(0, 5, page, align="R")
        self.set_text_color(0)


def _render(doc: PrintDocument, sheet: _Sheet, missing: str) -> _Pdf:
    pdf = _Pdf(unit="mm", format=(sheet.width, sheet.height))
    pdf.set_creator("deskapp")
    pdf.set_title(clean(doc.title))
    pdf.set_margins(sheet.margin, sheet.top, sheet.margin)
    pdf.set_auto_page_break(True, margin=sheet.bottom)
    pdf.paged = sheet.paged
    attach_font(pdf)
    writer = _PdfWriter(pdf, sheet, missing)
    pdf.footer_line = writer.fix(footer_text(doc))
    pdf.add_page()
    writer.document(doc)
    return pdf


class _PdfWriter:
    def __init__(self, pdf: _Pdf, sheet: _Sheet, missing: str) -> None:
        self.pdf = pdf
        self.sheet = sheet
        self.missing = missing
        self.room = sheet.width - 2 * sheet.margin
        self._widths: dict[tuple[float, str], float] = {}

    # -- text -------------------------------------------------------------
    def fix(self, text: str) -> str:
        text = clean(text)
        if self.missing:
            text = "".join(MISSING_GLYPH if char in self.missing else char for char in text)
        return text

    def font(self, size: float) -> None:
        self.pdf.set_font(FONT_FAMILY, size=size)

    def width_of(self) -> Callable[[str], float]:
        size = self.pdf.font_size_pt

        def measure(char: str) -> float:
            key = (size, char)
            if key not in self._widths:
                self._widths[key] = self.pdf.get_string_width(char)
            return self._widths[key]

        return measure

    def line_height(self) -> float:
        return self.pdf.font_size_pt * PT * 1.45

    def lines(self, text: str, width: float) -> list[str]:
        return wrap(self.fix(text), width, self.width_of())

    def ensure_room(self, height: float) -> None:
        if self.pdf.y + height > self.pdf.page_break_trigger:
            self.pdf.add_page()

    def paragraph(self, text: str, *, x: float | None = None, width: float | None = None,
                  align: str = "L") -> None:
        x = self.pdf.l_margin if x is None else x
        width = self.room if width is None else width
        height = self.line_height()
        for line in self.lines(text, width):
            self.ensure_room(height)
            self.pdf.set_x(x)
            self.pdf.cell(width, height, line, align=align, new_x="LMARGIN", new_y="NEXT")

    def gap(self, millimetres: float) -> None:
        if self.pdf.y + millimetres < self.pdf.page_break_trigger:
            self.pdf.set_y(self.pdf.y + millimetres)

    def hairline(self) -> None:
        y = self.pdf.y
        self.pdf.set_draw_color(150)
        self.pdf.set_line_width(0.2)
        self.pdf.line(self.pdf.l_margin, y, self.pdf.l_margin + self.room, y)
        self.pdf.set_draw_color(0)

    # -- blocks -----------------------------------------------------------
    def document(self, doc: PrintDocument) -> None:
        sheet = self.sheet
        if doc.title:
            self.font(sheet.title)
            self.paragraph(doc.title, align="C")
        if doc.subtitle:
            self.font(sheet.body)
            self.paragraph(doc.subtitle, align="C")
        self.gap(1.5)
        self.hairline()
        self.gap(2.5)
        for block in doc.blocks:
            self.font(sheet.body)
            match block:
                case Heading(text):
                    self.gap(2)
                    self.font(sheet.heading)
                    self.ensure_room(self.line_height() * 2)
                    self.paragraph(text)
                    self.gap(1)
                case KeyValues(rows):
                    self.key_values(rows)
                case Paragraph(text):
                    self.paragraph(text)
                    self.gap(1.5)
                case Table(headers, rows):
                    self.table(headers, rows)
                case CodeBlock():
                    self.code(block)
                case Signatures(labels):
                    self.signatures(labels)
                case Bars(rows, scale):
                    self.bars(rows, scale)
        if not sheet.paged and self.pdf.footer_line:
            self.gap(2)
            self.hairline()
            self.gap(1.5)
            self.font(sheet.small)
            self.paragraph(self.pdf.footer_line)

    def bars(self, rows: Sequence[tuple[str, float, str]], scale: float | None) -> None:
        """Label, a filled bar against the largest amount, the value after it."""
        if not rows:
            return
        measure = self.width_of()
        labels = [self.fix(label) for label, _amount, _shown in rows]
        shown = [self.fix(text) for _label, _amount, text in rows]
        label_width = min(max(sum(measure(c) for c in label) for label in labels) + 3,
                          self.room * 0.35)
        shown_width = max(sum(measure(c) for c in text) for text in shown) + 3
        bar_room = max(10.0, self.room - label_width - shown_width)
        largest = scale or max((amount for _label, amount, _shown in rows), default=0) or 1
        height = self.line_height()
        for label, (_label, amount, _shown), text in zip(labels, rows, shown, strict=True):
            self.ensure_room(height)
            x, y = self.pdf.l_margin, self.pdf.y
            self.pdf.set_x(x)
            self.pdf.cell(label_width, height, (wrap(label, label_width - 3, measure) or [""])[0])
            length = bar_room * max(0.0, amount) / largest
            if length > 0:
                self.pdf.set_fill_color(70, 110, 170)
                self.pdf.rect(x + label_width, y + height * 0.2, length, height * 0.6,
                              style="F")
                self.pdf.set_fill_color(0)
            self.pdf.set_x(x + label_width + length + 1.5)
            self.pdf.cell(shown_width, height, text, new_x="LMARGIN", new_y="NEXT")
        self.gap(1.5)

    def key_values(self, rows: Sequence[tuple[str, str]]) -> None:
        measure = self.width_of()
        labels = [self.fix(label) for label, _value in rows]
        widest = max((sum(measure(c) for c in label) for label in labels), default=0.0)
        label_width = min(widest + 3, self.room * 0.35)
        value_width = self.room - label_width
        height = self.line_height()
        for label, (_label, value) in zip(labels, rows, strict=True):
            left = wrap(label, label_width - 3, measure)
            right = self.lines(value, value_width)
            for index in range(max(len(left), len(right))):
                self.ensure_room(height)
                x = self.pdf.l_margin
                if index < len(left):
                    self.pdf.set_text_color(80)
                    self.pdf.set_x(x)
                    self.pdf.cell(label_width, height, left[index])
                    self.pdf.set_text_color(0)
                self.pdf.set_x(x + label_width)
                text = right[index] if index < len(right) else ""
                self.pdf.cell(value_width, height, text, new_x="LMARGIN", new_y="NEXT")
            self.gap(0.8)
        self.gap(1)

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        columns = max([len(headers), *(len(row) for row in rows)], default=0)
        if not columns:
            return
        grid = [[self.fix(cell) for cell in row] for row in [headers, *rows]]
        for row in grid:
            row.extend([""] * (columns - len(row)))
        measure = self.width_of()
        pad = 1.2
        natural = [
            max(sum(measure(c) for c in row[i]) for row in grid) + 2 * pad + 0.5
            for i in range(columns)
        ]
        keep = [sum(measure(c) for c in cell) + 2 * pad + 0.5 for cell in grid[0]]
        minimum = min(14.0, self.room / columns)
        widths = fit_columns(natural, self.room, minimum=minimum, keep=keep if headers else ())
        assert widths is not None  # the minimum always fits by construction
        if sum(widths) < self.room:
            widths = [width * self.room / sum(widths) for width in widths]
        height = self.line_height()

        def draw(row: list[str], *, header: bool) -> None:
            cells = [wrap(cell, widths[i] - 2 * pad, measure) for i, cell in enumerate(row)]
            row_height = max(len(cell) for cell in cells) * height + 1
            self.ensure_room(row_height)
            if header_row and not header and self.pdf.y == self.pdf.t_margin:
                draw(header_row, header=True)  # repeat the headers on a new page
            y = self.pdf.y
            x = self.pdf.l_margin
            self.pdf.set_draw_color(120)
            self.pdf.set_line_width(0.2)
            for width, lines in zip(widths, cells, strict=True):
                if header:
                    self.pdf.set_fill_color(230)
                self.pdf.rect(x, y, width, row_height, style="DF" if header else "D")
                for number, line in enumerate(lines):
                    self.pdf.set_xy(x + pad, y + 0.5 + number * height)
                    self.pdf.cell(width - 2 * pad, height, line)
                x += width
            self.pdf.set_xy(self.pdf.l_margin, y + row_height)

        header_row = grid[0] if headers else []
        if headers:
            draw(grid[0], header=True)
        for row in grid[1:]:
            draw(row, header=False)
        self.gap(3)

    def code(self, block: CodeBlock) -> None:
        sheet = self.sheet
        qr = _qr_matrix(block.value) if block.qr else None
        bars = _code128_modules(block.value) if block.barcode else None
        bar_module = 0.0
        if bars:
            bar_module = min(sheet.bar_module, (self.room * 0.9) / (len(bars) + 20))
            if bar_module < 0.19:  # too fine to print and scan: the QR and text must do
                bars = None
        text_height = sheet.code_text * PT * 1.5
        label_height = self.line_height() if block.label else 0.0
        bar_total = sheet.bar_height + 1 if bars else 0.0
        qr_size = sheet.qr_size if qr else 0.0
        if sheet.paged:  # A4: barcode and text on the left, the QR on the right
            needed = max(qr_size, label_height + bar_total + text_height) + 4
            self.ensure_room(needed)
            top = self.pdf.y + 1
            left = self.pdf.l_margin
            if qr:
                _draw_matrix(self.pdf, qr, left + self.room - qr_size, top, qr_size)
            y = top
            if block.label:
                self.pdf.set_xy(left, y)
                self.paragraph(block.label, width=self.room - qr_size - 4)
                y = self.pdf.y
            if bars:
                _draw_bars(self.pdf, bars, left, y, bar_module, sheet.bar_height)
                y += bar_total
            self.pdf.set_xy(left, y)
            self._code_text(block.value, align="L", width=self.room - qr_size - 4)
            self.pdf.set_y(max(self.pdf.y, top + qr_size) + 3)
            return
        needed = label_height + qr_size + 2 + bar_total + text_height + 4
        self.ensure_room(needed)
        self.gap(2)
        if block.label:
            self.paragraph(block.label, align="C")
        centre = self.pdf.l_margin + self.room / 2
        if qr:
            _draw_matrix(self.pdf, qr, centre - qr_size / 2, self.pdf.y + 1, qr_size)
            self.pdf.set_y(self.pdf.y + qr_size + 3)
        if bars:
            width = len(bars) * bar_module
            _draw_bars(self.pdf, bars, centre - width / 2, self.pdf.y, bar_module, sheet.bar_height)
            self.pdf.set_y(self.pdf.y + bar_total)
        self._code_text(block.value, align="C", width=self.room)
        self.gap(2)

    def _code_text(self, value: str, *, align: str, width: float) -> None:
        self.font(self.sheet.code_text)
        self.pdf.set_char_spacing(1.2)
        self.paragraph(value, x=self.pdf.x, width=width, align=align)
        self.pdf.set_char_spacing(0)
        self.font(self.sheet.body)

    def signatures(self, labels: Sequence[str]) -> None:
        """Each label followed by a line to sign on; the line drops below a long label."""
        height = self.line_height()
        measure = self.width_of()
        line_length = min(self.room, 90.0)
        for label in labels:
            lines = self.lines(label, self.room)
            self.ensure_room(height * (len(lines) + 3))
            self.gap(height * 1.6)  # room to sign above the line
            for line in lines[:-1]:
                self.pdf.cell(self.room, height, line, new_x="LMARGIN", new_y="NEXT")
            last = lines[-1]
            used = sum(measure(char) for char in last) + 2
            if self.room - used < 25:  # no room beside the label: sign on the next line
                self.pdf.cell(self.room, height, last, new_x="LMARGIN", new_y="NEXT")
                self.gap(height)
                used = 0.0
            else:
                self.pdf.cell(used, height, last)
            start = self.pdf.l_margin + used
            end = self.pdf.l_margin + max(line_length, min(self.room, used + line_length))
            baseline = self.pdf.y + height * 0.85
            self.pdf.set_line_width(0.25)
            self.pdf.line(start, baseline, min(end, self.pdf.l_margin + self.room), baseline)
            self.pdf.set_xy(self.pdf.l_margin, self.pdf.y + height)
        self.gap(2)


def _qr_matrix(value: str) -> list[list[int]]:
    import segno

    return [list(row) for row in segno.make_qr(value, error="m").matrix]


def _code128_modules(value: str) -> str:
    from barcode import Code128

    return str(Code128(value, writer=None).build()[0])


def _draw_matrix(pdf: FPDF, matrix: list[list[int]], x: float, y: float, size: float) -> None:
    """A QR code with a 2-module quiet zone inside ``size``, dark runs merged per row."""
    modules = len(matrix) + 4
    cell = size / modules
    pdf.set_fill_color(0)
    for row_index, row in enumerate(matrix):
        top = y + (row_index + 2) * cell
        start = None
        for col_index, dark in enumerate([*row, 0]):
            if dark and start is None:
                start = col_index
            elif not dark and start is not None:
                pdf.rect(x + (start + 2) * cell, top, (col_index - start) * cell, cell, style="F")
                start = None


def _draw_bars(pdf: FPDF, modules: str, x: float, y: float, module: float, height: float) -> None:
    """Code128 bars; the caller leaves the quiet zone around them."""
    pdf.set_fill_color(0)
    start = None
    for index, bit in enumerate(modules + "0"):
        if bit == "1" and start is None:
            start = index
        elif bit != "1" and start is not None:
            pdf.rect(x + start * module, y, (index - start) * module, height, style="F")
            start = None
