"""Command palette (ctrl+p): units and residents, screens, and desk actions."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

from deskapp.db import reading
from deskapp.i18n import _
from deskapp.services import directory

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
        app = self.desk_app
        if app.operator is None or not query.strip():
            return
        with reading(app.desk.engine) as session:
            hits = directory.lookup(session, site_id=app.desk.site_id, query=query, limit=10)
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
            (_("Ledgers"), "ledgers"),
            (_("Directory"), "directory"),
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
