"""The rules of a release slip (domain.md §4), each a function saying the refusal in words.

A rule returns ``None`` when the slip keeps it, or a ``Refusal`` naming the rule
(``key``, stable, kept with an override) and the exact words the desk reads.
Large items leave only within office hours (working days, open ≤ time < close);
moving out is applied for ``moving_out_notice_working_days`` working days ahead
on the work calendar (the planned day no earlier than that many working days
after the day of application) and needs the fees settled, confirmed by name;
a company's standing pattern lets through only its items and carriers, within
its validity. A supervisor or manager may override a refusal with a reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from deskapp.config import Settings
from deskapp.i18n import _
from deskapp.models.release import ReleaseLine, ReleasePattern, ReleaseReason, ReleaseSlip
from deskapp.services.clock import as_utc
from deskapp.services.workcalendar import WorkCalendar

OFFICE_HOURS = "office_hours"
MOVING_OUT_NOTICE = "moving_out_notice"
FEES_SETTLED = "fees_settled"
PATTERN = "pattern"
SETTLEMENTS = "settlements"
"""Moving out: what the unit still has at the desk, settled or noted (``moving_out``)."""


@dataclass(frozen=True)
class Refusal:
    key: str
    message: str
    field: str


def within_office_hours(moment: datetime, calendar: WorkCalendar) -> bool:
    local = calendar.local(as_utc(moment))
    clock_time = local.timetz().replace(tzinfo=None)
    return (calendar.is_working_day(local.date())
            and calendar.office_open <= clock_time < calendar.office_close)


def office_hours(moment: datetime, lines: Sequence[ReleaseLine],
                 calendar: WorkCalendar, *, field: str = "planned_at") -> Refusal | None:
    """Large items leave only within office hours."""
    if not any(line.large for line in lines) or within_office_hours(moment, calendar):
        return None
    return Refusal(OFFICE_HOURS, _(
        "Large items leave only within office hours ({open}–{close} on working days); "
        "{when} is outside them.").format(
            open=calendar.office_open.strftime("%H:%M"),
            close=calendar.office_close.strftime("%H:%M"),
            when=calendar.local(as_utc(moment)).strftime("%Y-%m-%d %H:%M")), field)


def earliest_move(applied_at: datetime, settings: Settings, calendar: WorkCalendar) -> datetime:
    return calendar.add_working_days(as_utc(applied_at), settings.moving_out_notice_working_days)


def moving_out_notice(slip: ReleaseSlip, settings: Settings,
                      calendar: WorkCalendar) -> Refusal | None:
    """Moving out needs N working days' notice on the work calendar."""
    if slip.reason != ReleaseReason.MOVING_OUT.value:
        return None
    earliest = calendar.local(earliest_move(slip.created_at, settings, calendar)).date()
    if calendar.local(as_utc(slip.planned_at)).date() >= earliest:
        return None
    return Refusal(MOVING_OUT_NOTICE, _(
        "Moving out is applied for {days} working days ahead: applied on {applied}, the "
        "move can be on {earliest} at the earliest.").format(
            days=settings.moving_out_notice_working_days,
            applied=calendar.local(as_utc(slip.created_at)).strftime("%Y-%m-%d"),
            earliest=earliest.isoformat()), "planned_at")


def fees_settled(slip: ReleaseSlip) -> Refusal | None:
    """Moving out needs the fees settled, confirmed by name."""
    if slip.reason != ReleaseReason.MOVING_OUT.value or slip.fees_settled_by:
        return None
    return Refusal(FEES_SETTLED, _(
        "Moving out needs the management fees, electricity and other charges settled: "
        "record who confirmed it."), "fees_settled_by")


def pattern_covers(slip: ReleaseSlip, lines: Sequence[ReleaseLine],
                   pattern: ReleasePattern | None, calendar: WorkCalendar) -> Refusal | None:
    """A standing pattern lets through its own items and carriers, on its valid days."""
    if slip.pattern_id is None:
        return None
    if pattern is None or pattern.unit_id != slip.unit_id:
        return Refusal(PATTERN, _("This unit has no such standing pattern."), "pattern")
    day = calendar.local(as_utc(slip.planned_at)).date()
    if not pattern.valid_from <= day <= pattern.valid_until:
        return Refusal(PATTERN, _(
            "The standing pattern of {company} is valid from {start} to {end}, not on "
            "{day}.").format(company=pattern.company, start=pattern.valid_from.isoformat(),
                             end=pattern.valid_until.isoformat(), day=day.isoformat()),
            "planned_at")
    carriers = {name.strip() for name in pattern.carriers.splitlines() if name.strip()}
    if slip.carrier_name not in carriers:
        return Refusal(PATTERN, _(
            "{name} is not a carrier of the standing pattern of {company}.").format(
                name=slip.carrier_name, company=pattern.company), "carrier_name")
    items = [item.strip() for item in pattern.items.splitlines() if item.strip()]
    for line in lines:
        if not any(item in line.description or line.description in item for item in items):
            return Refusal(PATTERN, _(
                "{item} is not among the items of the standing pattern of {company}.").format(
                    item=line.description, company=pattern.company), "lines")
    return None


def evaluate(slip: ReleaseSlip, lines: Sequence[ReleaseLine], pattern: ReleasePattern | None,
             settings: Settings, calendar: WorkCalendar) -> list[Refusal]:
    """Every rule the slip breaks, in the order the desk reads them."""
    found = [
        office_hours(slip.planned_at, lines, calendar),
        moving_out_notice(slip, settings, calendar),
        fees_settled(slip),
        pattern_covers(slip, lines, pattern, calendar),
    ]
    return [refusal for refusal in found if refusal is not None]
