"""``deskapp export``: the nightly export of every ledger, and one ledger over any range.

    deskapp export [nightly] [--date DAY] [--out DIR] [--excel]
    deskapp export LEDGER [--since DAY] [--until DAY] [--format csv|xlsx|parquet]
                          [--out FILE]
                          [--excel] [--lang zh_CN] [--unmasked]

A name after ``export`` that is not ``nightly`` is a ledger (``requests``,
``key_loans`` …): the service says which ledgers there are when the name is none of
them. A range export shows a progress bar on a terminal and says nothing under cron.
Every export leaves the desk with personal data (masked or not): a manager signs in
for it (``cli_signin``), and ``--unmasked`` is allowed by that manager.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from deskapp.cli import _open, guarded
from deskapp.cli_signin import manager as signed_in_manager
from deskapp.i18n import _

if TYPE_CHECKING:
    from collections.abc import Callable

# The nightly export's options, shared by ``deskapp export`` and ``deskapp export nightly``
# (module level: the annotations are read by name when the command is built).
DayOption = Annotated[
    str | None,
    typer.Option("--date", help=_("Day to export, as 2026-11-23 (default: yesterday).")),
]
OutOption = Annotated[
    Path | None,
    typer.Option("--out", help=_("Folder to write into (default: exports/ in the data "
                                 "folder).")),
]
ExcelOption = Annotated[
    bool,
    typer.Option("--excel", help=_("Start each file with a byte-order mark, so that "
                                   "Excel shows the Chinese.")),
]

_LEDGER = "deskapp.ledger"


class LedgerGroup(TyperGroup):
    """``deskapp export LEDGER``: a name that is not a subcommand is a ledger's name."""

    # Typed loosely: Typer carries its own copy of click, whose types are private.
    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None and cmd_name != "ledger":
            return command
        ctx.meta[_LEDGER] = cmd_name
        return super().get_command(ctx, "ledger")


def add_export_commands(cli: typer.Typer) -> None:
    from deskapp.services.export_labels import LEDGER_NAMES

    export_cli = typer.Typer(
        cls=LedgerGroup,
        help=_("Write the nightly CSV export of every ledger for one day, or one ledger "
               "over any range (deskapp export LEDGER --since DAY --until DAY)."),
        epilog=_("LEDGER is one of: {names}.").format(names=", ".join(LEDGER_NAMES)),
        invoke_without_command=True)
    cli.add_typer(export_cli, name="export")

    @export_cli.callback()
    @guarded
    def export(ctx: typer.Context, day: DayOption = None, out: OutOption = None,
               excel: ExcelOption = False) -> None:
        # Plain ``deskapp export`` is the nightly export, as it always was.
        if ctx.invoked_subcommand is None:
            _export_nightly(ctx, day, out, excel)

    @export_cli.command("nightly", help=_("Write the nightly CSV export of every ledger for "
                                          "one day."))
    @guarded
    def export_nightly(ctx: typer.Context, day: DayOption = None, out: OutOption = None,
                       excel: ExcelOption = False) -> None:
        _export_nightly(ctx, day, out, excel)

    @export_cli.command("ledger", hidden=True,
                        help=_("Write one ledger's records created or changed within a "
                               "range of days."))
    @guarded
    def export_ledger(
        ctx: typer.Context,
        since: Annotated[str | None, typer.Option(
            "--since", help=_("First day, as 2026-01-01 (default: the first record)."))] = None,
        until: Annotated[str | None, typer.Option(
            "--until", help=_("Last day, included (default: today)."))] = None,
        file_format: Annotated[str, typer.Option(
            "--format", help=_("csv, xlsx (an Excel workbook) or parquet (for data "
                               "warehouses)."))] = "csv",
        out: Annotated[Path | None, typer.Option(
            "--out", help=_("File to write (default: exports/<site>/ in the data "
                            "folder)."))] = None,
        excel: ExcelOption = False,
        lang: Annotated[str | None, typer.Option(
            "--lang", help=_("Language of the headers: en or zh_CN."))] = None,
        unmasked: Annotated[bool, typer.Option(
            "--unmasked", help=_("Phone and ID numbers in full: allowed by the manager who "
                                 "signs in, audited."))] = False,
        manager: Annotated[str | None, typer.Option(
            "--manager", help=_("Sign-in name of the manager who allows --unmasked (as "
                                "deskapp --as LOGIN; the PIN is asked for)."))
        ] = None,
    ) -> None:
        ledger = str(ctx.parent.meta.get(_LEDGER, "") if ctx.parent else "")
        _export_ledger(ctx, ledger, since=since, until=until, file_format=file_format,
                       out=out, excel=excel, lang=lang, unmasked=unmasked, manager=manager)


def _export_nightly(ctx: typer.Context, day: str | None, out: Path | None,
                    excel: bool) -> None:
    from datetime import timedelta

    from deskapp import migrate
    from deskapp.db import snapshot
    from deskapp.formatting import desk_zone
    from deskapp.services import export as exporting
    from deskapp.services.acting import Acting

    desk = _open(ctx)
    settings = desk.settings
    zone = desk_zone(settings.timezone)
    if day is None:
        chosen = (desk.clock.now().astimezone(zone) - timedelta(days=1)).date()
    else:
        chosen = exporting.parse_day(day)
    signed_in_manager(ctx, desk)
    schema = migrate.current_revision(desk.engine) or ""
    # One read transaction: every file shows the same moment while the desks write on.
    with snapshot(desk.engine) as session:
        report = exporting.export_day(
            session, acting=Acting(desk.site_id), site_code=settings.site_code, day=chosen,
            zone=zone, out_dir=out or settings.data_dir / "exports", excel=excel,
            schema_version=schema,
        )
    typer.echo(_("Exported {day} to {folder}:").format(day=chosen, folder=report.folder))
    for path, rows in report.files:
        typer.echo(_("  {file} ({rows})").format(file=path.name, rows=rows))


def _export_ledger(ctx: typer.Context, ledger: str, *, since: str | None, until: str | None,
                   file_format: str, out: Path | None, excel: bool, lang: str | None,
                   unmasked: bool, manager: str | None) -> None:
    from deskapp import i18n
    from deskapp.config import normalize_language
    from deskapp.db import snapshot, transaction
    from deskapp.errors import InvalidInput
    from deskapp.formatting import desk_zone
    from deskapp.services import export as exporting
    from deskapp.services.acting import Acting
    from deskapp.services.export_labels import column_label

    if lang is not None:
        i18n.set_language(normalize_language(lang))
    if ledger not in exporting.LEDGER_NAMES:
        raise InvalidInput(_("No ledger is called {ledger}; the ledgers are: {names}.").format(
            ledger=ledger, names=", ".join(exporting.LEDGER_NAMES)), field="ledger")
    if file_format not in exporting.FORMATS:
        raise InvalidInput(_("{value} is not a format the export writes: use csv, "
                             "xlsx or parquet.").format(value=file_format), field="format")
    if excel and file_format != "csv":
        raise InvalidInput(_("--excel is for CSV files; a workbook needs no byte-order "
                             "mark."), field="excel")
    if manager is not None and not unmasked:
        raise InvalidInput(_("--manager goes with --unmasked; without it the numbers are "
                             "masked. Drop --manager (deskapp --as LOGIN names who signs "
                             "in)."), field="manager")
    first = exporting.parse_day(since) if since is not None else None
    last = exporting.parse_day(until) if until is not None else None
    desk = _open(ctx)
    if lang is not None:  # opening the desk set the language of its settings
        i18n.set_language(normalize_language(lang))
    zone = desk_zone(desk.settings.timezone)
    window = exporting.range_window(first, last, zone)
    today = desk.clock.now().astimezone(zone).date()
    if out is None or out.is_dir():
        name = "{ledger}_{since}_{until}.{ext}".format(
            ledger=ledger, since=first.isoformat() if first else "start",
            until=(last or today).isoformat(), ext=file_format)
        out = (out or desk.settings.data_dir / "exports" / desk.settings.site_code) / name
    actor = signed_in_manager(ctx, desk, login=manager)
    if unmasked:
        with transaction(desk.engine) as session:
            exporting.allow_unmasked(
                session, acting=Acting(desk.site_id, actor), now=desk.clock.now(),
                ledger=ledger, window=window, out_file=out)
    with snapshot(desk.engine) as session, ProgressBar(ledger) as on_rows:
        report = exporting.export_range(
            session, acting=Acting(desk.site_id), ledger=ledger, window=window, out_file=out,
            file_format=file_format, excel=excel, masked=not unmasked,
            header=column_label, on_rows=on_rows,
        )
    if sys.stdout.isatty():
        typer.echo(_("Wrote {rows} rows of {ledger} to {path}.").format(
            rows=report.rows, ledger=ledger, path=report.path))


class ProgressBar:
    """A progress bar on stderr when it is a terminal; nothing at all under cron."""

    def __init__(self, ledger: str) -> None:
        self._ledger = ledger
        self._bar: Any = None

    def __enter__(self) -> Callable[[int], None] | None:
        if not sys.stderr.isatty():
            return None
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                             BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                             console=Console(stderr=True), transient=True)
        self._bar.start()
        task = self._bar.add_task(_("Exporting {ledger}").format(ledger=self._ledger),
                                  total=None)
        bar = self._bar

        def advance(rows: int) -> None:
            bar.advance(task, rows)

        return advance

    def __exit__(self, *_exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
