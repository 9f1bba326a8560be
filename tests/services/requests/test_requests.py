"""Intake of requests: numbers, owners, contacts, the fields at their limits, nothing saved
half-way; the queue and the card."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import InvalidInput, NotFound
from deskapp.models import AuditEntry
from deskapp.models.requests import (
    RequestDeadline,
    RequestEvent,
    ServiceRequest,
)
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle
from deskapp.services.requests.views import queue, request_card, search_requests, unit_context
from tests.services.requests.test_requests_support import (  # noqa: F401 (fixtures)
    Homes,
    Staff,
    count,
    homes_fixture,
    load,
    new_request,
    staff_fixture,
)


def _nothing_saved(desk: Desk) -> None:
    assert count(desk, ServiceRequest) == 0
    assert count(desk, RequestEvent) == 0
    assert count(desk, RequestDeadline) == 0
    with reading(desk.engine) as session:
        actions = [e.action for e in session.exec(select(AuditEntry)).all()]
    assert not [a for a in actions if a.startswith("request.")]


def test_numbers_follow_the_local_day_and_its_sequence(desk: Desk, staff: Staff, homes: Homes):
    first = new_request(desk, staff.operator, unit_id=homes.a.id)
    second = new_request(desk, staff.operator, unit_id=homes.b.id)
    assert first.number == "261123-0001"
    assert second.number == "261123-0002"
    # 23:59 Beijing is still the 23rd; 00:00 Beijing (16:00 UTC) is the 24th.
    late = new_request(desk, staff.operator, unit_id=homes.a.id,
                       now=datetime(2026, 11, 23, 15, 59, tzinfo=UTC))
    assert late.number == "261123-0003"
    next_day = new_request(desk, staff.operator, unit_id=homes.a.id,
                           now=datetime(2026, 11, 23, 16, 0, tzinfo=UTC))
    assert next_day.number == "261124-0001"


def test_a_refused_request_does_not_use_up_a_number(desk: Desk, staff: Staff, homes: Homes):
    with pytest.raises(InvalidInput):
        new_request(desk, staff.operator, unit_id=homes.a.id, summary="")
    assert new_request(desk, staff.operator, unit_id=homes.a.id).number == "261123-0001"


def test_two_desks_saving_at_once_get_two_numbers(desk: Desk, staff: Staff, homes: Homes):
    numbers: list[str] = []
    errors: list[BaseException] = []

    def save() -> None:
        try:
            numbers.append(new_request(desk, staff.operator, unit_id=homes.a.id).number)
        except BaseException as error:  # pragma: no cover - shown by the assert
            errors.append(error)

    threads = [threading.Thread(target=save) for _n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"261123-000{n}" for n in range(1, 5)]


def test_the_registering_operator_owns_the_request(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, resident_id=homes.zhang.id)
    assert request.owner_id == staff.operator.id
    assert request.status == "received"
    assert request.contact_name == "张伟"
    assert request.contact_phone == "13812345678"
    assert request.contact_phone_tail == "5678"
    assert request.channel == "phone"
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id,
                            now=desk.clock.now())
    assert card.owner_name == "王芳"
    assert card.unit_code == "3-2-1201"
    assert [line.kind for line in card.timeline] == ["received"]
    assert card.timeline[0].operator_name == "王芳"
    assert [d.kind for d in card.pending_deadlines] == ["resident_reply"]
    assert card.pending_deadlines[0].due_at == desk.clock.now() + timedelta(hours=24)


def test_unit_code_typed_is_accepted_and_an_unknown_one_refused(desk: Desk, staff: Staff,
                                                                  homes: Homes):
    request = new_request(desk, staff.operator, unit_code="3 2 1202", contact_name="王芳")
    assert request.unit_id == homes.b.id
    with pytest.raises(NotFound) as refused:
        new_request(desk, staff.operator, unit_code="9-9-999")
    assert refused.value.field == "unit"
    with pytest.raises(NotFound) as refused:
        new_request(desk, staff.operator, unit_id=987654)
    assert refused.value.field == "unit"
    assert count(desk, ServiceRequest) == 1


def test_a_visitor_without_a_unit_gives_name_and_phone(desk: Desk, staff: Staff):
    with pytest.raises(InvalidInput) as refused:
        new_request(desk, staff.operator, kind="inquiry", contact_name="路人甲")
    assert refused.value.field == "phone"
    with pytest.raises(InvalidInput) as refused:
        new_request(desk, staff.operator, kind="inquiry", contact_phone="13800001234")
    assert refused.value.field == "name"
    visitor = new_request(desk, staff.operator, kind="inquiry", contact_name="路人甲",
                          contact_phone="138-0000-1234", channel="walk_in")
    assert visitor.unit_id is None
    assert visitor.contact_phone == "13800001234"


@pytest.mark.parametrize("phone", ["12345", "1380013800a", "电话", "+86 138 0000 1234567890"])
def test_a_phone_that_is_not_a_phone_is_refused(desk: Desk, staff: Staff, homes: Homes,
                                                phone: str):
    with pytest.raises(InvalidInput) as refused:
        new_request(desk, staff.operator, unit_id=homes.a.id, contact_phone=phone)
    assert refused.value.field == "phone"
    _nothing_saved(desk)


def test_summary_limits(desk: Desk, staff: Staff, homes: Homes):
    with pytest.raises(InvalidInput) as refused:
        new_request(desk, staff.operator, unit_id=homes.a.id, summary="漏" * 10_000)
    assert refused.value.field == "summary"
    assert "2000" in refused.value.message and "10000" in refused.value.message
    with pytest.raises(InvalidInput) as refused:
        new_request(desk, staff.operator, unit_id=homes.a.id, summary="   ")
    assert refused.value.field == "summary"
    _nothing_saved(desk)
    at_limit = new_request(desk, staff.operator, unit_id=homes.a.id, summary="漏" * 2000)
    assert len(at_limit.summary) == 2000
    with pytest.raises(InvalidInput):
        new_request(desk, staff.operator, unit_id=homes.a.id, summary="漏" * 2001)


@pytest.mark.parametrize(("field", "value"), [
    ("summary", "漏水\x00严重"), ("summary", "漏水\x1b[31m"), ("subject", "漏水\n严重"),
    ("summary", "abc\u202egnp.exe"), ("wish", "尽快\x07"), ("location", "卫生间\t东"),
])
def test_control_characters_are_refused(desk: Desk, staff: Staff, homes: Homes, field: str,
                                        value: str):
    with pytest.raises(InvalidInput) as refused:
        new_request(desk, staff.operator, unit_id=homes.a.id, **{field: value})
    assert refused.value.field == field
    assert "control" in refused.value.message
    _nothing_saved(desk)


def test_line_breaks_are_kept_in_the_summary(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id,
                          summary="卫生间漏水\n\t楼下天花板有水渍")
    assert request.summary == "卫生间漏水\n\t楼下天花板有水渍"


@pytest.mark.parametrize("text", ["漏水😡", "电梯坏了👍🏻", "🇨🇳", "热☀", "好的✅", "家\u200d人"])
def test_emoji_are_refused_in_every_text_field(desk: Desk, staff: Staff, homes: Homes,
                                               text: str):
    for field in ("summary", "subject", "wish", "about", "contact_name"):
        with pytest.raises(InvalidInput) as refused:
            new_request(desk, staff.operator, unit_id=homes.a.id, **{field: text})
        assert refused.value.field == ("name" if field == "contact_name" else field)
        assert "emoji" in refused.value.message
    _nothing_saved(desk)


def test_rare_name_characters_and_desk_symbols_are_not_emoji(desk: Desk, staff: Staff,
                                                             homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, contact_name="王喆𠮷",
                          summary="★紧急 ※ 电梯停在12层")
    assert request.contact_name == "王喆𠮷"


def test_when_it_happened_may_not_lie_in_the_future(desk: Desk, staff: Staff, homes: Homes):
    now = desk.clock.now()
    with pytest.raises(InvalidInput) as refused:
        new_request(desk, staff.operator, unit_id=homes.a.id, happened_at=now + timedelta(hours=1))
    assert refused.value.field == "happened_at"
    ok = new_request(desk, staff.operator, unit_id=homes.a.id,
                     happened_at=now - timedelta(hours=3), happened_text="昨晚十点左右")
    assert ok.happened_text == "昨晚十点左右"


def test_bad_choices_are_refused_with_their_field(desk: Desk, staff: Staff, homes: Homes):
    for fields, field in (({"kind": "praise"}, "kind"), ({"channel": "fax"}, "channel"),
                          ({"nature": "angry"}, "nature"),
                          ({"complaint_subject": "noise"}, "complaint_subject"),
                          ({"collective_people": 0}, "collective_people"),
                          ({"kind": "repair", "nature": "valid"}, "nature")):
        with pytest.raises(InvalidInput) as refused:
            new_request(desk, staff.operator, unit_id=homes.a.id, **fields)
        assert refused.value.field == field
    _nothing_saved(desk)


def test_resident_of_another_unit_is_refused(desk: Desk, staff: Staff, homes: Homes):
    with pytest.raises(InvalidInput) as refused:
        new_request(desk, staff.operator, unit_id=homes.b.id, resident_id=homes.zhang.id)
    assert refused.value.field == "resident"


def test_no_anonymous_intake(desk: Desk, homes: Homes):
    with pytest.raises(InvalidInput) as refused, transaction(desk.engine) as session:
        lifecycle.create_request(session, acting=Acting(desk.site_id), settings=desk.settings,
                                now=desk.clock.now(), kind="repair",
                                summary="灯不亮", unit_id=homes.a.id)
    assert "Sign in first" in refused.value.message  # refused for who, not for what
    _nothing_saved(desk)


def test_edit_changes_details_and_logs_them(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    with transaction(desk.engine) as session:
        lifecycle.edit_request(session, acting=Acting(desk.site_id, staff.colleague),
                               request_id=request.id,
                              now=desk.clock.now(),
                              summary="厨房漏水", contact_phone="13900009999")
    edited = load(desk, request.id)
    assert edited.summary == "厨房漏水"
    assert edited.contact_phone_tail == "9999"
    with reading(desk.engine) as session:
        card = request_card(session, acting=Acting(desk.site_id), request_id=request.id,
                            now=desk.clock.now())
    assert card.timeline[-1].kind == "edited"
    assert "summary" in card.timeline[-1].details
    with pytest.raises(InvalidInput), transaction(desk.engine) as session:
        lifecycle.edit_request(session, acting=Acting(desk.site_id, staff.operator),
                               request_id=request.id,
                              now=desk.clock.now(), summary="x" * 2001)
    assert load(desk, request.id).summary == "厨房漏水"


@pytest.mark.parametrize("erased", ["", "   "])
def test_edit_may_not_erase_the_name_of_a_visitor_without_a_unit(desk: Desk, staff: Staff,
                                                                  erased: str):
    visitor = new_request(desk, staff.operator, kind="inquiry", contact_name="路人甲",
                          contact_phone="13800001234")
    with pytest.raises(InvalidInput) as refused, transaction(desk.engine) as session:
        lifecycle.edit_request(session, acting=Acting(desk.site_id, staff.operator),
                               request_id=visitor.id,
                               now=desk.clock.now(), contact_name=erased)
    assert refused.value.field == "name"
    assert refused.value.message == "A visitor without a unit gives a name."
    assert load(desk, visitor.id).contact_name == "路人甲"


def test_edit_may_not_erase_the_phone_of_a_visitor_without_a_unit(desk: Desk, staff: Staff):
    visitor = new_request(desk, staff.operator, kind="inquiry", contact_name="路人甲",
                          contact_phone="13800001234")
    with pytest.raises(InvalidInput) as refused, transaction(desk.engine) as session:
        lifecycle.edit_request(session, acting=Acting(desk.site_id, staff.operator),
                               request_id=visitor.id,
                               now=desk.clock.now(), contact_phone="")
    assert refused.value.field == "phone"
    assert load(desk, visitor.id).contact_phone == "13800001234"


def test_edit_may_erase_the_name_given_for_a_unit(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, contact_name="张先生")
    with transaction(desk.engine) as session:
        lifecycle.edit_request(session, acting=Acting(desk.site_id, staff.operator),
                               request_id=request.id,
                               now=desk.clock.now(), contact_name="")
    assert load(desk, request.id).contact_name == ""


def test_queue_views_and_filters(desk: Desk, staff: Staff, homes: Homes):
    now = desk.clock.now()
    early = new_request(desk, staff.operator, unit_id=homes.a.id, now=now - timedelta(hours=30))
    soon = new_request(desk, staff.colleague, unit_id=homes.c.id, kind="repair",
                       now=now - timedelta(hours=20), summary="电梯停运")
    later = new_request(desk, staff.operator, unit_id=homes.d.id, kind="inquiry",
                        summary="物业费怎么交")
    with reading(desk.engine) as session:
        def ids(view: str, **kw: object) -> list[str]:
            page = queue(session, acting=Acting(desk.site_id), now=now, view=view,
                         **kw)  # type: ignore[arg-type]
            return [row.number for row in page.rows]

        assert ids("overdue") == [early.number]
        assert ids("due_soon") == [soon.number]
        assert ids("all_open") == [early.number, soon.number, later.number]
        assert ids("mine", operator_id=staff.colleague.id) == [soon.number]
        assert ids("all_open", kind="inquiry") == [later.number]
        assert ids("all_open", building="1") == [soon.number]
        assert ids("recent") == [later.number, soon.number, early.number]
        page = queue(session, acting=Acting(desk.site_id), now=now, view="all_open", limit=2)
        assert page.has_more and len(page.rows) == 2
        rest = queue(session, acting=Acting(desk.site_id), now=now, view="all_open", offset=2,
                     limit=2)
        assert not rest.has_more and [r.number for r in rest.rows] == [later.number]
        row = queue(session, acting=Acting(desk.site_id), now=now, view="overdue").rows[0]
    assert row.overdue and row.unit_code == "3-2-1201" and row.owner_name == "王芳"
    with reading(desk.engine) as session:
        with pytest.raises(InvalidInput):
            queue(session, acting=Acting(desk.site_id), now=now, view="mine")
        with pytest.raises(InvalidInput):
            queue(session, acting=Acting(desk.site_id), now=now, view="everything")


def test_queue_shows_phones_masked(desk: Desk, staff: Staff, homes: Homes):
    new_request(desk, staff.operator, unit_id=homes.a.id, resident_id=homes.zhang.id)
    with reading(desk.engine) as session:
        row = queue(session, acting=Acting(desk.site_id), now=desk.clock.now()).rows[0]
    assert row.masked_phone == "138****5678"


def test_unit_context_shows_people_open_requests(desk: Desk, staff: Staff, homes: Homes):
    open_one = new_request(desk, staff.operator, unit_id=homes.a.id)
    with reading(desk.engine) as session:
        context = unit_context(session, acting=Acting(desk.site_id), unit_id=homes.a.id,
                               now=desk.clock.now())
    assert {r.name for r in context.residents} == {"张伟", "李娜"}
    assert [r.number for r in context.open_requests] == [open_one.number]
    assert context.instructions == []
    with reading(desk.engine) as session, pytest.raises(NotFound):
        unit_context(session, acting=Acting(desk.site_id), unit_id=999999, now=desk.clock.now())


def test_search_by_number_room_name_phone_and_text(desk: Desk, staff: Staff, homes: Homes):
    leak = new_request(desk, staff.operator, unit_id=homes.a.id, resident_id=homes.zhang.id,
                       summary="卫生间漏水")
    lift = new_request(desk, staff.operator, unit_id=homes.c.id, kind="repair",
                       summary="三号电梯异响", contact_name="赵强")
    visitor = new_request(desk, staff.operator, kind="inquiry", contact_name="路人甲",
                          contact_phone="13600007777", summary="停车收费标准")
    now = desk.clock.now()
    with reading(desk.engine) as session:
        def found(query: str) -> list[str]:
            return [r.number for r in search_requests(session, acting=Acting(desk.site_id),
                                                      query=query, now=now)]

        assert found(leak.number) == [leak.number]
        assert found("261123-2") == [lift.number]
        assert found("261123") == [visitor.number, lift.number, leak.number]
        assert found("3-2-12") == [leak.number]
        assert found("张伟") == [leak.number]
        assert found("赵") == [lift.number]
        assert found("5678") == [leak.number]
        assert found("7777") == [visitor.number]
        assert found("漏水") == [leak.number]
        assert found("电梯") == [lift.number]
        assert found("停车") == [visitor.number]
        assert found("") == []
        assert found("火灾") == []

