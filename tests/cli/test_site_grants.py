"""``deskapp site grant`` and the reports across the sites a manager reads (issue 18,
point 3): a head office's manager reports on the sites granted to them, and on no other."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskapp.cli import build_cli
from tests.cli.conftest import add_first_manager, make_token

runner = CliRunner()


def run(data_dir: Path, token: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(build_cli(), ["--data-dir", str(data_dir), *args],
                           env={"DESKAPP_TOKEN_FILE": str(token)})
    return result.exit_code, result.output


@pytest.fixture
def group(managed: Path) -> tuple[Path, Path, Path]:
    """Site main (manager boss) and site north (manager zhou): the folder and each
    manager's token file."""
    boss = make_token(managed, "boss", out=managed.parent / "boss.token")
    code, out = run(managed, boss, "site", "add", "north", "--name", "北区")
    assert code == 0, out
    add_first_manager(managed, "zhou", site="north")
    zhou = make_token(managed, "zhou", site="north", out=managed.parent / "zhou.token")
    return managed, boss, zhou


def test_a_report_across_sites_needs_each_sites_grant(group: tuple[Path, Path, Path]) -> None:
    folder, boss, zhou = group
    both = ("report", "monthly", "--period", "2026-11", "--sites", "main,north")
    code, out = run(folder, boss, *both)
    assert code == 1 and "may not read site north" in out and out.count("\n") == 1
    assert not (folder / "exports").exists()  # all the reports or none

    code, out = run(folder, zhou, "--site", "north", "site", "grant", "boss", "--from", "main")
    assert code == 0, out
    assert "now reads and reports on site north" in out
    code, out = run(folder, zhou, "--site", "north", "site", "grants")
    assert code == 0 and "boss" in out and "main" in out

    code, out = run(folder, boss, *both)
    assert code == 0, out
    for site in ("main", "north"):
        report = folder / "exports" / site / "report-2026-11.csv"
        assert report.exists() and str(report) in out

    code, out = run(folder, zhou, "--site", "north", "site", "grant", "boss", "--from", "main",
                    "--revoke")
    assert code == 0 and "no longer reads site north" in out
    code, out = run(folder, boss, "report", "monthly", "--period", "2026-10", "--sites",
                    "north")
    assert code == 1 and "may not read site north" in out
    assert not (folder / "exports" / "north" / "report-2026-10.csv").exists()


def test_only_the_granted_sites_manager_grants_it(group: tuple[Path, Path, Path]) -> None:
    folder, boss, _zhou = group
    # boss's token is main's: it signs nobody in at north.
    code, out = run(folder, boss, "--site", "north", "site", "grant", "boss", "--from", "main")
    assert code == 1 and out.startswith("Error: ")
    code, out = run(folder, boss, "report", "monthly", "--period", "2026-11", "--sites",
                    "north")
    assert code == 1 and "may not read site north" in out


def test_an_unknown_site_in_the_list_is_named(group: tuple[Path, Path, Path]) -> None:
    folder, boss, _zhou = group
    code, out = run(folder, boss, "report", "monthly", "--sites", "main,nort")
    assert code == 1 and "No site is called nort" in out
    assert not (folder / "exports").exists()
