"""Schema upgrades: backup first, newer refused, no child row lost in a table rebuild."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from deskapp import migrate
from deskapp.config import load_settings
from deskapp.db import make_engine, transaction
from deskapp.desk import Desk, open_desk
from deskapp.errors import StorageError
from deskapp.services import directory

REBUILD_UNIT = '''"""rebuild unit (test only)"""
import sqlalchemy as sa
from alembic import op

revision = "0002test"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unit", recreate="always") as batch:
        batch.add_column(sa.Column("note", sa.String(length=20), nullable=True))


def downgrade() -> None:
    pass
'''


def _sqlite_desk(tmp_path: Path) -> Desk:
    return open_desk(load_settings(data_dir=tmp_path, password_hash_profile="cheapest"))


def _with_residents(desk: Desk) -> None:
    with transaction(desk.engine) as session:
        for room in ("101", "102"):
            unit = directory.add_unit(
                session, site_id=desk.site_id, code=f"1-1-{room}", now=desk.clock.now(),
                actor=None,
            )
            directory.add_resident(
                session, site_id=desk.site_id, unit=unit, name=f"住户{room}", relation="owner",
                now=desk.clock.now(), actor=None,
            )


def test_rebuilding_a_parent_table_keeps_every_child_row_and_backs_up_first(
    tmp_path: Path,
) -> None:
    desk = _sqlite_desk(tmp_path / "data")
    _with_residents(desk)
    scripts = tmp_path / "migrations"
    shutil.copytree(Path(migrate.__file__).parent / "migrations", scripts)
    (scripts / "versions" / "0002_rebuild_unit.py").write_text(
        REBUILD_UNIT.format(head=migrate.head_revision())
    )
    backup = migrate.upgrade(desk.engine, script_location=str(scripts))
    with desk.engine.connect() as connection:
        residents = connection.execute(text("SELECT count(*) FROM resident")).scalar_one()
        columns = [row[1] for row in connection.exec_driver_sql("PRAGMA table_info(unit)")]
        foreign_keys = connection.exec_driver_sql("PRAGMA foreign_keys").scalar_one()
    assert residents == 2
    assert "note" in columns
    assert foreign_keys == 1
    assert backup is not None and backup.parent == tmp_path / "data"
    with sqlite3.connect(backup) as copy:
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
        assert copy.execute("SELECT count(*) FROM resident").fetchone() == (2,)


def test_a_current_database_is_not_backed_up_again(tmp_path: Path) -> None:
    desk = _sqlite_desk(tmp_path)
    assert migrate.schema_status(desk.engine).up_to_date
    assert migrate.upgrade(desk.engine) is None
    assert sorted(path.name for path in tmp_path.iterdir() if "before-upgrade" in path.name) == []


def test_a_database_from_a_newer_version_is_refused_and_left_alone(tmp_path: Path) -> None:
    desk = _sqlite_desk(tmp_path)
    with desk.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    desk.engine.dispose()
    with pytest.raises(StorageError, match="newer deskapp"):
        _sqlite_desk(tmp_path)
    with sqlite3.connect(tmp_path / "desk.db") as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchone() == (
            "9999",
        )


def test_sqlite_pragmas_read_back_as_set(tmp_path: Path) -> None:
    desk = _sqlite_desk(tmp_path)
    with desk.engine.connect() as connection:
        read = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar_one()
            for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
        }
    assert read == {"journal_mode": "wal", "foreign_keys": 1, "synchronous": 2,
                    "busy_timeout": 5000}


def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    (tmp_path / "desk.db").write_bytes(b"hello, this is not a database")
    with pytest.raises(StorageError, match="not a deskapp database"):
        make_engine(f"sqlite:///{tmp_path / 'desk.db'}")


def test_a_data_folder_that_cannot_be_created_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError, match="Cannot create the data folder"):
        make_engine(f"sqlite:///{blocker / 'data' / 'desk.db'}")


def test_an_unreachable_postgresql_server_is_one_clear_error() -> None:
    engine = make_engine("postgresql://nobody@127.0.0.1:1/none")
    with pytest.raises(StorageError, match="Cannot reach the PostgreSQL server"):
        migrate.upgrade(engine)
