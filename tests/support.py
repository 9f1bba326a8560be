"""What the tests share: who works at the desk, the homes they serve, and the demo site.

One place for the builders, so every ledger's tests staff the desk the same way:

- ``make_staff`` / the ``staff`` fixture: the five roles (王芳 and 刘洋 operators, 赵敏
  supervisor, 陈杰 manager, 孙强 guard), PIN 1234, as the services tests use them;
- ``homes_fixture`` (``homes``): five units with their residents, for the requests ledger;
- ``make_unit`` and ``counts``: a unit by code; what a refused call must leave unchanged;
- ``staff_desk`` / the ``staffed`` fixture: the screens' desk (operators wang and li, the
  supervisor zhao, PIN 1234, and the residents of ``PEOPLE``), signed in by login;
- ``seeded_demo``: the whole demo site, seeded once per worker and copied for each test.

The old homes of these (``tests/services/custody/test_custody.py``,
``tests/services/requests/test_requests_support.py``, ``tests/screens/conftest.py``)
re-export them, so tests importing them from there keep working.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, event, make_url, text
from sqlmodel import func, select

from deskapp.config import load_settings
from deskapp.db import make_engine, reading, transaction
from deskapp.desk import Desk, open_desk
from deskapp.models import AuditEntry, Operator, Resident, Unit
from deskapp.models.custody import CustodyEvent, CustodyItem
from deskapp.services import demo, directory, operators
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from tests.prepared import by_ids, prepared

PIN = "1234"

# --- operators -------------------------------------------------------------------------


def add_operators(
    desk: Desk, people: Iterable[tuple[str, str, str]], *, secret: str = PIN
) -> dict[str, Operator]:
    """Operators (login, display name, role) added through the service, by login."""
    made: dict[str, Operator] = {}
    with transaction(desk.engine) as session:
        for login, name, role in people:
            made[login] = operators.add_operator(
                session, acting=Acting(desk.site_id), login=login, display_name=name, role=role,
                secret=secret, now=desk.clock.now(),
            )
    return made


@dataclass(frozen=True)
class Staff:
    """One operator of each role, and a second operator (``colleague``)."""

    operator: Operator
    colleague: Operator
    supervisor: Operator
    manager: Operator
    guard: Operator

    @property
    def operator2(self) -> Operator:
        """The custody tests' name for ``colleague``."""
        return self.colleague


STAFF = (
    ("wangfang", "王芳", "operator"),
    ("liuyang", "刘洋", "operator"),
    ("zhaomin", "赵敏", "supervisor"),
    ("chenjie", "陈杰", "manager"),
    ("sunqiang", "孙强", "guard"),
)


def make_staff(desk: Desk) -> Staff:
    made = add_operators(desk, STAFF)
    return Staff(*(made[login] for login, _name, _role in STAFF))


@pytest.fixture(name="staff")
def staff_fixture(desk: Desk) -> Staff:
    return prepared(
        desk, "staff", make_staff,
        lambda staff: [person.id for person in (staff.operator, staff.colleague,
                                                staff.supervisor, staff.manager, staff.guard)],
        lambda desk, ids: Staff(*by_ids(desk, Operator, ids)))


# --- homes -----------------------------------------------------------------------------


def make_unit(desk: Desk, code: str = "3-2-1201") -> None:
    with transaction(desk.engine) as session:
        if directory.find_unit(session, acting=Acting(desk.site_id), code=code) is None:
            directory.add_unit(session, acting=Acting(desk.site_id), code=code,
                               now=desk.clock.now())


@dataclass
class Homes:
    """Units with residents: 3-2-1201 (张伟 13812345678, 李娜), 3-2-1202 (王芳), 1-1-101 (赵强),
    2-1-301 (陈杰), 2-1-302 (no one)."""

    a: Unit
    b: Unit
    c: Unit
    d: Unit
    empty: Unit
    zhang: Resident
    li: Resident
    wang: Resident
    zhao: Resident
    chen: Resident


@pytest.fixture(name="homes")
def homes_fixture(desk: Desk) -> Homes:
    return prepared(
        desk, "homes", make_homes,
        lambda homes: [getattr(homes, name).id for name in HOMES_UNITS + HOMES_RESIDENTS],
        lambda desk, ids: Homes(*by_ids(desk, Unit, ids[:len(HOMES_UNITS)]),
                                *by_ids(desk, Resident, ids[len(HOMES_UNITS):])))


HOMES_UNITS = ("a", "b", "c", "d", "empty")
HOMES_RESIDENTS = ("zhang", "li", "wang", "zhao", "chen")


def make_homes(desk: Desk) -> Homes:
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        def unit(code: str) -> Unit:
            return directory.add_unit(session, acting=Acting(desk.site_id), code=code, now=now)

        def person(u: Unit, name: str, phone: str) -> Resident:
            return directory.add_resident(session, acting=Acting(desk.site_id), unit=u, name=name,
                                          relation="owner", phone=phone, now=now)

        a, b, c, d, empty = (unit(code) for code in
                             ("3-2-1201", "3-2-1202", "1-1-101", "2-1-301", "2-1-302"))
        return Homes(a, b, c, d, empty,
                     person(a, "张伟", "13812345678"), person(a, "李娜", "13900001111"),
                     person(b, "王芳", "13700002222"), person(c, "赵强", "15000003333"),
                     person(d, "陈杰", "18600004444"))


def counts(desk: Desk) -> tuple[int, int, int]:
    """Items, events and audit entries: what a refused call must leave unchanged."""
    with reading(desk.engine) as session:
        return (
            int(session.exec(select(func.count()).select_from(CustodyItem)).one()),
            int(session.exec(select(func.count()).select_from(CustodyEvent)).one()),
            int(session.exec(select(func.count()).select_from(AuditEntry)).one()),
        )


# --- the screens' desk -------------------------------------------------------------------

DESK_STAFF = (
    ("wang", "王芳", "operator"),
    ("li", "李娜", "operator"),
    ("zhao", "赵主管", "supervisor"),
)
PEOPLE = (
    ("1-1-101", "王芳", "owner", "13812345678"),
    ("1-1-102", "李明", "tenant", "13987654321"),
    ("3-2-1201", "张伟", "owner", "15011112222"),
    ("3-2-1201", "张小红", "household", ""),
)


def staff_desk(desk: Desk) -> Desk:
    """The desk the screen tests drive: operators wang, li and zhao, and ``PEOPLE``."""
    add_operators(desk, DESK_STAFF)
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        for code, name, relation, phone in PEOPLE:
            unit = directory.find_unit(session, acting=Acting(desk.site_id), code=code)
            if unit is None:
                unit = directory.add_unit(
                    session, acting=Acting(desk.site_id), code=code, now=now
                )
            directory.add_resident(
                session, acting=Acting(desk.site_id), unit=unit, name=name, relation=relation,
                phone=phone, now=now,
            )
    return desk


# --- the demo site -------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededDemo:
    """The demo seeded once per worker (at ``DESK_MORNING``, seed 2026): its report, and
    how to lay a copy of it under a test's desk."""

    report: demo.DemoReport
    sqlite_file: Path | None = None
    pg_template: str | None = None
    pg_url: str = ""


def seed_demo_into(desk: Desk) -> demo.DemoReport:
    with transaction(desk.engine) as session:
        return demo.seed_demo(session, acting=Acting(desk.site_id), now=desk.clock.now(),
                              rng_seed=2026)


def sqlite_demo(template: Path, folder: Path, morning: FixedClock) -> SeededDemo:
    shutil.copy(template, folder / "desk.db")
    desk = open_desk(load_settings(data_dir=folder, password_hash_profile="cheapest"),
                     clock=morning)
    report = seed_demo_into(desk)
    desk.engine.dispose()
    return SeededDemo(report=report, sqlite_file=folder / "desk.db")


def _renamed(url: str, database: str) -> str:
    return make_url(url).set(database=database).render_as_string(hide_password=False)


def _run_on_server(url: str, statements: list[str]) -> None:
    server = make_engine(_renamed(url, "postgres"))
    with server.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for statement in statements:
            connection.execute(text(statement))
    server.dispose()


def _fresh_copy(url: str, name: str, *, template: str | None = None) -> str:
    """``name`` on the server of ``url``, dropped and created again (from ``template``)."""
    _run_on_server(url, [
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)',
        f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""),
    ])
    return _renamed(url, name)


def pg_demo(url: str, folder: Path, morning: FixedClock) -> SeededDemo:
    """The demo seeded into a database of its own (``<worker database>_demo``), migrated
    first; each test's copy is created from it (CREATE DATABASE … TEMPLATE), so nobody
    else may connect to it."""
    name = f"{make_url(url).database}_demo"
    demo_url = _fresh_copy(url, name)
    desk = open_desk(load_settings(data_dir=folder, database_url=demo_url,
                                   password_hash_profile="cheapest"), clock=morning)
    report = seed_demo_into(desk)
    desk.engine.dispose()
    return SeededDemo(report=report, pg_template=name, pg_url=url)


@pytest.fixture
def demo_desk(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest, clock: FixedClock
) -> Iterator[Desk]:
    """A desk holding the whole demo site, as ``seed_demo`` leaves it at the desk's
    morning: copied from the worker's seeded demo instead of seeding again (3–7 s)."""
    seeded: SeededDemo = request.getfixturevalue(f"demo_{backend}")
    if seeded.sqlite_file is not None:
        shutil.copy(seeded.sqlite_file, tmp_path / "desk.db")
        settings = load_settings(data_dir=tmp_path, password_hash_profile="cheapest")
    else:
        assert seeded.pg_template is not None
        copy_url = _fresh_copy(seeded.pg_url, f"{seeded.pg_template}_copy",
                               template=seeded.pg_template)
        settings = load_settings(data_dir=tmp_path, database_url=copy_url,
                                 password_hash_profile="cheapest")
    opened = open_desk(settings, clock=clock)
    yield opened
    opened.engine.dispose()


@pytest.fixture
def demo_report(backend: str, request: pytest.FixtureRequest) -> demo.DemoReport:
    """What seeding ``demo_desk``'s demo reported (a copy: a test may not change it)."""
    seeded: SeededDemo = request.getfixturevalue(f"demo_{backend}")
    return copy.deepcopy(seeded.report)


# --- what a call sends to the database -------------------------------------------------


@contextmanager
def statements_sent(engine: Engine) -> Iterator[list[str]]:
    """The SQL ``engine`` sends while the block runs, whitespace collapsed to one space
    (the scale tests hold list calls to a LIMIT and lookups to their own query)."""
    sent: list[str] = []

    def record(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        sent.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)
