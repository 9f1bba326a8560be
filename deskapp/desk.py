"""Opening the desk: settings → engine → schema up to date → the site.

Shared by the CLI, the app, the tests and the benchmarks, so every entry
point opens the database the same way (pragmas, upgrade with backup, site).

Importing this module imports no SQLAlchemy: the sign-in screen is drawn before the
database layer is imported (docs/performance.md, Cold start), and ``look_at_desk``
answers what the screen shows first from the SQLite file with the standard library.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from deskapp import i18n
from deskapp.config import Settings
from deskapp.errors import DeskError, StorageError
from deskapp.i18n import _
from deskapp.services.clock import Clock, SystemClock

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


@dataclass
class Desk:
    """Everything a screen or a command needs to call the services."""

    settings: Settings
    engine: Engine
    site_id: int
    clock: Clock = field(default_factory=SystemClock)
    backup_written: Path | None = None
    """The copy taken before this start upgraded an older database."""

    @property
    def lockout(self) -> timedelta:
        return timedelta(minutes=self.settings.lockout_minutes)


def open_desk(settings: Settings, *, clock: Clock | None = None, upgrade: bool = True,
              set_language: bool = True) -> Desk:
    """Open (and if needed create or upgrade) the database named by ``settings``.

    Raises ``StorageError`` with one clear line when the database cannot be used.
    ``set_language``: switch to the settings' language (the app opening the desk behind
    its sign-in screen keeps the language the operator may have switched to meanwhile).
    """
    from deskapp import migrate
    from deskapp.db import ensure_statistics, make_engine, reading, transaction
    from deskapp.services import operators, sites

    if set_language:
        i18n.set_language(settings.language)
    operators.configure_hashing(settings.password_hash_profile)
    clock = clock or SystemClock()
    engine = make_engine(
        settings.effective_database_url, busy_timeout_ms=settings.sqlite_busy_timeout_ms
    )
    backup_written = None
    if upgrade:
        backup_written = migrate.upgrade(engine, now=clock.now())
        ensure_statistics(engine)
    else:
        status = migrate.schema_status(engine)
        if not status.known:  # "db upgrade" would refuse it too: say what will help
            raise StorageError(
                _("This database was written by a newer deskapp (schema {revision}). "
                  "Install the newer version; this one will not touch it.")
                .format(revision=status.current))
        if not status.up_to_date:
            raise StorageError(
                _("The database schema is not current; run deskapp db upgrade.")
            )
    # Read first: a start (or a command) needs no write lock when the site is there.
    # Only a database with no site at all gets one made (its first start); any other
    # unknown code is refused, so a mistyped --site opens no empty site.
    with reading(engine) as session:
        found = sites.find_site(session, settings.site_code)
        site_id = found.id if found is not None else None
        if site_id is None and sites.list_sites(session):
            raise sites.unknown_site(session, settings.site_code)
    if site_id is None:
        with transaction(engine) as session:
            site = sites.ensure_site(
                session, code=settings.site_code, name=settings.site_name, now=clock.now()
            )
            site_id = site.id
    assert site_id is not None
    return Desk(
        settings=settings, engine=engine, site_id=site_id, clock=clock,
        backup_written=backup_written,
    )


@dataclass(frozen=True)
class OpenedSite:
    """What a sign-in screen shows of the desk once it is open."""

    name: str
    is_demo: bool
    staffed: bool
    """Someone can sign in; otherwise the first manager is made on the terminal."""


def ready_for_sign_in(desk: Desk) -> OpenedSite:
    """After ``open_desk``, still in the opening thread: the site as the database names
    it, and what the first sign-in needs prepared (every mapper configured), so the PIN
    typed meanwhile is checked without that wait."""
    from sqlalchemy.orm import configure_mappers

    from deskapp.db import reading
    from deskapp.services import operators, sites
    from deskapp.services.acting import Acting
    from deskapp.services.handover import shifts  # noqa: F401 (the sign-in joins the shift)

    configure_mappers()
    with reading(desk.engine) as session:
        site = sites.get_site(session, desk.site_id)
        staffed = bool(operators.list_operators(session, acting=Acting(desk.site_id)))
    return OpenedSite(name=site.name if site else desk.settings.site_name,
                      is_demo=bool(site and site.is_demo), staffed=staffed)


def refusal_line(error: Exception) -> str | None:
    """The one line ``deskapp.cli.guarded`` prints when opening the desk fails so: a
    refusal (``DeskError``) or the database's own failure; ``None`` for anything else."""
    if isinstance(error, DeskError):
        return error.message
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(error, SQLAlchemyError):
        return _("The database refused the change: {reason}").format(
            reason=str(getattr(error, "orig", error)).splitlines()[0])
    return None


@dataclass(frozen=True)
class DeskLook:
    """What a start knows of the desk before opening it: enough to draw the sign-in
    screen, and whether this is the first start of an empty database."""

    site_name: str
    is_demo: bool = False
    first_run: bool = False
    """An empty or new database, or a site with no operator yet: the terminal offers
    the demo or the first manager before the app (``deskapp.cli._first_run``)."""


def look_at_desk(settings: Settings) -> DeskLook:
    """A cheap look at the desk's SQLite file with the standard library (a few ms, no
    SQLAlchemy), to show the sign-in screen at once; ``open_desk`` then opens it for
    real behind the screen. Whatever it cannot tell (PostgreSQL, a file that cannot be
    read, a schema other than ours) is left to ``open_desk``, whose refusals the
    sign-in screen shows: the look never decides that a database is bad."""
    unknown = DeskLook(site_name=settings.site_name)
    if settings.database_url and not settings.database_url.startswith("sqlite:///"):
        return unknown
    path = Path(settings.effective_database_url[len("sqlite:///"):])
    if not path.name or path.name == ":memory:":
        return unknown
    try:
        if not path.exists() or path.stat().st_size == 0:
            return DeskLook(site_name=settings.site_name, first_run=True)
    except OSError:
        return unknown
    try:
        connection = sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True, timeout=0.5)
    except sqlite3.Error:
        return unknown
    try:
        tables = {name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not tables:
            return DeskLook(site_name=settings.site_name, first_run=True)
        if not {"site", "operator"} <= tables:
            return unknown  # a foreign database: open_desk says so
        site = connection.execute(
            "SELECT id, name, is_demo FROM site WHERE code = ?", (settings.site_code,)
        ).fetchone()
        if site is None:
            # No site at all: the first start makes it. Another site's database with
            # a mistyped --site: open_desk refuses it.
            other = connection.execute("SELECT 1 FROM site LIMIT 1").fetchone()
            return DeskLook(site_name=settings.site_name, first_run=other is None)
        staffed = connection.execute(
            "SELECT 1 FROM operator WHERE site_id = ? LIMIT 1", (site[0],)).fetchone()
        return DeskLook(site_name=str(site[1]), is_demo=bool(site[2]),
                        first_run=staffed is None)
    except sqlite3.Error:
        return unknown
    finally:
        connection.close()
