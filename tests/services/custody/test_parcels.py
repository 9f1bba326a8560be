"""Parcels (快件代收): consent, fast check-in, scanned twice, pickup, waiting by age."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.models.custody import CustodyItem, ItemStatus
from deskapp.services import codes, directory, instructions
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from deskapp.services.custody import core, parcels
from deskapp.services.custody.checks import Collector
from tests.services.custody.test_custody import Staff, counts, make_staff, make_unit

PICKER = Collector(name="王丽", signed=True)


@pytest.fixture
def staff(desk: Desk) -> Staff:
    make_unit(desk)
    make_unit(desk, "3-2-1202")
    return make_staff(desk)


def _scan(desk: Desk, staff: Staff, scan: str, *, unit: str = "3-2-1201",
          carrier: str = "顺丰", consent: bool = True, **extra: Any) -> CustodyItem:
    with transaction(desk.engine) as session:
        return parcels.check_in(session, acting=Acting(desk.site_id, staff.operator), scan=scan,
                                carrier=carrier,
                                unit=unit, resident_name=extra.pop("name", "王建国"),
                                shelf=extra.pop("shelf", "B-2"), consent=consent,
                                now=desk.clock.now(),
                                settings=desk.settings, **extra)


def _pick_up(desk: Desk, staff: Staff, item: CustodyItem,
             collector: Collector = PICKER) -> CustodyItem:
    with transaction(desk.engine) as session:
        return parcels.pick_up(session, acting=Acting(desk.site_id, staff.operator),
                               item_id=item.id or 0,
                               collector=collector, now=desk.clock.now(),
                               settings=desk.settings)


def test_log_a_parcel_with_consent(desk: Desk, staff: Staff) -> None:
    with transaction(desk.engine) as session:
        item = parcels.log_parcel(
            session, acting=Acting(desk.site_id, staff.operator),
            form=parcels.ParcelForm(carrier="京东", tracking_number="JD0012345678901",
                                    unit="3-2-1201", resident_name="王建国", shelf="B-2",
                                    phone="13812345678", description="小件", pieces=2),
            consent=True, now=desk.clock.now(),
        )
    assert (item.code or "").startswith("P-") and item.consent == "explicit"
    assert (item.carrier, item.tracking_number, item.place) == ("京东", "JD0012345678901", "B-2")
    assert item.owner_phone_tail == "5678" and item.pieces == 2


def test_without_consent_a_parcel_is_refused(desk: Desk, staff: Staff) -> None:
    before = counts(desk)
    with pytest.raises(InvalidInput) as refused:
        _scan(desk, staff, "SF1234567890123", consent=False)
    assert refused.value.field == "consent" and "3-2-1201" in refused.value.message
    assert counts(desk) == before


def test_a_standing_instruction_to_hold_parcels_counts_as_consent(
    desk: Desk, staff: Staff
) -> None:
    with transaction(desk.engine) as session:
        unit = directory.get_unit(session, acting=Acting(desk.site_id), code="3-2-1201")
        instructions.add_instruction(
            session, acting=Acting(desk.site_id, staff.operator), unit_id=unit.id or 0,
            kind="hold_parcels",
            expires_on=date(2027, 6, 30), given_by="王建国", now=desk.clock.now(),
            settings=desk.settings,
        )
    item = _scan(desk, staff, "SF1234567890123", consent=False)
    assert item.consent == "standing"
    with pytest.raises(InvalidInput):
        _scan(desk, staff, "SF1234567890999", consent=False, unit="3-2-1202")


def test_a_pile_is_checked_in_one_scan_at_a_time(desk: Desk, staff: Staff) -> None:
    scans = ["sf 1234 5678 9012 3", "YT9876543210987\r", "773123456789012"]
    items = [_scan(desk, staff, scan) for scan in scans]
    assert [item.tracking_number for item in items] == [
        "SF1234567890123", "YT9876543210987", "773123456789012",
    ]
    assert len({item.code for item in items}) == 3


def test_a_parcel_scanned_twice_is_refused(desk: Desk, staff: Staff) -> None:
    first = _scan(desk, staff, "SF1234567890123")
    before = counts(desk)
    with pytest.raises(Conflict) as refused:
        _scan(desk, staff, "sf1234567890123", unit="3-2-1202")
    assert refused.value.field == "tracking_number"
    assert "scanned twice" in refused.value.message and (first.code or "") in refused.value.message
    assert counts(desk) == before
    # Another carrier's parcel may carry the same number.
    _scan(desk, staff, "SF1234567890123", carrier="中通")


def test_after_pickup_the_same_tracking_number_may_come_again(desk: Desk, staff: Staff) -> None:
    first = _scan(desk, staff, "SF1234567890123")
    _pick_up(desk, staff, first)
    again = _scan(desk, staff, "SF1234567890123")  # returned to sender, delivered again
    assert again.id != first.id


def test_two_desks_scanning_the_same_parcel_the_database_refuses_the_second(
    desk: Desk, staff: Staff, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other desk's row arrives between our check and our insert."""
    _scan(desk, staff, "SF1234567890123")
    real = parcels._waiting_duplicate
    calls = {"n": 0}

    def not_yet_seen(session: Any, *, site_id: int, key: str) -> CustodyItem | None:
        calls["n"] += 1
        return None if calls["n"] == 1 else real(session, site_id=site_id, key=key)

    monkeypatch.setattr(parcels, "_waiting_duplicate", not_yet_seen)
    with transaction(desk.engine) as session:
        other = parcels.check_in(session, acting=Acting(desk.site_id, staff.operator),
                                 scan="YT9876543210987",
                                 carrier="圆通", unit="3-2-1202", resident_name="李明",
                                 shelf="B-3", consent=True, now=desk.clock.now())
        calls["n"] = 0
        with pytest.raises(Conflict) as refused:
            parcels.check_in(session, acting=Acting(desk.site_id, staff.operator),
                             scan="SF1234567890123",
                             carrier="顺丰", unit="3-2-1201", resident_name="王建国",
                             shelf="B-2", consent=True, now=desk.clock.now())
        assert "scanned twice" in refused.value.message
    with reading(desk.engine) as session:  # the pile's other parcel was kept
        assert core.get_item(session, acting=Acting(desk.site_id),
                                item_id=other.id or 0).status == ItemStatus.HELD
        assert parcels.waiting(session, acting=Acting(desk.site_id), now=desk.clock.now(),
                               settings=desk.settings).total == 2


@pytest.mark.parametrize(
    ("field", "scan", "extra"),
    [
        ("tracking_number", "", {}),
        ("tracking_number", "12345", {}),
        ("tracking_number", "SF12345😀", {}),
        ("tracking_number", "X" * 41, {}),
        ("resident_name", "SF1234567890123", {"name": ""}),
        ("shelf", "SF1234567890123", {"shelf": ""}),
        ("carrier", "SF1234567890123", {"carrier": ""}),
        ("phone", "SF1234567890123", {"phone": "abc"}),
    ],
)
def test_bad_check_ins_are_refused(
    desk: Desk, staff: Staff, field: str, scan: str, extra: dict[str, Any]
) -> None:
    before = counts(desk)
    with pytest.raises(InvalidInput) as refused:
        _scan(desk, staff, scan, **extra)
    assert refused.value.field == field
    assert counts(desk) == before


def test_unknown_unit_is_refused(desk: Desk, staff: Staff) -> None:
    with pytest.raises(NotFound) as refused:
        _scan(desk, staff, "SF1234567890123", unit="9-9-909")
    assert refused.value.field == "unit"


def test_pickup_with_the_collectors_name_and_signature(desk: Desk, staff: Staff) -> None:
    item = _scan(desk, staff, "SF1234567890123")
    with pytest.raises(InvalidInput) as refused:
        _pick_up(desk, staff, item, Collector(name="王丽"))
    assert refused.value.field == "signed"
    with pytest.raises(InvalidInput) as refused:
        _pick_up(desk, staff, item, Collector(name="", signed=True))
    assert refused.value.field == "collector"
    picked = _pick_up(desk, staff, item)
    assert picked.status == ItemStatus.RELEASED and picked.released_to == "王丽"
    with pytest.raises(Conflict) as again:
        _pick_up(desk, staff, item, Collector(name="李明", signed=True))
    assert "王丽" in again.value.message


def test_pickup_by_code(desk: Desk, staff: Staff) -> None:
    item = _scan(desk, staff, "SF1234567890123")
    with transaction(desk.engine) as session:
        picked = parcels.pick_up_by_code(session, acting=Acting(desk.site_id, staff.operator),
                                         code=(item.code or "").lower(), collector=PICKER,
                                         now=desk.clock.now())
    assert picked.id == item.id
    with transaction(desk.engine) as session, pytest.raises(InvalidInput):
        parcels.pick_up_by_code(session, acting=Acting(desk.site_id, staff.operator),
                                code=codes.make_code("S", 3),
                                collector=PICKER, now=desk.clock.now())


def test_notify_is_on_the_timeline(desk: Desk, staff: Staff) -> None:
    item = _scan(desk, staff, "SF1234567890123")
    with transaction(desk.engine) as session:
        parcels.notify(session, acting=Acting(desk.site_id, staff.operator), item_id=item.id or 0,
                       how="短信通知",
                       now=desk.clock.now())
    with reading(desk.engine) as session:
        events = core.timeline(session, acting=Acting(desk.site_id), item_id=item.id or 0)
    assert [(e.kind, e.note) for e in events][-1] == ("notified", "短信通知")


def test_waiting_by_age_with_overdue_after_three_days(
    desk: Desk, staff: Staff, clock: FixedClock
) -> None:
    old = _scan(desk, staff, "SF1234567890123")
    clock.advance(timedelta(days=1))
    new = _scan(desk, staff, "YT9876543210987", unit="3-2-1202")
    clock.advance(timedelta(days=2))  # old: exactly 3 days
    with reading(desk.engine) as session:
        page = parcels.waiting(session, acting=Acting(desk.site_id), now=clock.now(),
                               settings=desk.settings)
        assert [(row.id, row.overdue) for row in page.rows] == [(old.id, False),
                                                                (new.id, False)]
    clock.advance(timedelta(minutes=1))
    with reading(desk.engine) as session:
        overdue = parcels.waiting(session, acting=Acting(desk.site_id), now=clock.now(),
                                  settings=desk.settings, overdue_only=True)
        mine = parcels.waiting(session, acting=Acting(desk.site_id), now=clock.now(),
                               settings=desk.settings, unit="3-2-1202")
        nowhere = parcels.waiting(session, acting=Acting(desk.site_id), now=clock.now(),
                                  settings=desk.settings, unit="9-9-909")
        tracked = parcels.find_tracking(session, acting=Acting(desk.site_id), text="0987",
                                        now=clock.now(), settings=desk.settings)
    assert [row.id for row in overdue.rows] == [old.id] and overdue.rows[0].overdue
    assert overdue.rows[0].age == timedelta(days=3, minutes=1)
    assert [row.id for row in mine.rows] == [new.id]
    assert nowhere.total == 0
    assert [row.id for row in tracked] == [new.id]
