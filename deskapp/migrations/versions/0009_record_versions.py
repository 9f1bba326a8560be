"""a version on every editable record, and the audit trail by record

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 06:40:00

Two desks could open the same request, both change it, and the second save
overwrote the first unseen. Every editable record now carries ``version``
(SQLAlchemy's ``version_id_col``: each UPDATE checks it and counts it up), and a
form that was opened on an older version is refused with what changed since and
who changed it, read from the audit trail by record (the new index).
Adding a column with a constant default rewrites no rows on either engine.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VERSIONED = ('operator', 'unit', 'resident', 'custody_item', 'key_record', 'release_slip',
             'release_pattern', 'service_request', 'work_order', 'standing_instruction',
             'handover', 'handover_item')


def upgrade() -> None:
    for table in VERSIONED:
        op.add_column(table, sa.Column('version', sa.Integer(), nullable=False,
                                       server_default='1'))
    op.create_index('ix_audit_entry_record', 'audit_entry', ['entity', 'entity_id', 'seq'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_entry_record', table_name='audit_entry')
    for table in reversed(VERSIONED):
        with op.batch_alter_table(table) as batch:
            batch.drop_column('version')
