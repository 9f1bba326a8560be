"""The claim ticket (寄存凭条) a depositor takes away: the code, what was left, where.

The code is printed three ways - QR, Code128 and plain text - so it can be
scanned at the desk or read out over the phone. The phone is masked: the
ticket leaves the desk in a stranger's pocket.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

from deskapp.i18n import _
from deskapp.models.custody import CustodyItem, StorageCategory
from deskapp.services.clock import as_utc
from deskapp.services.custody.storage import category_label
from deskapp.services.printing import (
    CodeBlock,
    KeyValues,
    Paragraph,
    PrintDocument,
    Signatures,
    printed_stamp,
    save_print,
)
from deskapp.services.privacy import mask_phone

#: Cells per line of the receipt printer's text (80 mm roll, 12x24 font).
RECEIPT_WIDTH = 42


def ticket_document(
    item: CustodyItem,
    *,
    site_name: str,
    zone: tzinfo,
    unit_code: str = "",
    printed_at: datetime | None = None,
    printed_by: str = "",
) -> PrintDocument:
    """The claim ticket of a stored item, in the current language."""
    if not item.code:
        raise ValueError("a stored item has its ticket code once saved")
    received = as_utc(item.received_at).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    rows: list[tuple[str, str]] = [
        (_("Depositor"), item.owner_name),
        (_("Unit"), unit_code or "—"),
        (_("Phone"), mask_phone(item.owner_phone) if item.owner_phone else "—"),
        (_("Item"), item.description),
        (_("Pieces"), str(item.pieces)),
    ]
    if item.condition:
        rows.append((_("Condition"), item.condition))
    if item.category and item.category != StorageCategory.ORDINARY.value:
        rows.append((_("Category"), category_label(item.category)))
    rows += [
        (_("Shelf"), item.place),
        (_("Deposited"), received),
    ]
    if item.may_collect:
        rows.append((_("May collect"), item.may_collect))
    return PrintDocument(
        title=_("Storage claim ticket"),
        subtitle=site_name,
        blocks=[
            CodeBlock(item.code, label=_("Claim code")),
            KeyValues(rows),
            Paragraph(
                _("Keep this ticket. The item is handed over against this code and the "
                  "collector's ID; if the ticket is lost, ask the desk.")
            ),
            Signatures([_("Depositor signature"), _("Desk operator")]),
        ],
        printed_at=printed_stamp(printed_at, zone) if printed_at else "",
        printed_by=printed_by,
    )


def save_ticket(
    doc: PrintDocument, *, folder: Path, code: str, replace_missing: bool = False
) -> tuple[Path, Path]:
    """Write ``ticket-<code>.pdf`` (80 mm roll) and ``.txt`` into ``folder``.

    A character the PDF font lacks is refused (InvalidInput naming it) unless
    ``replace_missing``: then it prints as ``〓``, which the operator agreed to.
    Either way each file is written beside its final name and then renamed over
    it (``save_print``): a full disk or a crash never leaves half a ticket.
    """
    return save_print(doc, folder=folder, name=f"ticket-{code}", paper="receipt80",
                      width=RECEIPT_WIDTH, errors="replace" if replace_missing else "strict")
