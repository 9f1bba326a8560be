"""Printable lists of the lost-and-found desk: the weekly notice (失物招领启事), the
monthly hand-over list to the admin office and the disposal list, as
``printing.PrintDocument`` built from the service's list rows.

The notice is posted in public: it names no finder, owner or claimant, only
what was found, where and when. The two internal lists carry lines to sign on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo

from deskapp.i18n import N_, _, counted
from deskapp.services.custody.core import status_label
from deskapp.services.custody.lists import ItemRow
from deskapp.services.custody.lostfound import Notice
from deskapp.services.printing import (
    Paragraph,
    PrintDocument,
    Signatures,
    Table,
    printed_stamp,
)

TEXT_WIDTH = 80
"""The text copy of an A4 list is laid out for a page, not a receipt roll."""


def _day(moment: datetime, zone: tzinfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d")


def _empty_or(rows: Sequence[ItemRow], table: Table) -> Table | Paragraph:
    return table if rows else Paragraph(_("No items on this list."))


def notice_document(
    notice: Notice, *, zone: tzinfo, site_name: str, printed_by: str
) -> PrintDocument:
    """The weekly notice of unclaimed items, to post for a week (no personal data)."""
    table = Table(
        headers=[_("Code"), _("Found on"), _("Where found"), _("Item"), _("Pieces")],
        rows=[[row.code, _day(row.received_at, zone), row.found_where, row.description,
               str(row.pieces)] for row in notice.rows],
    )
    return PrintDocument(
        title=_("Notice of items found"),
        subtitle=site_name,
        blocks=[
            Paragraph(_("These items were handed in to the front desk. Owners may claim them "
                        "at the desk with an ID and a description of the item.")),
            _empty_or(notice.rows, table),
            Paragraph(_("Posted {start} until {end}.").format(
                start=_day(notice.posted_at, zone), end=_day(notice.posted_until, zone))),
        ],
        printed_at=printed_stamp(notice.posted_at, zone),
        printed_by=printed_by,
    )


def handover_document(
    rows: Sequence[ItemRow], *, now: datetime, zone: tzinfo, site_name: str, printed_by: str
) -> PrintDocument:
    """The monthly list of unclaimed items handed to the admin office, to sign on."""
    table = Table(
        headers=[_("Code"), _("Found on"), _("Where found"), _("Item"), _("Pieces"),
                 _("Finder"), _("Valuable")],
        rows=[[row.code, _day(row.received_at, zone), row.found_where, row.description,
               str(row.pieces), row.received_from, _("yes") if row.valuable else ""]
              for row in rows],
    )
    return PrintDocument(
        title=_("Found items handed to the admin office"),
        subtitle=site_name,
        blocks=[
            Paragraph(counted(len(rows), N_("1 item, unclaimed at the front desk."),
                              N_("{count} items, unclaimed at the front desk."))),
            _empty_or(rows, table),
            Signatures([_("Handed over by"), _("Received by (admin office)")]),
        ],
        printed_at=printed_stamp(now, zone),
        printed_by=printed_by,
    )


def disposal_document(
    rows: Sequence[ItemRow], *, now: datetime, zone: tzinfo, site_name: str, printed_by: str,
    months: int,
) -> PrintDocument:
    """Items unclaimed for ``months`` months, to dispose of before two witnesses."""
    table = Table(
        headers=[_("Code"), _("Found on"), _("Item"), _("Pieces"), _("Where it is"),
                 _("How disposed of")],
        rows=[[row.code, _day(row.received_at, zone), row.description, str(row.pieces),
               status_label(row.status), ""] for row in rows],
    )
    return PrintDocument(
        title=_("Found items to dispose of"),
        subtitle=site_name,
        blocks=[
            Paragraph(_("Unclaimed for {months} months or more; each disposal is signed by two "
                        "staff as witnesses.").format(months=months)),
            _empty_or(rows, table),
            Signatures([_("First witness"), _("Second witness")]),
        ],
        printed_at=printed_stamp(now, zone),
        printed_by=printed_by,
    )


def file_name(kind: str, now: datetime, zone: tzinfo) -> str:
    """``lost-notice-2026-11-23-1000``: one file per print, in time order."""
    return f"lost-{kind}-{now.astimezone(zone).strftime('%Y-%m-%d-%H%M')}"
