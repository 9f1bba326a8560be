"""Severity of complaints (一般 / 重要 / 热点 / 重大): the rules of domain.md §1.

The rules only ever raise. A raise is a timeline event with its reason, and a
hot complaint is put before the supervisor, a major one before the manager
(escalation rows). Lowering needs a supervisor, a reason, and may not go
below what the rules themselves say.

Rules (numbers from ``Settings``; they apply to complaints):

- lawsuit or media exposure → major; could lead to one → hot;
- collective complaint of ``collective_major_people`` → major,
  of ``collective_hot_people`` → hot;
- ``repeat_subject_residents`` different complainants with the same complaint
  subject within ``repeat_subject_window_days`` → hot (complainants are counted
  by unit, visitors without a unit by phone: a household calling twice is one);
- unresolved ``unresolved_major_days`` after receipt and a valid complaint (our
  fault) → major; unresolved ``unresolved_hot_days`` → hot (``sweep`` applies these);
- complaint again after the same matter was closed (a related request that is
  resolved or closed, or a closed complaint of the same unit and subject within
  ``Settings.repeat_complaint_days``) → important; needs outside help → important.

Escalations (``Referral``): a hot request goes before the supervisor, a major one
before the manager, an overdue deadline before the supervisor, each once. The
rules decide which and why; ``deadlines`` keeps the time and writes the record
it is told to (calls go one way: rules → deadlines).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, distinct, func, literal, not_, or_
from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.errors import Conflict, InvalidInput
from deskapp.i18n import _
from deskapp.models import Operator, Role
from deskapp.models.requests import (
    SEVERITY_RANK,
    UNRESOLVED_STATUSES,
    Escalation,
    EscalationLevel,
    EventKind,
    Exposure,
    Nature,
    RequestDeadline,
    RequestKind,
    RequestStatus,
    ServiceRequest,
    Severity,
)
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.requests import deadlines
from deskapp.services.requests.checks import parse_choice, required_reason
from deskapp.services.requests.labels import SEVERITY_LABELS, label
from deskapp.services.requests.timeline import (
    Fact,
    Label,
    add_event,
    audit_request,
    english,
    get_request,
    joined,
    message,
    render,
    require_actor,
)

_DONE_STATUSES = frozenset(
    {RequestStatus.RESOLVED, RequestStatus.REVISITED, RequestStatus.CLOSED}
)
_UNRESOLVED = sorted(status.value for status in UNRESOLVED_STATUSES)
_BELOW_HOT = [Severity.GENERAL.value, Severity.IMPORTANT.value]
"""The severities the age rule and the subject group raise to hot."""


@dataclass(frozen=True)
class Finding:
    """One rule that applies: the severity it asks for and why (``fact``, said by
    ``reason`` in the reader's language)."""

    severity: Severity
    rule: str
    fact: Fact

    @property
    def reason(self) -> str:
        return render(self.fact)


@dataclass
class SeverityChange:
    request_id: int
    number: str
    before: str
    after: str
    reason: str
    escalations: list[Escalation] = field(default_factory=list)


@dataclass
class SweepReport:
    """What one sweep changed; empty when run again at the same time (idempotent)."""

    raised: list[SeverityChange] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.raised or self.escalations)


@dataclass(frozen=True)
class Referral:
    """An escalation the rules decided: before whom, once per what, and why."""

    level: EscalationLevel
    cause: str
    """Written once per request and cause: a second sweep finds it and adds nothing."""
    reason: Fact
    """Typed text or the system's words as facts (``timeline``), said to each reader."""


def severity_referral(severity: str, *, reason: Fact) -> Referral | None:
    """Hot → the supervisor; major → the manager; other severities are not escalated."""
    if severity == Severity.HOT:
        return Referral(EscalationLevel.SUPERVISOR, "severity:hot", reason)
    if severity == Severity.MAJOR:
        return Referral(EscalationLevel.MANAGER, "severity:major", reason)
    return None


OVERDUE_CAUSE = "overdue:"
"""The cause of an overdue deadline's escalation, followed by the deadline's id."""


def overdue_referral(deadline: RequestDeadline) -> Referral:
    """A deadline past due goes before the supervisor, once per deadline."""
    return Referral(
        EscalationLevel.SUPERVISOR, f"{OVERDUE_CAUSE}{deadline.id}",
        message("overdue", deadline=Label("deadline", deadline.kind)),
    )


def _refer(
    session: Session, request: ServiceRequest, referral: Referral | None, *, now: datetime,
    actor: Operator | None,
) -> list[Escalation]:
    """Have ``deadlines`` write the referral; the escalation if it is new."""
    if referral is None:
        return []
    escalation = deadlines.record_escalation(
        session, request, level=referral.level, cause=referral.cause, reason=referral.reason,
        now=now, actor=actor,
    )
    return [escalation] if escalation is not None else []


def rank(severity: str) -> int:
    return SEVERITY_RANK.get(severity, 0)


ALARMING = (Severity.HOT, Severity.MAJOR)
"""The severities that alarm: marked ‼ on every screen and escalated by the sweep."""


def is_alarming(severity: str) -> bool:
    return severity in ALARMING


def complainant_key(request: ServiceRequest) -> str:
    if request.unit_id is not None:
        return f"unit:{request.unit_id}"
    if request.contact_phone:
        return f"phone:{request.contact_phone}"
    return f"request:{request.id}"


def _subject_window(
    request: ServiceRequest, *, now: datetime, settings: Settings
) -> list[Any]:
    """The conditions of a complaint's subject group: the same subject, received within
    the window, voided ones left out (``subject_group``, ``complainant_count``)."""
    since = now - timedelta(days=settings.repeat_subject_window_days)
    return [
        ServiceRequest.site_id == request.site_id,
        ServiceRequest.complaint_subject == request.complaint_subject,
        ServiceRequest.kind == RequestKind.COMPLAINT.value,
        col(ServiceRequest.received_at) >= since,
        col(ServiceRequest.received_at) <= now,
        ServiceRequest.status != RequestStatus.VOIDED.value,
    ]


def subject_group(
    session: Session, request: ServiceRequest, *, now: datetime, settings: Settings
) -> list[ServiceRequest]:
    """Complaints of the same subject received within the window (voided ones left out)."""
    if not request.complaint_subject:
        return []
    return list(session.exec(
        select(ServiceRequest).where(*_subject_window(request, now=now, settings=settings))
    ).all())


def complainant_count(
    session: Session, request: ServiceRequest, *, now: datetime, settings: Settings
) -> int:
    """How many different complainants the subject group has (``complainant_key``),
    counted by one aggregate query: units, then phones of visitors without a unit, then
    visitors with neither (each one of their own)."""
    if not request.complaint_subject:
        return 0
    no_unit = col(ServiceRequest.unit_id).is_(None)
    has_phone = col(ServiceRequest.contact_phone) != ""
    units, phones, strangers = session.exec(
        select(
            func.count(distinct(col(ServiceRequest.unit_id))),
            func.count(distinct(case((and_(no_unit, has_phone),
                                      col(ServiceRequest.contact_phone))))),
            func.coalesce(func.sum(case((and_(no_unit, not_(has_phone)), 1), else_=0)), 0),
        ).where(*_subject_window(request, now=now, settings=settings))
    ).one()
    return int(units) + int(phones) + int(strangers)


def _repeat_of_closed(
    session: Session, request: ServiceRequest, now: datetime, days: int
) -> str | None:
    """The number of the closed complaint this one repeats, if any."""
    if request.related_request_id is not None:
        related = session.get(ServiceRequest, request.related_request_id)
        if related is not None and related.status in _DONE_STATUSES:
            return related.number
    if request.unit_id is None or not request.complaint_subject:
        return None
    since = now - timedelta(days=days)
    earlier = session.exec(
        select(ServiceRequest).where(
            ServiceRequest.site_id == request.site_id,
            ServiceRequest.unit_id == request.unit_id,
            ServiceRequest.kind == RequestKind.COMPLAINT.value,
            ServiceRequest.complaint_subject == request.complaint_subject,
            ServiceRequest.status == RequestStatus.CLOSED.value,
            ServiceRequest.id != request.id,
            col(ServiceRequest.closed_at) >= since,
        )
    ).first()
    return earlier.number if earlier is not None else None


def evaluate(
    session: Session, request: ServiceRequest, *, now: datetime, settings: Settings,
    complainants: int | None = None,
) -> list[Finding]:
    """Every rule that applies to the request now, highest severity first.

    ``complainants``: the subject group's count when the caller has it already (it is
    the same for every member of the group at one ``now``).
    """
    if request.kind != RequestKind.COMPLAINT:
        return []
    findings: list[Finding] = []
    if request.exposure == Exposure.ACTUAL:
        findings.append(Finding(Severity.MAJOR, "exposure", message("finding.exposure_actual")))
    elif request.exposure == Exposure.RISK:
        findings.append(Finding(Severity.HOT, "exposure", message("finding.exposure_risk")))
    people = request.collective_people
    if people >= settings.collective_major_people:
        findings.append(Finding(Severity.MAJOR, "collective",
                                message("finding.collective", count=people)))
    elif people >= settings.collective_hot_people:
        findings.append(Finding(Severity.HOT, "collective",
                                message("finding.collective", count=people)))
    if complainants is None:
        complainants = complainant_count(session, request, now=now, settings=settings)
    if complainants >= settings.repeat_subject_residents:
        findings.append(Finding(
            Severity.HOT, "same_subject",
            message("finding.same_subject", count=complainants,
                    subject=Label("subject", request.complaint_subject or ""),
                    days=settings.repeat_subject_window_days),
        ))
    if request.status in UNRESOLVED_STATUSES:
        age = now - as_utc(request.received_at)
        if age >= timedelta(days=settings.unresolved_major_days) and request.nature == Nature.VALID:
            findings.append(Finding(
                Severity.MAJOR, "age",
                message("finding.unresolved_fault", days=settings.unresolved_major_days),
            ))
        elif age >= timedelta(days=settings.unresolved_hot_days):
            findings.append(Finding(
                Severity.HOT, "age",
                message("finding.unresolved", days=settings.unresolved_hot_days),
            ))
    repeated = _repeat_of_closed(session, request, now, settings.repeat_complaint_days)
    if repeated is not None:
        findings.append(Finding(
            Severity.IMPORTANT, "repeat", message("finding.repeat", number=repeated),
        ))
    if request.needs_outside_help:
        findings.append(Finding(Severity.IMPORTANT, "outside_help",
                                message("finding.outside_help")))
    findings.sort(key=lambda finding: -rank(finding.severity))
    return findings


def _set_severity(
    session: Session, request: ServiceRequest, *, to: Severity, reason: Fact, now: datetime,
    actor: Operator | None, settings: Settings, lowered: bool = False,
) -> SeverityChange:
    before = request.severity
    request.severity = to.value
    request.updated_at = now
    session.add(request)
    deadlines.reschedule_resident_reply(session, request, severity=to.value, settings=settings)
    details = message("severity_changed", before=Label("severity", before),
                      after=Label("severity", to.value), reason=reason)
    add_event(
        session, request, now=now, actor=actor,
        kind=EventKind.SEVERITY_LOWERED if lowered else EventKind.SEVERITY_RAISED, details=details,
    )
    audit_request(
        session, request, action="request.severity_lower" if lowered else "request.severity_raise",
        now=now, actor=actor, extra={"severity_before": before, "reason": english(reason)},
    )
    escalations = [] if lowered else _refer(
        session, request, severity_referral(request.severity, reason=reason), now=now,
        actor=actor,
    )
    assert request.id is not None
    return SeverityChange(request.id, request.number, before, to.value, render(reason),
                          escalations)


def apply_rules(
    session: Session, request: ServiceRequest, *, now: datetime, settings: Settings,
    actor: Operator | None, complainants: int | None = None,
) -> SeverityChange | None:
    """Raise the request to what the rules say, if that is higher; never lower it."""
    findings = evaluate(session, request, now=now, settings=settings,
                        complainants=complainants)
    if not findings or rank(findings[0].severity) <= rank(request.severity):
        return None
    top = findings[0].severity
    reason = joined([finding.fact for finding in findings if finding.severity == top], "; ")
    return _set_severity(session, request, to=top, reason=reason, now=now, actor=actor,
                         settings=settings)


def apply_rules_with_group(
    session: Session, request: ServiceRequest, *, now: datetime, settings: Settings,
    actor: Operator | None,
) -> list[SeverityChange]:
    """Rules for a new or reclassified complaint, and for the open complaints of its subject
    group: when the third resident complains, the earlier ones become hot as well.

    The group is counted once (the count is the same for every member), and only the
    members it can raise are read: unresolved, and below hot while the group is large
    enough to make them hot. What time does to the others (their age) is the sweep's.
    """
    changes = []
    complainants = (complainant_count(session, request, now=now, settings=settings)
                    if request.kind == RequestKind.COMPLAINT else 0)
    change = apply_rules(session, request, now=now, settings=settings, actor=actor,
                         complainants=complainants)
    if change is not None:
        changes.append(change)
    if (request.kind != RequestKind.COMPLAINT or not request.complaint_subject
            or complainants < settings.repeat_subject_residents):
        return changes
    members = session.exec(
        select(ServiceRequest)
        .where(*_subject_window(request, now=now, settings=settings),
               col(ServiceRequest.id) != request.id,
               col(ServiceRequest.is_open).is_(True),  # (every unresolved one is open)
               col(ServiceRequest.status).in_(_UNRESOLVED),
               col(ServiceRequest.severity).in_(_BELOW_HOT))
    ).all()  # sorted here: an ORDER BY would read the whole group by its receipt
    for member in sorted(members, key=lambda row: (as_utc(row.received_at), row.id or 0)):
        change = apply_rules(session, member, now=now, settings=settings, actor=actor,
                             complainants=complainants)
        if change is not None:
            changes.append(change)
    return changes


def _open_for_severity(session: Session, *, site_id: int, request_id: int) -> ServiceRequest:
    """The request, locked, if its severity may still change by hand (raised or lowered)."""
    request = get_request(session, acting=Acting(site_id), request_id=request_id, for_update=True)
    if not request.is_open:
        raise Conflict(_("Request {number} is closed: its severity stays as it was.")
                       .format(number=request.number), field="severity")
    return request


def raise_severity(
    session: Session, *, acting: Acting, request_id: int, severity: str, reason: str,
    now: datetime, settings: Settings,
) -> ServiceRequest:
    """Raise by hand, with the reason on the timeline (e.g. a resident threatens the press)."""
    site_id = acting.site_id
    actor = acting.operator
    actor = require_actor(actor)
    target = parse_choice(Severity, severity, field="severity", label=_("severity"))
    reason = required_reason(reason)
    request = _open_for_severity(session, site_id=site_id, request_id=request_id)
    if rank(target) <= rank(request.severity):
        raise InvalidInput(
            _("{number} is already {severity}; choose a higher severity to raise it.").format(
                number=request.number, severity=label(SEVERITY_LABELS, request.severity)),
            field="severity",
        )
    _set_severity(session, request, to=target, reason=reason, now=now, actor=actor,
                  settings=settings)
    return request


def lower_severity(
    session: Session, *, acting: Acting, request_id: int, severity: str, reason: str,
    now: datetime, settings: Settings,
) -> ServiceRequest:
    """A supervisor lowers a severity raised by hand, never below what the rules say."""
    site_id = acting.site_id
    actor = acting.operator
    actor = require_actor(actor)
    if actor.role not in (Role.SUPERVISOR, Role.MANAGER):
        raise Conflict(_("Only a supervisor or manager can lower a severity."), field="severity")
    target = parse_choice(Severity, severity, field="severity", label=_("severity"))
    reason = required_reason(reason)
    request = _open_for_severity(session, site_id=site_id, request_id=request_id)
    if rank(target) >= rank(request.severity):
        raise InvalidInput(_("Choose a lower severity than the present one."), field="severity")
    findings = evaluate(session, request, now=now, settings=settings)
    if findings and rank(findings[0].severity) > rank(target):
        raise Conflict(
            _("The rules make {number} {severity} ({reason}); it cannot be lowered below that.")
            .format(number=request.number, severity=label(SEVERITY_LABELS, findings[0].severity),
                    reason=findings[0].reason),
            field="severity",
        )
    _set_severity(session, request, to=target, reason=reason, now=now, actor=actor,
                  settings=settings, lowered=True)
    return request


def _aged_to_raise(
    session: Session, *, site_id: int, now: datetime, settings: Settings
) -> list[ServiceRequest]:
    """The unresolved complaints the age rules raise at ``now``, and no others.

    Time changes one rule only, the age: past ``unresolved_hot_days`` a complaint below
    hot becomes hot; past ``unresolved_major_days`` a valid one below major becomes major.
    A hot complaint is also read when a rule of its own makes it major (exposure, people:
    the numbers may have changed in the settings). The others are already as high as
    their age makes them, so they are not read at all (``ix_service_request_open_severity``).
    """
    hot_since = now - timedelta(days=settings.unresolved_hot_days)
    major_since = now - timedelta(days=settings.unresolved_major_days)
    found = session.exec(
        select(ServiceRequest).where(
            ServiceRequest.site_id == site_id,
            col(ServiceRequest.is_open).is_(True),
            col(ServiceRequest.severity).in_([*_BELOW_HOT, Severity.HOT.value]),
            ServiceRequest.kind == RequestKind.COMPLAINT.value,
            col(ServiceRequest.received_at) <= hot_since,
            col(ServiceRequest.status).in_(_UNRESOLVED),
            or_(
                col(ServiceRequest.severity).in_(_BELOW_HOT),
                and_(col(ServiceRequest.nature) == Nature.VALID.value,
                     col(ServiceRequest.received_at) <= major_since),
                col(ServiceRequest.exposure) == Exposure.ACTUAL.value,
                col(ServiceRequest.collective_people) >= settings.collective_major_people,
            ),
        )  # sorted here: an ORDER BY would lead SQLite to walk every request by its receipt
    ).all()
    return sorted(found, key=lambda request: (as_utc(request.received_at), request.id or 0))


def sweep(session: Session, *, acting: Acting, now: datetime, settings: Settings) -> SweepReport:
    """Apply the age rules, escalate overdue deadlines and hot/major complaints.

    Idempotent: a second run at the same ``now`` changes nothing. The screens
    call it on refresh; ``deskapp`` can run it nightly. It reads only what it will
    change: the complaints whose age raises them now (``_aged_to_raise``), the overdue
    deadlines and the hot or major requests that have no escalation yet (one query
    each, not one per deadline or request).
    """
    site_id = acting.site_id
    report = SweepReport()
    for request in _aged_to_raise(session, site_id=site_id, now=now, settings=settings):
        change = apply_rules(session, request, now=now, settings=settings, actor=None)
        if change is not None:
            report.raised.append(change)
            report.escalations.extend(change.escalations)
    for deadline, request in deadlines.overdue_unescalated(
        session, acting=acting, now=now, level=EscalationLevel.SUPERVISOR,
        cause_prefix=OVERDUE_CAUSE,
    ):
        report.escalations.extend(
            _refer(session, request, overdue_referral(deadline), now=now, actor=None))
    for severity in ALARMING:
        template = severity_referral(severity, reason="")
        assert template is not None
        for request in session.exec(
            select(ServiceRequest).where(
                ServiceRequest.site_id == site_id,
                col(ServiceRequest.is_open).is_(True),
                ServiceRequest.severity == severity.value,
                ~deadlines.escalated(col(ServiceRequest.id), level=template.level,
                                     cause=literal(template.cause)),
            ).order_by(col(ServiceRequest.id))
        ).all():
            referral = severity_referral(request.severity,
                                         reason=Label("severity", request.severity))
            report.escalations.extend(_refer(session, request, referral, now=now, actor=None))
    return report


def raise_by_rule(
    session: Session, request: ServiceRequest, *, to: Severity, reason: Fact, now: datetime,
    actor: Operator | None, settings: Settings,
) -> SeverityChange | None:
    """Raise to ``to`` for a rule outside ``evaluate`` (a closed complaint reopened)."""
    if rank(to) <= rank(request.severity):
        return None
    return _set_severity(session, request, to=to, reason=reason, now=now, actor=actor,
                         settings=settings)
