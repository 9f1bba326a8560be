"""The dashboard's counts of what waits for the supervisor from the handovers (sealed
handovers not yet reviewed, refused items not yet settled) and of the release slips
(waiting for the owner's confirmation, issued today, released and not filed)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.formatting import desk_zone
from deskapp.models import Operator
from deskapp.services import dashboard
from deskapp.services.acting import Acting
from deskapp.services.handover import dutylog, handovers
from deskapp.services.release import slips
from tests.services.release.test_slips import confirm, create, form, issue, local, pass_gate
from tests.support import (  # noqa: F401 (fixtures)
    PIN,
    Homes,
    Staff,
    homes_fixture,
    staff_fixture,
)


def seal_handover(desk: Desk, outgoing: Operator, incoming: Operator, *, refuse: bool,
                  now: datetime | None = None, pin: str = PIN) -> int:
    """A handover of the shift running at ``now`` by ``outgoing``, carrying one anomaly of
    the duty log that ``incoming`` takes (or refuses), counted and signed by both."""
    now = now or desk.clock.now()
    site_id, settings = desk.site_id, desk.settings
    with transaction(desk.engine) as session:
        dutylog.write_entry(session, acting=Acting(site_id, outgoing), now=now - timedelta(hours=1),
                            settings=settings, text="地下车库B区入口积水，已报工程部", anomaly=True)
    with transaction(desk.engine) as session:
        handover = handovers.start(session, acting=Acting(site_id, outgoing), now=now,
                                   settings=settings)
        assert handover.id is not None
        common: dict[str, Any] = {"acting": Acting(site_id), "handover_id": handover.id,
                                  "now": now}
        by_outgoing = common | {"acting": Acting(site_id, outgoing)}
        [item] = handovers.items_of(session, handover.id)
        handovers.settle_item(session, **by_outgoing, item_id=item.id or 0,
                              level="watch", next_action="跟进工程部处理", next_at=None,
                              contingency="若积水扩大，通知保安疏导车辆")
        handovers.name_incoming(session, **by_outgoing, login=incoming.login)
        handovers.take_item(session, **common, item_id=item.id or 0, accept=not refuse,
                            reason="工程部未到场，请主管协调" if refuse else "")
        for public in handovers.counts_of(session, handover.id):
            handovers.count(session, **common, count_id=public.id or 0,
                            counted=public.expected)
        for side, signer in (("outgoing", outgoing), ("incoming", incoming)):
            handovers.sign(session, **common, side=side, login=signer.login, pin=pin,
                           settings=settings)
        return handover.id


def waiting(desk: Desk, *, with_settings: bool = True) -> tuple[int | None, int | None]:
    with reading(desk.engine) as session:
        summary = dashboard.desk_summary(session, acting=Acting(desk.site_id), now=desk.clock.now(),
                                         settings=desk.settings if with_settings else None)
    return summary.handovers_unreviewed, summary.refused_waiting


def test_the_dashboard_counts_what_the_handovers_leave_for_the_supervisor(
    desk: Desk, staff: Staff,
) -> None:
    assert waiting(desk) == (0, 0)
    seal_handover(desk, staff.operator, staff.colleague, refuse=True)
    assert waiting(desk) == (1, 1)
    assert waiting(desk, with_settings=False) == (1, 1)  # the handovers need no settings
    # A handover still open waits for its operators, not for the supervisor.
    later = desk.clock.now() + timedelta(hours=8)
    with transaction(desk.engine) as session:
        handovers.start(session, acting=Acting(desk.site_id, staff.colleague), now=later,
                        settings=desk.settings)
    assert waiting(desk) == (1, 1)
    with reading(desk.engine) as session:
        [refused] = handovers.refused_waiting(session, acting=Acting(desk.site_id))
    with transaction(desk.engine) as session:
        handovers.settle_refused(session, acting=Acting(desk.site_id, staff.supervisor),
                                 item_id=refused.item.id or 0,
                                 note="已协调工程部今晚处理",
                                 now=desk.clock.now())
    assert waiting(desk) == (1, 0)
    with transaction(desk.engine) as session:
        handovers.review_day(session, acting=Acting(desk.site_id, staff.supervisor),
                             day=desk.clock.now().astimezone(desk_zone(desk.settings.timezone))
                             .date(),
                             remarks="已阅", now=desk.clock.now(), settings=desk.settings)
    assert waiting(desk) == (0, 0)


def test_an_accepted_item_leaves_nothing_on_the_supervisors_list(
    desk: Desk, staff: Staff,
) -> None:
    seal_handover(desk, staff.operator, staff.colleague, refuse=False)
    assert waiting(desk) == (1, 0)


def test_the_demo_desk_shows_one_handover_to_review_and_one_refused_item(
    demo_desk: Desk,
) -> None:
    assert waiting(demo_desk) == (1, 1)


def test_the_release_slip_tiles_count_as_the_desk_s_lists_do(
    desk: Desk, staff: Staff, homes: Homes,
) -> None:
    def tiles(now: datetime | None = None, *, with_settings: bool = True) -> tuple[
            int | None, int | None, int | None]:
        with reading(desk.engine) as session:
            summary = dashboard.desk_summary(session, acting=Acting(desk.site_id),
                                             now=now or desk.clock.now(),
                                             settings=desk.settings if with_settings else None)
        return summary.slips_waiting, summary.slips_issued_today, summary.slips_unfiled

    assert tiles() == (0, 0, 0)
    assert tiles(with_settings=False) == (None, None, None)
    slip = create(desk, staff)
    assert tiles() == (1, 0, 0)
    confirm(desk, staff, slip, homes)
    assert tiles() == (0, 0, 0)  # confirmed: no longer waiting, not issued yet
    issue(desk, staff, slip)
    assert tiles() == (0, 1, 0)
    pass_gate(desk, staff.guard, slip, local("2026-11-23T14:00"))
    assert tiles() == (0, 1, 1)
    # Issued today, counted until the desk's midnight; released and not filed until filed.
    assert tiles(local("2026-11-23T23:59")) == (0, 1, 1)
    assert tiles(local("2026-11-24T00:00")) == (0, 0, 1)
    other = create(desk, staff, form())
    confirm(desk, staff, other, homes)
    issue(desk, staff, other)
    with transaction(desk.engine) as session:
        slips.file(session, acting=Acting(desk.site_id, staff.operator), slip_id=slip.id or 0,
                   now=desk.clock.now())
        slips.void(session, acting=Acting(desk.site_id, staff.operator), slip_id=other.id or 0,
                   reason="业主改期",
                   now=desk.clock.now())
    assert tiles() == (0, 1, 0)  # filed still counts as issued today; voided does not
