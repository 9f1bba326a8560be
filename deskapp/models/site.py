"""The property a record belongs to (物业项目)."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from deskapp.models.base import utcnow


class Site(SQLModel, table=True):
    """One property served by the desk; every ledger row carries its ``site_id``."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=200)
    is_demo: bool = False
    """Seeded by ``deskapp demo``: the sign-in screen shows the demo PINs."""
    created_at: datetime = Field(default_factory=utcnow)
