"""F1: every key of the current screen and the global ones."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Static

from deskapp.i18n import N_, _

#: Textual's own bindings that help lists (Screen: Tab, shift+Tab, ctrl+c), marked here
#: so that they are in both catalogs and shown in the operator's language.
TEXTUAL_DESCRIPTIONS = (N_("Focus Next"), N_("Focus Previous"), N_("Copy selected text"))

class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape", "dismiss", N_("Close")),
        Binding("f1", "dismiss", N_("Close"), show=False),
    ]

    def __init__(self, screen: Screen[object]) -> None:
        super().__init__()
        self._for_screen = screen

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-box"):
            yield Static(_("Keys"), id="help-title")
            yield DataTable(id="help-keys", cursor_type="row", show_cursor=False)
            yield Static(
                _("Letters never act while you type in a field. Esc closes this help."),
                id="help-note",
            )

    def on_mount(self) -> None:
        table = self.query_one("#help-keys", DataTable)
        table.add_columns(_("Key"), _("Does"))
        seen: set[str] = set()
        for binding in self._all_bindings():
            if not binding.description or binding.key in seen or not self._may(binding):
                continue
            seen.add(binding.key)
            table.add_row(self.app.get_key_display(binding), _(binding.description))
        table.focus()

    def _may(self, binding: Binding) -> bool:
        """A task key this operator may not use (a guard's F2…) is not offered."""
        from textual.actions import parse

        _namespace, action, arguments = parse(binding.action)
        may_open = getattr(self.app, "may_open", None)
        if action == "go" and arguments and may_open is not None:
            return bool(may_open(str(arguments[0])))
        return True

    def _all_bindings(self) -> list[Binding]:
        collected: list[Binding] = []
        for node in (self._for_screen, self.app):
            for bindings in node._bindings.key_to_bindings.values():
                collected.extend(bindings)
        return collected
