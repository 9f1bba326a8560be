"""Snapshots of the sign-in screen and the dashboard, in English and Chinese.

Deliberately few: behaviour is asserted in the other tests; these catch
layout breaking (CJK width, tiles, footer). `make snapshots` refreshes them.
"""

from __future__ import annotations

from typing import Any

import pytest

from deskapp import i18n
from deskapp.app import DeskApp
from deskapp.desk import Desk
from tests.screens.helpers import settle, sign_in


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_sign_in_screen(snap_compare: Any, snapshot_desk: Desk, language: str) -> None:
    i18n.set_language(language)
    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(100, 30))


@pytest.mark.parametrize("language", ["en", "zh_CN"])
def test_dashboard(snap_compare: Any, snapshot_desk: Desk, language: str) -> None:
    i18n.set_language(language)

    async def signed_in(pilot: Any) -> None:
        await sign_in(pilot)
        app = pilot.app
        app.clear_notifications()
        await settle(pilot)

    assert snap_compare(DeskApp(snapshot_desk), terminal_size=(120, 40), run_before=signed_in)
