"""Custody ledgers: what the desk keeps for somebody, and the keys it lends.

Items left for storage (物品寄存), items found (物品拾遗) and parcels taken in
(快件代收) share one life in ``CustodyItem``: received, kept somewhere, then
released to a verified person who signs, handed to the admin office, disposed
of before two witnesses, or voided with a reason. The few fields only one
ledger has are columns of the same row (empty for the others), so the lists,
the counts and the export read one table.

Keys (钥匙) are kept for good and lent out and back: ``KeyRecord`` is the key,
``KeyLoan`` one issue or loan of it. ``CustodyEvent`` is the timeline of both.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from deskapp.models.base import utcnow, version_column


class Ledger(StrEnum):
    """Which desk ledger a custody item belongs to."""

    STORAGE = "storage"  # 物品寄存
    LOST = "lost"  # 物品拾遗
    PARCEL = "parcel"  # 快件代收


class ItemStatus(StrEnum):
    """Where an item stands in its life at the desk."""

    HELD = "held"  # at the desk, on a shelf
    RELEASED = "released"  # collected / claimed / picked up, signed for
    ADMIN = "admin"  # handed to the admin office (lost and found)
    DISPOSED = "disposed"  # disposed of before two witnesses
    VOID = "void"  # entered by mistake; voided with a reason


class DepositorKind(StrEnum):
    """Who left an item for storage."""

    RESIDENT = "resident"  # 住户 (with a unit)
    VISITOR = "visitor"  # 访客


class StorageCategory(StrEnum):
    """What is left for storage; all but ordinary need a supervisor's exception note."""

    ORDINARY = "ordinary"  # 一般物品
    CASH = "cash"  # 现金
    VALUABLES = "valuables"  # 贵重物品
    PERISHABLE = "perishable"  # 易腐物品
    DANGEROUS = "dangerous"  # 危险品


class KeyStatus(StrEnum):
    """Where a key is."""

    IN = "in"  # in the key cabinet
    OUT = "out"  # lent, due back
    ISSUED = "issued"  # handed to the owner for good (钥匙发放)
    RETIRED = "retired"  # taken off the register (voided with a reason)


class BorrowerKind(StrEnum):
    """Who takes a key; contractors return the same day, sales need a manager."""

    OWNER = "owner"  # 业主
    RESIDENT = "resident"  # 住户
    CONTRACTOR = "contractor"  # 施工单位
    SALES = "sales"  # 销售人员
    STAFF = "staff"  # 物业员工
    OTHER = "other"  # 其他


class EventKind(StrEnum):
    """A line of a custody timeline."""

    RECEIVED = "received"
    MOVED = "moved"
    RELEASED = "released"
    ADMIN = "admin"
    DISPOSED = "disposed"
    VOIDED = "voided"
    NOTE = "note"
    NOTIFIED = "notified"
    KEY_REGISTERED = "key_registered"
    KEY_ISSUED = "key_issued"
    KEY_LENT = "key_lent"
    KEY_RETURNED = "key_returned"
    KEY_CHASED = "key_chased"
    KEY_RETIRED = "key_retired"


_CUSTODY_ITEM_VERSION = version_column()


class CustodyItem(SQLModel, table=True):
    """An item in the desk's custody: stored, found or a parcel (one row, one life)."""

    __tablename__ = "custody_item"
    __table_args__ = (
        UniqueConstraint("site_id", "code", name="uq_custody_item_site_code"),
        # Set while the item waits (a parcel's carrier + tracking number), cleared when it
        # leaves: the database itself refuses the same parcel logged twice, even by two desks.
        UniqueConstraint("site_id", "open_key", name="uq_custody_item_site_open_key"),
        Index("ix_custody_item_list", "site_id", "ledger", "status", "received_at"),
        # A ledger's whole list, newest first (storage history, lost and found's all):
        # read a page at a time from the index instead of sorting the ledger.
        Index("ix_custody_item_received", "site_id", "ledger", "received_at"),
        Index("ix_custody_item_phone_tail", "site_id", "owner_phone_tail"),
        Index("ix_custody_item_owner_name", "site_id", "owner_name"),
        Index("ix_custody_item_id_tail", "site_id", "owner_id_tail"),
        Index("ix_custody_item_tracking", "site_id", "tracking_number"),
        Index("ix_custody_item_released_at", "site_id", "released_at"),
    )

    __mapper_args__ = {"version_id_col": _CUSTODY_ITEM_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_CUSTODY_ITEM_VERSION)
    site_id: int = Field(foreign_key="site.id")
    ledger: str = Field(max_length=16)
    code: str | None = Field(default=None, max_length=12)
    """The short code (S-/L-/P-…) printed on the ticket or tag; set right after insert."""
    status: str = Field(default=ItemStatus.HELD.value, max_length=16)
    open_key: str | None = Field(default=None, max_length=120)

    # What it is and where it is kept.
    description: str = Field(max_length=500)
    pieces: int = 1
    condition: str = Field(default="", max_length=200)
    place: str = Field(default="", max_length=64)
    """Shelf or place (货架 / 存放位置)."""

    # Whose it is: the depositor (storage), the addressee (parcel), the owner if known (lost).
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    owner_name: str = Field(default="", max_length=64)
    owner_phone: str = Field(default="", max_length=20)
    owner_phone_tail: str = Field(default="", max_length=4)
    owner_id_number: str = Field(default="", max_length=32)
    owner_id_tail: str = Field(default="", max_length=4)

    # Coming in.
    received_at: datetime
    received_by_id: int | None = Field(default=None, foreign_key="operator.id")
    received_from: str = Field(default="", max_length=64)
    """Who brought it: the depositor, the finder, the courier."""

    # Storage (物品寄存).
    depositor_kind: str = Field(default="", max_length=16)
    may_collect: str = Field(default="", max_length=200)
    """Who besides the depositor may collect (取件人)."""
    depositor_confirmed: bool = False
    category: str = Field(default="", max_length=16)
    exception_note: str = Field(default="", max_length=500)
    exception_by_id: int | None = Field(default=None, foreign_key="operator.id")

    # Lost and found (物品拾遗).
    found_at: datetime | None = None
    found_where: str = Field(default="", max_length=200)
    valuable: bool = False

    # Parcels (快件代收).
    carrier: str = Field(default="", max_length=32)
    tracking_number: str = Field(default="", max_length=64)
    consent: str = Field(default="", max_length=16)
    """``explicit`` (the resident said so) or ``standing`` (a standing instruction)."""

    # Going out: to a verified person who signs.
    released_at: datetime | None = None
    released_by_id: int | None = Field(default=None, foreign_key="operator.id")
    released_to: str = Field(default="", max_length=64)
    released_relation: str = Field(default="", max_length=32)
    released_phone: str = Field(default="", max_length=20)
    id_checked: bool = False
    released_id_number: str = Field(default="", max_length=32)
    """In full on the record (the claimant's ID of a found item); masked in every list."""
    signed: bool = False
    release_note: str = Field(default="", max_length=500)
    """The description check of a claim, the supervisor's note of a lost ticket."""
    approved_by_id: int | None = Field(default=None, foreign_key="operator.id")

    # To the admin office (lost and found, monthly).
    admin_at: datetime | None = None
    admin_by_id: int | None = Field(default=None, foreign_key="operator.id")
    admin_receiver: str = Field(default="", max_length=64)

    # Disposed of, before two witnesses.
    disposed_at: datetime | None = None
    disposal_note: str = Field(default="", max_length=500)
    witness_a_id: int | None = Field(default=None, foreign_key="operator.id")
    witness_b_id: int | None = Field(default=None, foreign_key="operator.id")

    # Voided with a reason.
    voided_at: datetime | None = None
    voided_by_id: int | None = Field(default=None, foreign_key="operator.id")
    void_reason: str = Field(default="", max_length=200)

    created_at: datetime = Field(default_factory=utcnow)


_KEY_RECORD_VERSION = version_column()


class KeyRecord(SQLModel, table=True):
    """A key (or bunch) of a unit, labelled and kept by a named custodian (钥匙登记)."""

    __tablename__ = "key_record"
    __table_args__ = (
        UniqueConstraint("site_id", "code", name="uq_key_record_site_code"),
        Index("ix_key_record_site_status", "site_id", "status"),
        Index("ix_key_record_site_unit", "site_id", "unit_id"),
    )

    __mapper_args__ = {"version_id_col": _KEY_RECORD_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_KEY_RECORD_VERSION)
    site_id: int = Field(foreign_key="site.id")
    code: str | None = Field(default=None, max_length=12)
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    label: str = Field(max_length=64)
    pieces: int = 1
    place: str = Field(default="", max_length=64)
    custodian: str = Field(default="", max_length=64)
    status: str = Field(default=KeyStatus.IN.value, max_length=16)
    registered_at: datetime
    registered_by_id: int | None = Field(default=None, foreign_key="operator.id")
    retired_at: datetime | None = None
    retire_reason: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)


class KeyLoan(SQLModel, table=True):
    """One issue (for good) or loan (due back) of a key, signed for (钥匙发放/借用登记)."""

    __tablename__ = "key_loan"
    __table_args__ = (
        Index("ix_key_loan_open", "site_id", "returned_at", "due_at"),
        Index("ix_key_loan_key", "key_id", "out_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    key_id: int = Field(foreign_key="key_record.id")
    permanent: bool = False
    """An issue to the owner (no return expected) rather than a loan."""
    borrower_name: str = Field(max_length=64)
    borrower_kind: str = Field(max_length=16)
    borrower_phone: str = Field(default="", max_length=20)
    borrower_company: str = Field(default="", max_length=64)
    id_checked: bool = False
    id_number: str = Field(default="", max_length=32)
    purpose: str = Field(default="", max_length=200)
    signed: bool = False
    out_at: datetime
    out_by_id: int | None = Field(default=None, foreign_key="operator.id")
    due_at: datetime | None = None
    approved_by_id: int | None = Field(default=None, foreign_key="operator.id")
    returned_at: datetime | None = None
    returned_by_id: int | None = Field(default=None, foreign_key="operator.id")
    returned_from: str = Field(default="", max_length=64)
    chased_at: datetime | None = None
    chase_count: int = 0
    note: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class CustodyEvent(SQLModel, table=True):
    """A line of the timeline of an item or a key: who did what, when."""

    __tablename__ = "custody_event"
    __table_args__ = (
        Index("ix_custody_event_item", "item_id", "at"),
        Index("ix_custody_event_key", "key_id", "at"),
        Index("ix_custody_event_site_at", "site_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    item_id: int | None = Field(default=None, foreign_key="custody_item.id")
    key_id: int | None = Field(default=None, foreign_key="key_record.id")
    loan_id: int | None = Field(default=None, foreign_key="key_loan.id")
    kind: str = Field(max_length=24)
    at: datetime
    operator_id: int | None = Field(default=None, foreign_key="operator.id")
    note: str = Field(default="", max_length=500)
