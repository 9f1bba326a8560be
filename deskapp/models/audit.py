"""The append-only, hash-chained audit trail."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class AuditEntry(SQLModel, table=True):
    """One change of state: who, when, what, before and after.

    ``entry_hash`` covers the entry's fields and ``prev_hash``, so editing or
    removing any entry breaks the chain from that entry on.
    """

    __tablename__ = "audit_entry"
    # A record's history (what changed since a form was opened): entity, id, order.
    # A day's entries of a site, counted from the index alone (the dashboard).
    __table_args__ = (Index("ix_audit_entry_record", "entity", "entity_id", "seq"),
                      Index("ix_audit_entry_at_site", "at", "site_id"))

    id: int | None = Field(default=None, primary_key=True)
    seq: int = Field(unique=True, index=True)
    site_id: int | None = Field(default=None, foreign_key="site.id", index=True)
    # By time through ``ix_audit_entry_at_site`` (at, site_id), which begins with it.
    at: datetime
    operator_id: int | None = Field(default=None, foreign_key="operator.id")
    actor: str = Field(max_length=64)
    action: str = Field(max_length=64, index=True)
    entity: str = Field(max_length=32)
    entity_id: str = Field(max_length=64)
    before: str = ""
    after: str = ""
    prev_hash: str = Field(max_length=64)
    entry_hash: str = Field(max_length=64)


class AuditHead(SQLModel, table=True):
    """The chain's last sequence number and hash.

    Every writer updates this single row in its transaction, which serializes
    audit writes across desks on PostgreSQL as SQLite's write lock does.
    """

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    last_hash: str = Field(default="", max_length=64)
