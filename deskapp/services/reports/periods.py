"""The periods the reports cover: a calendar month (``2026-11``) or quarter (``2026-Q4``).

A period is a range of local days in the desk's zone, turned into UTC bounds for
the queries (``bounds``): the request received at 23:30 on 30 November in Beijing
belongs to November, whatever UTC says.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from enum import StrEnum

from deskapp.errors import InvalidInput
from deskapp.i18n import _
from deskapp.services.clock import as_utc

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-9]\d*)$")


class PeriodKind(StrEnum):
    MONTH = "month"  # 月度
    QUARTER = "quarter"  # 季度


@dataclass(frozen=True, order=True)
class Period:
    """A month (``number`` 1-12) or a quarter (``number`` 1-4) of ``year``."""

    kind: PeriodKind
    year: int
    number: int

    @property
    def code(self) -> str:
        """``2026-11`` or ``2026-Q4``: what the command line takes and the files are named by."""
        if self.kind is PeriodKind.MONTH:
            return f"{self.year:04d}-{self.number:02d}"
        return f"{self.year:04d}-Q{self.number}"

    @property
    def first_month(self) -> int:
        return self.number if self.kind is PeriodKind.MONTH else 3 * self.number - 2

    @property
    def months(self) -> int:
        return 1 if self.kind is PeriodKind.MONTH else 3

    @property
    def start(self) -> date:
        """The first local day of the period."""
        return date(self.year, self.first_month, 1)

    @property
    def end(self) -> date:
        """The first local day after the period."""
        month = self.first_month + self.months
        return date(self.year + (month - 1) // 12, (month - 1) % 12 + 1, 1)

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """``[start, end)`` in UTC: local midnight of the first day, of the day after."""
        return (as_utc(datetime.combine(self.start, time(), tzinfo=zone)),
                as_utc(datetime.combine(self.end, time(), tzinfo=zone)))

    def shifted(self, steps: int) -> Period:
        """The period ``steps`` months (or quarters) later; earlier when negative."""
        per_year = 12 if self.kind is PeriodKind.MONTH else 4
        index = self.year * per_year + (self.number - 1) + steps
        return Period(self.kind, index // per_year, index % per_year + 1)

    def label(self) -> str:
        """``November 2026`` / ``2026年11月``, ``2026 Q4`` / ``2026年第4季度``."""
        if self.kind is PeriodKind.MONTH:
            return _("{year}-{month}").format(year=self.year, month=f"{self.number:02d}")
        return _("{year} Q{quarter}").format(year=self.year, quarter=self.number)


def month(year: int, number: int) -> Period:
    return Period(PeriodKind.MONTH, year, number)


def quarter(year: int, number: int) -> Period:
    return Period(PeriodKind.QUARTER, year, number)


def period_of(kind: PeriodKind, moment: datetime, zone: tzinfo) -> Period:
    """The month or quarter that ``moment`` falls in, in the desk's zone."""
    local = as_utc(moment).astimezone(zone)
    if kind is PeriodKind.MONTH:
        return month(local.year, local.month)
    return quarter(local.year, (local.month - 1) // 3 + 1)


def last_complete(kind: PeriodKind, moment: datetime, zone: tzinfo) -> Period:
    """The month or quarter before the one ``moment`` falls in (what a report is run for)."""
    return period_of(kind, moment, zone).shifted(-1)


def parse_period(kind: PeriodKind, text: str) -> Period:
    """A typed period: ``2026-11`` for a month, ``2026-Q4`` for a quarter; else one line
    saying how to write it."""
    value = text.strip()
    if kind is PeriodKind.MONTH:
        found = _MONTH.match(value)
        if found and 1 <= int(found.group(2)) <= 12 and int(found.group(1)) >= 1:
            return month(int(found.group(1)), int(found.group(2)))
        raise InvalidInput(
            _("{value} is not a month: write it as 2026-11.").format(value=text), field="period")
    found = _QUARTER.match(value)
    if found and 1 <= int(found.group(2)) <= 4 and int(found.group(1)) >= 1:
        return quarter(int(found.group(1)), int(found.group(2)))
    raise InvalidInput(
        _("{value} is not a quarter: write it as 2026-Q4.").format(value=text), field="period")
