"""The quarterly revisit analysis (季度回访分析, domain.md §1 and §8), from the ledger.

- Satisfaction: the revisits recorded in the quarter (满意 / 基本满意 / 不满意), for
  complaints and for work (repairs, paid services, help requests); the satisfaction
  rate counts satisfied and basically satisfied.
- Revisits on time: the revisit deadlines written in the quarter (3 days after a
  complaint is resolved, a week after work, as ``deadlines.py`` set them).
- The same matter complained about twice or more: the quarter's complaints of one
  complainant (by unit, a visitor by phone — the rules' ``complainant_key``) on one
  complaint subject (an unclassified one by its subject line), a complaint linked to an
  earlier one (``related_request_id``) counted with it; each reopening of a complaint
  is the matter raised again.
- The same repair three times or more: the quarter's repairs of one unit (a public
  area by its location) with the same subject line, each reopening counted again.

Voided requests are left out. Subject lines group when typed the same way
(``monthly.subject_key``: width, case and spaces ignored).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlmodel import Session, col, select

from deskapp.models import Unit
from deskapp.models.requests import (
    DeadlineKind,
    RequestDeadline,
    RequestKind,
    RequestStatus,
    Revisit,
    RevisitResult,
    ServiceRequest,
)
from deskapp.services.acting import Acting
from deskapp.services.reports.figures import Compliance, deadline_outcome, rate
from deskapp.services.reports.monthly import subject_key
from deskapp.services.reports.periods import Period, PeriodKind
from deskapp.services.requests.deadlines import REVISIT_COMPLAINT_KINDS, REVISIT_WORK_KINDS
from deskapp.services.requests.rules import complainant_key

#: Complained about this many times or more in a quarter: flagged (domain.md §1).
REPEAT_COMPLAINT_TIMES = 2
#: Repaired this many times or more in a quarter: flagged (domain.md §1).
REPEAT_REPAIR_TIMES = 3

COMPLAINTS = "complaints"
WORK = "work"
RESULTS = tuple(result.value for result in RevisitResult)


@dataclass(frozen=True)
class Satisfaction:
    """Revisits of one group by result (``RevisitResult`` values)."""

    key: str
    results: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.results.values())

    @property
    def satisfied_rate(self) -> float | None:
        """Satisfied and basically satisfied, of all revisits (满意率)."""
        happy = (self.results.get(RevisitResult.SATISFIED.value, 0)
                 + self.results.get(RevisitResult.BASICALLY_SATISFIED.value, 0))
        return rate(happy, self.total)

    def share(self, result: str) -> float | None:
        return rate(self.results.get(result, 0), self.total)


@dataclass(frozen=True)
class Repeat:
    """One matter raised again and again: where, what, how often, which requests."""

    unit: str
    """The unit's code, or the location typed for a public area."""
    subject: str
    """The subject line as first typed."""
    complaint_subject: str | None
    """The complaint subject (``ComplaintSubject`` value) the matter was grouped by."""
    times: int
    numbers: list[str]


@dataclass(frozen=True)
class QuarterlyReport:
    period: Period
    now: datetime
    revisits: Satisfaction
    by_group: dict[str, Satisfaction]
    on_time: Compliance
    complaints: int
    repairs: int
    repeat_complaints: list[Repeat] = field(default_factory=list)
    repeat_repairs: list[Repeat] = field(default_factory=list)


def _satisfaction(key: str, results: list[str]) -> Satisfaction:
    counted = Counter(results)
    return Satisfaction(key, {result: counted.get(result, 0) for result in RESULTS})


def _repeats(groups: dict[str, list[tuple[ServiceRequest, str]]], *, at_least: int,
             subject: dict[str, tuple[str | None, str]]) -> list[Repeat]:
    found = []
    for key, members in groups.items():
        times = sum(1 + request.reopen_count for request, _unit in members)
        if times >= at_least:
            code, line = subject[key]
            found.append(Repeat(unit=members[0][1], subject=line, complaint_subject=code,
                                times=times,
                                numbers=[request.number for request, _unit in members]))
    found.sort(key=lambda repeat: (-repeat.times, repeat.unit, repeat.subject))
    return found


def quarterly_report(
    session: Session, *, acting: Acting, period: Period, zone: tzinfo, now: datetime,
) -> QuarterlyReport:
    """The analysis of ``period`` (a quarter), as known at ``now``."""
    site_id = acting.site_id
    if period.kind is not PeriodKind.QUARTER:
        raise ValueError("quarterly_report takes a quarter")
    start, end = period.bounds(zone)
    visits = session.exec(
        select(Revisit.result, ServiceRequest.kind)
        .join(ServiceRequest, col(ServiceRequest.id) == col(Revisit.request_id))
        .where(Revisit.site_id == site_id, col(Revisit.at) >= start, col(Revisit.at) < end)
    ).all()
    complaint_kinds = {kind.value for kind in REVISIT_COMPLAINT_KINDS}
    work_kinds = {kind.value for kind in REVISIT_WORK_KINDS}
    on_time = Compliance(DeadlineKind.REVISIT.value)
    for deadline in session.exec(
        select(RequestDeadline).where(
            RequestDeadline.site_id == site_id,
            RequestDeadline.kind == DeadlineKind.REVISIT.value,
            col(RequestDeadline.created_at) >= start, col(RequestDeadline.created_at) < end,
        )
    ).all():
        on_time = on_time.adding(deadline_outcome(deadline, now))

    rows = session.exec(
        select(ServiceRequest, Unit.code)
        .outerjoin(Unit, col(Unit.id) == col(ServiceRequest.unit_id))
        .where(
            ServiceRequest.site_id == site_id,
            col(ServiceRequest.received_at) >= start, col(ServiceRequest.received_at) < end,
            ServiceRequest.status != RequestStatus.VOIDED.value,
            col(ServiceRequest.kind).in_([RequestKind.COMPLAINT.value,
                                          RequestKind.REPAIR.value]),
        )
        .order_by(col(ServiceRequest.received_at), col(ServiceRequest.id))
    ).all()
    complaint_groups: dict[str, list[tuple[ServiceRequest, str]]] = {}
    repair_groups: dict[str, list[tuple[ServiceRequest, str]]] = {}
    subjects: dict[str, tuple[str | None, str]] = {}
    matter_of: dict[int, str] = {}
    complaints = repairs = 0
    for request, code in rows:
        assert request.id is not None
        shown_unit = code or request.location.strip()
        if request.kind == RequestKind.COMPLAINT.value:
            complaints += 1
            what = request.complaint_subject or "line:" + subject_key(request.subject)
            key = matter_of.get(request.related_request_id or -1) or (
                f"{complainant_key(request)}|{what}")
            matter_of[request.id] = key
            subjects.setdefault(key, (request.complaint_subject, request.subject.strip()))
            complaint_groups.setdefault(key, []).append((request, shown_unit))
        else:
            repairs += 1
            place = f"unit:{request.unit_id}" if request.unit_id is not None else (
                "place:" + subject_key(request.location))
            key = f"{place}|{subject_key(request.subject or request.summary)}"
            subjects.setdefault(
                key, (None, request.subject.strip() or request.summary.strip()[:40]))
            repair_groups.setdefault(key, []).append((request, shown_unit))
    return QuarterlyReport(
        period=period,
        now=now,
        revisits=_satisfaction("all", [result for result, _kind in visits]),
        by_group={
            COMPLAINTS: _satisfaction(COMPLAINTS, [r for r, kind in visits
                                                   if kind in complaint_kinds]),
            WORK: _satisfaction(WORK, [r for r, kind in visits if kind in work_kinds]),
        },
        on_time=on_time,
        complaints=complaints,
        repairs=repairs,
        repeat_complaints=_repeats(complaint_groups, at_least=REPEAT_COMPLAINT_TIMES,
                                   subject=subjects),
        repeat_repairs=_repeats(repair_groups, at_least=REPEAT_REPAIR_TIMES, subject=subjects),
    )
