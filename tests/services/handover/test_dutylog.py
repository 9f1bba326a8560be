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
from deskapp.services.handover import dutylog, shifts
from tests.services.custody.test_custody import deposit
from tests.services.handover.test_shifts import MINUTE, MONDAY_0800
from tests.services.requests.test_requests_support import new_request
from tests.support import Homes, Staff, homes_fixture, staff_fixture  # noqa: F401 (fixtures)

FOUR_PM = MONDAY_0800 + timedelta(hours=8)


def write(desk: Desk, actor: Operator, text: str = "3号楼电梯异响，已报工程部", *,
          now: Any = None, **fields: Any) -> DutyLogEntry:
    with transaction(desk.engine) as session:
        return dutylog.write_entry(session, site_id=desk.site_id, actor=actor,
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
        shift = shifts.current_shift(session, site_id=desk.site_id, now=desk.clock.now(),
                                     settings=desk.settings)
        assert entry.shift_id == shift.id
        assert [op.login for op in shifts.operators_of(session, shift.id or 0)] == ["wangfang"]
        [line] = dutylog.shift_log(session, site_id=desk.site_id, shift_id=shift.id or 0)
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
            session, site_id=desk.site_id, shift_id=day.shift_id)] == ["交班前巡查大堂，正常"]
        assert [line.text for line in dutylog.shift_log(
            session, site_id=desk.site_id, shift_id=evening.shift_id)] == ["接班，清点公物"]


def test_only_anomalies_are_listed_as_anomalies(desk: Desk, staff: Staff) -> None:
    write(desk, staff.operator, "例行巡查，正常")
    write(desk, staff.operator, "地下车库B2积水", anomaly=True)
    shift_id = write(desk, staff.colleague, "门禁卡机故障", anomaly=True).shift_id
    with reading(desk.engine) as session:
        assert [line.text for line in dutylog.anomalies(
            session, site_id=desk.site_id, shift_id=shift_id)] == ["地下车库B2积水", "门禁卡机故障"]


def test_a_two_character_word_finds_the_entries_that_contain_it(desk: Desk, staff: Staff) -> None:
    first = write(desk, staff.operator, "3号楼电梯异响", now=MONDAY_0800 + MINUTE)
    write(desk, staff.operator, "大堂灯不亮", now=MONDAY_0800 + 2 * MINUTE)
    second = write(desk, staff.colleague, "电梯困人，已解救", now=FOUR_PM + MINUTE)
    with reading(desk.engine) as session:
        found = dutylog.search_log(session, site_id=desk.site_id, query="电梯")
        assert [line.id for line in found] == [second.id, first.id]  # newest first
        in_day_shift = dutylog.shift_log(session, site_id=desk.site_id,
                                         shift_id=first.shift_id, query="电梯")
        assert [line.id for line in in_day_shift] == [first.id]
        assert dutylog.search_log(session, site_id=desk.site_id, query="水管") == []


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
