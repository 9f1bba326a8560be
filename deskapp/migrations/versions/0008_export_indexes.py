"""indexes for the nightly export: requests by their last change, events by their time

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 21:40:00

The nightly export takes the requests received *or changed* that day, and the
timeline events written that day. Without an index on ``updated_at`` the OR scanned
every request, and the events were read by site alone: 6.2 s for a day of 2,200 rows
at a million requests (``benchmarks/export.py``). With these two, both are ranges.
"""
from collections.abc import Sequence

from alembic import op


revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_service_request_updated', 'service_request', ['site_id', 'updated_at'],
                    unique=False)
    op.create_index('ix_request_event_site_at', 'request_event', ['site_id', 'at'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_request_event_site_at', table_name='request_event')
    op.drop_index('ix_service_request_updated', table_name='service_request')
