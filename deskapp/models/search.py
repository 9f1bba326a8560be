"""The search index: one row of text per indexed record, of any entity.

``pairs`` holds the text as overlapping character pairs (``卫生间漏水`` →
``卫生 生间 间漏 漏水``) so that a word index finds any substring of two or more
characters. The full-text index over ``pairs`` is not declared here: it differs
by database and lives in migration 0002 (an FTS5 table kept in sync by triggers
on SQLite; a generated ``tsvector`` column with a GIN index on PostgreSQL).
This is derived data: rebuilt from the records, never the record itself.
"""

from __future__ import annotations

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


class SearchText(SQLModel, table=True):
    """The indexed text of one record (``entity`` = "request", later "custody", ...)."""

    __tablename__ = "search_text"
    __table_args__ = (
        UniqueConstraint("site_id", "entity", "entity_id", name="uq_search_text_record"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    entity: str = Field(max_length=32)
    entity_id: int
    # The original text (shown nowhere; kept to re-index after a change of ``pairs``).
    text: str = Field(sa_column=Column(Text, nullable=False))
    pairs: str = Field(sa_column=Column(Text, nullable=False))
