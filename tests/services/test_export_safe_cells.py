"""The nightly export's cells cannot run as formulas in a spreadsheet (OWASP's CSV-injection
advice), while numbers stay numbers and everything else is written as typed."""

from __future__ import annotations

from pathlib import Path

import pytest

from deskapp.desk import Desk
from deskapp.services.export import safe_cell
from tests.services.test_export import _export, _operator, _read, _request


@pytest.mark.parametrize(("typed", "written"), [
    ("=HYPERLINK(\"http://evil\",\"点这里\")", "'=HYPERLINK(\"http://evil\",\"点这里\")"),
    ("+86 138 0000 0000", "'+86 138 0000 0000"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    ("\tcmd", "'\tcmd"),
    ("\rcmd", "'\rcmd"),
    ("-1", "-1"),
    ("+3.5", "+3.5"),
    ("12", "12"),
    ("", ""),
    ("卫生间漏水 = 紧急", "卫生间漏水 = 紧急"),
    ("150****2222", "150****2222"),
])
def test_a_cell_that_would_be_a_formula_is_kept_as_text(typed: str, written: str) -> None:
    assert safe_cell(typed) == written


def test_a_summary_typed_as_a_formula_is_exported_as_text(desk: Desk, tmp_path: Path) -> None:
    operator = _operator(desk)
    _request(desk, operator, "=1+1 卫生间漏水")
    report = _export(desk, tmp_path)
    [row] = _read(report.folder / "requests.csv")
    assert row["summary"] == "'=1+1 卫生间漏水"
