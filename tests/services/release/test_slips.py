"""The release slip's life: drafted, confirmed on the number on file, issued by the rules,
checked at the gate, revised, filed; the lists and the handover's part."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import func, select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, DeskError, InvalidInput
from deskapp.models import AuditEntry, Operator
from deskapp.models.release import ReleaseSlip, SlipStatus
from deskapp.services import codes, directory
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from deskapp.services.handover import assembly
from deskapp.services.release import handover as release_handover
from deskapp.services.release import rules, slips
from deskapp.services.release.slips import LineForm, Override, SlipForm
from deskapp.services.workcalendar import WorkCalendar
from tests.services.release.test_checks_and_catalogue import with_check_digit
from tests.support import Homes, Staff, homes_fixture, staff_fixture  # noqa: F401

CARRIER_PHONE = "13955556666"


def local(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)


# The desk's morning is Monday 2026-11-23 10:00 in Shanghai.
TODAY_2PM = local("2026-11-23T14:00")


def form(**changes: object) -> SlipForm:
    base = SlipForm(
        unit="3-2-1201", applicant_name="刘明", applicant_relation="tenant",
        carrier_name="周师傅", carrier_id_number="11010519491231002X",
        carrier_phone=CARRIER_PHONE, plate="京A12345", driver_name="周师傅",
        reason="gift_or_sale", planned_at=TODAY_2PM,
        lines=(LineForm("三人沙发", 1), LineForm("一箱书", 3)),
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def create(desk: Desk, staff: Staff, slip_form: SlipForm | None = None) -> ReleaseSlip:
    with transaction(desk.engine) as session:
        return slips.create(session, acting=Acting(desk.site_id, staff.operator),
                            form=slip_form or form(),
                            now=desk.clock.now(), settings=desk.settings)


def confirm(desk: Desk, staff: Staff, slip: ReleaseSlip, homes: Homes, **kw: str) -> ReleaseSlip:
    with transaction(desk.engine) as session:
        return slips.record_confirmation(
            session, acting=Acting(desk.site_id, staff.operator), slip_id=slip.id or 0,
            resident_id=homes.zhang.id or 0,
            now=desk.clock.now(), **kw)


def issue(desk: Desk, staff: Staff, slip: ReleaseSlip, override: Override | None = None,
          settings: object = None) -> ReleaseSlip:
    with transaction(desk.engine) as session:
        return slips.issue(session, acting=Acting(desk.site_id, staff.operator),
                           slip_id=slip.id or 0,
                           now=desk.clock.now(),
                           settings=settings or desk.settings, override=override)  # type: ignore[arg-type]


def issued(desk: Desk, staff: Staff, homes: Homes, slip_form: SlipForm | None = None
           ) -> ReleaseSlip:
    slip = create(desk, staff, slip_form)
    confirm(desk, staff, slip, homes)
    return issue(desk, staff, slip)


def slip_count(desk: Desk) -> tuple[int, int]:
    with reading(desk.engine) as session:
        return (int(session.exec(select(func.count()).select_from(ReleaseSlip)).one()),
                int(session.exec(select(func.count()).select_from(AuditEntry)).one()))


def gate(desk: Desk, code: str, now: datetime | None = None) -> slips.GateView:
    with reading(desk.engine) as session:
        return slips.at_gate(session, acting=Acting(desk.site_id), text=code,
                             now=now or desk.clock.now(), settings=desk.settings)


def pass_gate(desk: Desk, guard: Operator, slip: ReleaseSlip, now: datetime) -> ReleaseSlip:
    with transaction(desk.engine) as session:
        view = slips.at_gate(session, acting=Acting(desk.site_id), text=slip.code or "", now=now,
                             settings=desk.settings)
        for line in view.lines:
            slips.tick(session, acting=Acting(desk.site_id), slip_id=view.slip_id, line_id=line.id,
                       now=now, guard=guard, settings=desk.settings)
        return slips.release(session, acting=Acting(desk.site_id), slip_id=view.slip_id, now=now,
                             guard=guard, settings=desk.settings)


# --- the slip and bad input -----------------------------------------------------------------


def test_a_draft_gets_an_r_code_and_its_lines_are_matched(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    slip = create(desk, staff)
    assert slip.status == SlipStatus.DRAFT.value and slip.revision == 1
    assert codes.check_code(slip.code or "").prefix == "R"
    with reading(desk.engine) as session:
        lines = slips.lines_of(session, slip.id or 0)
        audited = session.exec(select(AuditEntry).where(AuditEntry.action == "release.create")
                               ).one()
    assert [(line.description, line.large, line.catalogue_entry) for line in lines] == [
        ("三人沙发", True, "沙发/sofa"), ("一箱书", False, "")]
    assert "11010519491231002X" not in (audited.after or "")  # masked where it leaves the desk
    assert CARRIER_PHONE not in (audited.after or "")


BAD_INPUT = [
    (dict(lines=()), "lines", "at least one item"),
    (dict(lines=(LineForm("沙发", 0),)), "lines", "between 1 and 9999"),
    (dict(lines=(LineForm("书", 1), LineForm("沙发", 10_000))), "lines",
     "Line 2: The quantity must be between 1 and 9999"),
    (dict(carrier_id_number="110105194912310021"), "carrier_id_number", "does not add up"),
    (dict(carrier_id_number=with_check_digit("11010519491332002")), "carrier_id_number",
     "no possible birth date"),
    (dict(plate="ABC"), "plate", "not a vehicle plate"),
    (dict(reason="repair"), "due_back_on", "due-back"),
    (dict(applicant_relation="friend"), "applicant_relation", "relation"),
]


@pytest.mark.parametrize(("changes", "field", "words"), BAD_INPUT)
def test_bad_input_is_refused_with_its_reason_and_nothing_is_saved(
        desk: Desk, staff: Staff, homes: Homes, changes: dict[str, object], field: str,
        words: str) -> None:
    before = slip_count(desk)
    with pytest.raises(InvalidInput) as refused:
        create(desk, staff, form(**changes))
    assert refused.value.field == field
    assert words in refused.value.message
    assert slip_count(desk) == before


# --- the owner's confirmation ---------------------------------------------------------------


def test_no_issue_without_a_confirmation(desk: Desk, staff: Staff, homes: Homes) -> None:
    slip = create(desk, staff)
    with pytest.raises(InvalidInput) as refused:
        issue(desk, staff, slip)
    assert refused.value.field == "confirmation"
    with reading(desk.engine) as session:
        assert slips.get_slip(session, acting=Acting(desk.site_id),
                              slip_id=slip.id or 0).status == SlipStatus.DRAFT.value
        assert [row.id for row in slips.waiting_for_confirmation(
            session, acting=Acting(desk.site_id))] == [slip.id]
    confirm(desk, staff, slip, homes)
    assert issue(desk, staff, slip).status == SlipStatus.ISSUED.value


def test_the_numbers_offered_are_the_unit_s_on_file_never_the_applicant_s(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    with transaction(desk.engine) as session:
        directory.add_resident(session, acting=Acting(desk.site_id), unit=homes.a, name="刘明",
                               relation="household", phone="13800009999",
                               now=desk.clock.now())
    slip = create(desk, staff, form(carrier_phone="13800009999"))
    with reading(desk.engine) as session:
        offered = slips.offered_numbers(session, acting=Acting(desk.site_id), slip_id=slip.id or 0)
    assert [(n.name, n.phone) for n in offered] == [("张伟", "13812345678"),
                                                   ("李娜", "13900001111")]
    done = confirm(desk, staff, slip, homes)
    assert (done.confirmed_by, done.confirmed_phone, done.confirmed_on_file) == (
        "张伟", "13812345678", True)


def test_another_number_needs_a_reason_and_the_carrier_s_own_is_refused(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    slip = create(desk, staff)
    with pytest.raises(InvalidInput) as refused:
        confirm(desk, staff, slip, homes, phone=CARRIER_PHONE, off_file_reason="他说的")
    assert refused.value.field == "confirmed_phone"
    with pytest.raises(InvalidInput) as refused:
        confirm(desk, staff, slip, homes, phone="13611112222")
    assert refused.value.field == "off_file_reason"
    done = confirm(desk, staff, slip, homes, phone="13611112222",
                   off_file_reason="业主在外地，留的新号码经物业经理核实")
    assert (done.confirmed_on_file, done.confirmed_phone) == (False, "13611112222")
    assert done.off_file_reason.startswith("业主在外地")


def test_the_owner_on_file_in_person_with_an_id_check_counts_as_confirmed(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    slip = create(desk, staff, form(applicant_name="张伟", applicant_relation="owner"))
    with transaction(desk.engine) as session, pytest.raises(InvalidInput) as refused:
        slips.record_in_person(session, acting=Acting(desk.site_id, staff.operator),
                               slip_id=slip.id or 0,
                               resident_id=homes.zhang.id or 0, id_checked=False,
                               now=desk.clock.now())
    assert refused.value.field == "id_checked"
    with transaction(desk.engine) as session, pytest.raises(InvalidInput):
        slips.record_in_person(session, acting=Acting(desk.site_id, staff.operator),
                               slip_id=slip.id or 0,
                               resident_id=homes.wang.id or 0, id_checked=True,  # other unit
                               now=desk.clock.now())
    with transaction(desk.engine) as session:
        done = slips.record_in_person(session, acting=Acting(desk.site_id, staff.operator),
                                      slip_id=slip.id or 0,
                                      resident_id=homes.zhang.id or 0, id_checked=True,
                                      now=desk.clock.now())
    assert (done.confirmation_kind, done.confirmed_by) == ("in_person", "张伟")
    assert issue(desk, staff, slip).status == SlipStatus.ISSUED.value


# --- the rules at their boundaries ----------------------------------------------------------


def test_large_items_leave_only_within_office_hours_to_the_minute(desk: Desk) -> None:
    calendar = WorkCalendar.from_settings(desk.settings)
    sofa = [_line(large=True)]
    assert rules.office_hours(local("2026-11-23T17:59"), sofa, calendar) is None
    assert rules.office_hours(local("2026-11-23T08:00"), sofa, calendar) is None
    closing = rules.office_hours(local("2026-11-23T18:00"), sofa, calendar)
    assert closing is not None and "08:00–18:00" in closing.message
    assert rules.office_hours(local("2026-11-23T07:59"), sofa, calendar) is not None
    assert rules.office_hours(local("2026-11-28T10:00"), sofa, calendar) is not None  # Saturday
    small = [_line(large=False)]
    assert rules.office_hours(local("2026-11-23T23:00"), small, calendar) is None


def _line(*, large: bool) -> slips.ReleaseLine:
    return slips.ReleaseLine(site_id=1, slip_id=1, position=1, description="沙发", quantity=1,
                             large=large)


def test_an_evening_sofa_is_refused_with_the_rule_and_a_supervisor_overrides_it(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    slip = create(desk, staff, form(planned_at=local("2026-11-23T18:00")))
    confirm(desk, staff, slip, homes)
    with pytest.raises(InvalidInput, match="only within office hours") as refused:
        issue(desk, staff, slip)
    assert refused.value.field == "planned_at"
    with pytest.raises(InvalidInput, match="supervisor or a manager"):
        issue(desk, staff, slip, Override(staff.operator, "业主次日出国"))
    done = issue(desk, staff, slip, Override(staff.supervisor, "业主次日出国"))
    assert (done.override_by_id, done.override_reason, done.override_rules) == (
        staff.supervisor.id, "业主次日出国", "office_hours")
    with reading(desk.engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "release.override")
                             ).one()
    assert entry.operator_id == staff.supervisor.id and "业主次日出国" in (entry.after or "")


def test_moving_out_notice_counts_working_days_across_a_weekend_and_a_holiday(
        desk: Desk, staff: Staff, homes: Homes, clock: FixedClock) -> None:
    settings = dataclasses.replace(desk.settings, public_holidays=("2026-11-30",))
    clock.advance(local("2026-11-26T10:00") - clock.now())  # Thursday
    # Fri 27 (1), [Sat, Sun, Mon 30 holiday], Tue 1 (2), Wed 2 (3).
    too_soon = create(desk, staff, form(reason="moving_out", planned_at=local("2026-12-01T10:00")))
    in_time = create(desk, staff, form(reason="moving_out", planned_at=local("2026-12-02T09:00")))
    for slip in (too_soon, in_time):
        confirm(desk, staff, slip, homes)
    with reading(desk.engine) as session:
        late = slips.problems(session, acting=Acting(desk.site_id), slip_id=too_soon.id or 0,
                              settings=settings, now=clock.now())
        ok = slips.problems(session, acting=Acting(desk.site_id), slip_id=in_time.id or 0,
                            settings=settings, now=clock.now())
    assert [r.key for r in late] == ["moving_out_notice", "fees_settled"]
    assert "2026-12-02 at the earliest" in late[0].message
    assert [r.key for r in ok] == ["fees_settled"]
    with pytest.raises(InvalidInput, match="settled"):
        issue(desk, staff, in_time, settings=settings)
    with transaction(desk.engine) as session:
        slips.record_fees_settled(session, acting=Acting(desk.site_id, staff.operator),
                                  slip_id=in_time.id or 0,
                                  confirmed_by="财务 黄丽", now=clock.now())
    assert issue(desk, staff, in_time, settings=settings).fees_settled_by == "财务 黄丽"
    # Without the holiday the move on Tuesday is the third working day.
    with reading(desk.engine) as session:
        assert [r.key for r in slips.problems(session, acting=Acting(desk.site_id),
                                              slip_id=too_soon.id or 0,
                                              settings=desk.settings, now=clock.now())
                ] == ["fees_settled"]


def test_a_standing_pattern_lets_its_items_and_carriers_through_within_its_validity(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    pattern_args = dict(acting=Acting(desk.site_id), unit="1-1-101", company="华科电子",
                        items=["样品箱", "显示器"], carriers=["周师傅"],
                        valid_from=date(2026, 11, 1), valid_until=date(2026, 11, 30),
                        now=desk.clock.now())
    with transaction(desk.engine) as session, pytest.raises(InvalidInput):
        slips.add_pattern(session, **pattern_args, approver=staff.operator)  # type: ignore[arg-type]
    with transaction(desk.engine) as session:
        pattern = slips.add_pattern(session, **pattern_args,  # type: ignore[arg-type]
                                    approver=staff.supervisor)
        pattern_id = pattern.id
    company = dict(unit="1-1-101", applicant_relation="company_staff", reason="company_shipment",
                   pattern_id=pattern_id)
    covered = create(desk, staff, form(**company, lines=(LineForm("样品箱", 20),)))
    done = issue(desk, staff, covered)  # no call: the pattern stands for it
    assert (done.status, done.confirmation_kind, done.confirmed_by) == (
        "issued", "pattern", "华科电子")
    other_item = create(desk, staff, form(**company, lines=(LineForm("保险柜", 1),)))
    with pytest.raises(InvalidInput, match="not among the items"):
        issue(desk, staff, other_item)
    expired = create(desk, staff, form(**company, lines=(LineForm("样品箱", 1),),
                                       planned_at=local("2026-12-01T10:00")))
    with pytest.raises(InvalidInput, match="valid from 2026-11-01 to 2026-11-30"):
        issue(desk, staff, expired)


# --- revisions and the gate -----------------------------------------------------------------


def test_a_revision_supersedes_the_old_slip_which_is_kept(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    first = issued(desk, staff, homes)
    with transaction(desk.engine) as session:
        slips.send_back(session, acting=Acting(desk.site_id), slip_id=first.id or 0,
                        note="实际是两个沙发", now=desk.clock.now(), guard=staff.guard,
                        settings=desk.settings)
        second = slips.revise(session, acting=Acting(desk.site_id, staff.operator),
                              slip_id=first.id or 0,
                              form=form(lines=(LineForm("三人沙发", 2),)),
                              now=desk.clock.now(),
                              settings=desk.settings)
    assert (second.revision, second.supersedes_id, second.status) == (2, first.id, "draft")
    assert second.code != first.code
    with reading(desk.engine) as session:
        old = slips.get_slip(session, acting=Acting(desk.site_id), slip_id=first.id or 0)
        assert old.status == "superseded" and old.sent_back_note == "实际是两个沙发"
        assert slips.current_revision(session, old).id == second.id
        assert [line.quantity for line in slips.lines_of(session, first.id or 0)] == [1, 3]
    # A second desk amending the same slip learns who amended it and what it is now.
    with transaction(desk.engine) as session, pytest.raises(Conflict) as refused:
        slips.revise(session, acting=Acting(desk.site_id, staff.colleague), slip_id=first.id or 0,
                     form=form(),
                     now=desk.clock.now(), settings=desk.settings)
    assert f"It is now {second.code}." in refused.value.message
    assert f"Last change: {staff.operator.display_name} at " in refused.value.message


def test_the_gate_releases_once_and_refuses_a_second_scan(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    slip = issued(desk, staff, homes)
    view = gate(desk, slip.code or "", TODAY_2PM)
    assert view.can_release and not view.all_ticked and len(view.lines) == 2
    with transaction(desk.engine) as session:
        slips.tick(session, acting=Acting(desk.site_id), slip_id=slip.id or 0,
                   line_id=view.lines[0].id, now=TODAY_2PM, guard=staff.guard,
                   settings=desk.settings)
        with pytest.raises(InvalidInput, match="1 not ticked"):
            slips.release(session, acting=Acting(desk.site_id), slip_id=slip.id or 0, now=TODAY_2PM,
                          guard=staff.guard, settings=desk.settings)
    done = pass_gate(desk, staff.guard, slip, TODAY_2PM)
    assert (done.status, done.released_by_id) == ("released", staff.guard.id)
    again = gate(desk, (slip.code or "").lower().replace("-", " "), TODAY_2PM)
    assert again.refusal == f"Already used: slip {slip.code} was released at 2026-11-23 14:00."
    with transaction(desk.engine) as session, pytest.raises(Conflict, match="Already used"):
        slips.release(session, acting=Acting(desk.site_id), slip_id=slip.id or 0, now=TODAY_2PM,
                      guard=staff.guard, settings=desk.settings)


def test_the_gate_refuses_another_day_a_voided_a_superseded_slip_and_a_wrong_check(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    tomorrow = issued(desk, staff, homes, form(planned_at=local("2026-11-24T10:00")))
    assert gate(desk, tomorrow.code or "", TODAY_2PM).refusal == (
        f"Another day: slip {tomorrow.code} is for 2026-11-24, not today.")
    assert gate(desk, tomorrow.code or "", local("2026-11-24T10:00")).can_release
    with transaction(desk.engine) as session:
        slips.void(session, acting=Acting(desk.site_id, staff.operator), slip_id=tomorrow.id or 0,
                   reason="取消搬运",
                   now=desk.clock.now())
    assert gate(desk, tomorrow.code or "").refusal.startswith("Voided:")
    old = issued(desk, staff, homes)
    with transaction(desk.engine) as session:
        new = slips.revise(session, acting=Acting(desk.site_id, staff.operator),
                           slip_id=old.id or 0, form=form(),
                           now=desk.clock.now(), settings=desk.settings)
    view = gate(desk, old.code or "", TODAY_2PM)
    assert view.refusal == (f"Superseded: slip {old.code} was replaced by revision 2, "
                            f"{new.code}.")
    assert view.current_code == new.code
    with transaction(desk.engine) as session, pytest.raises(Conflict, match="Superseded"):
        slips.tick(session, acting=Acting(desk.site_id), slip_id=old.id or 0,
                   line_id=view.lines[0].id, now=TODAY_2PM, guard=staff.guard,
                   settings=desk.settings)
    body = (new.code or "")[2:-2]
    wrong = "0" if (new.code or "")[-1] != "0" else "1"
    with pytest.raises(InvalidInput) as refused:
        gate(desk, f"R-{body}-{wrong}")
    assert refused.value.field == "code"


def test_a_large_item_is_refused_at_the_gate_after_hours_unless_overridden(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    slip = issued(desk, staff, homes)
    assert "office hours" in gate(desk, slip.code or "", local("2026-11-23T18:00")).refusal
    assert gate(desk, slip.code or "", local("2026-11-23T17:59")).can_release
    # Planned for the evening and overridden by a supervisor: the guard lets it pass then.
    evening = create(desk, staff, form(planned_at=local("2026-11-23T19:30")))
    confirm(desk, staff, evening, homes)
    issue(desk, staff, evening, Override(staff.supervisor, "业主次日出国"))
    assert gate(desk, evening.code or "", local("2026-11-23T19:40")).can_release
    released = pass_gate(desk, staff.guard, evening, local("2026-11-23T19:40"))
    assert released.status == SlipStatus.RELEASED.value


def test_only_a_guard_or_supervisor_works_the_gate(desk: Desk, staff: Staff,
                                                    homes: Homes) -> None:
    slip = issued(desk, staff, homes)
    with transaction(desk.engine) as session, pytest.raises(DeskError) as refused:
        slips.tick(session, acting=Acting(desk.site_id), slip_id=slip.id or 0, line_id=1,
                   now=TODAY_2PM, guard=staff.operator, settings=desk.settings)
    assert refused.value.field == "guard"


# --- back at the desk: filing, lists, handover ----------------------------------------------


def test_filing_the_lists_and_returnables_overdue(desk: Desk, staff: Staff,
                                                  homes: Homes) -> None:
    repair = issued(desk, staff, homes, form(reason="repair", due_back_on=date(2026, 11, 25),
                                             lines=(LineForm("电脑", 1),)))
    unused = issued(desk, staff, homes)
    pass_gate(desk, staff.guard, repair, TODAY_2PM)
    with reading(desk.engine) as session:
        assert [r.id for r in slips.released_not_filed(session, acting=Acting(desk.site_id))] == [
            repair.id]
        assert {r.id for r in slips.issued_today(session, acting=Acting(desk.site_id),
                                                 now=TODAY_2PM, settings=desk.settings)} == {
            repair.id, unused.id}
        assert slips.unused_past_day(session, acting=Acting(desk.site_id), now=local(
            "2026-11-23T23:59"), settings=desk.settings) == []
        assert [r.id for r in slips.unused_past_day(
            session, acting=Acting(desk.site_id), now=local("2026-11-24T00:00"),
            settings=desk.settings)] == [unused.id]
        assert slips.returnables_overdue(session, acting=Acting(desk.site_id),
                                         now=local("2026-11-25T23:00"),
                                         settings=desk.settings) == []
        assert [r.id for r in slips.returnables_overdue(
            session, acting=Acting(desk.site_id), now=local("2026-11-26T00:00"),
            settings=desk.settings)] == [repair.id]
    with transaction(desk.engine) as session:
        slips.file(session, acting=Acting(desk.site_id, staff.operator), slip_id=repair.id or 0,
                   now=TODAY_2PM)
        with pytest.raises(Conflict):
            slips.file(session, acting=Acting(desk.site_id, staff.operator), slip_id=unused.id or 0,
                       now=TODAY_2PM)
        slips.mark_returned(session, acting=Acting(desk.site_id, staff.operator),
                            slip_id=repair.id or 0,
                            now=local("2026-11-26T09:00"))
    with reading(desk.engine) as session:
        assert slips.released_not_filed(session, acting=Acting(desk.site_id)) == []
        assert slips.returnables_overdue(session, acting=Acting(desk.site_id),
                                         now=local("2026-11-27T00:00"),
                                         settings=desk.settings) == []
        rows = slips.weekly_reconciliation(session, acting=Acting(desk.site_id),
                                           week_start=date(2026, 11, 23),
                                           settings=desk.settings)
    assert [(row.code, row.filed) for row in rows] == [(repair.code, True)]


def test_the_handover_carries_unused_slips_and_released_ones_not_filed(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    # At 10:00 the morning shift ends at 16:00: a slip planned 15:59 is carried, 16:00 not.
    inside = issued(desk, staff, homes, form(planned_at=local("2026-11-23T15:59")))
    issued(desk, staff, homes, form(planned_at=local("2026-11-23T16:00")))
    released = issued(desk, staff, homes)
    pass_gate(desk, staff.guard, released, desk.clock.now())
    assert {c.group for c in assembly.contributions()} >= {"release_unused",
                                                           "release_unfiled"}
    unused, unfiled = release_handover.CONTRIBUTIONS
    with reading(desk.engine) as session:
        window = assembly.window_at(session, acting=Acting(desk.site_id),
                                    now=desk.clock.now() + timedelta(minutes=1),
                                    settings=desk.settings)
        carried_unused = unused.gather(session, window)
        carried_unfiled = unfiled.gather(session, window)
    assert [c.reference for c in carried_unused] == [inside.code]
    assert carried_unused[0].deadline == local("2026-11-24T00:00")
    assert [c.reference for c in carried_unfiled] == [released.code]
