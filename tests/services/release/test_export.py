"""The release slips in the nightly export: every revision the day touched and its lines,
carriers' IDs and phones masked, each step with its time and its operator."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from sqlmodel import Session

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.formatting import desk_zone
from deskapp.services import export
from deskapp.services.acting import Acting
from deskapp.services.release import slips
from deskapp.services.release.export import LINE_COLUMNS, SETTLEMENT_COLUMNS, SLIP_COLUMNS
from deskapp.services.release.slips import LineForm, Override
from tests.services.release.test_slips import CARRIER_PHONE, TODAY_2PM, form, local
from tests.support import Homes, Staff, homes_fixture, staff_fixture  # noqa: F401

DAY = date(2026, 11, 23)
CARRIER_ID = "11010519491231002X"
OFF_FILE = "13611112222"


def exported(desk: Desk, out: Path, day: date) -> Path:
    with reading(desk.engine) as session:
        return export.export_day(session, acting=Acting(desk.site_id), site_code="main", day=day,
                                 zone=desk_zone(desk.settings.timezone), out_dir=out).folder


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def header(folder: Path, name: str) -> list[str]:
    with (folder / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return next(csv.reader(handle))


def test_the_day_s_slips_are_exported_one_row_a_revision_with_their_lines_masked(
        desk: Desk, staff: Staff, homes: Homes, tmp_path: Path) -> None:
    site, settings = desk.site_id, desk.settings
    sunday, morning = local("2026-11-22T10:00"), local("2026-11-23T09:00")
    zhang = homes.zhang.id or 0

    def issued(session: Session, slip_form: slips.SlipForm, *, override: Override | None = None,
               **confirmation: str) -> slips.ReleaseSlip:
        made = slips.create(session, acting=Acting(site, staff.operator), form=slip_form,
                            now=morning,
                            settings=settings)
        slips.record_confirmation(session, acting=Acting(site, staff.operator),
                                  slip_id=made.id or 0,
                                  resident_id=zhang, now=morning,
                                  **confirmation)
        return slips.issue(session, acting=Acting(site, staff.operator), slip_id=made.id or 0,
                           now=morning,
                           settings=settings, override=override)

    def through_gate(session: Session, slip: slips.ReleaseSlip) -> None:
        view = slips.at_gate(session, acting=Acting(site), text=slip.code or "", now=TODAY_2PM,
                             settings=settings)
        for line in view.lines:
            slips.tick(session, acting=Acting(site), slip_id=view.slip_id, line_id=line.id,
                       now=TODAY_2PM, guard=staff.guard, settings=settings)
        slips.release(session, acting=Acting(site), slip_id=view.slip_id, now=TODAY_2PM,
                      guard=staff.guard, settings=settings)

    with transaction(desk.engine) as session:
        kept = slips.create(session, acting=Acting(site, staff.operator), form=form(), now=sunday,
                            settings=settings)
        voided = slips.create(session, acting=Acting(site, staff.colleague), form=form(),
                              now=sunday,
                              settings=settings)
    with transaction(desk.engine) as session:
        slips.void(session, acting=Acting(site, staff.colleague), slip_id=voided.id or 0,
                   reason="业主改期",
                   now=morning)
        released = issued(session, form(), phone=OFF_FILE,
                          off_file_reason="业主在外地，新号码已核实")
        through_gate(session, released)
        slips.file(session, acting=Acting(site, staff.colleague), slip_id=released.id or 0,
                   now=local("2026-11-23T15:00"))
        sent = issued(session, form())
        slips.send_back(session, acting=Acting(site), slip_id=sent.id or 0, note="实际是两个沙发",
                        now=local("2026-11-23T14:30"), guard=staff.guard, settings=settings)
        revised = slips.revise(session, acting=Acting(site, staff.operator), slip_id=sent.id or 0,
                               form=form(lines=(LineForm("三人沙发", 2),)),
                               now=local("2026-11-23T14:45"),
                               settings=settings)
        repair = issued(session, form(reason="repair", due_back_on=date(2026, 11, 25),
                                      lines=(LineForm("电脑", 1),)))
        through_gate(session, repair)
        evening = issued(session, form(planned_at=local("2026-11-23T18:00")),
                         override=Override(staff.supervisor, "业主次日出国"))
    with transaction(desk.engine) as session:
        slips.mark_returned(session, acting=Acting(site, staff.colleague), slip_id=repair.id or 0,
                            now=local("2026-11-24T09:00"))

    folder = exported(desk, tmp_path, DAY)
    assert header(folder, "release_slips") == SLIP_COLUMNS
    assert header(folder, "release_lines") == LINE_COLUMNS
    manifest = {row["file"]: row["rows"] for row in rows(folder, "manifest")}
    assert (manifest["release_slips.csv"], manifest["release_lines.csv"]) == ("6", "10")
    by_code = {row["code"]: row for row in rows(folder, "release_slips")}
    assert list(by_code) == [voided.code, released.code, sent.code, revised.code, repair.code,
                             evening.code]  # not the Sunday draft nobody touched today
    row = by_code[released.code or ""]
    assert row == row | {
        "revision": "1", "supersedes": "", "status": "filed", "unit": "3-2-1201",
        "applicant_name": "刘明", "applicant_relation": "tenant", "carrier_name": "周师傅",
        "carrier_id_number": "**************002X", "carrier_phone": "139****6666",
        "plate": "京A12345", "driver_name": "周师傅", "reason": "gift_or_sale",
        "planned_at": "2026-11-23T14:00+08:00", "created_at": "2026-11-23T09:00+08:00",
        "created_by": "wangfang", "confirmation_kind": "phone", "confirmed_by": "张伟",
        "confirmed_at": "2026-11-23T09:00+08:00", "confirmed_phone": "136****2222",
        "confirmed_on_file": "0", "off_file_reason": "业主在外地，新号码已核实",
        "confirmation_recorded_by": "wangfang", "override_by": "",
        "issued_at": "2026-11-23T09:00+08:00", "issued_by": "wangfang",
        "released_at": "2026-11-23T14:00+08:00", "released_by": "sunqiang",
        "filed_at": "2026-11-23T15:00+08:00", "filed_by": "liuyang", "sent_back_by": "",
        "returned_at": ""}
    assert by_code[sent.code or ""] == by_code[sent.code or ""] | {
        "status": "superseded", "sent_back_at": "2026-11-23T14:30+08:00",
        "sent_back_by": "sunqiang", "sent_back_note": "实际是两个沙发"}
    assert by_code[revised.code or ""] == by_code[revised.code or ""] | {
        "revision": "2", "supersedes": sent.code, "status": "draft", "confirmation_kind": "",
        "confirmed_on_file": "", "created_at": "2026-11-23T14:45+08:00"}
    assert by_code[evening.code or ""] == by_code[evening.code or ""] | {
        "override_by": "zhaomin", "override_rules": "office_hours",
        "override_reason": "业主次日出国", "override_at": "2026-11-23T09:00+08:00",
        "confirmed_on_file": "1", "confirmed_phone": "138****5678"}
    assert by_code[voided.code or ""] == by_code[voided.code or ""] | {
        "status": "void", "created_at": "2026-11-22T10:00+08:00", "created_by": "liuyang",
        "voided_at": "2026-11-23T09:00+08:00", "voided_by": "liuyang", "void_reason": "业主改期"}
    assert by_code[repair.code or ""]["due_back_on"] == "2026-11-25"
    lines = [tuple(line.values()) for line in rows(folder, "release_lines")
             if line["code"] == released.code]
    assert lines == [
        (released.code, "1", "三人沙发", "1", "1", "沙发/sofa", "2026-11-23T14:00+08:00"),
        (released.code, "2", "一箱书", "3", "0", "", "2026-11-23T14:00+08:00")]
    assert [(line["description"], line["quantity"], line["ticked_at"])
            for line in rows(folder, "release_lines") if line["code"] == revised.code] == [
        ("三人沙发", "2", "")]
    text = (folder / "release_slips.csv").read_text(encoding="utf-8")
    assert CARRIER_ID not in text and CARRIER_PHONE not in text and OFF_FILE not in text

    sunday_rows = rows(exported(desk, tmp_path, date(2026, 11, 22)), "release_slips")
    assert [row["code"] for row in sunday_rows] == [kept.code, voided.code]
    [back] = rows(exported(desk, tmp_path, date(2026, 11, 24)), "release_slips")
    assert (back["code"], back["returned_at"], back["returned_by"]) == (
        repair.code, "2026-11-24T09:00+08:00", "liuyang")
    assert rows(exported(desk, tmp_path, date(2026, 11, 25)), "release_slips") == []


def test_a_moving_out_slip_s_settlements_are_exported_with_it(
        desk: Desk, staff: Staff, homes: Homes, tmp_path: Path) -> None:
    from deskapp.services.acting import Acting
    from deskapp.services.custody import storage
    from deskapp.services.release import moving_out

    site, morning = desk.site_id, local("2026-11-23T09:00")
    with transaction(desk.engine) as session:
        stored = storage.deposit(session, acting=Acting(site, staff.operator), now=morning,
                                 form=storage.StorageForm(
                                     depositor_name="张伟", description="一箱书", shelf="A-1",
                                     phone="13812345678", unit="3-2-1201",
                                     depositor_confirmed=True))
        slip = slips.create(session, acting=Acting(site, staff.operator), now=morning,
                            settings=desk.settings,
                            form=form(reason="moving_out", planned_at=local("2026-11-30T10:00")))
        moving_out.record_settlement(session, acting=Acting(site, staff.operator),
                                     slip_id=slip.id or 0, kind="stored",
                                     record_id=stored.id or 0, settled=False,
                                     note="业主周五来取", now=morning)
    folder = exported(desk, tmp_path, DAY)
    assert header(folder, "release_settlements") == SETTLEMENT_COLUMNS
    assert [tuple(row.values()) for row in rows(folder, "release_settlements")] == [
        (slip.code, "stored", stored.code, "0", "业主周五来取", "2026-11-23T09:00+08:00",
         staff.operator.login)]
