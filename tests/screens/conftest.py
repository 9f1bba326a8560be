"""A staffed desk for driving screens: two operators, a supervisor, a few units."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deskapp import i18n
from deskapp.config import load_settings
from deskapp.db import transaction
from deskapp.desk import Desk, open_desk
from deskapp.services import directory, operators
from deskapp.services.clock import FixedClock
from tests.conftest import DESK_MORNING

PEOPLE = (
    ("1-1-101", "王芳", "owner", "13812345678"),
    ("1-1-102", "李明", "tenant", "13987654321"),
    ("3-2-1201", "张伟", "owner", "15011112222"),
    ("3-2-1201", "张小红", "household", ""),
)


def staff(desk: Desk) -> Desk:
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        for login, name, role in (
            ("wang", "王芳", "operator"),
            ("li", "李娜", "operator"),
            ("zhao", "赵主管", "supervisor"),
        ):
            operators.add_operator(
                session, site_id=desk.site_id, login=login, display_name=name, role=role,
                secret="1234", now=now, actor=None,
            )
        units: dict[str, object] = {}
        for code, name, relation, phone in PEOPLE:
            unit = directory.find_unit(session, site_id=desk.site_id, code=code)
            if unit is None:
                unit = directory.add_unit(
                    session, site_id=desk.site_id, code=code, now=now, actor=None
                )
            units[code] = unit
            directory.add_resident(
                session, site_id=desk.site_id, unit=unit, name=name, relation=relation,
                phone=phone, now=now, actor=None,
            )
    return desk


@pytest.fixture
def staffed(desk: Desk) -> Desk:
    return staff(desk)


@pytest.fixture
def snapshot_desk(sqlite_template: Path, tmp_path: Path) -> Iterator[Desk]:
    """SQLite only and a fixed clock, so a snapshot is the same on every machine."""
    import shutil

    shutil.copy(sqlite_template, tmp_path / "desk.db")
    settings = load_settings(data_dir=tmp_path, password_hash_profile="cheapest")
    desk = open_desk(settings, clock=FixedClock(DESK_MORNING))
    yield staff(desk)
    desk.engine.dispose()
    i18n.set_language("en")
