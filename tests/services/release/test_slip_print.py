"""The printed release slip: the code to scan, the people masked, every line, how the owner
confirmed and a supervisor's override; only an issued slip is printed."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from deskapp import i18n
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import InvalidInput
from deskapp.models.release import ReleaseSlip
from deskapp.services.acting import Acting
from deskapp.services.printing import CodeBlock, PrintDocument, Signatures, Table, render_text
from deskapp.services.release import slip_print, slips
from deskapp.services.release.slips import LineForm, Override
from tests.services.release.test_slips import (
    CARRIER_PHONE,
    confirm,
    create,
    form,
    issue,
    issued,
    local,
)
from tests.support import Homes, Staff, homes_fixture, staff_fixture  # noqa: F401 (fixtures)

ZONE = ZoneInfo("Asia/Shanghai")
CARRIER_ID = "11010519491231002X"


def document(desk: Desk, slip: ReleaseSlip) -> PrintDocument:
    with reading(desk.engine) as session:
        return slip_print.slip_document(session, acting=Acting(desk.site_id), slip_id=slip.id or 0,
                                        site_name="阳光花园物业服务中心", zone=ZONE,
                                        printed_at=desk.clock.now(), printed_by="王芳")


def text_of(desk: Desk, slip: ReleaseSlip) -> str:
    """The slip's text copy, its lines joined (so a phrase wrapped across two is found)."""
    return " ".join(render_text(document(desk, slip), width=slip_print.TEXT_WIDTH).split())


def test_the_slip_prints_its_code_every_line_and_the_carrier_masked(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    slip = issued(desk, staff, homes)
    doc = document(desk, slip)
    assert [(b.value, b.qr, b.barcode) for b in doc.blocks if isinstance(b, CodeBlock)] == [
        (slip.code, True, True)]
    [table] = [block for block in doc.blocks if isinstance(block, Table)]
    assert [list(row) for row in table.rows] == [["1", "三人沙发", "1", "yes"],
                                                 ["2", "一箱书", "3", ""]]
    assert any(isinstance(block, Signatures) for block in doc.blocks)
    text = " ".join(render_text(doc, width=slip_print.TEXT_WIDTH).split())
    assert slip.code and slip.code in text
    assert "**************002X" in text and CARRIER_ID not in text
    assert "139****6666" in text and CARRIER_PHONE not in text
    assert "138****5678" in text and "13812345678" not in text  # the number the desk called
    for words in ("3-2-1201", "刘明 (tenant)", "周师傅", "京A12345", "gift or sale",
                  "2026-11-23 14:00", "by phone", "张伟", "Issued by", "王芳",
                  "valid only on 2026-11-23", "Large items leave only within office hours"):
        assert words in text, words
    assert "override" not in text.lower()


def test_an_override_is_printed_with_the_supervisor_the_rule_and_the_reason(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    slip = create(desk, staff, form(planned_at=local("2026-11-23T18:00")))
    confirm(desk, staff, slip, homes)
    issue(desk, staff, slip, Override(staff.supervisor, "业主次日出国"))
    text = text_of(desk, slip)
    assert "Supervisor's override" in text
    assert "赵敏" in text and "业主次日出国" in text
    assert "large items leave only within office hours" in text
    assert "office_hours" not in text
    assert "Large items leave only within office hours." not in text  # overridden for the day


def test_a_number_not_on_file_is_printed_masked_with_why_it_was_called(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    slip = create(desk, staff)
    confirm(desk, staff, slip, homes, phone="13611112222",
            off_file_reason="业主在外地，留的新号码经物业经理核实")
    issue(desk, staff, slip)
    text = text_of(desk, slip)
    assert "136****2222, not the number on file" in text and "13611112222" not in text
    assert "业主在外地，留的新号码经物业经理核实" in text


def test_a_revision_names_the_slip_it_replaces_and_the_replaced_one_is_refused(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    first = issued(desk, staff, homes)
    with transaction(desk.engine) as session:
        second = slips.revise(session, acting=Acting(desk.site_id, staff.operator),
                              slip_id=first.id or 0,
                              form=form(lines=(LineForm("三人沙发", 2),)),
                              now=desk.clock.now(),
                              settings=desk.settings)
    confirm(desk, staff, second, homes)
    issue(desk, staff, second)
    assert f"2, replaces {first.code}" in text_of(desk, second)
    with pytest.raises(InvalidInput, match=f"replaced by revision 2, {second.code}"):
        document(desk, first)


def test_a_moving_out_slip_prints_who_confirmed_the_fees_settled(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    slip = create(desk, staff, form(reason="moving_out", planned_at=local("2026-11-26T10:00")))
    confirm(desk, staff, slip, homes)
    with transaction(desk.engine) as session:
        slips.record_fees_settled(session, acting=Acting(desk.site_id, staff.operator),
                                  slip_id=slip.id or 0,
                                  confirmed_by="财务 黄丽", now=desk.clock.now())
    issue(desk, staff, slip)
    assert "confirmed by 财务 黄丽, 2026-11-23 10:00" in text_of(desk, slip)


def test_a_draft_and_a_voided_slip_are_not_printed(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    slip = create(desk, staff)
    confirm(desk, staff, slip, homes)
    with pytest.raises(InvalidInput, match="issue it before printing") as refused:
        document(desk, slip)
    assert refused.value.field == "slip"
    with transaction(desk.engine) as session:
        slips.void(session, acting=Acting(desk.site_id, staff.operator), slip_id=slip.id or 0,
                   reason="取消搬运",
                   now=desk.clock.now())
    with pytest.raises(InvalidInput, match="voided; only an issued slip is printed"):
        document(desk, slip)


def test_the_slip_in_chinese_saves_an_a4_pdf_and_its_text(
        desk: Desk, staff: Staff, homes: Homes, tmp_path: Path) -> None:
    slip = issued(desk, staff, homes)
    i18n.set_language("zh_CN")
    doc = document(desk, slip)
    pdf_path, text_path = slip_print.save_slip(doc, folder=tmp_path / "prints",
                                               code=slip.code or "")
    assert pdf_path.name == f"slip-{slip.code}.pdf"
    assert pdf_path.read_bytes().startswith(b"%PDF")
    text = text_path.read_text(encoding="utf-8")
    assert "物品放行条" in text and (slip.code or "") in text
    assert "三人沙发" in text and "门岗" in text
