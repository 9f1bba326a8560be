"""One request by keys: its card, the steps from the step menu, refusals, work orders, print."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import Static

from deskapp.app import DeskApp
from deskapp.db import reading
from deskapp.desk import Desk
from deskapp.models.requests import ServiceRequest, WorkOrder
from deskapp.screens.requests.detail import RequestScreen
from deskapp.screens.requests.dialogs import MENU_KEYS, StepMenu, StepModal
from deskapp.screens.requests.queue import QueueScreen
from deskapp.services.acting import Acting
from deskapp.services.requests.views import request_card
from tests.screens.helpers import burst, settle
from tests.screens.requests.test_queue_screen import advance, new_request, sign_in


async def open_request(pilot: Pilot[None], request_id: int) -> RequestScreen:
    await sign_in(pilot, at="queue")
    queue = pilot.app.screen
    assert isinstance(queue, QueueScreen)
    queue.open_request(request_id)
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, RequestScreen)
    return screen


async def step(pilot: Pilot[None], key: str) -> StepModal:
    """Open the step menu (ctrl+t) and press the key shown before ``key``."""
    await pilot.press("ctrl+t")
    await settle(pilot)
    menu = pilot.app.screen
    assert isinstance(menu, StepMenu)
    keys = [entry.key for entry in menu._entries]
    assert key in keys, keys
    await pilot.press(MENU_KEYS[keys.index(key)])
    await settle(pilot)
    modal = pilot.app.screen
    assert isinstance(modal, StepModal)
    return modal


def status_of(desk: Desk, request_id: int | None) -> ServiceRequest:
    assert request_id is not None
    with reading(desk.engine) as session:
        request = session.get(ServiceRequest, request_id)
        assert request is not None
        session.expunge(request)
        return request


def text_of(screen: RequestScreen, section: str) -> str:
    return str(screen.query_one(f"#request-{section}", Static).render())


async def test_the_card_shows_the_phone_in_full_and_every_deadline(staffed: Desk) -> None:
    leak = new_request(staffed, summary="卫生间漏水")
    advance(staffed, timedelta(hours=25))
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_request(pilot, leak.id or 0)
        assert "13812345678" in text_of(screen, "header")
        assert leak.number in text_of(screen, "header")
        deadlines = text_of(screen, "deadlines")
        assert "⚠ overdue 1 h 0 min" in deadlines
        assert "reply to the resident" in deadlines
        assert "Received" in text_of(screen, "timeline")
        assert "dispatch" in text_of(screen, "steps")


async def test_a_complaint_through_its_whole_life_by_keys(staffed: Desk) -> None:
    leak = new_request(staffed, summary="卫生间漏水")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_request(pilot, leak.id or 0)

        await step(pilot, "dispatch")
        await pilot.press("1", "enter", *"Zhang", "ctrl+s")  # engineering, a person
        await settle(pilot)
        request = status_of(staffed, leak.id)
        assert (request.status, request.department, request.assignee) == (
            "dispatched", "engineering", "Zhang")
        assert "department replies" in text_of(screen, "deadlines")

        await step(pilot, "department_reply")
        await burst(pilot, *"已更换水管", "ctrl+s")
        await settle(pilot)
        assert status_of(staffed, leak.id).department_reply == "已更换水管"

        await step(pilot, "answer")
        await burst(pilot, *"已告知业主", "ctrl+s")
        await settle(pilot)
        assert status_of(staffed, leak.id).status == "answered"

        await step(pilot, "resolve")
        await burst(pilot, *"已修好", "ctrl+s")
        await settle(pilot)
        assert status_of(staffed, leak.id).status == "resolved"
        assert "revisit" in text_of(screen, "deadlines")

        # closing before the revisit is refused, with the service's reason in the dialog
        modal = await step(pilot, "close")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        refusal = str(modal.query_one("#step-error", Static).render())
        assert "revisit" in refusal and "record it before closing" in refusal
        assert status_of(staffed, leak.id).status == "resolved"
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen

        # an unsatisfied revisit reopens the request
        await step(pilot, "revisit")
        await pilot.press("3", "enter", *"仍然漏水", "ctrl+s")
        await settle(pilot)
        request = status_of(staffed, leak.id)
        assert request.status == "reopened"
        assert "unsatisfied" in text_of(screen, "revisits")
        assert "Reopened" in text_of(screen, "timeline")

        # void, with a reason and a yes
        await step(pilot, "void")
        await burst(pilot, *"重复登记", "ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        request = status_of(staffed, leak.id)
        assert (request.status, request.voided_reason) == ("voided", "重复登记")
        assert app.screen is screen
        assert "Voided" in text_of(screen, "timeline")


async def test_an_unsatisfied_revisit_needs_remarks_beside_the_field(staffed: Desk) -> None:
    leak = new_request(staffed, summary="噪音")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_request(pilot, leak.id or 0)
        await step(pilot, "resolve")
        await burst(pilot, *"done", "ctrl+s")
        await settle(pilot)
        modal = await step(pilot, "revisit")
        await pilot.press("3", "ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        error = str(modal.query_one("#field-remarks .field-error", Static).render())
        assert error.startswith("✗")
        assert status_of(staffed, leak.id).status == "resolved"


async def test_void_needs_a_reason_and_nothing_is_lost(staffed: Desk) -> None:
    leak = new_request(staffed, summary="噪音")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_request(pilot, leak.id or 0)
        modal = await step(pilot, "void")
        await pilot.press("ctrl+s", "y")
        await settle(pilot)
        assert app.screen is modal
        assert "✗" in str(modal.query_one("#field-reason .field-error", Static).render())
        assert status_of(staffed, leak.id).status == "received"
        # typed text is not thrown away without asking
        await burst(pilot, *"abc", "escape")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is modal


async def test_a_repair_work_order_from_opening_to_print(staffed: Desk) -> None:
    repair = new_request(staffed, kind="repair", summary="厨房水龙头漏水", subject="水龙头漏水")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_request(pilot, repair.id or 0)
        # an appointment in the past is refused beside its field
        await pilot.press("ctrl+g")
        await settle(pilot)
        modal = app.screen
        assert isinstance(modal, StepModal)
        appointment = modal.query_one("#step-appointment_at")
        appointment.value = "2026-11-22 09:00"  # type: ignore[attr-defined]
        modal.query_one("#step-technician").value = "刘师傅"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is modal
        error = str(modal.query_one("#field-appointment_at .field-error", Static).render())
        assert "past" in error
        appointment.value = "2026-11-23 14:00"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        with reading(staffed.engine) as session:
            order = session.exec(
                __import__("sqlmodel").select(WorkOrder)
                .where(WorkOrder.request_id == repair.id)).one()
            assert (order.technician, order.status) == ("刘师傅", "open")
        assert "technician arrives" in text_of(screen, "deadlines")

        await pilot.press("ctrl+g")  # next: the technician arrived (now)
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+g")  # work started
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+g")  # completed
        await settle(pilot)
        await burst(pilot, *"换了阀芯", "ctrl+s")
        await settle(pilot)
        await pilot.press("ctrl+g")  # confirmation and rating
        await settle(pilot)
        rating = app.screen
        assert isinstance(rating, StepModal)
        rating.query_one("#step-rating").value = "5"  # type: ignore[attr-defined]
        await pilot.press("ctrl+s")
        await settle(pilot)
        with reading(staffed.engine) as session:
            order = session.exec(
                __import__("sqlmodel").select(WorkOrder)
                .where(WorkOrder.request_id == repair.id)).one()
            assert (order.status, order.rating, order.confirmed_by) == ("confirmed", 5, "王芳")
            assert order.completion_result == "换了阀芯"

        await pilot.press("ctrl+r")
        await settle(pilot)
        prints = Path(staffed.settings.data_dir) / "prints"
        pdfs = sorted(prints.glob("work-order-*.pdf"))
        assert [path.name for path in pdfs] == [f"work-order-{repair.number}-{order.id}.pdf"]
        receipt = (prints / pdfs[0].name.replace(".pdf", ".txt")).read_text(encoding="utf-8")
        assert "刘师傅" in receipt and "换了阀芯" in receipt


async def test_escape_returns_to_the_queue_and_task_keys_leave_the_request(staffed: Desk) -> None:
    leak = new_request(staffed, summary="噪音")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_request(pilot, leak.id or 0)
        await pilot.press("f9")
        await settle(pilot)
        assert type(app.screen).__name__ == "DirectoryScreen"
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        assert not any(isinstance(screen, RequestScreen) for screen in app.screen_stack)


def test_the_card_lists_the_steps_of_the_status(staffed: Desk) -> None:
    leak = new_request(staffed, summary="噪音")
    with reading(staffed.engine) as session:
        card = request_card(session, acting=Acting(staffed.site_id), request_id=leak.id or 0,
                            now=staffed.clock.now())
    assert "close" not in card.steps and "dispatch" in card.steps


async def test_a_step_while_another_desk_holds_the_write_lock(quick_lock_desk: Desk) -> None:
    """The step's save waits in a thread: one line says the database is busy, the note
    stays typed in the dialog, and once the lock is gone the same ctrl+s saves it."""
    from textual.widgets import TextArea

    from tests.screens.conftest import write_lock_held

    desk = quick_lock_desk
    leak = new_request(desk, summary="卫生间漏水")
    app = DeskApp(desk)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_request(pilot, leak.id or 0)
        modal = await step(pilot, "note")
        modal.query_one("#step-text", TextArea).text = "已电话联系业主，明早上门"
        with write_lock_held(desk):
            await pilot.press("ctrl+s")
            await settle(pilot)
            assert "busy" in str(modal.query_one("#step-error", Static).render())
            assert app.screen is modal
            assert modal.query_one("#step-text", TextArea).text == "已电话联系业主，明早上门"
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        assert "已电话联系业主，明早上门" in text_of(screen, "timeline")
