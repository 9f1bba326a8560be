"""Backups and restores (``services.backup``): a copy is only trusted once checked, and a
restore changes nothing until it has proved its file and taken the database alone."""

from __future__ import annotations

import hashlib
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from deskapp import migrate
from deskapp.config import load_settings
from deskapp.db import make_engine, reading, transaction
from deskapp.desk import Desk, open_desk
from deskapp.errors import StorageError
from deskapp.models import AuditEntry
from deskapp.services import audit, backup, directory
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from tests.support import make_staff

# --- a small desk on a SQLite file ---------------------------------------------------------


@pytest.fixture
def sqlite_desk(sqlite_template: Path, tmp_path: Path, clock: FixedClock) -> Iterator[Desk]:
    """A migrated SQLite desk with five operators and three units: what a backup copies.

    The backups of SQLite files are the subject here; PostgreSQL's own tests follow below.
    """
    folder = tmp_path / "data"
    folder.mkdir()
    shutil.copy(sqlite_template, folder / "desk.db")
    desk = open_desk(load_settings(data_dir=folder, password_hash_profile="cheapest"), clock=clock)
    make_staff(desk)
    add_units(desk, "1-1-101", "1-1-102", "1-1-103")
    yield desk
    desk.engine.dispose()


def add_units(desk: Desk, *codes: str) -> None:
    with transaction(desk.engine) as session:
        for code in codes:
            directory.add_unit(session, acting=Acting(desk.site_id), code=code,
                               now=desk.clock.now())


def database_of(desk: Desk) -> Path:
    return desk.settings.data_dir / "desk.db"


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def leftovers(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir() if "restoring" in path.name)


def audit_rows(desk: Desk) -> int:
    with desk.engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM audit_entry")).scalar_one())


# --- backup ---------------------------------------------------------------------------------


def test_a_backup_is_one_checked_file_with_its_ledgers_counted(sqlite_desk: Desk) -> None:
    target = sqlite_desk.settings.data_dir / "copies" / "monday.db"
    check = backup.take_backup(sqlite_desk.engine, target)
    assert check.path == target and check.size == target.stat().st_size > 0
    assert check.revision == migrate.head_revision() and check.seals_checked
    assert (check.count("operator"), check.count("unit"), check.count("service_request")) == (
        5, 3, 0)
    assert check.audit_entries == audit_rows(sqlite_desk) >= 5 + 3
    # One self-contained file: rollback journal (header byte 18 is 1, WAL would be 2).
    assert sorted(path.name for path in target.parent.iterdir()) == ["monday.db"]
    assert target.read_bytes()[18] == 1


def test_a_backup_never_overwrites_a_file(sqlite_desk: Desk) -> None:
    target = sqlite_desk.settings.data_dir / "copy.db"
    target.write_bytes(b"keep me")
    with pytest.raises(StorageError, match="already exists"):
        backup.take_backup(sqlite_desk.engine, target)
    assert target.read_bytes() == b"keep me"


def test_a_backup_into_a_folder_that_cannot_be_made_is_one_line(sqlite_desk: Desk) -> None:
    blocker = sqlite_desk.settings.data_dir / "usb"
    blocker.write_text("a file where the folder should be")
    with pytest.raises(StorageError) as refusal:
        backup.take_backup(sqlite_desk.engine, blocker / "copy.db")
    assert "Cannot write the backup" in refusal.value.message
    assert "\n" not in refusal.value.message
    assert blocker.read_text() == "a file where the folder should be"


def test_a_copy_of_an_edited_audit_trail_fails_its_check_and_is_put_aside(
    sqlite_desk: Desk,
) -> None:
    with sqlite_desk.engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 3"))
    target = sqlite_desk.settings.data_dir / "copy.db"
    with pytest.raises(StorageError) as refusal:
        backup.take_backup(sqlite_desk.engine, target)
    assert "entry 3 breaks the chain" in refusal.value.message
    assert "copy.db.damaged" in refusal.value.message
    assert not target.exists()
    assert (target.parent / "copy.db.damaged").exists()


def test_the_postgresql_advice_names_the_tools_and_hides_the_password() -> None:
    engine = make_engine("postgresql+psycopg://desk:s3cret@db.example:5432/deskapp")
    made = backup.postgresql_backup_advice(engine)
    back = backup.postgresql_restore_advice(engine)
    assert "pg_dump --format=custom" in made and "nothing was written" in made
    assert "pg_restore" in back and "nothing was changed" in back
    for advice in (made, back):
        assert "postgresql://desk:***@db.example:5432/deskapp" in advice
        assert "s3cret" not in advice and "\n" not in advice


def test_on_postgresql_backup_and_restore_write_nothing_and_say_what_to_run(
    desk: Desk, backend: str, tmp_path: Path
) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only: the SQLite backups are the tests above")
    target = tmp_path / "copy.db"
    with pytest.raises(StorageError, match="pg_dump"):
        backup.take_backup(desk.engine, target)
    with pytest.raises(StorageError, match="pg_restore"):
        backup.restore_target(desk.engine)
    assert not target.exists()


# --- what a restore refuses -----------------------------------------------------------------


def _text_file(good: Path, bad: Path) -> None:
    bad.write_text("unit,name\n3-2-1201,张伟\n", encoding="utf-8")


def _empty_file(good: Path, bad: Path) -> None:
    bad.write_bytes(b"")


def _other_program(good: Path, bad: Path) -> None:
    with sqlite3.connect(bad) as other:
        other.execute("CREATE TABLE notes (body TEXT)")
        other.execute("INSERT INTO notes VALUES ('shopping list')")
    other.close()


def _alembic_of_another_program(good: Path, bad: Path) -> None:
    with sqlite3.connect(bad) as other:
        other.execute("CREATE TABLE alembic_version (version_num TEXT)")
        other.execute("INSERT INTO alembic_version VALUES ('ae1027a6acf')")
    other.close()


def _truncated(good: Path, bad: Path) -> None:
    data = good.read_bytes()
    bad.write_bytes(data[: len(data) // 2])


def _bytes_overwritten(good: Path, bad: Path) -> None:
    """Garbage over the header of the page holding the audit trail's rows."""
    with sqlite3.connect(good) as reader:
        root = reader.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = 'audit_entry'").fetchone()[0]
    reader.close()
    data = bytearray(good.read_bytes())
    page = int.from_bytes(data[16:18], "big")
    start = (root - 1) * page
    data[start:start + 64] = b"\xff" * 64
    bad.write_bytes(bytes(data))


def _newer_schema(good: Path, bad: Path) -> None:
    shutil.copy(good, bad)
    with sqlite3.connect(bad) as newer:
        newer.execute("UPDATE alembic_version SET version_num = '9999'")
    newer.close()


def _audit_row_deleted(good: Path, bad: Path) -> None:
    shutil.copy(good, bad)
    with sqlite3.connect(bad) as edited:
        edited.execute("DELETE FROM audit_entry WHERE seq = (SELECT max(seq) FROM audit_entry)")
    edited.close()


REFUSED: dict[str, tuple[Callable[[Path, Path], None], str]] = {
    "a text file": (_text_file, "is not a deskapp database (not a SQLite file)"),
    "an empty file": (_empty_file, "is not a deskapp database (not a SQLite file)"),
    "another program's database": (_other_program, "SQLite file of another program"),
    "another program's alembic": (_alembic_of_another_program, "SQLite file of another program"),
    "a truncated file": (_truncated, "is damaged"),
    "overwritten bytes": (_bytes_overwritten, "is damaged"),
    "a newer schema": (_newer_schema, "written by a newer deskapp (schema 9999"),
    "a shortened audit trail": (_audit_row_deleted, "fails the audit check"),
}


@pytest.mark.parametrize("kind", REFUSED)
def test_a_restore_refuses_a_file_it_cannot_trust_and_changes_nothing(
    sqlite_desk: Desk, kind: str
) -> None:
    make_bad, says = REFUSED[kind]
    folder = sqlite_desk.settings.data_dir
    good = backup.take_backup(sqlite_desk.engine, folder / "good.db").path
    bad = folder / "bad.db"
    make_bad(good, bad)
    sqlite_desk.engine.dispose()
    database = database_of(sqlite_desk)
    before, listing = digest(database), sorted(p.name for p in folder.iterdir())
    with pytest.raises(StorageError) as refusal:
        backup.stage_restore(bad, database)
    assert says in refusal.value.message
    assert str(bad) in refusal.value.message and "\n" not in refusal.value.message
    assert digest(database) == before
    assert sorted(p.name for p in folder.iterdir()) == listing


def test_the_database_itself_is_no_backup(sqlite_desk: Desk) -> None:
    database = database_of(sqlite_desk)
    with pytest.raises(StorageError, match="is the database itself"):
        backup.stage_restore(database, database)


def test_a_missing_file_is_one_line(sqlite_desk: Desk, tmp_path: Path) -> None:
    with pytest.raises(StorageError, match="does not exist"):
        backup.stage_restore(tmp_path / "nowhere.db", database_of(sqlite_desk))


# --- what a restore does --------------------------------------------------------------------


def test_a_restore_brings_the_backup_back_and_keeps_the_database_it_replaced(
    sqlite_desk: Desk, clock: FixedClock
) -> None:
    folder = sqlite_desk.settings.data_dir
    saved = backup.take_backup(sqlite_desk.engine, folder / "monday.db")
    add_units(sqlite_desk, "2-1-201", "2-1-202")
    later = audit_rows(sqlite_desk)
    sqlite_desk.engine.dispose()
    database = database_of(sqlite_desk)

    staged = backup.stage_restore(saved.path, database)
    assert staged.staged.parent == database.parent and staged.staged.exists()
    assert staged.upgraded_from is None and staged.check.count("unit") == 3
    report = backup.complete_restore(staged, now=clock.now())

    assert report.kept == folder / "desk.before-restore-20261123-020000.db"
    assert leftovers(folder) == []
    kept = backup.check_database(report.kept)
    assert kept.count("unit") == 5 and kept.audit_entries == later
    restored = backup.check_database(database)
    assert restored.count("unit") == 3
    assert restored.audit_entries == saved.audit_entries + 1
    with reading(sqlite_desk.engine) as session:
        assert audit.verify(session).ok
        last = session.get(AuditEntry, restored.audit_entries)
        assert last is not None and last.action == "database.restore"
        assert str(saved.path) in (last.after or "") and str(report.kept) in (last.after or "")


def test_a_second_restore_in_the_same_second_keeps_both_old_databases(
    sqlite_desk: Desk, clock: FixedClock
) -> None:
    folder = sqlite_desk.settings.data_dir
    saved = backup.take_backup(sqlite_desk.engine, folder / "monday.db").path
    sqlite_desk.engine.dispose()
    database = database_of(sqlite_desk)
    first = backup.complete_restore(backup.stage_restore(saved, database), now=clock.now())
    second = backup.complete_restore(backup.stage_restore(saved, database), now=clock.now())
    assert first.kept is not None and second.kept is not None
    assert second.kept.name == "desk.before-restore-20261123-020000-2.db"
    assert first.kept.exists()


def test_a_restore_is_refused_while_a_desk_has_the_database_open(
    sqlite_desk: Desk, clock: FixedClock
) -> None:
    folder = sqlite_desk.settings.data_dir
    saved = backup.take_backup(sqlite_desk.engine, folder / "monday.db").path
    database = database_of(sqlite_desk)
    staged = backup.stage_restore(saved, database)
    with sqlite_desk.engine.connect() as open_desk_connection:
        open_desk_connection.execute(text("SELECT 1"))
        before = digest(database)
        with pytest.raises(StorageError) as refusal:
            backup.complete_restore(staged, now=clock.now(), wait_ms=20)
        assert "is in use" in refusal.value.message
        assert digest(database) == before
    assert leftovers(folder) == []
    assert not list(folder.glob("*before-restore*"))


def test_a_restore_where_there_is_no_database_yet_keeps_nothing(
    sqlite_desk: Desk, tmp_path: Path, clock: FixedClock
) -> None:
    saved = backup.take_backup(sqlite_desk.engine, tmp_path / "monday.db").path
    fresh = tmp_path / "new-site" / "desk.db"
    report = backup.complete_restore(backup.stage_restore(saved, fresh), now=clock.now())
    assert report.kept is None
    assert backup.check_database(fresh).count("unit") == 3
    assert sorted(path.name for path in fresh.parent.iterdir()) == ["desk.db"]


def test_a_backup_of_an_older_schema_is_brought_to_the_current_one(
    sqlite_desk: Desk, clock: FixedClock
) -> None:
    folder = sqlite_desk.settings.data_dir
    old = backup.take_backup(sqlite_desk.engine, folder / "last-year.db").path
    head = migrate.head_revision()
    previous = migrate._scripts().get_revision(head).down_revision
    assert isinstance(previous, str)
    engine = make_engine(f"sqlite:///{old}")
    with engine.connect() as connection:
        config = migrate.alembic_config(engine)
        config.attributes["connection"] = connection
        command.downgrade(config, previous)
    engine.dispose()
    backup._single_file(old)
    before = digest(old)
    assert backup.check_database(old).revision == previous
    sqlite_desk.engine.dispose()

    staged = backup.stage_restore(old, database_of(sqlite_desk))
    assert (staged.upgraded_from, staged.check.revision) == (previous, head)
    assert staged.check.seals_checked
    backup.complete_restore(staged, now=clock.now())
    assert digest(old) == before  # the file restored from is never changed
    assert migrate.schema_status(sqlite_desk.engine).up_to_date
    assert backup.check_database(database_of(sqlite_desk)).count("unit") == 3


def test_a_live_database_too_damaged_to_open_is_replaced_and_kept_with_its_log(
    sqlite_desk: Desk, clock: FixedClock
) -> None:
    folder = sqlite_desk.settings.data_dir
    saved = backup.take_backup(sqlite_desk.engine, folder / "monday.db").path
    sqlite_desk.engine.dispose()
    database = database_of(sqlite_desk)
    database.write_bytes(b"\x00" * 8192)  # the disk gave back zeros
    log = database.with_name("desk.db-wal")
    log.write_bytes(b"a log of the old file")

    report = backup.complete_restore(backup.stage_restore(saved, database), now=clock.now())

    assert report.kept is not None
    assert report.kept.read_bytes() == b"\x00" * 8192
    assert report.kept.with_name(report.kept.name + "-wal").read_bytes() == b"a log of the old file"
    assert not log.exists()  # never read as the restored file's log
    assert backup.check_database(database).count("unit") == 3
