"""A footer that shows binding descriptions in the current language.

Textual's footer rebuilds all its keys whenever the screen's bindings may have changed:
on every focus change, and whenever anything calls ``refresh_bindings``. Moving
between fields by keys did that on nearly every key, about a tenth of the time of a
key press. This footer rebuilds only when what it shows would differ: the keys,
their translated descriptions, which are enabled, and the language.
"""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from deskapp import i18n
from deskapp.i18n import N_, _

# Textual's own description of the ctrl+p key, listed here so it gets a translation.
PALETTE_DESCRIPTION = N_("palette")


class DeskFooter(Footer):
    """Bindings are declared with ``N_`` (English msgids); translate them when shown."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        self._shown = self._what_would_show()
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = _(widget.description)
            yield widget

    def _what_would_show(self) -> tuple[object, ...] | None:
        """Everything ``compose`` draws from, in one comparable value."""
        if not self._bindings_ready or not self.is_attached:
            return None
        app = self.app
        return (
            i18n.current_language(),
            self.show_command_palette and app.ENABLE_COMMAND_PALETTE,
            tuple(
                (key, binding.key, app.get_key_display(binding), binding.description,
                 binding.action, binding.show, binding.group, enabled, tooltip)
                for key, (_node, binding, enabled, tooltip)
                in self.screen.active_bindings.items()
            ),
        )

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if self.is_attached and self._what_would_show() != self._shown:
            await self.recompose()
