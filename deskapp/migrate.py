"""Schema version of a database: create, upgrade (with a backup first), refuse newer.

Migrations ship inside the package (``deskapp/migrations``) and run with no
alembic.ini, so an installed copy can upgrade the database it opens.

A normal start imports no alembic (nor mako, which it brings: 150 ms of a 1 s
start): ``shipped_head`` is read from the versions folder's file names, the
database's stamp with one query, and only a database that is not at that head
(empty, older, newer, or unreadable that way) goes through alembic, which then
decides as before. A test holds the file names to alembic's own head.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlalchemy import text as sql
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError

from deskapp.db import (
    check_connection,
    describe_connection_error,
    foreign_tables_message,
    is_sqlite,
    refresh_statistics,
    sqlite_path,
)
from deskapp.errors import StorageError
from deskapp.i18n import _

if TYPE_CHECKING:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

SCRIPT_LOCATION = "deskapp:migrations"
VERSIONS = Path(__file__).parent / "migrations" / "versions"
# ``0011_search_indexes.py`` holds revision ``"0011"``: the file name says the revision.
_REVISION_FILE = re.compile(r"^(\d{4})_\w+\.py$")


@cache
def shipped_revisions() -> tuple[str, ...]:
    """The revisions shipped, oldest first, from the versions folder alone (no alembic)."""
    found = (_REVISION_FILE.match(path.name) for path in VERSIONS.iterdir())
    return tuple(sorted(match.group(1) for match in found if match))


def shipped_head() -> str:
    """The newest revision shipped, known without importing alembic."""
    return shipped_revisions()[-1]


def stamped_revision(engine: Engine) -> str | None:
    """The revision in ``alembic_version`` read with one plain query; ``None`` when it
    cannot be read so (no table yet, several rows): alembic then looks. A database
    that cannot be reached is said at once, as ``check_connection`` says it."""
    try:
        connection = engine.connect()
    except (OperationalError, DatabaseError) as error:
        raise describe_connection_error(engine, error) from error
    try:
        rows = connection.execute(sql("SELECT version_num FROM alembic_version")).all()
    except (OperationalError, DatabaseError):
        return None
    finally:
        connection.close()
    return str(rows[0][0]) if len(rows) == 1 else None


def _at_shipped_head(engine: Engine) -> bool:
    return stamped_revision(engine) == shipped_head()


def alembic_config(engine: Engine, script_location: str = SCRIPT_LOCATION) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", script_location)
    url = engine.url.render_as_string(hide_password=False)
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def head_revision(script_location: str = SCRIPT_LOCATION) -> str:
    head = _scripts(script_location).get_current_head()
    assert head is not None, "the package ships at least one migration"
    return head


@cache
def _scripts(script_location: str = SCRIPT_LOCATION) -> ScriptDirectory:
    """The migrations shipped, read once per process: reading and compiling every
    revision file took 50 ms at each start (and in each test's fresh desk)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_script_only_config(script_location))


def _script_only_config(script_location: str = SCRIPT_LOCATION) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", script_location)
    return config


def current_revision(engine: Engine) -> str | None:
    """The revision stamped in the database, ``None`` when it has never been migrated."""
    from alembic.runtime.migration import MigrationContext

    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    except (OperationalError, DatabaseError) as error:
        raise describe_connection_error(engine, error) from error


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str
    known: bool
    """False when the database was written by a newer deskapp."""

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head

    @property
    def empty(self) -> bool:
        return self.current is None


def schema_status(engine: Engine, script_location: str = SCRIPT_LOCATION) -> SchemaStatus:
    if script_location == SCRIPT_LOCATION and _at_shipped_head(engine):
        head = shipped_head()
        return SchemaStatus(current=head, head=head, known=True)
    current = current_revision(engine)
    known = current is None or _revision_known(_scripts(script_location), current)
    return SchemaStatus(current=current, head=head_revision(script_location), known=known)


def _revision_known(script: ScriptDirectory, revision: str) -> bool:
    try:
        return script.get_revision(revision) is not None
    except Exception:
        return False


def upgrade(
    engine: Engine,
    *,
    backup: bool = True,
    now: datetime | None = None,
    script_location: str = SCRIPT_LOCATION,
) -> Path | None:
    """Bring the database to the newest schema; returns the backup written first, if any.

    An empty database is created without a backup. A database stamped by a
    newer deskapp is refused and left untouched. After a migration the planner's
    statistics are gathered afresh (``db.refresh_statistics``).
    """
    if script_location == SCRIPT_LOCATION and _at_shipped_head(engine):
        return None  # one query, and no alembic imported
    check_connection(engine)
    status = schema_status(engine, script_location)
    if not status.known:
        raise StorageError(
            _("This database was written by a newer deskapp (schema {revision}). "
              "Install the newer version; this one will not touch it.")
            .format(revision=status.current)
        )
    if status.up_to_date:
        return None
    if status.empty:
        _refuse_foreign(engine)
    backup_path = None
    if backup and not status.empty and _has_tables(engine):
        backup_path = backup_before_upgrade(engine, status.current or "none", now=now)
    from alembic import command

    try:
        with engine.connect() as connection:
            config = alembic_config(engine, script_location)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        refresh_statistics(engine)
    except (OperationalError, DatabaseError) as error:
        raise describe_connection_error(engine, error) from error
    return backup_path


def _refuse_foreign(engine: Engine) -> None:
    """A database with tables but no deskapp schema belongs to another program: refuse
    it, untouched, instead of adding our tables beside its own (a SQLite file is
    refused before this, as it is opened: ``db.make_engine``)."""
    tables = sorted(inspect(engine).get_table_names())
    if tables:
        raise StorageError(foreign_tables_message(tables))


def _has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def backup_before_upgrade(engine: Engine, revision: str, *, now: datetime | None = None) -> Path:
    path = sqlite_path(engine)
    if path is None:
        raise StorageError(
            _("Upgrading a PostgreSQL database needs a backup first: "
              "run pg_dump, then deskapp db upgrade --no-backup.")
        )
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.stem}.before-upgrade-{revision}-{stamp}{path.suffix}")
    backup(engine, target)
    return target


def backup(engine: Engine, target: Path) -> Path:
    """A consistent copy of the database at ``target`` (SQLite online backup or pg_dump)."""
    target = target.expanduser()
    if target.exists():
        raise StorageError(
            _("{path} already exists; choose a new file name for the backup.").format(path=target)
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(
            _("Cannot write the backup to {path}: {reason}").format(path=target, reason=error)
        ) from error
    if is_sqlite(engine):
        source = sqlite_path(engine)
        if source is None:
            raise StorageError(_("An in-memory database cannot be backed up."))
        partial = target.with_name(target.name + ".partial")
        try:
            src = sqlite3.connect(source)
            try:
                dst = sqlite3.connect(partial)
                try:
                    src.backup(dst)
                finally:
                    dst.close()
            finally:
                src.close()
            partial.replace(target)
        except (sqlite3.Error, OSError) as error:
            partial.unlink(missing_ok=True)
            raise StorageError(
                _("Cannot write the backup to {path}: {reason}").format(path=target, reason=error)
            ) from error
        return target
    return _pg_dump(engine, target)


def _pg_dump(engine: Engine, target: Path) -> Path:
    if shutil.which("pg_dump") is None:
        raise StorageError(_("pg_dump is not installed; install the PostgreSQL client tools."))
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    result = subprocess.run(
        ["pg_dump", "--format=custom", f"--file={target}", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        target.unlink(missing_ok=True)
        raise StorageError(
            _("pg_dump failed: {reason}").format(reason=result.stderr.strip().splitlines()[-1:])
        )
    return target
