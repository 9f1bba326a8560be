"""The ledgers as files that leave the desk: the nightly CSV export and any range of a ledger.

**The nightly export** (``export_day``) writes one CSV file per ledger for one local day
of the desk, in a folder named after the day, plus ``manifest.csv`` (file, rows, sha256)
written last: a reader that finds the manifest knows the day is complete. Its column
names are stable machine keys (not translated).

**A range** (``export_range``) writes one ledger, from a day to a day or over the whole
history, as CSV or as an Excel workbook, with its headers in the desk's language.

Both stream: a ledger's rows come from the database in batches and go to the file as
they come, so a decade of records needs no more memory than a day. Files are written
beside their final name and renamed into place, so nobody reads half a file.

What leaves the desk is safe, and the rules live here, once:

- personal data is masked by the column's name: a column whose key ends in ``phone``
  holds a phone number (``138****5678``), one ending in ``id_number`` an ID number
  (``…1234``). Only an explicit ``masked=False`` (a manager's audited ``--unmasked``)
  writes them in full;
- a cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, a tab
  or a carriage return first) is written with a leading ``'`` in CSV and as a text cell
  in a workbook; a number such as ``-1`` stays a number (``safe_cell``).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from sqlmodel import Session

from deskapp.errors import InvalidInput, StorageError
from deskapp.i18n import _
from deskapp.services import audit
from deskapp.services.acting import Acting, acting_operator
from deskapp.services.clock import as_utc
from deskapp.services.export_labels import LEDGER_NAMES as LEDGER_NAMES  # re-exported
from deskapp.services.privacy import mask_id_number, mask_phone

if TYPE_CHECKING:
    pass

Format = Literal["csv", "xlsx", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "xlsx", "parquet")

BATCH = 2000
"""Rows fetched from the database at a time: the most a ledger's export holds at once."""


@dataclass(frozen=True)
class Table:
    """One ledger's rows for the export: ``name`` becomes ``<name>.csv``.

    ``rows`` is read once, as the file is written: a generator keeps only a batch in
    memory. ``numbers`` names the columns that hold numbers (a workbook stores them as
    numbers; CSV writes them as they are)."""

    name: str
    header: list[str]
    rows: Iterable[Sequence[str]] = ()
    numbers: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Window:
    """The time being exported, as UTC instants for the queries, and the desk's zone
    for the times written. ``day`` is the local day of a nightly export (None for a
    range)."""

    day: date | None
    since: datetime
    until: datetime
    zone: tzinfo

    @property
    def whole_history(self) -> bool:
        """From the first record to the last: a query needs no time condition."""
        return self.since == _BEGINNING and self.until == _END


Exporter = Callable[[Session, int, Window], Iterable[Table]]

_UTC = ZoneInfo("UTC")
# The whole history: before the first desk and after the last (and inside every
# engine's date range, whatever the zone's offset).
_BEGINNING = datetime(1900, 1, 2, tzinfo=_UTC)
_END = datetime(3000, 1, 1, tzinfo=_UTC)


def _local_midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time(0, 0), tzinfo=zone).astimezone(_UTC)


def day_window(day: date, zone: tzinfo) -> Window:
    return Window(day=day, since=_local_midnight(day, zone),
                  until=_local_midnight(day + timedelta(days=1), zone), zone=zone)


def range_window(since: date | None, until: date | None, zone: tzinfo) -> Window:
    """From the start of ``since`` to the end of ``until`` (both local days, both in);
    no ``since`` means from the beginning, no ``until`` to this day and beyond."""
    if since is not None and until is not None and since > until:
        raise InvalidInput(
            _("--since {since} is after --until {until}: the range would be empty.").format(
                since=since.isoformat(), until=until.isoformat()), field="since")
    return Window(
        day=None,
        since=_local_midnight(since, zone) if since is not None else _BEGINNING,
        until=_local_midnight(until + timedelta(days=1), zone) if until is not None else _END,
        zone=zone,
    )


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
    """A timestamp as the desk's local time with its offset (ISO 8601), or empty.

    A naive value is taken as UTC, as the database keeps it, never as the machine's
    own zone."""
    if value is None:
        return ""
    return as_utc(value).astimezone(zone).isoformat(timespec="minutes")


# What a spreadsheet reads as a formula (OWASP, CSV injection): a cell starting with one
# of these, unless it is a number such as -1 or +3.5, which stays a number.
# The number test is ASCII digits only and the whole cell: "-１" (a wide digit) or "-1"
# with a line break after it is text, and gets its "'".
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER_PATTERN = r"[+-]?[0-9]+(?:\.[0-9]+)?"
_NUMBER = re.compile(NUMBER_PATTERN)


def safe_cell(value: str) -> str:
    """A cell no spreadsheet runs as a formula: a leading ``'`` keeps ``=HYPERLINK(…)``
    typed into a summary as text, the way a person typed it."""
    if value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def personal_mask(column: str) -> Callable[[str], str] | None:
    """How a column's cells are masked when they leave the desk, by the column's key:
    ``…phone`` is a phone number, ``…id_number`` an ID number; None for the rest."""
    if column.endswith("phone"):
        return mask_phone
    if column.endswith("id_number"):
        return mask_id_number
    return None


def _shown_rows(table: Table, *, masked: bool) -> Iterator[list[str]]:
    """The table's rows as they may leave the desk: masked (unless ``masked`` is off)."""
    masks = [(index, mask) for index, column in enumerate(table.header)
             if (mask := personal_mask(column)) is not None] if masked else []
    for row in table.rows:
        cells = list(row)
        for index, mask in masks:
            if cells[index]:
                cells[index] = mask(cells[index])
        yield cells


class _Counted:
    """Counts the rows that pass through it (the manifest and the report say how many)."""

    def __init__(self, rows: Iterable[list[str]], on_rows: Callable[[int], None] | None):
        self._rows, self._on_rows, self.count = rows, on_rows, 0

    def __iter__(self) -> Iterator[list[str]]:
        on_rows = self._on_rows
        for row in self._rows:
            self.count += 1
            if on_rows is not None and self.count % BATCH == 0:
                on_rows(BATCH)
            yield row
        if on_rows is not None and self.count % BATCH:
            on_rows(self.count % BATCH)


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[list[str]], *,
               excel: bool) -> None:
    with path.open("w", encoding="utf-8-sig" if excel else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows([safe_cell(cell) for cell in row] for row in rows)
        handle.flush()
        os.fsync(handle.fileno())


_XLSX_ROWS = 1_048_576
"""Rows on one worksheet (Excel's limit); a longer ledger goes on to a second sheet."""


def _write_xlsx(path: Path, name: str, header: Sequence[str], rows: Iterable[list[str]],
                numbers: Sequence[bool], times: Sequence[bool]) -> None:
    """A workbook in constant memory: each row goes to disk as it is written.

    Text is written as text cells, never as formulas, so ``=HYPERLINK(…)`` shows as
    typed and runs nowhere (no leading ``'`` needed); a number column's numbers are
    numbers. The library's temporary files go in a folder of their own beside the
    file, removed whatever happens."""
    import tempfile

    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".xlsx-") as scratch:
        _fill_workbook(path, Path(scratch), name, header, rows, numbers, times)


def _widths(sheet: Any, header: Sequence[str], times: Sequence[bool]) -> None:
    """Columns wide enough for their title (a Chinese character takes two) and for a
    time with its offset; set before the first row, as constant memory requires."""
    import unicodedata

    for column, title in enumerate(header):
        cells = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in title)
        sheet.set_column(column, column, max(cells + 2, 22 if times[column] else 10))


def _fill_workbook(path: Path, scratch: Path, name: str, header: Sequence[str],
                   rows: Iterable[list[str]], numbers: Sequence[bool],
                   times: Sequence[bool]) -> None:
    import xlsxwriter  # only the workbook export needs it
    from xlsxwriter.exceptions import FileCreateError

    workbook = xlsxwriter.Workbook(str(path), {
        "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
        "strings_to_urls": False, "tmpdir": str(scratch),
    })
    bold = workbook.add_format({"bold": True})
    sheet: Any = None
    line = _XLSX_ROWS
    sheets = 0
    for row in rows:
        if line == _XLSX_ROWS:
            sheets += 1
            sheet = workbook.add_worksheet(name if sheets == 1 else f"{name} ({sheets})")
            _widths(sheet, header, times)
            sheet.freeze_panes(1, 0)
            sheet.write_row(0, 0, list(header), bold)
            line = 1
        for column, cell in enumerate(row):
            if numbers[column] and _NUMBER.fullmatch(cell):
                sheet.write_number(line, column, float(cell) if "." in cell else int(cell))
            elif cell:
                sheet.write_string(line, column, cell)
        line += 1
    if sheet is None:  # no rows: the header alone, as an empty CSV has
        sheet = workbook.add_worksheet(name)
        _widths(sheet, header, times)
        sheet.write_row(0, 0, list(header), bold)
    try:
        workbook.close()
    except FileCreateError as error:  # the library wraps the OSError of a full disk
        reason = error.args[0] if error.args else error
        raise reason if isinstance(reason, OSError) else OSError(str(reason)) from error


def _write_parquet(path: Path, header: Sequence[str], rows: Iterable[list[str]],
                   numbers: Sequence[bool]) -> None:
    """A Parquet file, a batch of rows at a time: text as typed (programs read it, not
    spreadsheets), number columns as 64-bit integers (empty is null)."""
    import pyarrow as pa
    import pyarrow.parquet as parquet

    schema = pa.schema([(title, pa.int64() if number else pa.string())
                        for title, number in zip(header, numbers, strict=True)])
    with parquet.ParquetWriter(str(path), schema) as writer:
        for batch in _in_batches(rows):
            columns = [pa.array([int(cell) if cell else None for cell in column], pa.int64())
                       if number else pa.array(column, pa.string())
                       for column, number in zip(zip(*batch, strict=True), numbers,
                                                 strict=True)]
            writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=schema))


def _in_batches(rows: Iterable[list[str]]) -> Iterator[list[list[str]]]:
    """The rows, ``BATCH`` at a time."""
    batch: list[list[str]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _partial(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def _discard(partial: Path) -> None:
    """Remove a partial file after a failure. The failure is what gets reported: a
    partial that was never made (its folder is a file, say) is nothing to remove."""
    with contextlib.suppress(OSError):
        partial.unlink(missing_ok=True)


def _write_atomically(path: Path, content: bytes) -> None:
    partial = _partial(path)
    try:
        with partial.open("wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError:
        _discard(partial)
        raise
    os.replace(partial, path)


def _cannot_write(where: Path, error: OSError) -> StorageError:
    return StorageError(_("Cannot write the export to {folder}: {reason}").format(
        folder=where, reason=error.strerror or error))


MANIFEST_COLUMNS = ["file", "rows", "sha256", "schema_version", "window_since",
                    "window_until", "audit_seq", "audit_hash"]


def read_anchors(folder: Path) -> list[audit.Anchor]:
    """The audit heads the nightly manifests under ``folder`` recorded (manifests
    written before they recorded one are passed over)."""
    anchors = []
    for manifest in sorted(folder.rglob("manifest.csv")):
        try:
            with manifest.open(encoding="utf-8", newline="") as handle:
                first = next(csv.DictReader(handle), None)
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            raise StorageError(_("Cannot read the manifest {path}: {reason}").format(
                path=manifest, reason=getattr(error, "strerror", None) or error)) from error
        if first is None or not (first.get("audit_seq") or "").isdigit():
            continue
        anchors.append(audit.Anchor(seq=int(first["audit_seq"]),
                                    entry_hash=first.get("audit_hash") or "",
                                    source=str(manifest)))
    return anchors


@dataclass(frozen=True)
class ExportReport:
    folder: Path
    files: list[tuple[Path, int]]


def export_day(
    session: Session,
    *,
    acting: Acting,
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
    site_id = acting.site_id
    window = day_window(day, zone)
    folder = out_dir / site_code / day.isoformat()
    since, until = local_text(window.since, zone), local_text(window.until, zone)
    # The audit chain's head, read in the export's snapshot: kept outside the database,
    # it lets ``audit verify --anchors`` catch a chain cut back and its head rewound.
    audit_seq, audit_hash = audit.head(session)
    written: list[tuple[Path, Path]] = []
    manifest: list[list[str]] = []
    files: list[tuple[Path, int]] = []
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for exporter in exporters if exporters is not None else ledger_exporters():
            for table in exporter(session, site_id, window):
                path = folder / f"{table.name}.csv"
                written.append((_partial(path), path))
                rows = _Counted(_shown_rows(table, masked=True), None)
                _write_csv(_partial(path), table.header, rows, excel=excel)
                manifest.append([path.name, str(rows.count), _sha256(_partial(path)),
                                 schema_version, since, until, str(audit_seq), audit_hash])
                files.append((path, rows.count))
        path = folder / "manifest.csv"
        written.append((_partial(path), path))
        _write_csv(_partial(path), MANIFEST_COLUMNS, manifest, excel=False)
        for partial, final in written:  # the manifest is the last one in
            os.replace(partial, final)
    except OSError as error:
        for partial, _final in written:
            _discard(partial)
        raise _cannot_write(folder, error) from error
    except BaseException:
        for partial, _final in written:
            _discard(partial)
        raise
    return ExportReport(folder=folder, files=files)


def exported_table(session: Session, site_id: int, window: Window, ledger: str,
                   exporters: list[Exporter] | None = None) -> Table:
    """One ledger's table, by its file name (``requests``, ``key_loans`` …).

    The other tables of the same exporter are built but never read: their rows are
    generators, so nothing of them is fetched."""
    names: list[str] = []
    for exporter in exporters if exporters is not None else ledger_exporters():
        for table in exporter(session, site_id, window):
            if table.name == ledger:
                return table
            names.append(table.name)
    raise InvalidInput(_("No ledger is called {ledger}; the ledgers are: {names}.").format(
        ledger=ledger, names=", ".join(names)), field="ledger")


@dataclass(frozen=True)
class RangeReport:
    path: Path
    rows: int


def export_range(
    session: Session,
    *,
    acting: Acting,
    ledger: str,
    window: Window,
    out_file: Path,
    file_format: Format = "csv",
    excel: bool = False,
    masked: bool = True,
    header: Callable[[str], str] | None = None,
    on_rows: Callable[[int], None] | None = None,
    exporters: list[Exporter] | None = None,
    arrow: bool = True,
) -> RangeReport:
    """Write one ledger's records created or changed within ``window`` to ``out_file``.

    The rows stream from the database to the file. ``header`` names each column for a
    person (the desk's language); ``on_rows`` hears how many rows were written, batch by
    batch (a progress bar). The file appears whole or not at all.

    The requests and their events, as CSV on SQLite, take the Arrow path
    (``export_arrow``: the same cells, at the speed of the sqlite3 shell) unless
    ``arrow`` is off; every other export is written row by row here."""
    site_id = acting.site_id
    if file_format not in FORMATS:
        raise InvalidInput(_("{value} is not a format the export writes: use csv, "
                             "xlsx or parquet.").format(value=file_format), field="format")
    table = exported_table(session, site_id, window, ledger, exporters)
    titles = [header(column) if header else column for column in table.header]
    partial = _partial(out_file)
    rows = _Counted(_shown_rows(table, masked=masked), on_rows)
    from deskapp.services import export_arrow  # it imports this module's rules

    engine = session.get_bind()
    try:
        out_file.parent.mkdir(parents=True, exist_ok=True)
        if arrow and exporters is None and isinstance(window.zone, ZoneInfo) and isinstance(
                engine, Engine) and export_arrow.available(engine, ledger, file_format):
            written = export_arrow.write_file(
                engine, acting=acting, ledger=ledger, window=window, path=partial,
                file_format=file_format, excel=excel, masked=masked, titles=titles,
                on_rows=on_rows)
            os.replace(partial, out_file)
            return RangeReport(path=out_file, rows=written)
        if file_format == "parquet":
            _write_parquet(partial, titles, rows,
                           [column in table.numbers for column in table.header])
        elif file_format == "xlsx":
            _write_xlsx(partial, ledger, titles, rows,
                        [column in table.numbers for column in table.header],
                        [column.endswith("_at") or column == "at" for column in table.header])
        else:
            _write_csv(partial, titles, rows, excel=excel)
        os.replace(partial, out_file)
    except OSError as error:
        _discard(partial)
        raise _cannot_write(out_file, error) from error
    except BaseException:
        _discard(partial)
        raise
    return RangeReport(path=out_file, rows=rows.count)


def authorize_unmasked(
    session: Session,
    *,
    acting: Acting,
    login: str,
    secret: str,
    now: datetime,
    ledger: str,
    window: Window,
    out_file: Path,
) -> str:
    """A manager's PIN lets one export carry personal data in full; returns their login.

    A wrong PIN is audited and counts towards the lockout, as at the desk; then as
    ``allow_unmasked``."""
    site_id = acting.site_id
    from deskapp.services import operators
    from deskapp.services.acting import Acting

    operator = operators.sign_in(session, acting=acting, login=login, secret=secret,
                                 now=now, confirming=True)
    allow_unmasked(session, acting=Acting(site_id, operator), now=now, ledger=ledger,
                   window=window, out_file=out_file)
    return operator.login


def allow_unmasked(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    ledger: str,
    window: Window,
    out_file: Path,
) -> None:
    """The manager ``actor`` (signed in already: the command line's sign-in) lets one
    export carry personal data in full.

    Anyone else is refused. The permission is audited (who, which ledger, which range,
    which file) in the caller's transaction, to be committed before a row is read: the
    trail shows the full numbers left the desk even if the export then fails."""
    site_id = acting.site_id
    actor = acting_operator(acting)
    from deskapp.errors import AuthError
    from deskapp.models.people import Role
    from deskapp.services import operators

    if actor.role != Role.MANAGER.value:
        raise AuthError(_("Only a manager may export personal data unmasked; the role of "
                          "{login} is {role}.").format(login=actor.login,
                                                       role=operators.role_label(actor.role)),
                        field="login")
    audit.record(
        session, now=now, actor=actor, action="export.unmasked", entity="export",
        entity_id=ledger, site_id=site_id,
        after={"ledger": ledger, "file": str(out_file),
               "since": "" if window.since == _BEGINNING else local_text(window.since,
                                                                           window.zone),
               "until": "" if window.until == _END else local_text(window.until, window.zone)},
    )

