"""Release slips (物品放行条): what may leave the property, confirmed and checked at the gate.

A slip names the unit, the applicant and the carrier, its item lines and the
reason. The desk confirms it with the owner or tenant on the number on file,
issues it (a code ``R-…``), the guard ticks its lines at the gate and releases
it, and the slip comes back to the desk to be filed. Amending a slip makes a new
revision (``supersedes_id``) and keeps the old one, marked superseded.

``ReleasePattern`` is a company tenant's standing pre-approved pattern;
``ReleaseSettlement`` what a moving-out unit still had at the desk, settled or why not.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from deskapp.models.base import utcnow, version_column


class SlipStatus(StrEnum):
    """Where a slip stands."""

    DRAFT = "draft"  # filled in, waiting for the owner's confirmation
    ISSUED = "issued"  # confirmed and issued: valid at the gate on its day
    RELEASED = "released"  # the guard let the items through
    FILED = "filed"  # back at the desk, filed
    SENT_BACK = "sent_back"  # the lines did not match at the gate: amend at the desk
    SUPERSEDED = "superseded"  # a later revision replaced it
    VOID = "void"  # cancelled with a reason


class ApplicantRelation(StrEnum):
    OWNER = "owner"  # 业主
    TENANT = "tenant"  # 租户
    HOUSEHOLD = "household"  # 家属
    COMPANY_STAFF = "company_staff"  # 公司员工


class ReleaseReason(StrEnum):
    MOVING_OUT = "moving_out"  # 迁出
    REPAIR = "repair"  # 维修 (comes back by a due date)
    COMPANY_SHIPMENT = "company_shipment"  # 公司发货
    GIFT_OR_SALE = "gift_or_sale"  # 赠送或出售
    OTHER = "other"  # 其他


class ConfirmationKind(StrEnum):
    PHONE = "phone"  # the desk called the owner or tenant
    IN_PERSON = "in_person"  # the owner on file, present, ID checked
    PATTERN = "pattern"  # a company's standing pre-approved pattern


_RELEASE_SLIP_VERSION = version_column()


class ReleaseSlip(SQLModel, table=True):
    """One revision of a release slip."""

    __tablename__ = "release_slip"
    __table_args__ = (
        UniqueConstraint("site_id", "code", name="uq_release_slip_site_code"),
        Index("ix_release_slip_list", "site_id", "status", "planned_at"),
        # The slips issued on a day (the dashboard's count and the day's list).
        Index("ix_release_slip_issued", "site_id", "issued_at", "status"),
    )

    __mapper_args__ = {"version_id_col": _RELEASE_SLIP_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_RELEASE_SLIP_VERSION)
    site_id: int = Field(foreign_key="site.id")
    code: str | None = Field(default=None, max_length=12)
    """``R-…``, set right after insert; every revision has its own code."""
    status: str = Field(max_length=16)
    revision: int = 1
    supersedes_id: int | None = Field(default=None, foreign_key="release_slip.id")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    applicant_name: str = Field(max_length=64)
    applicant_relation: str = Field(max_length=16)
    carrier_name: str = Field(max_length=64)
    carrier_id_number: str = Field(default="", max_length=32)
    carrier_phone: str = Field(default="", max_length=20)
    plate: str = Field(default="", max_length=16)
    driver_name: str = Field(default="", max_length=64)
    reason: str = Field(max_length=20)
    reason_note: str = Field(default="", max_length=500)
    due_back_on: date | None = None
    """Repair: the day the items come back."""
    planned_at: datetime
    """The planned day and time the items leave (UTC)."""
    pattern_id: int | None = Field(default=None, foreign_key="release_pattern.id")

    confirmation_kind: str = Field(default="", max_length=16)
    confirmed_by: str = Field(default="", max_length=64)
    """Who confirmed: the resident on file the desk spoke to, or the owner present."""
    confirmed_at: datetime | None = None
    confirmed_phone: str = Field(default="", max_length=20)
    confirmed_on_file: bool = True
    off_file_reason: str = Field(default="", max_length=500)
    confirmation_recorded_by_id: int | None = Field(default=None, foreign_key="operator.id")

    override_by_id: int | None = Field(default=None, foreign_key="operator.id")
    override_reason: str = Field(default="", max_length=500)
    override_rules: str = Field(default="", max_length=500)
    """The rules overridden (their keys, comma-separated)."""
    override_at: datetime | None = None

    fees_settled_by: str = Field(default="", max_length=64)
    """Moving out: who confirmed the fees are settled (物业费已结清)."""
    fees_settled_at: datetime | None = None

    issued_at: datetime | None = None
    issued_by_id: int | None = Field(default=None, foreign_key="operator.id")
    released_at: datetime | None = None
    released_by_id: int | None = Field(default=None, foreign_key="operator.id")
    sent_back_at: datetime | None = None
    sent_back_note: str = Field(default="", max_length=500)
    filed_at: datetime | None = None
    filed_by_id: int | None = Field(default=None, foreign_key="operator.id")
    voided_at: datetime | None = None
    voided_by_id: int | None = Field(default=None, foreign_key="operator.id")
    void_reason: str = Field(default="", max_length=500)
    returned_at: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="operator.id")
    created_at: datetime = Field(default_factory=utcnow)


class ReleaseLine(SQLModel, table=True):
    """One item line of a slip."""

    __tablename__ = "release_line"
    __table_args__ = (
        UniqueConstraint("slip_id", "position", name="uq_release_line_slip_position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    slip_id: int = Field(foreign_key="release_slip.id", index=True)
    position: int
    description: str = Field(max_length=200)
    quantity: int
    large: bool = False
    catalogue_entry: str = Field(default="", max_length=100)
    """The catalogue entry matched (``沙发/sofa``), empty when none."""
    ticked_at: datetime | None = None


_RELEASE_PATTERN_VERSION = version_column()


class ReleasePattern(SQLModel, table=True):
    """A company tenant's standing pre-approved pattern (items, carriers, validity)."""

    __tablename__ = "release_pattern"

    __mapper_args__ = {"version_id_col": _RELEASE_PATTERN_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_RELEASE_PATTERN_VERSION)
    site_id: int = Field(foreign_key="site.id")
    unit_id: int = Field(foreign_key="unit.id", index=True)
    company: str = Field(max_length=64)
    items: str = Field(max_length=1000)
    """What may leave, one description a line."""
    carriers: str = Field(max_length=1000)
    """Who may carry, one name a line."""
    valid_from: date
    valid_until: date
    approved_by_id: int | None = Field(default=None, foreign_key="operator.id")
    created_at: datetime = Field(default_factory=utcnow)


class ReleaseSettlement(SQLModel, table=True):
    """Moving out: one thing the unit still had at the desk, settled or why not."""

    __tablename__ = "release_settlement"
    __table_args__ = (
        UniqueConstraint("slip_id", "kind", "record_id", name="uq_release_settlement_entry"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    slip_id: int = Field(foreign_key="release_slip.id", index=True)
    kind: str = Field(max_length=16)
    """``key``, ``stored``, ``parcel``, ``request``, ``found``."""
    record_id: int
    reference: str = Field(max_length=40)
    settled: bool = False
    note: str = Field(default="", max_length=500)
    """Why not settled (or how it was)."""
    recorded_at: datetime
    recorded_by_id: int | None = Field(default=None, foreign_key="operator.id")
