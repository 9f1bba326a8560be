"""Lost and found (物品拾遗): claim with ID, same-day valuables, hand-over, 3-month disposal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput
from deskapp.models.custody import CustodyItem, ItemStatus
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from deskapp.services.custody import core, lostfound
from deskapp.services.custody.checks import Collector
from tests.services.custody.test_custody import Staff, counts, make_staff, make_unit

ID = "11010519491231002X"
CLAIMANT = Collector(name="李明", phone="13600001111", id_checked=True, id_number=ID,
                     signed=True)


@pytest.fixture
def staff(desk: Desk) -> Staff:
    make_unit(desk)
    return make_staff(desk)


def _found(desk: Desk, staff: Staff, **changes: object) -> CustodyItem:
    values: dict[str, object] = {
        "description": "黑色钱包，内有银行卡", "found_where": "3号楼电梯间",
        "finder": "保洁 张阿姨",
    }
    values.update(changes)
    with transaction(desk.engine) as session:
        return lostfound.register_found(
            session, acting=Acting(desk.site_id, staff.operator),
            form=lostfound.FoundForm(**values),  # type: ignore[arg-type]
            now=desk.clock.now(),
        )


def _claim(desk: Desk, staff: Staff, item: CustodyItem, claimant: Collector = CLAIMANT,
           check: str = "能说出钱包颜色及卡片姓名") -> CustodyItem:
    with transaction(desk.engine) as session:
        return lostfound.claim(session, acting=Acting(desk.site_id, staff.operator),
                               item_id=item.id or 0,
                               claimant=claimant, description_check=check,
                               now=desk.clock.now(),
                               settings=desk.settings)


def test_register_gives_an_l_code_and_keeps_where_and_who(desk: Desk, staff: Staff) -> None:
    item = _found(desk, staff, valuable=True, place="保险柜")
    assert (item.code or "").startswith("L-")
    assert (item.found_where, item.received_from, item.valuable) == ("3号楼电梯间",
                                                                     "保洁 张阿姨", True)
    assert item.found_at is not None


@pytest.mark.parametrize(
    ("field", "changes"),
    [
        ("description", {"description": ""}),
        ("found_where", {"found_where": ""}),
        ("finder", {"finder": ""}),
        ("found_at", {"found_at": datetime(2026, 11, 23, 2, 1, tzinfo=UTC)}),
        ("found_where", {"found_where": "楼" * 10_000}),
    ],
)
def test_bad_register_lines_are_refused(
    desk: Desk, staff: Staff, field: str, changes: dict[str, object]
) -> None:
    before = counts(desk)
    with pytest.raises(InvalidInput) as refused:
        _found(desk, staff, **changes)
    assert refused.value.field == field
    assert counts(desk) == before


def test_claim_records_the_id_in_full_and_lists_it_masked(desk: Desk, staff: Staff) -> None:
    item = _found(desk, staff)
    claimed = _claim(desk, staff, item)
    assert claimed.status == ItemStatus.RELEASED
    assert claimed.released_id_number == ID
    assert claimed.release_note == "能说出钱包颜色及卡片姓名"
    with reading(desk.engine) as session:
        page = lostfound.lost_items(session, acting=Acting(desk.site_id), now=desk.clock.now(),
                                    settings=desk.settings, status="released")
    assert page.rows[0].released_id_number == "**************002X"
    assert ID not in repr(page.rows)


@pytest.mark.parametrize(
    ("claimant", "check", "field"),
    [
        (Collector(name="李明", id_checked=True, signed=True), "颜色", "id_number"),
        (Collector(name="李明", id_number=ID, signed=True), "颜色", "id_checked"),
        (Collector(name="李明", id_number="110105194912310021", id_checked=True, signed=True),
         "颜色", "id_number"),
        (CLAIMANT, " ", "description_check"),
        (Collector(name="李明", id_number=ID, id_checked=True), "颜色", "signed"),
    ],
)
def test_a_claim_without_id_or_check_is_refused(
    desk: Desk, staff: Staff, claimant: Collector, check: str, field: str
) -> None:
    item = _found(desk, staff)
    before = counts(desk)
    with pytest.raises(InvalidInput) as refused:
        _claim(desk, staff, item, claimant, check)
    assert refused.value.field == field
    assert counts(desk) == before


def test_a_second_claim_is_refused(desk: Desk, staff: Staff) -> None:
    item = _found(desk, staff)
    _claim(desk, staff, item)
    with pytest.raises(Conflict) as refused:
        _claim(desk, staff, item, Collector(name="王五", id_number="E1234567", id_checked=True,
                                            signed=True))
    assert "李明" in refused.value.message


# --- valuables the same day --------------------------------------------------------------


def _at_local(clock: FixedClock, local: str) -> None:
    """Set the clock to a Beijing wall time (UTC+8)."""
    moment = datetime.fromisoformat(local + "+08:00").astimezone(UTC)
    clock.advance(moment - clock.now())


def test_valuables_not_claimed_by_local_midnight_go_to_admin(
    desk: Desk, staff: Staff, clock: FixedClock
) -> None:
    _at_local(clock, "2026-11-23T23:59:00")
    late = _found(desk, staff, valuable=True, description="手机")
    _found(desk, staff, valuable=False, description="雨伞")
    _at_local(clock, "2026-11-23T23:59:59")
    with reading(desk.engine) as session:
        assert lostfound.valuables_for_admin(session, acting=Acting(desk.site_id), now=clock.now(),
                                             settings=desk.settings) == []
    _at_local(clock, "2026-11-24T00:00:00")
    midnight = _found(desk, staff, valuable=True, description="现金 300 元")
    with reading(desk.engine) as session:
        rows = lostfound.valuables_for_admin(session, acting=Acting(desk.site_id), now=clock.now(),
                                             settings=desk.settings)
        assert [row.id for row in rows] == [late.id]
        flagged = {row.id: row.overdue for row in lostfound.lost_items(
            session, acting=Acting(desk.site_id), now=clock.now(), settings=desk.settings).rows}
    assert flagged[late.id] and not flagged[midnight.id]


# --- notice, hand-over, disposal -----------------------------------------------------------


def test_weekly_notice_lists_what_is_unclaimed(
    desk: Desk, staff: Staff, clock: FixedClock
) -> None:
    wallet = _found(desk, staff)
    umbrella = _found(desk, staff, description="蓝色雨伞")
    keys = _found(desk, staff, description="钥匙一串")
    _claim(desk, staff, keys)
    with transaction(desk.engine) as session:
        lostfound.hand_over(session, acting=Acting(desk.site_id, staff.operator),
                            item_ids=[umbrella.id or 0],
                            receiver="行政部 周敏", now=clock.now())
    with reading(desk.engine) as session:
        notice = lostfound.weekly_notice(session, acting=Acting(desk.site_id), now=clock.now(),
                                         settings=desk.settings)
    assert [row.id for row in notice.rows] == [wallet.id, umbrella.id]
    assert notice.posted_until - notice.posted_at == timedelta(days=7)


def test_monthly_hand_over_list_and_record(desk: Desk, staff: Staff, clock: FixedClock) -> None:
    old = _found(desk, staff)
    clock.advance(timedelta(days=1))
    today = _found(desk, staff, description="帽子")
    with reading(desk.engine) as session:
        rows = lostfound.handover_list(session, acting=Acting(desk.site_id), now=clock.now(),
                                       settings=desk.settings)
    assert [row.id for row in rows] == [old.id]
    with transaction(desk.engine) as session:
        handed = lostfound.hand_over(session, acting=Acting(desk.site_id, staff.operator),
                                     item_ids=[old.id or 0],
                                     receiver="行政部 周敏", now=clock.now())
    assert handed[0].status == ItemStatus.ADMIN and handed[0].admin_receiver == "行政部 周敏"
    with reading(desk.engine) as session:
        held = lostfound.lost_items(session, acting=Acting(desk.site_id), now=clock.now(),
                                    settings=desk.settings, status="held")
    assert [row.id for row in held.rows] == [today.id]
    # Claimed later from the admin office: recorded at the desk all the same.
    assert _claim(desk, staff, old).status == ItemStatus.RELEASED


def test_hand_over_is_all_or_nothing(desk: Desk, staff: Staff) -> None:
    first = _found(desk, staff)
    second = _found(desk, staff, description="书包")
    _claim(desk, staff, second)
    before = counts(desk)
    with transaction(desk.engine) as session, pytest.raises(Conflict):
        lostfound.hand_over(session, acting=Acting(desk.site_id, staff.operator),
                            item_ids=[first.id or 0, second.id or 0],
                            receiver="行政部 周敏", now=desk.clock.now())
    assert counts(desk) == before
    with reading(desk.engine) as session:
        assert core.get_item(session, acting=Acting(desk.site_id),
                                item_id=first.id or 0).status == ItemStatus.HELD
    with transaction(desk.engine) as session, pytest.raises(InvalidInput) as refused:
        lostfound.hand_over(session, acting=Acting(desk.site_id, staff.operator),
                            item_ids=[first.id or 0],
                            receiver="", now=desk.clock.now())
    assert refused.value.field == "receiver"


def _dispose(desk: Desk, staff: Staff, item: CustodyItem, a: object, b: object,
             note: str = "公司统一处理：捐赠") -> CustodyItem:
    with transaction(desk.engine) as session:
        return lostfound.dispose(session, acting=Acting(desk.site_id, staff.supervisor),
                                 item_id=item.id or 0,
                                 witness_a=a, witness_b=b, note=note,  # type: ignore[arg-type]
                                 now=desk.clock.now(),
                                 settings=desk.settings)


def test_disposal_after_exactly_three_months_with_two_witnesses(
    desk: Desk, staff: Staff, clock: FixedClock
) -> None:
    item = _found(desk, staff)  # Monday 2026-11-23 10:00 Beijing
    _at_local(clock, "2027-02-23T09:59:00")
    with reading(desk.engine) as session:
        assert lostfound.disposal_list(session, acting=Acting(desk.site_id), now=clock.now(),
                                       settings=desk.settings) == []
    with pytest.raises(Conflict) as refused:
        _dispose(desk, staff, item, staff.operator, staff.guard)
    assert "3 months" in refused.value.message
    _at_local(clock, "2027-02-23T10:00:00")
    with reading(desk.engine) as session:
        rows = lostfound.disposal_list(session, acting=Acting(desk.site_id), now=clock.now(),
                                       settings=desk.settings)
    assert [row.id for row in rows] == [item.id]
    before = counts(desk)
    for a, b, field in ((staff.operator, staff.operator, "witness_b"),
                        (None, staff.operator, "witness_a")):
        with pytest.raises(InvalidInput) as bad:
            _dispose(desk, staff, item, a, b)
        assert bad.value.field == field
    with pytest.raises(InvalidInput) as bad:
        _dispose(desk, staff, item, staff.operator, staff.guard, note="")
    assert bad.value.field == "note"
    assert counts(desk) == before
    disposed = _dispose(desk, staff, item, staff.operator, staff.guard)
    assert disposed.status == ItemStatus.DISPOSED
    assert (disposed.witness_a_id, disposed.witness_b_id) == (staff.operator.id, staff.guard.id)
    with pytest.raises(Conflict):
        _dispose(desk, staff, item, staff.operator, staff.guard)


def test_three_months_from_the_end_of_a_month_is_clamped() -> None:
    zone = core.desk_zone("Asia/Shanghai")
    may31 = datetime.fromisoformat("2027-05-31T12:00:00+08:00")
    assert core.months_before(may31, 3, zone) == datetime.fromisoformat(
        "2027-02-28T12:00:00+08:00"
    )
    assert core.months_before(datetime.fromisoformat("2027-01-15T08:00:00+08:00"), 3,
                                 zone) == datetime.fromisoformat("2026-10-15T08:00:00+08:00")


def test_search_by_what_the_claimant_says(desk: Desk, staff: Staff) -> None:
    wallet = _found(desk, staff)
    _found(desk, staff, description="雨伞", found_where="会所")
    with reading(desk.engine) as session:
        rows = lostfound.search(session, acting=Acting(desk.site_id), query="钱包",
                                now=desk.clock.now(), settings=desk.settings)
        assert [row.id for row in rows] == [wallet.id]
        assert len(lostfound.search(session, acting=Acting(desk.site_id), query="3号楼",
                                    now=desk.clock.now(), settings=desk.settings)) == 1
        assert lostfound.search(session, acting=Acting(desk.site_id), query="%",
                                now=desk.clock.now(), settings=desk.settings) == []
