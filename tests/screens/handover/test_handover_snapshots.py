"""Snapshots of the handover (F7) in English and Chinese at 120x40: an urgent item with
its contingency, a watch item still missing one (said at the top), routine items of two
ledgers, the incoming operator named, two public items counted and one short."""

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
from deskapp.services.custody import storage
from deskapp.services.handover import dutylog, handovers
from tests.screens.handover.test_handover_screen import requests_due
from tests.screens.helpers import settle, sign_in


def handover_under_way(desk: Desk) -> None:
    requests_due(desk, urgent=1, watch=1, routine=2)
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        wang = operators.get_operator(session, acting=Acting(desk.site_id), login="wang")
        storage.deposit(session, acting=Acting(desk.site_id, wang), now=now - timedelta(days=1),
                        form=storage.StorageForm(
                            depositor_name="张伟", description="行李箱一个（黑色）", shelf="A-3",
                            phone="15011112222", unit="3-2-1201", depositor_confirmed=True))
        dutylog.write_entry(session, acting=Acting(desk.site_id, wang),
                            now=now - timedelta(minutes=40), settings=desk.settings,
                            text="地下车库B2积水，已报工程部", anomaly=True)
        handover = handovers.start(session, acting=Acting(desk.site_id, wang), now=now,
                                   settings=desk.settings)
        handover_id = handover.id or 0
        urgent = handovers.items_of(session, handover_id)[0]
        handovers.settle_item(session, acting=Acting(desk.site_id, wang), handover_id=handover_id,
                              item_id=urgent.id or 0, now=now, level="urgent",
                              next_action="催工程部上门", next_at=urgent.next_at,
                              contingency="若业主再来电，先报主管")
        handovers.name_incoming(session, acting=Acting(desk.site_id, wang), handover_id=handover_id,
                                login="li", now=now)
        for public, counted in zip(handovers.counts_of(session, handover_id)[:2], (1, 3),
                                   strict=True):
            handovers.count(session, acting=Acting(desk.site_id), handover_id=handover_id,
                            count_id=public.id or 0, counted=counted, now=now)


async def _on_the_handover(pilot: Any) -> None:
    await sign_in(pilot, at="handover")
    await settle(pilot)
    pilot.app.clear_notifications()
    await settle(pilot)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_handover_under_way(snap_compare: Any, snapshot_desk: Desk, language: str) -> None:
    handover_under_way(snapshot_desk)
    i18n.set_language(language)
    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(120, 40),
                        run_before=_on_the_handover)
