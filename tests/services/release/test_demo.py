"""The demo's week of release slips: every state a slip can be in, each step through the
slips' services (so audited), the desk's lists and the week's reconciliation filled."""

from __future__ import annotations

from collections import Counter

from sqlmodel import col, select

from deskapp.db import reading
from deskapp.desk import Desk
from deskapp.models import AuditEntry, Operator, Role
from deskapp.models.release import (
    ReleaseLine,
    ReleasePattern,
    ReleaseSettlement,
    ReleaseSlip,
    SlipStatus,
)
from deskapp.services import dashboard, demo
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.release import demo as release_demo
from deskapp.services.release import moving_out, reconciliation, slips
from deskapp.services.workcalendar import WorkCalendar


def test_the_demo_holds_slips_in_every_state_each_step_audited(
        demo_desk: Desk, demo_report: demo.DemoReport) -> None:
    desk, site, now, settings = demo_desk, demo_desk.site_id, demo_desk.clock.now(), \
        demo_desk.settings
    with reading(desk.engine) as session:
        made = list(session.exec(select(ReleaseSlip).where(ReleaseSlip.site_id == site)
                                 .order_by(col(ReleaseSlip.id))).all())
        roles = {op.id: op.role for op in session.exec(select(Operator)).all()}
        lines = list(session.exec(select(ReleaseLine)).all())
        audited = list(session.exec(select(AuditEntry).where(
            col(AuditEntry.entity).in_(("release_slip", "release_pattern")))).all())
        [pattern] = session.exec(select(ReleasePattern)).all()
        settled = list(session.exec(select(ReleaseSettlement)).all())
        lists = {
            "waiting": slips.waiting_for_confirmation(session, acting=Acting(site)),
            "issued_today": slips.issued_today(session, acting=Acting(site), now=now,
                                               settings=settings),
            "unfiled": slips.released_not_filed(session, acting=Acting(site)),
            "unused": slips.unused_past_day(session, acting=Acting(site), now=now,
                                            settings=settings),
            "overdue": slips.returnables_overdue(session, acting=Acting(site), now=now,
                                                 settings=settings),
        }
        tiles = dashboard.release_counts(session, acting=Acting(site), now=now, settings=settings)
        moving = next(slip for slip in made if slip.reason == "moving_out")
        left = moving_out.unsettled(session, moving, now)
        week = slips.weekly_reconciliation(
            session, acting=Acting(site), settings=settings,
            week_start=reconciliation.last_week(now, WorkCalendar.from_settings(settings).zone))
    report = demo_report.slips
    assert report == release_demo.ReleaseDemoReport(
        slips=len(made), waiting=1, issued_today=4, unfiled=1, unused=1, overdue=1)
    assert {name: len(rows) for name, rows in lists.items()} == {
        "waiting": 1, "issued_today": 4, "unfiled": 1, "unused": 1, "overdue": 1}
    # The dashboard's count queries agree with the desk's lists.
    assert tiles == {"slips_waiting": 1, "slips_issued_today": 4, "slips_unfiled": 1}
    assert set(Counter(slip.status for slip in made)) == {status.value for status in SlipStatus}

    # Confirmed on the number on file, on another number with its reason, in person, and
    # a company's shipments under its standing pattern; one still waiting, one confirmed.
    kinds = Counter(slip.confirmation_kind for slip in made)
    assert kinds["phone"] >= 8 and kinds["in_person"] == 1 and kinds["pattern"] == 2
    [off_file] = [slip for slip in made if not slip.confirmed_on_file]
    assert off_file.off_file_reason and off_file.confirmed_phone == release_demo.OFF_FILE_PHONE
    assert any(slip.status == SlipStatus.DRAFT.value and slip.confirmed_at for slip in made)
    assert {slip.pattern_id for slip in made if slip.confirmation_kind == "pattern"} == {
        pattern.id}
    assert roles[pattern.approved_by_id] == Role.MANAGER.value

    # Refused by a rule and overridden by a supervisor: the evening sofa and a short notice.
    overridden = {slip.override_rules: slip for slip in made if slip.override_at}
    assert set(overridden) == {"office_hours", "moving_out_notice"}
    assert all(roles[slip.override_by_id] == Role.SUPERVISOR.value and slip.override_reason
               for slip in overridden.values())
    assert overridden["office_hours"].status == SlipStatus.FILED.value
    assert overridden["moving_out_notice"].id == moving.id
    assert moving.fees_settled_by and moving.status == SlipStatus.ISSUED.value and not left
    assert all(entry.slip_id == moving.id and not entry.settled and entry.note
               for entry in settled)

    # Sent back at the gate: one waits at the desk to be amended; one was revised (two
    # revisions, the first kept as superseded).
    [waits] = [slip for slip in made if slip.status == SlipStatus.SENT_BACK.value]
    assert waits.sent_back_note and not any(slip.supersedes_id == waits.id for slip in made)
    [old] = [slip for slip in made if slip.status == SlipStatus.SUPERSEDED.value]
    [new] = [slip for slip in made if slip.supersedes_id == old.id]
    assert (old.sent_back_note, new.revision, new.status) == (
        "实际另有餐椅四把，放行条未列", 2, SlipStatus.FILED.value)
    assert old.sent_back_at is not None and old.code != new.code
    # Overdue repair, and one back on its day.
    repairs = {slip.returned_at is None: slip for slip in made if slip.reason == "repair"}
    assert repairs[True].id == lists["overdue"][0].id and repairs[False].returned_at

    # Every revision drafted through the service, every step audited, none after now.
    actions = Counter(entry.action for entry in audited)
    assert actions["release.create"] + actions["release.revise"] == len(made)
    assert actions["release.override"] == 2 and actions["release.pattern"] == 1
    assert actions["release.send_back"] == 2 and actions["release.returned"] == 1
    assert actions["release.settle"] == len(settled) >= 1
    gone = [slip for slip in made if slip.released_at is not None]
    assert actions["release.release"] == len(gone)
    released_lines = [line for line in lines if line.slip_id in {slip.id for slip in gone}]
    assert released_lines and all(line.ticked_at for line in released_lines)
    assert all(as_utc(entry.at) <= now for entry in audited)

    # Last week's reconciliation: the week's releases, one not filed yet.
    assert [row.filed for row in week].count(False) == 1 and len(week) == len(gone)
