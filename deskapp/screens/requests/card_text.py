"""A request's card as rich Text, one function per section: no widgets, no database.

``RequestScreen`` shows these sections; they take a ``RequestCard`` (from
``services/requests/views.py``) and a ``CardContext`` (the time, the zone and the
theme's colours) and return ``rich.text.Text``, so each can be tested alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rich.cells import cell_len
from rich.text import Text

from deskapp.formatting import format_duration, format_when
from deskapp.i18n import N_, _
from deskapp.services.requests import rules, workorders
from deskapp.services.requests.labels import (
    CHANNEL_LABELS,
    DEADLINE_LABELS,
    DEPARTMENT_LABELS,
    ESCALATION_LABELS,
    EVENT_LABELS,
    KIND_LABELS,
    LOCATION_LABELS,
    REVISIT_RESULT_LABELS,
    SEVERITY_LABELS,
    STATUS_LABELS,
    WORK_ORDER_STATUS_LABELS,
    label,
)
from deskapp.services.requests.steps import STEP_LABELS, Step
from deskapp.services.requests.views import DeadlineView, RequestCard

#: Steps offered elsewhere: classify belongs to the intake form, work orders to ctrl+g.
NOT_IN_MENU = frozenset({Step.CLASSIFY, Step.WORK_ORDER})

#: Words shown inside composed lines (extracted for the catalog here, translated when shown).
WORDS = (N_("paused"), N_("overdue"), N_("due this shift"), N_("cancelled"), N_("appointment"),
         N_("completed"), N_("confirmed by"), N_("open"), N_("visitor, no unit"))

#: The card's sections, top to bottom (each a ``Static`` of the screen, ``#request-<name>``).
SECTIONS = ("header", "steps", "details", "deadlines", "timeline", "work", "revisits",
            "escalations")


def word(msgid: str) -> str:
    return _(msgid)


def pad(value: str, cells: int) -> str:
    """``value`` padded to ``cells`` terminal cells (a Chinese character takes two)."""
    return value + " " * max(0, cells - cell_len(value))


def section(title: str) -> Text:
    """A section's text starting with its bold title line (the rest keeps its own style)."""
    text = Text()
    text.append(title + "\n", style="bold")
    return text


@dataclass(frozen=True)
class CardContext:
    """What a card is drawn against: the desk's time and zone, the theme's colours."""

    now: datetime
    zone: tzinfo
    shift_end: datetime
    """The end of the present shift: a deadline before it is "due this shift"."""
    colors: Mapping[str, str]
    """The theme's variables (``error``, ``warning``, ``success`` …)."""

    def when(self, moment: datetime | None) -> str:
        return "" if moment is None else format_when(moment, self.now, self.zone)

    def color(self, name: str, fallback: str) -> str:
        return self.colors.get(name, fallback)


def header(card: RequestCard, context: CardContext) -> Text:
    request = card.request
    text = Text()
    text.append(f"{request.number}  ", style="bold")
    text.append(label(KIND_LABELS, request.kind) + "  ")
    severity = label(SEVERITY_LABELS, request.severity)
    if rules.is_alarming(request.severity):
        text.append("‼ " + severity, style="bold " + context.color("error", "red"))
    else:
        text.append(severity)
    text.append("  ·  " + label(STATUS_LABELS, request.status))
    if request.paused_at is not None:
        text.append("  ⏸ " + _("clock paused: {reason}").format(reason=request.pause_reason),
                    style=context.color("warning", "yellow"))
    text.append("\n")
    text.append(_("Owner") + f": {card.owner_name}   ", style="")
    text.append(_("Unit") + f": {card.unit_code or word('visitor, no unit')}   ")
    contact = " ".join(part for part in (request.contact_name, card.contact_phone) if part)
    text.append(_("Contact") + f": {contact or '—'}   ")
    text.append(_("Received") + f": {context.when(request.received_at)} · "
                f"{label(CHANNEL_LABELS, request.channel)}")
    return text


def steps_line(card: RequestCard, context: CardContext) -> Text:
    names = [_(STEP_LABELS[step]) for step in card.steps if step not in NOT_IN_MENU]
    if not names:
        return Text(_("No step is possible now."))
    return Text(_("ctrl+t steps: {steps}").format(steps=" · ".join(names)))


def details(card: RequestCard, context: CardContext) -> Text:
    request = card.request
    rows: list[tuple[str, str]] = [
        (_("Subject"), request.subject),
        (_("Summary"), request.summary),
        (_("Wish"), request.wish),
        (_("Where"), request.location),
        (_("When"), request.happened_text or context.when(request.happened_at)),
        (_("About"), request.about),
        (_("Department"), (label(DEPARTMENT_LABELS, request.department)
                           + (f" · {request.assignee}" if request.assignee else ""))
         if request.department else ""),
        (_("Department reply"), request.department_reply),
        (_("Result"), request.result),
        (_("Related request"), card.related_number),
        (_("Void reason"), request.voided_reason),
    ]
    text = Text()
    for name, value in rows:
        if value:
            text.append(f"{name}: ", style="bold")
            text.append(value.replace("\n", "\n    ") + "\n")
    return text


def deadline_line(deadline: DeadlineView, context: CardContext) -> Text:
    what = label(DEADLINE_LABELS, deadline.kind)
    when = context.when(deadline.due_at)
    line = Text("  ")
    if deadline.pending and deadline.paused:
        line.append(f"⏸ {word('paused')}  {what}  {when}",
                    style=context.color("warning", "yellow"))
    elif deadline.overdue:
        late = format_duration(context.now - deadline.due_at)
        line.append(f"⚠ {word('overdue')} {late}  {what}  {when}",
                    style="bold " + context.color("error", "red"))
    elif deadline.pending:
        if deadline.due_at < context.shift_end:
            line.append(f"◷ {word('due this shift')}  {what}  {when}",
                        style=context.color("warning", "yellow"))
        else:
            line.append(f"◷ {what}  {when}")
    elif deadline.met_at is not None:
        met_late = deadline.met_at > deadline.due_at
        mark = ("⚠ " + _("met late")) if met_late else ("✓ " + _("met"))
        line.append(f"{mark} {context.when(deadline.met_at)}  {what}  ({when})",
                    style=context.color("error" if met_late else "success", "green"))
    else:
        line.append(f"— {word('cancelled')}  {what}  ({when})", style="dim")
    if deadline.shifted_minutes:
        line.append("  " + _("moved {minutes} min by pauses").format(
            minutes=deadline.shifted_minutes), style="dim")
    return line


def deadlines(card: RequestCard, context: CardContext) -> Text:
    text = section(_("Deadlines"))
    if not card.pending_deadlines:
        text.append("  " + _("Nothing pending.") + "\n")
    for deadline in card.pending_deadlines:
        text.append_text(deadline_line(deadline, context))
        text.append("\n")
    for deadline in card.past_deadlines:
        text.append_text(deadline_line(deadline, context))
        text.append("\n")
    return text


def timeline(card: RequestCard, context: CardContext) -> Text:
    text = section(_("Timeline"))
    for line in card.timeline:
        text.append(f"  {pad(context.when(line.at), 16)}  {pad(line.operator_name or '—', 8)}  ")
        text.append(label(EVENT_LABELS, line.kind), style="bold")
        if line.from_status and line.to_status and line.from_status != line.to_status:
            text.append(f"  {label(STATUS_LABELS, line.from_status)} → "
                        f"{label(STATUS_LABELS, line.to_status)}")
        text.append("\n")
        if line.details:
            details = line.details.replace("\n", "\n" + " " * 30)
            text.append(" " * 30 + details + "\n", style="dim")
    return text


def work(card: RequestCard, context: CardContext) -> Text:
    if not workorders.is_work_kind(card.request.kind) and not card.work_orders:
        return Text()
    text = section(_("Work orders"))
    if not card.work_orders:
        text.append("  " + _("None yet: ctrl+g opens one.") + "\n")
    for order in card.work_orders:
        charge = (_("paid") + f" ¥{workorders.format_fen(order.material_cost_fen)}"
                  + (" ✓" if order.cost_agreed else " (" + _("not yet agreed") + ")")
                  if order.paid else _("free"))
        text.append(f"  #{order.id}  {label(WORK_ORDER_STATUS_LABELS, order.status)}  "
                    f"{word('appointment')} {context.when(order.appointment_at)}  "
                    f"{label(LOCATION_LABELS, order.location)}  {charge}  "
                    f"{order.technician or ''}\n")
        text.append(f"      {order.task}\n", style="dim")
        if order.completed_at is not None:
            text.append(f"      {word('completed')} {context.when(order.completed_at)}: "
                        f"{order.completion_result}\n")
        if order.confirmed_at is not None:
            rating = f" {order.rating}/5" if order.rating is not None else ""
            text.append(f"      ✓ {word('confirmed by')} {order.confirmed_by}{rating}\n",
                        style=context.color("success", "green"))
        if order.cancelled_reason:
            text.append(f"      {word('cancelled')}: {order.cancelled_reason}\n", style="dim")
    return text


def revisits(card: RequestCard, context: CardContext) -> Text:
    if not card.revisits:
        return Text()
    text = section(_("Revisits"))
    for visit in card.revisits:
        confirmed = "  ✓ " + _("confirmed by the resident") if visit.resident_confirmed else ""
        text.append(f"  {context.when(visit.at)}  {label(REVISIT_RESULT_LABELS, visit.result)}"
                    f"  {visit.visited_by}{confirmed}\n")
        if visit.remarks:
            text.append(f"      {visit.remarks}\n", style="dim")
    return text


def escalations(card: RequestCard, context: CardContext) -> Text:
    if not card.escalations:
        return Text()
    text = section(_("Escalations"))
    for escalation in card.escalations:
        level = label(ESCALATION_LABELS, escalation.level)
        if escalation.is_open:
            text.append(f"  ⚠ {word('open')}  {level}  {context.when(escalation.raised_at)}  "
                        f"{escalation.reason}\n", style=context.color("error", "red"))
        else:
            state = (_("acknowledged") + " " + context.when(escalation.acknowledged_at)
                     if escalation.acknowledged_at else _("closed"))
            text.append(f"  ✓ {state}  {level}  {escalation.reason}"
                        + (f" · {escalation.note}" if escalation.note else "") + "\n")
    return text


RENDERERS: dict[str, Callable[[RequestCard, CardContext], Text]] = {
    "header": header, "steps": steps_line, "details": details, "deadlines": deadlines,
    "timeline": timeline, "work": work, "revisits": revisits, "escalations": escalations,
}


def card_sections(card: RequestCard, context: CardContext) -> dict[str, Text]:
    """Every section of the card by name, in ``SECTIONS`` order."""
    return {name: RENDERERS[name](card, context) for name in SECTIONS}
