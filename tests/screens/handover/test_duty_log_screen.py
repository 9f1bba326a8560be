"""The duty log (F10), driven by keys: the shift heading, an entry written and shown,
refusals beside their field, the search over every shift, stepping between shifts,
and the screen redrawn on return."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, Static, TextArea

from deskapp.app import DeskApp
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models.handover import DutyLogEntry
from deskapp.screens.handover.duty_log import DutyEntryForm, DutyLogScreen
from deskapp.services import operators
from deskapp.services.acting import Acting
from deskapp.services.handover import dutylog, shifts
from deskapp.services.handover.dutylog import DutyLine
from deskapp.services.workcalendar import WorkCalendar
from deskapp.widgets.confirm import ConfirmModal
from deskapp.widgets.form import FormField
from tests.screens.helpers import burst, settle, sign_in

# DESK_MORNING is 10:00 in Beijing: the 08:00–16:00 shift. Eight hours back is the
# night shift (00:00–08:00), sixteen hours back yesterday's evening (16:00–00:00).
NIGHT = timedelta(hours=8)
EVENING = timedelta(hours=16)


def write(desk: Desk, text: str, *, login: str = "li", ago: timedelta = timedelta(minutes=30),
          anomaly: bool = False, unit: str = "") -> None:
    """An entry written at another desk (or earlier), through the service."""
    with transaction(desk.engine) as session:
        actor = operators.get_operator(session, acting=Acting(desk.site_id), login=login)
        dutylog.write_entry(session, acting=Acting(desk.site_id, actor),
                            now=desk.clock.now() - ago, settings=desk.settings, text=text,
                            anomaly=anomaly, unit=unit)


def current_log(desk: Desk) -> list[DutyLine]:
    times = shifts.times_at(WorkCalendar.from_settings(desk.settings), desk.clock.now())
    with reading(desk.engine) as session:
        shift = shifts.shift_starting(session, acting=Acting(desk.site_id),
                                      starts_at=times.starts_at)
        if shift is None or shift.id is None:
            return []
        return dutylog.shift_log(session, acting=Acting(desk.site_id), shift_id=shift.id).rows


def screen_text(app: DeskApp) -> str:
    """What the terminal shows now, as the compositor renders it."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())


def rows(screen: DutyLogScreen) -> list[list[str]]:
    table = screen.query_one("#duty-table", DataTable)
    return [[str(cell) for cell in table.get_row_at(index)] for index in range(table.row_count)]


def texts(screen: DutyLogScreen) -> list[str]:
    return [row[-1] for row in rows(screen)]


def heading(screen: DutyLogScreen) -> str:
    return str(screen.query_one("#duty-shift", Static).render())


def field_error(form: DutyEntryForm, field: str) -> str:
    return str(form.query_one(f"#field-{field}", FormField).query_one(".field-error", Static)
               .render())


async def open_log(pilot: Pilot[None]) -> DutyLogScreen:
    await sign_in(pilot, at="duty_log")
    screen = pilot.app.screen
    assert isinstance(screen, DutyLogScreen)
    return screen


async def open_form(pilot: Pilot[None]) -> DutyEntryForm:
    await pilot.press("ctrl+n")
    await settle(pilot)
    form = pilot.app.screen
    assert isinstance(form, DutyEntryForm)
    return form


async def test_f10_from_the_dashboard_shows_the_current_shift_and_who_worked_it(
    staffed: Desk,
) -> None:
    write(staffed, "巡查一遍，大堂正常")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert isinstance(app.screen, DutyLogScreen)
        shown = screen_text(app)
        assert shown.splitlines()[0].lstrip().startswith("Duty log")
        assert "Shift 08:00–16:00  (now)" in shown
        assert "Worked by: 李娜" in shown
        assert "巡查一遍，大堂正常" in shown and "09:30" in shown


async def test_an_anomaly_written_by_keys_is_listed_and_kept(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_log(pilot)
        assert texts(screen) == []
        await open_form(pilot)
        await burst(pilot, *"1号楼电梯困人", "enter", *"已通知维保", "tab", "a", "enter",
                    *"1-1-101", "enter")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is screen
        [row] = rows(screen)
        assert row[1] == "⚠ anomaly" and row[2] == "王芳" and row[3] == "1-1-101"
        assert row[-1] == "1号楼电梯困人 ↵ 已通知维保"
        # The pane under the list shows the entry whole, its two lines as typed.
        assert "1号楼电梯困人\n已通知维保" in str(screen.query_one("#duty-entry", Static).render())
        assert "Worked by: 王芳" in heading(screen)
    [line] = current_log(staffed)
    assert (line.text, line.anomaly, line.unit_code, line.operator_name) == (
        "1号楼电梯困人\n已通知维保", True, "1-1-101", "王芳")


async def test_a_bad_record_is_refused_beside_its_field_and_the_text_kept(
    staffed: Desk,
) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_log(pilot)
        form = await open_form(pilot)
        await burst(pilot, *"住户来电询问快递", "tab", "tab", "tab", *"26112-01")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "26112-01 is neither a request number" in field_error(form, "record")
        assert form.query_one("#duty-text", TextArea).text == "住户来电询问快递"
        assert app.focused is form.query_one("#duty-record", Input)
        # A request number nobody has is refused beside the record too.
        await pilot.press("ctrl+u")
        await burst(pilot, *"261123-0009")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "No request has the number 261123-0009" in field_error(form, "record")
        # Esc with typing asks first; "n" keeps the form as typed.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("n")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#duty-text", TextArea).text == "住户来电询问快递"
    assert current_log(staffed) == []


async def test_an_empty_text_is_refused_beside_the_text(staffed: Desk) -> None:
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_log(pilot)
        form = await open_form(pilot)
        await pilot.press(*"   ", "tab", "a", "ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "fill this in" in field_error(form, "text")
        assert app.focused is form.query_one("#duty-text", TextArea)
        # Nothing typed: esc leaves without asking.
        form.query_one("#duty-text", TextArea).text = ""
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen
    assert current_log(staffed) == []


async def test_search_finds_only_matching_entries_of_every_shift_and_esc_leaves_it(
    staffed: Desk,
) -> None:
    write(staffed, "2号楼电梯异响，已报修", ago=EVENING, anomaly=True)
    write(staffed, "快递柜满了")
    write(staffed, "电梯按钮失灵，已通知维保")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_log(pilot)
        assert texts(screen) == ["快递柜满了", "电梯按钮失灵，已通知维保"]
        await pilot.press("/", *"电梯")
        await settle(pilot)
        # Every shift, newest first; what does not match is gone.
        assert texts(screen) == ["电梯按钮失灵，已通知维保", "2号楼电梯异响，已报修"]
        assert "“电梯”" in heading(screen)
        assert "快递柜满了" not in screen_text(app)
        # Enter on the older hit: its own shift, with the hit chosen.
        await pilot.press("enter", "down", "enter")
        await settle(pilot)
        assert heading(screen).startswith("Shift yesterday 16:00–00:00")
        assert texts(screen) == ["2号楼电梯异响，已报修"]
        await pilot.press("/", *"快递")
        await settle(pilot)
        assert texts(screen) == ["快递柜满了"]
        await pilot.press("escape")
        await settle(pilot)
        assert screen.query_one("#duty-search", Input).value == ""
        assert heading(screen).startswith("Shift yesterday 16:00–00:00")
        assert texts(screen) == ["2号楼电梯异响，已报修"]


async def test_previous_and_next_shift_keys_step_through_the_shifts(staffed: Desk) -> None:
    write(staffed, "晚班：车库灯坏了两盏", ago=EVENING, login="zhao")
    write(staffed, "夜班：巡查正常", ago=NIGHT)
    write(staffed, "早班：收到快递三件", login="wang")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_log(pilot)
        assert heading(screen).startswith("Shift 08:00–16:00  (now)")
        # Nothing comes after the shift running now.
        await pilot.press("]")
        await settle(pilot)
        assert texts(screen) == ["早班：收到快递三件"]
        await pilot.press("[")
        await settle(pilot)
        assert heading(screen).startswith("Shift 00:00–08:00  ·  Worked by: 李娜")
        assert texts(screen) == ["夜班：巡查正常"]
        await pilot.press("[")
        await settle(pilot)
        assert heading(screen).startswith("Shift yesterday 16:00–00:00  ·  Worked by: 赵")
        assert texts(screen) == ["晚班：车库灯坏了两盏"]
        # Typed in the search field, "[" and "]" are characters, not keys.
        await pilot.press("/", "]")
        await settle(pilot)
        assert screen.query_one("#duty-search", Input).value == "]"
        await pilot.press("escape", "]", "]")
        await settle(pilot)
        assert heading(screen).startswith("Shift 08:00–16:00  (now)")
        assert texts(screen) == ["早班：收到快递三件"]


async def test_f10_after_f2_redraws_the_log_with_what_was_written_meanwhile(
    staffed: Desk,
) -> None:
    write(staffed, "大堂保洁完毕")
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        await sign_in(pilot)
        await pilot.press("f10")
        await settle(pilot)
        assert "大堂保洁完毕" in screen_text(app)
        await pilot.press("f2")
        await settle(pilot)
        assert not isinstance(app.screen, DutyLogScreen)
        write(staffed, "3-2-1201 漏水，已报修", ago=timedelta(minutes=5), anomaly=True,
              unit="3-2-1201")
        await pilot.press("f10")
        await settle(pilot)
        shown = screen_text(app)
        assert shown.splitlines()[0].lstrip().startswith("Duty log")
        assert "大堂保洁完毕" in shown and "3-2-1201 漏水，已报修" in shown
        assert "⚠ anomaly" in shown
        assert "Help" in shown.splitlines()[-1]
        # F12 redraws it in Chinese, the same shift and entries.
        await pilot.press("f12")
        await settle(pilot)
        shown = screen_text(app)
        assert "班次 08:00–16:00" in shown and "⚠ 异常" in shown
        assert "大堂保洁完毕" in shown and "3-2-1201 漏水，已报修" in shown


def a_long_shift(desk: Desk, count: int) -> list[str]:
    """``count`` entries in the shift running now, 50 seconds apart from 08:05, the
    first and every tenth an anomaly (the rest written straight into the log: the list
    is what is tested). Their texts, oldest first."""
    texts = [f"巡查第{index:03d}次" for index in range(1, count + 1)]
    start = timedelta(minutes=115)
    write(desk, texts[0], ago=start, anomaly=True)
    with transaction(desk.engine) as session:
        entry = session.exec(select(DutyLogEntry)).one()
        for index, text in enumerate(texts[1:], start=1):
            session.add(DutyLogEntry(
                site_id=desk.site_id, shift_id=entry.shift_id, operator_id=entry.operator_id,
                at=desk.clock.now() - start + index * timedelta(seconds=50), text=text,
                anomaly=index % 10 == 0))
    return texts


def listed(app: DeskApp) -> list[str]:
    """The entries' texts in the table's rows as the terminal shows them, top to bottom
    (the pane under the table shows the entry under the cursor once more)."""
    table = app.screen.query_one("#duty-table", DataTable)
    top, height = table.region.y, table.region.height
    lines = screen_text(app).splitlines()[top:top + height]
    return [found for line in lines for found in re.findall(r"巡查第\d{3}次", line)]


async def test_a_long_shift_shows_its_latest_entries_and_reads_older_ones_at_the_top(
    staffed: Desk,
) -> None:
    """130 entries: the log opens on the latest 100 (oldest first, the cursor on the
    newest); the cursor reaching the first row loaded reads the 30 before it, the
    cursor staying on the entry it was on."""
    texts = a_long_shift(staffed, 130)
    app = DeskApp(staffed)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_log(pilot)
        status = str(screen.query_one("#duty-status", Static).render())
        assert status == ("130 in this shift, oldest first · 100 of 130 shown"
                          " · ⚠ 13 marked as anomaly")
        rows = listed(app)
        assert len(rows) > 20 and rows == texts[-len(rows):]
        await pilot.press("ctrl+home")  # the first row loaded: the 31st entry
        await settle(pilot)
        status = str(screen.query_one("#duty-status", Static).render())
        assert status == "130 in this shift, oldest first · ⚠ 13 marked as anomaly"
        assert texts[30] in str(screen.query_one("#duty-entry", Static).render())
        rows = listed(app)  # the older entries above it, in order
        assert texts[29] in rows and texts[30] in rows
        assert rows == texts[texts.index(rows[0]):][:len(rows)]
        await pilot.press("ctrl+home")  # the first entry of the shift
        await settle(pilot)
        assert texts[0] in str(screen.query_one("#duty-entry", Static).render())
        rows = listed(app)
        assert len(rows) > 20 and rows == texts[:len(rows)]
