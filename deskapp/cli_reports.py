"""``deskapp report monthly|quarterly``: the desk's reports as CSV or a printed PDF.

    deskapp report monthly [--period 2026-11] [--format csv|pdf] [--out FILE]
    deskapp report quarterly [--period 2026-Q4] [--format csv|pdf] [--out FILE]

The period defaults to the last complete month or quarter; the file to
``exports/<site>/report-<period>.<format>`` in the data folder. A report names the
units and the subjects complained about most: a manager signs in for it, and the
printed report says who printed it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from deskapp.cli import _open, guarded
from deskapp.cli_signin import manager
from deskapp.i18n import _

PeriodOption = Annotated[str | None, typer.Option(
    "--period", help=_("The month (2026-11) or quarter (2026-Q4); default: the last "
                       "complete one."))]
FormatOption = Annotated[str, typer.Option("--format", help=_("csv or pdf."))]
OutOption = Annotated[Path | None, typer.Option(
    "--out", help=_("File to write (default: exports/<site>/ in the data folder)."))]
SitesOption = Annotated[str | None, typer.Option(
    "--sites", help=_("Codes of the sites to report on, comma-separated: your own and "
                      "those granted to you (deskapp site grant). Default: --site alone."))]


def add_report_commands(cli: typer.Typer) -> None:
    report_cli = typer.Typer(help=_("The monthly complaint summary and the quarterly "
                                    "revisit analysis."), no_args_is_help=True)
    cli.add_typer(report_cli, name="report")

    @report_cli.command("monthly", help=_("The monthly complaint summary (月度投诉汇总)."))
    @guarded
    def monthly(ctx: typer.Context, period: PeriodOption = None, file_format: FormatOption = "csv",
                out: OutOption = None, site_codes: SitesOption = None) -> None:
        _write(ctx, "month", period, file_format, out, site_codes)

    @report_cli.command("quarterly", help=_("The quarterly revisit analysis (季度回访分析)."))
    @guarded
    def quarterly(ctx: typer.Context, period: PeriodOption = None,
                  file_format: FormatOption = "csv", out: OutOption = None,
                  site_codes: SitesOption = None) -> None:
        _write(ctx, "quarter", period, file_format, out, site_codes)


def _write(ctx: typer.Context, kind: str, period: str | None, file_format: str,
           out: Path | None, site_codes: str | None = None) -> None:
    from deskapp.db import snapshot
    from deskapp.errors import InvalidInput
    from deskapp.formatting import desk_zone
    from deskapp.services import grants, reports, sites
    from deskapp.services.acting import Acting
    from deskapp.services.printing import printed_stamp
    from deskapp.services.reports import periods
    from deskapp.services.reports.sheets import write_sheet

    if file_format not in ("csv", "pdf"):
        raise InvalidInput(_("{value} is not a format the report writes: use csv or "
                             "pdf.").format(value=file_format), field="format")
    chosen_kind = periods.PeriodKind(kind)
    desk = _open(ctx)
    zone = desk_zone(desk.settings.timezone)
    now = desk.clock.now()
    chosen = (periods.parse_period(chosen_kind, period) if period is not None
              else periods.last_complete(chosen_kind, now, zone))
    codes = [code.strip() for code in (site_codes or "").split(",") if code.strip()]
    if len(codes) > 1 and out is not None and not out.is_dir():
        raise InvalidInput(_("Several sites write several reports: give --out a folder, or "
                             "leave it out."), field="out")
    actor = manager(ctx, desk)
    with snapshot(desk.engine) as session:
        # Every site is checked before anything is written: all the reports, or none.
        chosen_sites = []
        for code in codes or [desk.settings.site_code]:
            found = sites.find_site(session, code)
            if found is None or found.id is None:
                raise sites.unknown_site(session, code)
            grants.check_reading(session, actor, found.id)
            chosen_sites.append(found)
        sheets = [(site, reports.report_sheet(session, acting=Acting(site.id or 0), period=chosen,
                                              zone=zone, now=now)) for site in chosen_sites]
    for site, sheet in sheets:
        target = out
        if target is None or target.is_dir():
            name = f"report-{chosen.code}.{file_format}"
            folder = (desk.settings.data_dir / "exports" / site.code if target is None
                      else target / site.code if len(sheets) > 1 else target)
            target = folder / name
        written = write_sheet(sheet, file_format=file_format, out_file=target, site=site.name,
                              printed_at=printed_stamp(now, zone),
                              printed_by=actor.display_name)
        typer.echo(_("{title} {period} written to {path}.").format(
            title=sheet.title, period=sheet.period, path=written))
