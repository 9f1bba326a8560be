"""The nightly export: one CSV per ledger for a local day, masked, with a manifest."""

from __future__ import annotations

import csv
import hashlib
from datetime import date, timedelta
from pathlib import Path

import pytest

from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.errors import InvalidInput
from deskapp.formatting import desk_zone
from deskapp.models import Operator
from deskapp.services import directory, export, operators
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle

# The desk clock stands at Monday 2026-11-23 10:00 in Beijing.
DAY = date(2026, 11, 23)


def _operator(desk: Desk) -> Operator:
    with transaction(desk.engine) as session:
        operator = operators.add_operator(
            session, acting=Acting(desk.site_id), login="wang", display_name="王芳",
            role="operator",
            secret="1234", now=desk.clock.now(),
        )
        unit = directory.add_unit(
            session, acting=Acting(desk.site_id), code="3-2-1201", now=desk.clock.now()
        )
        directory.add_resident(
            session, acting=Acting(desk.site_id), unit=unit, name="张伟", relation="owner",
            phone="15011112222", now=desk.clock.now(),
        )
        session.expunge(operator)
    return operator


def _request(desk: Desk, operator: Operator, summary: str) -> str:
    with transaction(desk.engine) as session:
        created = lifecycle.create_request(
            session, acting=Acting(desk.site_id, operator), settings=desk.settings,
            now=desk.clock.now(),
            kind="repair", summary=summary, unit_code="3-2-1201",
            contact_name="张伟", contact_phone="15011112222",
        )
        return created.number


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _export(desk: Desk, out: Path, day: date = DAY, *, excel: bool = False) -> export.ExportReport:
    with transaction(desk.engine) as session:
        return export.export_day(
            session, acting=Acting(desk.site_id), site_code="main", day=day,
            zone=desk_zone(desk.settings.timezone), out_dir=out, excel=excel,
        )


def test_a_day_of_requests_is_exported_with_phones_masked(desk: Desk, tmp_path: Path) -> None:
    operator = _operator(desk)
    number = _request(desk, operator, "卫生间漏水")
    report = _export(desk, tmp_path)
    assert report.folder == tmp_path / "main" / "2026-11-23"
    rows = _read(report.folder / "requests.csv")
    assert [row["number"] for row in rows] == [number]
    assert rows[0]["summary"] == "卫生间漏水"
    assert rows[0]["unit"] == "3-2-1201"
    assert rows[0]["contact_phone"] == "150****2222"
    assert "15011112222" not in (report.folder / "requests.csv").read_text(encoding="utf-8")
    assert rows[0]["received_at"] == "2026-11-23T10:00+08:00"
    events = _read(report.folder / "request_events.csv")
    assert events and events[0]["number"] == number and events[0]["operator"] == "wang"


def test_the_manifest_names_every_file_with_its_rows_and_hash(desk: Desk, tmp_path: Path) -> None:
    operator = _operator(desk)
    _request(desk, operator, "电梯停运")
    report = _export(desk, tmp_path)
    manifest = _read(report.folder / "manifest.csv")
    assert {row["file"] for row in manifest} == {path.name for path, _rows in report.files}
    for row in manifest:
        content = (report.folder / row["file"]).read_bytes()
        assert hashlib.sha256(content).hexdigest() == row["sha256"]
    assert not list(report.folder.glob(".*partial"))


def test_the_day_ends_at_local_midnight(desk: Desk, tmp_path: Path) -> None:
    operator = _operator(desk)
    desk.clock.advance(timedelta(hours=13, minutes=59))  # 23:59 Beijing
    late = _request(desk, operator, "噪音扰民")
    desk.clock.advance(timedelta(minutes=1))  # 00:00 the next day
    next_day = _request(desk, operator, "门禁故障")
    today = _read(_export(desk, tmp_path).folder / "requests.csv")
    tomorrow = _read(_export(desk, tmp_path, DAY + timedelta(days=1)).folder / "requests.csv")
    assert [row["number"] for row in today] == [late]
    assert [row["number"] for row in tomorrow] == [next_day]


def test_an_empty_day_still_writes_headers_and_a_manifest(desk: Desk, tmp_path: Path) -> None:
    report = _export(desk, tmp_path, date(2026, 1, 1))
    assert _read(report.folder / "requests.csv") == []
    header = (report.folder / "requests.csv").read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("number,received_at,unit")
    assert (report.folder / "manifest.csv").exists()


def test_excel_files_start_with_a_byte_order_mark(desk: Desk, tmp_path: Path) -> None:
    report = _export(desk, tmp_path, excel=True)
    assert (report.folder / "requests.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert not (report.folder / "manifest.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_a_day_that_is_not_a_date_is_refused() -> None:
    with pytest.raises(InvalidInput) as refused:
        export.parse_day("23/11/2026")
    assert refused.value.field == "date"
    assert export.parse_day(" 2026-11-23 ") == DAY
