"""the change of shift (交接班): shifts, the duty log (值班记录), handovers

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 12:30:00

``shift`` is written the first time somebody works in a shift, ``shift_operator``
names who did, ``duty_log_entry`` is what they wrote (searched through
``search_text`` as entity ``duty_log``, like the requests). ``handover`` with its
``handover_item`` (carried items), ``handover_count`` (public items counted) and
``handover_addendum`` (corrections after the seal); ``handover.open_key`` is unique
so that one handover at a time is open per site.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('shift',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_id', 'starts_at', name='uq_shift_start')
    )
    op.create_table('duty_log_entry',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('anomaly', sa.Boolean(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('record_kind', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('record_ref', sa.String(length=32), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['shift_id'], ['shift.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('duty_log_entry', schema=None) as batch_op:
        batch_op.create_index('ix_duty_log_entry_shift', ['shift_id', 'at'], unique=False)
        batch_op.create_index('ix_duty_log_entry_site_at', ['site_id', 'at'], unique=False)

    op.create_table('handover',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('open_key', sa.Integer(), nullable=True),
    sa.Column('outgoing_id', sa.Integer(), nullable=False),
    sa.Column('incoming_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('outgoing_signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('incoming_signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sealed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('seal_hash', sa.String(length=64), nullable=False),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('review_remarks', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['incoming_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['outgoing_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['shift_id'], ['shift.id'], ),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('open_key', name='uq_handover_open')
    )
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.create_index('ix_handover_site_started', ['site_id', 'started_at'], unique=False)

    op.create_table('shift_operator',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('shift_id', sa.Integer(), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['shift_id'], ['shift.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('shift_id', 'operator_id', name='uq_shift_operator')
    )
    op.create_table('handover_addendum',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handover_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['handover_id'], ['handover.id'], ),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handover_addendum', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_handover_addendum_handover_id'), ['handover_id'], unique=False)

    op.create_table('handover_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handover_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('counted', sa.Integer(), nullable=True),
    sa.Column('explanation', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['handover_id'], ['handover.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handover_count', schema=None) as batch_op:
        batch_op.create_index('ix_handover_count_handover', ['handover_id', 'position'], unique=False)

    op.create_table('handover_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('handover_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('group', sa.String(length=16), nullable=False),
    sa.Column('record_kind', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False),
    sa.Column('unit_code', sa.String(length=32), nullable=False),
    sa.Column('what', sa.Text(), nullable=False),
    sa.Column('since', sa.DateTime(timezone=True), nullable=False),
    sa.Column('deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_step', sa.String(length=200), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('floor_level', sa.String(length=16), nullable=False),
    sa.Column('next_action', sa.String(length=200), nullable=False),
    sa.Column('next_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('contingency', sa.String(length=500), nullable=False),
    sa.Column('decision', sa.String(length=16), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refusal_reason', sa.String(length=500), nullable=False),
    sa.Column('carried_by_id', sa.Integer(), nullable=True),
    sa.Column('carry_reason', sa.String(length=500), nullable=False),
    sa.Column('settled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('settled_by_id', sa.Integer(), nullable=True),
    sa.Column('settle_note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['carried_by_id'], ['operator.id'], ),
    sa.ForeignKeyConstraint(['handover_id'], ['handover.id'], ),
    sa.ForeignKeyConstraint(['settled_by_id'], ['operator.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('handover_item', schema=None) as batch_op:
        batch_op.create_index('ix_handover_item_handover', ['handover_id', 'position'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('handover_item', schema=None) as batch_op:
        batch_op.drop_index('ix_handover_item_handover')

    op.drop_table('handover_item')
    with op.batch_alter_table('handover_count', schema=None) as batch_op:
        batch_op.drop_index('ix_handover_count_handover')

    op.drop_table('handover_count')
    with op.batch_alter_table('handover_addendum', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_handover_addendum_handover_id'))

    op.drop_table('handover_addendum')
    op.drop_table('shift_operator')
    with op.batch_alter_table('handover', schema=None) as batch_op:
        batch_op.drop_index('ix_handover_site_started')

    op.drop_table('handover')
    with op.batch_alter_table('duty_log_entry', schema=None) as batch_op:
        batch_op.drop_index('ix_duty_log_entry_site_at')
        batch_op.drop_index('ix_duty_log_entry_shift')

    op.drop_table('duty_log_entry')
    op.drop_table('shift')
