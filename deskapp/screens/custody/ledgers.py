"""The other ledgers (F8): lost and found (物品拾遗), keys (钥匙), parcels (快件代收),
one tab each; ctrl+t moves to the next desk.

A code scanned on any screen lands here through ``open_record``: the tab of
its ledger comes up with the record chosen and the form of its next step open
(claim, return, pickup), also when this screen was never shown before.
"""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import TabbedContent, TabPane

from deskapp.i18n import N_, _
from deskapp.screens.base import DeskScreen
from deskapp.screens.custody.keys import KeysDesk
from deskapp.screens.custody.ledger_forms import LedgerDesk
from deskapp.screens.custody.lostfound import LostDesk
from deskapp.screens.custody.parcels import ParcelsDesk

LOST, KEYS, PARCELS = "lost", "keys", "parcels"
TABS = (LOST, KEYS, PARCELS)
# find_by_code's ledger names → the tab that shows them.
LEDGER_TABS = {"lost": LOST, "key": KEYS, "keys": KEYS, "parcel": PARCELS, "parcels": PARCELS}


class LedgersScreen(DeskScreen):
    TITLE_TEXT = N_("Ledgers")
    BINDINGS = [Binding("ctrl+t", "next_desk", N_("Next desk"))]
    DEFAULT_CSS = """
    LedgersScreen TabbedContent { height: 1fr; }
    LedgersScreen TabPane { padding: 0; height: 1fr; }
    """

    def __init__(self) -> None:
        super().__init__()
        self.tab = LOST
        # Per desk: the view chosen and the record under the cursor (kept across recompose).
        self.desk_state: dict[str, dict[str, Any]] = {tab: {} for tab in TABS}
        self._pending: tuple[str, int] | None = None

    def compose_body(self) -> ComposeResult:
        with TabbedContent(initial=f"tab-{self.tab}", id="ledger-tabs"):
            with TabPane(_("Lost and found"), id=f"tab-{LOST}"):
                yield LostDesk(self.desk_state[LOST], id="desk-lost")
            with TabPane(_("Unit keys"), id=f"tab-{KEYS}"):
                yield KeysDesk(self.desk_state[KEYS], id="desk-keys")
            with TabPane(_("Parcels"), id=f"tab-{PARCELS}"):
                yield ParcelsDesk(self.desk_state[PARCELS], id="desk-parcels")

    def desk_of(self, tab: str) -> LedgerDesk:
        return self.query_one(f"#desk-{tab}", LedgerDesk)

    @property
    def _composed(self) -> bool:
        return bool(self.query("#ledger-tabs"))

    def refresh_view(self) -> None:
        if not self._composed:
            return
        for tab in TABS:
            self.desk_of(tab).refresh_list()
        if self._pending is not None:
            self.call_after_refresh(self._apply_pending)
        else:
            self.desk_of(self.tab).table.focus()

    @on(TabbedContent.TabActivated)
    def _tab_changed(self, event: TabbedContent.TabActivated) -> None:
        pane_id = event.pane.id or ""
        self.tab = pane_id.removeprefix("tab-") or LOST
        self.desk_of(self.tab).table.focus()
        self.refresh_bindings()

    def show_tab(self, tab: str) -> None:
        self.tab = tab
        self.query_one(TabbedContent).active = f"tab-{tab}"
        self.desk_of(tab).table.focus()

    def action_next_desk(self) -> None:
        self.show_tab(TABS[(TABS.index(self.tab) + 1) % len(TABS)])

    def open_record(self, ledger: str, record_id: int) -> None:
        """Show a record of ``ledger`` ("lost", "parcel" or "key") ready for its next step.

        Called when a code is scanned on any screen; before this screen is
        composed the record waits until it is.
        """
        tab = LEDGER_TABS.get(ledger)
        if tab is None:
            self.app.notify(_("{ledger} records are not kept here.").format(ledger=ledger),
                            severity="error")
            return
        self._pending = (tab, record_id)
        self.tab = tab
        if self.is_mounted and self._composed and self.app.screen is self:
            self._apply_pending()

    def _apply_pending(self) -> None:
        if self._pending is None or not self._composed:
            return
        tab, record_id = self._pending
        self._pending = None
        self.show_tab(tab)
        self.desk_of(tab).open_record(record_id)
