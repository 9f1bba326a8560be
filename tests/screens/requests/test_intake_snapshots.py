"""Snapshots of the intake form filled in, with the unit panel (people, an open
request, a standing instruction), in English and Chinese at 120x40."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlmodel import select

from deskapp import i18n
from deskapp.app import DeskApp
from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.models import Operator
from deskapp.services import directory, instructions
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle
from tests.screens.helpers import settle, sign_in


def _history(desk: Desk) -> None:
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        operator = session.exec(select(Operator).where(Operator.login == "li")).one()
        unit = directory.get_unit(session, acting=Acting(desk.site_id), code="3-2-1201")
        assert unit.id is not None
        lifecycle.create_request(
            session, acting=Acting(desk.site_id, operator), settings=desk.settings, now=now,
            kind="repair", summary="卫生间漏水", subject="卫生间漏水", unit_id=unit.id,
        )
        instructions.add_instruction(
            session, acting=Acting(desk.site_id, operator), unit_id=unit.id, kind="permit_entry",
            expires_on=date(2026, 12, 31), text="钥匙在门岗", now=now,
            settings=desk.settings,
        )


async def _filled_in(pilot: Any) -> None:
    await sign_in(pilot)
    await pilot.press("f3")
    await settle(pilot)
    await pilot.press(*"3-2-12", "enter")
    await pilot.app.workers.wait_for_complete()
    await settle(pilot)
    await pilot.press("1", "1")  # 张伟 calls; a complaint
    await settle(pilot)
    summary = pilot.app.screen.query_one("#summary")
    summary.text = "电梯又停在8楼，困住两分钟。\n上周已经报过一次。"
    await pilot.press("tab", *"lift stops")
    await settle(pilot)
    pilot.app.clear_notifications()
    await pilot.app.workers.wait_for_complete()
    await settle(pilot)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_intake_filled_in(snap_compare: Any, snapshot_desk: Desk, language: str) -> None:
    _history(snapshot_desk)
    i18n.set_language(language)
    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(120, 40), run_before=_filled_in)
