"""Item storage (物品寄存): the form, the ticket, collection, a lost ticket, overdue items."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.models.custody import CustodyItem, ItemStatus
from deskapp.services import codes
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from deskapp.services.custody import checks, core, lists, storage
from deskapp.services.custody.checks import Collector
from tests.services.custody.test_custody import (
    SIGNED,
    Staff,
    counts,
    deposit,
    make_staff,
    make_unit,
    storage_form,
)


@pytest.fixture
def staff(desk: Desk) -> Staff:
    make_unit(desk)
    return make_staff(desk)


def _collect(desk: Desk, staff: Staff, code: str, collector: Collector = SIGNED) -> CustodyItem:
    with transaction(desk.engine) as session:
        return storage.collect(session, acting=Acting(desk.site_id, staff.operator), code=code,
                               collector=collector,
                               now=desk.clock.now(),
                               settings=desk.settings)


def _refused_deposit(desk: Desk, staff: Staff, field: str, **changes: object) -> InvalidInput:
    before = counts(desk)
    with pytest.raises(InvalidInput) as refused:
        deposit(desk, staff, **changes)
    assert refused.value.field == field, refused.value.message
    assert counts(desk) == before
    return refused.value


# --- the form ------------------------------------------------------------------------------


def test_deposit_keeps_every_field_of_the_form(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff, may_collect="妻子王丽", pieces=2, condition="外壳有划痕",
                   id_number="11010519491231002X")
    assert item.status == ItemStatus.HELD
    assert (item.owner_name, item.owner_phone, item.place) == ("王建国", "13812345678", "A-3")
    assert (item.pieces, item.condition, item.may_collect) == (2, "外壳有划痕", "妻子王丽")
    assert item.depositor_confirmed and item.category == "ordinary"
    assert item.received_by_id == staff.operator.id and item.unit_id is not None
    assert item.owner_id_tail == "002X"


def test_a_visitor_needs_no_unit(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff, unit="", depositor_kind="visitor")
    assert item.unit_id is None and item.depositor_kind == "visitor"


def test_a_resident_needs_a_unit_that_exists(desk: Desk, staff: Staff) -> None:
    _refused_deposit(desk, staff, "unit", unit="")
    with pytest.raises(NotFound) as refused:
        deposit(desk, staff, unit="9-9-999")
    assert refused.value.field == "unit"


def test_the_depositor_must_confirm(desk: Desk, staff: Staff) -> None:
    _refused_deposit(desk, staff, "depositor_confirmed", depositor_confirmed=False)


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("depositor_name", {"depositor_name": ""}),
        ("depositor_name", {"depositor_name": "王" * 65}),
        ("depositor_name", {"depositor_name": "王🙂"}),
        ("description", {"description": "  "}),
        ("description", {"description": "箱" * 10_000}),
        ("description", {"description": "箱\x00子"}),
        ("shelf", {"shelf": ""}),
        ("phone", {"phone": ""}),
        ("phone", {"phone": "12ab"}),
        ("pieces", {"pieces": 0}),
        ("pieces", {"pieces": 1000}),
        ("category", {"category": "weapons"}),
        ("depositor_kind", {"depositor_kind": "alien"}),
        ("id_number", {"id_number": "110105194912310021"}),
    ],
)
def test_bad_fields_are_refused_and_nothing_is_saved(
    desk: Desk, staff: Staff, field: str, changes: dict[str, object]
) -> None:
    _refused_deposit(desk, staff, field, **changes)


def test_longest_description_is_kept(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff, description="箱" * checks.MAX_DESCRIPTION)
    assert len(item.description) == checks.MAX_DESCRIPTION


@pytest.mark.parametrize("category", ["cash", "valuables", "perishable", "dangerous"])
def test_refused_categories_without_a_supervisors_exception(
    desk: Desk, staff: Staff, category: str
) -> None:
    refused = _refused_deposit(desk, staff, "category", category=category)
    assert "supervisor" in refused.message


def test_an_operator_cannot_note_the_exception(desk: Desk, staff: Staff) -> None:
    before = counts(desk)
    with transaction(desk.engine) as session, pytest.raises(InvalidInput) as refused:
        storage.deposit(session, acting=Acting(desk.site_id, staff.operator),
                        form=storage_form(category="cash"),
                        now=desk.clock.now(),
                        exception_by=staff.operator2, exception_note="ok")
    assert refused.value.field == "category"
    assert counts(desk) == before


def test_a_supervisors_exception_needs_a_note(desk: Desk, staff: Staff) -> None:
    with transaction(desk.engine) as session, pytest.raises(InvalidInput) as refused:
        storage.deposit(session, acting=Acting(desk.site_id, staff.operator),
                        form=storage_form(category="cash"),
                        now=desk.clock.now(),
                        exception_by=staff.supervisor, exception_note=" ")
    assert refused.value.field == "exception_note"


def test_a_supervisors_exception_lets_cash_in(desk: Desk, staff: Staff) -> None:
    with transaction(desk.engine) as session:
        item = storage.deposit(
            session, acting=Acting(desk.site_id, staff.operator), form=storage_form(category="cash",
                                                             description="现金 2000 元，信封封口"),
            now=desk.clock.now(), exception_by=staff.manager,
            exception_note="业主临时外出，已当面清点封存",
        )
    assert item.category == "cash" and item.exception_by_id == staff.manager.id
    assert item.exception_note.startswith("业主")


# --- collection by the ticket ---------------------------------------------------------------


def test_collect_by_code_with_identity_checked(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff)
    desk.clock.advance(timedelta(hours=3))  # type: ignore[attr-defined]
    collected = _collect(desk, staff, (item.code or "").lower().replace("-", " "))
    assert collected.status == ItemStatus.RELEASED
    assert (collected.released_to, collected.released_relation) == ("王丽", "家属")
    assert collected.id_checked and collected.signed
    assert collected.released_by_id == staff.operator.id
    with reading(desk.engine) as session:
        kinds = [e.kind for e in core.timeline(session, acting=Acting(desk.site_id),
                                                  item_id=item.id or 0)]
    assert kinds == ["received", "released"]


def test_a_ticket_code_with_a_typo_is_refused(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff)
    code = item.code or ""
    symbols = code.replace("-", "")
    swapped = symbols[0] + symbols[2] + symbols[1] + symbols[3:]
    before = counts(desk)
    with pytest.raises(InvalidInput) as refused:
        _collect(desk, staff, swapped)
    assert refused.value.field == "code"
    assert "check character does not match" in refused.value.message
    assert counts(desk) == before


def test_a_code_already_collected_is_refused_with_who_and_when(
    desk: Desk, staff: Staff
) -> None:
    item = deposit(desk, staff)
    _collect(desk, staff, item.code or "")
    before = counts(desk)
    with pytest.raises(Conflict) as refused:
        _collect(desk, staff, item.code or "", Collector(name="李四", id_checked=True,
                                                         signed=True))
    assert "already handed over to 王丽" in refused.value.message
    assert "2026-11-23 10:00" in refused.value.message  # local time with settings
    assert counts(desk) == before


def test_another_ledgers_code_is_not_a_ticket(desk: Desk, staff: Staff) -> None:
    with pytest.raises(InvalidInput) as refused:
        _collect(desk, staff, codes.make_code("P", 5))
    assert refused.value.field == "code" and "parcel" in refused.value.message


def test_a_valid_code_nobody_holds_is_not_found(desk: Desk, staff: Staff) -> None:
    with pytest.raises(NotFound):
        _collect(desk, staff, codes.make_code("S", 4040))


def test_no_identity_check_no_hand_over(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff)
    before = counts(desk)
    with pytest.raises(InvalidInput) as refused:
        _collect(desk, staff, item.code or "", Collector(name="王丽", signed=True))
    assert refused.value.field == "id_checked"
    with pytest.raises(InvalidInput) as refused:
        _collect(desk, staff, item.code or "", Collector(name="王丽", id_checked=True))
    assert refused.value.field == "signed"
    assert counts(desk) == before
    with reading(desk.engine) as session:
        assert core.get_item(session, acting=Acting(desk.site_id),
                                item_id=item.id or 0).status == ItemStatus.HELD


# --- a lost ticket ---------------------------------------------------------------------------


def _find(desk: Desk, query: str) -> list[lists.ItemRow]:
    with reading(desk.engine) as session:
        return storage.find_lost_ticket(session, acting=Acting(desk.site_id), query=query,
                                        now=desk.clock.now(), settings=desk.settings)


def test_a_lost_ticket_is_found_by_name_phone_or_id(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff, id_number="11010519491231002X")
    deposit(desk, staff, depositor_name="李明", phone="13600001111")
    for query in ("王建国", "建国", "5678", "138 1234 5678", "002x", "11010519491231002X"):
        rows = _find(desk, query)
        assert [row.id for row in rows] == [item.id], query
        assert rows[0].owner_phone == "138****5678"
    assert _find(desk, "") == []
    assert _find(desk, "赵") == []


def test_a_lost_ticket_release_needs_a_supervisors_note(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff)
    before = counts(desk)
    for supervisor, note, field in (
        (None, "核对身份证无误", "supervisor"),
        (staff.operator2, "核对身份证无误", "supervisor"),
        (staff.supervisor, "", "note"),
    ):
        with transaction(desk.engine) as session, pytest.raises(InvalidInput) as refused:
            storage.release_without_ticket(
                session, acting=Acting(desk.site_id, staff.operator), item_id=item.id or 0,
                collector=SIGNED,
                supervisor=supervisor, note=note, now=desk.clock.now(),
            )
        assert refused.value.field == field
    assert counts(desk) == before
    with transaction(desk.engine) as session:
        released = storage.release_without_ticket(
            session, acting=Acting(desk.site_id, staff.operator), item_id=item.id or 0,
            collector=SIGNED,
            supervisor=staff.supervisor, note="票据遗失，核对身份证及寄存登记无误",
            now=desk.clock.now(),
        )
    assert released.approved_by_id == staff.supervisor.id
    assert released.release_note.startswith("票据遗失")
    assert _find(desk, "王建国") == []
    with pytest.raises(Conflict):
        _collect(desk, staff, item.code or "")


# --- held too long ---------------------------------------------------------------------------


def test_held_exactly_seven_days_is_not_overdue_a_minute_more_is(
    desk: Desk, staff: Staff, clock: FixedClock
) -> None:
    item = deposit(desk, staff)
    clock.advance(timedelta(days=7))
    with reading(desk.engine) as session:
        page = storage.held(session, acting=Acting(desk.site_id), now=clock.now(),
                            settings=desk.settings)
        assert [row.overdue for row in page.rows] == [False]
        assert storage.held(session, acting=Acting(desk.site_id), now=clock.now(),
                            settings=desk.settings, overdue_only=True).total == 0
        assert not storage.is_overdue(item, now=clock.now(), settings=desk.settings)
    clock.advance(timedelta(minutes=1))
    with reading(desk.engine) as session:
        page = storage.held(session, acting=Acting(desk.site_id), now=clock.now(),
                            settings=desk.settings, overdue_only=True)
        assert [row.id for row in page.rows] == [item.id] and page.rows[0].overdue
        assert page.rows[0].age == timedelta(days=7, minutes=1)
        assert storage.is_overdue(item, now=clock.now(), settings=desk.settings)


def test_held_list_pages_oldest_first_and_leaves_collected_out(
    desk: Desk, staff: Staff, clock: FixedClock
) -> None:
    items = []
    for index in range(5):
        items.append(deposit(desk, staff, description=f"纸箱 {index}"))
        clock.advance(timedelta(minutes=5))
    _collect(desk, staff, items[1].code or "")
    with reading(desk.engine) as session:
        first = storage.held(session, acting=Acting(desk.site_id), now=clock.now(),
                             settings=desk.settings, limit=2)
        second = storage.held(session, acting=Acting(desk.site_id), now=clock.now(),
                              settings=desk.settings, limit=2, offset=2)
        everything = storage.history(session, acting=Acting(desk.site_id), now=clock.now(),
                                     settings=desk.settings)
    assert first.total == 4
    assert [row.id for row in first.rows + second.rows] == [
        items[0].id, items[2].id, items[3].id, items[4].id,
    ]
    assert everything.total == 5 and everything.rows[0].id == items[4].id


def test_empty_lists(desk: Desk, staff: Staff) -> None:
    with reading(desk.engine) as session:
        page = storage.held(session, acting=Acting(desk.site_id), now=desk.clock.now(),
                            settings=desk.settings)
    assert page.rows == [] and page.total == 0
