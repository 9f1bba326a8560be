"""The work order (维修单) on paper: what engineering takes to the job and brings back signed.

Built from the request's card, so it prints what the desk sees. The contact's
phone is printed in full: the technician has to call the resident to get in,
and the sheet goes to our own engineering staff, not to a stranger.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

from deskapp.errors import NotFound
from deskapp.i18n import _
from deskapp.models.requests import WorkLocation, WorkOrder
from deskapp.services.clock import as_utc
from deskapp.services.printing import (
    Block,
    CodeBlock,
    Heading,
    KeyValues,
    Paragraph,
    PrintDocument,
    Signatures,
    printed_stamp,
    save_print,
)
from deskapp.services.requests.labels import (
    KIND_LABELS,
    LOCATION_LABELS,
    WORK_ORDER_STATUS_LABELS,
    label,
)
from deskapp.services.requests.views import RequestCard
from deskapp.services.requests.workorders import format_fen

#: Cells per line of the receipt-printer text beside the A4 PDF.
RECEIPT_WIDTH = 42


def _when(moment: datetime | None, zone: tzinfo) -> str:
    if moment is None:
        return ""
    return as_utc(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def latest_work_order(card: RequestCard) -> WorkOrder:
    """The newest work order of the request (what the print key prints)."""
    if not card.work_orders:
        raise NotFound(
            _("Request {number} has no work order to print.").format(number=card.request.number),
            field="work_order",
        )
    return card.work_orders[-1]


def work_order_document(
    card: RequestCard,
    order: WorkOrder | None = None,
    *,
    site_name: str,
    zone: tzinfo,
    printed_at: datetime | None = None,
    printed_by: str = "",
    arrival_minutes: int = 15,
) -> PrintDocument:
    """The work order ``order`` (default: the newest) of the request on ``card``."""
    order = order or latest_work_order(card)
    request = card.request
    if order.paid:
        cost = _("{amount} yuan").format(amount=format_fen(order.material_cost_fen))
        charge = _("paid") + " · " + cost + " · " + (
            _("agreed by the resident") if order.cost_agreed else _("not yet agreed"))
    else:
        charge = _("free")
    contact = " ".join(part for part in (request.contact_name, request.contact_phone) if part)
    rows: list[tuple[str, str]] = [
        (_("Request"), request.number),
        (_("Kind"), label(KIND_LABELS, request.kind)),
        (_("Unit"), card.unit_code or "—"),
        (_("Contact"), contact or "—"),
        (_("Appointment"), _when(order.appointment_at, zone)),
        (_("Location"), label(LOCATION_LABELS, order.location)),
        (_("Where exactly"), request.location or "—"),
        (_("Charge"), charge),
        (_("Technician"), order.technician or "—"),
        (_("Status"), label(WORK_ORDER_STATUS_LABELS, order.status)),
        (_("Opened by"), card.owner_name or "—"),
    ]
    done: list[tuple[str, str]] = [
        (_("Arrived at"), _when(order.arrived_at, zone)),
        (_("Completed at"), _when(order.completed_at, zone)),
        (_("Result"), order.completion_result),
        (_("Confirmed by"), order.confirmed_by),
        (_("Rating (1-5)"), str(order.rating) if order.rating is not None else ""),
    ]
    confirmer = (_("Area staff signature") if order.location == WorkLocation.PUBLIC
                 else _("Resident signature"))
    blocks: list[Block] = [
        CodeBlock(request.number, label=_("Request number"), qr=False),
        KeyValues(rows),
        Heading(_("Work to do")),
        Paragraph(order.task),
    ]
    if request.summary.strip() and request.summary.strip() != order.task.strip():
        blocks += [Heading(_("What the resident said")), Paragraph(request.summary)]
    blocks += [
        Heading(_("Completion (filled in by the technician)")),
        KeyValues(done),
        Paragraph(_("The technician arrives within {minutes} minutes of the appointment. Paid "
                    "work starts only after the resident agreed the material cost.")
                  .format(minutes=arrival_minutes)),
        Signatures([_("Technician signature"), confirmer]),
    ]
    return PrintDocument(
        title=_("Work order"),
        subtitle=site_name,
        blocks=blocks,
        printed_at=printed_stamp(printed_at, zone) if printed_at else "",
        printed_by=printed_by,
    )


def save_work_order(doc: PrintDocument, *, folder: Path, number: str,
                    order_id: int | None) -> tuple[Path, Path]:
    """Write ``work-order-<number>-<id>.pdf`` (A4) and its receipt ``.txt`` into ``folder``."""
    name = f"work-order-{number}" + (f"-{order_id}" if order_id is not None else "")
    return save_print(doc, folder=folder, name=name, paper="a4", width=RECEIPT_WIDTH)
