"""requests: intake, timeline, deadlines, work orders, revisits

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('request_counter',
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.String(length=6), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_request_counter_site_id'),
    sa.PrimaryKeyConstraint('site_id', 'day')
    )

    op.create_table('standing_instruction',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('text', sa.String(length=500), nullable=False),
    sa.Column('given_by', sa.String(length=64), nullable=False),
    sa.Column('expires_on', sa.String(length=10), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('voided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('voided_by_id', sa.Integer(), nullable=True),
    sa.Column('void_reason', sa.String(length=500), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['operator.id'], name='fk_standing_instruction_recorded_by_id'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_standing_instruction_site_id'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name='fk_standing_instruction_unit_id'),
    sa.ForeignKeyConstraint(['voided_by_id'], ['operator.id'], name='fk_standing_instruction_voided_by_id'),
    sa.PrimaryKeyConstraint('id')
    )

    with op.batch_alter_table('standing_instruction', schema=None) as batch_op:
        batch_op.create_index('ix_standing_instruction_unit', ['site_id', 'unit_id', 'is_active'], unique=False)

    op.create_table('service_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('resident_id', sa.Integer(), nullable=True),
    sa.Column('contact_name', sa.String(length=64), nullable=False),
    sa.Column('contact_phone', sa.String(length=20), nullable=False),
    sa.Column('contact_phone_tail', sa.String(length=4), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=120), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('wish', sa.Text(), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('happened_text', sa.String(length=100), nullable=False),
    sa.Column('happened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('about', sa.String(length=120), nullable=False),
    sa.Column('collective_people', sa.Integer(), nullable=False),
    sa.Column('nature', sa.String(length=16), nullable=True),
    sa.Column('complaint_subject', sa.String(length=16), nullable=True),
    sa.Column('exposure', sa.String(length=8), nullable=False),
    sa.Column('needs_outside_help', sa.Boolean(), nullable=False),
    sa.Column('severity', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=16), nullable=True),
    sa.Column('assignee', sa.String(length=64), nullable=False),
    sa.Column('department_reply', sa.Text(), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('related_request_id', sa.Integer(), nullable=True),
    sa.Column('voided_reason', sa.String(length=500), nullable=False),
    sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pause_reason', sa.String(length=500), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reopen_count', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['owner_id'], ['operator.id'], name='fk_service_request_owner_id'),
    sa.ForeignKeyConstraint(['related_request_id'], ['service_request.id'], name='fk_service_request_related_request_id'),
    sa.ForeignKeyConstraint(['resident_id'], ['resident.id'], name='fk_service_request_resident_id'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_service_request_site_id'),
    sa.ForeignKeyConstraint(['unit_id'], ['unit.id'], name='fk_service_request_unit_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_id', 'number', name='uq_service_request_site_number')
    )

    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.create_index('ix_service_request_contact_name', ['site_id', 'contact_name'], unique=False)
        batch_op.create_index('ix_service_request_owner', ['site_id', 'owner_id', 'is_open'], unique=False)
        batch_op.create_index('ix_service_request_phone_tail', ['site_id', 'contact_phone_tail'], unique=False)
        batch_op.create_index('ix_service_request_queue', ['site_id', 'is_open', 'next_due_at'], unique=False)
        batch_op.create_index('ix_service_request_received', ['site_id', 'received_at'], unique=False)
        batch_op.create_index('ix_service_request_subject', ['site_id', 'complaint_subject', 'received_at'], unique=False)
        batch_op.create_index('ix_service_request_unit', ['site_id', 'unit_id', 'received_at'], unique=False)

    op.create_table('request_deadline',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('pending', sa.Boolean(), nullable=False),
    sa.Column('met_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('shifted_minutes', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name='fk_request_deadline_request_id'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_request_deadline_site_id'),
    sa.PrimaryKeyConstraint('id')
    )

    with op.batch_alter_table('request_deadline', schema=None) as batch_op:
        batch_op.create_index('ix_request_deadline_pending', ['site_id', 'pending', 'due_at'], unique=False)
        batch_op.create_index('ix_request_deadline_request', ['request_id', 'pending'], unique=False)

    op.create_table('request_escalation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=16), nullable=False),
    sa.Column('cause', sa.String(length=48), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['operator.id'], name='fk_request_escalation_acknowledged_by_id'),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name='fk_request_escalation_request_id'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_request_escalation_site_id'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('request_id', 'level', 'cause', name='uq_request_escalation_cause')
    )

    with op.batch_alter_table('request_escalation', schema=None) as batch_op:
        batch_op.create_index('ix_request_escalation_open', ['site_id', 'is_open', 'raised_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_escalation_request_id'), ['request_id'], unique=False)

    op.create_table('request_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=True),
    sa.Column('details', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], name='fk_request_event_operator_id'),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name='fk_request_event_request_id'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_request_event_site_id'),
    sa.PrimaryKeyConstraint('id')
    )

    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.create_index('ix_request_event_request', ['request_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_request_event_site_id'), ['site_id'], unique=False)

    op.create_table('revisit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result', sa.String(length=24), nullable=False),
    sa.Column('remarks', sa.String(length=1000), nullable=False),
    sa.Column('visited_by', sa.String(length=64), nullable=False),
    sa.Column('operator_id', sa.Integer(), nullable=True),
    sa.Column('resident_confirmed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['operator_id'], ['operator.id'], name='fk_revisit_operator_id'),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name='fk_revisit_request_id'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_revisit_site_id'),
    sa.PrimaryKeyConstraint('id')
    )

    with op.batch_alter_table('revisit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_revisit_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_revisit_site_id'), ['site_id'], unique=False)

    op.create_table('work_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('task', sa.String(length=500), nullable=False),
    sa.Column('location', sa.String(length=16), nullable=False),
    sa.Column('appointment_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('technician', sa.String(length=64), nullable=False),
    sa.Column('paid', sa.Boolean(), nullable=False),
    sa.Column('material_cost_fen', sa.Integer(), nullable=False),
    sa.Column('cost_agreed', sa.Boolean(), nullable=False),
    sa.Column('cost_agreed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('completion_result', sa.String(length=1000), nullable=False),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('confirmed_by', sa.String(length=64), nullable=False),
    sa.Column('rating', sa.Integer(), nullable=True),
    sa.Column('cancelled_reason', sa.String(length=500), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['operator.id'], name='fk_work_order_created_by_id'),
    sa.ForeignKeyConstraint(['request_id'], ['service_request.id'], name='fk_work_order_request_id'),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_work_order_site_id'),
    sa.PrimaryKeyConstraint('id')
    )

    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_work_order_request_id'), ['request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_order_site_id'), ['site_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('work_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_order_site_id'))
        batch_op.drop_index(batch_op.f('ix_work_order_request_id'))

    op.drop_table('work_order')

    with op.batch_alter_table('revisit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_revisit_site_id'))
        batch_op.drop_index(batch_op.f('ix_revisit_request_id'))

    op.drop_table('revisit')

    with op.batch_alter_table('request_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_event_site_id'))
        batch_op.drop_index('ix_request_event_request')

    op.drop_table('request_event')

    with op.batch_alter_table('request_escalation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_escalation_request_id'))
        batch_op.drop_index('ix_request_escalation_open')

    op.drop_table('request_escalation')

    with op.batch_alter_table('request_deadline', schema=None) as batch_op:
        batch_op.drop_index('ix_request_deadline_request')
        batch_op.drop_index('ix_request_deadline_pending')

    op.drop_table('request_deadline')

    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_index('ix_service_request_unit')
        batch_op.drop_index('ix_service_request_subject')
        batch_op.drop_index('ix_service_request_received')
        batch_op.drop_index('ix_service_request_queue')
        batch_op.drop_index('ix_service_request_phone_tail')
        batch_op.drop_index('ix_service_request_owner')
        batch_op.drop_index('ix_service_request_contact_name')

    op.drop_table('service_request')

    with op.batch_alter_table('standing_instruction', schema=None) as batch_op:
        batch_op.drop_index('ix_standing_instruction_unit')

    op.drop_table('standing_instruction')

    op.drop_table('request_counter')
