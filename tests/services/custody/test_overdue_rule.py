"""One overdue rule per ledger serves the list's flag, its filter, its count, the record
view and the dashboard: exactly the limit is not yet overdue, a minute past is, everywhere."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.services import dashboard
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from deskapp.services.custody import parcels, storage
from tests.services.custody.test_custody import Staff, deposit, make_staff, make_unit


@pytest.fixture
def staff(desk: Desk) -> Staff:
    make_unit(desk)
    return make_staff(desk)


def _storage_views(desk: Desk, item_id: int) -> dict[str, object]:
    now, settings = desk.clock.now(), desk.settings
    with reading(desk.engine) as session:
        held = storage.held(session, acting=Acting(desk.site_id), now=now, settings=settings)
        return {
            "list flag": [row.overdue for row in held.rows],
            "filter": storage.held(session, acting=Acting(desk.site_id), now=now, settings=settings,
                                   overdue_only=True).total,
            "count": storage.overdue_count(session, acting=Acting(desk.site_id), now=now,
                                           settings=settings),
            "record": storage.record(session, acting=Acting(desk.site_id), item_id=item_id, now=now,
                                     settings=settings).overdue,
            "dashboard": dashboard.custody_counts(session, acting=Acting(desk.site_id), now=now,
                                                  settings=settings)["items_overdue"],
        }


def test_storage_overdue_at_exactly_the_limit_and_a_minute_past(
    desk: Desk, staff: Staff, clock: FixedClock
) -> None:
    item = deposit(desk, staff)
    assert item.id is not None
    clock.advance(timedelta(days=desk.settings.storage_overdue_days))
    assert _storage_views(desk, item.id) == {
        "list flag": [False], "filter": 0, "count": 0, "record": False, "dashboard": 0}
    clock.advance(timedelta(minutes=1))
    assert _storage_views(desk, item.id) == {
        "list flag": [True], "filter": 1, "count": 1, "record": True, "dashboard": 1}


def _parcel_views(desk: Desk) -> dict[str, object]:
    now, settings = desk.clock.now(), desk.settings
    with reading(desk.engine) as session:
        waiting = parcels.waiting(session, acting=Acting(desk.site_id), now=now, settings=settings)
        return {
            "list flag": [row.overdue for row in waiting.rows],
            "filter": parcels.waiting(session, acting=Acting(desk.site_id), now=now,
                                      settings=settings,
                                      overdue_only=True).total,
            "count": parcels.overdue_count(session, acting=Acting(desk.site_id), now=now,
                                           settings=settings),
            "dashboard": dashboard.custody_counts(session, acting=Acting(desk.site_id), now=now,
                                                  settings=settings)["parcels_overdue"],
        }


def test_parcel_overdue_at_exactly_the_limit_and_a_minute_past(
    desk: Desk, staff: Staff, clock: FixedClock
) -> None:
    with transaction(desk.engine) as session:
        parcels.check_in(session, acting=Acting(desk.site_id, staff.operator),
                         scan="SF1234567890123", carrier="顺丰",
                         unit="3-2-1201", resident_name="王建国", shelf="B-2", consent=True,
                         now=clock.now(), settings=desk.settings)
    clock.advance(timedelta(days=desk.settings.parcel_overdue_days))
    assert _parcel_views(desk) == {"list flag": [False], "filter": 0, "count": 0,
                                   "dashboard": 0}
    clock.advance(timedelta(minutes=1))
    assert _parcel_views(desk) == {"list flag": [True], "filter": 1, "count": 1,
                                   "dashboard": 1}


def test_a_collected_item_is_never_overdue(desk: Desk, staff: Staff, clock: FixedClock) -> None:
    item = deposit(desk, staff)
    rule = storage.overdue_rule(desk.settings)
    later = clock.now() + timedelta(days=30)
    assert rule.applies(item, later)
    collected = item.model_copy(update={"status": "collected"})
    assert not rule.applies(collected, later)
