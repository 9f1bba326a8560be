"""How the storage screen words an item: its age, its list line, its full record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from rich.text import Text

from deskapp.formatting import format_age, format_when
from deskapp.i18n import _
from deskapp.models.custody import ItemStatus
from deskapp.services.custody import core, storage
from deskapp.services.custody.lists import ItemRow
from deskapp.services.custody.storage import StorageRecord

DEPOSITOR_CELLS = 20
"""The depositor's column in the lists: a long name is cut there, so that at 80
columns the ticket code, the date and the unit stay whole (the description and
what follows it give way, and the record shows the name in full)."""
ITEM_CELLS = 22
"""The description's column: the first to give way on a narrow terminal."""


@dataclass(frozen=True)
class Colours:
    """The theme's colours resolved (DataTable cells are Rich text: no ``$error`` there)."""

    error: str = "red"
    success: str = "green"


def status_cell(row: ItemRow, colours: Colours) -> Text:
    """Never colour alone: the word and a symbol say it too."""
    if row.overdue:
        return Text("⚠ " + _("overdue"), style=f"bold {colours.error}")
    if row.status == ItemStatus.HELD.value:
        return Text(core.status_label(row.status))
    return Text("✓ " + core.status_label(row.status), style=colours.success)


def row_cells(row: ItemRow, *, now: datetime, zone: tzinfo, colours: Colours) -> list[Text]:
    """One line of the list; plain Text, so a ``[`` in a description is not markup."""
    code = Text(row.code, style=f"bold {colours.error}" if row.overdue else "bold")
    plain = [
        format_when(row.received_at, now, zone),
        format_age(row.age),
        row.owner_name,
        row.unit_code or "—",
        row.owner_phone,
        row.description.replace("\n", " "),
        str(row.pieces),
        row.place,
    ]
    return [code, *(Text(cell, no_wrap=True) for cell in plain), status_cell(row, colours)]


def _yes(value: bool) -> str:
    return _("yes") if value else _("no")


def record_text(shown: StorageRecord, *, now: datetime, zone: tzinfo, colours: Colours) -> Text:
    """The whole record, numbers in full (this is the record itself), then its timeline."""
    item, unit_code, names = shown.item, shown.unit_code, shown.names

    def who(operator_id: int | None) -> str:
        return names.get(operator_id, "—") if operator_id is not None else "—"

    def when(moment: datetime | None) -> str:
        return format_when(moment, now, zone) if moment else "—"

    out = Text()
    out.append(f"{item.code}  ", style="bold")
    if shown.overdue:
        out.append("⚠ " + _("overdue"), style=f"bold {colours.error}")
    else:
        out.append(core.status_label(item.status), style="bold")
    out.append("\n\n")
    kind = storage.depositor_kind_label(item.depositor_kind)
    rows: list[tuple[str, str]] = [
        (_("Depositor"), f"{item.owner_name} ({kind})"),
        (_("Unit"), unit_code or "—"),
        (_("Phone"), item.owner_phone or "—"),
        (_("ID number"), item.owner_id_number or "—"),
        (_("May collect"), item.may_collect or "—"),
        (_("Item"), item.description),
        (_("Pieces"), str(item.pieces)),
        (_("Condition"), item.condition or "—"),
        (_("Shelf"), item.place),
        (_("Category"), storage.category_label(item.category)),
        (_("Deposited"), f"{when(item.received_at)}  {who(item.received_by_id)}"),
        (_("Depositor signed"), _yes(item.depositor_confirmed)),
    ]
    if item.exception_note:
        rows.append((_("Exception"), f"{item.exception_note}  ({who(item.exception_by_id)})"))
    if item.released_at is not None:
        collector = item.released_to
        if item.released_relation:
            collector += f" ({item.released_relation})"
        rows += [
            (_("Collected"), f"{when(item.released_at)}  {who(item.released_by_id)}"),
            (_("Collector"), collector),
            (_("Collector's phone"), item.released_phone or "—"),
            (_("ID checked"), _yes(item.id_checked)
             + (f"  {item.released_id_number}" if item.released_id_number else "")),
        ]
        if item.release_note:
            rows.append((_("Note"), f"{item.release_note}  ({who(item.approved_by_id)})"))
    if item.voided_at is not None:
        rows.append((_("Voided"), f"{when(item.voided_at)}  {item.void_reason}"))
    for label, value in rows:
        out.append(f"{label}: ", style="dim")
        out.append(f"{value}\n")
    out.append("\n" + _("Timeline") + "\n", style="bold")
    for event in shown.events:
        line = f"{when(event.at)}  {core.event_label(event.kind)}  {who(event.operator_id)}"
        out.append(line)
        if event.note:
            out.append(f"  {event.note}", style="dim")
        out.append("\n")
    return out
