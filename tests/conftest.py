"""Fixtures: a migrated desk on SQLite, and on PostgreSQL when
``DESKAPP_TEST_DATABASE_URL`` names one (each test then runs on both)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url, text
from sqlmodel import SQLModel

from deskapp import i18n
from deskapp.config import load_settings
from deskapp.db import make_engine
from deskapp.desk import Desk, open_desk
from deskapp.services import operators
from deskapp.services.clock import FixedClock
from tests import support
from tests.shared_dialect import compiled_once_per_worker
from tests.support import (  # noqa: F401 (fixtures)
    demo_desk,
    demo_report,
    homes_fixture,
    staff_fixture,
)


def _worker_database(url: str) -> str:
    """Under pytest-xdist each worker gets a database of its own (``<name>_gw0``...),
    created on first use: the fixtures drop and truncate what they use."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not url or not worker:
        return url
    parsed = make_url(url)
    name = f"{parsed.database}_{worker}"
    server = make_engine(parsed.set(database="postgres").render_as_string(hide_password=False))
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
        ).first()
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    server.dispose()
    return parsed.set(database=name).render_as_string(hide_password=False)


PG_URL = _worker_database(os.environ.get("DESKAPP_TEST_DATABASE_URL", ""))
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]
# Monday 2026-11-23 10:00 in Beijing: inside office hours, on a working day.
DESK_MORNING = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)

operators.configure_hashing("cheapest")


@pytest.fixture(scope="session", autouse=True)
def _compiled_once_per_worker() -> Iterator[None]:
    """The desks of a worker share their compiled SQL (``tests.shared_dialect``)."""
    with compiled_once_per_worker():
        yield


@pytest.fixture(autouse=True)
def _codes_drawn_from_a_seed() -> Iterator[None]:
    """Each test draws the same ticket codes on every run (snapshots show them); the
    desk itself draws from the system's secrets."""
    import random

    from deskapp.services import codes

    with codes.drawn_from(random.Random(20261202)):
        yield


@pytest.fixture(autouse=True)
def _english_by_default() -> Iterator[None]:
    i18n.set_language("en")
    yield
    i18n.set_language("en")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test instead of migrating again."""
    folder = tmp_path_factory.mktemp("template")
    open_desk(
        load_settings(data_dir=folder, password_hash_profile="cheapest"),
        clock=FixedClock(DESK_MORNING),
    ).engine.dispose()
    return folder / "desk.db"


@pytest.fixture(scope="session")
def pg_migrated() -> str:
    engine = make_engine(PG_URL)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    open_desk(
        load_settings(database_url=PG_URL, password_hash_profile="cheapest"),
        clock=FixedClock(DESK_MORNING),
    ).engine.dispose()
    return PG_URL


_PG_ENGINES: dict[str, Engine] = {}
"""One engine per PostgreSQL database emptied between tests, closed when the session ends."""


@pytest.fixture(scope="session", autouse=True)
def _close_pg_engines() -> Iterator[None]:
    yield
    for engine in _PG_ENGINES.values():
        engine.dispose()
    _PG_ENGINES.clear()


def _empty_pg(url: str) -> None:
    """Every row gone and every id counting from 1 again, as after a fresh migration.

    DELETE in foreign-key order and a restart of each sequence, in one transaction
    sent as one statement (one round trip): about 5 ms, where TRUNCATE ... RESTART
    IDENTITY CASCADE took 120 ms a test.
    """
    engine = _PG_ENGINES.get(url)
    if engine is None:
        engine = _PG_ENGINES[url] = make_engine(url)
    emptying = _PG_EMPTYING.get(url)
    if emptying is None:
        with engine.connect() as connection:
            sequences = connection.execute(text(
                "SELECT quote_ident(sequence_schema) || '.' || quote_ident(sequence_name) "
                "FROM information_schema.sequences WHERE sequence_schema = 'public'"
            )).scalars().all()
        emptying = _PG_EMPTYING[url] = "; ".join([
            *(f'DELETE FROM "{table.name}"' for table in reversed(SQLModel.metadata.sorted_tables)),
            *(f"ALTER SEQUENCE {name} RESTART" for name in sequences),
        ])
    with engine.begin() as connection:
        connection.exec_driver_sql(emptying)


_PG_EMPTYING: dict[str, str] = {}
"""The statements that empty a migrated database (its tables and sequences are fixed)."""


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(DESK_MORNING)


def open_empty_desk(backend: str, folder: Path, request: pytest.FixtureRequest,
                    clock: FixedClock) -> Desk:
    """A freshly migrated, empty desk (one site, no operators) in ``folder``: a copy of
    the SQLite template, or the worker's PostgreSQL database emptied. The ``desk``
    fixture's, and the module-wide desks of the scale tests (built once, only read)."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        shutil.copy(template, folder / "desk.db")
        settings = load_settings(data_dir=folder, password_hash_profile="cheapest")
    else:
        url = request.getfixturevalue("pg_migrated")
        _empty_pg(url)
        settings = load_settings(
            data_dir=folder, database_url=url, password_hash_profile="cheapest"
        )
    return open_desk(settings, clock=clock)


@pytest.fixture
def desk(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, clock: FixedClock
) -> Iterator[Desk]:
    """A freshly migrated, empty desk (one site, no operators) on each backend."""
    opened = open_empty_desk(backend, tmp_path, request, clock)
    yield opened
    opened.engine.dispose()


@pytest.fixture(scope="session")
def demo_sqlite(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
                ) -> support.SeededDemo:
    """The demo site seeded once per worker on SQLite; ``demo_desk`` copies its file."""
    return support.sqlite_demo(sqlite_template, tmp_path_factory.mktemp("demo"),
                               FixedClock(DESK_MORNING))


@pytest.fixture(scope="session")
def demo_postgresql(tmp_path_factory: pytest.TempPathFactory) -> support.SeededDemo:
    """The demo site seeded once per worker on PostgreSQL, kept as a template database."""
    return support.pg_demo(PG_URL, tmp_path_factory.mktemp("demo-pg"), FixedClock(DESK_MORNING))


#: The fixtures that need the worker's seeded demo (``demo_sqlite``, ``demo_postgresql``).
DEMO_FIXTURES = frozenset({"demo_desk", "demo_report", "demo_sqlite", "demo_postgresql"})


def _xdist_group(item: pytest.Item) -> str | None:
    """The group an item runs in, on one xdist worker and one after another, so that what
    its tests share is built once per run and engine, not once per worker or module visit:

    - the tests on the demo site (``demo-sqlite``, ``demo-postgresql``): the demo is
      seeded once per engine (5 s on SQLite, 10 s on PostgreSQL), and the two engines'
      halves may run on different workers;
    - a module whose tests share a module-scoped desk (the scale tests' 10,000 rows, 8 s
      to build on PostgreSQL): xdist's ``load`` hands a worker a few tests at a time, and
      each time a worker comes back to the module after another one, pytest has torn the
      module's fixture down and builds it again.
    """
    callspec = getattr(item, "callspec", None)
    params = callspec.params.values() if callspec is not None else ()
    # The engine, whichever fixture carries it (``backend``, or a module's own desk).
    backend = next((value for value in params if value in ("sqlite", "postgresql")), "any")
    if DEMO_FIXTURES.intersection(getattr(item, "fixturenames", ())):
        return f"demo-{backend}"
    info = getattr(item, "_fixtureinfo", None)
    definitions = info.name2fixturedefs.values() if info is not None else ()
    if any(defs and defs[-1].scope == "module" for defs in definitions):
        module = getattr(item, "module", None)
        return f"{getattr(module, '__name__', item.nodeid)}-{backend}"
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each item with its ``xdist_group`` (``--dist loadgroup`` in pyproject.toml).

    ``tryfirst``: xdist reads the ``xdist_group`` marks in its own hook of this name.
    """
    for item in items:
        group = _xdist_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))
