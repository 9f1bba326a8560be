"""The words the desk uses for the values of the requests ledger (en / zh_CN).

Each mapping goes from the stored value to an ``N_`` msgid; ``label(MAPPING,
value)`` translates it when shown. Screens use these for choices and columns.
"""

from __future__ import annotations

from deskapp.i18n import N_, _
from deskapp.models.requests import (
    Channel,
    ComplaintSubject,
    DeadlineKind,
    Department,
    EscalationLevel,
    EventKind,
    Exposure,
    InstructionKind,
    Nature,
    RequestKind,
    RequestStatus,
    RevisitResult,
    Severity,
    WorkLocation,
    WorkOrderStatus,
)

CHANNEL_LABELS: dict[str, str] = {
    Channel.PHONE: N_("phone call"),
    Channel.WALK_IN: N_("walk-in"),
    Channel.LETTER: N_("letter"),
    Channel.ONLINE: N_("online"),
    Channel.OTHER: N_("other channel"),
}

KIND_LABELS: dict[str, str] = {
    RequestKind.COMPLAINT: N_("complaint"),
    RequestKind.REPAIR: N_("repair"),
    RequestKind.INQUIRY: N_("inquiry"),
    RequestKind.HELP: N_("help request"),
    RequestKind.SUGGESTION: N_("suggestion"),
    RequestKind.PAID_SERVICE: N_("paid service"),
}

NATURE_LABELS: dict[str, str] = {
    Nature.VALID: N_("valid complaint"),
    Nature.HELP_SEEKING: N_("communication: help-seeking"),
    Nature.INQUIRY: N_("communication: inquiry-type"),
    Nature.VENTING: N_("communication: venting"),
}

SUBJECT_LABELS: dict[str, str] = {
    ComplaintSubject.EQUIPMENT: N_("equipment"),
    ComplaintSubject.ATTITUDE: N_("service attitude"),
    ComplaintSubject.QUALITY: N_("service quality"),
    ComplaintSubject.INCIDENT: N_("sudden incident"),
}

SEVERITY_LABELS: dict[str, str] = {
    Severity.GENERAL: N_("general"),
    Severity.IMPORTANT: N_("important"),
    Severity.HOT: N_("hot"),
    Severity.MAJOR: N_("major"),
}

EXPOSURE_LABELS: dict[str, str] = {
    Exposure.NONE: N_("no lawsuit or media"),
    Exposure.RISK: N_("could lead to lawsuit or media"),
    Exposure.ACTUAL: N_("lawsuit or media exposure"),
}

STATUS_LABELS: dict[str, str] = {
    RequestStatus.RECEIVED: N_("registered"),
    RequestStatus.DISPATCHED: N_("dispatched"),
    RequestStatus.REPLIED: N_("department replied"),
    RequestStatus.ANSWERED: N_("resident answered"),
    RequestStatus.RESOLVED: N_("resolved"),
    RequestStatus.REVISITED: N_("revisited"),
    RequestStatus.CLOSED: N_("closed"),
    RequestStatus.REOPENED: N_("reopened"),
    RequestStatus.VOIDED: N_("void"),
}

DEPARTMENT_LABELS: dict[str, str] = {
    Department.ENGINEERING: N_("engineering"),
    Department.CLEANING: N_("cleaning"),
    Department.SECURITY: N_("security"),
    Department.FINANCE: N_("finance"),
    Department.OTHER: N_("other department"),
}

EVENT_LABELS: dict[str, str] = {
    EventKind.RECEIVED: N_("Received"),
    EventKind.EDITED: N_("Details changed"),
    EventKind.CLASSIFIED: N_("Classified"),
    EventKind.DISPATCHED: N_("Dispatched"),
    EventKind.DEPARTMENT_REPORTED: N_("Department reported"),
    EventKind.DEPARTMENT_REPLIED: N_("Department replied"),
    EventKind.DEFERRED: N_("Answer deferred"),
    EventKind.ANSWERED: N_("Resident answered"),
    EventKind.RESOLVED: N_("Resolved"),
    EventKind.REVISITED: N_("Revisited"),
    EventKind.CLOSED: N_("Closed"),
    EventKind.REOPENED: N_("Reopened"),
    EventKind.VOIDED: N_("Voided"),
    EventKind.HANDED_OVER: N_("Handed over"),
    EventKind.SEVERITY_RAISED: N_("Severity raised"),
    EventKind.SEVERITY_LOWERED: N_("Severity lowered"),
    EventKind.PAUSED: N_("Clock paused"),
    EventKind.RESUMED: N_("Clock resumed"),
    EventKind.ESCALATED: N_("Escalated"),
    EventKind.ESCALATION_ACKNOWLEDGED: N_("Escalation acknowledged"),
    EventKind.WORK_ORDER: N_("Work order"),
    EventKind.NOTE: N_("Note"),
}

DEADLINE_LABELS: dict[str, str] = {
    DeadlineKind.DEPARTMENT_REPORT: N_("department reports to its superior"),
    DeadlineKind.DEPARTMENT_REPLY: N_("department replies"),
    DeadlineKind.RESIDENT_REPLY: N_("reply to the resident"),
    DeadlineKind.DEFERRED_ANSWER: N_("result or explanation to the resident"),
    DeadlineKind.TECHNICIAN_ARRIVAL: N_("technician arrives"),
    DeadlineKind.REVISIT: N_("revisit"),
}

ESCALATION_LABELS: dict[str, str] = {
    EscalationLevel.SUPERVISOR: N_("supervisor"),
    EscalationLevel.MANAGER: N_("manager"),
}

LOCATION_LABELS: dict[str, str] = {
    WorkLocation.IN_HOME: N_("in-home"),
    WorkLocation.PUBLIC: N_("public area"),
}

WORK_ORDER_STATUS_LABELS: dict[str, str] = {
    WorkOrderStatus.OPEN: N_("waiting for the technician"),
    WorkOrderStatus.ARRIVED: N_("technician arrived"),
    WorkOrderStatus.STARTED: N_("work in progress"),
    WorkOrderStatus.COMPLETED: N_("work completed"),
    WorkOrderStatus.CONFIRMED: N_("confirmed"),
    WorkOrderStatus.CANCELLED: N_("cancelled"),
}

REVISIT_RESULT_LABELS: dict[str, str] = {
    RevisitResult.SATISFIED: N_("satisfied"),
    RevisitResult.BASICALLY_SATISFIED: N_("basically satisfied"),
    RevisitResult.UNSATISFIED: N_("unsatisfied"),
}

INSTRUCTION_LABELS: dict[str, str] = {
    InstructionKind.PERMIT_ENTRY: N_("permission to enter"),
    InstructionKind.DO_NOT_DISCLOSE: N_("do not disclose presence"),
    InstructionKind.HOLD_PARCELS: N_("hold parcels"),
    InstructionKind.OTHER: N_("other instruction"),
}


def label(mapping: dict[str, str], value: str | None) -> str:
    """The value as the desk says it in the current language (the value itself if unknown)."""
    if value is None:
        return ""
    msgid = mapping.get(value)
    return _(msgid) if msgid else value
