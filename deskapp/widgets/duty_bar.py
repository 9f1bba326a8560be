"""The top line of every screen: the screen's title, the operator on duty, the time."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from deskapp.i18n import _


class DutyBar(Horizontal):
    """Shows who is on duty on every screen (首问负责制: the desk always knows)."""

    def __init__(self, title: str) -> None:
        super().__init__(id="duty-bar")
        self._title = title

    def compose(self) -> ComposeResult:
        yield Static(self._title, id="duty-title")
        yield Static("", id="duty-operator")
        yield Static("", id="duty-clock")

    def on_mount(self) -> None:
        self.refresh_duty()
        self.set_interval(15, self.refresh_duty)

    def refresh_duty(self) -> None:
        from deskapp.app import DeskApp
        from deskapp.services.operators import role_label

        app = self.app
        if not isinstance(app, DeskApp):
            return
        operator = app.operator
        if operator is None:
            text = _("Nobody signed in")
        else:
            text = _("On duty: {name} ({role})").format(
                name=operator.display_name, role=role_label(operator.role)
            )
        self.query_one("#duty-operator", Static).update(text)
        now: datetime = app.desk.clock.now().astimezone(app.zone)
        self.query_one("#duty-clock", Static).update(
            f"{app.site_name}  {now.strftime('%Y-%m-%d %H:%M')}"
        )
