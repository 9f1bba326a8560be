"""The handover sheet (交接班记录) on paper: A4 PDF and plain text, from the database.

What both operators signed, as the ledger of the day: the shift, who handed over
and who took over with both signature times, every carried item urgent first
(unit, reference, what, since, deadline, last step, next action and its time,
contingency, the incoming operator's answer and a supervisor's part), the public
items counted against the checklist with every explanation, the addenda, and the
seal's hash at the foot. An open handover prints as a draft: the title says so,
and a signature not given yet reads "not signed yet".

Built from the rows alone, so the sheet says what the database holds; the seal
is checked again as the sheet is made (``handovers.content_hash``), and a sheet of
a handover changed behind its seal says so at the foot.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

from sqlmodel import Session

from deskapp.config import Settings
from deskapp.formatting import desk_zone
from deskapp.i18n import _
from deskapp.models import Operator
from deskapp.models.handover import (
    Handover,
    HandoverItem,
    HandoverState,
    ItemDecision,
    Shift,
    WatchLevel,
)
from deskapp.services import sites
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.handover import assembly, handovers, shifts
from deskapp.services.printing import (
    Block,
    Heading,
    KeyValues,
    Paragraph,
    PrintDocument,
    Table,
    printed_stamp,
    save_print,
)

TEXT_WIDTH = 80
"""The text copy of an A4 sheet is laid out for a page, not a receipt roll."""
NONE = "—"


def _when(moment: datetime | None, zone: tzinfo) -> str:
    if moment is None:
        return ""
    return as_utc(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _span(shift: Shift | None, zone: tzinfo) -> str:
    """``2026-11-23 08:00 – 16:00``; the end's date only when it is another day."""
    if shift is None:
        return NONE
    start = as_utc(shift.starts_at).astimezone(zone)
    end = as_utc(shift.ends_at).astimezone(zone)
    shown = end.strftime("%H:%M") if end.date() == start.date() else end.strftime(
        "%Y-%m-%d %H:%M")
    return f"{start.strftime('%Y-%m-%d %H:%M')} – {shown}"


def _signature(name: str | None, signed_at: datetime | None, zone: tzinfo) -> str:
    if name is None:
        return _("not named yet")
    if signed_at is None:
        return _("{name}, not signed yet").format(name=name)
    return _("{name}, signed {time}").format(name=name, time=_when(signed_at, zone))


def _level_heading(level: str, count: int) -> str:
    return {
        WatchLevel.URGENT.value: _("Urgent ({count})"),
        WatchLevel.WATCH.value: _("Watch ({count})"),
    }.get(level, _("Routine ({count})")).format(count=count)


def _decision(item: HandoverItem, zone: tzinfo) -> str:
    if item.decision == ItemDecision.ACCEPTED.value:
        return _("accepted {time}").format(time=_when(item.decided_at, zone))
    if item.decision == ItemDecision.REFUSED.value:
        return _("refused {time}: {reason}").format(time=_when(item.decided_at, zone),
                                                     reason=item.refusal_reason)
    return _("not taken yet")


def _next_action(item: HandoverItem, zone: tzinfo) -> str:
    action = handovers.next_action_of(item) or NONE
    if item.next_at is None:
        return action
    return _("{action}, by {time}").format(action=action, time=_when(item.next_at, zone))


def _item_blocks(
    number: int, item: HandoverItem, *, titles: dict[str, str], names: dict[int, str],
    zone: tzinfo, first: bool,
) -> list[Block]:
    """The item's title line (a blank line before it, but for a group's first) and its
    rows."""
    rows: list[tuple[str, str]] = [
        (_("Unit"), item.unit_code or NONE),
        (_("Reference"), item.reference or NONE),
        (_("What"), item.what),
        (_("Open since"), _when(item.since, zone)),
        (_("Deadline"), _when(item.deadline, zone) or NONE),
        (_("Last step"), assembly.step_label(item.last_step) or NONE),
        (_("Next action"), _next_action(item, zone)),
        (_("Contingency"), item.contingency or NONE),
        (_("Incoming decision"), _decision(item, zone)),
    ]
    if item.carried_by_id is not None:
        rows.append((_("Carried by a supervisor"), _("{name}: {reason}").format(
            name=names.get(item.carried_by_id, "?"), reason=item.carry_reason)))
    if item.settled_at is not None:
        rows.append((_("Settled by a supervisor"), _("{name}, {time}: {note}").format(
            name=names.get(item.settled_by_id or 0, "?"), time=_when(item.settled_at, zone),
            note=item.settle_note)))
    title = f"{number}. {titles.get(item.group, item.group)}"
    return [Paragraph(title if first else "\n" + title), KeyValues(rows)]


def _count_cell(counted: int | None) -> str:
    return _("not counted") if counted is None else str(counted)


def handover_document(
    session: Session, *, acting: Acting, handover_id: int, settings: Settings, now: datetime,
    printed_by: str = "",
) -> PrintDocument:
    """The sheet of handover ``handover_id`` in the current language (a draft while open).

    Raises ``NotFound`` for a handover of another site or none.
    """
    site_id = acting.site_id
    zone = desk_zone(settings.timezone)
    handover = handovers.get_handover(session, acting=acting, handover_id=handover_id)
    assert handover.id is not None
    sealed = handover.state == HandoverState.SEALED.value
    site = sites.get_site(session, site_id)
    items = handovers.items_of(session, handover.id)
    counts = handovers.counts_of(session, handover.id)
    addenda = handovers.addenda_of(session, handover.id)
    shift = session.get(Shift, handover.shift_id)
    names = _names(session, handover, items, [addendum.operator_id for addendum in addenda])
    titles = {contribution.group: contribution.title()
              for contribution in assembly.contributions()}

    blocks: list[Block] = []
    if not sealed:
        blocks.append(Paragraph(_("DRAFT: this handover is open and not sealed; what it says "
                                  "may still change.")))
    heads: list[tuple[str, str]] = [
        (_("Handover number"), str(handover.id)),
        (_("Shift"), _span(shift, zone)),
        (_("Handover opened"), _when(handover.started_at, zone)),
        (_("Outgoing operator"), _signature(names.get(handover.outgoing_id),
                                            handover.outgoing_signed_at, zone)),
        (_("Incoming operator"), _signature(
            names.get(handover.incoming_id) if handover.incoming_id is not None else None,
            handover.incoming_signed_at, zone)),
    ]
    worked = [operator.display_name for operator in shifts.operators_of(session,
                                                                        handover.shift_id)]
    if worked:
        heads.append((_("Worked the shift"), _(", ").join(worked)))
    heads.append((_("Sealed"), _when(handover.sealed_at, zone) if sealed else _("not yet")))
    if handover.reviewed_at is not None:
        heads.append((_("Reviewed by the supervisor"), _("{name}, {time}: {note}").format(
            name=names.get(handover.reviewed_by_id or 0, "?"),
            time=_when(handover.reviewed_at, zone), note=handover.review_remarks)))
    blocks.append(KeyValues(heads))

    blocks.append(Heading(_("Carried over")))
    if not items:
        blocks.append(Paragraph(_("Nothing is carried over.")))
    number = 0
    for level in handovers.LEVEL_ORDER:
        of_level = [item for item in items if item.level == level]
        if not of_level:
            continue
        blocks.append(Heading(_level_heading(level, len(of_level))))
        for index, item in enumerate(of_level):
            number += 1
            blocks.extend(_item_blocks(number, item, titles=titles, names=names, zone=zone,
                                       first=index == 0))

    blocks.append(Heading(_("Count of public items")))
    if counts:
        blocks.append(Table(
            headers=[_("Item"), _("Expected"), _("Counted"), _("Explanation")],
            rows=[[public.name, str(public.expected), _count_cell(public.counted),
                   public.explanation] for public in counts],
        ))
    else:
        blocks.append(Paragraph(_("No public items on the checklist.")))

    blocks.append(Heading(_("Addenda")))
    if addenda:
        blocks.append(Table(
            headers=[_("When"), _("Written by"), _("Addendum")],
            rows=[[_when(addendum.at, zone), names.get(addendum.operator_id, "?"),
                   addendum.text] for addendum in addenda],
        ))
    else:
        blocks.append(Paragraph(_("No addenda.")))

    blocks.append(Heading(_("Seal")))
    if sealed:
        intact = handovers.content_hash(handovers.sealed_content(session, handover)) == \
            handover.seal_hash
        blocks.append(Paragraph(f"SHA-256 {handover.seal_hash}"))  # one line, never wrapped
        blocks.append(Paragraph(
            _("The sheet matches its seal.") if intact else
            _("WARNING: this handover was changed after it was sealed; tell the supervisor.")))
    else:
        blocks.append(Paragraph(_("Not sealed yet: the seal is made when both operators have "
                                  "signed with their PINs.")))
    return PrintDocument(
        title=_("Shift handover sheet") if sealed else _("Shift handover sheet (draft)"),
        subtitle=site.name if site else "",
        blocks=blocks,
        printed_at=printed_stamp(as_utc(now), zone),
        printed_by=printed_by,
    )


def _names(
    session: Session, handover: Handover, items: list[HandoverItem], more: list[int],
) -> dict[int, str]:
    """Display names of everybody the sheet names, by operator id."""
    wanted = {handover.outgoing_id, handover.incoming_id, handover.reviewed_by_id, *more}
    for item in items:
        wanted.update((item.carried_by_id, item.settled_by_id))
    found: dict[int, str] = {}
    for operator_id in wanted:
        if operator_id is None:
            continue
        operator = session.get(Operator, operator_id)
        if operator is not None:
            found[operator_id] = operator.display_name
    return found


def file_name(handover_id: int, now: datetime, zone: tzinfo) -> str:
    """``handover-12-2026-11-23-1002``: one file per print, in time order."""
    return f"handover-{handover_id}-{as_utc(now).astimezone(zone).strftime('%Y-%m-%d-%H%M')}"


def save_sheet(
    doc: PrintDocument, *, folder: Path, handover_id: int, now: datetime, zone: tzinfo,
    replace_missing: bool = False,
) -> tuple[Path, Path]:
    """Write ``handover-<id>-<time>.pdf`` (A4) and its ``.txt`` into ``folder`` (the desk's
    ``<data>/prints``), each whole or not at all (``printing.save_print``).

    A character the PDF font lacks (a rare name) is refused with ``InvalidInput`` naming
    it, unless ``replace_missing``: then it prints as ``〓``, as the operator agreed.
    """
    return save_print(doc, folder=folder, name=file_name(handover_id, now, zone), paper="a4",
                      width=TEXT_WIDTH, errors="replace" if replace_missing else "strict")
