"""Snapshots of the three ledger desks, in English and Chinese at 120x40: the found
items (one flagged for admin), the keys (one overdue loan), the parcels (one overdue)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from deskapp import i18n
from deskapp.app import DeskApp
from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.services.acting import Acting
from deskapp.services.custody import keys
from deskapp.services.custody.keys import Borrower
from tests.screens.custody.test_ledgers_keys import add_key
from tests.screens.custody.test_ledgers_lost import register
from tests.screens.custody.test_ledgers_parcels import log
from tests.screens.helpers import settle, sign_in


def _desk_after(presses: tuple[str, ...]) -> Any:
    async def run(pilot: Any) -> None:
        await sign_in(pilot)
        await pilot.press("f8", *presses)
        await settle(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    return run


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_lost_and_found(snap_compare: Any, snapshot_desk: Desk, language: str) -> None:
    register(snapshot_desk, "手机", days_ago=1, valuable=True)
    register(snapshot_desk, "黑色钱包")
    register(snapshot_desk, "儿童自行车", days_ago=3)
    i18n.set_language(language)
    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(120, 40),
                        run_before=_desk_after(()))


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_keys(snap_compare: Any, snapshot_desk: Desk, language: str) -> None:
    late = add_key(snapshot_desk)
    add_key(snapshot_desk, "3-2-1201", "车库")
    now = snapshot_desk.clock.now()
    with transaction(snapshot_desk.engine) as session:
        keys.lend_key(session, acting=Acting(snapshot_desk.site_id), key_id=late.id or 0,
                      borrower=Borrower(name="刘师傅", kind="contractor", phone="13800001111",
                                        signed=True),
                      purpose="修水管", due_at=now - timedelta(hours=1),
                      now=now - timedelta(hours=3), settings=snapshot_desk.settings)
    i18n.set_language(language)
    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(120, 40),
                        run_before=_desk_after(("ctrl+t",)))


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_parcels(snap_compare: Any, snapshot_desk: Desk, language: str) -> None:
    log(snapshot_desk, "SF3000000001", days_ago=4)
    log(snapshot_desk, "YT9876543210", unit="1-1-102", name="李明")
    i18n.set_language(language)
    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(120, 40),
                        run_before=_desk_after(("ctrl+t", "ctrl+t")))
