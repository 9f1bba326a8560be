"""``deskapp audit verify --anchors DIR``: the nightly exports hold the chain to its past."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from typer.testing import CliRunner

from deskapp.cli import build_cli

runner = CliRunner()


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(build_cli(), ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.output


def test_a_rewound_chain_passes_alone_and_fails_against_the_nightly_anchor(
        managed: Path) -> None:
    tmp_path = managed  # a manager signs the commands in; audit verify needs no one
    for login in ("wang", "li", "zhao"):
        code, out = run(tmp_path, "operator", "add", login, "--name", login, "--pin", "1234")
        assert code == 0, out
    code, out = run(tmp_path, "export", "nightly", "--out", str(tmp_path / "exports"))
    assert code == 0, out
    code, out = run(tmp_path, "audit", "verify", "--anchors", str(tmp_path / "exports"))
    assert code == 0 and "Anchors: the chain holds the head 1 manifest recorded." in out, out
    with sqlite3.connect(tmp_path / "desk.db") as database:  # cut the tail, rewind the head
        (seq, entry_hash), = database.execute(
            "SELECT seq, entry_hash FROM audit_entry WHERE seq = 2").fetchall()
        database.execute("DELETE FROM audit_entry WHERE seq > 2")
        database.execute("UPDATE audit_head SET seq = ?, last_hash = ?", (seq, entry_hash))
    code, out = run(tmp_path, "audit", "verify")
    assert code == 0, out  # the chain alone cannot tell
    code, out = run(tmp_path, "audit", "verify", "--anchors", str(tmp_path / "exports"))
    assert code == 1 and "it was cut back" in out and out.count("\n") == 1, out


def test_a_folder_without_anchors_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "settings.toml").write_text('password_hash_profile = "cheapest"\n')
    code, out = run(tmp_path, "operator", "add", "wang", "--name", "王芳", "--role", "manager",
                    "--pin", "1234")
    assert code == 0, out
    code, out = run(tmp_path, "audit", "verify", "--anchors", str(tmp_path))
    assert code == 1 and out.startswith("Error: No manifest under ") and out.count("\n") == 1
