"""``deskapp report monthly|quarterly``: a file per report, and one line per refusal."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskapp.cli import build_cli

runner = CliRunner()


@pytest.fixture
def data_dir(managed: Path) -> Path:
    """A site with its manager, who signs the reports in (tests/cli/conftest.py)."""
    return managed


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(build_cli(), ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.output


def test_a_monthly_csv_and_a_quarterly_pdf_in_chinese(data_dir: Path) -> None:
    code, out = run(data_dir, "--lang", "zh_CN", "report", "monthly", "--period", "2026-11")
    assert code == 0, out
    target = data_dir / "exports" / "main" / "report-2026-11.csv"
    assert str(target) in out
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert (rows[0][0], rows[0][2]) == ("部分", "数值")  # the headers in Chinese
    assert ["概况", "受理诉求", "0"] in rows
    code, out = run(data_dir, "report", "quarterly", "--period", "2026-Q4", "--format", "pdf",
                    "--out", str(data_dir / "q4.pdf"))
    assert code == 0, out
    assert (data_dir / "q4.pdf").read_bytes().startswith(b"%PDF")


def test_a_report_takes_a_managers_sign_in(data_dir: Path) -> None:
    """It names the units complained about most: without a sign-in nothing is written."""
    result = runner.invoke(build_cli(), ["--data-dir", str(data_dir), "report", "monthly"],
                           env={"DESKAPP_TOKEN_FILE": None})
    assert result.exit_code == 1 and "takes a manager's sign-in" in result.output
    assert not (data_dir / "exports").exists()


@pytest.mark.parametrize(("args", "says"), [
    (["report", "monthly", "--period", "2026-13"], "2026-13 is not a month"),
    (["report", "quarterly", "--period", "2026-Q5"], "2026-Q5 is not a quarter"),
    (["report", "monthly", "--format", "docx"], "docx is not a format the report writes"),
])
def test_bad_input_is_one_line_and_writes_nothing(data_dir: Path, args: list[str],
                                                  says: str) -> None:
    code, out = run(data_dir, *args)
    assert code == 1 and out.startswith("Error: ") and says in out and out.count("\n") == 1
    assert not (data_dir / "exports").exists()
