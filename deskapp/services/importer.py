"""Import of the resident directory from CSV (``deskapp import units FILE.csv``).

Columns: ``unit,name,relation,phone,alt_phone`` (a header line is required;
``name`` and the rest may be empty for a unit with nobody listed yet).
Every line is checked first. By default one bad line means nothing is
written; with ``skip_bad`` the good lines are written and the rest reported.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session

from deskapp.errors import DeskError, InvalidInput
from deskapp.i18n import _
from deskapp.services import directory
from deskapp.services.acting import Acting

COLUMNS = ("unit", "name", "relation", "phone", "alt_phone")
REQUIRED = ("unit",)


@dataclass(frozen=True)
class RejectedLine:
    line: int
    reason: str


@dataclass
class ImportReport:
    units_added: int = 0
    residents_added: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)
    written: bool = False


def read_csv_text(path: Path) -> str:
    """The file's text: UTF-8 (with or without BOM) or GB18030 as Chinese Excel saves it."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise InvalidInput(
            _("Cannot read {path}: {reason}").format(path=path, reason=error.strerror or error)
        ) from error
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput(_("{path} is neither UTF-8 nor GB18030 text.").format(path=path))


def import_units(
    session: Session,
    *,
    acting: Acting,
    text: str,
    now: datetime,
    skip_bad: bool = False,
) -> ImportReport:
    """Check every line, then write all (or, with ``skip_bad``, the good ones).

    With rejected lines and no ``skip_bad``, the session is left untouched.
    """
    reader = csv.reader(io.StringIO(text))
    try:
        header = [cell.strip().lower() for cell in next(reader)]
    except StopIteration:
        raise InvalidInput(_("The file is empty: the first line must name the columns.")) from None
    missing = [name for name in REQUIRED if name not in header]
    unknown = [name for name in header if name not in COLUMNS]
    if missing or unknown:
        raise InvalidInput(
            _("Line 1 must name the columns {columns}; found {found}.").format(
                columns=",".join(COLUMNS), found=",".join(header)
            )
        )
    report = ImportReport()
    good: list[tuple[int, dict[str, str]]] = []
    seen: dict[tuple[str, str], int] = {}
    for line_number, cells in enumerate(reader, start=2):
        if not any(cell.strip() for cell in cells):
            continue
        if len(cells) > len(header):
            report.rejected.append(
                RejectedLine(line_number, _("{count} fields, expected at most {expected}.").format(
                    count=len(cells), expected=len(header)))
            )
            continue
        row = {name: "" for name in COLUMNS}
        row.update({name: value.strip() for name, value in zip(header, cells, strict=False)})
        try:
            _check_row(row)
        except DeskError as error:
            report.rejected.append(RejectedLine(line_number, error.message))
            continue
        key = (directory.normalize_unit_code(row["unit"]), " ".join(row["name"].split()))
        if row["name"] and key in seen:
            report.rejected.append(
                RejectedLine(line_number, _("Same unit and name as line {line}.").format(
                    line=seen[key]))
            )
            continue
        seen[key] = line_number
        good.append((line_number, row))
    if report.rejected and not skip_bad:
        return report
    units_by_code: dict[str, object] = {}
    # One savepoint around the whole write: a refusal undoes this import only,
    # never what the caller did earlier in the same transaction.
    whole = session.begin_nested()
    for line_number, row in good:
        try:
            with session.begin_nested():
                code = directory.normalize_unit_code(row["unit"])
                unit = directory.find_unit(session, acting=acting, code=code)
                if unit is None:
                    unit = directory.add_unit(
                        session, acting=acting, code=code, now=now
                    )
                    report.units_added += 1
                units_by_code[code] = unit
                if row["name"]:
                    directory.add_resident(
                        session, acting=acting, unit=unit, name=row["name"],
                        relation=row["relation"] or "owner", phone=row["phone"],
                        alt_phone=row["alt_phone"], now=now,
                    )
                    report.residents_added += 1
        except DeskError as error:
            report.rejected.append(RejectedLine(line_number, error.message))
    if report.rejected and not skip_bad:
        whole.rollback()
        report.units_added = report.residents_added = 0
        return report
    whole.commit()
    report.rejected.sort(key=lambda rejected: rejected.line)
    report.written = True
    return report


def _check_row(row: dict[str, str]) -> None:
    directory.parse_unit_code(row["unit"])
    if row["name"]:
        if len(row["name"]) > directory.MAX_NAME_LENGTH:
            raise InvalidInput(
                _("A name may have at most {count} characters.").format(
                    count=directory.MAX_NAME_LENGTH)
            )
        directory.parse_relation(row["relation"] or "owner")
    elif row["relation"] or row["phone"] or row["alt_phone"]:
        raise InvalidInput(_("A relation or phone is given but no name."))
    for key in ("phone", "alt_phone"):
        if row[key]:
            directory.normalize_phone(row[key])
