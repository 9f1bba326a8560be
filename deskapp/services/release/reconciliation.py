"""The weekly reconciliation of the release slips (放行条核对), as a CSV.

Every slip the gate released in a week (Monday to Sunday, the desk's local
time), and whether it came back to the desk and was filed: the paper slips in
the folder are counted against it. Columns are stable machine keys, as in the
nightly export (``code``, ``unit``, ``released_at`` in local time with its
offset, ``filed`` as ``1``/``0``); the last line is the total: ``total``, the
number released (under ``released_at``) and the number filed (under ``filed``).

``write_week`` writes ``reconciliation-<Monday>.csv`` into ``<out>/<site>/``
beside its final name and renames it into place, as the nightly export does,
so nobody reads half a file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path

from sqlmodel import Session

from deskapp.config import Settings
from deskapp.errors import InvalidInput, StorageError
from deskapp.formatting import desk_zone
from deskapp.i18n import _
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.export import _write_atomically, local_text, safe_cell
from deskapp.services.release import slips
from deskapp.services.release.slips import ReconciliationRow

COLUMNS = ["code", "unit", "released_at", "filed"]
TOTAL = "total"


def week_of(day: date) -> date:
    """The Monday of the week holding ``day``."""
    return day - timedelta(days=day.weekday())


def last_week(now: datetime, zone: tzinfo) -> date:
    """The Monday of the week before the one ``now`` falls in (the desk's local time)."""
    return week_of(as_utc(now).astimezone(zone).date()) - timedelta(days=7)


def parse_week(text: str) -> date:
    """A typed week: any day of it as ``2026-11-23``; the week starts on its Monday."""
    try:
        return week_of(date.fromisoformat(text.strip()))
    except ValueError as error:
        raise InvalidInput(
            _("{value} is not a date: write the week's Monday as 2026-11-23.").format(
                value=text), field="week") from error


def file_name(week_start: date) -> str:
    return f"reconciliation-{week_start.isoformat()}.csv"


def csv_text(rows: Sequence[ReconciliationRow], zone: tzinfo) -> str:
    """The week's rows as CSV text (header, one line a slip, the total line)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([safe_cell(row.code), safe_cell(row.unit),
                         local_text(as_utc(row.released_at), zone), "1" if row.filed else "0"])
    writer.writerow([TOTAL, "", str(len(rows)), str(sum(1 for row in rows if row.filed))])
    return buffer.getvalue()


@dataclass(frozen=True)
class ReconciliationReport:
    path: Path
    week_start: date
    released: int
    filed: int

    @property
    def not_filed(self) -> int:
        return self.released - self.filed


def write_week(session: Session, *, acting: Acting, site_code: str, week_start: date,
               settings: Settings, out_dir: Path) -> ReconciliationReport:
    """Write the reconciliation of the week from ``week_start`` (its Monday) atomically."""
    zone = desk_zone(settings.timezone)
    week_start = week_of(week_start)
    rows = slips.weekly_reconciliation(session, acting=acting, week_start=week_start,
                                       settings=settings)
    folder = out_dir / site_code
    path = folder / file_name(week_start)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        _write_atomically(path, csv_text(rows, zone).encode("utf-8"))
    except OSError as error:
        raise StorageError(
            _("Cannot write the reconciliation to {folder}: {reason}").format(
                folder=folder, reason=error.strerror or error)
        ) from error
    filed = sum(1 for row in rows if row.filed)
    return ReconciliationReport(path=path, week_start=week_start, released=len(rows),
                                filed=filed)
