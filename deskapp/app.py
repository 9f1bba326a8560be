"""DeskApp: the screens of the desk, the one keymap, the palette and the operator on duty.

A start draws the sign-in screen before the database layer is imported: this module
and the sign-in screen's import Textual and the desk's light modules only, and the
desk (``open_desk``: SQLAlchemy, the models, the schema check, the site) opens in a
thread while the operator types (``DeskApp.opening``; docs/performance.md, Cold start).
"""

from __future__ import annotations

import gc
import importlib
import importlib.util
import sys
import traceback
from collections.abc import Callable, Iterable
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, TypeGuard, TypeVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.command import CommandPalette, Provider
from textual.reactive import reactive
from textual.screen import ModalScreen, Screen

from deskapp import i18n, recovery
from deskapp.desk import (
    Desk,
    DeskLook,
    OpenedSite,
    look_at_desk,
    open_desk,
    ready_for_sign_in,
    refusal_line,
)
from deskapp.errors import DeskError
from deskapp.formatting import desk_zone
from deskapp.i18n import N_, _
from deskapp.screens.login import LoginScreen, demo_hint
from deskapp.services import codes
from deskapp.widgets.confirm import ConfirmModal
from deskapp.widgets.key_order import install_key_order
from deskapp.widgets.scanner import install_scanner

if TYPE_CHECKING:
    from sqlmodel import Session

    from deskapp.config import Settings
    from deskapp.db import ChangeWatch
    from deskapp.models import Operator
    from deskapp.screens.base import DeskScreen

T = TypeVar("T")

# Codes begin with their ledger's capital letter (codes.CodePrefix); other keys never wait.
SCAN_PREFIXES = frozenset(prefix.value for prefix in codes.CodePrefix)
#: The mode of the sign-in screen; every task key has a mode (a screen stack) of its own.
SIGN_IN = "sign-in"
#: Actions that belong to a signed-in operator: refused while the sign-in screen is up.
OPERATOR_ACTIONS = frozenset({"go", "switch_operator", "command_palette"})
#: The one screen of a guard (the gate), and the one screen only a guard works at.
GATE = "gate"
#: The role a guard signs in with (``models.Role.GUARD``, without importing the models).
GUARD_ROLE = "guard"


# The palette's providers import the database layer: loaded when the palette first opens.
def _directory_provider() -> type[Provider]:
    from deskapp.commands import DirectoryProvider

    return DirectoryProvider


def _records_provider() -> type[Provider]:
    from deskapp.commands import RecordsProvider

    return RecordsProvider


def _screens_provider() -> type[Provider]:
    from deskapp.commands import ScreensProvider

    return ScreensProvider


def _is_desk_screen(screen: object) -> TypeGuard[DeskScreen]:
    """Whether ``screen`` is a task screen, without importing their base (it brings the
    services and the models): before it is imported, no task screen exists."""
    base = sys.modules.get("deskapp.screens.base")
    return base is not None and isinstance(screen, base.DeskScreen)


class DeskApp(App[None]):
    """The front desk. One key per task screen, the same on every screen.

    Each task screen is a Textual mode (one screen stack per task key), so a key
    always shows its screen as it was left, redrawn. The sign-in screen is a mode of
    its own; while it is up no task key, palette entry or scan acts, and signing out
    throws every task screen away, so the next operator starts from empty screens.
    """

    CSS_PATH = Path(__file__).parent / "desk.tcss"
    TITLE = "deskapp"
    COMMANDS: ClassVar = {_directory_provider, _records_provider, _screens_provider}
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

    def __init__(self, desk: Desk | None = None, *, settings: Settings | None = None,
                 look: DeskLook | None = None, opener: Callable[[], Desk] | None = None,
                 survive_errors: bool | None = None,
                 watch_changes: bool | None = None) -> None:
        """``desk``: the desk, already open. Without it the app opens the desk itself,
        in a thread behind the sign-in screen (``DeskApp.opening``).

        ``survive_errors``: end cleanly after an unexpected error, drafts kept and one
        line shown. ``None`` means yes in a terminal and no headless, so a test fails.
        ``watch_changes``: show what other desks change (``ChangeWatch``); ``None`` means
        yes in a terminal and no headless, so a test's screen changes only when it acts."""
        super().__init__()
        if desk is not None:
            settings = desk.settings
        elif settings is None:
            raise TypeError("DeskApp needs a desk, or the settings to open one")
        self.settings: Settings = settings
        self._desk = desk
        self._opener = opener or (lambda: open_desk(self.settings, set_language=False))
        self.desk_failure: str | None = None
        """Why the desk could not be opened (shown on the sign-in screen); quitting then
        ends with exit status 1 (``run_desk`` prints it)."""
        self.found_unstaffed = False
        """The desk opened with no operator: the terminal creates the first one."""
        self.watch_changes = watch_changes
        self._change_watch: ChangeWatch | None = None
        self.zone = desk_zone(self.settings.timezone)
        self.survive_errors = survive_errors
        self.error_log = Path(self.settings.data_dir) / "logs" / "deskapp-errors.log"
        self.site_is_demo = False
        if desk is not None:
            from deskapp.db import reading
            from deskapp.services import sites

            with reading(desk.engine) as session:
                site = sites.get_site(session, desk.site_id)
                self.site_is_demo = bool(site and site.is_demo)
            self.site_name = site.name if site else desk.settings.site_name
        else:
            look = look or DeskLook(site_name=self.settings.site_name)
            self.site_name = look.site_name
            self.site_is_demo = look.is_demo
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

    @classmethod
    def opening(cls, settings: Settings, *, look: DeskLook | None = None,
                opener: Callable[[], Desk] | None = None, **options: Any) -> DeskApp:
        """The app of a start: the sign-in screen first, the desk opened behind it.

        ``look`` (``desk.look_at_desk``) names the site until the desk is open;
        ``opener`` opens it (``open_desk`` of ``settings`` when not given)."""
        return cls(settings=settings, look=look, opener=opener, **options)

    @property
    def desk(self) -> Desk:
        """The open desk. Nothing asks for it before it is open: only the sign-in screen
        is reachable until then, and it waits for ``desk_ready``."""
        if self._desk is None:
            raise RuntimeError("the desk is not open yet")
        return self._desk

    @property
    def desk_ready(self) -> bool:
        return self._desk is not None

    def run(self, **options: Any) -> Any:
        """The desk in a terminal (``deskapp``).

        What the start imported and built lives as long as the process: frozen out of
        the collector's way, no full collection walks it again while the sign-in screen
        is drawn (docs/performance.md, Cold start), and again once the desk is open.
        Not headless: the snapshot tests run the app that way, one after another in a
        process."""
        if not options.get("headless"):
            gc.freeze()
        return super().run(**options)

    def on_mount(self) -> None:
        self.switch_mode(SIGN_IN)
        if self.desk_ready:
            self._watch_other_desks()

    def on_ready(self) -> None:
        """The first frame (the sign-in screen) is on the terminal: open the desk now, not
        sooner, or the opening's imports would take the interpreter from the drawing (one
        thread runs Python at a time)."""
        if not self.desk_ready:
            self.open_the_desk()

    # --- opening the desk behind the sign-in screen --------------------------------------

    def open_the_desk(self) -> None:
        """Open the desk in a thread (again, after a failure: the sign-in's Enter)."""
        if self.desk_ready:
            return
        self.desk_failure = None
        # A failure to open is answered inside (one line); an error of the app's own
        # ends it as any unexpected error does (``_handle_exception``).
        self.run_worker(self._open_in_thread, thread=True, group="open-desk", exclusive=True,
                        name="open-desk")

    def _open_in_thread(self) -> None:
        """In a thread: open the desk, read its site, and bring what a sign-in needs."""
        try:
            desk = self._opener()
            opened = ready_for_sign_in(desk)
        except Exception as error:  # one line on the sign-in screen, never a traceback
            self._call_from_worker(self._desk_failed, self._failure_line(error))
            return
        self._call_from_worker(self._desk_opened, desk, opened)
        if not opened.staffed:
            return
        if opened.is_demo:
            hint = demo_hint(desk)  # the demo's seeders: imported here, not on the screen's turn
            self._call_from_worker(self._show_demo_hint, hint)
        # The dashboard comes after every sign-in: its module (~90 ms) is imported here
        # while the operator types, or while a PIN typed at once is hashed in the
        # sign-in's thread (the hash leaves the interpreter free). A failure is met again,
        # and shown, when the screen is first built.
        with suppress(Exception):
            importlib.import_module(self.SCREEN_FACTORIES["dashboard"].split(":", 1)[0])

    def _call_from_worker(self, callback: Callable[..., object], *args: object) -> None:
        try:
            self.call_from_thread(callback, *args)
        except Exception:
            if self.is_running:
                raise
            # The app ended meanwhile (quit while the desk was opening): nobody to tell.

    def _failure_line(self, error: Exception) -> str:
        """The line ``deskapp.cli.guarded`` prints for the same failure; anything else
        goes to the error log, and the line says where."""
        line = refusal_line(error)
        if line is not None:
            return line
        where = self._log_error(error)
        if where is None:
            return _("Something went wrong and could not be logged. "
                     "What you typed is still here.")
        return _("Something went wrong; what you typed is still here. "
                 "Details for IT: {path}").format(path=where)

    def _desk_opened(self, desk: Desk, opened: OpenedSite) -> None:
        self._desk = desk
        self.site_name = opened.name
        self.site_is_demo = opened.is_demo
        if not self.is_headless:
            gc.freeze()  # what the desk's opening imported (see ``run``)
        if not opened.staffed:  # no one could sign in: the terminal creates the first manager
            self.found_unstaffed = True
            self.exit()
            return
        if desk.backup_written is not None:
            self.notify(_("The database was upgraded; a copy of the old one is at {path}")
                        .format(path=desk.backup_written), timeout=12)
        self._watch_other_desks()
        login = self._login_screen()
        if login is not None:
            login.desk_opened()

    def _desk_failed(self, message: str) -> None:
        self.desk_failure = message
        login = self._login_screen()
        if login is not None:
            login.desk_failed(message)

    def _show_demo_hint(self, hint: str) -> None:
        login = self._login_screen()
        if login is not None:
            login.show_demo_hint(hint)

    def _login_screen(self) -> LoginScreen | None:
        for screen in self._screen_stacks.get(SIGN_IN, ()):
            if isinstance(screen, LoginScreen):
                return screen
        return None

    def _watch_other_desks(self) -> None:
        watch = self.watch_changes if self.watch_changes is not None else not self.is_headless
        seconds = self.settings.change_watch_seconds
        if watch and seconds > 0:
            from deskapp.db import ChangeWatch

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
        if self.signed_in and _is_desk_screen(screen) and not screen.db_working():
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
        return operator is not None and operator.role == GUARD_ROLE

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
        from deskapp.db import reading
        from deskapp.services import operators

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
        """ctrl+q: quit, asking first when a form holds typing (as ctrl+l does). A desk
        that could not be opened ends the app with exit status 1."""
        if not self.desk_ready and self.desk_failure is not None:
            self.exit(return_code=1)
            return
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
        while len(self.screen_stack) > 1 and _is_desk_screen(self.screen):
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
        from deskapp.db import reading
        from deskapp.services.acting import Acting
        from deskapp.services.custody import lists as custody

        try:
            with reading(self.desk.engine) as session:
                ledger, record_id = custody.find_by_code(
                    session, acting=Acting(self.desk.site_id), text=text
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
        from deskapp.db import reading

        try:
            with reading(self.desk.engine) as session:
                return query(session)
        except DeskError as error:
            self.show_failure(error)
            return None

    def show_failure(self, error: DeskError) -> None:
        """A refusal or a database in trouble, in one line; the form keeps its typing."""
        from deskapp.services.operators import NotOnDuty

        if isinstance(error, NotOnDuty):
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
                    recovery.keep(self.settings.data_dir, name, draft)
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
        if isinstance(current, LoginScreen):
            await current.recompose_keeping_typed()
        elif _is_desk_screen(current):
            await current.recompose()
            current.refresh_view()
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


def run_desk(settings: Settings, *, first_run: Callable[[Settings], Desk]) -> int:
    """``deskapp`` with no command: the desk in this terminal; returns the exit status.

    The sign-in screen comes first and the desk opens behind it (``DeskApp.opening``).
    The first start of an empty database goes the old way instead: ``first_run`` (the
    CLI's) opens the desk and, on the terminal, offers the demo or creates the first
    manager, then the app starts on the open desk. A desk that cannot be opened is shown
    on the sign-in screen; quitting then prints the same line as the CLI and returns 1.
    """
    look = look_at_desk(settings)
    if look.first_run:
        app = DeskApp(first_run(settings))
    else:
        app = DeskApp.opening(settings, look=look)
        app.run()
        if not app.found_unstaffed:  # PostgreSQL, which the look cannot see: found open
            return _exit_status(app)
        app = DeskApp(first_run(settings))
    app.run()
    return _exit_status(app)


def print_refusal(message: str) -> int:
    """One line on the terminal, as ``deskapp.cli`` prints a refusal; the exit status."""
    line = _("Error: {message}").format(message=message)
    if sys.stderr.isatty():
        line = f"\x1b[31m{line}\x1b[0m"
    print(line, file=sys.stderr)
    return 1


def _exit_status(app: DeskApp) -> int:
    if not app.desk_ready and app.desk_failure is not None:
        return print_refusal(app.desk_failure)
    return app.return_code or 0
