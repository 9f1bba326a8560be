"""custody ledgers: storage, lost and found, keys, parcels

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('custody_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('ledger', sa.String(length=16), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('open_key', sa.String(length=120), nullable=True),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('pieces', sa.Integer(), nullable=False),
    sa.Column('condition', sa.String(length=200), nullable=False),
    sa.Column('place', sa.String(length=64), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('owner_name', sa.String(length=64), nullable=False),
    sa.Column('owner_phone', sa.String(length=20), nullable=False),
    sa.Column('owner_phone_tail', sa.String(length=4), nullable=False),
    sa.Column('owner_id_number', sa.String(length=32), nullable=False),
    sa.Column('owner_id_tail', sa.String(length=4), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=True),
    sa.Column('received_from', sa.String(length=64), nullable=False),
    sa.Column('depositor_kind', sa.String(length=16), nullable=False),
    sa.Column('may_collect', sa.String(length=200), nullable=False),
    sa.Column('depositor_confirmed', sa.Boolean(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('exception_note', sa.String(length=500), nullable=False),
    sa.Column('exception_by_id', sa.Integer(), nullable=True),
    sa.Column('found_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('found_where', sa.String(length=200), nullable=False),
    sa.Column('valuable', sa.Boolean(), nullable=False),
    sa.Column('carrier', sa.String(length=32), nullable=False),
    sa.Column('tracking_number', sa.String(length=64), nullable=False),
    sa.Column('consent', sa.String(length=16), nullable=False),
    sa.Column('released_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('released_by_id', sa.Integer(), nullable=True),
    sa.Column('released_to', sa.String(length=64), nullable=False),
    sa.Column('released_relation', sa.String(length=32), nullable=False),
    sa.Column('released_phone', sa.String(length=20), nullable=False),
    sa.Column('id_checked', sa.Boolean(), nullable=False),
    sa.Column('released_id_number', sa.String(length=32), nullable=False),
    sa.Column('signed', sa.Boolean(), nullable=False),
    sa.Column('release_note', sa.String(length=500), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('admin_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('admin_by_id', sa.Integer(), nullable=True),
    sa.Column('admin_receiver', sa.String(length=64), nullable=False),
    sa.Column('disposed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('disposal_note', sa.String(length=500), nullable=False),
    sa.Column('witness_a_id', sa.Integer(), nullable=True),
    sa.Column('witness_b_id', sa.Integer(), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['admin_by_id'], ['operator.id'], name='fk_custody_item_admin_by_id'),
    sa.ForeignKeyConstraint(['approved_by_id'], ['operator.id'], name='fk_custody_item_approved_by_id'),
    sa.ForeignKeyConstraint(['exception_by_id'], ['operator.id'], name='fk_custody_item_exception_by_id'),
    sa.ForeignKeyConstraint(['received_by_id'], ['operator.id'], name='fk_custody_item_received_by_id'),
    sa.ForeignKeyConstraint(['released_by_id'], ['operator.id'], name='fk_custody_item_released_by_id'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_custody_item_site_id'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name='fk_custody_item_unit_id'),
    sa.ForeignKeyConstraint(['voided_by_id'], ['operator.id'], name='fk_custody_item_voided_by_id'),
    sa.ForeignKeyConstraint(['witness_a_id'], ['operator.id'], name='fk_custody_item_witness_a_id'),
    sa.ForeignKeyConstraint(['witness_b_id'], ['operator.id'], name='fk_custody_item_witness_b_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_id', 'code', name='uq_custody_item_site_code'),
    sa.UniqueConstraint('site_id', 'open_key', name='uq_custody_item_site_open_key')
    )
    with op.batch_alter_table('custody_item', schema=None) as batch_op:
        batch_op.create_index('ix_custody_item_id_tail', ['site_id', 'owner_id_tail'], unique=False)
        batch_op.create_index('ix_custody_item_list', ['site_id', 'ledger', 'status', 'received_at'], unique=False)
        batch_op.create_index('ix_custody_item_owner_name', ['site_id', 'owner_name'], unique=False)
        batch_op.create_index('ix_custody_item_phone_tail', ['site_id', 'owner_phone_tail'], unique=False)
        batch_op.create_index('ix_custody_item_released_at', ['site_id', 'released_at'], unique=False)
        batch_op.create_index('ix_custody_item_tracking', ['site_id', 'tracking_number'], unique=False)

    op.create_table('key_record',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=True),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('label', sa.String(length=64), nullable=False),
    sa.Column('pieces', sa.Integer(), nullable=False),
    sa.Column('place', sa.String(length=64), nullable=False),
    sa.Column('custodian', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('registered_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('registered_by_id', sa.Integer(), nullable=True),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('retire_reason', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['registered_by_id'], ['operator.id'], name='fk_key_record_registered_by_id'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_key_record_site_id'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name='fk_key_record_unit_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_id', 'code', name='uq_key_record_site_code')
    )
    with op.batch_alter_table('key_record', schema=None) as batch_op:
        batch_op.create_index('ix_key_record_site_status', ['site_id', 'status'], unique=False)
        batch_op.create_index('ix_key_record_site_unit', ['site_id', 'unit_id'], unique=False)

    op.create_table('key_loan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('permanent', sa.Boolean(), nullable=False),
    sa.Column('borrower_name', sa.String(length=64), nullable=False),
    sa.Column('borrower_kind', sa.String(length=16), nullable=False),
    sa.Column('borrower_phone', sa.String(length=20), nullable=False),
    sa.Column('borrower_company', sa.String(length=64), nullable=False),
    sa.Column('id_checked', sa.Boolean(), nullable=False),
    sa.Column('id_number', sa.String(length=32), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('signed', sa.Boolean(), nullable=False),
    sa.Column('out_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('out_by_id', sa.Integer(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('returned_by_id', sa.Integer(), nullable=True),
    sa.Column('returned_from', sa.String(length=64), nullable=False),
    sa.Column('chased_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('chase_count', sa.Integer(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['approved_by_id'], ['operator.id'], name='fk_key_loan_approved_by_id'),
    sa.ForeignKeyConstraint(['key_id'], ['key_record.id'], name='fk_key_loan_key_id'),
    sa.ForeignKeyConstraint(['out_by_id'], ['operator.id'], name='fk_key_loan_out_by_id'),
    sa.ForeignKeyConstraint(['returned_by_id'], ['operator.id'], name='fk_key_loan_returned_by_id'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_key_loan_site_id'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('key_loan', schema=None) as batch_op:
        batch_op.create_index('ix_key_loan_key', ['key_id', 'out_at'], unique=False)
        batch_op.create_index('ix_key_loan_open', ['site_id', 'returned_at', 'due_at'], unique=False)

    op.create_table('custody_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=True),
    sa.Column('key_id', sa.Integer(), nullable=True),
    sa.Column('loan_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['custody_item.id'], name='fk_custody_event_item_id'),
    sa.ForeignKeyConstraint(['key_id'], ['key_record.id'], name='fk_custody_event_key_id'),
    sa.ForeignKeyConstraint(['loan_id'], ['key_loan.id'], name='fk_custody_event_loan_id'),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], name='fk_custody_event_operator_id'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_custody_event_site_id'),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('custody_event', schema=None) as batch_op:
        batch_op.create_index('ix_custody_event_item', ['item_id', 'at'], unique=False)
        batch_op.create_index('ix_custody_event_key', ['key_id', 'at'], unique=False)
        batch_op.create_index('ix_custody_event_site_at', ['site_id', 'at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('custody_event', schema=None) as batch_op:
        batch_op.drop_index('ix_custody_event_site_at')
        batch_op.drop_index('ix_custody_event_key')
        batch_op.drop_index('ix_custody_event_item')

    op.drop_table('custody_event')
    with op.batch_alter_table('key_loan', schema=None) as batch_op:
        batch_op.drop_index('ix_key_loan_open')
        batch_op.drop_index('ix_key_loan_key')

    op.drop_table('key_loan')
    with op.batch_alter_table('key_record', schema=None) as batch_op:
        batch_op.drop_index('ix_key_record_site_unit')
        batch_op.drop_index('ix_key_record_site_status')

    op.drop_table('key_record')
    with op.batch_alter_table('custody_item', schema=None) as batch_op:
        batch_op.drop_index('ix_custody_item_tracking')
        batch_op.drop_index('ix_custody_item_released_at')
        batch_op.drop_index('ix_custody_item_phone_tail')
        batch_op.drop_index('ix_custody_item_owner_name')
        batch_op.drop_index('ix_custody_item_list')
        batch_op.drop_index('ix_custody_item_id_tail')

    op.drop_table('custody_item')
