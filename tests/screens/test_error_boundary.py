"""A database that cannot work now, or an error nobody foresaw, costs the operator
nothing: one line says what happened, the form keeps every character typed, and a
later save goes through (issue: a locked database crashed the app, the call was lost)."""

from __future__ import annotations

import contextlib
import socket
import sqlite3
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import select
from textual.widgets import Static, TextArea

from deskapp.app import DeskApp
from deskapp.config import load_settings
from deskapp.db import reading
from deskapp.desk import Desk, open_desk
from deskapp.models.requests import ServiceRequest
from deskapp.screens.requests.intake import IntakeScreen
from deskapp.services.clock import FixedClock
from deskapp.widgets.unit_picker import UnitPicker
from tests.conftest import DESK_MORNING, PG_URL
from tests.screens.conftest import staff
from tests.screens.helpers import burst, settle, sign_in


def saved_requests(desk: Desk) -> list[ServiceRequest]:
    with reading(desk.engine) as session:
        return list(session.exec(select(ServiceRequest)).all())


def notices(app: DeskApp) -> str:
    return "\n".join(str(notice.message) for notice in app._notifications)


async def type_a_call(pilot: object, app: DeskApp) -> IntakeScreen:
    await pilot.press("f3")  # type: ignore[attr-defined]
    await settle(pilot)  # type: ignore[arg-type]
    screen = app.screen
    assert isinstance(screen, IntakeScreen)
    await burst(pilot, *"1-1-101", "enter", "1", "2")  # type: ignore[arg-type]
    await settle(pilot)  # type: ignore[arg-type]
    screen.query_one("#summary", TextArea).text = "厨房水管漏水 kitchen pipe leaking"
    return screen


async def test_a_save_while_another_desk_holds_the_write_lock(quick_lock_desk: Desk) -> None:
    desk = quick_lock_desk
    app = DeskApp(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        screen = await type_a_call(pilot, app)
        other_desk = sqlite3.connect(str(Path(desk.settings.data_dir) / "desk.db"),
                                     isolation_level=None)
        other_desk.execute("BEGIN IMMEDIATE")
        try:
            await pilot.press("ctrl+s")
            await settle(pilot)
            status = str(screen.query_one("#intake-status", Static).render())
            assert "busy" in status and "Nothing was saved" in status
            assert saved_requests(desk) == []
            # Every character typed is still there, and the app still runs.
            assert screen.query_one("#summary", TextArea).text.startswith("厨房水管漏水")
            assert screen.query_one(UnitPicker).value == "1-1-101"
            assert app.is_running and app.screen is screen
        finally:
            other_desk.execute("ROLLBACK")
            other_desk.close()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [request.summary for request in saved_requests(desk)] == [
            "厨房水管漏水 kitchen pipe leaking"]
        assert "Saved" in str(screen.query_one("#intake-status", Static).render())


async def test_the_dashboard_shows_its_counts_while_another_desk_holds_the_lock(
    quick_lock_desk: Desk,
) -> None:
    app = DeskApp(quick_lock_desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        other_desk = sqlite3.connect(
            str(Path(quick_lock_desk.settings.data_dir) / "desk.db"), isolation_level=None)
        other_desk.execute("BEGIN IMMEDIATE")
        try:
            app.screen.refresh_view()  # type: ignore[attr-defined]
            await settle(pilot)
            note = str(app.screen.query_one("#dashboard-note", Static).render())
            assert "busy" in note
            units = str(app.screen.query_one("#tile-units .tile-value", Static).render())
            assert units == "3"
        finally:
            other_desk.execute("ROLLBACK")
            other_desk.close()


async def test_an_unexpected_error_in_database_work_is_logged_and_the_form_kept(
    staffed: Desk,
) -> None:
    app = DeskApp(staffed, survive_errors=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        screen = await type_a_call(pilot, app)

        def broken() -> None:
            raise RuntimeError("a defect nobody foresaw")

        screen.run_db(broken, name="save")
        await settle(pilot)
        assert app.is_running and app.screen is screen
        assert str(app.error_log) in notices(app)
        assert "a defect nobody foresaw" in app.error_log.read_text(encoding="utf-8")
        assert screen.query_one("#summary", TextArea).text.startswith("厨房水管漏水")


async def test_a_crash_in_a_key_handler_keeps_the_draft_for_the_next_start(
    staffed: Desk,
) -> None:
    app = DeskApp(staffed, survive_errors=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        screen = await type_a_call(pilot, app)

        def broken_save() -> None:
            raise RuntimeError("a defect in a handler")

        screen.action_save = broken_save  # type: ignore[method-assign]
        # pilot.press would wait for a screen that no longer answers: send the key alone.
        await app._press_keys(["ctrl+s"])
    # The app ended with one line, not a traceback, and logged the details.
    assert app.return_code == 1
    assert "a defect in a handler" in app.error_log.read_text(encoding="utf-8")
    assert saved_requests(staffed) == []

    again = DeskApp(staffed)
    async with again.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f3")
        await settle(pilot)
        restored = again.screen
        assert isinstance(restored, IntakeScreen)
        assert restored.query_one("#summary", TextArea).text == "厨房水管漏水 kitchen pipe leaking"
        assert restored.query_one(UnitPicker).value == "1-1-101"
        assert "back" in str(restored.query_one("#intake-status", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
    assert [request.summary for request in saved_requests(staffed)] == [
        "厨房水管漏水 kitchen pipe leaking"]


class ClosablePort:
    """A TCP port forwarding to the PostgreSQL server that can be closed and reopened,
    so a server going away mid-session is simulated without stopping the real one."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.open = True
        self.links: list[socket.socket] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if not self.open:
                client.close()
                continue
            server = socket.create_connection(self.target)
            with self._lock:
                self.links += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """The server is gone: every connection drops, new ones are refused."""
        self.open = False
        with self._lock:
            for link in self.links:
                with contextlib.suppress(OSError):
                    link.shutdown(socket.SHUT_RDWR)
                link.close()
            self.links.clear()

    def reopen(self) -> None:
        self.open = True

    def stop(self) -> None:
        self.close()
        self.listener.close()


@dataclass
class DeskBehindPort:
    desk: Desk
    port: ClosablePort


@pytest.fixture
def desk_behind_port(pg_migrated: str, tmp_path: Path) -> Iterator[DeskBehindPort]:
    """A staffed PostgreSQL desk reached through a ``ClosablePort``: ``port.close()``
    is the server going away, ``port.reopen()`` its coming back."""
    from sqlalchemy import make_url

    from tests.conftest import _empty_pg

    _empty_pg(pg_migrated)
    url = make_url(pg_migrated)
    port = ClosablePort((url.host or "127.0.0.1", url.port or 5432))
    proxied = url.set(host="127.0.0.1", port=port.port).render_as_string(hide_password=False)
    settings = load_settings(data_dir=tmp_path, database_url=proxied,
                             password_hash_profile="cheapest")
    desk = staff(open_desk(settings, clock=FixedClock(DESK_MORNING)))
    try:
        yield DeskBehindPort(desk, port)
    finally:
        desk.engine.dispose()
        port.stop()


@pytest.mark.skipif(not PG_URL, reason="needs DESKAPP_TEST_DATABASE_URL (PostgreSQL)")
async def test_the_postgresql_server_going_away_mid_session(
    desk_behind_port: DeskBehindPort,
) -> None:
    desk, port = desk_behind_port.desk, desk_behind_port.port
    app = DeskApp(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        screen = await type_a_call(pilot, app)
        port.close()
        await pilot.press("ctrl+s")
        await settle(pilot)
        status = str(screen.query_one("#intake-status", Static).render())
        shown = status + notices(app)
        assert "connection to the database was lost" in shown or "Not saved" in shown
        assert app.is_running
        assert screen.query_one("#summary", TextArea).text.startswith("厨房水管漏水")
        port.reopen()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "Saved" in str(screen.query_one("#intake-status", Static).render())
    assert [request.summary for request in saved_requests(desk)] == [
        "厨房水管漏水 kitchen pipe leaking"]


@pytest.mark.skipif(not PG_URL, reason="needs DESKAPP_TEST_DATABASE_URL (PostgreSQL)")
async def test_reads_while_the_postgresql_server_is_gone_say_so_and_the_desk_runs_on(
    desk_behind_port: DeskBehindPort,
) -> None:
    """The directory's search reads on every key; with the server gone the read says
    so in one line, the app keeps running, and once the server is back the same search
    answers again."""
    from textual.widgets import DataTable, Input

    from deskapp.screens.directory import DirectoryScreen

    desk, port = desk_behind_port.desk, desk_behind_port.port
    app = DeskApp(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f9")
        await settle(pilot)
        directory = app.screen
        assert isinstance(directory, DirectoryScreen)
        port.close()
        app.clear_notifications()
        directory.query_one("#directory-search", Input).focus()
        await burst(pilot, *"1-1")
        await settle(pilot)
        assert "connection to the database was lost" in notices(app).lower()
        assert app.is_running and app.screen is directory
        await pilot.press("f3")  # a task key while the server is gone: it says so
        await settle(pilot)
        assert app.screen is directory
        port.reopen()
        await pilot.press("-", "1")
        await settle(pilot)
        assert directory.query_one("#directory-hits", DataTable).row_count >= 1


@contextlib.contextmanager
def storage_refusing(desk: Desk, pragma: str) -> Iterator[None]:
    """Every new connection of the desk's engine gets ``pragma``: a disk that is full
    (``max_page_count`` at the file's size) or a database that became read-only."""
    from sqlalchemy import event

    def restrict(connection: object, _record: object) -> None:
        cursor = connection.cursor()  # type: ignore[attr-defined]
        if pragma == "full":
            pages = cursor.execute("PRAGMA page_count").fetchone()[0]
            cursor.execute(f"PRAGMA max_page_count = {pages}")
        else:
            cursor.execute("PRAGMA query_only = 1")
        cursor.close()

    desk.engine.dispose()
    if pragma == "full":  # no free page left inside the file: a save needs a new one
        with contextlib.closing(sqlite3.connect(str(Path(desk.settings.data_dir) / "desk.db"),
                                                isolation_level=None)) as vacuum:
            vacuum.execute("VACUUM")
    event.listen(desk.engine, "connect", restrict)
    try:
        yield
    finally:
        event.remove(desk.engine, "connect", restrict)
        desk.engine.dispose()


@pytest.mark.parametrize(("pragma", "said"), [
    ("full", "The disk of the database is full"),
    ("read_only", "The database is read-only"),
])
async def test_a_full_disk_or_a_read_only_database_keeps_the_call_typed(
    staffed: Desk, pragma: str, said: str,
) -> None:
    """Issue 18, point 8: one line says what is wrong, nothing is half saved, every
    character typed stays, and the same ctrl+s saves once the storage is back."""
    app = DeskApp(staffed, watch_changes=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        screen = await type_a_call(pilot, app)
        # A long account of the call: its row needs pages the full disk has not got.
        summary = "厨房水管漏水 kitchen pipe leaking " + "楼上卫生间渗水到厨房吊顶，" * 120
        screen.query_one("#summary", TextArea).text = summary
        with storage_refusing(staffed, pragma):
            await pilot.press("ctrl+s")
            await settle(pilot)
            status = str(screen.query_one("#intake-status", Static).render())
            assert said in status and "Nothing was saved" in status
            assert "\n".join(strip.text for strip in screen._compositor.render_strips()
                             ).count(said[:20]) >= 1  # on the screen, not only in a widget
            assert app.is_running and app.screen is screen
            assert screen.query_one("#summary", TextArea).text == summary
            assert screen.query_one(UnitPicker).value == "1-1-101"
        assert saved_requests(staffed) == []
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert [request.summary for request in saved_requests(staffed)] == [summary.strip()]
