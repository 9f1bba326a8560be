"""Printing: the PDF shows Chinese without installed fonts, codes scan, receipts fit."""

from __future__ import annotations

import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from deskapp.errors import InvalidInput
from deskapp.services.printing import (
    CodeBlock,
    Heading,
    KeyValues,
    Paragraph,
    PrintDocument,
    Signatures,
    Table,
    display_width,
    missing_glyphs,
    render_pdf,
    render_text,
    safe_file_name,
    save_print,
)
from deskapp.services.printing.fonts import font_codepoints
from deskapp.services.printing.layout import wrap

RARE_NAMES = "喆堃犇淼昊玥"
NOT_IN_FONT = "\U00020000"  # 𠀀, CJK Extension B: Noto Sans SC has no glyph for it

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None or shutil.which("pdftoppm") is None,
    reason="poppler-utils not installed (apt-get install --no-install-recommends poppler-utils)",
)
needs_zbar = pytest.mark.skipif(
    shutil.which("zbarimg") is None or shutil.which("pdftoppm") is None,
    reason="zbar-tools not installed (apt-get install --no-install-recommends zbar-tools)",
)


def work_order(value: str = "厨房水槽下方水管接口漏水，需要尽快上门维修。") -> PrintDocument:
    return PrintDocument(
        title="报修工单",
        subtitle="阳光花园物业服务中心",
        blocks=[
            KeyValues([("工单号", "WO-20261123-0007"), ("报修人", "王喆 李堃"), ("内容", value)]),
            Heading("处理记录"),
            Table(
                ["时间", "处理人", "内容"],
                [["10:05", "张犇", "派单"], ["11:30", "刘淼", "已修好"]],
            ),
            CodeBlock("S7K3MQ", label="工单码"),
            Paragraph("经办：昊 玥"),
            Signatures(["业主签字"]),
        ],
        printed_at="2026-11-23 10:00",
        printed_by="前台 赵玥",
    )


def pdf_text(pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    )
    return re.sub(r"\s+", "", result.stdout.decode("utf-8"))


def scanned_codes(pdf: bytes, tmp_path: Path) -> set[str]:
    path = tmp_path / "doc.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "200", str(path), str(tmp_path / "page")], check=True)
    found: set[str] = set()
    for page in sorted(tmp_path.glob("page*.png")):
        result = subprocess.run(["zbarimg", "-q", str(page)], capture_output=True, check=False)
        found.update(result.stdout.decode().split())
    return found


def cells(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


# -- the PDF ---------------------------------------------------------------


def test_rare_name_characters_are_in_the_embedded_font() -> None:
    have = font_codepoints()
    assert [char for char in RARE_NAMES if ord(char) not in have] == []
    assert missing_glyphs(work_order()) == ""


@needs_poppler
@pytest.mark.parametrize("paper", ["a4", "receipt80"])
def test_pdf_text_layer_holds_the_chinese_and_rare_names(paper: str, tmp_path: Path) -> None:
    text = pdf_text(render_pdf(work_order(), paper=paper), tmp_path)  # type: ignore[arg-type]
    expected = ["报修工单", "阳光花园物业服务中心", "王喆李堃", "张犇", "刘淼", "昊玥", "S7K3MQ"]
    assert [part for part in expected if part not in text] == []
    assert "2026-11-2310:00" in text


def test_pdf_embeds_its_font_subset() -> None:
    pdf = render_pdf(work_order())
    assert pdf.startswith(b"%PDF")
    assert b"/FontFile3" in pdf  # the CFF outlines travel inside the file
    assert b"NotoSansSC" in pdf
    assert len(pdf) < 200_000  # a subset, not the 16 MB font


def test_character_missing_from_the_font_is_refused_not_dropped() -> None:
    doc = PrintDocument(title="失物招领", blocks=[KeyValues([("失主", f"王{NOT_IN_FONT}")])])
    assert missing_glyphs(doc) == NOT_IN_FONT
    with pytest.raises(InvalidInput, match=r"U\+20000"):
        render_pdf(doc)


@needs_poppler
def test_character_missing_from_the_font_prints_as_a_marker_when_asked(tmp_path: Path) -> None:
    doc = PrintDocument(title="失物招领", blocks=[KeyValues([("失主", f"王{NOT_IN_FONT}")])])
    assert "王〓" in pdf_text(render_pdf(doc, errors="replace"), tmp_path)


@needs_zbar
@pytest.mark.parametrize("paper", ["a4", "receipt80"])
def test_qr_and_code128_scan_back_to_the_code(paper: str, tmp_path: Path) -> None:
    found = scanned_codes(render_pdf(work_order(), paper=paper), tmp_path)  # type: ignore[arg-type]
    assert "QR-Code:S7K3MQ" in found
    assert "CODE-128:S7K3MQ" in found


def test_qr_is_full_qr_not_micro_qr() -> None:
    from deskapp.services.printing.pdf import _qr_matrix

    matrix = _qr_matrix("S7K3MQ")
    assert len(matrix) >= 21  # Micro QR would be 15 modules for this code


def page_heights(pdf: bytes) -> list[float]:
    boxes = re.findall(rb"/MediaBox\s*\[\s*0\S*\s+0\S*\s+([\d.]+)\s+([\d.]+)\s*\]", pdf)
    return [float(height) * 25.4 / 72 for _width, height in boxes]


def page_count(pdf: bytes) -> int:
    match = re.search(rb"/Count (\d+)", pdf)
    assert match is not None
    return int(match.group(1))


def test_receipt_page_is_cut_to_the_length_of_its_content() -> None:
    short = page_heights(render_pdf(PrintDocument(title="取件凭条"), paper="receipt80"))
    long = page_heights(render_pdf(work_order("很长的描述。" * 100), paper="receipt80"))
    assert len(short) == 1 and len(long) == 1
    assert page_count(render_pdf(work_order("很长的描述。" * 100), paper="receipt80")) == 1
    assert 40 <= short[0] < 80
    assert short[0] < long[0] < 5000


def test_ten_thousand_character_value_wraps_onto_more_pages() -> None:
    value = ("厨房漏水" * 2500)[:10_000]
    a4 = render_pdf(work_order(value))
    assert page_count(a4) >= 3
    assert render_pdf(work_order(value), paper="receipt80").startswith(b"%PDF")


@needs_poppler
def test_long_value_keeps_every_character_in_the_pdf(tmp_path: Path) -> None:
    value = "".join(chr(0x4E00 + i) for i in range(600))  # 600 distinct characters
    text = pdf_text(render_pdf(work_order(value)), tmp_path)
    assert value in text


def test_empty_document_still_prints() -> None:
    empty = PrintDocument(title="")
    assert render_pdf(empty).startswith(b"%PDF")
    assert render_pdf(empty, paper="receipt80").startswith(b"%PDF")
    assert render_text(empty) == "=" * 32 + "\n"


def test_code_block_refuses_what_code128_cannot_hold() -> None:
    with pytest.raises(ValueError, match="ASCII"):
        CodeBlock("取件码")
    with pytest.raises(ValueError):
        CodeBlock("")
    assert CodeBlock("取件码", barcode=False).value == "取件码"


# -- the receipt text --------------------------------------------------------

mixed_text = st.text(
    alphabet=st.sampled_from([*"abcXYZ019 -_.,，。、（）：喆堃犇中文字符号", "\n"]),
    max_size=300,
)


@settings(max_examples=150, deadline=None)
@given(text=mixed_text, width=st.integers(min_value=2, max_value=60))
def test_wrap_fits_the_width_and_keeps_every_character(text: str, width: int) -> None:
    lines = wrap(text, width, lambda char: 2 if unicodedata.east_asian_width(char) in "WF" else 1)
    assert all(cells(line) <= width for line in lines)
    assert "".join("".join(lines).split()) == "".join(text.split())


@settings(max_examples=80, deadline=None)
@given(
    label=mixed_text, value=mixed_text, paragraph=mixed_text,
    cell=mixed_text, width=st.integers(min_value=16, max_value=64),
)
def test_receipt_lines_never_exceed_the_paper(
    label: str, value: str, paragraph: str, cell: str, width: int
) -> None:
    doc = PrintDocument(
        title=paragraph,
        subtitle=label,
        blocks=[
            KeyValues([(label, value), ("房号", "3-2-1201")]),
            Paragraph(paragraph),
            Table(["物品", cell], [[cell, value], ["钥匙"]]),
            CodeBlock("S7K3MQ", label=label),
            Signatures([label, "寄存人签字"]),
        ],
        printed_at="2026-11-23 10:00",
        printed_by=label,
    )
    text = render_text(doc, width=width)
    assert all(cells(line) <= width for line in text.splitlines())
    assert "".join(paragraph.split()) in "".join(text.split())  # wrapped, nothing lost


def test_receipt_aligns_values_after_the_labels() -> None:
    doc = PrintDocument(
        title="寄存凭条",
        blocks=[KeyValues([("房号", "3-2-1201"), ("寄存人", "王喆" + "很长的备注" * 5)])],
    )
    lines = render_text(doc, width=32).splitlines()
    start = lines.index("房号   3-2-1201")
    assert lines[start + 1] == "寄存人 王喆很长的备注很长的备注"
    continued = lines[start + 2 :]
    assert continued and all(line.startswith(" " * 7) and line[7] != " " for line in continued)
    assert all(cells(line) <= 32 for line in lines)


def test_receipt_prints_the_code_and_signature_lines() -> None:
    text = render_text(work_order(), width=32)
    assert "S7K3MQ" in text
    assert re.search(r"业主签字 _{8,}", text)
    assert "Printed 2026-11-23 10:00 by 前台 赵玥" in text.replace("\n", " ")


def test_gb18030_counts_symbols_as_two_cells() -> None:
    assert display_width("×·—") == 3
    assert display_width("×·—", "gb18030") == 6
    assert display_width("王喆ab", "gb18030") == 6
    assert display_width(NOT_IN_FONT, "gb18030") == 2  # a 4-byte character prints double-width


@settings(max_examples=60, deadline=None)
@given(value=st.text(alphabet=st.sampled_from(list("ab1 ×·—中文，")), max_size=200))
def test_gb18030_receipt_fits_the_printer_width(value: str) -> None:
    doc = PrintDocument(title="××", blocks=[KeyValues([("备注·说明", value)]), Paragraph(value)])
    text = render_text(doc, width=32, encoding="gb18030")
    assert all(display_width(line, "gb18030") <= 32 for line in text.splitlines())
    assert text.encode("gb18030")


def test_character_the_printer_encoding_cannot_carry_is_named() -> None:
    doc = PrintDocument(title="寄存凭条", blocks=[KeyValues([("寄存人", "王喆")])])
    with pytest.raises(InvalidInput, match=r"喆 \(U\+5586\)"):
        render_text(doc, encoding="gb2312")
    assert "王?" in render_text(doc, encoding="gb2312", errors="replace")
    assert "王喆" in render_text(doc, encoding="gb18030")


def test_ten_thousand_character_value_wraps_in_the_receipt() -> None:
    value = "a" * 5000 + "喆" * 5000
    text = render_text(work_order(value), width=32)
    assert all(cells(line) <= 32 for line in text.splitlines())
    assert "".join(text.split()).count("喆") == 5000 + 1


def test_printer_commands_in_a_value_do_not_reach_the_printer() -> None:
    text = render_text(PrintDocument(title="x", blocks=[Paragraph("a\x1b@b\x07c\td")]))
    assert "\x1b" not in text and "\x07" not in text
    assert "a@bc d" in text


def test_table_too_wide_for_the_roll_prints_one_record_per_row() -> None:
    headers = ["编号", "物品", "拾到地点", "拾到时间", "保管位置", "状态"]
    row = ["L1", "钥匙", "大堂", "10:00", "A柜", "待领"]
    doc = PrintDocument(title="失物招领", blocks=[Table(headers, [row])])
    lines = render_text(doc, width=16).splitlines()
    assert any(line.startswith("拾到") and "大堂" in line for line in lines)


# -- files -----------------------------------------------------------------


def test_save_print_writes_both_forms_with_a_safe_name(tmp_path: Path) -> None:
    folder = tmp_path / "prints" / "2026-11"
    pdf_path, text_path = save_print(work_order(), folder=folder, name="../工单/WO:7")
    assert pdf_path.parent == folder and text_path.parent == folder
    assert pdf_path.name == "_工单_WO_7.pdf"
    assert pdf_path.read_bytes().startswith(b"%PDF")
    assert "王喆" in text_path.read_text(encoding="utf-8")
    assert not list(folder.glob(".print-*"))


def test_save_print_writes_nothing_when_refused(tmp_path: Path) -> None:
    doc = PrintDocument(title=f"王{NOT_IN_FONT}")
    with pytest.raises(InvalidInput):
        save_print(doc, folder=tmp_path, name="x")
    assert list(tmp_path.iterdir()) == []


def test_safe_file_name_never_escapes_the_folder() -> None:
    assert "/" not in safe_file_name("a/b\\c")
    assert safe_file_name("..") == "print"
    assert safe_file_name("") == "print"
    assert len(safe_file_name("长" * 500)) <= 100
