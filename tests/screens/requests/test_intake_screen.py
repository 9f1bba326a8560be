"""Intake (F3) driven by keys like an operator on the phone; then the database is checked."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from textual.widgets import Input, Static, TextArea

from deskapp import i18n
from deskapp.app import DeskApp
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models import Operator, Unit
from deskapp.models.audit import AuditEntry
from deskapp.models.requests import ServiceRequest, StandingInstruction
from deskapp.screens.requests.intake import IntakeScreen
from deskapp.screens.requests.intake_choices import AdvancingChoiceBar, CallerBar
from deskapp.services import directory
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle
from deskapp.widgets.form import FormField
from deskapp.widgets.unit_picker import UnitPicker
from tests.screens.helpers import burst, settle, sign_in, wait_until

SUMMARY_WORDS = "lift stuck again"


class CountingPilot:
    """Presses keys through the real pilot and counts them, words apart."""

    def __init__(self, pilot: Any) -> None:
        self.pilot = pilot
        self.keys = 0
        self.word_keys = 0

    async def press(self, *keys: str) -> None:
        self.keys += len(keys)
        await self.pilot.press(*keys)
        await self.pilot.pause()

    async def type_words(self, text: str) -> None:
        self.word_keys += len(text)
        await self.pilot.press(*(" " if char == " " else char for char in text))
        await self.pilot.pause()


def _requests(desk: Desk) -> list[ServiceRequest]:
    with reading(desk.engine) as session:
        return list(session.exec(select(ServiceRequest)).all())


def _screen(app: DeskApp) -> IntakeScreen:
    assert isinstance(app.screen, IntakeScreen)
    return app.screen


def _error(app: DeskApp, field: str) -> str:
    for form_field in app.screen.query(FormField):
        if form_field.field == field:
            return str(form_field.query_one(".field-error", Static).render())
    raise AssertionError(f"no field {field}")


def _status(app: DeskApp) -> str:
    return str(app.screen.query_one("#intake-status", Static).render())


async def _open_intake(pilot: Any) -> None:
    await sign_in(pilot, at="intake")
    _screen(pilot.app)


async def test_a_phone_complaint_from_a_known_unit_by_keys(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_intake(pilot)
        screen = _screen(app)
        assert screen.focused is screen.query_one("#unit", UnitPicker).input
        await burst(pilot, *"3-2-12", "enter")
        await settle(pilot)
        panel = str(screen.query_one("#intake-unit-body", Static).render())
        assert "3-2-1201" in panel and "张伟" in panel and "张小红" in panel
        assert "150****2222" in panel and "15011112222" not in panel
        assert screen.focused is screen.query_one("#caller", CallerBar)
        await pilot.press("1")  # 张伟 is calling
        await settle(pilot)
        assert screen.query_one("#name", Input).value == "张伟"
        assert screen.query_one("#phone", Input).value == "15011112222"
        assert screen.focused is screen.query_one("#kind", AdvancingChoiceBar)
        await pilot.press("1")  # complaint
        await settle(pilot)
        assert screen.focused is screen.query_one("#summary", TextArea)
        await pilot.press(*SUMMARY_WORDS, "enter", *"since Monday")
        await pilot.press("ctrl+s")
        await settle(pilot)

        saved = _requests(staffed)
        assert len(saved) == 1
        request = saved[0]
        with reading(staffed.engine) as session:
            unit = session.get(Unit, request.unit_id)
            operator = session.get(Operator, request.owner_id)
            audits = session.exec(
                select(AuditEntry).where(col(AuditEntry.action) == "request.create")
            ).all()
        assert unit is not None and unit.code == "3-2-1201"
        assert request.kind == "complaint" and request.channel == "phone"
        assert request.summary == "lift stuck again\nsince Monday"
        assert request.contact_name == "张伟" and request.resident_id is not None
        assert operator is not None and operator.login == "wang"
        assert len(audits) == 1
        assert request.number in _status(app)
        assert "reply due" in _status(app)
        # The form is clear for the next call, the cursor back in the unit field.
        assert screen.query_one("#unit", UnitPicker).value == ""
        assert screen.query_one("#summary", TextArea).text == ""
        assert screen.query_one("#name", Input).value == ""
        assert screen.focused is screen.query_one("#unit", UnitPicker).input
        assert not screen.query_one("#field-caller").display


async def test_keystroke_budget_for_a_complaint_from_a_known_unit(staffed: Desk) -> None:
    """ux.md: at most 15 keys besides the words of the complaint, saved with one key."""
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await sign_in(pilot)
        keys = CountingPilot(pilot)
        await keys.press("f3")
        await keys.press(*"3-2-12")
        await keys.press("enter")  # takes 3-2-1201
        await keys.press("1")  # the caller: the first person of the unit
        await keys.press("1")  # kind: complaint
        await keys.type_words(SUMMARY_WORDS)
        await keys.press("ctrl+s")
        await settle(pilot)
        assert len(_requests(staffed)) == 1
        assert _requests(staffed)[0].kind == "complaint"
        assert keys.keys <= 15, keys.keys
        assert keys.keys == 11


async def test_a_visitor_without_a_unit_gives_name_and_phone(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_intake(pilot)
        screen = _screen(app)
        await pilot.press("enter")  # empty unit field: a visitor
        await settle(pilot)
        assert screen.focused is screen.query_one("#name", Input)
        assert "Visitor" in str(screen.query_one("#intake-unit-body", Static).render())
        await burst(pilot, *"Chen", "enter", *"13700001111", "enter")
        await settle(pilot)
        assert screen.focused is screen.query_one("#kind", AdvancingChoiceBar)
        await pilot.press("3")  # inquiry
        await burst(pilot, *"parking card price", "ctrl+s")
        await settle(pilot)
        saved = _requests(staffed)
        assert len(saved) == 1
        assert saved[0].unit_id is None and saved[0].contact_name == "Chen"
        assert saved[0].contact_phone == "13700001111" and saved[0].kind == "inquiry"


async def test_a_visitor_without_phone_is_refused_beside_the_phone(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_intake(pilot)
        screen = _screen(app)
        await pilot.press("enter", *"Chen", "enter", "enter", "3", *"parking", "ctrl+s")
        await settle(pilot)
        assert _requests(staffed) == []
        assert "phone" in _error(app, "phone")
        assert screen.focused is screen.query_one("#phone", Input)
        assert screen.query_one("#name", Input).value == "Chen"
        assert screen.query_one("#summary", TextArea).text == "parking"


async def _known_unit_form(pilot: Any) -> IntakeScreen:
    await _open_intake(pilot)
    await burst(pilot, *"1-1-101", "enter")
    await settle(pilot)
    await pilot.press("1", "2")  # 王芳 calling, a repair
    await settle(pilot)
    return _screen(pilot.app)


async def test_a_ten_thousand_character_summary_is_refused_and_kept(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _known_unit_form(pilot)
        long_text = "水" * 10_000
        screen.query_one("#summary", TextArea).text = long_text  # pasted
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _requests(staffed) == []
        assert "2000" in _error(app, "summary")
        assert screen.query_one("#summary", TextArea).text == long_text
        assert screen.focused is screen.query_one("#summary", TextArea)
        assert screen.query_one("#unit", UnitPicker).value == "1-1-101"
        assert "Not saved" in _status(app)


async def test_emoji_in_the_summary_is_refused_and_kept(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _known_unit_form(pilot)
        await burst(pilot, *"tap drips ")
        screen.query_one("#summary", TextArea).insert("😡")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _requests(staffed) == []
        assert "emoji" in _error(app, "summary")
        assert screen.query_one("#summary", TextArea).text == "tap drips 😡"


async def test_control_characters_in_the_subject_are_refused_and_kept(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _known_unit_form(pilot)
        await burst(pilot, *"tap drips")
        subject = screen.query_one("#subject", Input)
        subject.value = "tap\x07\x1b[2J"  # pasted with a bell and an escape sequence
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert _requests(staffed) == []
        assert _error(app, "subject")
        assert screen.focused is subject
        assert subject.value == "tap\x07\x1b[2J"
        assert screen.query_one("#summary", TextArea).text == "tap drips"


async def test_a_unit_that_does_not_exist_is_refused_beside_the_unit(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_intake(pilot)
        screen = _screen(app)
        await burst(pilot, *"9-9-999", "enter")
        await settle(pilot)
        assert "9-9-999" in _error(app, "unit")
        await pilot.press("tab", "tab", "tab", "2", *"no water", "ctrl+s")
        await settle(pilot)
        assert _requests(staffed) == []
        assert "9-9-999" in _error(app, "unit")
        assert screen.query_one("#unit", UnitPicker).value == "9-9-999"
        assert screen.query_one("#summary", TextArea).text == "no water"


async def test_a_phone_that_is_not_a_phone_is_refused_and_kept(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_intake(pilot)
        screen = _screen(app)
        await pilot.press("enter", *"Chen", "enter", *"12ab", "enter", "3", *"parking", "ctrl+s")
        await settle(pilot)
        assert _requests(staffed) == []
        assert "12ab" in _error(app, "phone")
        assert screen.query_one("#phone", Input).value == "12ab"


async def test_esc_with_typed_text_asks_before_clearing(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _known_unit_form(pilot)
        await burst(pilot, *"tap drips", "escape")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#summary", TextArea).text == "tap drips"
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert screen.query_one("#summary", TextArea).text == ""
        assert screen.query_one("#unit", UnitPicker).value == ""
        assert _requests(staffed) == []


async def test_esc_in_the_unit_dropdown_only_closes_it(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_intake(pilot)
        screen = _screen(app)
        await burst(pilot, *"1-1", "escape")
        await settle(pilot)
        assert app.screen is screen
        assert screen.query_one("#unit", UnitPicker).value == "1-1"


async def test_language_switch_keeps_what_was_typed(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _known_unit_form(pilot)
        await burst(pilot, *"tap drips", "tab", *"kitchen tap")
        await pilot.press("f12")
        await settle(pilot)
        assert i18n.current_language() == "zh_CN"
        assert screen.query_one("#summary", TextArea).text == "tap drips"
        assert screen.query_one("#subject", Input).value == "kitchen tap"
        assert screen.query_one("#unit", UnitPicker).value == "1-1-101"
        assert screen.query_one("#name", Input).value == "王芳"
        assert screen.query_one("#kind", AdvancingChoiceBar).value == "repair"
        assert "王芳" in str(screen.query_one("#intake-unit-body", Static).render())
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = _requests(staffed)
        assert len(saved) == 1 and saved[0].subject == "kitchen tap"
        assert saved[0].resident_id is not None
        assert saved[0].number in _status(app)


async def test_nature_and_subject_show_for_complaints_only(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _known_unit_form(pilot)  # a repair
        assert not screen.query_one("#field-nature").display
        await pilot.press("ctrl+up")
        await pilot.press("1")  # complaint
        await settle(pilot)
        assert screen.query_one("#field-nature").display
        await burst(pilot, *"rude guard", "tab", "tab", "enter", "1", "2")
        await pilot.press("ctrl+s")
        await settle(pilot)
        saved = _requests(staffed)
        assert len(saved) == 1
        assert saved[0].nature == "valid" and saved[0].complaint_subject == "attitude"


async def test_the_unit_panel_shows_open_requests_and_instructions(staffed: Desk) -> None:
    now = staffed.clock.now()
    with transaction(staffed.engine) as session:
        operator = session.exec(select(Operator).where(Operator.login == "li")).one()
        unit = directory.get_unit(session, acting=Acting(staffed.site_id), code="1-1-102")
        lifecycle.create_request(
            session, acting=Acting(staffed.site_id, operator), settings=staffed.settings, now=now,
            kind="repair", summary="door lock broken", unit_id=unit.id,
            subject="door lock",
        )
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_intake(pilot)
        screen = _screen(app)
        await burst(pilot, *"4321", "enter")  # 李明's phone digits
        await settle(pilot)
        panel = str(screen.query_one("#intake-unit-body", Static).render())
        assert "door lock" in panel and "Open requests (1)" in panel
        assert screen.query_one("#caller", CallerBar).value != ""
        assert screen.query_one("#name", Input).value == "李明"
        # ctrl+t: a standing instruction for this unit, in a small dialog.
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("1")
        await settle(pilot)
        await burst(pilot, *"2026-12-31", "enter", *"spare key with guard", "ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        panel = str(screen.query_one("#intake-unit-body", Static).render())
        assert "permission to enter" in panel and "2026-12-31" in panel
        with reading(staffed.engine) as session:
            instruction = session.exec(select(StandingInstruction)).one()
        assert instruction.unit_id == unit.id and instruction.text == "spare key with guard"


async def test_an_instruction_in_the_past_is_refused_in_the_dialog(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _known_unit_form(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)
        await burst(pilot, *"2020-01-01", "ctrl+s")
        await settle(pilot)
        assert "past" in _error(app, "expires_on")
        assert app.screen.query_one("#instruction-until", Input).value == "2020-01-01"


async def test_ctrl_t_without_a_unit_says_to_pick_one(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_intake(pilot)
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, IntakeScreen)
        assert "Pick a unit" in _error(app, "unit")


async def test_ctrl_r_cycles_the_standard_phrases(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_intake(pilot)
        hint = app.screen.query_one("#intake-phrase", Static)
        before = str(hint.render())
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert str(hint.render()) != before
        assert "May I have your building" in str(hint.render()) or "name" in str(hint.render())


async def test_f1_lists_the_intake_keys(staffed: Desk) -> None:
    from textual.widgets import DataTable

    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_intake(pilot)
        await pilot.press("f1")
        await settle(pilot)
        table = app.screen.query_one("#help-keys", DataTable)
        does = {str(table.get_row_at(row)[1]) for row in range(table.row_count)}
        assert {"Save", "Clear", "Phrase", "Instruction", "Next field"} <= does


async def test_keys_typed_faster_than_the_cursor_moves_go_to_the_next_field(
    staffed: Desk,
) -> None:
    """A quick "1 1 text" (all keys queued before the screen catches up) loses nothing."""
    from textual import events

    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await _open_intake(pilot)
        await burst(pilot, *"3-2-12", "enter")
        await settle(pilot)
        for character in "11ab":
            app.post_message(events.Key(character, character))
        screen = _screen(app)
        await wait_until(
            pilot, lambda: screen.query_one("#summary", TextArea).text == "ab",
            "the burst's last keys in the summary",
        )
        screen = _screen(app)
        assert screen.query_one("#caller", CallerBar).value != ""
        assert screen.query_one("#kind", AdvancingChoiceBar).value == "complaint"
        assert screen.query_one("#summary", TextArea).text == "ab"
