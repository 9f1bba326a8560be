"""search index: text of records as character pairs (FTS5 / tsvector)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00

The word index over ``search_text.pairs`` differs by database and is not in the
models (see deskapp/services/search.py):

- SQLite: an external-content FTS5 table ``search_fts`` (unicode61, diacritics
  kept, as LIKE keeps them) filled by triggers on ``search_text``.
- PostgreSQL: a stored generated column ``search_vector`` =
  ``to_tsvector('simple', pairs)`` with a GIN index. Built by to_tsvector, not by
  casting text to tsvector: a cast stores no positions and phrases find nothing.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = [
    "CREATE VIRTUAL TABLE search_fts USING fts5("
    "pairs, content='search_text', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE TRIGGER search_text_ai AFTER INSERT ON search_text BEGIN "
    "INSERT INTO search_fts(rowid, pairs) VALUES (new.id, new.pairs); END",
    "CREATE TRIGGER search_text_ad AFTER DELETE ON search_text BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, pairs) VALUES ('delete', old.id, old.pairs); END",
    "CREATE TRIGGER search_text_au AFTER UPDATE ON search_text BEGIN "
    "INSERT INTO search_fts(search_fts, rowid, pairs) VALUES ('delete', old.id, old.pairs); "
    "INSERT INTO search_fts(rowid, pairs) VALUES (new.id, new.pairs); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS search_text_au",
    "DROP TRIGGER IF EXISTS search_text_ad",
    "DROP TRIGGER IF EXISTS search_text_ai",
    "DROP TABLE IF EXISTS search_fts",
]
POSTGRESQL_UP = [
    "ALTER TABLE search_text ADD COLUMN search_vector tsvector "
    "GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, pairs)) STORED",
    "CREATE INDEX ix_search_text_search_vector ON search_text USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table('search_text',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('entity', sa.String(length=32), nullable=False),
    sa.Column('entity_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('pairs', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['site_id'], ['site.id'], name='fk_search_text_site_id_site'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('site_id', 'entity', 'entity_id', name='uq_search_text_record')
    )
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for statement in SQLITE_UP:
            op.execute(statement)
    elif dialect == 'postgresql':
        for statement in POSTGRESQL_UP:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        for statement in SQLITE_DOWN:
            op.execute(statement)
    # On PostgreSQL the generated column and its index go with the table.
    op.drop_table('search_text')
