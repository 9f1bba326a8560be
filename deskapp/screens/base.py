"""What every task screen shares: the duty bar, the translated footer, and a
recompose when the language changed while the screen was out of sight."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from textual.app import ComposeResult
from textual.screen import ModalScreen, Screen
from textual.worker import Worker, WorkerState

from deskapp import i18n
from deskapp.errors import DeskError
from deskapp.services.operators import NotOnDuty
from deskapp.widgets.duty_bar import DutyBar
from deskapp.widgets.footer import DeskFooter

if TYPE_CHECKING:
    from deskapp.app import DeskApp

T = TypeVar("T")
R = TypeVar("R")
Done = Callable[[Any], object]
Failed = Callable[[DeskError], object]
_FINISHED = frozenset({WorkerState.SUCCESS, WorkerState.ERROR, WorkerState.CANCELLED})


class DatabaseWork(Screen[R]):
    """Database work off the event loop, for a task screen or a modal form.

    The screen keeps drawing while the database waits for a lock (another desk,
    a backup), and a failure becomes one line instead of a frozen or stopped desk.
    """

    def __init__(self) -> None:
        super().__init__()
        self._db_work: dict[Worker[Any], tuple[Done | None, Failed | None, int | None]] = {}

    @property
    def desk_app(self) -> DeskApp:
        from deskapp.app import DeskApp

        assert isinstance(self.app, DeskApp)
        return self.app

    def run_db(
        self,
        work: Callable[[], T],
        done: Callable[[T], object] | None = None,
        *,
        failed: Failed | None = None,
        name: str = "db",
    ) -> Worker[T] | None:
        """Run ``work`` (a service call in its own unit of work) in a thread.

        ``done`` gets the result on the event loop; a ``DeskError`` (a refusal, a
        locked or lost database) goes to ``failed`` (default: one error line), an
        operator no longer on duty (``NotOnDuty``) is signed out, and anything else
        goes to the app's error handler. ``work`` must not touch widgets:
        read the form before, so a failure keeps every character typed. Returns
        ``None`` while work of the same name is still running (a second ctrl+s
        while the first save waits for the lock).
        """
        if not self.desk_app.on_duty():
            return None
        if self.db_busy(name):
            self.app.bell()
            self.notify(i18n._("Still working on the last step…"), timeout=3)
            return None
        # A dialog's save: the keys typed meanwhile wait until it has closed (or said
        # why not), so a quick "Enter, a, Tab, 1 …" lands on the screen beneath.
        key_order = getattr(self.app, "key_order", None)
        pause = key_order.pause() if isinstance(self, ModalScreen) and key_order else None
        worker: Worker[T] = self.run_worker(
            work, name=name, group="db", thread=True, exit_on_error=False
        )
        self._db_work[worker] = (done, failed, pause)
        return worker

    def db_busy(self, name: str = "db") -> bool:
        return any(worker.name == name and not worker.is_finished for worker in self._db_work)

    def db_working(self) -> bool:
        """Any database work of this screen still running (a save waiting for a lock)."""
        return any(not worker.is_finished for worker in self._db_work)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker not in self._db_work or event.state not in _FINISHED:
            return
        done, failed, pause = self._db_work.pop(event.worker)
        try:
            if event.state == WorkerState.SUCCESS:
                if done is not None:
                    done(event.worker.result)
            elif event.state == WorkerState.ERROR:
                error = event.worker.error
                if isinstance(error, NotOnDuty):  # disabled or locked meanwhile: signed out
                    self.desk_app.show_failure(error)
                elif isinstance(error, DeskError):
                    (failed or self.desk_app.show_failure)(error)
                elif isinstance(error, Exception):
                    self.desk_app.unexpected_error(error)
        finally:
            if pause is not None:  # the keys typed ahead go on once the dialog has closed
                key_order = self.desk_app.key_order
                self.app.call_after_refresh(key_order.resume, pause)


class DeskScreen(DatabaseWork[None]):
    """A task screen. Subclasses give ``TITLE_TEXT`` (an ``N_`` msgid) and ``compose_body``."""

    TITLE_TEXT = ""

    def __init__(self) -> None:
        super().__init__()
        self._composed_language = i18n.current_language()

    def compose(self) -> ComposeResult:
        self._composed_language = i18n.current_language()
        yield DutyBar(i18n._(self.TITLE_TEXT))
        yield from self.compose_body()
        yield DeskFooter()

    def compose_body(self) -> ComposeResult:
        yield from ()

    async def on_screen_resume(self) -> None:
        if self._composed_language != i18n.current_language():
            await self.recompose()
        self.refresh_view()

    def refresh_view(self) -> None:
        """Bring what the screen shows up to date (on return, after a language switch)."""

    def has_typing(self) -> bool:
        """Whether a form here holds typing that switching operator would throw away."""
        return False

    def recovery_draft(self) -> dict[str, Any] | None:
        """What to keep of this screen's typing if the app must stop (``deskapp.recovery``)."""
        return None

    def refresh_duty(self) -> None:
        for bar in self.query(DutyBar):
            bar.refresh_duty()


class SiteTurns:
    """For a screen that shows one site at a time of those the operator reads (their own
    first, then the sites granted to them): ``s`` (the screen's ``next_site`` binding)
    turns to the next, and is offered only to whoever reads several. The screen keeps
    ``sites`` and ``_site_index`` and shows the new site in ``show_next_site``."""

    sites: list[Any]
    _site_index: int

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "next_site":
            return len(self.sites) > 1
        return True

    def action_next_site(self) -> None:
        if len(self.sites) < 2:
            return
        self._site_index = (self._site_index + 1) % len(self.sites)
        self.show_next_site()

    def show_next_site(self) -> None:
        raise NotImplementedError

