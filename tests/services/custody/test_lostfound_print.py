"""Printable lists of the lost-and-found desk: the public notice names nobody; the
hand-over and disposal lists carry their items and lines to sign on; empty lists say so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from deskapp.services.custody import lostfound_print
from deskapp.services.custody.lists import ItemRow
from deskapp.services.custody.lostfound import Notice
from deskapp.services.printing import Paragraph, Signatures, Table, render_text

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
ZONE = ZoneInfo("Asia/Shanghai")


def _row(code: str, description: str, *, valuable: bool = False) -> ItemRow:
    return ItemRow(id=1, code=code, ledger="lost", status="held", description=description,
                   pieces=1, place="L-1", unit_code="", owner_name="王某",
                   owner_phone="138****5678", received_at=NOW - timedelta(days=2),
                   received_from="刘阿姨", age=timedelta(days=2), overdue=False,
                   valuable=valuable, found_where="3号楼大堂")


def test_the_weekly_notice_lists_items_but_no_people() -> None:
    notice = Notice(rows=[_row("L-5DD7-D", "黑色钱包")], posted_at=NOW,
                    posted_until=NOW + timedelta(days=7))
    doc = lostfound_print.notice_document(notice, zone=ZONE, site_name="阳光花园",
                                          printed_by="王芳")
    text = render_text(doc, width=80)
    assert "黑色钱包" in text and "2026-11-21" in text and "2026-11-30" in text
    assert "刘阿姨" not in text and "王某" not in text and "138" not in text


def test_the_hand_over_list_has_the_finder_the_valuables_and_signatures() -> None:
    doc = lostfound_print.handover_document(
        [_row("L-1", "手机", valuable=True), _row("L-2", "雨伞")], now=NOW, zone=ZONE,
        site_name="阳光花园", printed_by="王芳")
    [table] = [block for block in doc.blocks if isinstance(block, Table)]
    assert [row[0] for row in table.rows] == ["L-1", "L-2"]
    assert table.rows[0][5] == "刘阿姨" and table.rows[0][6] == "yes" and table.rows[1][6] == ""
    assert any(isinstance(block, Signatures) for block in doc.blocks)
    assert doc.printed_at == "2026-11-23 10:00"


def test_an_empty_disposal_list_says_so_instead_of_an_empty_table() -> None:
    doc = lostfound_print.disposal_document([], now=NOW, zone=ZONE, site_name="阳光花园",
                                            printed_by="王芳", months=3)
    assert not any(isinstance(block, Table) for block in doc.blocks)
    assert any(isinstance(block, Paragraph) and "No items" in block.text
               for block in doc.blocks)
    assert lostfound_print.file_name("disposal", NOW, ZONE) == "lost-disposal-2026-11-23-1000"
