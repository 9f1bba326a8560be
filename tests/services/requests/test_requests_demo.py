"""The demo week of requests: every kind, several states, work orders, revisits and
escalations, all through the services (so the audit chain verifies)."""

from __future__ import annotations

import random
from collections import Counter
from zoneinfo import ZoneInfo

from sqlmodel import select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models.requests import ServiceRequest
from deskapp.services import audit
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.requests import demo as requests_demo
from tests.services.requests.test_requests_support import (  # noqa: F401 (fixtures)
    Homes,
    Staff,
    homes_fixture,
    staff_fixture,
)


def test_demo_week_has_requests_in_every_state(desk: Desk, staff: Staff, homes: Homes):
    operators = {op.login: op for op in (staff.operator, staff.colleague, staff.supervisor,
                                         staff.manager, staff.guard)}
    with transaction(desk.engine) as session:
        report = requests_demo.seed_requests(
            session, acting=Acting(desk.site_id), now=desk.clock.now(), rng=random.Random(7),
            zone=ZoneInfo("Asia/Shanghai"), operators=operators,
            units=[homes.a, homes.b, homes.c, homes.d], settings=desk.settings)
    assert report.requests == len(requests_demo.SCENARIOS)
    assert report.work_orders >= 4 and report.revisits >= 4 and report.escalations >= 2
    with reading(desk.engine) as session:
        rows = session.exec(select(ServiceRequest)).all()
        assert audit.verify(session).ok
    kinds = Counter(row.kind for row in rows)
    statuses = Counter(row.status for row in rows)
    severities = Counter(row.severity for row in rows)
    assert set(kinds) == {"complaint", "repair", "inquiry", "help", "suggestion",
                          "paid_service"}
    assert {"received", "dispatched", "resolved", "closed", "voided",
            "answered"} <= set(statuses)
    assert {"hot", "major"} <= set(severities)
    now = desk.clock.now()
    assert any(as_utc(row.next_due_at) < now for row in rows if row.next_due_at is not None)
