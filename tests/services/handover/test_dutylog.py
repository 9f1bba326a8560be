"""The duty log: entries in the shift they were written in, linked to a unit or a
record, found by Chinese words, refused whole when the input is bad."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import DeskError, InvalidInput, NotFound
from deskapp.models import AuditEntry, Operator
from deskapp.models.handover import DutyLogEntry, LinkedRecord
from deskapp.services.acting import Acting
from deskapp.services.handover import dutylog, shifts
from tests.services.custody.test_custody import deposit
from tests.services.handover.test_shifts import MINUTE, MONDAY_0800
from tests.services.requests.test_requests_support import new_request
from tests.support import Homes, Staff, homes_fixture, staff_fixture  # noqa: F401 (fixtures)

FOUR_PM = MONDAY_0800 + timedelta(hours=8)


def write(desk: Desk, actor: Operator, text: str = "3号楼电梯异响，已报工程部", *,
          now: Any = None, **fields: Any) -> DutyLogEntry:
    with transaction(desk.engine) as session:
        return dutylog.write_entry(session, acting=Acting(desk.site_id, actor),
                                   now=now or desk.clock.now(), settings=desk.settings,
                                   text=text, **fields)


def rows(desk: Desk) -> tuple[int, int]:
    with reading(desk.engine) as session:
        return (int(session.exec(select(func.count()).select_from(DutyLogEntry)).one()),
                int(session.exec(select(func.count()).select_from(AuditEntry)).one()))


def test_an_entry_is_in_its_shift_its_writer_worked_it_and_it_is_audited(
    desk: Desk, staff: Staff, homes: Homes,
) -> None:
    entry = write(desk, staff.operator, anomaly=True, unit="3-2-1201")
    with reading(desk.engine) as session:
        shift = shifts.current_shift(session, acting=Acting(desk.site_id), now=desk.clock.now(),
                                     settings=desk.settings)
        assert entry.shift_id == shift.id
        assert [op.login for op in shifts.operators_of(session, shift.id or 0)] == ["wangfang"]
        [line] = dutylog.shift_log(session, acting=Acting(desk.site_id),
                                   shift_id=shift.id or 0).rows
        assert (line.operator_name, line.unit_code, line.anomaly, line.text) == (
            "王芳", "3-2-1201", True, "3号楼电梯异响，已报工程部")
        audit = session.exec(select(AuditEntry).where(AuditEntry.action == "duty.write")).one()
        assert audit.entity_id == str(entry.id) and audit.operator_id == staff.operator.id


def test_the_minute_before_four_is_the_day_shift_and_four_oclock_the_evening(
    desk: Desk, staff: Staff,
) -> None:
    day = write(desk, staff.operator, "交班前巡查大堂，正常", now=FOUR_PM - MINUTE)
    evening = write(desk, staff.colleague, "接班，清点公物", now=FOUR_PM)
    assert day.shift_id != evening.shift_id
    with reading(desk.engine) as session:
        assert [line.text for line in dutylog.shift_log(
            session, acting=Acting(desk.site_id),
            shift_id=day.shift_id).rows] == ["交班前巡查大堂，正常"]
        assert [line.text for line in dutylog.shift_log(
            session, acting=Acting(desk.site_id),
            shift_id=evening.shift_id).rows] == ["接班，清点公物"]


def test_only_anomalies_are_listed_as_anomalies(desk: Desk, staff: Staff) -> None:
    write(desk, staff.operator, "例行巡查，正常")
    write(desk, staff.operator, "地下车库B2积水", anomaly=True)
    shift_id = write(desk, staff.colleague, "门禁卡机故障", anomaly=True).shift_id
    with reading(desk.engine) as session:
        assert [line.text for line in dutylog.anomalies(
            session, acting=Acting(desk.site_id),
            shift_id=shift_id)] == ["地下车库B2积水", "门禁卡机故障"]


def test_a_two_character_word_finds_the_entries_that_contain_it(desk: Desk, staff: Staff) -> None:
    first = write(desk, staff.operator, "3号楼电梯异响", now=MONDAY_0800 + MINUTE)
    write(desk, staff.operator, "大堂灯不亮", now=MONDAY_0800 + 2 * MINUTE)
    second = write(desk, staff.colleague, "电梯困人，已解救", now=FOUR_PM + MINUTE)
    with reading(desk.engine) as session:
        found = dutylog.search_log(session, acting=Acting(desk.site_id), query="电梯")
        assert [line.id for line in found] == [second.id, first.id]  # newest first
        in_day_shift = dutylog.shift_log(session, acting=Acting(desk.site_id),
                                         shift_id=first.shift_id, query="电梯")
        assert [line.id for line in in_day_shift.rows] == [first.id]
        assert in_day_shift.total == 1
        assert dutylog.search_log(session, acting=Acting(desk.site_id), query="水管") == []


def test_an_entry_names_a_request_by_its_number_and_an_item_by_its_code(
    desk: Desk, staff: Staff, homes: Homes,
) -> None:
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    item = deposit(desk, staff)
    short_number = request.number.split("-")[0] + "-1"  # 261123-1, as said on the phone
    by_number = write(desk, staff.operator, "业主来电催修", record=short_number)
    by_code = write(desk, staff.operator, "寄存物品外包装破损", record=(item.code or "").lower())
    assert (by_number.record_kind, by_number.record_id, by_number.record_ref) == (
        LinkedRecord.REQUEST.value, request.id, request.number)
    assert (by_code.record_kind, by_code.record_id, by_code.record_ref) == (
        LinkedRecord.CUSTODY.value, item.id, item.code)


@pytest.mark.parametrize(("fields", "error", "field"), [
    ({"text": "  "}, InvalidInput, "text"),
    ({"text": "字" * (dutylog.MAX_TEXT + 1)}, InvalidInput, "text"),
    ({"text": "字" * 10_000}, InvalidInput, "text"),
    ({"record": "261123-0099"}, NotFound, "record"),
    ({"record": "S-0000-0"}, DeskError, "record"),
    ({"record": "电梯"}, InvalidInput, "record"),
    ({"unit": "9-9-999"}, NotFound, "unit"),
])
def test_bad_input_is_refused_beside_its_field_and_nothing_is_written(
    desk: Desk, staff: Staff, fields: dict[str, Any], error: type[DeskError], field: str,
) -> None:
    before = rows(desk)
    values = {"text": "门禁卡机故障", **fields}
    with pytest.raises(error) as refused:
        write(desk, staff.operator, **values)
    assert refused.value.field == field
    assert rows(desk) == before


def test_the_longest_entry_is_kept_whole(desk: Desk, staff: Staff) -> None:
    text = "字" * dutylog.MAX_TEXT
    assert write(desk, staff.operator, text).text == text


def test_a_long_shift_is_read_a_page_at_a_time_oldest_first(desk: Desk, staff: Staff) -> None:
    """Seven entries, two at the same minute (the id breaks the tie), read three at a
    time: the pages join into the shift's log with none repeated or skipped; ``newest``
    is the last page, ``around`` the page with that entry in its middle."""
    written = [write(desk, staff.operator, f"巡查第{index}次", now=MONDAY_0800 + index * MINUTE,
                     anomaly=index in (2, 5))
               for index in (1, 2, 3, 3, 4, 5, 6)]
    shift_id = written[0].shift_id
    ids = [entry.id for entry in written]
    with reading(desk.engine) as session:
        def page(**how: Any) -> dutylog.ShiftLog:
            return dutylog.shift_log(session, acting=Acting(desk.site_id), shift_id=shift_id,
                                     limit=3, **how)

        pages = [page(offset=offset) for offset in (0, 3, 6)]
        assert [line.id for log in pages for line in log.rows] == ids
        assert [(log.offset, log.total, log.anomalies) for log in pages] == [
            (0, 7, 2), (3, 7, 2), (6, 7, 2)]
        newest = page(newest=True)
        assert (newest.offset, [line.id for line in newest.rows]) == (4, ids[4:])
        middle = page(newest=True, around=ids[2])
        assert (middle.offset, [line.id for line in middle.rows]) == (1, ids[1:4])
        # The second of the two at 08:03: the one at the same minute counts before it.
        tied = page(around=ids[3])
        assert (tied.offset, [line.id for line in tied.rows]) == (2, ids[2:5])
        # The last entry: the last page, never a page short of the end.
        assert page(around=ids[6]).offset == 4
        assert page(around=ids[0]).offset == 0
        # An entry of another shift: no page around it, the last page as asked.
        other = write(desk, staff.operator, "接班", now=FOUR_PM)
        assert page(newest=True, around=other.id).offset == 4
