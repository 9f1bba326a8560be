"""The nightly CSV export that other systems read every morning.

One CSV file per ledger for one local day of the desk, in a folder named after
the day, plus ``manifest.csv`` (file, rows, sha256) written last: a reader that
finds the manifest knows the day is complete. Files are written beside their
final name and renamed into place, so nobody reads half a file.

Column names are stable machine keys (not translated). Phone and ID numbers are
masked: the export leaves the desk. A cell that a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@``, a tab or a carriage return first) is written with a leading
``'``; a number such as ``-1`` stays a number (``safe_cell``).
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlmodel import Session

from deskapp.errors import InvalidInput, StorageError
from deskapp.i18n import _


@dataclass(frozen=True)
class Table:
    """One ledger's rows for the export: ``name`` becomes ``<name>.csv``."""

    name: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class Window:
    """The local day being exported, as UTC instants for the queries."""

    day: date
    since: datetime
    until: datetime
    zone: tzinfo


Exporter = Callable[[Session, int, Window], Iterable[Table]]


def day_window(day: date, zone: tzinfo) -> Window:
    start = datetime.combine(day, time(0, 0), tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time(0, 0), tzinfo=zone)
    return Window(day=day, since=start.astimezone(ZoneInfo("UTC")),
                  until=end.astimezone(ZoneInfo("UTC")), zone=zone)


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError as error:
        raise InvalidInput(
            _("{value} is not a date: write it as 2026-11-23.").format(value=text), field="date"
        ) from error


def ledger_exporters() -> list[Exporter]:
    """Every ledger's exporter, in the order the files are listed in the manifest."""
    from deskapp.services.export_ledgers import EXPORTERS

    return EXPORTERS


def local_text(value: datetime | None, zone: tzinfo) -> str:
    """A timestamp as the desk's local time with its offset (ISO 8601), or empty."""
    if value is None:
        return ""
    return value.astimezone(zone).isoformat(timespec="minutes")


# What a spreadsheet reads as a formula (OWASP, CSV injection): a cell starting with one
# of these, unless it is a number such as -1 or +3.5, which stays a number.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?\d+(?:\.\d+)?$")


def safe_cell(value: str) -> str:
    """A cell no spreadsheet runs as a formula: a leading ``'`` keeps ``=HYPERLINK(…)``
    typed into a summary as text, the way a person typed it."""
    if value.startswith(_FORMULA_STARTS) and not _NUMBER.match(value):
        return "'" + value
    return value


def _csv_bytes(table: Table, *, excel: bool) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(table.header)
    writer.writerows([safe_cell(cell) for cell in row] for row in table.rows)
    prefix = "\ufeff" if excel else ""
    return (prefix + buffer.getvalue()).encode("utf-8")


def _write_partial(partial: Path, content: bytes) -> None:
    with partial.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _write_atomically(path: Path, content: bytes) -> None:
    partial = path.with_name(f".{path.name}.partial")
    try:
        _write_partial(partial, content)
    except OSError:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)


@dataclass(frozen=True)
class ExportReport:
    folder: Path
    files: list[tuple[Path, int]]


def export_day(
    session: Session,
    *,
    site_id: int,
    site_code: str,
    day: date,
    zone: tzinfo,
    out_dir: Path,
    excel: bool = False,
    exporters: list[Exporter] | None = None,
    schema_version: str = "",
) -> ExportReport:
    """Write every ledger's CSV for ``day`` into ``out_dir/<site>/<day>/``.

    Every file is written beside its final name first; only when all are written are
    they renamed into place, the manifest last (file, rows, sha256, the schema version
    and the day's window). A failure on the way (a full disk) removes what it wrote and
    leaves the folder as it was: a reader never finds half a day."""
    window = day_window(day, zone)
    tables: list[Table] = []
    for exporter in exporters if exporters is not None else ledger_exporters():
        tables.extend(exporter(session, site_id, window))
    folder = out_dir / site_code / day.isoformat()
    since, until = local_text(window.since, zone), local_text(window.until, zone)
    written: list[tuple[Path, Path]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        manifest = Table("manifest", ["file", "rows", "sha256", "schema_version",
                                      "window_since", "window_until"])
        files: list[tuple[Path, int]] = []
        for table in [*tables, manifest]:
            if table is manifest:
                content = _csv_bytes(manifest, excel=False)
            else:
                content = _csv_bytes(table, excel=excel)
                manifest.rows.append([f"{table.name}.csv", str(len(table.rows)),
                                      hashlib.sha256(content).hexdigest(), schema_version,
                                      since, until])
            path = folder / f"{table.name}.csv"
            partial = path.with_name(f".{path.name}.partial")
            written.append((partial, path))
            _write_partial(partial, content)
            if table is not manifest:
                files.append((path, len(table.rows)))
        for partial, path in written:  # the manifest is the last one in
            os.replace(partial, path)
    except OSError as error:
        for partial, _path in written:
            partial.unlink(missing_ok=True)
        raise StorageError(
            _("Cannot write the export to {folder}: {reason}").format(
                folder=folder, reason=error.strerror or error
            )
        ) from error
    return ExportReport(folder=folder, files=files)
