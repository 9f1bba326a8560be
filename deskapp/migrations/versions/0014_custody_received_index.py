"""a ledger's whole custody list, newest first, read from an index

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 13:00:00

Storage history and lost and found's "all" list every item of their ledger, newest
first. Through ``ix_custody_item_list`` (site, ledger, status, received_at) SQLite
fetched and sorted the whole ledger for each page: 40 / 250 ms p50 / p95 at 6,000
stored items (``benchmarks/decade.py --rows 200000``), growing with the ledger. With
(site, ledger, received_at) the page comes in order from the index: 2 ms on a copy.
"""
from collections.abc import Sequence

from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_custody_item_received', 'custody_item',
                    ['site_id', 'ledger', 'received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_custody_item_received', table_name='custody_item')
