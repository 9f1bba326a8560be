"""The ``deskapp`` command: no subcommand opens the desk; the rest is batch work.

Help texts are built after the language is known (``--lang`` or
``DESKAPP_LANG``), so ``deskapp --lang zh_CN --help`` answers in Chinese.
Every command prints a ``DeskError`` as one line and exits 1; a traceback
in front of a person is a defect.
"""

from __future__ import annotations

import contextlib
import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from sqlalchemy.exc import SQLAlchemyError

from deskapp import i18n
from deskapp.config import Settings, load_settings, normalize_language
from deskapp.errors import DeskError, StorageError
from deskapp.i18n import N_, _, counted

F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str) -> NoReturn:
    typer.secho(_("Error: {message}").format(message=message), fg="red", err=True)
    raise typer.Exit(1)


def guarded(function: F) -> F:
    """Turn a ``DeskError`` (or a database failure) into one line and exit code 1."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except DeskError as error:
            _fail(error.message)
        except SQLAlchemyError as error:
            _fail(_("The database refused the change: {reason}").format(
                reason=str(getattr(error, "orig", error)).splitlines()[0]))
        except KeyboardInterrupt:
            _fail(_("Interrupted; nothing more was written."))
        return None

    return wrapper  # type: ignore[return-value]


def _settings(ctx: typer.Context) -> Settings:
    settings = ctx.obj
    assert isinstance(settings, Settings)
    return settings


def closed_at_end(ctx: typer.Context, engine: Any) -> Any:
    """``engine``, closed when the command ends (its connections, and SQLite's -wal and
    -shm files), not whenever the process happens to collect it."""
    ctx.call_on_close(engine.dispose)
    return engine


def _open(ctx: typer.Context, *, upgrade: bool = True) -> Any:
    from deskapp.desk import open_desk

    desk = open_desk(_settings(ctx), upgrade=upgrade)
    closed_at_end(ctx, desk.engine)
    return desk


def _migrated_engine(ctx: typer.Context) -> Any:
    """The database, created or upgraded, without choosing a site (the site commands)."""
    from deskapp import migrate
    from deskapp.db import make_engine

    settings = _settings(ctx)
    engine = closed_at_end(ctx, make_engine(settings.effective_database_url,
                                            busy_timeout_ms=settings.sqlite_busy_timeout_ms))
    migrate.upgrade(engine)
    return engine


def build_cli() -> typer.Typer:
    cli = typer.Typer(
        help=_("deskapp: the front desk of a property service center. "
               "With no command, opens the desk."),
        no_args_is_help=False,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
        epilog=_("Every command:  deskapp (opens the desk) | deskapp db upgrade | "
                 "deskapp db current | deskapp db backup FILE | deskapp demo | "
                 "deskapp site add|list | "
                 "deskapp operator add|list|disable|unlock | deskapp import units FILE.csv "
                 "[--skip-bad] | deskapp audit verify | deskapp export [nightly] [--date DAY] | "
                 "deskapp export LEDGER [--since DAY] [--until DAY] [--format csv|xlsx|parquet] | "
                 "deskapp sweep | deskapp release reconcile [--week DAY] | "
                 "deskapp backup --out FILE | deskapp restore FILE | "
                 "deskapp report monthly|quarterly [--period P] [--format csv|pdf] | "
                 "deskapp token create|list|revoke.  "
                 "A manager signs in for most commands: deskapp --as LOGIN COMMAND asks "
                 "for the PIN; cron names a token file in DESKAPP_TOKEN_FILE.  "
                 "deskapp COMMAND --help tells more."),
    )

    @cli.callback(invoke_without_command=True)
    def main_callback(
        ctx: typer.Context,
        database_url: Annotated[
            str | None,
            typer.Option("--database-url", help=_("Database URL (default: data/desk.db). "
                                                   "Also DESKAPP_DATABASE_URL.")),
        ] = None,
        data_dir: Annotated[
            Path | None,
            typer.Option("--data-dir", help=_("Folder of the embedded database and settings.")),
        ] = None,
        lang: Annotated[
            str | None, typer.Option("--lang", help=_("Language: en or zh_CN."))
        ] = None,
        site: Annotated[
            str | None, typer.Option("--site", help=_("Code of the property (site) to serve."))
        ] = None,
        as_login: Annotated[
            str | None,
            typer.Option("--as", envvar="DESKAPP_AS", show_envvar=False, metavar="LOGIN",
                         help=_("Sign-in name of the manager a command acts as (the PIN is "
                                "asked for). Also DESKAPP_AS; cron names a token file in "
                                "DESKAPP_TOKEN_FILE instead.")),
        ] = None,
    ) -> None:
        try:
            settings = load_settings(
                database_url=database_url, data_dir=data_dir, language=lang, site_code=site
            )
        except DeskError as error:
            _fail(error.message)
        i18n.set_language(settings.language)
        ctx.obj = settings
        from deskapp.cli_signin import remember_login

        remember_login(ctx, as_login)
        if ctx.invoked_subcommand is None:
            _run_app(ctx)

    db = typer.Typer(help=_("Database schema and backups."), no_args_is_help=True)
    cli.add_typer(db, name="db")

    @db.command("upgrade", help=_("Bring the database to the newest schema (backup first)."))
    @guarded
    def db_upgrade(
        ctx: typer.Context,
        no_backup: Annotated[
            bool, typer.Option("--no-backup", help=_("Skip the backup copy (PostgreSQL)."))
        ] = False,
    ) -> None:
        from deskapp import migrate
        from deskapp.db import make_engine

        settings = _settings(ctx)
        engine = closed_at_end(ctx, make_engine(settings.effective_database_url))
        written = migrate.upgrade(engine, backup=not no_backup)
        if written is not None:
            typer.echo(_("Backup written to {path}").format(path=written))
        typer.echo(_("Database schema is current ({revision}).").format(
            revision=migrate.head_revision()))

    @db.command("current", help=_("Show the database's schema version."))
    @guarded
    def db_current(ctx: typer.Context) -> None:
        from deskapp import migrate
        from deskapp.db import make_engine

        engine = closed_at_end(ctx, make_engine(_settings(ctx).effective_database_url))
        status = migrate.schema_status(engine)
        if status.empty:
            typer.echo(_("Empty database (no schema yet); newest is {head}.").format(
                head=status.head))
        elif not status.known:
            typer.echo(_("{current}: written by a newer deskapp (this one knows {head}).").format(
                current=status.current, head=status.head))
            raise typer.Exit(1)
        elif status.up_to_date:
            typer.echo(_("{current} (current)").format(current=status.current))
        else:
            typer.echo(_("{current}: older than {head}; run deskapp db upgrade.").format(
                current=status.current, head=status.head))

    @db.command("backup", help=_("Write a consistent copy of the database to FILE."))
    @guarded
    def db_backup(ctx: typer.Context, file: Annotated[Path, typer.Argument()]) -> None:
        from deskapp import migrate
        from deskapp.cli_signin import manager_of_database
        from deskapp.db import check_connection, make_engine

        engine = closed_at_end(ctx, make_engine(_settings(ctx).effective_database_url))
        check_connection(engine)
        manager_of_database(ctx, engine, _settings(ctx))
        written = migrate.backup(engine, file)
        typer.echo(_("Backup written to {path}").format(path=written))

    @cli.command("demo", help=_("Seed a believable demo site into an empty database."))
    @guarded
    def demo(ctx: typer.Context) -> None:
        from deskapp.cli_signin import manager_unless_first

        desk = _open(ctx)
        manager_unless_first(ctx, desk)  # an empty site has no manager yet: none needed
        _seed_demo(desk)

    site_cli = typer.Typer(help=_("The properties (sites) this database serves."),
                           no_args_is_help=True)
    cli.add_typer(site_cli, name="site")

    @site_cli.command("add", help=_("Add a site; serve it with deskapp --site CODE."))
    @guarded
    def site_add(
        ctx: typer.Context,
        code: Annotated[str, typer.Argument(help=_("Short code, e.g. north."))],
        name: Annotated[str, typer.Option("--name", help=_("Name as the screens and the "
                                                           "prints show it."))],
    ) -> None:
        from deskapp.cli_signin import manager_for_new_site
        from deskapp.db import transaction
        from deskapp.services import sites
        from deskapp.services.clock import SystemClock

        engine = _migrated_engine(ctx)
        manager_for_new_site(ctx, engine, _settings(ctx))
        with transaction(engine) as session:
            added = sites.add_site(session, code=code, name=name, now=SystemClock().now())
        typer.echo(_("Site {code} ({name}) added; serve it with deskapp --site {code}.").format(
            code=added.code, name=added.name))

    @site_cli.command("list", help=_("List the sites of this database."))
    @guarded
    def site_list(ctx: typer.Context) -> None:
        from deskapp.db import reading
        from deskapp.services import sites

        with reading(_migrated_engine(ctx)) as session:
            rows = sites.list_sites(session)
        if not rows:
            typer.echo(_("No site yet: the first start creates one, or add one with deskapp "
                         "site add CODE --name NAME."))
        from deskapp.services.text import column, shown_safely

        for row in rows:
            demo = _("(demo)") if row.is_demo else ""
            typer.echo(f"{column(row.code, 16)} {shown_safely(row.name)} {demo}".rstrip())

    @site_cli.command("grant", help=_("Let a supervisor or manager of another site read and "
                                      "report on this one (--site); this site's manager "
                                      "signs in."))
    @guarded
    def site_grant(
        ctx: typer.Context,
        login: Annotated[str, typer.Argument(help=_("Their sign-in name at their own site."))],
        home: Annotated[str, typer.Option("--from", help=_("The code of their own site."))],
        revoke: Annotated[bool, typer.Option("--revoke", help=_("Withdraw the grant."))] = False,
    ) -> None:
        _grant(ctx, login, home, revoke=revoke)

    @site_cli.command("grants", help=_("Who reads this site (--site) from another site."))
    @guarded
    def site_grants(ctx: typer.Context) -> None:
        from deskapp.cli_signin import manager
        from deskapp.db import reading
        from deskapp.services import grants, operators
        from deskapp.services.acting import Acting
        from deskapp.services.text import column

        desk = _open(ctx)
        manager(ctx, desk)
        with reading(desk.engine) as session:
            held = grants.grants_of(session, acting=Acting(desk.site_id))
        if not held:
            typer.echo(_("Nobody from another site reads this site."))
        for grant, holder, home in held:
            typer.echo(f"{column(home.code, 16)} {column(holder.login, 16)} "
                       f"{column(holder.display_name, 12)} "
                       f"{column(operators.role_label(holder.role), 12)} "
                       f"{grant.granted_at:%Y-%m-%d}")

    operator = typer.Typer(help=_("Operators of the desk."), no_args_is_help=True)
    cli.add_typer(operator, name="operator")

    @operator.command("add", help=_("Add an operator; the PIN is asked for twice."))
    @guarded
    def operator_add(
        ctx: typer.Context,
        login: Annotated[str, typer.Argument(help=_("Sign-in name, e.g. wangfang."))],
        name: Annotated[str, typer.Option("--name", help=_("Full name as shown at the desk."))],
        role: Annotated[
            str, typer.Option("--role", help=_("operator, supervisor, manager or guard."))
        ] = "operator",
        pin: Annotated[
            str | None, typer.Option("--pin", help=_("PIN (asked for when not given)."))
        ] = None,
    ) -> None:
        from deskapp.cli_signin import manager, manager_unless_first
        from deskapp.db import transaction
        from deskapp.models import Role
        from deskapp.services import operators
        from deskapp.services.acting import Acting

        desk = _open(ctx)
        # The site's first manager is added with no sign-in: there is nobody to give one.
        if operators.parse_role(role) is Role.MANAGER:
            actor = manager_unless_first(ctx, desk)
        else:
            actor = manager(ctx, desk)
        if pin is None:
            pin = typer.prompt(_("PIN of {login}").format(login=login), hide_input=True,
                               confirmation_prompt=True)
        with transaction(desk.engine) as session:
            added = operators.add_operator(
                session, acting=Acting(desk.site_id, actor), login=login, display_name=name,
                role=role,
                secret=pin, now=desk.clock.now(),
            )
        typer.echo(_("Operator {login} ({name}, {role}) added.").format(
            login=added.login, name=added.display_name, role=operators.role_label(added.role)))

    @operator.command("list", help=_("List the operators of the site."))
    @guarded
    def operator_list(ctx: typer.Context) -> None:
        from deskapp.cli_signin import manager
        from deskapp.db import reading
        from deskapp.services import operators
        from deskapp.services.acting import Acting

        desk = _open(ctx)
        manager(ctx, desk)  # the sign-in names the sign-in screen does not reveal
        with reading(desk.engine) as session:
            rows = operators.list_operators(session, acting=Acting(desk.site_id))
        if not rows:
            typer.echo(_("No operators yet: add one with deskapp operator add."))
            return
        from deskapp.formatting import desk_zone

        now, zone = desk.clock.now(), desk_zone(desk.settings.timezone)
        from deskapp.services.text import column

        for row in rows:
            state = operators.state_label(row, now=now, zone=zone)
            typer.echo(f"{column(row.login, 16)} {column(row.display_name, 12)} "
                       f"{column(operators.role_label(row.role), 12)} {state}")

    @operator.command("disable", help=_("Disable an operator (kept in the records)."))
    @guarded
    def operator_disable(
        ctx: typer.Context,
        login: Annotated[str, typer.Argument()],
        reason: Annotated[str, typer.Option("--reason", help=_("Why (kept in the audit trail)."))],
    ) -> None:
        from deskapp.cli_signin import manager
        from deskapp.db import transaction
        from deskapp.services import operators
        from deskapp.services.acting import Acting

        desk = _open(ctx)
        actor = manager(ctx, desk)
        with transaction(desk.engine) as session:
            operators.disable_operator(
                session, acting=Acting(desk.site_id, actor), login=login, reason=reason,
                now=desk.clock.now(),
            )
        typer.echo(_("Operator {login} disabled.").format(login=login))

    @operator.command("unlock", help=_("Lift a lockout after too many wrong PINs."))
    @guarded
    def operator_unlock(ctx: typer.Context, login: Annotated[str, typer.Argument()]) -> None:
        from deskapp.cli_signin import manager
        from deskapp.db import transaction
        from deskapp.services import operators
        from deskapp.services.acting import Acting

        desk = _open(ctx)
        actor = manager(ctx, desk)
        with transaction(desk.engine) as session:
            operators.unlock_operator(
                session, acting=Acting(desk.site_id, actor), login=login, now=desk.clock.now()
            )
        typer.echo(_("Operator {login} unlocked.").format(login=login))

    importer = typer.Typer(help=_("Import data from files."), no_args_is_help=True)
    cli.add_typer(importer, name="import")

    @importer.command("units", help=_("Import the resident directory from a CSV file "
                                      "(columns unit,name,relation,phone,alt_phone)."))
    @guarded
    def import_units(
        ctx: typer.Context,
        file: Annotated[Path, typer.Argument()],
        skip_bad: Annotated[
            bool, typer.Option("--skip-bad", help=_("Write the good lines, report the rest."))
        ] = False,
    ) -> None:
        from deskapp.cli_signin import manager
        from deskapp.db import transaction
        from deskapp.services import importer as importer_service
        from deskapp.services.acting import Acting

        desk = _open(ctx)
        text = importer_service.read_csv_text(file)
        actor = manager(ctx, desk)
        with transaction(desk.engine) as session:
            report = importer_service.import_units(
                session, acting=Acting(desk.site_id, actor), text=text, now=desk.clock.now(),
                skip_bad=skip_bad,
            )
        for rejected in report.rejected:
            typer.secho(_("line {line}: {reason}").format(
                line=rejected.line, reason=rejected.reason), err=True, fg="yellow")
        if not report.written:
            _fail(counted(len(report.rejected),
                          N_("1 line rejected; nothing was written. Fix it, or use "
                             "--skip-bad to import the good lines."),
                          N_("{count} lines rejected; nothing was written. Fix them, or use "
                             "--skip-bad to import the good lines.")))
        typer.echo(_("{units} units and {residents} residents added; {rejected} lines "
                     "rejected.").format(units=report.units_added,
                                         residents=report.residents_added,
                                         rejected=len(report.rejected)))

    audit_cli = typer.Typer(help=_("The audit trail."), no_args_is_help=True)
    cli.add_typer(audit_cli, name="audit")

    @audit_cli.command("verify", help=_("Check the hash chain of the audit trail and the "
                                        "seals of the sealed handovers."))
    @guarded
    def audit_verify(
        ctx: typer.Context,
        anchors: Annotated[
            Path | None,
            typer.Option("--anchors", help=_("Folder of nightly exports: prove that the chain "
                                             "still holds every head their manifests "
                                             "recorded.")),
        ] = None,
    ) -> None:
        from deskapp.db import snapshot
        from deskapp.services import audit
        from deskapp.services import export as exporting
        from deskapp.services.handover import handovers

        desk = _open(ctx, upgrade=False)
        anchored = exporting.read_anchors(anchors) if anchors is not None else []
        if anchors is not None and not anchored:
            _fail(_("No manifest under {folder} records the audit chain's head: point "
                    "--anchors at the nightly exports' folder.").format(folder=anchors))
        with snapshot(desk.engine) as session:
            result = audit.verify(session)
            problems = handovers.verify_seals(session)
            problems[:0] = audit.verify_anchors(session, anchored)
        if not result.ok:
            problems.insert(0, _("Audit entry {seq} breaks the chain: {reason}.").format(
                seq=result.broken_seq, reason=result.reason))
        if problems:
            for problem in problems[:-1]:  # one line each; the last one ends with exit 1
                typer.secho(_("Error: {message}").format(message=problem), fg="red", err=True)
            _fail(problems[-1])
        typer.echo(counted(result.checked, N_("OK: 1 entry, chain intact."),
                           N_("OK: {count} entries, chain intact.")))
        typer.echo(_("Sealed handovers: unchanged since their seal."))
        if anchored:
            typer.echo(counted(len(anchored),
                               N_("Anchors: the chain holds the head 1 manifest recorded."),
                               N_("Anchors: the chain holds every head {count} manifests "
                                  "recorded.")))

    from deskapp.cli_export import add_export_commands

    add_export_commands(cli)

    release_cli = typer.Typer(help=_("Release slips (物品放行条)."), no_args_is_help=True)
    cli.add_typer(release_cli, name="release")

    @release_cli.command("reconcile", help=_("Write the weekly reconciliation of the release "
                                             "slips: every slip released in the week, and "
                                             "whether it was filed."))
    @guarded
    def release_reconcile(
        ctx: typer.Context,
        week: Annotated[
            str | None,
            typer.Option("--week", help=_("The week's Monday, as 2026-11-23 (default: last "
                                          "week).")),
        ] = None,
        out: Annotated[
            Path | None,
            typer.Option("--out", help=_("Folder to write into (default: exports/ in the data "
                                         "folder).")),
        ] = None,
    ) -> None:
        from deskapp.cli_signin import manager
        from deskapp.db import reading
        from deskapp.formatting import desk_zone
        from deskapp.services.acting import Acting
        from deskapp.services.release import reconciliation

        desk = _open(ctx)
        settings = desk.settings
        if week is None:
            start = reconciliation.last_week(desk.clock.now(), desk_zone(settings.timezone))
        else:
            start = reconciliation.parse_week(week)
        manager(ctx, desk)  # the file names the units whose things left
        with reading(desk.engine) as session:
            report = reconciliation.write_week(
                session, acting=Acting(desk.site_id), site_code=settings.site_code,
                week_start=start,
                settings=settings, out_dir=out or settings.data_dir / "exports",
            )
        typer.echo(_("Reconciliation of the week from {week} written to {path}: {released} "
                     "released, {filed} filed, {missing} not filed.").format(
            week=report.week_start, path=report.path, released=report.released,
            filed=report.filed, missing=report.not_filed))

    @cli.command("sweep", help=_("Apply the age rules to open requests: raise severities and "
                                 "open escalations (run it nightly, or let the desk do it)."))
    @guarded
    def sweep(ctx: typer.Context) -> None:
        from deskapp.cli_signin import manager
        from deskapp.db import transaction
        from deskapp.services.acting import Acting
        from deskapp.services.requests import rules as request_rules

        desk = _open(ctx)
        manager(ctx, desk)
        with transaction(desk.engine) as session:
            report = request_rules.sweep(
                session, acting=Acting(desk.site_id), now=desk.clock.now(), settings=desk.settings
            )
        typer.echo(_("Severities raised: {raised}; escalations opened: {escalations}.").format(
            raised=len(report.raised), escalations=len(report.escalations)))

    from deskapp.cli_backup import add_backup_commands
    from deskapp.cli_reports import add_report_commands
    from deskapp.cli_signin import add_token_commands

    add_backup_commands(cli)
    add_report_commands(cli)
    add_token_commands(cli)
    return cli


def _grant(ctx: typer.Context, login: str, home_code: str, *, revoke: bool) -> None:
    """``deskapp --site TARGET site grant LOGIN --from HOME [--revoke]``: TARGET's manager
    signs in; LOGIN is a supervisor or manager of HOME."""
    from deskapp.cli_signin import manager
    from deskapp.db import transaction
    from deskapp.services import grants, operators, sites
    from deskapp.services.acting import Acting

    desk = _open(ctx)
    actor = manager(ctx, desk)
    with transaction(desk.engine) as session:
        home = sites.find_site(session, home_code.strip())
        if home is None or home.id is None:
            raise sites.unknown_site(session, home_code.strip())
        holder = operators.get_operator(session, acting=Acting(home.id), login=login)
        change = grants.revoke if revoke else grants.grant
        change(session, acting=Acting(desk.site_id, actor), operator=holder,
               now=desk.clock.now())
        name, code = holder.display_name, desk.settings.site_code
    message = (_("{name} of {home} no longer reads site {site}.") if revoke else
               _("{name} of {home} now reads and reports on site {site}; they change nothing "
                 "here."))
    typer.echo(message.format(name=name, home=home_code.strip(), site=code))


def _seed_demo(desk: Any) -> None:
    from deskapp.db import transaction
    from deskapp.formatting import desk_zone
    from deskapp.services import demo, operators
    from deskapp.services.acting import Acting

    with transaction(desk.engine) as session:
        report = demo.seed_demo(
            session, acting=Acting(desk.site_id), now=desk.clock.now(),
            zone=desk_zone(desk.settings.timezone), settings=desk.settings,
        )
    typer.echo(_("Demo site ready: {units} units, {residents} residents, {requests} requests "
                 "and a week of the custody ledgers.").format(
        units=report.units, residents=report.residents, requests=report.requests))
    shifts = report.handovers
    typer.echo(_("A week of shifts: {entries} duty-log entries, {sealed} handovers sealed; "
                 "{unreviewed} waiting for the supervisor's review, {refused} refused "
                 "item(s) on the supervisor's list.").format(
        entries=shifts.duty_entries, sealed=shifts.sealed, unreviewed=shifts.unreviewed,
        refused=shifts.refused_waiting))
    released = report.slips
    typer.echo(_("Release slips: {slips} written this week; {waiting} waiting for the owner's "
                 "confirmation, {issued} issued today, {unfiled} released and not filed, "
                 "{unused} unused past their day, {overdue} returnable(s) overdue.").format(
        slips=released.slips, waiting=released.waiting, issued=released.issued_today,
        unfiled=released.unfiled, unused=released.unused, overdue=released.overdue))
    typer.echo(_("Sign in with one of these demo operators:"))
    for entry in report.operators:
        typer.echo(f"  {entry.login:<12} {_('PIN')} {entry.pin:<8} "
                   f"{operators.role_label(entry.role):<10} {entry.display_name}")


def _run_app(ctx: typer.Context) -> None:
    """No command: the desk (``deskapp.app.run_desk``: the sign-in screen first, the
    database opened behind it; an empty one goes through ``_first_run`` first).
    ``deskapp`` with only the top-level options gets here without typer
    (``deskapp.__main__``)."""
    from deskapp.app import run_desk

    status = run_desk(_settings(ctx), first_run=_first_run)
    if status:
        raise typer.Exit(status)


@guarded
def _first_run(settings: Settings) -> Any:
    """The first start of an empty database, on the terminal, before the app: open the
    desk (created or upgraded), offer the demo site or create the first manager, and
    return the open desk."""
    from deskapp.db import reading, transaction
    from deskapp.desk import open_desk
    from deskapp.services import operators
    from deskapp.services.acting import Acting

    desk = open_desk(settings)
    if desk.backup_written is not None:
        typer.echo(_("The database was upgraded; a copy of the old one is at {path}").format(
            path=desk.backup_written))
    with reading(desk.engine) as session:
        if operators.list_operators(session, acting=Acting(desk.site_id)):
            return desk  # someone made one meanwhile (another desk, deskapp operator add)
    if not sys.stdin.isatty():
        raise StorageError(_("The database has no operators yet: run deskapp demo, or "
                             "deskapp operator add NAME --role manager."))
    typer.echo(_("This database is empty."))
    if typer.confirm(_("Load a demo site (buildings, residents, operators)?"), default=True):
        _seed_demo(desk)
        return desk
    typer.echo(_("Create the first manager account."))
    login = typer.prompt(_("Sign-in name"))
    name = typer.prompt(_("Full name"))
    pin = typer.prompt(_("PIN"), hide_input=True, confirmation_prompt=True)
    with transaction(desk.engine) as session:
        operators.add_operator(
            session, acting=Acting(desk.site_id), login=login, display_name=name, role="manager",
            secret=pin, now=desk.clock.now(),
        )
    return desk


def _early_language(argv: list[str]) -> None:
    """Set the language before help texts are built."""
    value = os.environ.get("DESKAPP_LANG", "")
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            value = argv[index + 1]
        elif arg.startswith("--lang="):
            value = arg.split("=", 1)[1]
    if value:
        with contextlib.suppress(DeskError):
            i18n.set_language(normalize_language(value))


def main() -> None:
    from deskapp.__main__ import desk_options, open_the_desk

    options = desk_options(sys.argv[1:])
    if options is not None:  # no command: the desk, without building the command line
        sys.exit(open_the_desk(options))
    _early_language(sys.argv[1:])
    build_cli()(prog_name="deskapp")
