"""Opening the desk: settings → engine → schema up to date → the site.

Shared by the CLI, the app, the tests and the benchmarks, so every entry
point opens the database the same way (pragmas, upgrade with backup, site).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy.engine import Engine

from deskapp import i18n, migrate
from deskapp.config import Settings
from deskapp.db import ensure_statistics, make_engine, reading, transaction
from deskapp.errors import StorageError
from deskapp.i18n import _
from deskapp.services import operators, sites
from deskapp.services.clock import Clock, SystemClock


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


def open_desk(settings: Settings, *, clock: Clock | None = None, upgrade: bool = True) -> Desk:
    """Open (and if needed create or upgrade) the database named by ``settings``.

    Raises ``StorageError`` with one clear line when the database cannot be used.
    """
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
