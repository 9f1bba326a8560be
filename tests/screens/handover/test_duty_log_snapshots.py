"""Snapshots of the duty log (F10) in English and Chinese at 120x40: the shift running
now with three entries (one anomaly about a unit and a request, one of two lines, one
too long for its row, shown whole under the list)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from deskapp import i18n
from deskapp.app import DeskApp
from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.services.handover import dutylog
from deskapp.services.requests import lifecycle
from tests.screens.helpers import settle, sign_in

ENTRIES = (
    ("li", 95, False, "", "", "接班，交接本已签，钥匙柜清点无误"),
    ("li", 70, True, "3-2-1201", "{request}",
     "3-2-1201 卫生间漏水到楼下，已报修，维修师傅预计 11:00 到场"),
    ("wang", 20, False, "1-1-101", "",
     "住户王芳来电询问快递\n已告知在前台代收，凭手机号后四位领取"),
)


def write_log(desk: Desk) -> None:
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        wang = operators.get_operator(session, acting=Acting(desk.site_id), login="wang")
        request = lifecycle.create_request(
            session, acting=Acting(desk.site_id, wang), now=now - timedelta(minutes=75),
            settings=desk.settings, unit_code="3-2-1201", kind="repair", channel="phone",
            summary="卫生间漏水",
        )
    for login, minutes_ago, anomaly, unit, record, text in ENTRIES:
        with transaction(desk.engine) as session:
            actor = operators.get_operator(session, acting=Acting(desk.site_id), login=login)
            dutylog.write_entry(
                session, acting=Acting(desk.site_id, actor),
                now=now - timedelta(minutes=minutes_ago), settings=desk.settings, text=text,
                anomaly=anomaly, unit=unit, record=record.format(request=request.number),
            )


async def _on_the_log(pilot: Any) -> None:
    await sign_in(pilot, at="duty_log")
    await settle(pilot)
    pilot.app.clear_notifications()
    await settle(pilot)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_duty_log(snap_compare: Any, snapshot_desk: Desk, language: str) -> None:
    write_log(snapshot_desk)
    i18n.set_language(language)
    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(120, 40), run_before=_on_the_log)
