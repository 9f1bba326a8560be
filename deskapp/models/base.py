"""Pieces every table shares."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    """Default for ``created_at`` columns; rules take ``now`` from a clock instead."""
    return datetime.now(UTC)
