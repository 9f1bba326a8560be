"""DeskApp: the screens of the desk, the one keymap, the palette and the operator on duty."""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.reactive import reactive
from textual.screen import Screen

from deskapp import i18n
from deskapp.commands import DirectoryProvider, RecordsProvider, ScreensProvider
from deskapp.db import reading
from deskapp.desk import Desk
from deskapp.errors import DeskError
from deskapp.formatting import desk_zone
from deskapp.i18n import N_, _
from deskapp.models import Operator, Site
from deskapp.screens.base import DeskScreen
from deskapp.screens.directory import DirectoryScreen
from deskapp.screens.help import HelpScreen
from deskapp.screens.login import LoginScreen
from deskapp.services import codes
from deskapp.widgets.scanner import install_scanner

# Codes begin with their ledger's capital letter (codes.CodePrefix); other keys never wait.
SCAN_PREFIXES = frozenset(prefix.value for prefix in codes.CodePrefix)


class DeskApp(App[None]):
    """The front desk. One key per task screen, the same on every screen."""

    CSS_PATH = Path(__file__).parent / "desk.tcss"
    TITLE = "deskapp"
    COMMANDS: ClassVar = {DirectoryProvider, RecordsProvider, ScreensProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", N_("Help")),
        Binding("f2", "go('dashboard')", N_("Dashboard")),
        Binding("f3", "go('intake')", N_("Intake")),
        Binding("f4", "go('queue')", N_("Queue")),
        Binding("f5", "go('storage')", N_("Storage")),
        Binding("f8", "go('ledgers')", N_("Ledgers")),
        Binding("f9", "go('directory')", N_("Directory")),
        Binding("ctrl+l", "switch_operator", N_("Switch operator")),
        Binding("f12", "toggle_language", N_("中文/English")),
        Binding("ctrl+q", "quit", N_("Quit")),
    ]
    # Task screens by name: "module:Class", imported when first opened (start-up stays fast).
    SCREEN_FACTORIES: ClassVar[dict[str, str]] = {
        "dashboard": "deskapp.screens.dashboard:DashboardScreen",
        "intake": "deskapp.screens.requests.intake:IntakeScreen",
        "queue": "deskapp.screens.requests.queue:QueueScreen",
        "storage": "deskapp.screens.custody.storage:StorageScreen",
        "ledgers": "deskapp.screens.custody.ledgers:LedgersScreen",
        "directory": "deskapp.screens.directory:DirectoryScreen",
    }

    operator: reactive[Operator | None] = reactive(None)

    def __init__(self, desk: Desk) -> None:
        super().__init__()
        self.desk = desk
        self.zone = desk_zone(desk.settings.timezone)
        with reading(desk.engine) as session:
            site = session.get(Site, desk.site_id)
            self.site_name = site.name if site else desk.settings.site_name
        self._screens: dict[str, DeskScreen] = {}
        self.scanner = install_scanner(
            self,
            matches=lambda text: codes.SCAN_PATTERN.fullmatch(text) is not None,
            on_scan=self.open_scanned,
            could_start=lambda text: text[:1] in SCAN_PREFIXES,
        )

    def on_mount(self) -> None:
        self.push_screen(LoginScreen(), self._signed_in)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Task keys are hidden until someone is signed in, and for screens not installed."""
        if action in {"go", "switch_operator"} and self.operator is None:
            return False
        if action == "go" and parameters:
            return self.has_screen(str(parameters[0]))
        return True

    def has_screen(self, name: str) -> bool:
        target = self.SCREEN_FACTORIES.get(name)
        if target is None:
            return False
        return importlib.util.find_spec(target.split(":", 1)[0]) is not None

    def _signed_in(self, operator: Operator | None) -> None:
        if operator is None:
            return
        self.operator = operator
        self.refresh_bindings()
        for screen in self._screens.values():
            screen.refresh_duty()
        if not isinstance(self.screen, DeskScreen):
            self.go("dashboard")
        self.notify(_("Welcome, {name}.").format(name=operator.display_name), timeout=3)

    def desk_screen(self, name: str) -> DeskScreen:
        if name not in self._screens:
            module_name, class_name = self.SCREEN_FACTORIES[name].split(":", 1)
            screen_class = getattr(importlib.import_module(module_name), class_name)
            self._screens[name] = screen_class()
        return self._screens[name]

    def action_go(self, name: str) -> None:
        self.go(name)

    def go(self, name: str) -> None:
        if self.operator is None or not self.has_screen(name):
            return
        target = self.desk_screen(name)
        if self.screen is target:
            return
        if isinstance(self.screen, DeskScreen) and self.screen not in self._screens.values():
            # A record opened over a task screen (a request over the queue) closes first,
            # so screens never pile up.
            below = self.screen_stack[-2] if len(self.screen_stack) > 1 else None
            self.pop_screen()
            if below is target:
                return
        if isinstance(self.screen, DeskScreen):
            self.switch_screen(target)
        else:
            self.push_screen(target)

    def open_unit(self, unit_id: int, unit_code: str) -> None:
        self.go("directory")
        screen = self.desk_screen("directory")
        assert isinstance(screen, DirectoryScreen)
        screen.show_unit(unit_id, unit_code)

    def open_request(self, request_id: int) -> None:
        """Open one request over the queue (from the palette or a record elsewhere)."""
        self.go("queue")
        screen: Any = self.desk_screen("queue")
        screen.open_request(request_id)

    def open_scanned(self, text: str) -> None:
        """A scanned ticket, parcel, found-item or key code opens its record (ux.md, Scanning)."""
        if self.operator is None:
            return
        from deskapp.services.custody import core

        try:
            with reading(self.desk.engine) as session:
                ledger, record_id = core.find_by_code(
                    session, site_id=self.desk.site_id, text=text
                )
        except DeskError as error:
            self.bell()
            self.notify(error.message, severity="error", timeout=6)
            return
        screen_name = "storage" if ledger == "storage" else "ledgers"
        if not self.has_screen(screen_name):
            self.notify(text)
            return
        self.go(screen_name)
        screen: Any = self.desk_screen(screen_name)
        if screen_name == "storage":
            screen.open_code(codes.check_code(text).text)
        else:
            screen.open_record(ledger, record_id)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

    def action_switch_operator(self) -> None:
        if isinstance(self.screen, LoginScreen):
            return
        self.push_screen(LoginScreen(can_cancel=self.operator is not None), self._signed_in)

    async def action_toggle_language(self) -> None:
        language = "en" if i18n.current_language() == "zh_CN" else "zh_CN"
        i18n.set_language(language)
        current = self.screen
        if isinstance(current, DeskScreen):
            await current.recompose()
            current.refresh_view()
        elif isinstance(current, LoginScreen):
            await current.recompose()
            current.on_mount()
        current.refresh_bindings()

    def action_command_palette(self) -> None:
        if self.use_command_palette and not CommandPalette.is_open(self):  # type: ignore[arg-type]
            self.push_screen(
                CommandPalette(
                    id="--command-palette",
                    placeholder=_("Room, name, phone digits, a request number or code, a screen…"),
                )
            )

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        # Our own ScreensProvider offers the desk's commands in the current language.
        return ()
