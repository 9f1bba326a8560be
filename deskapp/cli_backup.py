"""``deskapp backup`` and ``deskapp restore``: the commands over ``services.backup``.

Neither opens the desk: a restore must not hold the very database it is about to
replace. Both copy the residents' personal data in full, so a manager of the database
signs in (``cli_signin.manager_of_database``), checked in the database as it is: a
backup of a database whose schema is older than this deskapp is refused with the
upgrade to run (which writes its own copy first). A restore signs in to the database
it replaces, after the yes (nothing changes before it); into an empty place it needs
no sign-in.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from deskapp.cli import _settings, closed_at_end, guarded
from deskapp.cli_signin import manager_of_database
from deskapp.i18n import _

if TYPE_CHECKING:
    from deskapp.services.backup import DatabaseCheck


def _size(count: int) -> str:
    value = float(count)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{count} B"  # pragma: no cover (the loop always returns)


def _show_check(check: DatabaseCheck) -> None:
    typer.echo(_("Checked: the file is intact, the audit chain holds {entries} entries "
                 "unchanged, {seals}.").format(
        entries=check.audit_entries,
        seals=_("the sealed handovers match their seals") if check.seals_checked
        else _("the handovers are checked once the schema is upgraded")))
    typer.echo(_("Records: {list}").format(list=_(", ").join(
        _("{label} {count}").format(label=_(entry.label), count=entry.count)
        for entry in check.counts)))


def _sign_in_to_replace(ctx: typer.Context, target: Path) -> None:
    """A manager of the database a restore replaces signs in to it (none when there is
    none yet); its engine is closed again, since the restore must find it unused."""
    from deskapp.db import make_engine
    from deskapp.errors import StorageError

    if not target.exists():
        return
    engine = closed_at_end(ctx, make_engine(_settings(ctx).effective_database_url))
    try:
        manager_of_database(ctx, engine, _settings(ctx))
    except StorageError as error:
        raise StorageError(_("{reason} A sign-in cannot be checked in the database to be "
                             "replaced: move it aside (mv {path} {path}.old) and restore "
                             "into its place.").format(reason=error.message, path=target)
                           ) from error
    finally:
        engine.dispose()


def add_backup_commands(cli: typer.Typer) -> None:
    """Register ``backup`` and ``restore`` on the ``deskapp`` command."""

    @cli.command("backup", help=_("Write a consistent, checked copy of the live database "
                                  "(SQLite) while the desks keep working."))
    @guarded
    def backup(
        ctx: typer.Context,
        out: Annotated[
            Path | None,
            typer.Option("--out", help=_("File to write (default: backups/desk-<time>.db in "
                                         "the data folder). Never overwritten.")),
        ] = None,
    ) -> None:
        from datetime import UTC, datetime

        from deskapp.db import make_engine, sqlite_path
        from deskapp.services import backup as backups

        engine = closed_at_end(ctx, make_engine(_settings(ctx).effective_database_url))
        try:
            database = sqlite_path(engine)
            if database is not None:  # PostgreSQL: take_backup names pg_dump, copies nothing
                manager_of_database(ctx, engine, _settings(ctx))
                if out is None:
                    out = backups.default_backup_name(database, datetime.now(UTC))
            check = backups.take_backup(engine, out or Path("backup.db"))
        finally:
            engine.dispose()
        typer.echo(_("Backup written to {path} ({size}, schema {revision}).").format(
            path=check.path, size=_size(check.size), revision=check.revision))
        _show_check(check)

    @cli.command("restore", help=_("Replace the database with a backup FILE, after checking "
                                   "it; the replaced database is kept beside it."))
    @guarded
    def restore(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument(help=_("A backup written by deskapp backup."))],
        yes: Annotated[
            bool, typer.Option("--yes", help=_("Replace without asking (for scripts)."))
        ] = False,
    ) -> None:
        from datetime import UTC, datetime

        from deskapp.db import make_engine
        from deskapp.services import backup as backups

        engine = closed_at_end(ctx, make_engine(_settings(ctx).effective_database_url))
        try:
            target = backups.restore_target(engine)
        finally:
            engine.dispose()
        staged = backups.stage_restore(file, target)
        try:
            check = staged.check
            if staged.upgraded_from:
                typer.echo(_("{path}: schema {old}, brought to {new} for this deskapp.").format(
                    path=staged.source, old=staged.upgraded_from, new=check.revision))
            else:
                typer.echo(_("{path}: schema {revision}, {size}.").format(
                    path=staged.source, revision=check.revision, size=_size(check.size)))
            _show_check(check)
            if not yes:
                try:
                    confirmed = typer.confirm(_("Replace the database {path} with it?").format(
                        path=target), default=False)
                except typer.Abort:
                    confirmed = False
                if not confirmed:
                    typer.echo(_("Nothing was restored; the database is as it was."), err=True)
                    raise typer.Exit(1)
            _sign_in_to_replace(ctx, target)
        except BaseException:
            backups.discard_restore(staged)
            raise
        report = backups.complete_restore(staged, now=datetime.now(UTC))
        typer.echo(_("Restored {source} into {path}.").format(source=staged.source,
                                                              path=report.target))
        if report.kept is not None:
            typer.echo(_("The database it replaced is kept at {path}").format(path=report.kept))
