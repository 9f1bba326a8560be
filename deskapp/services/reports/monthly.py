"""The monthly complaint summary (月度投诉汇总), computed from the ledger (domain.md §8).

What it covers: every request received in the month (its local days), voided ones
left out (registered by mistake), and of those the complaints (投诉). Their handling
is counted as known at ``now``: a November complaint answered on 2 December counts
as answered, and one still waiting past its deadline counts as late.

- counts of the month's requests by kind, and of its complaints by nature, subject,
  severity and channel;
- deadline compliance (及时率) from the deadline rows ``deadlines.py`` keeps: the reply
  to the resident (24 h, 48 h for a major complaint, as the settings say) and the
  result of what could not be answered at once (3 working days). The first reply
  deadline of each complaint is counted, not those of a reopening;
- time to first reply: from receipt to the first reply deadline met (an answer, or a
  resolution, which answers too — whichever step ``lifecycle`` made meet it);
  time to resolution: receipt to ``resolved_at`` (the resolution that stands; a
  reopened complaint is unresolved until resolved again). Median and 90th
  percentile by nearest rank (``figures``);
- the worst units and subject lines: the most complaints, then the most late.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from sqlmodel import Session, col, select

from deskapp.models import Unit
from deskapp.models.requests import (
    DeadlineKind,
    RequestDeadline,
    RequestKind,
    RequestStatus,
    ServiceRequest,
    Severity,
)
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.reports.figures import (
    Compliance,
    Durations,
    Outcome,
    deadline_outcome,
)
from deskapp.services.reports.periods import Period, PeriodKind

#: How many units and subject lines the "worst" lists name.
WORST_LIMIT = 5

#: The compliance lines, in the order the report shows them.
REPLY_GENERAL = "reply"  # 答复业户 24 h
REPLY_MAJOR = "reply_major"  # 重大投诉 48 h
DEFERRED = "deferred"  # 不能即时答复: 3 个工作日
COMPLIANCE_KEYS = (REPLY_GENERAL, REPLY_MAJOR, DEFERRED)
_REPLY_KINDS = (DeadlineKind.RESIDENT_REPLY.value, DeadlineKind.DEFERRED_ANSWER.value)


@dataclass(frozen=True)
class Ranked:
    """A unit or subject line among the worst: its complaints, and how many ran late."""

    label: str
    complaints: int
    late: int


@dataclass(frozen=True)
class MonthlyReport:
    period: Period
    now: datetime
    requests: int
    complaints: int
    by_kind: dict[str, int]
    by_nature: dict[str, int]
    by_subject: dict[str, int]
    by_severity: dict[str, int]
    by_channel: dict[str, int]
    compliance: dict[str, Compliance]
    first_reply: Durations
    resolution: Durations
    unresolved: int
    worst_units: list[Ranked] = field(default_factory=list)
    worst_subjects: list[Ranked] = field(default_factory=list)


def subject_key(text: str) -> str:
    """Subject lines typed the same way group together: width, case and spaces ignored."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _first(deadlines: list[RequestDeadline], kind: str) -> RequestDeadline | None:
    mine = [deadline for deadline in deadlines if deadline.kind == kind]
    return min(mine, key=lambda d: (as_utc(d.created_at), d.id or 0)) if mine else None


def _rank(groups: dict[str, tuple[str, int, int]]) -> list[Ranked]:
    ordered = sorted(groups.values(), key=lambda g: (-g[1], -g[2], g[0]))
    return [Ranked(label, count, late) for label, count, late in ordered[:WORST_LIMIT]]


def monthly_report(
    session: Session, *, acting: Acting, period: Period, zone: tzinfo, now: datetime,
) -> MonthlyReport:
    """The summary of ``period`` (a month), its handling as known at ``now``."""
    site_id = acting.site_id
    if period.kind is not PeriodKind.MONTH:
        raise ValueError("monthly_report takes a month")
    start, end = period.bounds(zone)
    in_month = (
        ServiceRequest.site_id == site_id,
        col(ServiceRequest.received_at) >= start,
        col(ServiceRequest.received_at) < end,
        ServiceRequest.status != RequestStatus.VOIDED.value,
    )
    rows = session.exec(
        select(ServiceRequest, Unit.code)
        .outerjoin(Unit, col(Unit.id) == col(ServiceRequest.unit_id))
        .where(*in_month)
        .order_by(col(ServiceRequest.received_at), col(ServiceRequest.id))
    ).all()
    complaints = [(request, code) for request, code in rows
                  if request.kind == RequestKind.COMPLAINT.value]
    deadlines: dict[int, list[RequestDeadline]] = {}
    for deadline in session.exec(
        select(RequestDeadline)
        .join(ServiceRequest, col(ServiceRequest.id) == col(RequestDeadline.request_id))
        .where(*in_month, ServiceRequest.kind == RequestKind.COMPLAINT.value,
               col(RequestDeadline.kind).in_(_REPLY_KINDS))
    ).all():
        deadlines.setdefault(deadline.request_id, []).append(deadline)

    compliance = {key: Compliance(key) for key in COMPLIANCE_KEYS}
    first_replies: list[timedelta] = []
    resolutions: list[timedelta] = []
    units: dict[str, tuple[str, int, int]] = {}
    subjects: dict[str, tuple[str, int, int]] = {}
    unresolved = 0
    for request, unit_code in complaints:
        assert request.id is not None
        received = as_utc(request.received_at)
        mine = deadlines.get(request.id, [])
        late = False
        reply = _first(mine, DeadlineKind.RESIDENT_REPLY.value)
        if reply is not None:
            outcome = deadline_outcome(reply, now)
            if outcome is not Outcome.NOT_DUE:
                key = REPLY_MAJOR if request.severity == Severity.MAJOR else REPLY_GENERAL
                compliance[key] = compliance[key].adding(outcome)
            late |= outcome is Outcome.LATE
        deferred = _first(mine, DeadlineKind.DEFERRED_ANSWER.value)
        if deferred is not None:
            outcome = deadline_outcome(deferred, now)
            if outcome is not Outcome.NOT_DUE:
                compliance[DEFERRED] = compliance[DEFERRED].adding(outcome)
            late |= outcome is Outcome.LATE
        met = [as_utc(deadline.met_at) for deadline in mine if deadline.met_at is not None]
        if met:
            first_replies.append(max(timedelta(0), min(met) - received))
        if request.resolved_at is not None:
            resolutions.append(max(timedelta(0), as_utc(request.resolved_at) - received))
        else:
            unresolved += 1
        if unit_code:
            _label, count, lates = units.get(unit_code, (unit_code, 0, 0))
            units[unit_code] = (unit_code, count + 1, lates + late)
        key = subject_key(request.subject)
        if key:
            shown, count, lates = subjects.get(key, (request.subject.strip(), 0, 0))
            subjects[key] = (shown, count + 1, lates + late)

    def counts(values: list[str | None]) -> dict[str, int]:
        return dict(Counter(value or "" for value in values))

    return MonthlyReport(
        period=period,
        now=now,
        requests=len(rows),
        complaints=len(complaints),
        by_kind=counts([request.kind for request, _code in rows]),
        by_nature=counts([request.nature for request, _code in complaints]),
        by_subject=counts([request.complaint_subject for request, _code in complaints]),
        by_severity=counts([request.severity for request, _code in complaints]),
        by_channel=counts([request.channel for request, _code in complaints]),
        compliance=compliance,
        first_reply=Durations.of(first_replies),
        resolution=Durations.of(resolutions),
        unresolved=unresolved,
        worst_units=_rank(units),
        worst_subjects=_rank(subjects),
    )
