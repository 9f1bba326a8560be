"""Alembic environment, run from deskapp.migrate with no alembic.ini.

On SQLite, foreign keys are switched off around the migration: a batch
migration rebuilds a table by dropping it, and with foreign keys on that
silently deletes every child row through ON DELETE CASCADE. After the
migration ``PRAGMA foreign_key_check`` must report nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context
from sqlmodel import SQLModel

import deskapp.models  # noqa: F401  (registers every table)

config = context.config
target_metadata = SQLModel.metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> Any:
    """Write plain SQLAlchemy types instead of sqlmodel's, so versions need no sqlmodel."""
    if type_ == "type":
        name = type(obj).__name__
        if name == "AutoString":
            length = getattr(obj, "length", None)
            return f"sa.String(length={length})" if length else "sa.String()"
        if name == "UTCDateTime":
            return "sa.DateTime(timezone=True)"
    return False


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.connect() as new_connection:
            _run(new_connection)
    else:
        _run(connection)


def _driver(connection: sa.Connection) -> Any:
    driver = connection.connection.driver_connection
    assert driver is not None
    return driver



def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave out what the search seam keeps beside the models (0002): the FTS5 tables on
    SQLite and the generated ``search_vector`` column on PostgreSQL, or autogenerate
    would propose dropping them."""
    if type_ == "table" and name is not None and name.startswith("search_fts"):
        return False
    if type_ == "index" and name == "ix_search_text_search_vector":
        return False
    return not (type_ == "column" and name == "search_vector")

def _run(connection: sa.Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Outside any transaction (the pragma is ignored inside one): on the driver
        # connection, before SQLAlchemy's begin event sends BEGIN.
        if connection.in_transaction():
            connection.commit()
        _driver(connection).execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        render_item=render_item,
        include_name=include_name,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if connection.in_transaction():
            connection.commit()
        _driver(connection).execute("PRAGMA foreign_keys=ON")
        if problems:
            raise RuntimeError(f"Migration left rows with broken foreign keys: {problems[:5]}")


run_migrations_online()
