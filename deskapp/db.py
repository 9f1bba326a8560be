"""Engine factory, SQLite pragmas and the unit of work.

``transaction(engine)`` is the one way services are given a session: the
record, its timeline and its audit entry are committed together or not at all.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    InterfaceError,
    InternalError,
    OperationalError,
)
from sqlmodel import Session, create_engine

from deskapp.errors import StorageError
from deskapp.i18n import N_, _

# Execution option that marks a unit of work (see ``transaction``).
WRITE_OPTION = "deskapp_write"

def is_sqlite(engine_or_url: Engine | str) -> bool:
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    return url.get_backend_name() == "sqlite"


def sqlite_path(engine_or_url: Engine | str) -> Path | None:
    """The file behind a SQLite URL (``None`` for memory or another backend)."""
    url = engine_or_url.url if isinstance(engine_or_url, Engine) else make_url(engine_or_url)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _normalize_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean psycopg 3 here."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def make_engine(url: str, *, busy_timeout_ms: int = 5000) -> Engine:
    """An engine for ``url``; SQLite files get WAL, foreign keys and synchronous=FULL."""
    url = _normalize_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError as error:
        raise StorageError(
            _("The database URL {url} is not valid: {error}").format(url=url, error=error)
        ) from error
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            _check_sqlite_folder(path)
        engine = create_engine(url, connect_args={"timeout": busy_timeout_ms / 1000})

        @event.listens_for(engine, "connect")
        def _set_pragmas(dbapi_connection: Any, _record: Any) -> None:
            # The sqlite3 driver sends no BEGIN before a SAVEPOINT, so a savepoint
            # released first would commit on its own; we send BEGIN ourselves below.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            if path is not None:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            _optimize_on_open(cursor)
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin(connection: Any) -> None:
            # A unit of work takes the write lock at once (BEGIN IMMEDIATE): a desk that
            # read first and wrote later would otherwise fail with "database is locked"
            # when another desk wrote in between, instead of waiting busy_timeout.
            if connection.get_execution_options().get(WRITE_OPTION):
                connection.exec_driver_sql("BEGIN IMMEDIATE")
            else:
                connection.exec_driver_sql("BEGIN")

        return engine
    if parsed.get_backend_name() == "postgresql":
        return create_engine(url, pool_pre_ping=True, connect_args={"connect_timeout": 5})
    raise StorageError(
        _("Unsupported database {url}: use a SQLite file or PostgreSQL.").format(url=url)
    )


# --- The planner's statistics (the dialect seam) -------------------------------------

ANALYSIS_LIMIT = 400
"""Rows per index an SQLite ANALYZE reads (``PRAGMA analysis_limit``, the value SQLite's
documentation suggests): estimates good enough to choose an index, in milliseconds
on a million rows, where a full ANALYZE reads every row of every index."""
STALE_GROWTH = 10
"""A table whose rows grew this many times since its statistics is analysed again."""
STALE_MIN_ROWS = 1000
"""Below this many rows any plan is quick: no table that small is analysed on open."""


def _optimize_on_open(cursor: Any) -> None:
    """What SQLite recommends for a long-lived connection, bounded: from 3.46 on it
    analyses any table that grew or shrank a lot since its statistics; before (3.40
    here) it does nothing at open, and ``ensure_statistics`` does that work instead.
    Best effort: a busy or read-only file opens as before."""
    import sqlite3

    try:
        cursor.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        cursor.execute("PRAGMA optimize=0x10002").fetchall()
    except sqlite3.Error:
        pass


def refresh_statistics(engine: Engine) -> None:
    """Gather the planner's statistics afresh, after a migration: a bounded ANALYZE on
    SQLite (``ANALYSIS_LIMIT``), ANALYZE on PostgreSQL (a sample of each table)."""
    with engine.begin() as connection:
        if is_sqlite(engine):
            connection.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
        connection.exec_driver_sql("ANALYZE")


def ensure_statistics(engine: Engine) -> list[str]:
    """On opening a desk: statistics for each SQLite table that has none and holds rows
    enough to matter, or grew ``STALE_GROWTH`` times since (a database filled by bulk
    inserts or a decade of desk work). Without them, every index beginning with
    ``site_id`` looks alike to the planner and it walks the wrong one: a search on a
    million requests took 200 ms instead of 5.

    About a millisecond when nothing is due (the size of a table is its largest rowid).
    Best effort: it never waits for a busy database and leaves a read-only one as it
    is. Returns the tables analysed. PostgreSQL's autovacuum keeps its own statistics
    (``refresh_statistics`` runs after migrations there too)."""
    import sqlite3

    path = sqlite_path(engine)
    if path is None or not path.exists():
        return []
    try:
        with contextlib.closing(sqlite3.connect(path, timeout=0, isolation_level=None)
                                ) as connection:
            tables = [name for _schema, name, kind, *_rest in
                      connection.execute("PRAGMA main.table_list")
                      if kind == "table" and not name.startswith("sqlite_")]
            known: dict[str, int] = {}
            if connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' "
                                  "AND name = 'sqlite_stat1'").fetchone():
                for table, stat in connection.execute("SELECT tbl, stat FROM sqlite_stat1"):
                    rows = int(str(stat).split()[0]) if stat else 0
                    known[table] = max(known.get(table, 0), rows)
            stale = []
            for table in tables:
                quoted = '"' + table.replace('"', '""') + '"'
                try:
                    (size,) = connection.execute(f"SELECT max(rowid) FROM {quoted}").fetchone()
                except sqlite3.OperationalError:
                    continue  # a table WITHOUT ROWID (none of ours): left to the planner
                size = int(size or 0)
                analysed = known.get(table)
                if size >= STALE_MIN_ROWS and (
                        analysed is None or size > STALE_GROWTH * max(analysed, 1)):
                    stale.append(quoted)
            if stale:
                connection.execute(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
                connection.execute("BEGIN")
                for quoted in stale:
                    connection.execute(f"ANALYZE {quoted}")
                connection.execute("COMMIT")
            return [quoted.strip('"') for quoted in stale]
    except sqlite3.Error:
        return []


def _check_sqlite_folder(path: Path) -> None:
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(
            _("Cannot create the data folder {folder}: {reason}. Choose another with --data-dir.")
            .format(folder=folder, reason=error.strerror or error)
        ) from error
    # A probe of this process's own: desks starting at once on one folder each make and
    # remove theirs (a shared name had one desk remove another's, and call it read-only).
    probe = folder / f".deskapp-write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as error:
        raise StorageError(
            _("The data folder {folder} is read-only: {reason}. "
              "Give this user write permission or choose another folder with --data-dir.")
            .format(folder=folder, reason=error.strerror or error)
        ) from error
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as handle:
            header = handle.read(16)
        if header != b"SQLite format 3\x00":
            raise StorageError(
                _("{path} is not a deskapp database (not a SQLite file). "
                  "Move it away or point --database-url at the right file.").format(path=path)
            )
        _refuse_foreign_sqlite(path)


def _refuse_foreign_sqlite(path: Path) -> None:
    """Another program's SQLite file is refused before the engine touches it: even
    switching it to WAL would rewrite its header.

    Read as an immutable file, which creates nothing beside it (no ``-shm``). A file
    with a ``-wal`` beside it is in WAL mode already, so opening it changes nothing, and
    the file alone may not hold its newest tables: ``migrate.upgrade`` checks it."""
    import sqlite3

    if path.with_name(path.name + "-wal").exists():
        return
    try:
        with contextlib.closing(sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True)) as connection:
            tables = [name for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' "
                "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    except sqlite3.Error:
        return  # locked or damaged: the engine's own opening says what is wrong
    if tables and "alembic_version" not in tables:
        raise StorageError(foreign_tables_message(tables))


def foreign_tables_message(tables: list[str]) -> str:
    shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
    return _("This database holds another program's tables ({tables}) and no deskapp "
             "schema; deskapp leaves it untouched. Point --data-dir or --database-url at "
             "a deskapp database, or at an empty one.").format(tables=shown)


def describe_connection_error(engine: Engine, error: Exception) -> StorageError:
    """One line for a database that cannot be reached or read."""
    url = engine.url.render_as_string(hide_password=True)
    if isinstance(error, OperationalError) and not is_sqlite(engine):
        # The server answered and named what is wrong (no such database, a refused
        # user or password): say that, not that the server cannot be reached.
        answered = _server_answer(error)
        if answered:
            return StorageError(
                _("The PostgreSQL server at {url} refused the connection: {reason}").format(
                    url=url, reason=answered))
        return StorageError(
            _("Cannot reach the PostgreSQL server at {url}. "
              "Check that it is running and the URL is right.").format(url=url)
        )
    if isinstance(error, DatabaseError):
        return StorageError(
            _("Cannot open the database {url}: {reason}").format(url=url, reason=error.orig)
        )
    return StorageError(_("Cannot open the database {url}: {reason}").format(url=url, reason=error))


def _server_answer(error: OperationalError) -> str:
    """The server's own reason, when the connection reached it (psycopg's FATAL line)."""
    text = str(getattr(error, "orig", error))
    for line in text.splitlines():
        if "FATAL:" in line:
            return line.split("FATAL:", 1)[1].strip()
    return ""


def check_connection(engine: Engine) -> None:
    """Raise a ``StorageError`` with one clear line when the database cannot be used."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except (OperationalError, DatabaseError) as error:
        raise describe_connection_error(engine, error) from error


#: What the database driver says, and what the operator is told (in order: first match wins).
_STORAGE_TROUBLES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("database is locked", "database is busy", "database table is locked",
      "lock timeout", "could not obtain lock", "deadlock detected"),
     N_("The database is busy: another desk or a backup is holding it. "
        "Nothing was saved; wait a moment and try again.")),
    (("disk is full", "no space left", "disk full", "could not extend file"),
     N_("The disk of the database is full. Nothing was saved; free some space "
        "(or call IT) and try again.")),
    (("readonly database", "read-only", "read only"),
     N_("The database is read-only. Nothing was saved; check the file's permissions "
        "or the server's mode, then try again.")),
    (("connection", "server closed", "terminating", "could not connect", "network",
      "timeout expired", "connection refused", "no route"),
     N_("The connection to the database was lost. Nothing was saved; check that the "
        "database server is running and try again.")),
    (("disk i/o error", "malformed", "not a database", "unable to open"),
     N_("The database file cannot be read or written. Nothing was saved; call IT "
        "and keep this desk's data folder as it is.")),
)


def storage_trouble(error: BaseException) -> StorageError | None:
    """The one line for a database that cannot do its work now, or ``None``.

    Only the failures of the storage itself (locked, busy, disk full, read-only,
    connection lost) are translated; a constraint the code broke is a defect and
    goes on as it is, to the app's error handler.
    """
    if not isinstance(error, (OperationalError, InterfaceError, InternalError)):
        return None
    reason = str(getattr(error, "orig", None) or error).lower()
    for needles, message in _STORAGE_TROUBLES:
        if any(needle in reason for needle in needles):
            return StorageError(_(message))
    if isinstance(error, InternalError):
        return None
    return StorageError(
        _("The database could not do this now ({reason}). Nothing was saved; try again.")
        .format(reason=reason.splitlines()[0][:120] if reason else type(error).__name__)
    )


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """One unit of work: commit when the block ends, roll back on any exception.

    On SQLite it begins IMMEDIATE, so concurrent desks queue for the write lock.
    A storage failure (locked, busy, full, read-only, connection lost) leaves as a
    ``StorageError`` with one line a person can act on; nothing of the unit is kept.
    """
    session = Session(engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException as error:
        _quiet_rollback(session)
        trouble = storage_trouble(error)
        if trouble is not None:
            raise trouble from error
        raise
    finally:
        session.close()


@contextmanager
def reading(engine: Engine) -> Iterator[Session]:
    """A session for queries only; nothing it does is committed.

    Storage failures leave as a ``StorageError``, as in ``transaction``.
    """
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    except Exception as error:
        trouble = storage_trouble(error)
        if trouble is not None:
            raise trouble from error
        raise
    finally:
        # close() (not rollback()) keeps loaded objects readable after the block.
        session.close()


@contextmanager
def snapshot(engine: Engine) -> Iterator[Session]:
    """A read session that sees one moment from its first query to its end, while the
    desks write on: an export's files then agree with each other.

    SQLite's deferred ``BEGIN`` (above) keeps the snapshot of its first read; PostgreSQL
    needs ``REPEATABLE READ`` for it (its default gives each statement a moment of its
    own)."""
    bound = engine if is_sqlite(engine) else engine.execution_options(
        isolation_level="REPEATABLE READ")
    with reading(bound) as session:
        yield session


def _quiet_rollback(session: Session) -> None:
    """Roll back; a connection that is already gone has nothing left to undo."""
    try:
        session.rollback()
    except (OperationalError, InterfaceError):
        session.invalidate()


CHANGE_CHANNEL = "deskapp_change"
"""The PostgreSQL channel every committed change is announced on (``announce_change``)."""


def announce_change(session: Session) -> None:
    """Tell the other desks, once this unit of work commits, that something changed.

    PostgreSQL delivers a NOTIFY at commit, and never for a rollback; SQLite needs
    nothing: its ``data_version`` moves by itself (``ChangeWatch``)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANGE_CHANNEL})


class ChangeWatch:
    """Whether another connection committed a change since the last look, cheaply.

    On SQLite, ``PRAGMA data_version`` on a connection of its own: a counter the file
    moves on every commit of another connection, read without a lock. On PostgreSQL,
    ``LISTEN`` on the channel ``announce_change`` notifies. Either answers in
    microseconds, so a desk can look every second or two instead of reloading
    everything on a timer."""

    def __init__(self, engine: Engine) -> None:
        self._path = sqlite_path(engine)
        self._connection: Any = None
        self._version: int | None = None
        self._url = engine.url

    def _open(self) -> Any:
        if self._connection is None:
            if self._path is not None:
                import sqlite3

                self._connection = sqlite3.connect(self._path, check_same_thread=False)
            else:
                import psycopg

                uri = self._url.set(drivername="postgresql").render_as_string(
                    hide_password=False)
                self._connection = psycopg.connect(uri, autocommit=True, connect_timeout=5)
                self._connection.execute(f"LISTEN {CHANGE_CHANNEL}")
        return self._connection

    def changed(self) -> bool:
        """True when another desk (or this one's other connections) committed since the
        last call. The first look only takes the starting point."""
        connection = self._open()
        if self._path is not None:
            (version,) = connection.execute("PRAGMA data_version").fetchone()
            moved = self._version is not None and version != self._version
            self._version = version
            return bool(moved)
        # A round trip first: the server sends the notices of commits made before it
        # ahead of its answer. Without it a notice still on its way was missed by this
        # look (43 % of the looks right after a commit, measured) and seen only by the next.
        connection.execute("SELECT 1")
        # Read every waiting notice: one look answers for all the commits since the last.
        return sum(1 for _notice in connection.notifies(timeout=0, stop_after=1000)) > 0

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
