"""One ledger over any range: the days it holds, streamed to CSV or a workbook, safe cells,
headers in the desk's language, masked unless a manager allows otherwise (audited)."""

from __future__ import annotations

import csv
import re
import tracemalloc
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from xml.etree import ElementTree

import pytest
from sqlmodel import col, select

from deskapp import i18n
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import AuthError, InvalidInput, StorageError
from deskapp.formatting import desk_zone
from deskapp.models import AuditEntry
from deskapp.services import export, export_ledgers, operators
from deskapp.services.acting import Acting
from deskapp.services.export_labels import COLUMN_LABELS, column_label
from tests.services.test_export import DAY, _operator, _request

SHEET = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _range(desk: Desk, out: Path, ledger: str = "requests", *, since: date | None = None,
           until: date | None = None, **options: object) -> export.RangeReport:
    zone = desk_zone(desk.settings.timezone)
    with reading(desk.engine) as session:
        return export.export_range(
            session, acting=Acting(desk.site_id), ledger=ledger,
            window=export.range_window(since, until, zone), out_file=out,
            **options,  # type: ignore[arg-type]
        )


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _cells(path: Path) -> list[list[tuple[str, str | None, str]]]:
    """Each row of a workbook's first sheet as (type, formula, text) per cell."""
    with zipfile.ZipFile(path) as book:
        root = ElementTree.fromstring(book.read("xl/worksheets/sheet1.xml"))
    rows = []
    for row in root.iter(f"{SHEET}row"):
        cells = []
        for cell in row.iter(f"{SHEET}c"):
            formula = cell.find(f"{SHEET}f")
            text = "".join(cell.itertext())
            cells.append((cell.get("t") or "n", None if formula is None else formula.text, text))
        rows.append(cells)
    return rows


def test_a_range_holds_its_first_and_last_day_whole_and_nothing_around_them(
        desk: Desk, tmp_path: Path) -> None:
    operator = _operator(desk)
    desk.clock.advance(timedelta(hours=-10, minutes=-1))  # 23:59 on the day before
    before = _request(desk, operator, "门禁故障")
    desk.clock.advance(timedelta(minutes=1))  # 00:00 on the first day
    first = _request(desk, operator, "电梯停运")
    desk.clock.advance(timedelta(days=2, hours=23, minutes=59))  # 23:59 on the last day
    last = _request(desk, operator, "噪音扰民")
    desk.clock.advance(timedelta(minutes=1))  # 00:00 after it
    after = _request(desk, operator, "卫生间漏水")
    until = DAY + timedelta(days=2)
    inside = _range(desk, tmp_path / "r.csv", since=DAY, until=until)
    assert [row["number"] for row in _csv(inside.path)] == [first, last]
    assert inside.rows == 2
    whole = _range(desk, tmp_path / "all.csv")
    assert [row["number"] for row in _csv(whole.path)] == [before, first, last, after]
    one_day = _range(desk, tmp_path / "day.csv", since=DAY, until=DAY)
    assert [row["number"] for row in _csv(one_day.path)] == [first]


def test_a_range_that_ends_before_it_starts_is_refused() -> None:
    zone = desk_zone("Asia/Shanghai")
    with pytest.raises(InvalidInput, match="after") as refused:
        export.range_window(DAY, DAY - timedelta(days=1), zone)
    assert refused.value.field == "since"
    assert export.range_window(DAY, DAY, zone).until - export.range_window(
        DAY, DAY, zone).since == timedelta(days=1)


def test_headers_come_in_the_desks_language_and_cells_are_safe(
        desk: Desk, tmp_path: Path) -> None:
    operator = _operator(desk)
    _request(desk, operator, '=HYPERLINK("http://evil.example","点这里")')
    _request(desk, operator, "-1")
    english = _range(desk, tmp_path / "en.csv", header=column_label)
    i18n.set_language("zh_CN")
    chinese = _range(desk, tmp_path / "zh.csv", header=column_label)
    with english.path.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    assert header[:3] == ["Number", "Received at", "Unit"]
    assert [row[header.index("Summary")] for row in rows] == [
        "'=HYPERLINK(\"http://evil.example\",\"点这里\")", "-1"]
    with chinese.path.open(encoding="utf-8", newline="") as handle:
        assert next(csv.reader(handle))[:3] == ["编号", "受理时间", "房号"]


def test_every_exported_column_has_a_label_and_the_ledger_names_are_the_tables(
        desk: Desk) -> None:
    window = export.range_window(None, None, desk_zone(desk.settings.timezone))
    with reading(desk.engine) as session:
        tables = [table for exporter in export_ledgers.EXPORTERS
                  for table in exporter(session, desk.site_id, window)]
    assert tuple(table.name for table in tables) == export.LEDGER_NAMES
    unlabelled = {column for table in tables for column in table.header} - set(COLUMN_LABELS)
    assert unlabelled == set()


def test_an_unknown_ledger_is_refused_with_the_names_there_are(
        desk: Desk, tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="key_loans") as refused:
        _range(desk, tmp_path / "x.csv", "keys")
    assert refused.value.field == "ledger"
    assert not (tmp_path / "x.csv").exists()


def test_a_workbook_keeps_text_as_text_numbers_as_numbers_and_chinese_as_typed(
        desk: Desk, tmp_path: Path) -> None:
    from tests.services.custody.test_custody import deposit
    from tests.support import make_staff, make_unit

    make_unit(desk)
    staff = make_staff(desk)
    deposit(desk, staff, description="=1+2 行李箱", pieces=3)
    report = _range(desk, tmp_path / "s.xlsx", "storage", file_format="xlsx",
                    header=column_label)
    header, row = _cells(report.path)
    titles = [text for _kind, _formula, text in header]
    cells = dict(zip(titles, row, strict=False))
    assert cells["Description"] == ("inlineStr", None, "=1+2 行李箱")
    assert cells["Pieces"] == ("n", None, "3")
    assert all(formula is None for _kind, formula, _text in row)
    assert report.rows == 1


def test_an_empty_range_writes_the_header_alone(desk: Desk, tmp_path: Path) -> None:
    empty = _range(desk, tmp_path / "e.xlsx", since=date(2020, 1, 1), until=date(2020, 1, 31),
                   file_format="xlsx")
    assert empty.rows == 0
    assert len(_cells(empty.path)) == 1
    plain = _range(desk, tmp_path / "e.csv", since=date(2020, 1, 1), until=date(2020, 1, 1),
                   excel=True)
    content = plain.path.read_bytes()
    assert content.startswith(b"\xef\xbb\xbf") and content.count(b"\r\n") == 1


def _many_rows(count: int) -> Iterator[list[str]]:
    for number in range(count):
        yield [f"{number:08d}", "卫生间天花板漏水，怀疑楼上防水层破损" * 3, "13800138000",
               str(number % 7)]


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_the_writer_streams_a_long_ledger_in_little_memory(
        desk: Desk, tmp_path: Path, file_format: str) -> None:
    count = 30_000  # about 12 MB of cells, were they held at once

    def long_ledger(_session: object, _site: int, _window: object) -> list[export.Table]:
        return [export.Table("long", ["number", "text", "contact_phone", "pieces"],
                             _many_rows(count), numbers=frozenset({"pieces"}))]

    import xlsxwriter  # noqa: F401  (imported before the count: a module is not a row)

    _range(desk, tmp_path / f"warm.{file_format}", "long", file_format=file_format,
           exporters=[lambda *_args: [export.Table("long", ["number"], [["1"]])]])
    tracemalloc.start()
    try:
        report = _range(desk, tmp_path / f"long.{file_format}", "long",
                        file_format=file_format, exporters=[long_ledger])
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.rows == count
    assert peak < 3_000_000, f"peak {peak:,} bytes: the rows were held, not streamed"
    if file_format == "csv":
        rows = _csv(report.path)
        assert len(rows) == count and rows[-1]["contact_phone"] == "138****8000"


def test_a_failure_half_way_leaves_no_file(desk: Desk, tmp_path: Path) -> None:
    def failing(_session: object, _site: int, _window: object) -> list[export.Table]:
        def rows() -> Iterator[list[str]]:
            yield ["1"]
            raise OSError(28, "No space left on device")
        return [export.Table("broken", ["number"], rows())]

    out = tmp_path / "out"
    out.mkdir()
    for file_format in ("csv", "xlsx"):
        target = out / f"broken.{file_format}"
        with pytest.raises(StorageError, match="No space left on device"):
            _range(desk, target, "broken", file_format=file_format, exporters=[failing])
        assert list(out.iterdir()) == []  # neither the file nor its partial, nor a temporary


def test_a_manager_may_export_in_full_and_it_is_audited(desk: Desk, tmp_path: Path) -> None:
    operator = _operator(desk)
    _request(desk, operator, "卫生间漏水")
    with transaction(desk.engine) as session:
        operators.add_operator(session, acting=Acting(desk.site_id), login="chen",
                               display_name="陈杰",
                               role="manager", secret="4444", now=desk.clock.now())
    zone = desk_zone(desk.settings.timezone)
    window = export.range_window(DAY, DAY, zone)
    target = tmp_path / "full.csv"
    with transaction(desk.engine) as session:
        allowed = export.authorize_unmasked(
            session, acting=Acting(desk.site_id), login="chen", secret="4444", now=desk.clock.now(),
            ledger="requests", window=window, out_file=target)
    assert allowed == "chen"
    full = _range(desk, target, since=DAY, until=DAY, masked=False)
    assert _csv(full.path)[0]["contact_phone"] == "15011112222"
    masked = _range(desk, tmp_path / "masked.csv", since=DAY, until=DAY)
    assert _csv(masked.path)[0]["contact_phone"] == "150****2222"
    with reading(desk.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "export.unmasked")
                             ).one()
    assert entry.actor == "chen" and entry.entity_id == "requests"
    assert re.search(r'"since": "2026-11-23T00:00\+08:00"', entry.after or "")
    assert str(target) in (entry.after or "")


@pytest.mark.parametrize(("login", "secret", "refusal"), [
    ("wang", "1234", "Only a manager"),  # the operator's own right PIN
    ("chen", "0000", "Wrong sign-in name or PIN"),
])
def test_anyone_else_is_refused_the_full_numbers(
        desk: Desk, tmp_path: Path, login: str, secret: str, refusal: str) -> None:
    _operator(desk)
    with transaction(desk.engine) as session:
        operators.add_operator(session, acting=Acting(desk.site_id), login="chen",
                               display_name="陈杰",
                               role="manager", secret="4444", now=desk.clock.now())
    window = export.range_window(None, None, desk_zone(desk.settings.timezone))
    with pytest.raises(AuthError, match=refusal), transaction(desk.engine) as session:
        export.authorize_unmasked(
            session, acting=Acting(desk.site_id), login=login, secret=secret, now=desk.clock.now(),
            ledger="requests", window=window, out_file=tmp_path / "full.csv")
    with reading(desk.engine) as session:
        granted = session.exec(select(AuditEntry).where(
            col(AuditEntry.action) == "export.unmasked")).all()
    assert granted == []


# The Arrow path (requests and their events, CSV, SQLite) against the row-by-row writer,
# which stays the reference: the same cells, on values chosen to tell them apart.
AWKWARD_TEXTS = [
    "=1+2", "-1", "+3.5", "-1\n", "-１", "@SUM(A1)", "\tx", "\rx", "+86 希望回电", '"引号"',
    "换行\r\n第二行", "卫生间漏水", "", "'already", "-", "1.", "-.5",
]
AWKWARD_PHONES = ["13800138000", "12345", "123", "", "１３８００１３８０００", "+8613800138000",
                  "=1"]


def _awkward_requests(desk: Desk) -> None:
    from deskapp.models.requests import ServiceRequest

    operator = _operator(desk)
    for index in range(len(AWKWARD_TEXTS)):
        desk.clock.advance(timedelta(days=23, hours=7, minutes=13))  # across seasons
        _request(desk, operator, f"第{index}号")
    with transaction(desk.engine) as session:
        rows = session.exec(select(ServiceRequest).order_by(col(ServiceRequest.id))).all()
        for index, request in enumerate(rows):
            request.summary = AWKWARD_TEXTS[index]
            request.wish = AWKWARD_TEXTS[-1 - index]
            request.contact_name = AWKWARD_TEXTS[(index + 3) % len(AWKWARD_TEXTS)]
            request.contact_phone = AWKWARD_PHONES[index % len(AWKWARD_PHONES)]
            if index % 3 == 0:
                request.resolved_at = request.received_at + timedelta(days=200, minutes=59)
            session.add(request)


def _read_back(path: Path, file_format: str) -> list[list[str]]:
    if file_format == "parquet":
        import pyarrow.parquet as parquet

        table = parquet.read_table(path)
        return [table.column_names, *([str(cell) for cell in row.values()]
                                      for row in table.to_pylist())]
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
@pytest.mark.parametrize("zone_name", ["Asia/Shanghai", "America/New_York"])
@pytest.mark.parametrize("ledger", ["requests", "request_events"])
def test_the_arrow_path_writes_the_same_cells_as_the_row_by_row_writer(
        desk: Desk, tmp_path: Path, zone_name: str, ledger: str, file_format: str) -> None:
    from zoneinfo import ZoneInfo

    _awkward_requests(desk)
    zone = ZoneInfo(zone_name)  # New York: summer time, two offsets in one file
    for masked in (True, False):
        files = {}
        for arrow in (True, False):
            with reading(desk.engine) as session:
                files[arrow] = export.export_range(
                    session, acting=Acting(desk.site_id), ledger=ledger,
                    window=export.range_window(None, None, zone), file_format=file_format,
                    out_file=tmp_path / f"{ledger}-{arrow}-{masked}.{file_format}",
                    masked=masked, arrow=arrow, header=column_label)
        fast_rows = _read_back(files[True].path, file_format)
        reference_rows = _read_back(files[False].path, file_format)
        assert fast_rows == reference_rows
        assert files[True].rows == files[False].rows == len(reference_rows) - 1 > 0
    offsets = {row[1][-6:] for row in reference_rows[1:]}
    assert offsets == ({"+08:00"} if zone_name == "Asia/Shanghai" else {"-05:00", "-04:00"})
    if ledger == "requests":  # a formula is shown as typed where no spreadsheet reads it
        summaries = {row[reference_rows[0].index("Summary")] for row in reference_rows[1:]}
        assert ("=1+2" in summaries) == (file_format == "parquet")
        assert ("'=1+2" in summaries) == (file_format == "csv")


def test_a_parquet_file_keeps_numbers_as_integers_and_masks_the_phones(
        desk: Desk, tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as parquet

    from tests.services.custody.test_custody import deposit
    from tests.support import make_staff, make_unit

    make_unit(desk)
    staff = make_staff(desk)
    deposit(desk, staff, description="=1+2 行李箱", pieces=3)
    report = _range(desk, tmp_path / "s.parquet", "storage", file_format="parquet")
    table = parquet.read_table(report.path)
    assert table.schema.field("pieces").type == pa.int64()
    (row,) = table.to_pylist()
    assert row["pieces"] == 3 and row["description"] == "=1+2 行李箱"
    assert "****" in row["owner_phone"]


INJECTIONS = ["=1+2", "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1",
              '=HYPERLINK("http://evil.example","点这里")', "=cmd|' /C calc'!A0"]


def test_every_formula_start_is_text_in_csv_and_in_a_workbook(
        desk: Desk, tmp_path: Path) -> None:
    def cells(_session: object, _site: int, _window: object) -> list[export.Table]:
        return [export.Table("cells", ["text", "quantity"],
                             [[value, "-1"] for value in INJECTIONS],
                             numbers=frozenset({"quantity"}))]

    plain = _range(desk, tmp_path / "c.csv", "cells", exporters=[cells])
    with plain.path.open(encoding="utf-8", newline="") as handle:
        _header, *rows = list(csv.reader(handle))
    assert [row[0] for row in rows] == ["'" + value for value in INJECTIONS]
    assert {row[1] for row in rows} == {"-1"}  # a number stays a number
    book = _range(desk, tmp_path / "c.xlsx", "cells", file_format="xlsx", exporters=[cells])
    _header_cells, *sheet = _cells(book.path)
    assert [kind for kind, _formula, _text in (row[0] for row in sheet)] == [
        "inlineStr"] * len(INJECTIONS)
    assert all(formula is None for row in sheet for _kind, formula, _text in row)
    texts = [text.replace("_x000D_", "\r") for _kind, _formula, text in (row[0] for row in sheet)]
    assert texts == INJECTIONS  # shown as typed, never run
    assert {row[1] for row in sheet} == {("n", None, "-1")}


def test_the_arrow_path_leaves_the_desks_own_connection_writing(
        desk: Desk, tmp_path: Path, backend: str) -> None:
    """ADBC brings a SQLite of its own into the process; it reads the file read-only, so
    its close cannot take the desk's -wal and -shm files away under the desk's open
    connection (POSIX locks do not tell one process's connections apart), and what the
    desk writes after the export is on file."""
    from deskapp.models.requests import ServiceRequest

    operator = _operator(desk)
    _request(desk, operator, "导出之前")  # the desk's connection has written, stays open
    written = _range(desk, tmp_path / "requests.csv", file_format="csv")
    assert written.rows > 0
    if backend == "sqlite":
        assert (Path(desk.settings.data_dir) / "desk.db-wal").exists()
    _request(desk, operator, "导出之后")
    desk.engine.dispose()
    with reading(desk.engine) as session:
        summaries = set(session.exec(select(col(ServiceRequest.summary))).all())
    assert {"导出之前", "导出之后"} <= summaries
