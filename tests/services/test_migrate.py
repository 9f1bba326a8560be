"""Opening and upgrading the database: a backup first, a newer schema refused, no row lost."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

import deskapp.migrations
from deskapp import migrate
from deskapp.config import load_settings
from deskapp.db import is_sqlite, make_engine, sqlite_path, transaction
from deskapp.desk import Desk, open_desk
from deskapp.errors import StorageError
from deskapp.services import directory
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock

REAL_VERSIONS = Path(deskapp.migrations.__file__).parent / "versions"

# A later schema version that rebuilds the parent table ``unit`` (SQLite batch mode:
# create a copy, copy the rows, DROP the old table, rename) while residents point at it.
REBUILD_UNIT = '''"""rebuild unit with a note column (test only)"""
import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = "{down_revision}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unit", recreate="always") as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("unit", recreate="always") as batch_op:
        batch_op.drop_column("note")
'''

PEOPLE = {
    "3-2-1201": ["王建国", "王丽"],
    "3-2-1202": ["李明"],
    "12-1-301": ["张伟", "张小红", "张小兵"],
}


@pytest.fixture
def sqlite_desk(
    sqlite_template: Path, tmp_path: Path, clock: FixedClock
) -> Iterator[Desk]:
    """A migrated SQLite desk in its own data folder, for tests about the SQLite file."""
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(sqlite_template, folder / "desk.db")
    desk = open_desk(load_settings(data_dir=folder, password_hash_profile="cheapest"), clock=clock)
    yield desk
    desk.engine.dispose()


@pytest.fixture
def next_revision(sqlite_desk: Desk, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Once ``sqlite_desk`` is at today's head, make the migrations end with REBUILD_UNIT."""
    current_head = migrate.head_revision()
    extra = tmp_path / "extra_versions"
    extra.mkdir()
    revision = "9000test"
    (extra / f"{revision}_rebuild_unit.py").write_text(
        REBUILD_UNIT.format(revision=revision, down_revision=current_head), encoding="utf-8"
    )

    def with_extra_versions(make: Callable[..., Config]) -> Callable[..., Config]:
        def wrapped(*args: Any, **kwargs: Any) -> Config:
            config = make(*args, **kwargs)
            config.set_main_option("path_separator", "os")
            config.set_main_option("version_locations", os.pathsep.join([str(REAL_VERSIONS),
                                                                         str(extra)]))
            return config

        return wrapped

    monkeypatch.setattr(migrate, "alembic_config", with_extra_versions(migrate.alembic_config))
    monkeypatch.setattr(
        migrate, "_script_only_config", with_extra_versions(migrate._script_only_config)
    )
    # The shipped migrations are read once per process: read them afresh, with the extra.
    monkeypatch.setattr(migrate, "_scripts", migrate._scripts.__wrapped__)
    # A start compares the database with the versions folder's newest file, not alembic's.
    monkeypatch.setattr(migrate, "shipped_head", lambda: revision)
    assert migrate.head_revision() == revision
    return revision


def _add_people(desk: Desk) -> None:
    with transaction(desk.engine) as session:
        for code, names in PEOPLE.items():
            unit = directory.add_unit(
                session, acting=Acting(desk.site_id), code=code, now=desk.clock.now()
            )
            for name in names:
                directory.add_resident(
                    session, acting=Acting(desk.site_id), unit=unit, name=name, relation="owner",
                    now=desk.clock.now(),
                )


def _people(connection: sa.Connection | sqlite3.Connection) -> list[tuple[int, str, str]]:
    """Every resident as (id, name, unit code): a lost or re-pointed row shows here."""
    query = (
        "SELECT resident.id, resident.name, unit.code FROM resident "
        "LEFT JOIN unit ON unit.id = resident.unit_id ORDER BY resident.id"
    )
    if isinstance(connection, sqlite3.Connection):
        rows = connection.execute(query).fetchall()
    else:
        rows = connection.exec_driver_sql(query).fetchall()
    return [(int(row[0]), str(row[1]), str(row[2])) for row in rows]


def _expected_people() -> list[tuple[str, str]]:
    return [(name, code) for code, names in PEOPLE.items() for name in names]


def _columns(connection: sa.Connection, table: str) -> list[str]:
    return [row[1] for row in connection.exec_driver_sql(f"PRAGMA table_info({table})")]


def _version(engine: Engine) -> str:
    with engine.connect() as connection:
        return str(connection.execute(text("SELECT version_num FROM alembic_version")).scalar())


def _file_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- the schema version -------------------------------------------------------------------


def test_a_freshly_opened_database_is_up_to_date(desk: Desk) -> None:
    status = migrate.schema_status(desk.engine)
    assert status.up_to_date
    assert status.known and not status.empty
    assert status.current == migrate.head_revision() == _version(desk.engine)


def test_upgrading_a_current_database_does_nothing_and_writes_no_backup(desk: Desk) -> None:
    before = sorted(path.name for path in desk.settings.data_dir.iterdir())
    assert migrate.upgrade(desk.engine, now=desk.clock.now()) is None
    assert desk.backup_written is None
    after = sorted(path.name for path in desk.settings.data_dir.iterdir())
    assert after == before
    assert not [name for name in after if "before-upgrade" in name]


def test_a_new_database_is_created_without_a_backup(tmp_path: Path, clock: FixedClock) -> None:
    desk = open_desk(load_settings(data_dir=tmp_path, password_hash_profile="cheapest"),
                     clock=clock)
    try:
        assert desk.backup_written is None
        assert migrate.schema_status(desk.engine).up_to_date
        assert not [path for path in tmp_path.iterdir() if "before-upgrade" in path.name]
    finally:
        desk.engine.dispose()


def test_a_database_from_a_newer_deskapp_is_refused_and_left_untouched(
    desk: Desk, backend: str
) -> None:
    head = migrate.head_revision()
    _add_people(desk)
    with desk.engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    try:
        desk.engine.dispose()
        database = sqlite_path(desk.engine) if backend == "sqlite" else None
        digest = _file_digest(database) if database else ""
        status = migrate.schema_status(desk.engine)
        assert (status.current, status.known, status.up_to_date) == ("9999", False, False)
        with pytest.raises(StorageError) as refusal:
            migrate.upgrade(desk.engine, now=desk.clock.now())
        assert "newer" in refusal.value.message
        assert "9999" in refusal.value.message
        with pytest.raises(StorageError, match="newer"):
            open_desk(desk.settings, clock=desk.clock)
        with pytest.raises(StorageError, match="newer deskapp") as read_only:
            open_desk(desk.settings, clock=desk.clock, upgrade=False)  # audit verify's way
        assert "db upgrade" not in read_only.value.message  # which would refuse it too
        assert _version(desk.engine) == "9999"
        with desk.engine.connect() as connection:
            assert len(_people(connection)) == len(_expected_people())
        desk.engine.dispose()
        if database:
            assert _file_digest(database) == digest
            assert not [p for p in database.parent.iterdir() if "before-upgrade" in p.name]
    finally:
        with desk.engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head}
            )


def test_an_older_database_is_upgraded_after_a_backup_beside_it(
    sqlite_desk: Desk, next_revision: str, clock: FixedClock
) -> None:
    _add_people(sqlite_desk)
    old_head = _version(sqlite_desk.engine)
    sqlite_desk.engine.dispose()
    status = migrate.schema_status(sqlite_desk.engine)
    assert (status.current, status.head, status.known) == (old_head, next_revision, True)

    upgraded = open_desk(sqlite_desk.settings, clock=clock)
    try:
        folder = sqlite_desk.settings.data_dir
        backup = upgraded.backup_written
        assert backup == folder / f"desk.before-upgrade-{old_head}-20261123-020000.db"
        assert _version(upgraded.engine) == next_revision
        with upgraded.engine.connect() as connection:
            assert "note" in _columns(connection, "unit")
    finally:
        upgraded.engine.dispose()
    copy = sqlite3.connect(backup)
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone() == (old_head,)
        assert "note" not in [row[1] for row in copy.execute("PRAGMA table_info(unit)")]
        assert [(name, code) for _, name, code in _people(copy)] == _expected_people()
    finally:
        copy.close()


def test_a_migration_that_rebuilds_the_unit_table_loses_no_resident(
    sqlite_desk: Desk, next_revision: str
) -> None:
    _add_people(sqlite_desk)
    with sqlite_desk.engine.connect() as connection:
        before = _people(connection)
    assert migrate.upgrade(sqlite_desk.engine, now=sqlite_desk.clock.now()) is not None
    assert _version(sqlite_desk.engine) == next_revision
    with sqlite_desk.engine.connect() as connection:
        assert _people(connection) == before
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    assert [(name, code) for _, name, code in before] == _expected_people()


def _rebuild_unit(connection: sa.Connection) -> None:
    context = MigrationContext.configure(connection, opts={"render_as_batch": True})
    with context.begin_transaction(), Operations(context).batch_alter_table(
        "unit", recreate="always"
    ) as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(), nullable=False, server_default=""))


def test_a_batch_rebuild_of_unit_with_foreign_keys_off_keeps_every_resident(
    sqlite_desk: Desk,
) -> None:
    _add_people(sqlite_desk)
    with sqlite_desk.engine.connect() as connection:
        before = _people(connection)
        # As deskapp/migrations/env.py does: off on the driver connection, outside
        # any transaction (our begin event sends BEGIN before SQLAlchemy statements).
        if connection.in_transaction():
            connection.commit()
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 0
        _rebuild_unit(connection)
        problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        connection.exec_driver_sql("PRAGMA foreign_keys=ON")
        connection.commit()
        assert "note" in _columns(connection, "unit")
        after = _people(connection)
    assert problems == []
    assert after == before
    assert len(after) == sum(len(names) for names in PEOPLE.values())


def test_a_batch_rebuild_of_unit_with_foreign_keys_on_does_not_pass_silently(
    sqlite_desk: Desk,
) -> None:
    """Why env.py turns foreign keys off: the rebuild drops ``unit`` under its residents."""
    _add_people(sqlite_desk)
    with sqlite_desk.engine.connect() as connection:
        before = _people(connection)
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with pytest.raises(sa.exc.IntegrityError, match="FOREIGN KEY"):
            _rebuild_unit(connection)
    with sqlite_desk.engine.connect() as connection:
        assert _people(connection) == before
        assert "note" not in _columns(connection, "unit")


def test_a_backup_never_overwrites_an_existing_file(sqlite_desk: Desk) -> None:
    target = sqlite_desk.settings.data_dir / "copy.db"
    target.write_bytes(b"keep me")
    with pytest.raises(StorageError, match="already exists"):
        migrate.backup(sqlite_desk.engine, target)
    assert target.read_bytes() == b"keep me"
    fresh = migrate.backup(sqlite_desk.engine, sqlite_desk.settings.data_dir / "fresh.db")
    with sqlite3.connect(fresh) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)


# --- the SQLite file and its folder -------------------------------------------------------


def test_sqlite_pragmas_read_back_as_set_on_every_connection(sqlite_desk: Desk) -> None:
    engine = sqlite_desk.engine
    with engine.connect() as first, engine.connect() as second:
        for connection in (first, second):
            read = {
                name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
            }
            assert read == {
                "journal_mode": "wal",
                "foreign_keys": 1,
                "synchronous": 2,  # FULL
                "busy_timeout": sqlite_desk.settings.sqlite_busy_timeout_ms,
            }
    assert sqlite_desk.settings.sqlite_busy_timeout_ms > 0


def test_the_busy_timeout_follows_the_setting(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}", busy_timeout_ms=1234)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 1234
    finally:
        engine.dispose()


def test_a_file_that_is_not_sqlite_is_refused_and_kept(tmp_path: Path) -> None:
    database = tmp_path / "desk.db"
    database.write_bytes(b"hello")
    with pytest.raises(StorageError) as refusal:
        make_engine(f"sqlite:///{database}")
    assert "is not a deskapp database" in refusal.value.message
    assert str(database) in refusal.value.message
    with pytest.raises(StorageError, match="not a deskapp database"):
        open_desk(load_settings(data_dir=tmp_path, password_hash_profile="cheapest"))
    assert database.read_bytes() == b"hello"


def test_an_empty_database_file_is_taken_as_a_new_database(
    tmp_path: Path, clock: FixedClock
) -> None:
    (tmp_path / "desk.db").write_bytes(b"")
    desk = open_desk(load_settings(data_dir=tmp_path, password_hash_profile="cheapest"),
                     clock=clock)
    try:
        assert migrate.schema_status(desk.engine).up_to_date
        assert desk.backup_written is None
    finally:
        desk.engine.dispose()


def _writable_despite_mode(folder: Path) -> bool:
    """True for root (CAP_DAC_OVERRIDE), whom a folder's mode does not stop."""
    probe = folder / "probe"
    try:
        probe.write_bytes(b"")
    except PermissionError:
        return False
    probe.unlink()
    return True


def test_a_read_only_data_folder_is_refused_with_the_reason(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        if _writable_despite_mode(folder):
            pytest.skip("this user (root) writes into read-only folders; "
                        "see test_a_data_folder_under_a_file_is_refused_even_for_root")
        with pytest.raises(StorageError) as refusal:
            make_engine(f"sqlite:///{folder / 'desk.db'}")
    finally:
        folder.chmod(0o700)
    assert "read-only" in refusal.value.message
    assert not (folder / "desk.db").exists()


def test_a_data_folder_under_a_file_is_refused_even_for_root(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the data folder should go")
    with pytest.raises(StorageError) as refusal:
        make_engine(f"sqlite:///{blocker / 'data' / 'desk.db'}")
    assert "Cannot create the data folder" in refusal.value.message
    assert "--data-dir" in refusal.value.message
    with pytest.raises(StorageError, match="Cannot create the data folder"):
        open_desk(load_settings(data_dir=blocker, password_hash_profile="cheapest"))
    assert blocker.read_text() == "a file where the data folder should go"


# --- PostgreSQL -----------------------------------------------------------------------------


def test_an_unreachable_postgresql_server_is_one_clear_error_quickly() -> None:
    engine = make_engine("postgresql+psycopg://postgres:s3cret@127.0.0.1:1/nope")
    assert not is_sqlite(engine)
    started = time.monotonic()
    try:
        with pytest.raises(StorageError) as refusal:
            migrate.upgrade(engine)
    finally:
        engine.dispose()
    assert time.monotonic() - started < 5
    assert refusal.value.message.startswith("Cannot reach the PostgreSQL server")
    assert "127.0.0.1:1/nope" in refusal.value.message
    assert "s3cret" not in refusal.value.message


def test_opening_a_desk_on_an_unreachable_postgresql_server_is_refused(tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path, database_url="postgresql://postgres@127.0.0.1:1/nope",
        password_hash_profile="cheapest",
    )
    with pytest.raises(StorageError, match="Cannot reach the PostgreSQL server"):
        open_desk(settings)


def test_the_models_and_the_migrations_describe_the_same_schema(desk: Desk) -> None:
    """A model changed without its migration (or the search seam's extra tables and
    column mistaken for strays) shows up here as pending operations."""
    from alembic import command

    command.check(migrate.alembic_config(desk.engine))


def test_opening_a_desk_takes_no_write_lock_when_its_site_is_there(
    sqlite_desk: Desk, clock: FixedClock,
) -> None:
    """A second desk (or `deskapp operator list`) starts while another holds the lock."""
    database = Path(sqlite_desk.settings.data_dir) / "desk.db"
    other = sqlite3.connect(str(database), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        settings = load_settings(data_dir=sqlite_desk.settings.data_dir,
                                 password_hash_profile="cheapest", sqlite_busy_timeout_ms=200)
        second = open_desk(settings, clock=clock)
        assert second.site_id == sqlite_desk.site_id
        second.engine.dispose()
    finally:
        other.execute("ROLLBACK")
        other.close()


def test_a_postgresql_database_that_does_not_exist_is_named_not_the_server() -> None:
    from tests.conftest import PG_URL

    if not PG_URL:
        pytest.skip("needs DESKAPP_TEST_DATABASE_URL")
    url = make_url(PG_URL).set(database="deskapp_no_such_database", query={})
    engine = make_engine(url.render_as_string(hide_password=False))
    try:
        with pytest.raises(StorageError) as refusal:
            migrate.upgrade(engine)
    finally:
        engine.dispose()
    assert "refused the connection" in refusal.value.message
    assert 'database "deskapp_no_such_database" does not exist' in refusal.value.message
