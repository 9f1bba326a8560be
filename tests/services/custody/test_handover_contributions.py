"""The custody ledgers in the shift handover: stored items, keys out, parcels, lost and found.

Each group is tried at its boundaries: the item that turns overdue a minute before the
handover against a minute after (urgent / watch), the one due a minute before the end of
the shift being taken over against a minute after (watch / routine); the order; what left
the desk is not carried; and an empty ledger gives an empty group.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deskapp import i18n
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models.custody import CustodyItem, KeyLoan, KeyRecord
from deskapp.models.handover import WatchLevel
from deskapp.services.acting import Acting
from deskapp.services.custody import core, handover, keys, lostfound, parcels, storage
from deskapp.services.custody.checks import Collector
from deskapp.services.custody.keys import Borrower
from deskapp.services.handover import assembly
from deskapp.services.handover.assembly import Carried, Window
from tests.services.custody.test_custody import Staff, make_staff, make_unit, storage_form

URGENT, WATCH, ROUTINE = WatchLevel.URGENT, WatchLevel.WATCH, WatchLevel.ROUTINE
MINUTE = timedelta(minutes=1)
PHONE = "13812345678"
ID_NUMBER = "11010519491231002X"
RESIDENT = Borrower(name="李娜", kind="resident", phone=PHONE, id_checked=True,
                    id_number=ID_NUMBER, signed=True)
SIGNED = Collector(name="王丽", relation="家属", id_checked=True, id_number=ID_NUMBER,
                   signed=True)


def _local(text: str) -> datetime:
    """A Beijing wall time (the desk's zone) as aware UTC."""
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)


# Monday 10:00 in Beijing: the 08:00–16:00 shift hands over; the shift taken over
# (16:00–00:00) ends at midnight.
NOW = _local("2026-11-23 10:00")
NEXT_END = _local("2026-11-24 00:00")


@pytest.fixture
def staff(desk: Desk) -> Staff:
    make_unit(desk)
    make_unit(desk, "3-2-1202")
    return make_staff(desk)


def _window(desk: Desk, staff: Staff, now: datetime = NOW) -> Window:
    with reading(desk.engine) as session:
        return assembly.window_at(session, acting=Acting(desk.site_id), now=now,
                                  settings=desk.settings, outgoing=[staff.operator.id or 0])


def _group(desk: Desk, staff: Staff, group: str, now: datetime = NOW) -> list[Carried]:
    """The group's carried items at ``now``, levelled as the assembly levels them."""
    window = _window(desk, staff, now)
    [contribution] = [c for c in handover.CONTRIBUTIONS if c.group == group]
    with reading(desk.engine) as session:
        [carried] = assembly.assemble(session, window, only=[contribution])
    assert carried.group == group
    return carried.items


def _levels(items: list[Carried]) -> dict[str, WatchLevel]:
    return {item.reference: item.level for item in items}


# --- builders, each at a given moment -------------------------------------------------------


def _deposit(desk: Desk, staff: Staff, at: datetime, **changes: object) -> CustodyItem:
    with transaction(desk.engine) as session:
        return storage.deposit(session, acting=Acting(desk.site_id, staff.operator),
                               form=storage_form(**changes),
                               now=at)


_TRACKING = iter(range(10_000_000, 99_999_999))


def _parcel(desk: Desk, staff: Staff, at: datetime, unit: str = "3-2-1201") -> CustodyItem:
    with transaction(desk.engine) as session:
        return parcels.check_in(session, acting=Acting(desk.site_id, staff.operator),
                                scan=f"SF{next(_TRACKING)}",
                                carrier="顺丰", unit=unit, resident_name="王建国", shelf="B-2",
                                consent=True, now=at,
                                settings=desk.settings, phone=PHONE)


def _found(desk: Desk, staff: Staff, at: datetime, *, valuable: bool = False,
           description: str = "黑色雨伞") -> CustodyItem:
    with transaction(desk.engine) as session:
        return lostfound.register_found(
            session, acting=Acting(desk.site_id, staff.operator),
            form=lostfound.FoundForm(description=description, found_where="3号楼电梯间",
                                     finder="保洁 张阿姨", valuable=valuable),
            now=at)


_LABELS = iter(f"钥匙{n}" for n in range(1, 1000))


def _key(desk: Desk, staff: Staff, at: datetime) -> KeyRecord:
    with transaction(desk.engine) as session:
        return keys.register_key(session, acting=Acting(desk.site_id, staff.operator),
                                 unit="3-2-1201",
                                 label=next(_LABELS), place="钥匙柜 A-12", custodian="赵敏",
                                 now=at)


def _lend(desk: Desk, staff: Staff, due_at: datetime) -> tuple[KeyRecord, KeyLoan]:
    """A key lent two hours before it is due (and before the handover)."""
    out = min(due_at, NOW) - timedelta(hours=2)
    key = _key(desk, staff, out)
    with transaction(desk.engine) as session:
        loan = keys.lend_key(session, acting=Acting(desk.site_id, staff.operator),
                             key_id=key.id or 0,
                             borrower=RESIDENT, purpose="", due_at=due_at, now=out,
                             settings=desk.settings)
    return key, loan


# --- the window the tests stand in ------------------------------------------------------------


def test_the_window_is_the_morning_shift_handing_over(desk: Desk, staff: Staff) -> None:
    window = _window(desk, staff)
    assert (window.now, window.shift_ends_at, window.next_shift_ends_at) == (
        NOW, _local("2026-11-23 16:00"), NEXT_END)


# --- storage ---------------------------------------------------------------------------------


def test_stored_items_overdue_by_the_storage_rule_are_urgent_then_watch_then_routine(
    desk: Desk, staff: Staff
) -> None:
    days = timedelta(days=desk.settings.storage_overdue_days)
    # Made out of order, so the group's order is its own, not the order of entry.
    routine = _deposit(desk, staff, NEXT_END + MINUTE - days, description="纸箱")
    urgent = _deposit(desk, staff, NOW - MINUTE - days, description="行李箱")
    watch_late = _deposit(desk, staff, NEXT_END - MINUTE - days, description="雨伞")
    watch_soon = _deposit(desk, staff, NOW + MINUTE - days, description="书包", pieces=2)
    items = _group(desk, staff, "storage")
    assert [item.reference for item in items] == [
        urgent.code, watch_soon.code, watch_late.code, routine.code]
    assert [item.level for item in items] == [URGENT, WATCH, WATCH, ROUTINE]
    first = items[0]
    assert first.deadline == NOW - MINUTE and first.since == NOW - MINUTE - days
    assert (first.record_kind, first.record_id, first.unit_code) == (
        "custody", urgent.id, "3-2-1201")
    assert first.deadline.tzinfo is not None and first.since.utcoffset() == timedelta(0)
    assert items[1].what == "书包 (2 pieces)" and first.what == "行李箱"
    assert all(PHONE not in item.what for item in items)
    with reading(desk.engine) as session:
        flagged = storage.held(session, acting=Acting(desk.site_id), now=NOW,
                               settings=desk.settings,
                               overdue_only=True).rows
    # The urgent ones are exactly those the storage list flags as overdue.
    assert [row.code for row in flagged] == [
        item.reference for item in items if item.level == URGENT]


def test_the_overdue_moment_is_the_rules_own_line(desk: Desk) -> None:
    rule = storage.overdue_rule(desk.settings)
    received = NOW - timedelta(days=3)
    at = rule.overdue_at(received)
    assert at == received + timedelta(days=desk.settings.storage_overdue_days)
    item = CustodyItem(site_id=1, ledger="storage", description="x", received_at=received)
    assert not rule.applies(item, at) and rule.applies(item, at + timedelta(microseconds=1))


def test_collected_and_voided_stored_items_are_not_carried(desk: Desk, staff: Staff) -> None:
    kept = _deposit(desk, staff, NOW - timedelta(days=10))
    collected = _deposit(desk, staff, NOW - timedelta(days=10))
    voided = _deposit(desk, staff, NOW - timedelta(days=9))
    with transaction(desk.engine) as session:
        storage.collect(session, acting=Acting(desk.site_id, staff.operator),
                        code=collected.code or "",
                        collector=SIGNED, now=NOW - MINUTE,
                        settings=desk.settings)
        core.void(session, acting=Acting(desk.site_id, staff.operator), item_id=voided.id or 0,
                  reason="登记错误",
                  now=NOW - MINUTE)
    assert [item.reference for item in _group(desk, staff, "storage")] == [kept.code]


# --- keys -------------------------------------------------------------------------------------


def test_keys_out_overdue_first_at_both_boundaries(desk: Desk, staff: Staff) -> None:
    routine_key, routine = _lend(desk, staff, NEXT_END + MINUTE)
    watch_key, watch = _lend(desk, staff, NEXT_END - MINUTE)
    urgent_key, urgent = _lend(desk, staff, NOW - MINUTE)
    soon_key, soon = _lend(desk, staff, NOW + MINUTE)
    items = _group(desk, staff, "keys")
    assert [item.record_id for item in items] == [urgent.id, soon.id, watch.id, routine.id]
    assert [item.level for item in items] == [URGENT, WATCH, WATCH, ROUTINE]
    first = items[0]
    assert (first.record_kind, first.reference, first.unit_code) == (
        "key_loan", urgent_key.code, "3-2-1201")
    assert first.deadline == NOW - MINUTE and first.since == NOW - MINUTE - timedelta(hours=2)
    assert first.what == f"{urgent_key.label}, lent to 李娜"
    assert assembly.step_label(first.last_step) == "Key lent"
    assert all(PHONE not in item.what and ID_NUMBER not in item.what for item in items)
    with reading(desk.engine) as session:
        overdue = keys.keys_out(session, acting=Acting(desk.site_id), now=NOW,
                                overdue_only=True).rows
    assert [row.loan_id for row in overdue] == [
        item.record_id for item in items if item.level == URGENT]
    assert {soon_key.code, watch_key.code, routine_key.code} == {
        item.reference for item in items[1:]}


def test_returned_keys_and_issues_for_good_are_not_carried(desk: Desk, staff: Staff) -> None:
    _kept_key, kept = _lend(desk, staff, NOW - timedelta(hours=1))
    back_key, _back = _lend(desk, staff, NOW - timedelta(hours=1))
    issued_key = _key(desk, staff, NOW - timedelta(days=1))
    with transaction(desk.engine) as session:
        keys.return_key(session, acting=Acting(desk.site_id, staff.operator),
                        key_id=back_key.id or 0,
                        now=NOW - MINUTE)
        keys.issue_key(session, acting=Acting(desk.site_id, staff.operator),
                       key_id=issued_key.id or 0,
                       owner=Borrower(name="王建国", kind="owner", id_checked=True,
                                      signed=True),
                       now=NOW - MINUTE)
    assert [item.record_id for item in _group(desk, staff, "keys")] == [kept.id]


def test_a_chased_loan_says_so(desk: Desk, staff: Staff) -> None:
    _key_record, loan = _lend(desk, staff, NOW - timedelta(hours=1))
    with transaction(desk.engine) as session:
        keys.chase(session, acting=Acting(desk.site_id, staff.operator), loan_id=loan.id or 0,
                   note="电话催还",
                   now=NOW - MINUTE)
    [item] = _group(desk, staff, "keys")
    assert assembly.step_label(item.last_step) == "Borrower chased"


# --- parcels ----------------------------------------------------------------------------------


def test_parcels_by_age_overdue_by_the_parcel_rule(desk: Desk, staff: Staff) -> None:
    days = timedelta(days=desk.settings.parcel_overdue_days)
    routine = _parcel(desk, staff, NEXT_END + MINUTE - days)
    watch_late = _parcel(desk, staff, NEXT_END - MINUTE - days, unit="3-2-1202")
    urgent = _parcel(desk, staff, NOW - MINUTE - days)
    watch_soon = _parcel(desk, staff, NOW + MINUTE - days)
    items = _group(desk, staff, "parcels")
    assert [item.reference for item in items] == [
        urgent.code, watch_soon.code, watch_late.code, routine.code]
    assert [item.level for item in items] == [URGENT, WATCH, WATCH, ROUTINE]
    assert [item.unit_code for item in items] == ["3-2-1201", "3-2-1201", "3-2-1202",
                                                  "3-2-1201"]
    assert items[0].deadline == NOW - MINUTE and items[0].record_kind == "custody"
    assert all(item.reference.startswith("P-") and PHONE not in item.what for item in items)
    with reading(desk.engine) as session:
        flagged = parcels.waiting(session, acting=Acting(desk.site_id), now=NOW,
                                  settings=desk.settings, overdue_only=True).rows
    assert [row.code for row in flagged] == [urgent.code]


def test_picked_up_parcels_are_not_carried_and_a_notice_is_the_last_step(
    desk: Desk, staff: Staff
) -> None:
    waiting = _parcel(desk, staff, NOW - timedelta(hours=5))
    notified = _parcel(desk, staff, NOW - timedelta(hours=4))
    gone = _parcel(desk, staff, NOW - timedelta(hours=3))
    with transaction(desk.engine) as session:
        parcels.pick_up(session, acting=Acting(desk.site_id, staff.operator), item_id=gone.id or 0,
                        collector=SIGNED, now=NOW - MINUTE,
                        settings=desk.settings)
        parcels.notify(session, acting=Acting(desk.site_id, staff.operator),
                       item_id=notified.id or 0, how="短信",
                       now=NOW - MINUTE)
    items = _group(desk, staff, "parcels")
    assert [(item.reference, assembly.step_label(item.last_step)) for item in items] == [
        (waiting.code, "Received"), (notified.code, "Resident notified")]


# --- lost and found ---------------------------------------------------------------------------


def test_a_valuable_is_due_at_the_admin_office_the_midnight_after_it_came(
    desk: Desk, staff: Staff
) -> None:
    wallet = _found(desk, staff, _local("2026-11-23 09:00"), valuable=True,
                    description="黑色钱包")
    midnight = _local("2026-11-24 00:00")
    assert lostfound.admin_due_at(wallet.received_at, settings=desk.settings) == midnight
    for now, level, for_admin in [(midnight - MINUTE, WATCH, False),
                                  (midnight + MINUTE, URGENT, True)]:
        [item] = _group(desk, staff, "lost", now)
        assert (item.reference, item.deadline, item.level) == (wallet.code, midnight, level)
        assert item.what == "黑色钱包, valuable"
        with reading(desk.engine) as session:
            listed = lostfound.valuables_for_admin(session, acting=Acting(desk.site_id), now=now,
                                                   settings=desk.settings)
        # Urgent exactly when the ledger's own list sends it to the admin office.
        assert bool(listed) is for_admin


def test_unclaimed_items_are_due_for_disposal_three_months_on(
    desk: Desk, staff: Staff
) -> None:
    months = desk.settings.lost_found_disposal_months
    assert months == 3
    routine = _found(desk, staff, _local("2026-08-24 00:01"), description="水杯")
    watch_late = _found(desk, staff, _local("2026-08-23 23:59"), description="围巾")
    urgent = _found(desk, staff, _local("2026-08-23 09:59"), description="雨伞")
    watch_soon = _found(desk, staff, _local("2026-08-23 10:01"), description="手套")
    items = _group(desk, staff, "lost")
    assert [item.reference for item in items] == [
        urgent.code, watch_soon.code, watch_late.code, routine.code]
    assert [item.level for item in items] == [URGENT, WATCH, WATCH, ROUTINE]
    assert [item.deadline for item in items] == [
        NOW - MINUTE, NOW + MINUTE, NEXT_END - MINUTE, NEXT_END + MINUTE]
    with reading(desk.engine) as session:
        disposable = lostfound.disposal_list(session, acting=Acting(desk.site_id), now=NOW,
                                             settings=desk.settings)
    assert [row.code for row in disposable] == [urgent.code]


def test_the_disposal_date_of_a_month_end_waits_for_the_cutoff(desk: Desk) -> None:
    settings = desk.settings
    received = _local("2026-08-31 10:00")  # three months on, November has no 31st
    date = lostfound.disposal_date(received, settings=settings)
    assert date == _local("2026-12-01 00:00")
    assert received <= lostfound.disposal_cutoff(now=date, settings=settings)
    assert received > lostfound.disposal_cutoff(now=date - MINUTE, settings=settings)
    plain = _local("2026-08-23 09:59")
    assert lostfound.disposal_date(plain, settings=settings) == NOW - MINUTE


def test_lost_group_keeps_the_desk_and_the_disposable_at_admin_not_the_claimed(
    desk: Desk, staff: Staff
) -> None:
    at_desk = _found(desk, staff, NOW - timedelta(days=2))
    claimed = _found(desk, staff, NOW - timedelta(days=2))
    old_at_admin = _found(desk, staff, _local("2026-08-01 10:00"), description="旧雨衣")
    recent_at_admin = _found(desk, staff, NOW - timedelta(days=40))
    with transaction(desk.engine) as session:
        lostfound.claim(session, acting=Acting(desk.site_id, staff.operator),
                        item_id=claimed.id or 0,
                        claimant=SIGNED, description_check="能说出颜色", now=NOW - MINUTE,
                        settings=desk.settings)
        lostfound.hand_over(session, acting=Acting(desk.site_id, staff.operator),
                            item_ids=[old_at_admin.id or 0, recent_at_admin.id or 0],
                            receiver="行政部 周敏", now=NOW - timedelta(days=20),
                            settings=desk.settings)
    items = _group(desk, staff, "lost")
    assert [(item.reference, item.level) for item in items] == [
        (old_at_admin.code, URGENT), (at_desk.code, ROUTINE)]
    assert assembly.step_label(items[0].last_step) == "Handed to the admin office"
    assert assembly.step_label(items[1].last_step) == "Received" and items[1].unit_code == ""


# --- the handover as a whole ------------------------------------------------------------------


def test_assembly_lists_the_groups_in_order_and_empty_ledgers_as_empty_groups(
    desk: Desk, staff: Staff
) -> None:
    with reading(desk.engine) as session:
        groups = assembly.assemble(session, _window(desk, staff))
    assert [group.group for group in groups] == [
        "requests", "revisits", "storage", "keys", "parcels", "lost", "release_unused",
        "release_unfiled", "anomalies"]
    custody = {group.group: group.items for group in groups
               if group.group in {"storage", "keys", "parcels", "lost"}}
    assert custody == {"storage": [], "keys": [], "parcels": [], "lost": []}
    stored = _deposit(desk, staff, NOW - timedelta(days=1))
    with reading(desk.engine) as session:
        groups = assembly.assemble(session, _window(desk, staff))
    counted = {group.group: [item.reference for item in group.items] for group in groups}
    assert counted["storage"] == [stored.code]
    assert counted["keys"] == counted["parcels"] == counted["lost"] == []


def test_a_moved_item_shows_the_move_and_chinese_readers_read_chinese(
    desk: Desk, staff: Staff
) -> None:
    item = _deposit(desk, staff, NOW - timedelta(days=1))
    with transaction(desk.engine) as session:
        core.move(session, acting=Acting(desk.site_id, staff.operator), item_id=item.id or 0,
                  place="B-1",
                  now=NOW - MINUTE)
    [carried] = _group(desk, staff, "storage")
    assert assembly.step_label(carried.last_step) == "Moved"
    titles = [contribution.title() for contribution in handover.CONTRIBUTIONS]
    i18n.set_language("zh_CN")
    chinese = [contribution.title() for contribution in handover.CONTRIBUTIONS]
    [carried] = _group(desk, staff, "storage")
    assert all(zh != en for zh, en in zip(chinese, titles, strict=True))
    shown = assembly.step_label(carried.last_step)
    assert shown != "Moved" and shown
