"""The arithmetic the reports share: percentiles, rates, and a deadline's outcome.

Percentiles are **nearest-rank**: the p-th percentile of n sorted values is the
value at rank ⌈p·n/100⌉ (1-based), so it is always one of the measured values
(never an average of two). The median is the 50th percentile by the same rule:
of 4 values it is the 2nd. No values: no percentile (``None``, printed as ``—``).

A deadline's outcome is read from its row, as ``deadlines.py`` keeps it (the due
time already moved by any pause): met at or before its due minute is on time, so
a reply exactly 24 h after receipt meets a 24 h deadline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from deskapp.models.requests import RequestDeadline
from deskapp.services.clock import as_utc


def nearest_rank(values: Sequence[timedelta], percent: int) -> timedelta | None:
    """The ``percent``-th percentile of ``values`` by nearest rank (see the module doc)."""
    if not 0 < percent <= 100:
        raise ValueError("percent must be in 1..100")
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-percent * len(ordered) // 100))  # ceil without floating point
    return ordered[rank - 1]


@dataclass(frozen=True)
class Durations:
    """How long something took, over the period's requests that got that far."""

    count: int
    median: timedelta | None
    p90: timedelta | None

    @classmethod
    def of(cls, values: Sequence[timedelta]) -> Durations:
        return cls(len(values), nearest_rank(values, 50), nearest_rank(values, 90))


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` as a fraction; ``None`` when nothing was counted."""
    return part / whole if whole else None


class Outcome(StrEnum):
    ON_TIME = "on_time"  # 按时
    LATE = "late"  # 超时
    PENDING = "pending"  # 未到期 / 暂停
    NOT_DUE = "not_due"  # 不再适用 (取消于到期前)


def deadline_outcome(deadline: RequestDeadline, now: datetime) -> Outcome:
    """On time, late, still running, or dropped before it fell due (a deferral, a void).

    A deadline dropped after its due time was missed: the resident waited past it.
    A pending one past due is late already; a paused one is still running.
    """
    due = as_utc(deadline.due_at)
    if deadline.met_at is not None:
        return Outcome.ON_TIME if as_utc(deadline.met_at) <= due else Outcome.LATE
    if deadline.cancelled_at is not None:
        return Outcome.LATE if as_utc(deadline.cancelled_at) > due else Outcome.NOT_DUE
    if deadline.paused_at is None and due < now:
        return Outcome.LATE
    return Outcome.PENDING


@dataclass(frozen=True)
class Compliance:
    """How many deadlines of one kind were met on time (及时率)."""

    key: str
    on_time: int = 0
    late: int = 0
    pending: int = 0

    @property
    def counted(self) -> int:
        """Deadlines whose outcome is known (on time or late)."""
        return self.on_time + self.late

    @property
    def rate(self) -> float | None:
        return rate(self.on_time, self.counted)

    def adding(self, outcome: Outcome) -> Compliance:
        return Compliance(
            self.key, self.on_time + (outcome is Outcome.ON_TIME),
            self.late + (outcome is Outcome.LATE), self.pending + (outcome is Outcome.PENDING))
