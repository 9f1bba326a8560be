"""The claim ticket: the code three ways, the depositor's phone masked, Chinese kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from deskapp import i18n
from deskapp.models.custody import CustodyItem
from deskapp.services.custody.storage_ticket import save_ticket, ticket_document
from deskapp.services.printing import CodeBlock, Signatures, render_pdf, render_text

BEIJING = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def _item(**changes: object) -> CustodyItem:
    values: dict[str, object] = {
        "site_id": 1, "ledger": "storage", "code": "S-7K3M-Q", "status": "held",
        "description": "行李箱 蓝色", "pieces": 2, "condition": "完好", "place": "A-3",
        "owner_name": "王芳", "owner_phone": "13812345678", "received_at": NOW,
        "category": "ordinary", "may_collect": "李明 (邻居)",
    }
    values.update(changes)
    return CustodyItem(**values)


def test_the_ticket_carries_the_code_as_qr_barcode_and_text() -> None:
    doc = ticket_document(_item(), site_name="阳光花园物业服务中心", zone=BEIJING,
                          unit_code="1-1-101", printed_at=NOW, printed_by="王芳")
    code_blocks = [block for block in doc.blocks if isinstance(block, CodeBlock)]
    assert [(b.value, b.qr, b.barcode) for b in code_blocks] == [("S-7K3M-Q", True, True)]
    assert any(isinstance(block, Signatures) for block in doc.blocks)
    text = render_text(doc, width=42)
    assert "S-7K3M-Q" in text
    assert "1-1-101" in text and "A-3" in text and "2026-11-23 10:00" in text


def test_the_phone_is_masked_on_the_ticket() -> None:
    text = "\n".join(ticket_document(_item(), site_name="x", zone=BEIJING).texts())
    assert "138****5678" in text
    assert "13812345678" not in text


def test_the_ticket_in_chinese_reads_as_the_desk_speaks() -> None:
    i18n.set_language("zh_CN")
    doc = ticket_document(_item(), site_name="阳光花园", zone=BEIJING)
    text = render_text(doc, width=42)
    assert "物品寄存凭条" in text
    assert "行李箱 蓝色" in text and "王芳" in text
    assert "请妥善保管" in text


def test_an_exception_category_is_printed_and_an_ordinary_one_is_not() -> None:
    plain = ticket_document(_item(), site_name="x", zone=BEIJING).texts()
    cash = ticket_document(_item(category="cash"), site_name="x", zone=BEIJING).texts()
    assert "cash" in cash and "cash" not in plain


def test_an_unsaved_item_has_no_ticket() -> None:
    with pytest.raises(ValueError):
        ticket_document(_item(code=None), site_name="x", zone=BEIJING)


def test_the_ticket_renders_as_a_pdf_with_chinese_and_saves_both_files(tmp_path: Path) -> None:
    i18n.set_language("zh_CN")
    doc = ticket_document(_item(), site_name="阳光花园", zone=BEIJING, printed_at=NOW)
    assert render_pdf(doc, paper="receipt80").startswith(b"%PDF")
    pdf_path, text_path = save_ticket(doc, folder=tmp_path / "prints", code="S-7K3M-Q")
    assert pdf_path.name == "ticket-S-7K3M-Q.pdf" and pdf_path.stat().st_size > 1000
    assert "S-7K3M-Q" in text_path.read_text(encoding="utf-8")
