"""Sign-in (登录): at start and on ctrl+l, so operators change without quitting.

The screen is the base of the app's sign-in mode: the app switches to it, and
it hands the operator to ``DeskApp.signed_in_as`` when the PIN is right.

At a start the screen is up before the desk is open (``DeskApp.opening``): it imports
no database layer, and a PIN typed before the desk is ready is checked once it is
("Opening the database…"), or answered with the line that says why it cannot be.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Center, Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static
from textual.worker import Worker, WorkerState

from deskapp import i18n
from deskapp.errors import DeskError
from deskapp.i18n import N_, _
from deskapp.widgets.footer import DeskFooter
from deskapp.widgets.form import TextInput

if TYPE_CHECKING:
    from sqlmodel import Session

    from deskapp.desk import Desk
    from deskapp.models import Operator
    from deskapp.services.demo import DemoOperator

#: Shown when Enter is pressed before the desk is open; the sign-in follows by itself.
OPENING = N_("Opening the database…")


def _offered_sign_ins(session: Session, *, site_id: int) -> list[DemoOperator]:
    """The demo's sign-ins, on a demo site only: the demo's seeders (``services.demo``
    imports every ledger's) are not imported to sign in at a real desk."""
    from deskapp.services import sites
    from deskapp.services.acting import Acting

    site = sites.get_site(session, site_id)
    if site is None or not site.is_demo:
        return []
    from deskapp.services.demo import offered_sign_ins

    return offered_sign_ins(session, acting=Acting(site_id))


def _hint_text(offered: list[DemoOperator] | None) -> str:
    if not offered:
        return ""
    pairs = "  ".join(f"{entry.login}/{entry.pin}" for entry in offered)
    return _("Demo site: {pairs}").format(pairs=pairs)


def demo_hint(desk: Desk) -> str:
    """The demo's sign-ins line for ``desk`` (empty at a real site, or if it cannot be
    read): for the app's opening thread, which reads it off the event loop."""
    from deskapp.db import reading

    try:
        with reading(desk.engine) as session:
            return _hint_text(_offered_sign_ins(session, site_id=desk.site_id))
    except DeskError:
        return ""


class LoginScreen(Screen[None]):
    """Name, PIN, Enter. Nothing else of the desk is reachable from here."""

    BINDINGS = [
        # A priority binding moves focus before the next key is routed, so a name,
        # Enter and a PIN typed in one burst (fast typist, scanner) land in the
        # right fields; Input.Submitted would arrive after the PIN went astray.
        Binding("enter", "next_or_submit", N_("Next / sign in"), show=False, priority=True),
        # An Enter typed before the app had the terminal (right after the command)
        # arrives as ctrl+j when the terminal was still in line mode.
        Binding("ctrl+j", "next_or_submit", show=False, priority=True),
        Binding("f12", "app.toggle_language", N_("中文/English")),
        Binding("ctrl+q", "app.quit", N_("Quit")),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._composed_language = i18n.current_language()
        self._message = ""
        self._waiting = False
        """Enter was pressed before the desk was open: sign in once it is."""
        self._shown = ""
        self._failure_shown: str | None = None

    def compose(self) -> ComposeResult:
        from deskapp.app import DeskApp

        self._composed_language = i18n.current_language()
        app = self.app
        assert isinstance(app, DeskApp)
        message = self._message
        if self._waiting:
            message = _(OPENING)
        elif not app.desk_ready and app.desk_failure is not None:
            message = app.desk_failure
        self._shown = message
        with Center(), Vertical(id="login-box"):
            yield Static(app.site_name, id="login-site")
            yield Static(_("Front desk sign-in"), id="login-title")
            yield Label(_("Sign-in name"), classes="field-label")
            yield TextInput(id="login-name", placeholder=_("e.g. wangfang"), max_length=32)
            yield Label(_("PIN"), classes="field-label")
            yield TextInput(id="login-pin", password=True, max_length=128)
            yield Static(message, id="login-message", classes="field-error")
            yield Static(_("Enter: next field, sign in"), id="login-keys")
            hint = self._demo_hint()
            if hint or (not app.desk_ready and app.site_is_demo):
                # A demo site seen before the desk is open: its line is kept for the
                # sign-ins the opening brings, so nothing moves when they come.
                yield Static(hint, id="login-demo")
        yield DeskFooter()

    def _demo_hint(self) -> str:
        from deskapp.app import DeskApp

        app = self.app
        assert isinstance(app, DeskApp)
        if not app.desk_ready:
            return ""  # the app's opening thread brings it (``show_demo_hint``)
        return _hint_text(
            app.read(lambda session: _offered_sign_ins(session, site_id=app.desk.site_id)))

    def on_mount(self) -> None:
        self.query_one("#login-name", Input).focus()

    async def on_screen_resume(self) -> None:
        if self._composed_language != i18n.current_language():
            await self.recompose()
        elif self.query("#login-demo") and self._app_desk_ready():
            # Back after a sign-out: an operator may have been disabled meanwhile.
            demo = self.query_one("#login-demo", Static)
            hint = self._demo_hint()
            demo.update(hint)
            demo.display = bool(hint)
        self.query_one("#login-name", Input).focus()

    async def recompose_keeping_typed(self) -> None:
        """Drawn again in the other language (F12) with the name and PIN as typed, and the
        field that had the cursor keeping it; a sign-in waiting for the desk still waits."""
        typed = {name: self.query_one(f"#{name}", Input).value
                 for name in ("login-name", "login-pin") if self.query(f"#{name}")}
        focused = self.focused.id if self.focused is not None else None
        await self.recompose()
        for name, value in typed.items():
            self.query_one(f"#{name}", Input).value = value
        self.query_one(f"#{focused}" if focused in typed else "#login-name", Input).focus()

    def reset(self, message: str = "") -> None:
        """Empty fields for the next operator, with why the last one was signed out."""
        self._message = message
        if self.query("#login-name"):
            self.query_one("#login-name", Input).value = ""
            self.query_one("#login-pin", Input).value = ""
            self._show(message)

    def action_next_or_submit(self) -> None:
        name = self.query_one("#login-name", Input)
        if self.focused is name:
            self.set_focus(self.query_one("#login-pin", Input))
        else:
            # Characters typed just before this Enter may still be queued at the PIN
            # field; read the fields once they have been applied.
            self.call_after_refresh(self._submit)

    def _submit(self) -> None:
        from deskapp.app import DeskApp

        login = self.query_one("#login-name", Input).value.strip()
        if not login:
            self._waiting = False
            self._show(_("Type your sign-in name first."))
            self.set_focus(self.query_one("#login-name", Input))
            return
        app = self.app
        assert isinstance(app, DeskApp)
        if not app.desk_ready:
            # The name and PIN stay as typed; the desk's opening signs in when done.
            self._waiting = True
            self._show(_(OPENING))
            if app.desk_failure is not None:
                app.open_the_desk()  # a lock released, a server back: try again
            return
        self._waiting = False
        self._sign_in(login, self.query_one("#login-pin", Input).value)

    # --- the desk opening behind the screen (DeskApp.opening) --------------------------

    def _app_desk_ready(self) -> bool:
        from deskapp.app import DeskApp

        app = self.app
        return isinstance(app, DeskApp) and app.desk_ready

    def desk_opened(self) -> None:
        """The desk is open: the site's own name, and the sign-in that was waiting."""
        from deskapp.app import DeskApp

        app = self.app
        assert isinstance(app, DeskApp)
        if not self.query("#login-site"):
            if self._waiting:  # drawn again meanwhile (F12): once it is, sign in
                self.call_after_refresh(self.desk_opened)
            return
        self.query_one("#login-site", Static).update(app.site_name)
        if self._waiting:
            self._waiting = False
            self._show("")
            self._submit()
        elif self._shown in (_(OPENING), self._failure_shown):
            self._show("")

    def desk_failed(self, message: str) -> None:
        """The desk cannot be opened: why, in one line; Enter tries again."""
        was_waiting, self._waiting = self._waiting, False
        self._failure_shown = message
        if self.query("#login-message"):
            self._show(message)
            if was_waiting:
                # The sign-in asked for stops here. The name stays; the PIN goes, as
                # after a wrong one: the failure may last, and the next Enter at this
                # desk must not sign in whoever typed it.
                pin = self.query_one("#login-pin", Input)
                pin.value = ""
                pin.focus()

    def show_demo_hint(self, hint: str) -> None:
        if not hint or not self.query("#login-keys"):
            return
        if self.query("#login-demo"):
            self.query_one("#login-demo", Static).update(hint)
        else:
            self.query_one("#login-box").mount(Static(hint, id="login-demo"),
                                                 after="#login-keys")

    @work(exclusive=True, thread=True, name="sign-in")
    def _sign_in(self, login: str, secret: str) -> Operator | None:
        # The hash takes ~0.1 s on purpose: run it off the UI thread.
        from deskapp.app import DeskApp
        from deskapp.db import transaction
        from deskapp.services import operators
        from deskapp.services.acting import Acting
        from deskapp.services.handover import shifts

        app = self.app
        assert isinstance(app, DeskApp)
        desk = app.desk
        try:
            with transaction(desk.engine) as session:
                operator = operators.sign_in(
                    session, acting=Acting(desk.site_id), login=login, secret=secret,
                    now=desk.clock.now(), max_failures=desk.settings.max_failed_sign_ins,
                    lockout=desk.lockout,
                )
                # Signing in is working in the shift: its handover names who did.
                shifts.join_current(session, acting=Acting(desk.site_id), operator=operator,
                                    now=desk.clock.now(), settings=desk.settings)
        except DeskError as error:
            self.app.call_from_thread(self._refused, error.message)
            return None
        # Closing the screen from inside this worker would cancel the worker while it
        # finishes; the screen closes when the worker reports success instead.
        return operator

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        worker = event.worker
        if worker.name == "sign-in" and event.state == WorkerState.SUCCESS and worker.result:
            from deskapp.app import DeskApp

            app = self.app
            assert isinstance(app, DeskApp)
            self._message = ""
            self.query_one("#login-pin", Input).value = ""
            self._show("")
            app.signed_in_as(worker.result)

    def _refused(self, message: str) -> None:
        self._show(message)
        pin = self.query_one("#login-pin", Input)
        pin.value = ""
        pin.focus()

    def _show(self, message: str) -> None:
        self._shown = message
        self.query_one("#login-message", Static).update(message)
