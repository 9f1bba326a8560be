"""Backups and restores of the embedded database, checked before they are trusted.

**A backup** (``take_backup``) is the SQLite online backup of the live file
(``migrate.backup``), taken while the desks write on: one read transaction, so the
copy is one moment of the database. The copy is made a single self-contained file
(rollback journal, nothing beside it to forget) and then checked (``check_database``):
``PRAGMA integrity_check``, the audit chain, the seals of the sealed handovers, and the
count of the main ledgers. A copy that fails its check is renamed ``FILE.damaged``,
so nobody takes it for a good backup.

**A restore** never writes over the database in place:

1. ``stage_restore`` copies the file beside the database (``.desk.db.restoring``),
   checks it there and brings it to this deskapp's schema when it is older. A file
   that is damaged, not a deskapp database or from a newer deskapp is refused and the
   staged copy removed; nothing else was touched.
2. ``complete_restore`` (after the operator said yes) takes the database for itself
   (refused while any desk has it open), keeps a copy of it beside it
   (``desk.before-restore-<stamp>.db``), writes the restore into the restored audit
   chain, and renames the staged file over the database in one step.

On PostgreSQL the server's own tools do this (``pg_dump``, ``pg_restore``); the
``*_advice`` functions say how, and nothing is written.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool
from sqlmodel import Session

from deskapp import migrate
from deskapp.db import check_connection, is_sqlite, make_engine, sqlite_path, transaction
from deskapp.errors import StorageError
from deskapp.i18n import N_, _
from deskapp.services import audit
from deskapp.services.handover import handovers

audit.register_action_labels({"database.restore": N_("Database restored from a backup")})

SQLITE_HEADER = b"SQLite format 3\x00"

#: Tables every deskapp database has had since its first schema: without them a SQLite
#: file belongs to another program.
DESKAPP_TABLES = frozenset({"alembic_version", "site", "audit_entry", "audit_head"})

#: The ledgers whose records a check counts (table, what a person calls them).
LEDGERS: tuple[tuple[str, str], ...] = (
    ("unit", N_("units")),
    ("resident", N_("residents")),
    ("operator", N_("operators")),
    ("service_request", N_("requests")),
    ("request_event", N_("request events")),
    ("work_order", N_("work orders")),
    ("custody_item", N_("custody items")),
    ("key_loan", N_("key loans")),
    ("duty_log_entry", N_("duty-log entries")),
    ("handover", N_("handovers")),
    ("release_slip", N_("release slips")),
)

IN_USE_WAIT_MS = 2000
"""How long a restore waits for the desks' last transaction before it calls the database
in use: a desk that is open holds it for as long as it runs."""


@dataclass(frozen=True)
class LedgerCount:
    table: str
    label: str
    """A msgid (``N_``): translate it when shown."""
    count: int


@dataclass(frozen=True)
class DatabaseCheck:
    """What a check found in a database file that passed it."""

    path: Path
    size: int
    """Bytes."""
    revision: str
    """Its schema version (``migrate``)."""
    audit_entries: int
    """Entries of the audit chain, every one in place and unchanged."""
    seals_checked: bool
    """False for a file of an older schema: its handovers are checked once upgraded."""
    counts: tuple[LedgerCount, ...]

    def count(self, table: str) -> int:
        """The rows of one ledger (0 when the file's schema has no such table)."""
        return next((entry.count for entry in self.counts if entry.table == table), 0)


@dataclass(frozen=True)
class StagedRestore:
    """A checked copy beside the database, waiting for the operator's yes."""

    source: Path
    target: Path
    staged: Path
    check: DatabaseCheck
    upgraded_from: str | None
    """The file's own schema when it was older and has been brought to the current one."""


@dataclass(frozen=True)
class RestoreReport:
    target: Path
    kept: Path | None
    """The database that was replaced, kept beside it (``None``: there was none)."""
    check: DatabaseCheck


# --- PostgreSQL ---------------------------------------------------------------------------


def _pg_url(engine: Engine) -> str:
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=True)


def postgresql_backup_advice(engine: Engine) -> str:
    return _("On PostgreSQL deskapp does not copy the database itself, and nothing was "
             "written: back it up with the server's tool, pg_dump --format=custom "
             "--file=FILE '{url}' (docs/operations.md, Backups and restores).").format(
        url=_pg_url(engine))


def postgresql_restore_advice(engine: Engine) -> str:
    return _("On PostgreSQL deskapp does not restore the database itself, and nothing was "
             "changed: stop the desks, then pg_restore --clean --if-exists --no-owner "
             "--dbname='{url}' FILE, and run deskapp audit verify "
             "(docs/operations.md, Backups and restores).").format(url=_pg_url(engine))


# --- checking a file ----------------------------------------------------------------------


def _require_sqlite_file(path: Path, shown: Path) -> None:
    if not path.is_file():
        raise StorageError(_("{path} does not exist or is not a file.").format(path=shown))
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as error:
        raise StorageError(_("Cannot read {path}: {reason}").format(
            path=shown, reason=error.strerror or error)) from error
    if header != SQLITE_HEADER:
        raise StorageError(_("{path} is not a deskapp database (not a SQLite file).").format(
            path=shown))


def _read_only_uri(path: Path) -> str:
    return path.resolve().as_uri() + "?mode=ro"


@contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(_read_only_uri(path), uri=True)
    try:
        yield connection
    finally:
        connection.close()


def _read_only_engine(path: Path) -> Engine:
    uri = _read_only_uri(path)
    return create_engine("sqlite://", poolclass=NullPool,
                         creator=lambda: sqlite3.connect(uri, uri=True))


def _first_problem(problems: list[str]) -> str:
    """integrity_check's first finding, on one line (it opens with a banner line)."""
    lines = [line.strip() for text in problems for line in str(text).splitlines()]
    found = [line for line in lines if line and not line.startswith("***")]
    return found[0][:160] if found else "integrity_check"


def _damaged(shown: Path, reason: object) -> StorageError:
    return StorageError(_("{path} is damaged ({reason}): it cannot be trusted as a "
                          "database.").format(path=shown, reason=reason))


def check_database(path: Path, *, shown: Path | None = None) -> DatabaseCheck:
    """Prove a database file sound and a deskapp database this version can use.

    Reads only. Raises ``StorageError`` naming ``shown`` (default ``path``) for a file
    that is not SQLite, damaged, of another program, or of a newer deskapp.
    """
    shown = shown or path
    _require_sqlite_file(path, shown)
    try:
        with _read_only(path) as connection:
            problems = [row[0] for row in connection.execute("PRAGMA integrity_check(5)")]
            if problems != ["ok"]:
                raise _damaged(shown, _first_problem(problems))
            tables = {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not DESKAPP_TABLES.issubset(tables):
                raise StorageError(_("{path} is not a deskapp database (a SQLite file of "
                                     "another program).").format(path=shown))
            found = connection.execute("SELECT version_num FROM alembic_version").fetchone()
            counts = tuple(
                LedgerCount(table, label, int(connection.execute(
                    f'SELECT count(*) FROM "{table}"').fetchone()[0]))
                for table, label in LEDGERS if table in tables
            )
    except sqlite3.DatabaseError as error:
        raise _damaged(shown, error) from error
    if found is None:
        raise StorageError(_("{path} is not a deskapp database (it has no schema version).")
                           .format(path=shown))
    revision = str(found[0])
    engine = _read_only_engine(path)
    try:
        status = migrate.schema_status(engine)
    except StorageError as error:
        raise _damaged(shown, error.message) from error
    finally:
        engine.dispose()
    head = status.head
    if not status.known:
        raise StorageError(_("{path} was written by a newer deskapp (schema {revision}; this "
                             "one knows up to {head}). Install the newer version to use it.")
                           .format(path=shown, revision=revision, head=head))
    entries, seals_checked = _check_ledgers(path, shown, current=revision == head)
    return DatabaseCheck(path=path, size=path.stat().st_size, revision=revision,
                         audit_entries=entries, seals_checked=seals_checked, counts=counts)


def _check_ledgers(path: Path, shown: Path, *, current: bool) -> tuple[int, bool]:
    """The audit chain (its tables have not changed since the first schema) and, on the
    current schema, the seals of the sealed handovers."""
    engine = _read_only_engine(path)
    try:
        with Session(engine) as session:
            result = audit.verify(session)
            problems = handovers.verify_seals(session) if current else []
    except SQLAlchemyError as error:
        raise _damaged(shown, getattr(error, "orig", None) or error) from error
    finally:
        engine.dispose()
    if not result.ok:
        raise StorageError(_("{path} fails the audit check: entry {seq} breaks the chain "
                             "({reason}).").format(path=shown, seq=result.broken_seq,
                                                   reason=result.reason))
    if problems:
        raise StorageError(_("{path} fails the audit check: {problem}").format(
            path=shown, problem=problems[0]))
    return result.checked, current


def _single_file(path: Path) -> None:
    """Fold any write-ahead log into the file and drop it: one file holds everything."""
    connection = sqlite3.connect(path)
    try:
        connection.execute("PRAGMA journal_mode=DELETE").fetchone()
    finally:
        connection.close()


def _remove(path: Path) -> None:
    path.unlink(missing_ok=True)
    _remove_sidecars(path)


def _sync_folder(folder: Path) -> None:
    """Make a rename survive a power cut (where the system allows opening a folder)."""
    with suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


# --- backup -------------------------------------------------------------------------------


def take_backup(engine: Engine, target: Path) -> DatabaseCheck:
    """A checked, consistent copy of the live SQLite database at ``target``.

    Never overwrites a file. On PostgreSQL it writes nothing and says how to use pg_dump.
    """
    if not is_sqlite(engine):
        raise StorageError(postgresql_backup_advice(engine))
    check_connection(engine)
    target = target.expanduser().absolute()
    written = migrate.backup(engine, target)
    try:
        _single_file(written)
        return check_database(written)
    except (StorageError, sqlite3.Error, OSError) as error:
        aside = written.with_name(written.name + ".damaged")
        with suppress(OSError):
            written.replace(aside)
        reason = error.message if isinstance(error, StorageError) else str(error)
        raise StorageError(_("The copy fails its check and was put aside as {path}: {reason} "
                             "The live database may be damaged too; keep both files and call "
                             "IT.").format(path=aside, reason=reason)) from error


def default_backup_name(database: Path, now: datetime) -> Path:
    """``<data>/backups/desk-20261123-020000.db`` for the live ``<data>/desk.db``."""
    stamp = now.strftime("%Y%m%d-%H%M%S")
    return database.parent / "backups" / f"{database.stem}-{stamp}{database.suffix}"


# --- restore ------------------------------------------------------------------------------


def restore_target(engine: Engine) -> Path:
    """The database file a restore replaces; PostgreSQL gets the advice instead."""
    path = sqlite_path(engine)
    if not is_sqlite(engine):
        raise StorageError(postgresql_restore_advice(engine))
    if path is None:
        raise StorageError(_("An in-memory database cannot be restored."))
    return path


def stage_restore(source: Path, target: Path) -> StagedRestore:
    """Copy ``source`` beside ``target`` and prove it there; the database is not touched."""
    source = source.expanduser()
    _require_sqlite_file(source, source)
    if target.exists() and source.resolve() == target.resolve():
        raise StorageError(_("{path} is the database itself; restore from a backup "
                             "copy.").format(path=source))
    staged = target.with_name(f".{target.name}.restoring")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        _remove(staged)  # a restore that was stopped half-way left it; it is ours
    except OSError as error:
        raise StorageError(_("Cannot write beside the database {path}: {reason}").format(
            path=target, reason=error.strerror or error)) from error
    try:
        _copy(source, staged)
        check = check_database(staged, shown=source)
        upgraded_from = None
        if check.revision != migrate.head_revision():
            upgraded_from = check.revision
            engine = make_engine(f"sqlite:///{staged}")
            try:
                migrate.upgrade(engine, backup=False)
            finally:
                engine.dispose()
            _single_file(staged)
            check = check_database(staged, shown=source)
    except BaseException:
        _remove(staged)
        raise
    return StagedRestore(source=source, target=target, staged=staged, check=check,
                         upgraded_from=upgraded_from)


def _copy(source: Path, staged: Path) -> None:
    """The online backup API from the file (read only) into the staged copy."""
    try:
        reader = sqlite3.connect(_read_only_uri(source), uri=True)
    except sqlite3.Error as error:
        raise _damaged(source, error) from error
    try:
        writer = sqlite3.connect(staged)
        try:
            reader.backup(writer)
            writer.execute("PRAGMA journal_mode=DELETE").fetchone()
        except sqlite3.DatabaseError as error:
            if _is_write_failure(error):
                raise StorageError(_("Cannot write beside the database {path}: {reason}")
                                   .format(path=staged.parent, reason=error)) from error
            raise _damaged(source, error) from error
        finally:
            writer.close()
    finally:
        reader.close()


def _is_write_failure(error: sqlite3.Error) -> bool:
    reason = str(error).lower()
    return any(needle in reason for needle in ("disk is full", "disk i/o", "readonly",
                                               "unable to open"))


def discard_restore(staged: StagedRestore) -> None:
    """The operator said no: the staged copy goes, the database stays as it was."""
    _remove(staged.staged)


def kept_name(target: Path, now: datetime) -> Path:
    """Where the replaced database is kept: ``desk.before-restore-20261123-020000.db``."""
    stamp = now.strftime("%Y%m%d-%H%M%S")
    kept = target.with_name(f"{target.stem}.before-restore-{stamp}{target.suffix}")
    number = 1
    while kept.exists():
        number += 1
        kept = target.with_name(f"{target.stem}.before-restore-{stamp}-{number}{target.suffix}")
    return kept


def complete_restore(
    staged: StagedRestore, *, now: datetime, wait_ms: int | None = None,
) -> RestoreReport:
    """Put the staged copy in place of the database, keeping the old one beside it.

    Refused (``StorageError``, nothing changed) while any desk has the database open
    (waiting ``wait_ms``, default ``IN_USE_WAIT_MS``, for a transaction to end).
    """
    target = staged.target
    wait_ms = IN_USE_WAIT_MS if wait_ms is None else wait_ms
    kept = None
    try:
        with _held_alone(target, wait_ms) as held:
            if held is not None:
                kept = kept_name(target, now)
                _keep(target, kept)
            try:
                _record_restore(staged, kept, now)
                os.replace(staged.staged, target)
            except BaseException:
                if kept is not None:
                    _remove(kept)  # the database is as it was: no copy of it is needed
                raise
            if held is False:
                # The log of a file too damaged to open went with the kept copy; left
                # beside the restored file it would be read as the new file's log.
                _remove_sidecars(target)
            _sync_folder(target.parent)
    except OSError as error:
        raise StorageError(_("Cannot replace the database {path}: {reason}").format(
            path=target, reason=error.strerror or error)) from error
    finally:
        _remove(staged.staged)
    return RestoreReport(target=target, kept=kept, check=staged.check)


@contextmanager
def _held_alone(target: Path, wait_ms: int) -> Iterator[bool | None]:
    """Hold the database so no desk can open it while it is replaced.

    Yields ``None`` when there is no database yet, ``True`` while it is held (its
    write-ahead log folded in and gone, an exclusive lock taken), and ``False`` for a
    file too damaged to be opened at all, which no desk can be using either.
    """
    if not target.exists():
        yield None
        return
    connection = sqlite3.connect(target, timeout=wait_ms / 1000, isolation_level=None)
    try:
        held = _take_alone(connection, target)
        yield held
    finally:
        connection.close()


def _take_alone(connection: sqlite3.Connection, target: Path) -> bool:
    try:
        mode = connection.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        if str(mode).lower() != "delete":
            raise sqlite3.OperationalError("database is locked")
        connection.execute("BEGIN EXCLUSIVE")
    except sqlite3.OperationalError as error:
        if "locked" in str(error) or "busy" in str(error):
            raise StorageError(_("The database {path} is in use: close every desk on it "
                                 "(and stop the nightly jobs), then restore again; "
                                 "nothing was changed.").format(path=target)) from error
        return False
    except sqlite3.DatabaseError:
        return False
    return True


def _keep(target: Path, kept: Path) -> None:
    """Copy the replaced database aside. Held alone, the file is all of it; a file too
    damaged to open may have a log beside it, which is copied with it."""
    shutil.copy2(target, kept)
    with kept.open("rb+") as handle:
        os.fsync(handle.fileno())
    for end in ("-wal", "-journal"):
        side = target.with_name(target.name + end)
        if side.exists():
            shutil.copy2(side, kept.with_name(kept.name + end))


def _remove_sidecars(path: Path) -> None:
    for end in ("-journal", "-wal", "-shm"):
        path.with_name(path.name + end).unlink(missing_ok=True)


def _record_restore(staged: StagedRestore, kept: Path | None, now: datetime) -> None:
    """The restored chain says when, from which file, and where the old database went."""
    engine = make_engine(f"sqlite:///{staged.staged}")
    try:
        with transaction(engine) as session:
            audit.record(
                session, now=now, actor=None, actor_label="deskapp restore",
                action="database.restore", entity="database", entity_id=staged.target.name,
                site_id=None,
                after={"source": str(staged.source), "kept": str(kept) if kept else "",
                       "schema": staged.check.revision,
                       "upgraded_from": staged.upgraded_from or ""},
            )
    finally:
        engine.dispose()
    _single_file(staged.staged)
