"""Crash safety, on every run: desks writing at once lose nothing, and a writer killed in
the middle of its work leaves a whole database with every record it confirmed.

Each writer is a process of its own, as a desk is: it adds units through the service,
one transaction each, and prints a unit's code only once its transaction committed.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlmodel import col, select

from deskapp.db import reading, sqlite_path
from deskapp.desk import Desk
from deskapp.models import Unit
from deskapp.services import audit

ROOT = Path(__file__).resolve().parents[2]

WRITER = """
import sys
from deskapp.config import load_settings
from deskapp.db import transaction
from deskapp.desk import open_desk
from deskapp.services import directory
from deskapp.services.acting import Acting

data_dir, url, building, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
desk = open_desk(load_settings(data_dir=data_dir, database_url=url or None,
                               password_hash_profile="cheapest"))
for number in range(1, count + 1):
    code = f"{building}-1-{100 + number}"
    with transaction(desk.engine) as session:
        directory.add_unit(session, acting=Acting(desk.site_id), code=code,
                           now=desk.clock.now())
    print(code, flush=True)  # only after the commit: a confirmed record
"""


def _writer(desk: Desk, building: int, count: int) -> subprocess.Popen[str]:
    url = "" if sqlite_path(desk.engine) else desk.settings.effective_database_url
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(desk.settings.data_dir), url, str(building),
         str(count)],
        cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def _units(desk: Desk) -> set[str]:
    with reading(desk.engine) as session:
        return set(session.exec(select(Unit.code).where(col(Unit.site_id) == desk.site_id)))


def test_desks_writing_at_once_lose_no_row_and_leave_a_valid_chain(desk: Desk) -> None:
    writers = [_writer(desk, building, 25) for building in (1, 2, 3)]
    confirmed: set[str] = set()
    for process in writers:
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        confirmed |= set(out.split())
    assert len(confirmed) == 75
    assert _units(desk) == confirmed
    with reading(desk.engine) as session:
        result = audit.verify(session)
    assert result.ok, result.reason
    assert result.checked == 1 + 75  # the site, then one entry per unit


def test_a_writer_killed_mid_work_leaves_a_whole_database_with_all_it_confirmed(
        desk: Desk) -> None:
    process = _writer(desk, 4, 10_000)
    assert process.stdout is not None
    confirmed = [process.stdout.readline().strip() for _line in range(20)]
    process.send_signal(signal.SIGKILL)  # in the middle of a unit of work, most likely
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    confirmed += process.stdout.read().split()  # lines written before it died
    stored = _units(desk)
    assert set(confirmed) <= stored
    assert len(stored) - len(confirmed) <= 1  # at most the one committed as it was killed
    with reading(desk.engine) as session:
        result = audit.verify(session)
    assert result.ok, result.reason
    database = sqlite_path(desk.engine)
    if database is not None:
        with sqlite3.connect(database) as connection:
            assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        connection.close()


def test_the_desk_opens_again_after_a_killed_writer(desk: Desk) -> None:
    process = _writer(desk, 5, 10_000)
    assert process.stdout is not None
    process.stdout.readline()
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    follower = _writer(desk, 6, 3)  # the next desk to start, on the same database
    out, err = follower.communicate(timeout=60)
    assert follower.returncode == 0, err
    assert set(out.split()) == {"6-1-101", "6-1-102", "6-1-103"}
