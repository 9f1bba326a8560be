"""The storage list at 80×24, the smallest terminal the desk supports: the ticket code,
the date and the unit stay whole; the description is the column that gives way."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskapp import i18n
from deskapp.app import DeskApp
from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.services.custody import storage
from deskapp.services.custody.storage import StorageForm
from tests.screens.custody.test_storage_screen import open_storage

#: A depositor's name far wider than its column (a name may have 64 characters).
LONG_NAME = "欧阳·亚历山大·汉密尔顿-斯迈思 Alexander Hamilton-Smythe"


def _deposit_with_a_long_description(desk: Desk) -> str:
    """An item deposited three days ago (its date shown in full), with a long name and
    a long description."""
    with transaction(desk.engine) as session:
        clerk = operators.get_operator(session, acting=Acting(desk.site_id), login="wang")
        item = storage.deposit(
            session, acting=Acting(desk.site_id, clerk),
            form=StorageForm(depositor_name=LONG_NAME, shelf="B-1", phone="13812345678",
                             unit="1-1-101", depositor_confirmed=True,
                             description="行李箱一个（黑色，拉杆坏了），另有纸箱两个和一袋衣服"),
            now=desk.clock.now() - timedelta(days=3, minutes=45),
        )
        return item.code or ""


@pytest.mark.parametrize("language", ["en", "zh_CN"])
async def test_at_80_by_24_the_list_keeps_code_date_and_unit_whole(
    staffed: Desk, language: str
) -> None:
    code = _deposit_with_a_long_description(staffed)
    i18n.set_language(language)
    try:
        app = DeskApp(staffed)
        async with app.run_test(size=(80, 24)) as pilot:
            await open_storage(pilot)
            lines = [strip.text for strip in app.screen._compositor.render_strips()]
            line = next((line for line in lines if code in line), None)
            assert line is not None, "\n".join(lines)
            assert "2026-11-20 09:15" in line  # the whole date and time it was deposited
            assert "1-1-101" in line
    finally:
        i18n.set_language("en")
