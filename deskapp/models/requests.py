"""The requests ledger (诉求登记): requests, their timeline, deadlines, escalations,
work orders (维修单), revisits (回访) and the standing instructions of a unit.

Field constraints only; the rules (transitions, severity, deadlines) live in
``deskapp.services.requests.lifecycle`` and its sibling modules.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from deskapp.models.base import utcnow, version_column


class Channel(StrEnum):
    """How the request reached the desk."""

    PHONE = "phone"  # 来电
    WALK_IN = "walk_in"  # 来访
    LETTER = "letter"  # 来函 / 书面
    ONLINE = "online"  # 网上 / 电子邮件
    OTHER = "other"  # 其他 (报纸, 12345 热线 …)


class RequestKind(StrEnum):
    COMPLAINT = "complaint"  # 投诉
    REPAIR = "repair"  # 报修
    INQUIRY = "inquiry"  # 咨询
    HELP = "help"  # 求助 (急救, 盗窃, 火灾, 水浸 …)
    SUGGESTION = "suggestion"  # 建议
    PAID_SERVICE = "paid_service"  # 有偿服务


class Nature(StrEnum):
    """Nature of a complaint: our fault (valid) or one of the communication complaints."""

    VALID = "valid"  # 有效投诉
    HELP_SEEKING = "help_seeking"  # 沟通性投诉: 求助型
    INQUIRY = "inquiry"  # 沟通性投诉: 咨询型
    VENTING = "venting"  # 沟通性投诉: 发泄型


class ComplaintSubject(StrEnum):
    EQUIPMENT = "equipment"  # 设备 (电梯, 水, 电, 照明, 空调)
    ATTITUDE = "attitude"  # 服务态度
    QUALITY = "quality"  # 服务质量
    INCIDENT = "incident"  # 突发事件


class Severity(StrEnum):
    """Ordered: general < important < hot < major (see ``SEVERITY_RANK``)."""

    GENERAL = "general"  # 一般投诉
    IMPORTANT = "important"  # 重要投诉
    HOT = "hot"  # 热点投诉
    MAJOR = "major"  # 重大投诉


SEVERITY_RANK: dict[str, int] = {
    Severity.GENERAL: 0,
    Severity.IMPORTANT: 1,
    Severity.HOT: 2,
    Severity.MAJOR: 3,
}


class Exposure(StrEnum):
    """Lawsuit or media: could lead to it (hot), or it happened (major)."""

    NONE = "none"
    RISK = "risk"  # 可能引起诉讼 / 媒体曝光
    ACTUAL = "actual"  # 已诉讼 / 媒体曝光


class RequestStatus(StrEnum):
    RECEIVED = "received"  # 已登记
    DISPATCHED = "dispatched"  # 已派单
    REPLIED = "replied"  # 部门已回复
    ANSWERED = "answered"  # 已答复业户
    RESOLVED = "resolved"  # 已解决
    REVISITED = "revisited"  # 已回访
    CLOSED = "closed"  # 已关闭
    REOPENED = "reopened"  # 重新处理
    VOIDED = "voided"  # 已作废


CLOSED_STATUSES = frozenset({RequestStatus.CLOSED, RequestStatus.VOIDED})
"""Statuses of a request that is no longer open (no deadline, not in the queue)."""

UNRESOLVED_STATUSES = frozenset(
    {
        RequestStatus.RECEIVED,
        RequestStatus.DISPATCHED,
        RequestStatus.REPLIED,
        RequestStatus.ANSWERED,
        RequestStatus.REOPENED,
    }
)
"""Open and not yet resolved: the age rules of severity count these."""


class Department(StrEnum):
    """Departments the desk dispatches to."""

    ENGINEERING = "engineering"  # 工程部
    CLEANING = "cleaning"  # 保洁部
    SECURITY = "security"  # 保安部
    FINANCE = "finance"  # 财务
    OTHER = "other"  # 其他


class EventKind(StrEnum):
    """What happened to a request, one line of its timeline."""

    RECEIVED = "received"
    EDITED = "edited"
    CLASSIFIED = "classified"
    DISPATCHED = "dispatched"
    DEPARTMENT_REPORTED = "department_reported"
    DEPARTMENT_REPLIED = "department_replied"
    DEFERRED = "deferred"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    REVISITED = "revisited"
    CLOSED = "closed"
    REOPENED = "reopened"
    VOIDED = "voided"
    HANDED_OVER = "handed_over"
    SEVERITY_RAISED = "severity_raised"
    SEVERITY_LOWERED = "severity_lowered"
    PAUSED = "paused"
    RESUMED = "resumed"
    ESCALATED = "escalated"
    ESCALATION_ACKNOWLEDGED = "escalation_acknowledged"
    WORK_ORDER = "work_order"
    NOTE = "note"


class DeadlineKind(StrEnum):
    DEPARTMENT_REPORT = "department_report"  # 部门需请示上级: 2 (office) hours
    DEPARTMENT_REPLY = "department_reply"  # 部门回复客服: 24 h
    RESIDENT_REPLY = "resident_reply"  # 答复业户: 24 h / 48 h major
    DEFERRED_ANSWER = "deferred_answer"  # 不能即时答复: 3 working days
    TECHNICIAN_ARRIVAL = "technician_arrival"  # 维修人员到场: appointment + 15 min
    REVISIT = "revisit"  # 回访: 3 days complaint, 7 days repair / other


class EscalationLevel(StrEnum):
    SUPERVISOR = "supervisor"  # 客服主管
    MANAGER = "manager"  # 项目经理


class WorkLocation(StrEnum):
    IN_HOME = "in_home"  # 入户
    PUBLIC = "public"  # 公共区域


class WorkOrderStatus(StrEnum):
    OPEN = "open"  # 已派工
    ARRIVED = "arrived"  # 已到场
    STARTED = "started"  # 维修中
    COMPLETED = "completed"  # 已完工
    CONFIRMED = "confirmed"  # 已确认
    CANCELLED = "cancelled"  # 已取消


class RevisitResult(StrEnum):
    SATISFIED = "satisfied"  # 满意
    BASICALLY_SATISFIED = "basically_satisfied"  # 基本满意
    UNSATISFIED = "unsatisfied"  # 不满意


class InstructionKind(StrEnum):
    """Standing instructions a unit gives the desk (业户委托事项)."""

    PERMIT_ENTRY = "permit_entry"  # 允许入户
    DO_NOT_DISCLOSE = "do_not_disclose"  # 不透露在家
    HOLD_PARCELS = "hold_parcels"  # 代收快件
    OTHER = "other"  # 其他


_SERVICE_REQUEST_VERSION = version_column()


class ServiceRequest(SQLModel, table=True):
    """One request of a resident or visitor (诉求), from intake to closing.

    ``number`` is what the desk reads out: ``YYMMDD-NNNN``, the local date of
    receipt and the day's sequence. ``next_due_at`` repeats the nearest pending,
    unpaused deadline so the queue is one indexed range scan.
    """

    __tablename__ = "service_request"
    __table_args__ = (
        UniqueConstraint("site_id", "number", name="uq_service_request_site_number"),
        Index("ix_service_request_queue", "site_id", "is_open", "next_due_at"),
        Index("ix_service_request_owner", "site_id", "owner_id", "is_open"),
        Index("ix_service_request_received", "site_id", "received_at"),
        Index("ix_service_request_updated", "site_id", "updated_at"),  # the nightly export
        Index("ix_service_request_unit", "site_id", "unit_id", "received_at"),
        Index("ix_service_request_phone_tail", "site_id", "contact_phone_tail", "received_at"),
        Index("ix_service_request_contact_name", "site_id", "contact_name"),
        Index("ix_service_request_subject", "site_id", "complaint_subject", "received_at"),
        # the sweep and the severity rules (migration 0010)
        Index("ix_service_request_open_severity", "site_id", "is_open", "severity", "kind",
              "received_at"),
        Index("ix_service_request_unit_subject", "site_id", "unit_id", "complaint_subject",
              "closed_at"),
    )

    __mapper_args__ = {"version_id_col": _SERVICE_REQUEST_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_SERVICE_REQUEST_VERSION)
    site_id: int = Field(foreign_key="site.id")
    number: str = Field(max_length=16)
    received_at: datetime
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    resident_id: int | None = Field(default=None, foreign_key="resident.id")
    contact_name: str = Field(default="", max_length=64)
    contact_phone: str = Field(default="", max_length=20)
    contact_phone_tail: str = Field(default="", max_length=4)
    channel: str = Field(default=Channel.PHONE.value, max_length=16)
    kind: str = Field(max_length=16)
    subject: str = Field(default="", max_length=120)
    summary: str = Field(sa_column=Column(Text, nullable=False))
    wish: str = Field(default="", sa_column=Column(Text, nullable=False))
    location: str = Field(default="", max_length=200)
    happened_text: str = Field(default="", max_length=100)
    happened_at: datetime | None = None
    about: str = Field(default="", max_length=120)
    collective_people: int = 1
    nature: str | None = Field(default=None, max_length=16)
    complaint_subject: str | None = Field(default=None, max_length=16)
    exposure: str = Field(default=Exposure.NONE.value, max_length=8)
    needs_outside_help: bool = False
    severity: str = Field(default=Severity.GENERAL.value, max_length=16)
    status: str = Field(default=RequestStatus.RECEIVED.value, max_length=16)
    is_open: bool = True
    owner_id: int = Field(foreign_key="operator.id")
    department: str | None = Field(default=None, max_length=16)
    assignee: str = Field(default="", max_length=64)
    department_reply: str = Field(default="", sa_column=Column(Text, nullable=False))
    result: str = Field(default="", sa_column=Column(Text, nullable=False))
    related_request_id: int | None = Field(default=None, foreign_key="service_request.id")
    voided_reason: str = Field(default="", max_length=500)
    next_due_at: datetime | None = None
    paused_at: datetime | None = None
    pause_reason: str = Field(default="", max_length=500)
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    reopen_count: int = 0
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class RequestCounter(SQLModel, table=True):
    """The last sequence number given on a local day, per site (upserted atomically)."""

    __tablename__ = "request_counter"

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    day: str = Field(max_length=6, primary_key=True)
    last_seq: int = 0


class RequestEvent(SQLModel, table=True):
    """One line of a request's timeline: who did what, when, from which status to which."""

    __tablename__ = "request_event"
    __table_args__ = (
        Index("ix_request_event_request", "request_id", "at"),
        Index("ix_request_event_site_at", "site_id", "at"),  # the nightly export
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    request_id: int = Field(foreign_key="service_request.id")
    at: datetime
    operator_id: int | None = Field(default=None, foreign_key="operator.id")
    kind: str = Field(max_length=32)
    from_status: str | None = Field(default=None, max_length=16)
    to_status: str | None = Field(default=None, max_length=16)
    details: str = Field(default="", sa_column=Column(Text, nullable=False))
    """What an operator typed, or the system's words rendered in English (for the export
    and older readers); shown from ``facts`` when those are there."""
    facts: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """The system's words as a message key and its arguments (JSON; typed text raw, labels
    as their codes), rendered in the reader's language by
    ``services.requests.timeline.describe``. ``None`` on rows written before 0005 and on
    lines that are only typed text."""


class RequestDeadline(SQLModel, table=True):
    """A deadline of a request: pending until met or cancelled; paused with the request."""

    __tablename__ = "request_deadline"
    __table_args__ = (
        Index("ix_request_deadline_pending", "site_id", "pending", "due_at"),
        Index("ix_request_deadline_request", "request_id", "pending"),
        Index("ix_request_deadline_overdue", "site_id", "pending", "paused_at", "due_at",
              "request_id"),  # the sweep (migration 0010)
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    request_id: int = Field(foreign_key="service_request.id")
    kind: str = Field(max_length=24)
    created_at: datetime
    due_at: datetime
    pending: bool = True
    met_at: datetime | None = None
    cancelled_at: datetime | None = None
    paused_at: datetime | None = None
    shifted_minutes: int = 0
    """Minutes added by pauses, so the card can say why the date moved."""


class Escalation(SQLModel, table=True):
    """A request put before a supervisor or manager, for a reason (``cause``), once."""

    __tablename__ = "request_escalation"
    __table_args__ = (
        UniqueConstraint("request_id", "level", "cause", name="uq_request_escalation_cause"),
        Index("ix_request_escalation_open", "site_id", "is_open", "raised_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    request_id: int = Field(foreign_key="service_request.id", index=True)
    level: str = Field(max_length=16)
    cause: str = Field(max_length=48)
    reason: str = Field(default="", max_length=500)
    """The reason in English (or as typed); shown from ``facts`` when those are there."""
    facts: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    """The reason as facts (JSON, see ``RequestEvent.facts``); ``None`` before 0005."""
    raised_at: datetime
    is_open: bool = True
    acknowledged_at: datetime | None = None
    acknowledged_by_id: int | None = Field(default=None, foreign_key="operator.id")
    note: str = Field(default="", max_length=500)
    closed_at: datetime | None = None


_WORK_ORDER_VERSION = version_column()


class WorkOrder(SQLModel, table=True):
    """A repair job sent to engineering (维修单). Money in fen (分)."""

    __tablename__ = "work_order"

    __mapper_args__ = {"version_id_col": _WORK_ORDER_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_WORK_ORDER_VERSION)
    site_id: int = Field(foreign_key="site.id", index=True)
    request_id: int = Field(foreign_key="service_request.id", index=True)
    status: str = Field(default=WorkOrderStatus.OPEN.value, max_length=16)
    task: str = Field(max_length=500)
    location: str = Field(max_length=16)
    appointment_at: datetime
    technician: str = Field(default="", max_length=64)
    paid: bool = False
    material_cost_fen: int = 0
    cost_agreed: bool = False
    cost_agreed_at: datetime | None = None
    arrived_at: datetime | None = None
    started_at: datetime | None = None
    completed_at: datetime | None = None
    completion_result: str = Field(default="", max_length=1000)
    confirmed_at: datetime | None = None
    confirmed_by: str = Field(default="", max_length=64)
    rating: int | None = None
    cancelled_reason: str = Field(default="", max_length=500)
    created_by_id: int | None = Field(default=None, foreign_key="operator.id")
    created_at: datetime = Field(default_factory=utcnow)


class Revisit(SQLModel, table=True):
    """A follow-up visit or call after resolution (回访) and what the resident said."""

    __tablename__ = "revisit"

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id", index=True)
    request_id: int = Field(foreign_key="service_request.id", index=True)
    at: datetime
    result: str = Field(max_length=24)
    remarks: str = Field(default="", max_length=1000)
    visited_by: str = Field(max_length=64)
    operator_id: int | None = Field(default=None, foreign_key="operator.id")
    resident_confirmed: bool = False


_STANDING_INSTRUCTION_VERSION = version_column()


class StandingInstruction(SQLModel, table=True):
    """What a unit has told the desk to do until further notice (允许入户, 不透露在家 …)."""

    __tablename__ = "standing_instruction"
    __table_args__ = (Index("ix_standing_instruction_unit", "site_id", "unit_id", "is_active"),)

    __mapper_args__ = {"version_id_col": _STANDING_INSTRUCTION_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_STANDING_INSTRUCTION_VERSION)
    site_id: int = Field(foreign_key="site.id")
    unit_id: int = Field(foreign_key="unit.id")
    kind: str = Field(max_length=24)
    text: str = Field(default="", max_length=500)
    given_by: str = Field(default="", max_length=64)
    expires_on: str = Field(max_length=10)
    """Last local day the instruction holds, ``YYYY-MM-DD``."""
    is_active: bool = True
    recorded_at: datetime
    recorded_by_id: int | None = Field(default=None, foreign_key="operator.id")
    voided_at: datetime | None = None
    voided_by_id: int | None = Field(default=None, foreign_key="operator.id")
    void_reason: str = Field(default="", max_length=500)
