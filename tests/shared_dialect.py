"""Each engine the tests open compiles its SQL once per worker, not once per test.

SQLAlchemy caches a statement's compiled SQL under a key that holds the engine's
dialect object, and every test opens an engine of its own (a desk of its own). So
every test compiled each statement it ran afresh: a quarter of the CPU time of the
services' tests (measured with cProfile on tests/services/requests/
test_requests_lifecycle.py: 7.2 s of 29 s in ``SQLCompiler.__init__``).

Here every engine ``deskapp.db.make_engine`` opens for the same database kind uses
one dialect, once that dialect has met its first connection (``initialize``: the
server's version and what it supports, the same for every database of a worker),
and one cache of compiled SQL. The ORM's own caches (the mappers', global already)
then hit too. Each engine keeps its own pool, connections and events, so each
test's database is still its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine.interfaces import Dialect
from sqlalchemy.util import LRUCache
from sqlmodel import create_engine

import deskapp.db

_DIALECTS: dict[tuple[str, str], Dialect] = {}
_COMPILED: dict[tuple[str, str], LRUCache[Any, Any]] = {}


def _initialized(dialect: Dialect) -> bool:
    """``Dialect.initialize`` has run: it reads the server's version first."""
    return getattr(dialect, "server_version_info", None) is not None


def _engine(*args: Any, **kwargs: Any) -> Engine:
    engine = create_engine(*args, **kwargs)
    kind = (engine.dialect.name, engine.dialect.driver)
    shared = _DIALECTS.get(kind)
    if shared is None or not _initialized(shared):
        # This engine's dialect is initialized at its first connection; the engines
        # opened after that share it.
        _DIALECTS[kind] = engine.dialect
        return engine
    engine.dialect = shared
    engine._compiled_cache = _COMPILED.setdefault(kind, LRUCache(2000))
    return engine


@contextmanager
def compiled_once_per_worker() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(deskapp.db, "create_engine", _engine)
        yield
    _DIALECTS.clear()
    _COMPILED.clear()
