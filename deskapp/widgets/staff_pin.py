"""A member of staff confirms a step in place with their own sign-in name and PIN.

Used where a rule needs another person's word at the counter: a supervisor's
exception or release without a ticket, a manager approving a loan, the two
witnesses of a disposal. The PIN is checked by ``operators.sign_in`` with
``confirming=True`` (same lockout after wrong PINs, audited as a confirmation);
the operator on duty stays signed in. ``roles`` limits who may confirm;
``refusal`` (with ``{name}``) says why not. The modal is dismissed with the
confirming Operator, or None on Esc.
"""

from __future__ import annotations

from collections.abc import Sequence

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
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.widgets.form import TextInput


class StaffPinModal(ModalScreen[Operator | None]):
    DEFAULT_CSS = """
    StaffPinModal { align: center middle; }
    #pin-box { width: 60; height: auto; border: thick $warning; padding: 1 2;
               background: $surface; }
    #pin-why { margin-bottom: 1; height: auto; }
    #pin-message { color: $error; height: auto; }
    #pin-keys { color: $text-muted; margin-top: 1; }
    """

    BINDINGS = [
        # Priority, as on the sign-in screen: a name, Enter and a PIN typed in one burst
        # land in the right fields.
        Binding("enter", "next_or_submit", N_("Next / confirm"), show=False, priority=True),
        Binding("escape", "cancel", N_("Cancel")),
    ]

    def __init__(
        self,
        why: str,
        *,
        roles: Sequence[str] = (),
        refusal: str = "",
        login_label: str = "",
    ) -> None:
        super().__init__()
        self._why = why
        self._roles = tuple(roles)
        self._refusal = refusal
        self._login_label = login_label

    def compose(self) -> ComposeResult:
        with Vertical(id="pin-box"):
            yield Static(self._why, id="pin-why")
            yield Label(self._login_label or _("Sign-in name"), classes="field-label")
            yield TextInput(id="pin-login", max_length=32)
            yield Label(_("PIN"), classes="field-label")
            yield TextInput(id="pin-secret", password=True, max_length=128)
            yield Static("", id="pin-message")
            yield Static(_("Enter: next field, confirm · Esc: cancel"), id="pin-keys")

    def on_mount(self) -> None:
        self.query_one("#pin-login", Input).focus()

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_next_or_submit(self) -> None:
        login = self.query_one("#pin-login", Input)
        if self.focused is login:
            self.set_focus(self.query_one("#pin-secret", Input))
        else:
            # Characters typed just before this Enter may still be on their way.
            self.call_after_refresh(self._submit)

    def _submit(self) -> None:
        login = self.query_one("#pin-login", Input).value.strip()
        if not login:
            self._refused(_("Type the sign-in name first."), "login")
            return
        self._check(login, self.query_one("#pin-secret", Input).value)

    @work(exclusive=True, thread=True, name="staff-pin")
    def _check(self, login: str, secret: str) -> tuple[Operator | None, str, str]:
        """(person, refusal, field). The PIN hash takes ~0.1 s on purpose: off the UI
        thread. The result is taken up in ``on_worker_state_changed``: dismissing from
        the worker would cancel the worker while it finishes."""
        desk = self.app.desk  # type: ignore[attr-defined]
        try:
            with transaction(desk.engine) as session:
                person = operators.sign_in(
                    session, acting=Acting(desk.site_id), login=login, secret=secret,
                    now=desk.clock.now(), max_failures=desk.settings.max_failed_sign_ins,
                    lockout=desk.lockout, confirming=True,
                )
        except DeskError as error:
            return None, error.message, error.field or "secret"
        if self._roles and person.role not in self._roles:
            message = (self._refusal or _("{name} may not confirm this.")).format(
                name=person.display_name)
            return None, message, "login"
        return person, "", ""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.SUCCESS or event.worker.name != "staff-pin":
            return
        result = event.worker.result
        assert result is not None
        person, message, field = result
        if person is None:
            self._refused(message, field)
        else:
            self.dismiss(person)

    def _refused(self, message: str, field: str) -> None:
        self.query_one("#pin-message", Static).update(Text("✗ " + message))
        secret = self.query_one("#pin-secret", Input)
        secret.value = ""
        if field == "login":
            login = self.query_one("#pin-login", Input)
            login.value = ""
            login.focus()
        else:
            secret.focus()
