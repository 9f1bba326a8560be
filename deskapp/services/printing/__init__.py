"""Printing for every ledger: one document model, a PDF and a receipt-printer text.

A ledger describes what to print as a ``PrintDocument`` of blocks and hands it
to ``render_pdf`` (A4 or an 80 mm roll, Chinese font embedded, QR/Code128
drawn), ``render_text`` (plain text laid out in display cells, optionally in
a printer's GB18030) or ``save_print`` (both, into a folder). The PDF side
imports fpdf2 only when first used, so screens that never print pay nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from deskapp.services.printing.document import (
    Block,
    CodeBlock,
    Heading,
    KeyValues,
    Paragraph,
    PrintDocument,
    Signatures,
    Table,
    printed_stamp,
)
from deskapp.services.printing.files import safe_file_name, save_print
from deskapp.services.printing.text import display_width, render_text

if TYPE_CHECKING:
    from deskapp.services.printing.pdf import Errors, Paper

__all__ = [
    "Block",
    "CodeBlock",
    "Heading",
    "KeyValues",
    "Paragraph",
    "PrintDocument",
    "Signatures",
    "Table",
    "display_width",
    "missing_glyphs",
    "printed_stamp",
    "render_pdf",
    "render_text",
    "safe_file_name",
    "save_print",
]


def render_pdf(doc: PrintDocument, *, paper: Paper = "a4", errors: Errors = "strict") -> bytes:
    """``doc`` as PDF bytes (see ``deskapp.services.printing.pdf.render_pdf``)."""
    from deskapp.services.printing import pdf

    return pdf.render_pdf(doc, paper=paper, errors=errors)


def missing_glyphs(doc: PrintDocument) -> str:
    """Characters of ``doc`` the PDF font cannot draw; ask before printing with ``〓``."""
    from deskapp.services.printing import fonts

    return fonts.missing_glyphs(doc.texts())
