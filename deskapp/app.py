"""DeskApp: the screens of the desk, the one keymap, the palette and the operator on duty."""

from __future__ import annotations

import gc
import importlib
import importlib.util
import traceback
from collections.abc import Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen

from deskapp import i18n, recovery
from deskapp.commands import DirectoryProvider, RecordsProvider, ScreensProvider
from deskapp.db import ChangeWatch, reading
from deskapp.desk import Desk
from deskapp.errors import DeskError
from deskapp.formatting import desk_zone
from deskapp.i18n import N_, _
from deskapp.models import Operator, Role
from deskapp.screens.base import DeskScreen
from deskapp.screens.login import LoginScreen
from deskapp.services import codes, operators, sites
from deskapp.widgets.confirm import ConfirmModal
from deskapp.widgets.key_order import install_key_order
from deskapp.widgets.scanner import install_scanner

if TYPE_CHECKING:
    from sqlmodel import Session

T = TypeVar("T")

# Codes begin with their ledger's capital letter (codes.CodePrefix); other keys never wait.
SCAN_PREFIXES = frozenset(prefix.value for prefix in codes.CodePrefix)
#: The mode of the sign-in screen; every task key has a mode (a screen stack) of its own.
SIGN_IN = "sign-in"
#: Actions that belong to a signed-in operator: refused while the sign-in screen is up.
OPERATOR_ACTIONS = frozenset({"go", "switch_operator", "command_palette"})
#: The one screen of a guard (the gate), and the one screen only a guard works at.
GATE = "gate"


class DeskApp(App[None]):
    """The front desk. One key per task screen, the same on every screen.

    Each task screen is a Textual mode (one screen stack per task key), so a key
    always shows its screen as it was left, redrawn. The sign-in screen is a mode of
    its own; while it is up no task key, palette entry or scan acts, and signing out
    throws every task screen away, so the next operator starts from empty screens.
    """

    CSS_PATH = Path(__file__).parent / "desk.tcss"
    TITLE = "deskapp"
    COMMANDS: ClassVar = {DirectoryProvider, RecordsProvider, ScreensProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f1", "help", N_("Help")),
        Binding("f2", "go('dashboard')", N_("Dashboard")),
        Binding("f3", "go('intake')", N_("Intake")),
        Binding("f4", "go('queue')", N_("Queue")),
        Binding("f5", "go('storage')", N_("Storage")),
        Binding("f6", "go('release')", N_("Release slips")),
        Binding("f7", "go('handover')", N_("Handover")),
        Binding("f8", "go('ledgers')", N_("Ledgers")),
        Binding("f9", "go('directory')", N_("Directory")),
        Binding("f10", "go('duty_log')", N_("Duty log")),
        Binding("f11", "go('reports')", N_("Reports")),
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
        "release": "deskapp.screens.release.slips:ReleaseScreen",
        "handover": "deskapp.screens.handover.handover:HandoverScreen",
        "ledgers": "deskapp.screens.custody.ledgers:LedgersScreen",
        "directory": "deskapp.screens.directory:DirectoryScreen",
        "duty_log": "deskapp.screens.handover.duty_log:DutyLogScreen",
        "reports": "deskapp.screens.reports:ReportsScreen",
        "gate": "deskapp.screens.release.gate:GateScreen",
    }

    operator: reactive[Operator | None] = reactive(None)

    def __init__(self, desk: Desk, *, survive_errors: bool | None = None,
                 watch_changes: bool | None = None) -> None:
        """``survive_errors``: end cleanly after an unexpected error, drafts kept and one
        line shown. ``None`` means yes in a terminal and no headless, so a test fails.
        ``watch_changes``: show what other desks change (``ChangeWatch``); ``None`` means
        yes in a terminal and no headless, so a test's screen changes only when it acts."""
        super().__init__()
        self.desk = desk
        self.watch_changes = watch_changes
        self._change_watch: ChangeWatch | None = None
        self.zone = desk_zone(desk.settings.timezone)
        self.survive_errors = survive_errors
        self.error_log = Path(desk.settings.data_dir) / "logs" / "deskapp-errors.log"
        with reading(desk.engine) as session:
            site = sites.get_site(session, desk.site_id)
            self.site_name = site.name if site else desk.settings.site_name
        self._task_screens: dict[str, DeskScreen] = {}
        for name in self.SCREEN_FACTORIES:
            if self.has_screen(name):
                self.add_mode(name, self._screen_factory(name))
        self.add_mode(SIGN_IN, LoginScreen)
        self.scanner = install_scanner(
            self,
            matches=lambda text: codes.SCAN_PATTERN.fullmatch(text) is not None,
            on_scan=self.open_scanned,
            could_start=lambda text: text[:1] in SCAN_PREFIXES,
        )
        self.key_order = install_key_order(self)

    def run(self, **options: Any) -> None:
        """The desk in a terminal (``deskapp``).

        What the start imported and built (Textual, SQLAlchemy, the model classes and
        their mappers) lives as long as the process: frozen out of the collector's
        way, no full collection walks it again while the sign-in screen is drawn
        (docs/performance.md, Cold start: about 70-120 ms of a start). Not headless:
        the snapshot tests run the app that way, one after another in a process."""
        if not options.get("headless"):
            gc.freeze()
        return super().run(**options)

    def on_mount(self) -> None:
        self.switch_mode(SIGN_IN)
        watch = self.watch_changes if self.watch_changes is not None else not self.is_headless
        seconds = self.desk.settings.change_watch_seconds
        if watch and seconds > 0:
            self._change_watch = ChangeWatch(self.desk.engine)
            self.set_interval(seconds, self._look_for_changes)

    # --- what the other desks change ---------------------------------------------------

    def _look_for_changes(self) -> None:
        watch = self._change_watch
        if watch is None or not self.signed_in:
            return
        self.run_worker(lambda: self._changed(watch), thread=True, group="change-watch",
                        exclusive=True, exit_on_error=False)

    def _changed(self, watch: ChangeWatch) -> None:
        """In a thread: one cheap look; a change redraws the screen from the database."""
        try:
            moved = watch.changed()
        except Exception:  # a lost server: the next save says so; the next look retries
            watch.close()  # opened again at the next look
            return
        if moved:
            self.call_from_thread(self.show_changes)

    def show_changes(self) -> None:
        """Another desk (or this one) committed: the task screen shown reads again, as
        when it is shown again after another (what is typed in it stays)."""
        screen = self.screen
        if self.signed_in and isinstance(screen, DeskScreen) and not screen.db_working():
            screen.refresh_view()

    # --- who is at the desk ------------------------------------------------------------

    @property
    def signed_in(self) -> bool:
        """Someone is signed in and the sign-in screen is not up."""
        return self.operator is not None and self.current_mode != SIGN_IN

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Task keys, the palette and ctrl+l belong to a signed-in operator; a task key
        shows only once its screen exists."""
        if action in OPERATOR_ACTIONS and not self.signed_in:
            return False
        if action in OPERATOR_ACTIONS and isinstance(self.screen, ModalScreen):
            return False  # a dialog is answered first: no palette, no sign-out behind it
        if action == "go" and parameters:
            return self.may_open(str(parameters[0]))
        # A guard's palette would open screens and records the gate has no business with.
        return not (action == "command_palette" and self.is_guard)

    @property
    def is_guard(self) -> bool:
        operator = self.operator
        return operator is not None and operator.role == Role.GUARD.value

    def may_open(self, name: str) -> bool:
        """A guard works at the gate screen and nowhere else; the desk never at the gate."""
        if not self.has_screen(name):
            return False
        return (name == GATE) == self.is_guard

    def signed_in_as(self, operator: Operator, *, first: str = "dashboard") -> None:
        """The sign-in screen's PIN was right: the desk is ``operator``'s, from the dashboard
        (or from the task screen ``first``)."""
        self.operator = operator
        if self.is_guard:
            first = GATE
        elif first == GATE or first not in self.SCREEN_FACTORIES:
            first = "dashboard"
        self.switch_mode(first)
        self.refresh_bindings()
        self.notify(_("Welcome, {name}.").format(name=operator.display_name), timeout=3)

    def on_duty(self) -> bool:
        """Whether the operator may act now; one disabled or locked since is signed out."""
        operator = self.operator
        if operator is None or operator.id is None:
            return False
        try:
            with reading(self.desk.engine) as session:
                self.operator = operators.on_duty(
                    session, operator_id=operator.id, now=self.desk.clock.now()
                )
        except operators.NotOnDuty as error:
            self.sign_out(error.message)
            return False
        except DeskError as error:  # the database cannot answer: say so, do not act
            self.show_failure(error)
            return False
        return True

    def action_switch_operator(self) -> None:
        """ctrl+l: sign out, asking first when a form holds typing."""
        self._unless_typing(
            self.sign_out,
            _("{screens}: what is typed there will be lost. Switch operator anyway?"))

    async def action_quit(self) -> None:
        """ctrl+q: quit, asking first when a form holds typing (as ctrl+l does)."""
        self._unless_typing(
            self.exit, _("{screens}: what is typed there will be lost. Quit anyway?"))

    def _unless_typing(self, then: Callable[[], object], question: str) -> None:
        typing = [screen for screen in self._task_screens.values() if screen.has_typing()]
        if not typing:
            then()
            return
        names = ", ".join(_(screen.TITLE_TEXT) for screen in typing)

        def answered(yes: bool | None) -> None:
            if yes:
                then()

        self.push_screen(ConfirmModal(question.format(screens=names)), answered)

    def sign_out(self, reason: str = "") -> None:
        """Back to the sign-in screen; every task screen starts empty for the next operator."""
        self.operator = None
        self.switch_mode(SIGN_IN)
        login = self.screen
        if isinstance(login, LoginScreen):
            login.reset(reason)
        for name in list(self._task_screens):
            self.remove_mode(name)
            self.add_mode(name, self._screen_factory(name))
        self._task_screens.clear()
        self.refresh_bindings()

    # --- task screens ------------------------------------------------------------------

    def has_screen(self, name: str) -> bool:
        target = self.SCREEN_FACTORIES.get(name)
        if target is None:
            return False
        return importlib.util.find_spec(target.split(":", 1)[0]) is not None

    def _screen_factory(self, name: str) -> Callable[[], DeskScreen]:
        def build() -> DeskScreen:
            module_name, class_name = self.SCREEN_FACTORIES[name].split(":", 1)
            screen_class = getattr(importlib.import_module(module_name), class_name)
            screen: DeskScreen = screen_class()
            self._task_screens[name] = screen
            return screen

        return build

    def desk_screen(self, name: str) -> DeskScreen:
        """The task screen of ``name``; one built before its first visit becomes the base
        of its mode when the key is pressed."""
        if name not in self._task_screens:
            screen = self._screen_factory(name)()
            self.remove_mode(name)
            self.add_mode(name, lambda: screen)
        return self._task_screens[name]

    def action_go(self, name: str) -> None:
        self.go(name)

    def go(self, name: str) -> None:
        """Show the task screen of ``name``; a record opened over a task screen (a request
        over the queue) closes first, so screens never pile up."""
        if not self.signed_in or not self.has_screen(name) or not self.on_duty():
            return
        if not self.may_open(name):
            self.bell()
            if self.is_guard:
                self.notify(_("A guard checks release slips at the gate screen only."),
                            severity="warning", timeout=4)
            return
        while len(self.screen_stack) > 1 and isinstance(self.screen, DeskScreen):
            self.pop_screen()
        if self.current_mode != name:
            self.switch_mode(name)

    def open_unit(self, unit_id: int, unit_code: str) -> None:
        from deskapp.screens.directory import DirectoryScreen

        self.go("directory")
        screen = self.desk_screen("directory")
        assert isinstance(screen, DirectoryScreen)
        screen.show_unit(unit_id, unit_code)

    def open_request(self, request_id: int) -> None:
        """Open one request over the queue (from the palette or a record elsewhere)."""
        self.go("queue")
        if self.current_mode != "queue":
            return
        screen: Any = self.desk_screen("queue")
        screen.open_request(request_id)

    def open_scanned(self, text: str) -> None:
        """A scanned ticket, parcel, found-item or key code opens its record (ux.md, Scanning)."""
        if not self.signed_in:
            return
        if text.startswith(codes.CodePrefix.RELEASE.value) or self.is_guard:
            self.open_slip(text)
            return
        from deskapp.services.custody import lists as custody

        try:
            with reading(self.desk.engine) as session:
                ledger, record_id = custody.find_by_code(
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
        if self.current_mode != screen_name:
            return
        screen: Any = self.desk_screen(screen_name)
        if screen_name == "storage":
            screen.open_code(codes.check_code(text).text)
        else:
            screen.open_record(ledger, record_id)

    def open_slip(self, text: str) -> None:
        """A release slip's code: the gate checks it for a guard, F6 opens it at the desk."""
        name = GATE if self.is_guard else "release"
        self.go(name)
        if self.current_mode != name:
            return
        screen: Any = self.desk_screen(name)
        screen.open_code(text)

    # --- failures ------------------------------------------------------------------------

    def read(self, query: Callable[[Session], T]) -> T | None:
        """One read for a screen or widget: when it fails (a database lost, a record
        gone) the operator gets one line and the caller ``None``, and keeps what it
        shows. A read never waits for a writer's lock, so it runs on the event loop."""
        try:
            with reading(self.desk.engine) as session:
                return query(session)
        except DeskError as error:
            self.show_failure(error)
            return None

    def show_failure(self, error: DeskError) -> None:
        """A refusal or a database in trouble, in one line; the form keeps its typing."""
        if isinstance(error, operators.NotOnDuty):
            self.sign_out(error.message)
            return
        self.bell()
        self.notify(error.message, severity="error", timeout=8)

    def unexpected_error(self, error: BaseException) -> None:
        """Anything no refusal explains: the details go to the log, the operator gets one
        line saying where, and the screen (with what was typed) stays as it is."""
        where = self._log_error(error)
        self.bell()
        if where is None:
            text = _("Something went wrong and could not be logged. What you typed is still here.")
        else:
            text = _("Something went wrong; what you typed is still here. "
                     "Details for IT: {path}").format(path=where)
        self.notify(text, severity="error", timeout=15)

    def _log_error(self, error: BaseException) -> Path | None:
        try:
            self.error_log.parent.mkdir(parents=True, exist_ok=True)
            stamp = datetime.now().astimezone().isoformat(timespec="seconds")
            details = "".join(traceback.format_exception(error))
            screen = type(self.screen_stack[-1]).__name__ if self.screen_stack else "-"
            with self.error_log.open("a", encoding="utf-8") as log:
                log.write(f"--- {stamp} screen={screen}\n{details}\n")
        except OSError:
            return None
        return self.error_log

    def _handle_exception(self, error: Exception) -> None:
        # An error nobody foresaw, raised in a message handler: Textual stops that
        # widget's message loop, so the desk cannot safely go on. Keep every draft, log
        # the details and end with one line (not a traceback); the draft comes back when
        # its screen next opens. Headless (tests) it fails as Textual does, unless asked.
        survive = self.survive_errors if self.survive_errors is not None else not self.is_headless
        where = self._log_error(error)
        if not survive:
            super()._handle_exception(error)
            return
        kept = self._keep_drafts()
        self._return_code = 1
        line = _("deskapp stopped after an unexpected error; details for IT: {path}.").format(
            path=where or self.error_log)
        if kept:
            line += " " + _("What was typed is kept and comes back when you open {screens}."
                            ).format(screens=", ".join(kept))
        self.exit(return_code=1, message=line)

    def _keep_drafts(self) -> list[str]:
        kept: list[str] = []
        for name, screen in self._task_screens.items():
            try:
                draft = screen.recovery_draft()
                if draft:
                    recovery.keep(self.desk.settings.data_dir, name, draft)
                    kept.append(_(screen.TITLE_TEXT))
            except Exception as failure:  # the crash path must not crash: log and go on
                self._log_error(failure)
        return kept

    # --- help, language, palette ---------------------------------------------------------

    def action_help(self) -> None:
        from deskapp.screens.help import HelpScreen

        if isinstance(self.screen, HelpScreen):
            return
        self.push_screen(HelpScreen(self.screen))

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
        if not self.signed_in or self.is_guard or not self.on_duty():
            return
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
