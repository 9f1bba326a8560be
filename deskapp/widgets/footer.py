"""A footer that shows binding descriptions in the current language."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from deskapp.i18n import N_, _

# Textual's own description of the ctrl+p key, listed here so it gets a translation.
PALETTE_DESCRIPTION = N_("palette")


class DeskFooter(Footer):
    """Bindings are declared with ``N_`` (English msgids); translate them when shown."""

    def compose(self) -> ComposeResult:
        for widget in super().compose():
            if isinstance(widget, FooterKey) and widget.description:
                widget.description = _(widget.description)
            yield widget
