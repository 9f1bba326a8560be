"""release slips (物品放行条): slips, their item lines, companies' standing patterns

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 06:17:52

``release_slip`` is one revision of a slip (``supersedes_id`` the revision it
replaced, kept), ``release_line`` its item lines with the gate's ticks,
``release_pattern`` a company tenant's standing pre-approved pattern and
``release_settlement`` what a moving-out unit still had at the desk, settled or why not.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('release_pattern',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('company', sa.String(length=64), nullable=False),
    sa.Column('items', sa.String(length=1000), nullable=False),
    sa.Column('carriers', sa.String(length=1000), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('release_pattern', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_pattern_unit_id'), ['unit_id'], unique=False)

    op.create_table('release_slip',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('applicant_name', sa.String(length=64), nullable=False),
    sa.Column('applicant_relation', sa.String(length=16), nullable=False),
    sa.Column('carrier_name', sa.String(length=64), nullable=False),
    sa.Column('carrier_id_number', sa.String(length=32), nullable=False),
    sa.Column('carrier_phone', sa.String(length=20), nullable=False),
    sa.Column('plate', sa.String(length=16), nullable=False),
    sa.Column('driver_name', sa.String(length=64), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('reason_note', sa.String(length=500), nullable=False),
    sa.Column('due_back_on', sa.Date(), nullable=True),
    sa.Column('planned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pattern_id', sa.Integer(), nullable=True),
    sa.Column('confirmation_kind', sa.String(length=16), nullable=False),
    sa.Column('confirmed_by', sa.String(length=64), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_phone', sa.String(length=20), nullable=False),
    sa.Column('confirmed_on_file', sa.Boolean(), nullable=False),
    sa.Column('off_file_reason', sa.String(length=500), nullable=False),
    sa.Column('confirmation_recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('override_by_id', sa.Integer(), nullable=True),
    sa.Column('override_reason', sa.String(length=500), nullable=False),
    sa.Column('override_rules', sa.String(length=500), nullable=False),
    sa.Column('override_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fees_settled_by', sa.String(length=64), nullable=False),
    sa.Column('fees_settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('issued_by_id', sa.Integer(), nullable=True),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('sent_back_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sent_back_note', sa.String(length=500), nullable=False),
    sa.Column('filed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('filed_by_id', sa.Integer(), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sa.String(length=500), nullable=False),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['confirmation_recorded_by_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['created_by_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['filed_by_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['issued_by_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['override_by_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['pattern_id'], ['release_pattern.id'], ),
    sa.ForeignKeyConstraint(['released_by_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.ForeignKeyConstraint(['supersedes_id'], ['release_slip.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.ForeignKeyConstraint(['voided_by_id'], ['operator.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_id', 'code', name='uq_release_slip_site_code')
    )
    with op.batch_alter_table('release_slip', schema=None) as batch_op:
        batch_op.create_index('ix_release_slip_list', ['site_id', 'status', 'planned_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_release_slip_unit_id'), ['unit_id'], unique=False)

    op.create_table('release_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('slip_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sa.String(length=200), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('large', sa.Boolean(), nullable=False),
    sa.Column('catalogue_entry', sa.String(length=100), nullable=False),
    sa.Column('ticked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.ForeignKeyConstraint(['slip_id'], ['release_slip.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slip_id', 'position', name='uq_release_line_slip_position')
    )
    with op.batch_alter_table('release_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_line_slip_id'), ['slip_id'], unique=False)

    op.create_table('release_settlement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('slip_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('settled', sa.Boolean(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.ForeignKeyConstraint(['slip_id'], ['release_slip.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('slip_id', 'kind', 'record_id', name='uq_release_settlement_entry')
    )
    with op.batch_alter_table('release_settlement', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_release_settlement_slip_id'), ['slip_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('release_settlement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_settlement_slip_id'))

    op.drop_table('release_settlement')
    with op.batch_alter_table('release_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_line_slip_id'))

    op.drop_table('release_line')
    with op.batch_alter_table('release_slip', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_slip_unit_id'))
        batch_op.drop_index('ix_release_slip_list')

    op.drop_table('release_slip')
    with op.batch_alter_table('release_pattern', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_release_pattern_unit_id'))

    op.drop_table('release_pattern')
