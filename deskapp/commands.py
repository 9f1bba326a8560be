"""Command palette (ctrl+p): units and residents, screens, and desk actions."""

from __future__ import annotations

import re
from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from deskapp.db import reading
from deskapp.errors import DeskError
from deskapp.i18n import _
from deskapp.services import codes
from deskapp.services.acting import Acting

# The ledgers' services are imported by the search that needs them, when the palette
# first asks: the sign-in screen comes up without them (tests/screens/test_start_up_imports.py).

# A request number as read out: the day (YYMMDD), perhaps the dash and the sequence.
REQUEST_NUMBER = re.compile(r"^\d{6}(-\d{0,4})?$")

if TYPE_CHECKING:
    from deskapp.app import DeskApp


class DirectoryProvider(Provider):
    """Finds units and residents by room, name or the last digits of a phone."""

    @property
    def desk_app(self) -> DeskApp:
        from deskapp.app import DeskApp

        assert isinstance(self.app, DeskApp)
        return self.app

    async def search(self, query: str) -> Hits:
        from deskapp.services import directory
        from deskapp.services.acting import Acting

        app = self.desk_app
        if app.operator is None or not query.strip():
            return
        with reading(app.desk.engine) as session:
            hits = directory.lookup(session, acting=Acting(app.desk.site_id), query=query, limit=10)
        for rank, hit in enumerate(hits):
            label = hit.unit_code
            if hit.name:
                label += f"  {hit.name} ({directory.relation_label(hit.relation)})"
                if hit.masked_phone:
                    label += f"  {hit.masked_phone}"
            yield Hit(
                1.0 - rank / 100,
                label,
                partial(app.open_unit, hit.unit_id, hit.unit_code),
                text=label,
                help=_("Open the unit in the directory"),
            )


class RecordsProvider(Provider):
    """Records by what a person reads out: a request number or a ticket/parcel/key code."""

    @property
    def desk_app(self) -> DeskApp:
        from deskapp.app import DeskApp

        assert isinstance(self.app, DeskApp)
        return self.app

    async def search(self, query: str) -> Hits:
        app = self.desk_app
        text = query.strip()
        if app.operator is None or len(text) < 4:
            return
        if codes.looks_like_code(text):
            from deskapp.services.custody import core, lists
            from deskapp.services.release import slips

            try:
                code = codes.check_code(text)
                with reading(app.desk.engine) as session:
                    if code.prefix == codes.CodePrefix.RELEASE.value:
                        slips.get_by_code(session, acting=Acting(app.desk.site_id), text=code.text)
                        kind = _("Release slip")
                    else:
                        ledger, _record = lists.find_by_code(
                            session, acting=Acting(app.desk.site_id), text=code.text
                        )
                        kind = core.ledger_label(ledger)
            except DeskError:
                return
            label = f"{code.text}  {kind}"
            yield Hit(1.0, label, partial(app.open_scanned, code.text), text=label,
                      help=_("Open the record"))
            return
        if not REQUEST_NUMBER.match(text):
            return
        from deskapp.services.requests import views

        with reading(app.desk.engine) as session:
            rows = views.search_requests(
                session, acting=Acting(app.desk.site_id), query=text, now=app.desk.clock.now(),
                limit=5,
            )
        for rank, row in enumerate(row for row in rows if row.number.startswith(text)):
            label = f"{row.number}  {row.unit_code or ''}  {row.subject}"
            yield Hit(1.0 - rank / 100, label, partial(app.open_request, row.id), text=label,
                      help=_("Open the request"))


class ScreensProvider(Provider):
    """The desk's screens and actions, by name in the current language."""

    @property
    def desk_app(self) -> DeskApp:
        from deskapp.app import DeskApp

        assert isinstance(self.app, DeskApp)
        return self.app

    def _commands(self) -> list[tuple[str, str]]:
        app = self.desk_app
        screens = [
            (_("Dashboard"), "dashboard"),
            (_("Intake"), "intake"),
            (_("Queue"), "queue"),
            (_("Storage"), "storage"),
            (_("Release slips"), "release"),
            (_("Handover"), "handover"),
            (_("Ledgers"), "ledgers"),
            (_("Directory"), "directory"),
            (_("Duty log"), "duty_log"),
            (_("Reports"), "reports"),
        ]
        return [
            *((title, f"app.go('{name}')") for title, name in screens if app.has_screen(name)),
            (_("Switch operator"), "app.switch_operator"),
            (_("中文/English"), "app.toggle_language"),
            (_("Help"), "app.help"),
            (_("Quit"), "app.quit"),
        ]

    async def discover(self) -> Hits:
        for title, action in self._commands():
            yield DiscoveryHit(title, partial(self.app.run_action, action), text=title)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, action in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self.app.run_action, action),
                          text=title)
