"""The deskapp command: every subcommand by its arguments, and one line per refusal.

``managed``: a data folder whose site has a manager, who signs the commands in with a
token file (tests/cli/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskapp.cli import build_cli
from deskapp.services.acting import Acting

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "settings.toml").write_text('password_hash_profile = "cheapest"\n')
    return tmp_path


def run(data_dir: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(build_cli(), ["--data-dir", str(data_dir), *args], input=stdin)
    return result.exit_code, result.output


def test_help_lists_every_command() -> None:
    result = runner.invoke(build_cli(), ["--help"])
    assert result.exit_code == 0
    for command in ("db upgrade", "db backup", "demo", "operator add", "import units",
                    "audit verify"):
        assert command in " ".join(result.output.split())


def test_operator_add_list_disable(managed: Path) -> None:
    data_dir = managed
    code, out = run(data_dir, "operator", "add", "wang", "--name", "王芳", "--pin", "1234")
    assert code == 0, out
    code, out = run(data_dir, "operator", "add", "wang", "--name", "王芳", "--pin", "1234")
    assert code == 1
    assert "already exists" in out
    assert "Traceback" not in out
    code, out = run(data_dir, "operator", "list")
    assert "wang" in out and "active" in out
    code, out = run(data_dir, "operator", "disable", "wang", "--reason", "left the company")
    assert code == 0
    code, out = run(data_dir, "operator", "list")
    assert "disabled" in out


def test_operator_list_shows_a_locked_out_operator_as_locked(managed: Path) -> None:
    data_dir = managed
    from datetime import UTC, datetime, timedelta

    from deskapp.config import load_settings
    from deskapp.db import transaction
    from deskapp.desk import open_desk
    from deskapp.services import operators

    code, out = run(data_dir, "operator", "add", "wang", "--name", "王芳", "--pin", "1234")
    assert code == 0, out
    desk = open_desk(load_settings(data_dir=data_dir))
    with transaction(desk.engine) as session:
        wang = operators.get_operator(session, acting=Acting(desk.site_id), login="wang")
        wang.locked_until = datetime.now(UTC) + timedelta(minutes=15)
        session.add(wang)
    desk.engine.dispose()
    code, out = run(data_dir, "operator", "list")
    assert code == 0
    (wang_line,) = [line for line in out.splitlines() if line.startswith("wang ")]
    assert "locked until" in wang_line and " active" not in wang_line
    code, out = run(data_dir, "operator", "unlock", "wang")
    assert code == 0, out
    code, out = run(data_dir, "operator", "list")
    assert "active" in out and "locked" not in out


def test_operator_add_asks_for_the_pin_twice(managed: Path) -> None:
    data_dir = managed
    code, out = run(data_dir, "operator", "add", "li", "--name", "李娜", stdin="4321\n4321\n")
    assert code == 0, out
    assert "4321" not in out


def test_import_units_reports_bad_lines_and_writes_nothing(managed: Path) -> None:
    data_dir = managed
    csv_file = data_dir / "units.csv"
    csv_file.write_text(
        "unit,name,relation,phone\n3-2-1201,张伟,业主,13812345678\n9-9,李四,owner,\n"
        "3-2-1202,王五,boss,13812345679\n",
        encoding="utf-8",
    )
    code, out = run(data_dir, "import", "units", str(csv_file))
    assert code == 1
    assert "line 3:" in out and "line 4:" in out
    assert "nothing was written" in out
    code, out = run(data_dir, "import", "units", str(csv_file), "--skip-bad")
    assert code == 0, out
    assert "1 units and 1 residents added; 2 lines rejected" in out


def test_audit_verify_prints_ok_and_fails_on_a_broken_chain(managed: Path) -> None:
    data_dir = managed
    run(data_dir, "operator", "add", "wang", "--name", "王芳", "--pin", "1234")
    code, out = run(data_dir, "audit", "verify")
    assert code == 0 and out.startswith("OK")
    import sqlite3

    with sqlite3.connect(data_dir / "desk.db") as connection:
        connection.execute("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 2")
    code, out = run(data_dir, "audit", "verify")
    assert code == 1
    assert "entry 2" in out


def test_db_current_upgrade_and_backup(data_dir: Path) -> None:
    code, out = run(data_dir, "db", "current")
    assert "Empty database" in out
    code, out = run(data_dir, "db", "upgrade")
    assert code == 0 and "current" in out
    target = data_dir / "copy.db"
    code, out = run(data_dir, "db", "backup", str(target))
    assert code == 0 and target.read_bytes().startswith(b"SQLite format 3")
    code, out = run(data_dir, "db", "backup", str(target))
    assert code == 1 and "already exists" in out


def test_a_file_that_is_not_a_database_gets_one_clear_line(data_dir: Path) -> None:
    (data_dir / "desk.db").write_bytes(b"this is a spreadsheet")
    code, out = run(data_dir, "operator", "list")
    assert code == 1
    assert "not a deskapp database" in out
    assert len(out.strip().splitlines()) == 1


def test_an_unreachable_postgresql_server_gets_one_clear_line() -> None:
    result = runner.invoke(
        build_cli(),
        ["--database-url", "postgresql://nobody@127.0.0.1:1/none", "operator", "list"],
    )
    assert result.exit_code == 1
    assert "Cannot reach the PostgreSQL server" in result.output


def test_chinese_help_and_messages(data_dir: Path) -> None:
    code, out = run(data_dir, "--lang", "zh_CN", "operator", "add", "xu", "--name", "某",
                    "--role", "manager", "--pin", "1")
    assert code == 1
    assert "PIN 至少需要" in out


def test_export_writes_the_day_and_refuses_a_bad_date(managed: Path) -> None:
    data_dir = managed
    out_dir = data_dir / "out"
    code, out = run(data_dir, "export", "--date", "2026-11-20", "--out", str(out_dir))
    assert code == 0, out
    assert "requests.csv (0)" in out
    assert (out_dir / "main" / "2026-11-20" / "manifest.csv").exists()
    code, out = run(data_dir, "export", "--date", "20/11/2026")
    assert code == 1
    assert "is not a date" in out and "Traceback" not in out


def test_sweep_reports_what_it_changed(managed: Path) -> None:
    data_dir = managed
    code, out = run(data_dir, "sweep")
    assert code == 0, out
    assert "Severities raised: 0" in out


def test_operator_list_keeps_its_columns_with_chinese_names(managed: Path) -> None:
    """A Chinese character takes two cells: the columns after a name still line up."""
    from deskapp.services.text import cells

    for login, name in (("wang", "王芳"), ("ouyang", "欧阳娜娜"), ("lee", "Lee")):
        code, out = run(managed, "operator", "add", login, "--name", name, "--pin", "1234")
        assert code == 0, out
    code, out = run(managed, "--lang", "zh_CN", "operator", "list")
    assert code == 0, out
    lines = [line for line in out.splitlines() if line.split()[0] in ("wang", "ouyang", "lee")]
    assert len(lines) == 3
    # The role column starts at the same cell on every line, whatever the name's script.
    starts = {cells(line[:line.index(line.split()[2])]) for line in lines}
    assert starts == {30}, lines
