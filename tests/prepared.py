"""States of a desk built once per worker and laid under each later test's desk.

The ``staff`` and ``homes`` fixtures build through the services (``add_operator``,
``add_unit``, ``add_resident``), audited like any change: about 90 ms a test on
PostgreSQL and 30 ms on SQLite, before the test has done anything of its own. On a
worker, the first test that asks for one builds it, and the database is then copied:

- SQLite: the whole file, through SQLite's backup API, into memory;
- PostgreSQL: each table that holds rows (``COPY … TO STDOUT`` in the binary format)
  and every sequence's position.

A later test whose desk is in the same state gets the copy laid under its desk (one
statement on PostgreSQL that empties the tables, then one COPY per table), and the
objects the fixture returns are read back by their ids. "The same state" is the same
audit head, the same clock and the same builder: every change is audited, and the
chain's hash covers every entry before it, so a desk that anything else has written to
has another head and builds for itself.

What is copied is what the services wrote the first time, so the tests see the rows
they would have built; the builders' own behaviour is tested where it belongs
(``tests/services/test_operators.py``, ``test_directory.py``).
"""

from __future__ import annotations

import io
import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Engine, text
from sqlmodel import SQLModel, select

from deskapp.db import reading
from deskapp.desk import Desk
from deskapp.models import AuditHead

T = TypeVar("T")


@dataclass(frozen=True)
class _Copy:
    """A desk's database as one builder left it, and the ids of what it returned."""

    ids: Any
    sqlite: sqlite3.Connection | None = None
    tables: tuple[tuple[str, bytes], ...] = ()
    sequences: tuple[tuple[str, int, bool], ...] = ()


_COPIES: dict[tuple[str, str, str, str], _Copy] = {}


def prepared(desk: Desk, name: str, build: Callable[[Desk], T],
             ids_of: Callable[[T], Any], read_back: Callable[[Desk, Any], T]) -> T:
    """``build(desk)``, or the copy of what it built on this worker from the same state.

    ``ids_of`` names what ``build`` returned by ids (kept with the copy), and
    ``read_back`` reads the same objects from a desk the copy was laid under.
    """
    engine = desk.engine
    key = (engine.dialect.name, _head(desk), desk.clock.now().isoformat(), name)
    kept = _COPIES.get(key)
    if kept is not None:
        _lay(engine, kept)
        return read_back(desk, kept.ids)
    built = build(desk)
    _COPIES[key] = _take(engine, ids_of(built))
    return built


def _head(desk: Desk) -> str:
    with reading(desk.engine) as session:
        head = session.exec(select(AuditHead).where(AuditHead.id == 1)).first()
    return "" if head is None else f"{head.seq}:{head.last_hash}"


def _take(engine: Engine, ids: Any) -> _Copy:
    if engine.dialect.name == "sqlite":
        memory = sqlite3.connect(":memory:", check_same_thread=False)
        with engine.connect() as connection:
            source = connection.connection.driver_connection
            assert isinstance(source, sqlite3.Connection)
            source.backup(memory)
        return _Copy(ids=ids, sqlite=memory)
    tables: list[tuple[str, bytes]] = []
    with engine.connect() as connection:
        cursor = connection.connection.driver_connection.cursor()
        for table in SQLModel.metadata.sorted_tables:
            cursor.execute(f'SELECT EXISTS (SELECT 1 FROM "{table.name}")')
            if not cursor.fetchone()[0]:
                continue
            data = io.BytesIO()
            with cursor.copy(f'COPY "{table.name}" TO STDOUT (FORMAT binary)') as copy:
                for block in copy:
                    data.write(block)
            tables.append((table.name, data.getvalue()))
        names = connection.execute(text(
            "SELECT quote_ident(sequence_schema) || '.' || quote_ident(sequence_name) "
            "FROM information_schema.sequences WHERE sequence_schema = 'public'"
        )).scalars().all()
        sequences = []
        for sequence in names:
            last, called = connection.execute(
                text(f"SELECT last_value, is_called FROM {sequence}")).one()
            sequences.append((sequence, int(last), bool(called)))
        connection.rollback()
    return _Copy(ids=ids, tables=tuple(tables), sequences=tuple(sequences))


def _lay(engine: Engine, kept: _Copy) -> None:
    if kept.sqlite is not None:
        with engine.connect() as connection:
            target = connection.connection.driver_connection
            assert isinstance(target, sqlite3.Connection)
            kept.sqlite.backup(target)
        return
    # Only the tables the copy holds rows of: the desk is in the state the copy was
    # built from, and a builder only adds (nothing is deleted in a ledger), so no other
    # table holds a row.
    emptying = "; ".join([
        *(f'DELETE FROM "{name}"' for name, _data in reversed(kept.tables)),
        *(f"SELECT setval('{name}', {last}, {'true' if called else 'false'})"
          for name, last, called in kept.sequences),
    ])
    with engine.begin() as connection:
        connection.exec_driver_sql(emptying)
        cursor = connection.connection.driver_connection.cursor()
        for name, data in kept.tables:
            with cursor.copy(f'COPY "{name}" FROM STDIN (FORMAT binary)') as copy:
                copy.write(data)


def by_ids(desk: Desk, model: type[Any], ids: Sequence[int]) -> list[Any]:
    """Rows of ``model`` by id, in the order of ``ids``."""
    with reading(desk.engine) as session:
        rows = {row.id: row for row in session.exec(
            select(model).where(model.id.in_(ids)))}  # type: ignore[attr-defined]
    return [rows[i] for i in ids]
