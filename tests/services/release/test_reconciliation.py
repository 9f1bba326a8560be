"""The weekly reconciliation: the slips released in a week (Monday to Sunday, local time)
and whether each was filed, as a CSV with a total line, written atomically."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import InvalidInput
from deskapp.services.acting import Acting
from deskapp.services.release import reconciliation, slips
from deskapp.services.release.slips import ReconciliationRow
from tests.services.release.test_slips import form, issued, local, pass_gate
from tests.support import Homes, Staff, homes_fixture, staff_fixture  # noqa: F401

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_the_csv_lists_each_slip_and_ends_with_the_total() -> None:
    rows = [ReconciliationRow("R-5DD7-K", "3-2-1201", local("2026-11-23T14:00"), True),
            ReconciliationRow("R-ATTE-N", "1-1-101", datetime(2026, 11, 29, 15, 59, tzinfo=UTC),
                              False)]
    text = reconciliation.csv_text(rows, SHANGHAI)
    assert text.endswith("\r\n")
    assert list(csv.reader(io.StringIO(text))) == [
        ["code", "unit", "released_at", "filed"],
        ["R-5DD7-K", "3-2-1201", "2026-11-23T14:00+08:00", "1"],
        ["R-ATTE-N", "1-1-101", "2026-11-29T23:59+08:00", "0"],
        ["total", "", "2", "1"],
    ]
    assert reconciliation.csv_text([], SHANGHAI) == "code,unit,released_at,filed\r\ntotal,,0,0\r\n"


def test_a_week_starts_on_its_monday_and_last_week_is_the_one_before_today_s() -> None:
    assert reconciliation.parse_week(" 2026-11-23 ") == date(2026, 11, 23)
    assert reconciliation.parse_week("2026-11-29") == date(2026, 11, 23)  # its Sunday
    # Monday 00:30 in Beijing is still Sunday in UTC: the desk's week counts.
    assert reconciliation.last_week(local("2026-11-30T00:30"), SHANGHAI) == date(2026, 11, 23)
    assert reconciliation.last_week(local("2026-11-29T23:59"), SHANGHAI) == date(2026, 11, 16)
    with pytest.raises(InvalidInput) as refused:
        reconciliation.parse_week("23/11/2026")
    assert refused.value.field == "week" and "2026-11-23" in refused.value.message
    assert reconciliation.file_name(date(2026, 11, 23)) == "reconciliation-2026-11-23.csv"


def test_the_week_s_file_holds_released_slips_filed_or_not_and_is_written_whole(
        desk: Desk, staff: Staff, homes: Homes, tmp_path: Path) -> None:
    filed = issued(desk, staff, homes)
    pass_gate(desk, staff.guard, filed, local("2026-11-23T14:00"))
    unfiled = issued(desk, staff, homes)
    pass_gate(desk, staff.guard, unfiled, local("2026-11-23T15:00"))
    issued(desk, staff, homes, form())  # issued, never released: not in the reconciliation
    next_week = issued(desk, staff, homes, form(planned_at=local("2026-11-30T10:00")))
    pass_gate(desk, staff.guard, next_week, local("2026-11-30T10:00"))
    with transaction(desk.engine) as session:
        slips.file(session, acting=Acting(desk.site_id, staff.operator), slip_id=filed.id or 0,
                   now=local("2026-11-23T16:00"))
    with reading(desk.engine) as session:
        report = reconciliation.write_week(
            session, acting=Acting(desk.site_id), site_code="main", week_start=date(2026, 11, 25),
            settings=desk.settings, out_dir=tmp_path)
    assert report.path == tmp_path / "main" / "reconciliation-2026-11-23.csv"
    assert (report.week_start, report.released, report.filed, report.not_filed) == (
        date(2026, 11, 23), 2, 1, 1)
    with report.path.open(encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle)) == [
            ["code", "unit", "released_at", "filed"],
            [filed.code, "3-2-1201", "2026-11-23T14:00+08:00", "1"],
            [unfiled.code, "3-2-1201", "2026-11-23T15:00+08:00", "0"],
            ["total", "", "2", "1"],
        ]
    assert [path.name for path in report.path.parent.iterdir()] == [report.path.name]
