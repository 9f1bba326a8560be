"""Only our own databases, and only the sites they have: a foreign file is left untouched,
a mistyped --site opens no empty site, and ``deskapp site add`` makes a new one."""

from __future__ import annotations

import hashlib
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskapp.cli import build_cli
from tests.cli.conftest import SignInAs, add_first_manager

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    (tmp_path / "settings.toml").write_text('password_hash_profile = "cheapest"\n')
    return tmp_path


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(build_cli(), ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.output


def _sites(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "desk.db") as database:
        return [code for (code,) in database.execute("SELECT code FROM site ORDER BY code")]


def test_another_programs_database_is_refused_and_left_untouched(data_dir: Path) -> None:
    with sqlite3.connect(data_dir / "desk.db") as database:
        database.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
        database.execute("INSERT INTO notes (body) VALUES ('mine')")
    before = hashlib.sha256((data_dir / "desk.db").read_bytes()).hexdigest()
    for command in (["operator", "list"], ["demo"], ["site", "list"], ["db", "upgrade"]):
        code, out = run(data_dir, *command)
        assert code == 1 and "another program's tables (notes)" in out, (command, out)
        assert out.count("\n") == 1
    assert hashlib.sha256((data_dir / "desk.db").read_bytes()).hexdigest() == before
    assert not list(data_dir.glob("*.bak")) and not list(data_dir.glob("backups"))


def test_a_mistyped_site_is_refused_and_no_site_is_made(data_dir: Path) -> None:
    code, out = run(data_dir, "operator", "add", "wang", "--name", "王芳", "--role", "manager",
                    "--pin", "1234")
    assert code == 0, out  # the first start makes the first site
    assert _sites(data_dir) == ["main"]
    code, out = run(data_dir, "--site", "mian", "operator", "list")
    assert code == 1 and out.count("\n") == 1
    assert "No site is called mian in this database; its sites are: main." in out
    assert _sites(data_dir) == ["main"]


def test_a_site_is_added_listed_and_then_served(data_dir: Path) -> None:
    code, out = run(data_dir, "site", "add", "north", "--name", "北区物业服务中心")
    assert code == 0 and "Site north (北区物业服务中心) added" in out, out
    code, out = run(data_dir, "site", "add", "north", "--name", "又一个")
    assert code == 1 and "Site north already exists." in out
    code, out = run(data_dir, "site", "add", "north east", "--name", "x")
    assert code == 1 and "cannot be a site code" in out
    code, out = run(data_dir, "site", "add", "east", "--name", "a\x1b[31mred")
    assert code == 1 and "control or invisible formatting characters" in out
    code, out = run(data_dir, "site", "list")
    assert code == 0 and out.split() == ["north", "北区物业服务中心"]
    code, out = run(data_dir, "--site", "north", "operator", "add", "li", "--name", "李娜",
                    "--role", "manager", "--pin", "2222")
    assert code == 0, out  # the new site's first manager
    code, out = run(data_dir, "operator", "list")  # the default site "main" is not here
    assert code == 1 and "its sites are: north" in out
    assert _sites(data_dir) == ["north"]


def test_a_foreign_database_in_wal_mode_is_refused_by_the_schema_check(
        data_dir: Path) -> None:
    from deskapp.config import load_settings
    from deskapp.desk import open_desk
    from deskapp.errors import StorageError

    holder = sqlite3.connect(data_dir / "desk.db")  # another program, still running
    try:
        holder.execute("PRAGMA journal_mode=WAL")
        holder.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY)")
        holder.commit()
        assert (data_dir / "desk.db-wal").exists()
        with pytest.raises(StorageError, match=r"another program's tables \(orders\)"):
            open_desk(load_settings(data_dir=data_dir))
        tables = [name for (name,) in holder.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]
        assert tables == ["orders"]
    finally:
        holder.close()


def test_escapes_are_refused_at_the_door_and_shown_harmless_if_already_stored(
        data_dir: Path, sign_in_as: SignInAs) -> None:
    code, out = run(data_dir, "operator", "add", "wang", "--name", "a\x1b[31mred",
                    "--role", "manager", "--pin", "1234")
    assert code == 1 and "control or invisible formatting characters" in out
    code, out = run(data_dir, "operator", "add", "li", "--name", "李\u202e娜", "--role",
                    "manager", "--pin", "1234")
    assert code == 1
    add_first_manager(data_dir, "boss")
    sign_in_as(data_dir, "boss")
    code, out = run(data_dir, "operator", "add", "zhao", "--name", "赵敏", "--pin", "1234")
    assert code == 0, out
    code, out = run(data_dir, "operator", "disable", "zhao", "--reason", "left\x1b]0;pwned\x07")
    assert code == 1 and "control or invisible formatting characters" in out
    with sqlite3.connect(data_dir / "desk.db") as database:  # written by an older deskapp
        database.execute("UPDATE operator SET display_name = ? WHERE login = 'zhao'",
                         ("赵\x1b[2J\u202e敏",))
    code, out = run(data_dir, "operator", "list")
    assert code == 0
    assert "\x1b" not in out and "\u202e" not in out
    assert "赵\\x1b[2J\\u202e敏" in out
