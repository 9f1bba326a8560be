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


def overdue_referral(deadline: RequestDeadline) -> Referral:
    """A deadline past due goes before the supervisor, once per deadline."""
    return Referral(
        EscalationLevel.SUPERVISOR, f"overdue:{deadline.id}",
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


def subject_group(
    session: Session, request: ServiceRequest, *, now: datetime, settings: Settings
) -> list[ServiceRequest]:
    """Complaints of the same subject received within the window (voided ones left out)."""
    if not request.complaint_subject:
        return []
    since = now - timedelta(days=settings.repeat_subject_window_days)
    return list(
        session.exec(
            select(ServiceRequest).where(
                ServiceRequest.site_id == request.site_id,
                ServiceRequest.complaint_subject == request.complaint_subject,
                ServiceRequest.kind == RequestKind.COMPLAINT.value,
                col(ServiceRequest.received_at) >= since,
                col(ServiceRequest.received_at) <= now,
                ServiceRequest.status != RequestStatus.VOIDED.value,
            )
        ).all()
    )


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
    session: Session, request: ServiceRequest, *, now: datetime, settings: Settings
) -> list[Finding]:
    """Every rule that applies to the request now, highest severity first."""
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
    group = subject_group(session, request, now=now, settings=settings)
    complainants = {complainant_key(member) for member in group}
    if len(complainants) >= settings.repeat_subject_residents:
        findings.append(Finding(
            Severity.HOT, "same_subject",
            message("finding.same_subject", count=len(complainants),
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
    actor: Operator | None,
) -> SeverityChange | None:
    """Raise the request to what the rules say, if that is higher; never lower it."""
    findings = evaluate(session, request, now=now, settings=settings)
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
    group: when the third resident complains, the earlier ones become hot as well."""
    changes = []
    change = apply_rules(session, request, now=now, settings=settings, actor=actor)
    if change is not None:
        changes.append(change)
    if request.kind != RequestKind.COMPLAINT or not request.complaint_subject:
        return changes
    for member in subject_group(session, request, now=now, settings=settings):
        if member.id == request.id or member.status not in UNRESOLVED_STATUSES:
            continue
        change = apply_rules(session, member, now=now, settings=settings, actor=actor)
        if change is not None:
            changes.append(change)
    return changes


def _open_for_severity(session: Session, *, site_id: int, request_id: int) -> ServiceRequest:
    """The request, locked, if its severity may still change by hand (raised or lowered)."""
    request = get_request(session, site_id=site_id, request_id=request_id, for_update=True)
    if not request.is_open:
        raise Conflict(_("Request {number} is closed: its severity stays as it was.")
                       .format(number=request.number), field="severity")
    return request


def raise_severity(
    session: Session, *, site_id: int, request_id: int, severity: str, reason: str,
    now: datetime, actor: Operator | None, settings: Settings,
) -> ServiceRequest:
    """Raise by hand, with the reason on the timeline (e.g. a resident threatens the press)."""
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
    session: Session, *, site_id: int, request_id: int, severity: str, reason: str,
    now: datetime, actor: Operator | None, settings: Settings,
) -> ServiceRequest:
    """A supervisor lowers a severity raised by hand, never below what the rules say."""
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


def sweep(session: Session, *, site_id: int, now: datetime, settings: Settings) -> SweepReport:
    """Apply the age rules, escalate overdue deadlines and hot/major complaints.

    Idempotent: a second run at the same ``now`` changes nothing. The screens
    call it on refresh; ``deskapp`` can run it nightly.
    """
    report = SweepReport()
    hot_since = now - timedelta(days=settings.unresolved_hot_days)
    aged = session.exec(
        select(ServiceRequest).where(
            ServiceRequest.site_id == site_id,
            col(ServiceRequest.is_open).is_(True),
            ServiceRequest.kind == RequestKind.COMPLAINT.value,
            col(ServiceRequest.status).in_([status.value for status in UNRESOLVED_STATUSES]),
            ServiceRequest.severity != Severity.MAJOR.value,
            col(ServiceRequest.received_at) <= hot_since,
        )
    ).all()
    for request in aged:
        change = apply_rules(session, request, now=now, settings=settings, actor=None)
        if change is not None:
            report.raised.append(change)
            report.escalations.extend(change.escalations)
    overdue = session.exec(
        select(RequestDeadline, ServiceRequest)
        .join(ServiceRequest, col(ServiceRequest.id) == col(RequestDeadline.request_id))
        .where(
            RequestDeadline.site_id == site_id,
            col(RequestDeadline.pending).is_(True),
            col(RequestDeadline.paused_at).is_(None),
            col(RequestDeadline.due_at) < now,
        )
        .order_by(col(RequestDeadline.due_at))
    ).all()
    for deadline, request in overdue:
        report.escalations.extend(
            _refer(session, request, overdue_referral(deadline), now=now, actor=None))
    severe = session.exec(
        select(ServiceRequest).where(
            ServiceRequest.site_id == site_id,
            col(ServiceRequest.is_open).is_(True),
            col(ServiceRequest.severity).in_([value.value for value in ALARMING]),
        )
    ).all()
    for request in severe:
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
