"""CSV import of the directory: every bad line reported by number; all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import func, select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import InvalidInput
from deskapp.models import Resident, Unit
from deskapp.services import importer

GOOD = "unit,name,relation,phone,alt_phone\n3-2-1201,张伟,业主,13812345678,\n" \
       "3-2-1201,张小红,家属,,\n1-1-101,Li Ming,tenant,139 0000 1111,\n2-1-301,,,,\n"


def _import(desk: Desk, text: str, skip_bad: bool = False) -> importer.ImportReport:
    with transaction(desk.engine) as session:
        return importer.import_units(
            session, site_id=desk.site_id, text=text, now=desk.clock.now(), actor=None,
            skip_bad=skip_bad,
        )


def _counts(desk: Desk) -> tuple[int, int]:
    with reading(desk.engine) as session:
        return (session.exec(select(func.count()).select_from(Unit)).one(),
                session.exec(select(func.count()).select_from(Resident)).one())


def test_a_good_file_imports_units_and_residents(desk: Desk) -> None:
    report = _import(desk, GOOD)
    assert (report.units_added, report.residents_added, report.rejected) == (3, 3, [])
    assert _counts(desk) == (3, 3)


def test_one_bad_line_writes_nothing_and_names_the_line(desk: Desk) -> None:
    text = GOOD + "9-9,王五,owner,,\n3-2-1202,赵六,boss,,\n"
    report = _import(desk, text)
    assert not report.written
    assert [(line.line, "unit" in line.reason, "relation" in line.reason)
            for line in report.rejected] == [(6, True, False), (7, False, True)]
    assert _counts(desk) == (0, 0)


def test_skip_bad_writes_the_good_lines_and_reports_the_rest(desk: Desk) -> None:
    text = GOOD + "3-2-1202,赵六,owner,12ab,\n"
    report = _import(desk, text, skip_bad=True)
    assert report.written
    assert [line.line for line in report.rejected] == [6]
    assert _counts(desk) == (3, 3)


def test_a_resident_already_in_the_database_is_reported(desk: Desk) -> None:
    _import(desk, GOOD)
    report = _import(desk, "unit,name\n3-2-1201,张伟\n")
    assert [line.line for line in report.rejected] == [2]
    assert "already listed" in report.rejected[0].reason
    assert _counts(desk) == (3, 3)


def test_duplicate_lines_and_too_many_fields_are_rejected(desk: Desk) -> None:
    report = _import(desk, "unit,name\n1-1-101,王芳\n1-1-101,王芳\n1-1-102,李,x,y\n")
    assert [(line.line, line.reason) for line in report.rejected] == [
        (3, "Same unit and name as line 2."), (4, "4 fields, expected at most 2."),
    ]


def test_empty_file_and_wrong_header_are_refused(desk: Desk) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        _import(desk, "")
    with pytest.raises(InvalidInput, match="Line 1"):
        _import(desk, "房号,姓名\n3-2-1201,张伟\n")


def test_blank_lines_are_skipped(desk: Desk) -> None:
    report = _import(desk, "unit,name\n\n1-1-101,王芳\n,\n")
    assert report.residents_added == 1 and report.rejected == []


@pytest.mark.parametrize("encoding", ["utf-8-sig", "gb18030"])
def test_excel_encodings_are_read(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes("unit,name\n3-2-1201,张伟\n".encode(encoding))
    assert importer.read_csv_text(path).splitlines()[1] == "3-2-1201,张伟"
