"""``deskapp export LEDGER``: a range as a person asks for it, and one line per refusal."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskapp.cli import build_cli
from tests.cli.conftest import make_token

runner = CliRunner()
NO_TOKEN: dict[str, str | None] = {"DESKAPP_TOKEN_FILE": None}


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo site, seeded once for the module (each test works on a copy), and a token
    file of its manager chenjie (outside the folder: every copy knows the token)."""
    folder = tmp_path_factory.mktemp("demo-cli")
    (folder / "settings.toml").write_text('password_hash_profile = "cheapest"\n')
    result = runner.invoke(build_cli(), ["--data-dir", str(folder), "demo"])
    assert result.exit_code == 0, result.output
    token = make_token(folder, "chenjie", out=tmp_path_factory.mktemp("token") / "chenjie")
    assert not list(folder.glob("desk.db-*"))
    return folder, token


@pytest.fixture
def data_dir(seeded: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
             ) -> Path:
    """A copy of the demo site; the commands act as its manager chenjie (a token)."""
    folder, token = seeded
    target = tmp_path / "data"
    shutil.copytree(folder, target)
    monkeypatch.setenv("DESKAPP_TOKEN_FILE", str(token))
    return target


def run(data_dir: Path, *args: str, env: dict[str, str | None] | None = None,
        stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(build_cli(), ["--data-dir", str(data_dir), *args], env=env,
                           input=stdin)
    # Each command's engine is closed when it ends (``cli.closed_at_end``): one still
    # open (its sign-in wrote to the log) when the next one's Arrow export reads through
    # ADBC's own SQLite would find the log gone under it ("disk I/O error").
    return result.exit_code, result.output


def _rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_a_ledger_over_the_whole_history_is_written_silently_under_cron(
        data_dir: Path) -> None:
    code, out = run(data_dir, "export", "requests")
    assert code == 0, out
    assert out == ""  # not a terminal: no bar, no chatter
    (written,) = (data_dir / "exports" / "main").glob("requests_start_*.csv")
    header, *rows = _rows(written)
    assert header[0] == "Number" and len(rows) >= 20
    assert all(len(row) == len(header) for row in rows)
    phones = [row[header.index("Contact phone")] for row in rows if row[header.index(
        "Contact phone")]]
    assert phones and all("****" in phone for phone in phones)


def test_every_ledger_reads_back_through_the_csv_module(data_dir: Path) -> None:
    from deskapp.services.export import LEDGER_NAMES

    for ledger in LEDGER_NAMES:
        target = data_dir / f"{ledger}.csv"
        code, out = run(data_dir, "export", ledger, "--out", str(target))
        assert code == 0, (ledger, out)
        header, *rows = _rows(target)
        assert header and all(len(row) == len(header) for row in rows), ledger


def test_headers_in_chinese_and_a_workbook_by_option(data_dir: Path) -> None:
    target = data_dir / "out" / "storage.xlsx"
    code, out = run(data_dir, "export", "storage", "--lang", "zh_CN", "--format", "xlsx",
                    "--since", "2026-11-01", "--until", "2026-12-31", "--out", str(target))
    assert code == 0, out
    import zipfile

    with zipfile.ZipFile(target) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
    assert "编号" in sheet and "<f>" not in sheet
    code, out = run(data_dir, "export", "storage", "--lang", "zh_CN", "--out",
                    str(data_dir / "storage.csv"), "--excel")
    assert code == 0, out
    assert (data_dir / "storage.csv").read_bytes().startswith("\ufeff编号".encode())


@pytest.mark.parametrize(("args", "says"), [
    (["export", "keys"], "No ledger is called keys; the ledgers are: requests,"),
    (["export", "requests", "--since", "2026-12-05", "--until", "2026-12-01"],
     "--since 2026-12-05 is after --until 2026-12-01"),
    (["export", "requests", "--since", "1/12/2026"], "1/12/2026 is not a date"),
    (["export", "requests", "--format", "pdf"], "pdf is not a format the export writes"),
    (["export", "requests", "--format", "xlsx", "--excel"], "--excel is for CSV files"),
    (["export", "requests", "--manager", "chenjie"], "--manager goes with --unmasked"),
])
def test_bad_input_gets_one_line_and_nothing_is_written(
        data_dir: Path, args: list[str], says: str) -> None:
    code, out = run(data_dir, *args)
    assert code == 1
    assert out.startswith("Error: ") and says in out and out.count("\n") == 1, out
    assert not (data_dir / "exports").exists()


def test_a_folder_that_cannot_be_written_gets_one_line(data_dir: Path) -> None:
    (data_dir / "a-file").write_text("not a folder")
    code, out = run(data_dir, "export", "requests", "--out", str(data_dir / "a-file" / "r.csv"))
    assert code == 1 and out.startswith("Error: Cannot write the export to ")
    assert out.count("\n") == 1


def test_a_full_disk_leaves_nothing_half_written(data_dir: Path) -> None:
    # The partial file the export writes first is the kernel's full device: every
    # write to it fails with ENOSPC, as on a disk that fills up during the export.
    out = data_dir / "full"
    out.mkdir()
    os.symlink("/dev/full", out / ".requests.csv.partial")
    code, said = run(data_dir, "export", "requests", "--out", str(out / "requests.csv"))
    assert code == 1 and "No space left on device" in said and said.count("\n") == 1
    assert list(out.iterdir()) == []


def test_the_signed_in_manager_allows_the_full_numbers_and_an_operator_cannot(
        data_dir: Path, tmp_path: Path) -> None:
    import sqlite3

    full = data_dir / "full.csv"
    code, out = run(data_dir, "export", "requests", "--unmasked", "--out", str(full))
    assert code == 0, out
    header, *rows = _rows(full)
    phones = [row[header.index("Contact phone")] for row in rows]
    assert any(phone.isdigit() and len(phone) == 11 for phone in phones)
    with sqlite3.connect(data_dir / "desk.db") as database:
        allowed = database.execute("SELECT actor FROM audit_entry WHERE action = "
                                   "'export.unmasked'").fetchall()
    assert allowed == [("chenjie",)]

    refused = data_dir / "refused.csv"
    code, out = run(data_dir, "--as", "wangfang", "export", "requests", "--unmasked",
                    "--out", str(refused), env=NO_TOKEN, stdin="1111\n")
    assert code == 1 and "The role of wangfang is operator" in out, out
    assert not refused.exists()
    # --manager still names who signs in, as before the sign-in of every command
    again = data_dir / "again.csv"
    code, out = run(data_dir, "export", "requests", "--unmasked", "--manager", "chenjie",
                    "--out", str(again), env=NO_TOKEN, stdin="4444\n")
    assert code == 0 and again.exists(), out
    pin = tmp_path / "pin"
    pin.write_text("4444\n")
    code, out = run(data_dir, "export", "requests", "--unmasked", "--manager", "chenjie",
                    "--out", str(refused), env={**NO_TOKEN, "DESKAPP_PIN_FILE": str(pin)})
    assert code == 1 and "DESKAPP_PIN_FILE is no longer read" in out and "token" in out
    assert not refused.exists()


def test_the_help_names_the_ledgers_and_plain_export_is_still_the_nightly(
        data_dir: Path) -> None:
    code, out = run(data_dir, "export", "--help")
    assert code == 0
    assert "key_loans" in out and "release_settlements" in out and "nightly" in out
    code, out = run(data_dir, "export", "--date", "2026-11-30")
    assert code == 0, out
    assert (data_dir / "exports" / "main" / "2026-11-30" / "manifest.csv").exists()
