"""indexes for the dashboard's counts: reviews, refused items, the day's slips and audit

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 10:00:00

``desk_summary`` runs on every dashboard refresh. At a million requests four of its
counts read whole tables or their site's whole index (``benchmarks/decade.py``):

- sealed handovers not reviewed: every handover of the site, sorted;
- refused handover items not settled: every handover, then every item;
- slips issued today: every filed slip, each one's ``issued_at`` read from its row;
- today's audit entries: through ``at``, each entry's site read from its row.

With these each count reads only its own entries, from the index alone where it
can (the audit and the slips' counts).
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_handover_unreviewed', 'handover',
                    ['site_id', 'reviewed_at', 'state', 'sealed_at'], unique=False)
    op.create_index('ix_handover_item_decision', 'handover_item',
                    ['decision', 'settled_at', 'decided_at'], unique=False)
    op.create_index('ix_release_slip_issued', 'release_slip',
                    ['site_id', 'issued_at', 'status'], unique=False)
    op.create_index('ix_audit_entry_at_site', 'audit_entry', ['at', 'site_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_audit_entry_at_site', table_name='audit_entry')
    op.drop_index('ix_release_slip_issued', table_name='release_slip')
    op.drop_index('ix_handover_item_decision', table_name='handover_item')
    op.drop_index('ix_handover_unreviewed', table_name='handover')
