"""``deskapp release reconcile``: the week's reconciliation CSV, into the exports folder by
default, last week unless told, one line for a refusal."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime
from pathlib import Path

from typer.testing import CliRunner

from deskapp.cli import build_cli
from deskapp.config import load_settings
from deskapp.db import transaction
from deskapp.desk import open_desk
from deskapp.formatting import desk_zone
from deskapp.services import directory
from deskapp.services.acting import Acting
from deskapp.services.release import reconciliation, slips
from tests.cli.conftest import SignInAs
from tests.services.release.test_slips import TODAY_2PM, form, local
from tests.support import make_staff

runner = CliRunner()


def run(data_dir: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(build_cli(), ["--data-dir", str(data_dir), *args])
    return result.exit_code, result.output


def _a_released_slip(data_dir: Path) -> str:
    """One slip released at the gate on Monday 2026-11-23, not filed."""
    desk = open_desk(load_settings(data_dir=data_dir))
    staff = make_staff(desk)
    morning, site = local("2026-11-23T10:00"), desk.site_id
    with transaction(desk.engine) as session:
        unit = directory.add_unit(session, acting=Acting(site), code="3-2-1201", now=morning)
        owner = directory.add_resident(session, acting=Acting(site), unit=unit, name="张伟",
                                       relation="owner", phone="13812345678", now=morning)
        slip = slips.create(session, acting=Acting(site, staff.operator), form=form(), now=morning,
                            settings=desk.settings)
        slips.record_confirmation(session, acting=Acting(site, staff.operator),
                                  slip_id=slip.id or 0,
                                  resident_id=owner.id or 0, now=morning)
        slips.issue(session, acting=Acting(site, staff.operator), slip_id=slip.id or 0, now=morning,
                    settings=desk.settings)
        view = slips.at_gate(session, acting=Acting(site), text=slip.code or "", now=TODAY_2PM,
                             settings=desk.settings)
        for line in view.lines:
            slips.tick(session, acting=Acting(site), slip_id=view.slip_id, line_id=line.id,
                       now=TODAY_2PM, guard=staff.guard, settings=desk.settings)
        slips.release(session, acting=Acting(site), slip_id=view.slip_id, now=TODAY_2PM,
                      guard=staff.guard, settings=desk.settings)
        code = slip.code or ""
    desk.engine.dispose()
    return code


def test_reconcile_writes_the_week_into_the_exports_folder_and_refuses_a_bad_week(
        tmp_path: Path, sign_in_as: SignInAs) -> None:
    (tmp_path / "settings.toml").write_text('password_hash_profile = "cheapest"\n')
    code = _a_released_slip(tmp_path)
    sign_in_as(tmp_path, "chenjie")  # the staff's manager
    status, out = run(tmp_path, "release", "reconcile", "--week", "2026-11-23")
    assert status == 0, out
    written = tmp_path / "exports" / "main" / "reconciliation-2026-11-23.csv"
    assert f"written to {written}" in " ".join(out.split())
    assert "1 released, 0 filed, 1 not filed." in out
    with written.open(encoding="utf-8", newline="") as handle:
        assert list(csv.reader(handle))[1:] == [
            [code, "3-2-1201", "2026-11-23T14:00+08:00", "0"], ["total", "", "1", "0"]]

    other = tmp_path / "elsewhere"
    status, out = run(tmp_path, "release", "reconcile", "--week", "2026-11-26", "--out",
                      str(other))
    assert status == 0, out
    assert (other / "main" / "reconciliation-2026-11-23.csv").read_bytes() == \
        written.read_bytes()

    status, out = run(tmp_path, "release", "reconcile")  # last week, by the desk's clock
    assert status == 0, out
    monday = reconciliation.last_week(datetime.now(UTC), desk_zone("Asia/Shanghai"))
    assert (tmp_path / "exports" / "main" / reconciliation.file_name(monday)).exists()
    assert monday < date.today()

    status, out = run(tmp_path, "release", "reconcile", "--week", "next monday")
    assert status == 1
    assert out.strip().splitlines() == [
        "Error: next monday is not a date: write the week's Monday as 2026-11-23."]
