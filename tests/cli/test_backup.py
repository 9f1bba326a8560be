"""``deskapp backup`` and ``deskapp restore``: the restore drill of docs/operations.md,
and one clear line with exit 1 for every refusal, leaving nothing half-written."""

from __future__ import annotations

import hashlib
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskapp.cli import build_cli
from deskapp.desk import Desk
from deskapp.services import backup
from tests.cli.conftest import SignInAs, add_first_manager

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]

# Another desk: adds units through the service, one transaction each, and says the
# count after every commit, until its stdin is closed.
WRITER = r"""
import sys, threading
from deskapp.config import load_settings
from deskapp.db import transaction
from deskapp.desk import open_desk
from deskapp.services import directory
from deskapp.services.acting import Acting

desk = open_desk(load_settings(data_dir=sys.argv[1], password_hash_profile="cheapest"))
stop = threading.Event()
threading.Thread(target=lambda: (sys.stdin.read(), stop.set()), daemon=True).start()
written = 0
while not stop.is_set():
    with transaction(desk.engine) as session:
        directory.add_unit(session, acting=Acting(desk.site_id), code=f"8-1-{1001 + written}",
                           now=desk.clock.now())
    written += 1
    print(written, flush=True)
print("done", written, flush=True)
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "settings.toml").write_text('password_hash_profile = "cheapest"\n')
    return folder


def run(data_dir: Path, *args: str, stdin: str | None = None) -> tuple[int, str]:
    result = runner.invoke(build_cli(), ["--data-dir", str(data_dir), *args], input=stdin)
    # The command's engine is closed when it ends (``cli.closed_at_end``), as a process
    # of its own would: a restore would rightly refuse a database a desk still holds,
    # and the closing folds the write-ahead log into the file the tests compare.
    return result.exit_code, result.output


@pytest.fixture
def live(data_dir: Path, sqlite_template: Path, sign_in_as: SignInAs) -> Path:
    """A desk with its schema and two operators, as after its first day: its manager wang
    (who signs the backups and restores in, with a token file) and li."""
    shutil.copy(sqlite_template, data_dir / "desk.db")
    add_first_manager(data_dir, "wang", pin="1234")
    sign_in_as(data_dir, "wang")
    code, out = run(data_dir, "operator", "add", "li", "--name", "王芳", "--pin", "1234")
    assert code == 0, out
    return data_dir


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def listing(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


@pytest.fixture
def writer(live: Path) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(live)], cwd=ROOT, text=True,
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    yield process
    if process.poll() is None:
        process.kill()
    process.wait()


def committed(process: subprocess.Popen[str], at_least: int) -> int:
    """Read the writer's lines until it has committed ``at_least`` units."""
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        assert line, f"the writer stopped: {process.stderr.read() if process.stderr else ''}"
        if int(line) >= at_least:
            return int(line)


def units_in(path: Path) -> int:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as connection:
        found = int(connection.execute("SELECT count(*) FROM unit").fetchone()[0])
    connection.close()
    return found


def test_the_restore_drill_backup_while_another_process_writes_then_restore_and_verify(
    live: Path, writer: subprocess.Popen[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """docs/operations.md, "The restore drill", step by step."""
    monkeypatch.setattr(backup, "IN_USE_WAIT_MS", 50)
    copy = live.parent / "drill" / "copy.db"
    before = committed(writer, 20)

    code, out = run(live, "backup", "--out", str(copy))
    assert code == 0, out
    during = units_in(copy)
    after = committed(writer, during + 1)  # the other desk kept writing through it
    assert before <= during < after
    assert "the file is intact" in out and "the sealed handovers match their seals" in out
    assert f"units {during}," in out and "operators 2," in out

    # The monthly drill, desks still working: restore into a spare folder and verify it.
    spare = live.parent / "drill-spare"
    code, out = run(spare, "restore", str(copy), "--yes")
    assert code == 0, out
    assert "kept at" not in out  # nothing was there to replace
    assert units_in(spare / "desk.db") == during
    code, out = run(spare, "audit", "verify")
    assert code == 0 and "chain intact" in out and "unchanged since their seal" in out, out

    # Over the live database, a restore is refused while a desk still has it open.
    database = live / "desk.db"
    code, out = run(live, "restore", str(copy), "--yes")
    assert code == 1 and "is in use" in out
    assert not [name for name in listing(live) if "restoring" in name or "before-restore" in name]

    assert writer.stdin is not None and writer.stdout is not None
    writer.stdin.close()
    final = int(writer.stdout.read().split()[-1])
    assert writer.wait() == 0, writer.stderr.read() if writer.stderr else ""
    assert units_in(database) == final > during

    code, out = run(live, "restore", str(copy), "--yes")
    assert code == 0, out
    kept = next(live.glob("desk.before-restore-*.db"))
    assert f"kept at {kept}" in out
    assert units_in(database) == during
    assert units_in(kept) == final
    code, out = run(live, "audit", "verify")
    assert code == 0 and "chain intact" in out, out


def test_restoring_a_file_that_is_not_a_deskapp_database_is_one_line(live: Path) -> None:
    database = live / "desk.db"
    spreadsheet = live.parent / "units.csv"
    spreadsheet.write_text("unit,name\n3-2-1201,张伟\n", encoding="utf-8")
    other = live.parent / "other.db"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE notes (body TEXT)")
    connection.close()
    before, files = digest(database), listing(live)
    for file, says in ((spreadsheet, "not a SQLite file"),
                       (other, "a SQLite file of another program")):
        code, out = run(live, "restore", str(file), "--yes")
        assert code == 1
        assert out.strip().splitlines() == [f"Error: {file} is not a deskapp database ({says})."]
        assert digest(database) == before and listing(live) == files


def test_restoring_a_damaged_or_newer_file_is_one_line_and_changes_nothing(live: Path) -> None:
    good = live.parent / "good.db"
    code, out = run(live, "backup", "--out", str(good))
    assert code == 0, out
    truncated = live.parent / "truncated.db"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    newer = live.parent / "newer.db"
    newer.write_bytes(good.read_bytes())
    with sqlite3.connect(newer) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '9999'")
    connection.close()
    database = live / "desk.db"
    before, files = digest(database), listing(live)
    for file, says in ((truncated, "is damaged"), (newer, "written by a newer deskapp")):
        code, out = run(live, "restore", str(file), "--yes")
        assert code == 1
        lines = out.strip().splitlines()
        assert len(lines) == 1 and says in lines[0] and lines[0].startswith("Error: ")
        assert digest(database) == before and listing(live) == files


def test_a_restore_asks_first_and_no_changes_nothing(live: Path) -> None:
    copy = live.parent / "copy.db"
    assert run(live, "backup", "--out", str(copy))[0] == 0
    run(live, "operator", "add", "zhao", "--name", "赵敏", "--pin", "1234")
    database = live / "desk.db"
    before, files = digest(database), listing(live)
    for answer in ("n\n", ""):  # "no", and a script with nobody to answer
        code, out = run(live, "restore", str(copy), stdin=answer)
        assert code == 1
        assert f"Replace the database {database} with it?" in out
        assert "Nothing was restored; the database is as it was." in out
        assert digest(database) == before and listing(live) == files
    code, out = run(live, "restore", str(copy), stdin="y\n")
    assert code == 0 and "Restored" in out, out
    assert "zhao" not in run(live, "operator", "list")[1]


def test_a_backup_into_an_unwritable_folder_is_one_line(live: Path) -> None:
    blocker = live.parent / "usb"
    blocker.write_text("not a folder")
    code, out = run(live, "backup", "--out", str(blocker / "copy.db"))
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Cannot write the backup to")


def test_a_backup_onto_a_full_disk_is_one_line_and_leaves_no_file(live: Path) -> None:
    """A file size limit stands in for a full disk: writes past it fail (EFBIG)."""
    limit = (live / "desk.db").stat().st_size // 2
    copy = live.parent / "full" / "copy.db"
    copy.parent.mkdir()

    def small_disk() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    done = subprocess.run(
        [sys.executable, "-m", "deskapp", "--data-dir", str(live), "backup", "--out", str(copy)],
        cwd=ROOT, capture_output=True, text=True, preexec_fn=small_disk, check=False,
        env={**os.environ, "DESKAPP_LANG": "en"},
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: Cannot write the backup to"), lines
    assert listing(copy.parent) == []


def test_a_backup_names_its_file_by_default_and_speaks_chinese(live: Path) -> None:
    code, out = run(live, "--lang", "zh_CN", "backup")
    assert code == 0, out
    written = list((live / "backups").glob("desk-*.db"))
    assert len(written) == 1 and str(written[0]) in out
    assert "备份已写入" in out and "操作员 2" in out
    code, out = run(live, "--lang", "zh_CN", "restore", str(live.parent / "nothing.db"))
    assert code == 1 and "不存在" in out


def test_on_postgresql_backup_and_restore_explain_the_server_tools(tmp_path: Path) -> None:
    url = "postgresql://desk:s3cret@127.0.0.1:1/deskapp"
    for args, tool in ((["backup", "--out", str(tmp_path / "x.dump")], "pg_dump"),
                       (["restore", str(tmp_path / "x.dump"), "--yes"], "pg_restore")):
        result = runner.invoke(build_cli(), ["--database-url", url, *args])
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and tool in lines[0] and "s3cret" not in lines[0]
    assert listing(tmp_path) == []


def test_on_the_test_postgresql_server_backup_explains_pg_dump(desk: Desk, backend: str) -> None:
    if backend != "postgresql":
        pytest.skip("PostgreSQL only: the SQLite backups are the drill above")
    settings = desk.settings
    result = runner.invoke(build_cli(), ["--data-dir", str(settings.data_dir), "--database-url",
                                         str(settings.database_url), "backup"])
    assert result.exit_code == 1 and "pg_dump --format=custom" in result.output
    assert not (settings.data_dir / "backups").exists()
