"""What every task screen shares: the duty bar, the translated footer, and a
recompose when the language changed while the screen was out of sight."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.app import ComposeResult
from textual.screen import Screen

from deskapp import i18n
from deskapp.widgets.duty_bar import DutyBar
from deskapp.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from deskapp.app import DeskApp


class DeskScreen(Screen[None]):
    """A task screen. Subclasses give ``TITLE_TEXT`` (an ``N_`` msgid) and ``compose_body``."""

    TITLE_TEXT = ""

    def __init__(self) -> None:
        super().__init__()
        self._composed_language = i18n.current_language()

    @property
    def desk_app(self) -> DeskApp:
        from deskapp.app import DeskApp

        assert isinstance(self.app, DeskApp)
        return self.app

    def compose(self) -> ComposeResult:
        self._composed_language = i18n.current_language()
        yield DutyBar(i18n._(self.TITLE_TEXT))
        yield from self.compose_body()
        yield DeskFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    async def on_screen_resume(self) -> None:
        if self._composed_language != i18n.current_language():
            await self.recompose()
        self.refresh_view()

    def refresh_view(self) -> None:
        """Bring what the screen shows up to date (on return, after a language switch)."""

    def refresh_duty(self) -> None:
        for bar in self.query(DutyBar):
            bar.refresh_duty()
