"""CSV import of the directory: every line checked, bad lines named by number, all or nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import col, func, select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import InvalidInput
from deskapp.models import AuditEntry, Resident, Unit
from deskapp.services import directory, importer
from deskapp.services.acting import Acting

HEADER = "unit,name,relation,phone,alt_phone\n"
GOOD = (
    HEADER
    + "3-2-1201,王建国,业主,13812345678,\n"
    + "3 2 1201,王丽,家属,139 8765 0001,\n"
    + "3-2-1202,Li Ming,tenant,13600001111,010-6543-2222\n"
    + "3-2-1203,赵敏,household member,,\n"
    + "3-2-1204,钱多多,,,\n"
    + "3-2-1205,,,,\n"
)





def _import(desk: Desk, text: str, *, skip_bad: bool = False) -> importer.ImportReport:
    with transaction(desk.engine) as session:
        return importer.import_units(
            session, acting=Acting(desk.site_id), text=text, now=desk.clock.now(),
            skip_bad=skip_bad,
        )


def _counts(desk: Desk) -> tuple[int, int]:
    with reading(desk.engine) as session:
        units = session.exec(select(func.count()).select_from(Unit)).one()
        residents = session.exec(select(func.count()).select_from(Resident)).one()
    return int(units), int(residents)


def _residents(desk: Desk) -> dict[str, tuple[str, str, str, str]]:
    with reading(desk.engine) as session:
        rows = session.exec(select(Resident, Unit).join(Unit)).all()
    return {
        resident.name: (unit.code, resident.relation, resident.phone, resident.alt_phone)
        for resident, unit in rows
    }


def _audit_actions(desk: Desk) -> list[str]:
    with reading(desk.engine) as session:
        return list(session.exec(select(AuditEntry.action).order_by(col(AuditEntry.seq))).all())


def test_a_good_file_imports_units_and_residents(desk: Desk) -> None:
    report = _import(desk, GOOD)
    assert report.written
    assert report.rejected == []
    assert (report.units_added, report.residents_added) == (5, 5)
    assert _counts(desk) == (5, 5)
    assert _residents(desk) == {
        "王建国": ("3-2-1201", "owner", "13812345678", ""),
        "王丽": ("3-2-1201", "household", "13987650001", ""),
        "Li Ming": ("3-2-1202", "tenant", "13600001111", "01065432222"),
        "赵敏": ("3-2-1203", "household", "", ""),
        "钱多多": ("3-2-1204", "owner", "", ""),  # no relation given: owner
    }
    with reading(desk.engine) as session:
        assert directory.find_unit(session, acting=Acting(desk.site_id),
                                   code="3-2-1205") is not None


def test_every_imported_unit_and_resident_is_audited(desk: Desk) -> None:
    _import(desk, GOOD)
    actions = _audit_actions(desk)
    assert actions.count("unit.add") == 5
    assert actions.count("resident.add") == 5


def test_a_file_with_one_bad_line_writes_nothing_and_names_the_line(desk: Desk) -> None:
    text = GOOD + "9-9,孙悟空,owner,,\n"
    report = _import(desk, text)
    assert not report.written
    assert [rejected.line for rejected in report.rejected] == [8]
    assert "9-9 is not a unit" in report.rejected[0].reason
    assert (report.units_added, report.residents_added) == (0, 0)
    assert _counts(desk) == (0, 0)
    assert _audit_actions(desk) == ["site.create"]


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("3-2-1201,王五,boss,,", "boss is not a relation"),
        ("3-2-1201,王五,owner,12ab,", "12ab is not a phone number"),
        ("3-2-1201,王五,owner,,123", "123 is not a phone number"),
        ("3-2-1201,,owner,,", "no name"),
        ("3-2-1201,,,13812345678,", "no name"),
        ("3-2-1201," + "王" * 65 + ",owner,,", "at most 64 characters"),
        ("3-2,王五,owner,,", "not a unit"),
    ],
)
def test_each_kind_of_bad_line_is_reported_with_its_reason(
    desk: Desk, line: str, reason: str
) -> None:
    report = _import(desk, HEADER + "1-1-101,张三,owner,,\n" + line + "\n")
    assert [rejected.line for rejected in report.rejected] == [3]
    assert reason in report.rejected[0].reason
    assert not report.written
    assert _counts(desk) == (0, 0)


def test_skip_bad_writes_the_good_lines_and_reports_the_bad_by_line_number(desk: Desk) -> None:
    text = (
        HEADER                                   # line 1
        + "1-1-101,张三,owner,13800000001,\n"    # line 2: good
        + "1-1-102,李四,owner,12ab,\n"           # line 3: bad phone
        + "\n"                                   # line 4: blank, still counted
        + "1-1-103,王五,boss,,\n"                # line 5: bad relation
        + "1-1-104,赵六,tenant,,\n"              # line 6: good
    )
    report = _import(desk, text, skip_bad=True)
    assert report.written
    assert [rejected.line for rejected in report.rejected] == [3, 5]
    assert (report.units_added, report.residents_added) == (2, 2)
    assert set(_residents(desk)) == {"张三", "赵六"}
    assert _counts(desk) == (2, 2)


def test_an_empty_file_is_refused(desk: Desk) -> None:
    with pytest.raises(InvalidInput) as refusal:
        _import(desk, "")
    assert "empty" in refusal.value.message
    assert _counts(desk) == (0, 0)


@pytest.mark.parametrize(
    "header",
    ["房号,姓名,关系,电话,备用电话", "name,relation,phone", "unit,name,email", "unit;name"],
)
def test_a_wrong_header_is_refused_naming_the_expected_columns(desk: Desk, header: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        _import(desk, header + "\n3-2-1201,王建国,owner,,\n")
    assert refusal.value.message.startswith("Line 1 must name the columns")
    assert "unit,name,relation,phone,alt_phone" in refusal.value.message
    assert _counts(desk) == (0, 0)


def test_a_header_in_another_order_and_case_is_understood(desk: Desk) -> None:
    report = _import(desk, " Name , UNIT ,phone\n王建国,3-2-1201,13812345678\n")
    assert report.written and report.rejected == []
    assert _residents(desk) == {"王建国": ("3-2-1201", "owner", "13812345678", "")}


def test_a_file_with_only_the_header_writes_nothing_and_rejects_nothing(desk: Desk) -> None:
    report = _import(desk, HEADER)
    assert report.rejected == []
    assert (report.units_added, report.residents_added) == (0, 0)
    assert _counts(desk) == (0, 0)


def test_a_line_refused_only_when_written_still_writes_nothing(desk: Desk) -> None:
    # Control characters are caught by add_resident, after every line was checked.
    report = _import(desk, HEADER + "1-1-101,张三,owner,,\n3-2-1201,王\x07五,owner,,\n")
    assert [rejected.line for rejected in report.rejected] == [3]
    assert "control characters" in report.rejected[0].reason
    assert not report.written
    assert _counts(desk) == (0, 0)


def test_an_import_is_undone_with_the_transaction_it_ran_in(desk: Desk) -> None:
    with pytest.raises(RuntimeError), transaction(desk.engine) as session:
        report = importer.import_units(
            session, acting=Acting(desk.site_id), text=GOOD, now=desk.clock.now(),
        )
        assert report.written
        raise RuntimeError("power cut before the commit")
    assert _counts(desk) == (0, 0)
    assert _audit_actions(desk) == ["site.create"]


def test_a_line_with_too_many_fields_is_rejected(desk: Desk) -> None:
    report = _import(desk, HEADER + "3-2-1201,王建国,owner,13812345678,,extra\n")
    assert [(rejected.line, rejected.reason) for rejected in report.rejected] == [
        (2, "6 fields, expected at most 5."),
    ]
    short_header = _import(desk, "unit,name\n3-2-1201,王建国\n3-2-1202,李明,owner\n")
    assert [(rejected.line, rejected.reason) for rejected in short_header.rejected] == [
        (3, "3 fields, expected at most 2."),
    ]
    assert _counts(desk) == (0, 0)


def test_the_same_unit_and_name_twice_in_a_file_is_rejected(desk: Desk) -> None:
    report = _import(
        desk, HEADER + "3-2-1201,王建国,owner,,\n3-2-1202,李明,,,\n3 2 1201, 王建国 ,家属,,\n"
    )
    assert [(rejected.line, rejected.reason) for rejected in report.rejected] == [
        (4, "Same unit and name as line 2."),
    ]
    assert _counts(desk) == (0, 0)


def test_the_same_unit_without_names_may_appear_twice(desk: Desk) -> None:
    report = _import(desk, HEADER + "3-2-1201,,,,\n3-2-1201,,,,\n3-2-1201,王建国,,,\n")
    assert report.written and report.rejected == []
    assert (report.units_added, report.residents_added) == (1, 1)


def test_blank_lines_are_skipped_but_counted(desk: Desk) -> None:
    text = HEADER + "\n3-2-1201,王建国,owner,,\n,,,,\n   \n3-2-1202,李明,friend,,\n\n"
    report = _import(desk, text)
    assert [rejected.line for rejected in report.rejected] == [6]
    fixed = _import(desk, text.replace("friend", "tenant"))
    assert fixed.written and fixed.rejected == []
    assert _counts(desk) == (2, 2)


def test_a_resident_already_in_the_database_is_reported_and_nothing_written(
    desk: Desk,
) -> None:
    _import(desk, HEADER + "3-2-1201,王建国,owner,13812345678,\n")
    report = _import(desk, HEADER + "3-2-1202,李明,tenant,,\n3-2-1201,王建国,owner,,\n")
    assert not report.written
    assert [rejected.line for rejected in report.rejected] == [3]
    assert "already listed at 3-2-1201" in report.rejected[0].reason
    assert (report.units_added, report.residents_added) == (0, 0)
    assert _counts(desk) == (1, 1)
    assert _audit_actions(desk).count("unit.add") == 1


def test_with_skip_bad_a_resident_already_in_the_database_is_reported_and_the_rest_written(
    desk: Desk,
) -> None:
    _import(desk, HEADER + "3-2-1201,王建国,owner,13812345678,\n")
    report = _import(
        desk, HEADER + "3-2-1202,李明,tenant,,\n3-2-1201,王建国,owner,,\n3-2-1201,王丽,家属,,\n",
        skip_bad=True,
    )
    assert report.written
    assert [rejected.line for rejected in report.rejected] == [3]
    assert (report.units_added, report.residents_added) == (1, 2)
    assert set(_residents(desk)) == {"王建国", "李明", "王丽"}


def test_existing_units_are_reused_and_not_counted_as_added(desk: Desk) -> None:
    _import(desk, HEADER + "3-2-1201,,,,\n")
    report = _import(desk, HEADER + "3-2-1201,王建国,owner,,\n")
    assert (report.units_added, report.residents_added) == (0, 1)
    assert _counts(desk) == (1, 1)


def test_a_refused_import_leaves_the_callers_earlier_work_in_the_session(desk: Desk) -> None:
    _import(desk, HEADER + "3-2-1201,王建国,owner,,\n")
    with transaction(desk.engine) as session:
        directory.add_unit(
            session, acting=Acting(desk.site_id), code="9-9-909", now=desk.clock.now()
        )
        report = importer.import_units(
            session, acting=Acting(desk.site_id), text=HEADER + "3-2-1201,王建国,owner,,\n",
            now=desk.clock.now(),
        )
        assert not report.written
    with reading(desk.engine) as session:
        assert directory.find_unit(session, acting=Acting(desk.site_id), code="9-9-909") is not None


# --- reading the file ---------------------------------------------------------------------

SAMPLE = HEADER + "3-2-1201,王建国,业主,13812345678,\n3-2-1202,欧阳娜娜,租户,,\n"


def test_a_gb18030_file_from_chinese_excel_is_read(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(SAMPLE.replace("\n", "\r\n").encode("gb18030"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    text = importer.read_csv_text(path)
    assert "欧阳娜娜" in text
    report = _import(desk, text)
    assert report.written and report.rejected == []
    assert set(_residents(desk)) == {"王建国", "欧阳娜娜"}


def test_a_utf8_file_with_a_byte_order_mark_is_read(desk: Desk, tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(SAMPLE.encode("utf-8-sig"))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    text = importer.read_csv_text(path)
    assert text == SAMPLE
    report = _import(desk, text)
    assert report.written and report.rejected == []
    assert _counts(desk) == (2, 2)


def test_a_plain_utf8_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(SAMPLE.encode("utf-8"))
    assert importer.read_csv_text(path) == SAMPLE


def test_a_file_that_is_neither_utf8_nor_gb18030_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes(b"unit,name\n3-2-1201,\xff\xff\n")
    with pytest.raises(InvalidInput) as refusal:
        importer.read_csv_text(path)
    assert "neither UTF-8 nor GB18030" in refusal.value.message


def test_a_missing_file_is_refused_with_its_path(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(InvalidInput) as refusal:
        importer.read_csv_text(path)
    assert "Cannot read" in refusal.value.message
    assert str(path) in refusal.value.message
