"""indexes for the sweep: what the age rules raise, overdue deadlines, repeat complaints

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 08:00:00

The sweep runs on every dashboard and queue refresh. At a million requests it read
every open request, every overdue deadline one by one and, for each aged complaint,
its whole subject group and the unit's whole history: 5 s per refresh
(``benchmarks/decade.py``). With these it reads only what it will change:

- open requests by severity and kind, then age: the complaints the age rules raise,
  and the hot or major requests to escalate;
- pending, unpaused deadlines by due time, carrying the request: the overdue ones,
  checked against the escalations' unique index without reading the rows;
- a unit's complaints of one subject by closing time: a repeat of a closed complaint.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_service_request_open_severity', 'service_request',
                    ['site_id', 'is_open', 'severity', 'kind', 'received_at'], unique=False)
    op.create_index('ix_service_request_unit_subject', 'service_request',
                    ['site_id', 'unit_id', 'complaint_subject', 'closed_at'], unique=False)
    op.create_index('ix_request_deadline_overdue', 'request_deadline',
                    ['site_id', 'pending', 'paused_at', 'due_at', 'request_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_request_deadline_overdue', table_name='request_deadline')
    op.drop_index('ix_service_request_unit_subject', table_name='service_request')
    op.drop_index('ix_service_request_open_severity', table_name='service_request')
