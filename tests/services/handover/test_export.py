"""The change of shift in the nightly export: the day's handovers with their items and
counts, and the duty log, each file with its header even on a day without any."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from deskapp.db import reading
from deskapp.desk import Desk
from deskapp.formatting import desk_zone
from deskapp.services import export
from deskapp.services.acting import Acting
from deskapp.services.handover import handovers
from deskapp.services.handover.export import (
    COUNT_COLUMNS,
    DUTY_LOG_COLUMNS,
    HANDOVER_COLUMNS,
    ITEM_COLUMNS,
)
from tests.services.handover.test_assembly import MID_MORNING
from tests.services.handover.test_dutylog import write
from tests.services.handover.test_handovers import (
    SETTINGS_ITEMS,
    ready_to_sign,
    run,
    sign_both,
    started,
)
from tests.support import Homes, Staff, homes_fixture, staff_fixture  # noqa: F401 (fixtures)

DAY = date(2026, 11, 23)  # MID_MORNING is 10:00 of this day in Beijing
FILES = {"handovers": HANDOVER_COLUMNS, "handover_items": ITEM_COLUMNS,
         "handover_counts": COUNT_COLUMNS, "duty_log": DUTY_LOG_COLUMNS}


@pytest.fixture
def two_items(desk: Desk) -> Desk:
    """The desk of ``test_handovers``: its checklist is 对讲机=4 and 雨伞=6."""
    desk.settings = replace(desk.settings, public_items=SETTINGS_ITEMS)  # type: ignore[misc]
    return desk


def exported(desk: Desk, out: Path, day: date = DAY) -> Path:
    with reading(desk.engine) as session:
        report = export.export_day(session, acting=Acting(desk.site_id), site_code="main", day=day,
                                   zone=desk_zone(desk.settings.timezone), out_dir=out)
    return report.folder


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def header(folder: Path, name: str) -> list[str]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def test_a_day_with_a_sealed_handover_and_duty_entries_exports_them(
    two_items: Desk, staff: Staff, homes: Homes, tmp_path: Path,
) -> None:
    desk = two_items
    write(desk, staff.operator, "交班前巡查大堂，一切正常", now=MID_MORNING - timedelta(hours=1))
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    sign_both(desk, h)
    write(desk, staff.colleague, "3号楼电梯异响，已报工程部", anomaly=True, unit="3-2-1201",
          record=h["late"].reference, now=MID_MORNING + timedelta(hours=1))
    write(desk, staff.colleague, "次日的记录", now=MID_MORNING + timedelta(days=1))
    folder = exported(desk, tmp_path)
    for name, columns in FILES.items():
        assert header(folder, name) == columns, name
    manifest = {row["file"]: row["rows"] for row in rows(folder, "manifest")}
    assert {name: manifest[f"{name}.csv"] for name in FILES} == {
        "handovers": "1", "handover_items": "2", "handover_counts": "2", "duty_log": "2"}

    [handover] = rows(folder, "handovers")
    with reading(desk.engine) as session:
        seal = handovers.get_handover(session, acting=Acting(desk.site_id),
                                      handover_id=h["id"]).seal_hash
    assert handover == handover | {
        "handover": str(h["id"]), "state": "sealed", "outgoing": "wangfang",
        "incoming": "liuyang", "shift_starts_at": "2026-11-23T08:00+08:00",
        "shift_ends_at": "2026-11-23T16:00+08:00", "started_at": "2026-11-23T10:00+08:00",
        "outgoing_signed_at": "2026-11-23T10:02+08:00", "sealed_at": "2026-11-23T10:02+08:00",
        "seal_hash": seal, "reviewed_at": "", "reviewed_by": ""}
    items = {row["reference"]: row for row in rows(folder, "handover_items")}
    late = items[h["late"].reference]
    assert late == late | {
        "handover": str(h["id"]), "group": "requests", "record_kind": "request",
        "unit": "3-2-1202", "what": "楼上漏水", "level": "urgent",
        "next_action": "联系工程部上门", "contingency": "若业主再来电，先报主管",
        "decision": "accepted", "carried_by": "zhaomin", "carry_reason": "工程部明早上门",
        "deadline": "2026-11-23T09:59+08:00"}
    assert items[h["own"].reference]["level"] == "routine"
    counted = [(row["name"], row["expected"], row["counted"])
               for row in rows(folder, "handover_counts")]
    assert counted == [("对讲机", "4", "4"), ("雨伞", "6", "6")]
    duty = rows(folder, "duty_log")
    assert [(row["at"], row["operator"], row["anomaly"], row["text"]) for row in duty] == [
        ("2026-11-23T09:00+08:00", "wangfang", "0", "交班前巡查大堂，一切正常"),
        ("2026-11-23T11:00+08:00", "liuyang", "1", "3号楼电梯异响，已报工程部")]
    assert duty[1]["unit"] == "3-2-1201" and duty[1]["record_ref"] == h["late"].reference
    assert duty[1]["shift_starts_at"] == "2026-11-23T08:00+08:00"
    assert [row["text"] for row in rows(exported(desk, tmp_path, DAY + timedelta(days=1)),
                                        "duty_log")] == ["次日的记录"]


def test_a_refused_item_settled_the_next_day_exports_its_handover_that_day(
    two_items: Desk, staff: Staff, homes: Homes, tmp_path: Path,
) -> None:
    desk = two_items
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    run(desk, handovers.take_item, handover_id=h["id"], item_id=h["own"].id, accept=False,
        reason="不了解此单，请主管另派", now=MID_MORNING)
    sign_both(desk, h)
    run(desk, handovers.settle_refused, item_id=h["own"].id, actor=staff.supervisor,
        note="改派给刘洋跟进", now=MID_MORNING + timedelta(days=1))
    folder = exported(desk, tmp_path, DAY + timedelta(days=1))
    assert [row["handover"] for row in rows(folder, "handovers")] == [str(h["id"])]
    own = next(row for row in rows(folder, "handover_items")
               if row["reference"] == h["own"].reference)
    assert own["decision"] == "refused" and own["refusal_reason"] == "不了解此单，请主管另派"
    assert (own["settled_by"], own["settle_note"], own["settled_at"]) == (
        "zhaomin", "改派给刘洋跟进", "2026-11-24T10:00+08:00")


def test_a_day_without_handovers_or_entries_writes_header_only_files(
    two_items: Desk, staff: Staff, homes: Homes, tmp_path: Path,
) -> None:
    desk = two_items
    h = started(desk, staff, homes)  # an open handover of another day
    write(desk, staff.operator, now=MID_MORNING)
    assert h["id"]
    folder = exported(desk, tmp_path, date(2026, 11, 20))
    for name, columns in FILES.items():
        content = (folder / f"{name}.csv").read_bytes().decode("utf-8")
        assert content == ",".join(columns) + "\r\n", name
    manifest = {row["file"]: row["rows"] for row in rows(folder, "manifest")}
    assert all(manifest[f"{name}.csv"] == "0" for name in FILES)
