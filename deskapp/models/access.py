"""Who may act where, beyond their own desk: sites granted to supervisors and managers,
and the tokens that let an unattended command (cron's nightly export) act for a manager.

Both are kept when withdrawn (``revoked_at``), never deleted: the audit trail names them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from deskapp.models.base import utcnow


class SiteGrant(SQLModel, table=True):
    """A supervisor or manager of one site who also reads and reports on another."""

    __tablename__ = "site_grant"
    __table_args__ = (UniqueConstraint("operator_id", "site_id", name="uq_site_grant"),)

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="operator.id", index=True)
    site_id: int = Field(foreign_key="site.id")
    granted_by_id: int | None = Field(default=None, foreign_key="operator.id")
    granted_at: datetime = Field(default_factory=utcnow)
    revoked_at: datetime | None = None


class CommandToken(SQLModel, table=True):
    """A secret in a file, for commands run with nobody at the keyboard: the file holds
    the secret, the database only its SHA-256, so a copy of the database lets no one in."""

    __tablename__ = "command_token"

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="operator.id", index=True)
    site_id: int = Field(foreign_key="site.id")
    label: str = Field(max_length=64)
    secret_sha256: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None
