"""A normal start: the schema checked with one query and no alembic imported; the
planner's statistics gathered after a migration and on opening a desk that has none."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from deskapp import migrate
from deskapp.config import load_settings
from deskapp.db import STALE_MIN_ROWS, ensure_statistics, make_engine, refresh_statistics
from deskapp.desk import Desk, open_desk
from deskapp.services.clock import FixedClock

START = """
import json, sys, time
from deskapp.config import load_settings
from deskapp.desk import open_desk
desk = open_desk(load_settings(data_dir=sys.argv[1], password_hash_profile="cheapest"))
print(json.dumps({"alembic": "alembic" in sys.modules, "mako": "mako" in sys.modules,
                  "backup": str(desk.backup_written)}))
"""


def _start(folder: Path) -> dict[str, object]:
    result = subprocess.run([sys.executable, "-c", START, str(folder)],
                            capture_output=True, text=True, check=True, timeout=120)
    loaded: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_the_file_names_say_the_revisions_alembic_knows() -> None:
    """``shipped_head`` reads the versions folder; alembic reads the files' contents."""
    scripts = migrate._scripts()
    known = sorted(revision.revision for revision in scripts.walk_revisions())
    assert list(migrate.shipped_revisions()) == known
    assert migrate.shipped_head() == migrate.head_revision() == scripts.get_current_head()


def test_a_current_database_opens_without_importing_alembic(
        sqlite_template: Path, tmp_path: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "desk.db")
    started = _start(tmp_path)
    assert started == {"alembic": False, "mako": False, "backup": "None"}


def test_an_older_database_still_goes_through_alembic_with_a_backup(
        sqlite_template: Path, tmp_path: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "desk.db")
    previous = migrate.shipped_revisions()[-2]
    with sqlite3.connect(tmp_path / "desk.db") as connection:
        # Stamped one revision back (the head's changes stay: this is about the path taken).
        connection.execute("UPDATE alembic_version SET version_num = ?", (previous,))
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    try:
        assert migrate.stamped_revision(engine) == previous
        status = migrate.schema_status(engine)
        assert (status.current, status.up_to_date, status.known) == (previous, False, True)
    finally:
        engine.dispose()


def test_a_newer_database_is_refused_by_the_slow_path_as_before(
        sqlite_template: Path, tmp_path: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "desk.db")
    with sqlite3.connect(tmp_path / "desk.db") as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    result = subprocess.run([sys.executable, "-c", START, str(tmp_path)],
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode != 0
    assert "newer deskapp" in result.stderr


def test_no_table_of_versions_reads_as_none_and_alembic_decides(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        assert migrate.stamped_revision(engine) is None
        assert migrate.schema_status(engine).empty
    finally:
        engine.dispose()


# --- the planner's statistics --------------------------------------------------------


def _statistics(desk: Desk) -> dict[str, str]:
    with desk.engine.connect() as connection:
        return {str(table): str(stat) for table, stat in connection.execute(
            text("SELECT tbl, stat FROM sqlite_stat1 WHERE idx IS NULL OR idx LIKE 'ix_%'"))}


def test_a_migration_leaves_statistics_behind(desk: Desk, backend: str) -> None:
    refresh_statistics(desk.engine)  # what ``migrate.upgrade`` runs after the migrations
    with desk.engine.connect() as connection:
        if backend == "sqlite":
            assert connection.execute(text(
                "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'")).scalar() == 1
        else:
            analysed = connection.execute(text(
                "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables"
                " WHERE relname = 'service_request'")).scalar()
            assert analysed


@pytest.fixture
def grown_desk(sqlite_template: Path, tmp_path: Path, clock: FixedClock) -> Desk:
    """A desk whose unit table was filled by a bulk insert after its last statistics."""
    shutil.copy(sqlite_template, tmp_path / "desk.db")
    with sqlite3.connect(tmp_path / "desk.db") as connection:
        connection.execute("INSERT INTO site (code, name, is_demo, created_at)"
                           " VALUES ('bulk', 'bulk', 0, '2026-11-23 02:00:00')")
        site_id = connection.execute("SELECT id FROM site WHERE code = 'bulk'").fetchone()[0]
        connection.executemany(
            "INSERT INTO unit (site_id, code, building, entrance, room, created_at, version)"
            " VALUES (?, ?, '1', '1', ?, '2026-11-23 02:00:00', 1)",
            [(site_id, f"1-1-{room}", str(room)) for room in range(STALE_MIN_ROWS * 2)])
        connection.execute("DELETE FROM sqlite_stat1 WHERE tbl = 'unit'")
    return open_desk(load_settings(data_dir=tmp_path, site_code="bulk",
                                   password_hash_profile="cheapest"), clock=clock)


def test_opening_a_desk_analyses_a_table_grown_without_statistics(grown_desk: Desk) -> None:
    try:
        # An estimate (``ANALYSIS_LIMIT`` rows read per index), of the right size.
        assert int(_statistics(grown_desk)["unit"].split()[0]) > STALE_MIN_ROWS
        assert ensure_statistics(grown_desk.engine) == []  # done once, not at every start
    finally:
        grown_desk.engine.dispose()


def test_statistics_never_wait_for_a_busy_database(
        sqlite_template: Path, tmp_path: Path) -> None:
    shutil.copy(sqlite_template, tmp_path / "desk.db")
    with sqlite3.connect(tmp_path / "desk.db") as connection:
        connection.execute("DELETE FROM sqlite_stat1")
        connection.executemany(
            "INSERT INTO site (code, name, is_demo, created_at) VALUES (?, ?, 0, '2026-11-23')",
            [(f"s{number}", f"s{number}") for number in range(STALE_MIN_ROWS + 1)])
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    other = sqlite3.connect(tmp_path / "desk.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        assert ensure_statistics(engine) == []  # at once: the next start will do it
    finally:
        other.execute("ROLLBACK")
        other.close()
    try:
        assert ensure_statistics(engine) == ["site"]
    finally:
        engine.dispose()
