"""A supervisor signs in place: sign-in name and PIN, checked like a sign-in.

Used where a rule needs a supervisor's word at the counter (a refused category
stored as an exception, an item released without its ticket). The PIN is
checked by ``operators.sign_in`` - same lockout after wrong PINs, same audit
trail - and the operator must be a supervisor or manager. The operator on duty
stays signed in; the modal is dismissed with the supervisor, or None.
"""

from __future__ import annotations

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static
from textual.worker import Worker, WorkerState

from deskapp.db import transaction
from deskapp.errors import DeskError
from deskapp.i18n import N_, _
from deskapp.models import Operator
from deskapp.services import custody, operators


class SupervisorModal(ModalScreen[Operator | None]):
    DEFAULT_CSS = """
    SupervisorModal { align: center middle; }
    #supervisor-box {
        width: 60; height: auto; border: thick $warning; padding: 1 2; background: $surface;
    }
    #supervisor-why { margin-bottom: 1; }
    #supervisor-message { color: $error; height: auto; }
    #supervisor-keys { color: $text-muted; margin-top: 1; }
    """

    BINDINGS = [
        # Priority, as on the sign-in screen: a name, Enter and a PIN typed in one burst
        # land in the right fields.
        Binding("enter", "next_or_submit", N_("Next / confirm"), show=False, priority=True),
        Binding("escape", "cancel", N_("Cancel")),
    ]

    def __init__(self, why: str) -> None:
        super().__init__()
        self._why = why

    def compose(self) -> ComposeResult:
        with Vertical(id="supervisor-box"):
            yield Static(self._why, id="supervisor-why")
            yield Label(_("Supervisor's sign-in name"), classes="field-label")
            yield Input(id="supervisor-login", max_length=32)
            yield Label(_("PIN"), classes="field-label")
            yield Input(id="supervisor-pin", password=True, max_length=128)
            yield Static("", id="supervisor-message")
            yield Static(_("Enter: next field, confirm · Esc: cancel"), id="supervisor-keys")

    def on_mount(self) -> None:
        self.query_one("#supervisor-login", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_next_or_submit(self) -> None:
        login = self.query_one("#supervisor-login", Input)
        if self.focused is login:
            self.set_focus(self.query_one("#supervisor-pin", Input))
        else:
            self.call_after_refresh(self._submit)

    def _submit(self) -> None:
        login = self.query_one("#supervisor-login", Input).value.strip()
        if not login:
            self._refused(_("Type the supervisor's sign-in name first."), field="login")
            return
        self._check(login, self.query_one("#supervisor-pin", Input).value)

    @work(exclusive=True, thread=True)
    def _check(self, login: str, secret: str) -> tuple[Operator | None, str, str]:
        """(supervisor, refusal, field). The PIN hash takes ~0.1 s on purpose: off the UI
        thread. The result is taken up in ``on_worker_state_changed``, not dismissed from
        here: dismissing from the worker would cancel the worker still running."""
        desk = self.app.desk  # type: ignore[attr-defined]
        try:
            with transaction(desk.engine) as session:
                supervisor = operators.sign_in(
                    session, site_id=desk.site_id, login=login, secret=secret,
                    now=desk.clock.now(), max_failures=desk.settings.max_failed_sign_ins,
                    lockout=desk.lockout, confirming=True,
                )
        except DeskError as error:
            return None, error.message, error.field or "secret"
        if supervisor.role not in custody.SUPERVISORS:
            message = _("{name} is not a supervisor or manager; ask one to confirm.").format(
                name=supervisor.display_name
            )
            return None, message, "login"
        return supervisor, "", ""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.SUCCESS or event.worker.name != "_check":
            return
        result = event.worker.result
        assert result is not None
        supervisor, message, field = result
        if supervisor is None:
            self._refused(message, field)
        else:
            self.dismiss(supervisor)

    def _refused(self, message: str, field: str) -> None:
        self.query_one("#supervisor-message", Static).update(Text(message))
        pin = self.query_one("#supervisor-pin", Input)
        pin.value = ""
        if field == "login":
            self.query_one("#supervisor-login", Input).focus()
        else:
            pin.focus()
