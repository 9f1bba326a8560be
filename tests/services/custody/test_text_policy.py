"""Every custody ledger refuses at input what the desk could not print or keep whole:
emoji, bidi and control characters, text over its limit. Nothing is committed first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import InvalidInput
from deskapp.models.custody import CustodyItem, EventKind, KeyLoan
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from deskapp.services.custody import checks, core, keys, lostfound, parcels
from tests.services.custody.test_custody import (
    Staff,
    counts,
    deposit,
    make_staff,
    make_unit,
)

RLO = "\u202e"  # right-to-left override: "abc\u202egnp.exe" reads as "abcexe.png"


@pytest.fixture
def staff(desk: Desk) -> Staff:
    make_unit(desk)
    return make_staff(desk)


def _refused(desk: Desk, call: object, field: str) -> InvalidInput:
    before = counts(desk)
    with pytest.raises(InvalidInput) as refused:
        call()  # type: ignore[operator]
    assert refused.value.field == field, refused.value.message
    assert counts(desk) == before  # nothing committed
    return refused.value


@pytest.mark.parametrize(("form_field", "field"), [
    ("description", "description"), ("depositor_name", "depositor_name"),
    ("condition", "condition"), ("may_collect", "may_collect"), ("shelf", "shelf"),
])
@pytest.mark.parametrize("bad", ["行李箱😀", f"行李箱{RLO}gnp", "行李\x07箱"])
def test_a_deposit_with_emoji_or_bidi_or_control_characters_is_refused_before_saving(
    desk: Desk, staff: Staff, form_field: str, field: str, bad: str
) -> None:
    refused = _refused(desk, lambda: deposit(desk, staff, **{form_field: bad}), field)
    assert "emoji" in refused.message or "control" in refused.message


def test_a_description_of_exactly_500_characters_is_kept_and_501_refused(
    desk: Desk, staff: Staff
) -> None:
    assert deposit(desk, staff, description="箱" * 500).description == "箱" * 500
    refused = _refused(desk, lambda: deposit(desk, staff, description="箱" * 501),
                       "description")
    assert refused.message == ("The description: at most 500 characters, this one has 501. "
                               "Shorten it.")


def _found(desk: Desk, staff: Staff, **changes: object) -> CustodyItem:
    values: dict[str, object] = {"description": "黑色钱包", "found_where": "3号楼电梯间",
                                 "finder": "保洁 张阿姨"}
    values.update(changes)
    with transaction(desk.engine) as session:
        return lostfound.register_found(
            session, acting=Acting(desk.site_id, staff.operator),
            form=lostfound.FoundForm(**values),  # type: ignore[arg-type]
            now=desk.clock.now(),
        )


@pytest.mark.parametrize(("changes", "field"), [
    ({"description": "钱包👛"}, "description"),
    ({"found_where": f"电梯{RLO}间"}, "found_where"),
    ({"finder": "张阿姨\u200b"}, "finder"),
])
def test_lost_and_found_refuses_the_same_text(
    desk: Desk, staff: Staff, changes: dict[str, object], field: str
) -> None:
    _refused(desk, lambda: _found(desk, staff, **changes), field)


@pytest.mark.parametrize(("changes", "field"), [
    ({"resident_name": "王建国😀"}, "resident_name"),
    ({"shelf": f"B-2{RLO}"}, "shelf"),
    ({"carrier": "顺丰🚚"}, "carrier"),
])
def test_parcels_refuse_the_same_text(
    desk: Desk, staff: Staff, changes: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {"carrier": "顺丰", "unit": "3-2-1201",
                                 "resident_name": "王建国", "shelf": "B-2"}
    values.update(changes)

    def check_in() -> CustodyItem:
        with transaction(desk.engine) as session:
            return parcels.check_in(session, acting=Acting(desk.site_id, staff.operator),
                                    scan="SF1234567890123",
                                    consent=True, now=desk.clock.now(),
                                    settings=desk.settings, **values)  # type: ignore[arg-type]

    _refused(desk, check_in, field)


# --- nothing cut silently -------------------------------------------------------------------


def _dispose(desk: Desk, staff: Staff, item: CustodyItem, note: str) -> CustodyItem:
    with transaction(desk.engine) as session:
        return lostfound.dispose(session, acting=Acting(desk.site_id, staff.supervisor),
                                 item_id=item.id or 0,
                                 witness_a=staff.operator, witness_b=staff.guard, note=note,
                                 now=desk.clock.now(),
                                 settings=desk.settings)


def test_a_disposal_note_is_refused_when_it_and_the_witnesses_do_not_fit(
    desk: Desk, staff: Staff, clock: FixedClock
) -> None:
    """The timeline line is "王芳, 孙强. <note>": at most 500 characters, never cut."""
    witnessed = f"{staff.operator.display_name}, {staff.guard.display_name}. "
    room = checks.MAX_NOTE - len(witnessed)
    kept, refused_item = _found(desk, staff), _found(desk, staff)
    clock.advance(timedelta(days=100))
    refused = _refused(desk, lambda: _dispose(desk, staff, refused_item, "捐" * (room + 1)),
                       "note")
    assert refused.message == (f"How it was disposed of: at most {room} characters, "
                               f"this one has {room + 1}. Shorten it.")
    _dispose(desk, staff, kept, "捐" * room)
    with reading(desk.engine) as session:
        lines = core.timeline(session, acting=Acting(desk.site_id), item_id=kept.id or 0)
    assert lines[-1].note == witnessed + "捐" * room


def _lend_and_return(desk: Desk, staff: Staff, *, lend_note: str, return_note: str) -> KeyLoan:
    with transaction(desk.engine) as session:
        key = keys.register_key(session, acting=Acting(desk.site_id, staff.operator),
                                unit="3-2-1201", label="入户门",
                                place="钥匙柜 A-12", custodian="赵敏", pieces=1,
                                now=desk.clock.now())
        keys.lend_key(session, acting=Acting(desk.site_id, staff.operator), key_id=key.id or 0,
                      borrower=keys.Borrower(name="刘师傅", kind="contractor", company="美家装饰",
                                             phone="13900001234", signed=True),
                      purpose="装修", due_at=None, now=desk.clock.now(),
                      settings=desk.settings, note=lend_note)
    with transaction(desk.engine) as session:
        return keys.return_key(session, acting=Acting(desk.site_id, staff.operator),
                               key_id=key.id or 0,
                               now=desk.clock.now(), note=return_note)


def test_a_return_note_that_fits_beside_the_loan_note_is_kept_whole(
    desk: Desk, staff: Staff
) -> None:
    loan = _lend_and_return(desk, staff, lend_note="借" * 400, return_note="还" * 99)
    assert loan.note == "借" * 400 + "\n" + "还" * 99


def test_a_return_note_one_character_too_long_for_the_loan_note_is_refused(
    desk: Desk, staff: Staff
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _lend_and_return(desk, staff, lend_note="借" * 400, return_note="还" * 100)
    assert refused.value.field == "note"
    assert refused.value.message == ("The note: at most 99 characters, this one has 100. "
                                     "Shorten it.")
    with reading(desk.engine) as session:
        loan = session.exec(select(KeyLoan)).one()
    assert loan.returned_at is None and loan.note == "借" * 400


def test_a_timeline_note_over_the_limit_is_refused_not_cut(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff)
    with pytest.raises(InvalidInput) as refused, transaction(desk.engine) as session:
        core.add_event(session, acting=Acting(desk.site_id, staff.operator), kind=EventKind.NOTE,
                       now=desk.clock.now(), item_id=item.id,
                       note="记" * 501)
    assert refused.value.field == "note" and "500" in refused.value.message
