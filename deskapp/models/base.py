"""Pieces every table shares."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, Integer


def utcnow() -> datetime:
    """Default for ``created_at`` columns; rules take ``now`` from a clock instead."""
    return datetime.now(UTC)


def version_column() -> Column[int]:
    """The ``version`` of an editable record, for ``__mapper_args__["version_id_col"]``.

    SQLAlchemy adds ``WHERE version = <the version loaded>`` to every UPDATE of the
    row and counts it up, so two sessions cannot overwrite each other unseen; a form
    keeps the version it was opened with and the service refuses a save against an
    older one (``services.versions``). The server default gives rows written by a
    bulk ``insert`` (the demo, the benchmarks) their first version too.
    """
    return Column("version", Integer, nullable=False, server_default="1")
