"""timeline facts: the system's words stored as a message key and arguments

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00

``request_event.facts`` and ``request_escalation.facts`` hold JSON (in a Text
column, the same on SQLite and PostgreSQL) that the screens render in the
reader's language. Existing rows keep ``facts`` NULL and are shown from their
``details`` / ``reason`` as before.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts', sa.Text(), nullable=True))

    with op.batch_alter_table('request_escalation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('facts', sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('request_escalation', schema=None) as batch_op:
        batch_op.drop_column('facts')

    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.drop_column('facts')
