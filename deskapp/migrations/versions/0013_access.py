"""sites granted beyond one's own, tokens for unattended commands; one audit index less

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 11:00:00

``site_grant``: a supervisor or manager reads and reports on the sites granted
(issue 18). ``command_token``: a manager's command run by cron signs in with a
token file; the database keeps only the secret's SHA-256. ``ix_audit_entry_at`` goes:
``ix_audit_entry_at_site`` (at, site_id, migration 0012) begins with the same column,
and every audit write paid for both.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0013'
down_revision: str | None = '0012'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))
    op.create_table('site_grant',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('granted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['granted_by_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('operator_id', 'site_id', name='uq_site_grant')
    )
    with op.batch_alter_table('site_grant', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_site_grant_operator_id'), ['operator_id'],
                              unique=False)

    op.create_table('command_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('secret_sha256', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('secret_sha256')
    )
    with op.batch_alter_table('command_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_command_token_operator_id'), ['operator_id'],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table('command_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_command_token_operator_id'))
    op.drop_table('command_token')
    with op.batch_alter_table('site_grant', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_site_grant_operator_id'))
    op.drop_table('site_grant')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
