"""The change of shift (交接班): shifts, who worked them, and the duty log (值班记录).

A ``Shift`` runs from one of the ``shift_starts`` to the next. It is written the
first time somebody works in it, and ``ShiftOperator`` names each operator who
did. The duty log is what they wrote during it: free text, optionally about a
unit or a record (a request number, a custody code), marked as an anomaly (异常)
or routine. Entries are never edited or deleted; a correction is a new entry.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Column, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from deskapp.models.base import utcnow, version_column


class LinkedRecord(StrEnum):
    """What kind of record a duty-log entry is about, besides a unit."""

    NONE = ""
    REQUEST = "request"  # 报事 by its number, 261202-0001
    CUSTODY = "custody"  # a stored, found or parcel item by its code, S-5DD7-7
    KEY = "key"  # a key by its tag, K-…


class Shift(SQLModel, table=True):
    """One shift of the desk, from one of the ``shift_starts`` to the next."""

    __tablename__ = "shift"
    __table_args__ = (UniqueConstraint("site_id", "starts_at", name="uq_shift_start"),)

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    starts_at: datetime
    ends_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


class ShiftOperator(SQLModel, table=True):
    """An operator who worked in a shift (signed in or wrote in its duty log)."""

    __tablename__ = "shift_operator"
    __table_args__ = (
        UniqueConstraint("shift_id", "operator_id", name="uq_shift_operator"),
    )

    id: int | None = Field(default=None, primary_key=True)
    shift_id: int = Field(foreign_key="shift.id")
    operator_id: int = Field(foreign_key="operator.id")
    joined_at: datetime


class DutyLogEntry(SQLModel, table=True):
    """A line of the duty log: what happened during a shift, and who wrote it."""

    __tablename__ = "duty_log_entry"
    __table_args__ = (
        Index("ix_duty_log_entry_shift", "shift_id", "at"),
        Index("ix_duty_log_entry_site_at", "site_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    shift_id: int = Field(foreign_key="shift.id")
    at: datetime
    operator_id: int = Field(foreign_key="operator.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
    anomaly: bool = False
    """异常: something out of the ordinary the next shift must hear of."""
    unit_id: int | None = Field(default=None, foreign_key="unit.id")
    record_kind: str = Field(default=LinkedRecord.NONE.value, max_length=16)
    record_id: int | None = None
    record_ref: str = Field(default="", max_length=32)
    """The record as the operator typed it (its number or code), shown in the log."""
    created_at: datetime = Field(default_factory=utcnow)


class WatchLevel(StrEnum):
    """How closely the incoming operator must watch a carried item (I-PASS's severity)."""

    ROUTINE = "routine"  # 常规
    WATCH = "watch"  # 关注
    URGENT = "urgent"  # 紧急


class HandoverState(StrEnum):
    OPEN = "open"  # being prepared and taken over; lives in the database, resumable
    SEALED = "sealed"  # both signed: read-only, corrected only by an addendum


class ItemDecision(StrEnum):
    """The incoming operator's answer to a carried item."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"  # with a reason; it goes to the supervisor's list


_HANDOVER_VERSION = version_column()


class Handover(SQLModel, table=True):
    """One change of shift (交接班): the outgoing shift's open business handed on.

    ``open_key`` is the site's id while the handover is open and NULL once sealed:
    its unique index lets one handover at a time be open per site, on every engine.
    """

    __tablename__ = "handover"
    __table_args__ = (
        UniqueConstraint("open_key", name="uq_handover_open"),
        Index("ix_handover_site_started", "site_id", "started_at"),
        # The supervisor's review: sealed handovers not reviewed yet, oldest first.
        Index("ix_handover_unreviewed", "site_id", "reviewed_at", "state", "sealed_at"),
    )

    __mapper_args__ = {"version_id_col": _HANDOVER_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_HANDOVER_VERSION)
    site_id: int = Field(foreign_key="site.id")
    shift_id: int = Field(foreign_key="shift.id")
    """The shift handing over."""
    state: str = Field(default=HandoverState.OPEN.value, max_length=16)
    open_key: int | None = None
    outgoing_id: int = Field(foreign_key="operator.id")
    incoming_id: int | None = Field(default=None, foreign_key="operator.id")
    started_at: datetime
    outgoing_signed_at: datetime | None = None
    incoming_signed_at: datetime | None = None
    sealed_at: datetime | None = None
    seal_hash: str = Field(default="", max_length=64)
    """sha256 of the sealed handover's content; also in the audit chain."""
    reviewed_at: datetime | None = None
    reviewed_by_id: int | None = Field(default=None, foreign_key="operator.id")
    review_remarks: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


_HANDOVER_ITEM_VERSION = version_column()


class HandoverItem(SQLModel, table=True):
    """A carried item, as the ledger knew it and as the two operators settled it."""

    __tablename__ = "handover_item"
    __table_args__ = (
        Index("ix_handover_item_handover", "handover_id", "position"),
        # The supervisor's list: refused items not settled yet, oldest decision first.
        Index("ix_handover_item_decision", "decision", "settled_at", "decided_at"),
    )

    __mapper_args__ = {"version_id_col": _HANDOVER_ITEM_VERSION}

    id: int | None = Field(default=None, primary_key=True)
    version: int = Field(default=1, sa_column=_HANDOVER_ITEM_VERSION)
    handover_id: int = Field(foreign_key="handover.id")
    position: int
    group: str = Field(max_length=16)
    record_kind: str = Field(max_length=16)
    record_id: int
    reference: str = Field(default="", max_length=32)
    unit_code: str = Field(default="", max_length=32)
    what: str = Field(sa_column=Column(Text, nullable=False))
    since: datetime
    deadline: datetime | None = None
    last_step: str = Field(default="", max_length=200)
    level: str = Field(default=WatchLevel.ROUTINE.value, max_length=16)
    floor_level: str = Field(default=WatchLevel.ROUTINE.value, max_length=16)
    """Urgent when the ledger had it overdue: it is never handed over as less (the seal
    waits until it is done or a supervisor carries it); routine otherwise."""
    next_action: str = Field(default="", max_length=200)
    next_at: datetime | None = None
    contingency: str = Field(default="", max_length=500)
    """I-PASS's "if this happens, do that": required for watch and urgent items."""
    decision: str = Field(default=ItemDecision.PENDING.value, max_length=16)
    decided_at: datetime | None = None
    refusal_reason: str = Field(default="", max_length=500)
    carried_by_id: int | None = Field(default=None, foreign_key="operator.id")
    """The supervisor who accepted carrying an unfinished urgent item."""
    carry_reason: str = Field(default="", max_length=500)
    settled_at: datetime | None = None
    """When the supervisor settled a refused item (off the supervisor's list)."""
    settled_by_id: int | None = Field(default=None, foreign_key="operator.id")
    settle_note: str = Field(default="", max_length=500)


class HandoverCount(SQLModel, table=True):
    """A public item (公物) counted at the handover: expected, counted, explained."""

    __tablename__ = "handover_count"
    __table_args__ = (Index("ix_handover_count_handover", "handover_id", "position"),)

    id: int | None = Field(default=None, primary_key=True)
    handover_id: int = Field(foreign_key="handover.id")
    position: int
    name: str = Field(max_length=64)
    expected: int
    counted: int | None = None
    explanation: str = Field(default="", max_length=500)
    """The outgoing operator's explanation of a difference; shown on the sheet."""


class HandoverAddendum(SQLModel, table=True):
    """A correction to a sealed handover: who and when, the sealed text untouched."""

    __tablename__ = "handover_addendum"

    id: int | None = Field(default=None, primary_key=True)
    handover_id: int = Field(foreign_key="handover.id", index=True)
    at: datetime
    operator_id: int = Field(foreign_key="operator.id")
    text: str = Field(sa_column=Column(Text, nullable=False))
