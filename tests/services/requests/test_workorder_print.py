"""The printed work order: every field present, Chinese in the PDF, a receipt text beside it."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from deskapp import i18n
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import NotFound
from deskapp.models import Operator
from deskapp.services import directory, operators
from deskapp.services.acting import Acting
from deskapp.services.printing import CodeBlock, KeyValues, render_pdf, render_text
from deskapp.services.requests import lifecycle, workorders
from deskapp.services.requests.views import RequestCard, request_card
from deskapp.services.requests.workorder_print import save_work_order, work_order_document

ZONE = ZoneInfo("Asia/Shanghai")


def _setup(desk: Desk) -> tuple[Operator, int]:
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        actor = operators.add_operator(
            session, acting=Acting(desk.site_id), login="wang", display_name="王芳",
            role="operator",
            secret="1234", now=now)
        directory.add_unit(session, acting=Acting(desk.site_id), code="3-2-1201", now=now)
        request = lifecycle.create_request(
            session, acting=Acting(desk.site_id, actor), settings=desk.settings, now=now,
            kind="repair", summary="厨房水龙头漏水，关不紧", subject="水龙头漏水",
            unit_code="3-2-1201", contact_name="张伟", contact_phone="15011112222",
            location="厨房")
        assert request.id is not None
        session.expunge(actor)
        return actor, request.id


def _card(desk: Desk, request_id: int) -> RequestCard:
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request_id,
                            now=desk.clock.now())
        for order in card.work_orders:
            session.expunge(order)
        session.expunge(card.request)
        return card


def _open(desk: Desk, actor: Operator, request_id: int, *, paid: bool = False) -> None:
    with transaction(desk.engine) as session:
        workorders.open_work_order(
            session, acting=Acting(desk.site_id, actor), request_id=request_id,
            settings=desk.settings,
            now=desk.clock.now(), task="更换水龙头阀芯", location="in_home",
            appointment_at=desk.clock.now() + timedelta(hours=2), technician="刘师傅",
            paid=paid, material_cost_fen=3550 if paid else 0)


def test_the_document_carries_every_field_in_chinese(desk: Desk) -> None:
    actor, request_id = _setup(desk)
    _open(desk, actor, request_id, paid=True)
    i18n.set_language("zh_CN")
    doc = work_order_document(_card(desk, request_id), site_name="阳光花园",
                              zone=ZONE, printed_at=desk.clock.now(), printed_by="王芳")
    texts = "\n".join(doc.texts())
    assert doc.title == "维修单"
    for expected in ("阳光花园", "3-2-1201", "张伟 15011112222", "更换水龙头阀芯", "刘师傅",
                     "2026-11-23 12:00", "入户", "35.50", "厨房水龙头漏水", "厨房",
                     "2026-11-23 10:00"):
        assert expected in texts, expected
    codes = [block for block in doc.blocks if isinstance(block, CodeBlock)]
    assert codes and codes[0].value.startswith("261123-")
    assert any(isinstance(block, KeyValues) for block in doc.blocks)


def test_completion_and_rating_are_printed_once_recorded(desk: Desk) -> None:
    actor, request_id = _setup(desk)
    _open(desk, actor, request_id)
    order_id = _card(desk, request_id).work_orders[0].id
    assert order_id is not None
    with transaction(desk.engine) as session:
        common = {"acting": Acting(desk.site_id, actor), "work_order_id": order_id}
        workorders.start_work(session, now=desk.clock.now(), **common)  # type: ignore[arg-type]
        workorders.complete_work(session, now=desk.clock.now(), result="换了阀芯，不再漏水",
                                 **common)  # type: ignore[arg-type]
        workorders.confirm_work(session, now=desk.clock.now(), rating=4,
                                **common)  # type: ignore[arg-type]
    doc = work_order_document(_card(desk, request_id), site_name="Sunny Garden", zone=ZONE)
    rows = dict(row for block in doc.blocks if isinstance(block, KeyValues) for row in block.rows)
    assert rows["Result"] == "换了阀芯，不再漏水"
    assert rows["Rating (1-5)"] == "4"
    assert rows["Confirmed by"] == "张伟"
    assert rows["Charge"] == "free"
    assert "Resident signature" in doc.texts()


def test_pdf_and_receipt_text_are_written(desk: Desk, tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    actor, request_id = _setup(desk)
    _open(desk, actor, request_id)
    card = _card(desk, request_id)
    i18n.set_language("zh_CN")
    doc = work_order_document(card, site_name="阳光花园", zone=ZONE)
    pdf = render_pdf(doc)
    assert pdf.startswith(b"%PDF") and b"/FontFile" in pdf  # the Chinese font is embedded
    text = render_text(doc, width=42)
    assert "维修单" in text and "刘师傅" in text
    pdf_path, text_path = save_work_order(doc, folder=tmp_path / "prints",
                                          number=card.request.number,
                                          order_id=card.work_orders[0].id)
    assert pdf_path.exists() and text_path.read_text(encoding="utf-8") == text


def test_a_request_without_a_work_order_has_nothing_to_print(desk: Desk) -> None:
    _actor, request_id = _setup(desk)
    with pytest.raises(NotFound) as refused:
        work_order_document(_card(desk, request_id), site_name="x", zone=ZONE)
    assert refused.value.field == "work_order"
