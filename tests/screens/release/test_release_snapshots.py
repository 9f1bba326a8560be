"""Snapshots in English and Chinese at 120x40: the slip form filled in (a large item, a
vehicle, a carrier's ID), and the gate screen with a scanned slip, one line ticked."""

from __future__ import annotations

from typing import Any

import pytest

from deskapp import i18n
from deskapp.app import DeskApp
from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.services.release import slips
from tests.screens.helpers import burst, settle, sign_in
from tests.screens.release.test_gate_screen import issued_slip, with_guard
from tests.screens.release.test_slips_screen import slip_form_keys


async def _form_filled_in(pilot: Any) -> None:
    await sign_in(pilot, at="release")
    await burst(pilot, "ctrl+n", *slip_form_keys())
    pilot.app.clear_notifications()
    await settle(pilot)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_slip_form_filled_in(snap_compare: Any, snapshot_desk: Desk, language: str) -> None:
    i18n.set_language(language)
    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(120, 40),
                        run_before=_form_filled_in)


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_gate_with_a_slip_one_line_ticked(snap_compare: Any, snapshot_desk: Desk,
                                          language: str) -> None:
    guard = with_guard(snapshot_desk)
    slip = issued_slip(snapshot_desk, lines=(slips.LineForm("三人沙发"), slips.LineForm("纸箱", 3),
                                             slips.LineForm("冰箱")))
    with transaction(snapshot_desk.engine) as session:
        view = slips.at_gate(session, acting=Acting(snapshot_desk.site_id), text=slip.code or "",
                             now=snapshot_desk.clock.now(), settings=snapshot_desk.settings)
        slips.tick(session, acting=Acting(snapshot_desk.site_id), slip_id=view.slip_id,
                   line_id=view.lines[0].id, now=snapshot_desk.clock.now(),
                   guard=operators.get_operator(session, acting=Acting(snapshot_desk.site_id),
                                                login=guard.login),
                   settings=snapshot_desk.settings)
    i18n.set_language(language)

    async def scanned(pilot: Any) -> None:
        await sign_in(pilot, "sun")
        await burst(pilot, *(slip.code or ""), "enter")
        await settle(pilot)
        pilot.app.clear_notifications()
        await settle(pilot)

    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(120, 40), run_before=scanned)
