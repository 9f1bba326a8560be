"""The claim ticket: the code three ways, the depositor's phone masked, Chinese kept."""

from __future__ import annotations

import resource
import signal
from collections.abc import Iterator
from contextlib import contextmanager
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


@contextmanager
def _disk_full_after(size: int) -> Iterator[None]:
    """Writes beyond ``size`` bytes of a file fail (EFBIG), as on a disk that fills up."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


@pytest.mark.parametrize("replace_missing", [False, True])
def test_a_ticket_that_cannot_be_written_whole_leaves_the_earlier_one_intact(
    tmp_path: Path, replace_missing: bool
) -> None:
    """Written beside the final name, then renamed: never half a ticket under its name."""
    folder = tmp_path / "prints"
    doc = ticket_document(_item(), site_name="阳光花园", zone=BEIJING, printed_at=NOW)
    pdf_path, text_path = save_ticket(doc, folder=folder, code="S-7K3M-Q")
    earlier_pdf, earlier_text = pdf_path.read_bytes(), text_path.read_bytes()
    reprint = ticket_document(_item(description="行李箱 红色 𠮷"), site_name="阳光花园",
                              zone=BEIJING, printed_at=NOW)
    with pytest.raises(OSError), _disk_full_after(len(earlier_pdf) // 2):
        save_ticket(reprint if replace_missing else doc, folder=folder, code="S-7K3M-Q",
                    replace_missing=replace_missing)
    assert pdf_path.read_bytes() == earlier_pdf
    assert text_path.read_bytes() == earlier_text
    assert sorted(path.name for path in folder.iterdir()) == [pdf_path.name, text_path.name]


def test_a_ticket_with_characters_the_font_lacks_is_saved_whole_with_placeholders(
    tmp_path: Path,
) -> None:
    doc = ticket_document(_item(owner_name="王喆𠮷"), site_name="x", zone=BEIJING)
    pdf_path, text_path = save_ticket(doc, folder=tmp_path, code="S-7K3M-Q",
                                      replace_missing=True)
    data = pdf_path.read_bytes()
    assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF")
    assert "王喆𠮷" in text_path.read_text(encoding="utf-8")
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".")] == []


@pytest.mark.parametrize("language", ["en", "zh_CN"])
@pytest.mark.parametrize("condition", ["", "有划痕", "外包装破损，" * 12])
@pytest.mark.parametrize("may_collect", ["", "李明 (neighbour)"])
def test_the_ticket_is_one_piece_of_paper_whatever_it_holds(
    language: str, condition: str, may_collect: str,
) -> None:
    """The roll is cut to the content; a short ticket once spilled onto a second page."""
    import re

    i18n.set_language(language)
    doc = ticket_document(_item(condition=condition, may_collect=may_collect),
                          site_name="锦绣花园物业服务中心", zone=ZoneInfo("Asia/Shanghai"),
                          unit_code="1-1-101", printed_at=datetime(2026, 11, 23, 2, tzinfo=UTC),
                          printed_by="王芳")
    pdf = render_pdf(doc, paper="receipt80")
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 1
