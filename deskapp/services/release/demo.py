"""A week of release slips (物品放行条) for the demo site, through the slips' own services.

The five working days before today and the morning of today (in the desk's local
time), each step one call of ``services/release/slips.py`` (or ``moving_out``), so
every one is audited and checked by the same rules as real work:

- filed: a sofa and tea table given away, confirmed by phone on the owner's number,
  released at the gate, filed the same afternoon; a company tenant's sample boxes,
  which the slips' service puts under its standing pattern (no call: the pattern,
  approved by the manager, stands for it), filed the next morning;
- repairs: a television back by its due date, a laptop and printer overdue;
- sent back and revised: the guard found four dining chairs the slip did not list;
  the desk amended it (revision 2, the first kept as superseded), the owner confirmed
  again, the gate released it and the desk filed it;
- refused by a rule and overridden by a supervisor: a sofa leaving in the evening
  (office hours), and a tenant moving out on less than three working days' notice,
  fees confirmed settled and what the unit still has at the desk noted;
- released and not filed (the previous working day), issued and unused past its day,
  voided before its day, and sent back this morning (eight boxes at the gate, five on
  the slip) for the applicant to amend at the desk;
- this morning: one waiting for the owner's confirmation, one confirmed on the number
  on file, one confirmed on another number with the reason, the owner in person with
  an ID check, and the company's pattern again: those are the slips issued today.

Deterministic for a seed and a ``now``; no step falls after ``now`` (this morning's
steps are pressed into the time before it when the demo is seeded early in the day).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.models import Operator, Relation, Resident, Role, Unit
from deskapp.models.release import ReleaseSlip
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.custody.demo import demo_id_number
from deskapp.services.release import moving_out, slips
from deskapp.services.release.slips import LineForm, Override, SlipForm
from deskapp.services.workcalendar import WorkCalendar

WORKING_DAYS = 5
"""The working days before today the week's slips are spread over."""
LOOK_BACK_DAYS = 30
"""How far back those working days are looked for (a long public holiday)."""
PICKED = 13
"""The homes of the other slips, one each."""
TODAY_HOURS = 10.0
"""This morning's steps happen before 10:00, or pressed into the time before ``now``."""

# (name, plate, driver): the carriers of the week; their phones are made-up 177 numbers.
MOVERS = (
    ("周建军", "沪A5D328", "周建军"),
    ("王师傅", "沪BD12345", "王师傅"),
    ("赵永刚", "沪C8K261", "赵永刚"),
    ("孙立新", "", ""),
    ("李海涛", "沪A7M652", "李海涛"),
    ("马志远", "沪D3N917", "马志远"),
    ("黄国平", "", ""),
)
COMPANY = "锦程贸易有限公司"
PATTERN_ITEMS = ("样品箱", "展示架")
PATTERN_CARRIERS = ("马志远", "黄国平")
OFF_FILE_PHONE = "19912345678"
OFF_FILE_REASON = "业主在外地，登记的号码已停用；经物业经理核实业主本人的新号码后致电确认"
FEES_BY = "财务 黄丽"
SETTLEMENT_NOTES = {
    "key": "钥匙仍由装修公司借用，业主知情，归还后交物业",
    "stored": "寄存物品由业主另行来取，已电话告知",
    "parcel": "快递由业主委托邻居代领，已登记",
    "request": "诉求未办结，迁出后与业主电话跟进",
    "found": "招领物品另约时间认领",
}


@dataclass
class ReleaseDemoReport:
    slips: int = 0
    """Revisions drafted (a revised slip counts twice)."""
    waiting: int = 0
    issued_today: int = 0
    unfiled: int = 0
    unused: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class _Home:
    """A unit, the owner on file (with a phone) and the tenant if any."""

    unit: str
    owner: Resident
    tenant: Resident | None


@dataclass
class _Week:
    """What the steps share: the session, the staff, and the slips made so far."""

    session: Session
    site_id: int
    settings: Settings
    calendar: WorkCalendar
    desk: list[Operator]
    supervisor: Operator
    manager: Operator
    guard: Operator
    made: dict[str, ReleaseSlip] = field(default_factory=dict)
    forms: dict[str, SlipForm] = field(default_factory=dict)

    def on_duty(self, when: datetime) -> Operator:
        """The morning or afternoon desk operator of that local day."""
        local = self.calendar.local(when)
        return self.desk[(local.toordinal() + (1 if local.hour >= 13 else 0)) % len(self.desk)]

    def slip_id(self, label: str) -> int:
        return self.made[label].id or 0


Step = tuple[datetime, int, Callable[[], object]]


# --- the steps -------------------------------------------------------------------------------


def _create(week: _Week, label: str, form: SlipForm, when: datetime) -> None:
    week.forms[label] = form
    week.made[label] = slips.create(week.session, acting=Acting(week.site_id, week.on_duty(when)),
                                    form=form, now=when,
                                    settings=week.settings)


def _confirm(week: _Week, label: str, resident: Resident, when: datetime, phone: str = "",
             reason: str = "") -> None:
    slips.record_confirmation(week.session, acting=Acting(week.site_id, week.on_duty(when)),
                              slip_id=week.slip_id(label),
                              resident_id=resident.id or 0, now=when,
                              phone=phone, off_file_reason=reason)


def _in_person(week: _Week, label: str, resident: Resident, when: datetime) -> None:
    slips.record_in_person(week.session, acting=Acting(week.site_id, week.on_duty(when)),
                           slip_id=week.slip_id(label),
                           resident_id=resident.id or 0, id_checked=True, now=when)


def _fees(week: _Week, label: str, when: datetime) -> None:
    slips.record_fees_settled(week.session, acting=Acting(week.site_id, week.on_duty(when)),
                              slip_id=week.slip_id(label),
                              confirmed_by=FEES_BY, now=when)


def _settle(week: _Week, label: str, when: datetime) -> None:
    """What the moving-out unit still has at the desk, each noted with why not settled."""
    slip = week.made[label]
    for item in moving_out.outstanding(week.session, acting=Acting(week.site_id),
                                       unit_id=slip.unit_id, now=when, slip_id=slip.id):
        if item.settled is None:
            moving_out.record_settlement(
                week.session, acting=Acting(week.site_id, week.on_duty(when)), slip_id=slip.id or 0,
                kind=item.kind,
                record_id=item.record_id, settled=False,
                note=SETTLEMENT_NOTES.get(item.kind, "已与住户约定另行处理"), now=when)


def _issue(week: _Week, label: str, when: datetime, override_reason: str = "") -> None:
    override = Override(week.supervisor, override_reason) if override_reason else None
    slips.issue(week.session, acting=Acting(week.site_id, week.on_duty(when)),
                slip_id=week.slip_id(label), now=when,
                settings=week.settings, override=override)


def _gate(week: _Week, label: str, when: datetime) -> None:
    """The guard ticks every line as it passes and releases the slip."""
    view = slips.at_gate(week.session, acting=Acting(week.site_id),
                         text=week.made[label].code or "",
                         now=when, settings=week.settings)
    for line in view.lines:
        slips.tick(week.session, acting=Acting(week.site_id), slip_id=view.slip_id, line_id=line.id,
                   now=when, guard=week.guard, settings=week.settings)
    slips.release(week.session, acting=Acting(week.site_id), slip_id=view.slip_id, now=when,
                  guard=week.guard, settings=week.settings)


def _send_back(week: _Week, label: str, note: str, when: datetime, matching: int) -> None:
    """The guard ticks the ``matching`` first lines, finds what the slip does not say,
    and sends it back to the desk."""
    view = slips.at_gate(week.session, acting=Acting(week.site_id),
                         text=week.made[label].code or "",
                         now=when, settings=week.settings)
    for line in view.lines[:matching]:
        slips.tick(week.session, acting=Acting(week.site_id), slip_id=view.slip_id, line_id=line.id,
                   now=when, guard=week.guard, settings=week.settings)
    slips.send_back(week.session, acting=Acting(week.site_id), slip_id=view.slip_id, note=note,
                    now=when, guard=week.guard, settings=week.settings)


def _revise(week: _Week, label: str, revised: str, lines: Sequence[LineForm],
            when: datetime) -> None:
    form = replace(week.forms[label], lines=tuple(lines))
    week.forms[revised] = form
    week.made[revised] = slips.revise(week.session, acting=Acting(week.site_id, week.on_duty(when)),
                                      slip_id=week.slip_id(label), form=form, now=when,
                                      settings=week.settings)


def _file(week: _Week, label: str, when: datetime) -> None:
    slips.file(week.session, acting=Acting(week.site_id, week.on_duty(when)),
               slip_id=week.slip_id(label), now=when)


def _void(week: _Week, label: str, reason: str, when: datetime) -> None:
    slips.void(week.session, acting=Acting(week.site_id, week.on_duty(when)),
               slip_id=week.slip_id(label), reason=reason,
               now=when)


def _returned(week: _Week, label: str, when: datetime) -> None:
    slips.mark_returned(week.session, acting=Acting(week.site_id, week.on_duty(when)),
                        slip_id=week.slip_id(label),
                        now=when)


def _add_pattern(week: _Week, unit: str, valid_from: date, valid_until: date,
                 when: datetime) -> None:
    slips.add_pattern(week.session, acting=Acting(week.site_id), unit=unit, company=COMPANY,
                      items=PATTERN_ITEMS, carriers=PATTERN_CARRIERS, valid_from=valid_from,
                      valid_until=valid_until, now=when, approver=week.manager)


# --- the plan ----------------------------------------------------------------------------------


def _homes(session: Session, site_id: int) -> tuple[list[_Home], list[_Home]]:
    """The units with an owner on file who has a phone, and those also let to a tenant
    with a phone, in the directory's order."""
    residents = session.exec(
        select(Resident, Unit.code).join(Unit, col(Unit.id) == col(Resident.unit_id))
        .where(Resident.site_id == site_id, col(Resident.active).is_(True),
               Resident.phone != "")
        .order_by(col(Resident.unit_id), col(Resident.id))
    ).all()
    owners: dict[str, Resident] = {}
    tenants: dict[str, Resident] = {}
    for resident, code in residents:
        if resident.relation == Relation.OWNER.value:
            owners.setdefault(code, resident)
        elif resident.relation == Relation.TENANT.value:
            tenants.setdefault(code, resident)
    homes = [_Home(code, owner, tenants.get(code)) for code, owner in owners.items()]
    return homes, [home for home in homes if home.tenant is not None]


def _working_days(calendar: WorkCalendar, today: date) -> list[date]:
    """The ``WORKING_DAYS`` working days before today, oldest first."""
    back = (today - timedelta(days=days) for days in range(1, LOOK_BACK_DAYS + 1))
    return [day for day in back if calendar.is_working_day(day)][:WORKING_DAYS][::-1]


def _moving_unit(session: Session, site_id: int, tenants: Sequence[_Home],
                 now: datetime) -> _Home:
    """A let unit that still has something at the desk (a parcel, a request…), when one
    of the first few has; else the first."""
    for home in tenants[:12]:
        if moving_out.outstanding(session, acting=Acting(site_id), unit_id=home.owner.unit_id,
                                  now=now):
            return home
    return tenants[0]


def seed_release(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    rng: random.Random,
    operators: dict[str, Operator],
    settings: Settings | None = None,
) -> ReleaseDemoReport:
    """Play the release slips' week before ``now`` in the caller's transaction, in time order.

    ``operators`` maps sign-in names to the demo's staff (two desk operators, a
    supervisor, a manager, the guard); the directory must hold owners with phones and
    some tenants (the demo's). To be played after the other ledgers' weeks: a
    moving-out slip notes what its unit still has at the desk.
    """
    site_id = acting.site_id
    settings = settings or Settings()
    report = ReleaseDemoReport()
    staff = list(operators.values())
    desk = [op for op in staff if op.role == Role.OPERATOR.value]
    supervisor = next((op for op in staff if op.role == Role.SUPERVISOR.value), None)
    manager = next((op for op in staff if op.role == Role.MANAGER.value), supervisor)
    guard = next((op for op in staff if op.role == Role.GUARD.value), supervisor)
    homes, let = _homes(session, site_id)
    calendar = WorkCalendar.from_settings(settings)
    today = calendar.local_day(as_utc(now))
    days = _working_days(calendar, today)
    if (not desk or supervisor is None or manager is None or guard is None
            or len(let) < 2 or len(homes) < PICKED + 2 or len(days) < WORKING_DAYS):
        return report
    week = _Week(session=session, site_id=site_id, settings=settings, calendar=calendar,
                 desk=desk, supervisor=supervisor, manager=manager, guard=guard)
    steps: list[Step] = []
    midnight = calendar.at(today, time(0, 0))
    morning = min(as_utc(now) - midnight, timedelta(hours=TODAY_HOURS))

    def at(day: date, hours: float) -> datetime:
        return (calendar.at(day, time(0, 0)) + timedelta(hours=hours)).replace(
            second=0, microsecond=0)

    def this_morning(hours: float) -> datetime:
        return midnight + morning * (hours / TODAY_HOURS)

    def add(when: datetime, step: Callable[..., None], *args: Any) -> None:
        if when < now:
            steps.append((when, len(steps), lambda: step(week, *args)))

    # A company rents one let unit, a tenant moves out of another; thirteen other homes.
    let = rng.sample(let, len(let))
    company_home = let[0]
    mover_home = _moving_unit(session, site_id, let[1:], now)
    picked = rng.sample([home for home in homes if home not in (company_home, mover_home)],
                        PICKED)
    carrier_ids = [demo_id_number(rng) for _mover in MOVERS]

    def form(home: _Home, mover: int, reason: str, planned: datetime,
             lines: Sequence[LineForm], *, applicant: Resident | None = None,
             relation: str = "owner", note: str = "", due: date | None = None) -> SlipForm:
        name, plate, driver = MOVERS[mover]
        who = applicant or home.owner
        return SlipForm(unit=home.unit, applicant_name=who.name, applicant_relation=relation,
                        carrier_name=name, carrier_id_number=carrier_ids[mover],
                        carrier_phone=f"177{mover:02d}{rng.randrange(1_000_000):06d}",
                        plate=plate, driver_name=driver, reason=reason, reason_note=note,
                        planned_at=planned, lines=tuple(lines), due_back_on=due)

    def tenant_of(home: _Home) -> Resident:
        assert home.tenant is not None
        return home.tenant

    first, second, third, fourth, last = days
    after_today = calendar.next_working_day(today)

    # Given away: confirmed on the owner's number, through the gate, filed that afternoon.
    home = picked[0]
    add(at(first, 9.3), _create, "gift", form(
        home, 0, "gift_or_sale", at(first, 14), [LineForm("旧沙发", 1), LineForm("茶几", 1)],
        note="送给亲戚"), at(first, 9.3))
    add(at(first, 9.6), _confirm, "gift", home.owner, at(first, 9.6))
    add(at(first, 9.7), _issue, "gift", at(first, 9.7))
    add(at(first, 14.2), _gate, "gift", at(first, 14.2))
    add(at(first, 16.7), _file, "gift", at(first, 16.7))

    # The company's standing pattern, approved by the manager: its staff's slips go under
    # it (the slips' service finds it), and need no call.
    add(at(first, 8.8), _add_pattern, company_home.unit, first - timedelta(days=14),
        today + timedelta(days=90), at(first, 8.8))
    staff_name = tenant_of(company_home)
    add(at(second, 15), _create, "shipment", form(
        company_home, 5, "company_shipment", at(second, 15.25), [LineForm("样品箱", 10)],
        applicant=staff_name, relation="company_staff", note="样品发往展会"), at(second, 15))
    add(at(second, 15.1), _issue, "shipment", at(second, 15.1))
    add(at(second, 15.5), _gate, "shipment", at(second, 15.5))
    add(at(third, 9), _file, "shipment", at(third, 9))
    add(this_morning(8.5), _create, "shipment-today", form(
        company_home, 6, "company_shipment", at(today, 16), [LineForm("展示架", 2)],
        applicant=staff_name, relation="company_staff", note="展架送客户门店"),
        this_morning(8.5))
    add(this_morning(8.6), _issue, "shipment-today", this_morning(8.6))

    # Repairs: the television is back on its due day; the laptop and printer are not.
    home = picked[1]
    add(at(first, 10), _create, "tv", form(
        home, 1, "repair", at(first, 15), [LineForm("电视机", 1)], note="送售后维修",
        due=third), at(first, 10))
    add(at(first, 10.2), _confirm, "tv", home.owner, at(first, 10.2))
    add(at(first, 10.3), _issue, "tv", at(first, 10.3))
    add(at(first, 15.2), _gate, "tv", at(first, 15.2))
    add(at(second, 9.5), _file, "tv", at(second, 9.5))
    add(at(third, 10), _returned, "tv", at(third, 10))
    home = picked[2]
    add(at(second, 10.2), _create, "laptop", form(
        home, 2, "repair", at(second, 11), [LineForm("笔记本电脑", 1), LineForm("打印机", 1)],
        note="送厂家检修", due=second + timedelta(days=2)), at(second, 10.2))
    add(at(second, 10.3), _confirm, "laptop", home.owner, at(second, 10.3))
    add(at(second, 10.4), _issue, "laptop", at(second, 10.4))
    add(at(second, 11.1), _gate, "laptop", at(second, 11.1))
    add(at(second, 16), _file, "laptop", at(second, 16))

    # Sent back at the gate: four dining chairs not on the slip; revised, confirmed again.
    home = picked[3]
    sold = [LineForm("书柜", 1), LineForm("餐桌", 1)]
    add(at(third, 9), _create, "sold", form(
        home, 3, "gift_or_sale", at(third, 10.5), sold, note="二手家具已出售"), at(third, 9))
    add(at(third, 9.2), _confirm, "sold", home.owner, at(third, 9.2))
    add(at(third, 9.25), _issue, "sold", at(third, 9.25))
    add(at(third, 10.6), _send_back, "sold", "实际另有餐椅四把，放行条未列", at(third, 10.6),
        len(sold))
    add(at(third, 10.85), _revise, "sold", "sold-2", [*sold, LineForm("餐椅", 4)],
        at(third, 10.85))
    add(at(third, 10.9), _confirm, "sold-2", home.owner, at(third, 10.9))
    add(at(third, 11), _issue, "sold-2", at(third, 11))
    add(at(third, 11.25), _gate, "sold-2", at(third, 11.25))
    add(at(third, 15.5), _file, "sold-2", at(third, 15.5))

    # A sofa leaving in the evening: refused by office hours, overridden by the supervisor.
    home = picked[4]
    add(at(fourth, 14), _create, "evening", form(
        home, 4, "gift_or_sale", at(fourth, 19.5), [LineForm("三人沙发", 1), LineForm("床垫", 1)],
        note="出国前送给朋友"), at(fourth, 14))
    add(at(fourth, 14.2), _confirm, "evening", home.owner, at(fourth, 14.2))
    add(at(fourth, 14.5), _issue, "evening", at(fourth, 14.5),
        "业主次日凌晨出国，搬运只能在晚上，主管同意并通知门岗")
    add(at(fourth, 19.7), _gate, "evening", at(fourth, 19.7))
    add(at(last, 9.2), _file, "evening", at(last, 9.2))

    # Issued for its day and never used.
    home = picked[5]
    add(at(fourth, 9.5), _create, "unused", form(
        home, 0, "gift_or_sale", at(fourth, 15), [LineForm("冰箱", 1)], note="旧冰箱回收"),
        at(fourth, 9.5))
    add(at(fourth, 9.7), _confirm, "unused", home.owner, at(fourth, 9.7))
    add(at(fourth, 9.75), _issue, "unused", at(fourth, 9.75))

    # Released at the gate on the last working day, the slip not back at the desk yet.
    home = picked[6]
    add(at(last, 13.5), _create, "unfiled", form(
        home, 1, "gift_or_sale", at(last, 15.5), [LineForm("洗衣机", 1)], note="赠送邻居"),
        at(last, 13.5))
    add(at(last, 13.7), _confirm, "unfiled", home.owner, at(last, 13.7))
    add(at(last, 13.75), _issue, "unfiled", at(last, 13.75))
    add(at(last, 15.6), _gate, "unfiled", at(last, 15.6))

    # Voided before its day: the movers put the move off.
    home = picked[7]
    add(at(last, 10), _create, "voided", form(
        home, 2, "gift_or_sale", at(after_today, 10), [LineForm("文件柜", 2)]), at(last, 10))
    add(at(last, 10.2), _confirm, "voided", home.owner, at(last, 10.2))
    add(at(last, 10.25), _issue, "voided", at(last, 10.25))
    add(at(last, 16.8), _void, "voided", "搬家公司改期，业主另行申请", at(last, 16.8))

    # A tenant moving out on short notice: the owner confirms, the fees are settled, what
    # the unit has at the desk is noted, and the supervisor overrides the notice.
    home = mover_home
    tenant = tenant_of(home)
    add(at(last, 9), _create, "moving", form(
        home, 1, "moving_out", at(after_today, 9.5),
        [LineForm("衣柜", 1), LineForm("双人床", 1), LineForm("纸箱（衣物书籍）", 12)],
        applicant=tenant, relation="tenant", note="租约到期迁出"), at(last, 9))
    add(at(last, 9.3), _confirm, "moving", home.owner, at(last, 9.3))
    add(at(last, 11), _fees, "moving", at(last, 11))
    add(this_morning(8.7), _settle, "moving", this_morning(8.7))
    add(this_morning(8.8), _issue, "moving", this_morning(8.8),
        "租约到期，新租户已定入住日期，业主同意提前迁出，主管批准缩短通知期")

    # This morning at the counter.
    home = picked[8]
    add(this_morning(8.9), _create, "in-person", form(
        home, 3, "other", at(today, 11), [LineForm("行李箱", 2), LineForm("纸箱（书籍）", 3)],
        note="搬到子女家暂住"), this_morning(8.9))
    add(this_morning(9.0), _in_person, "in-person", home.owner, this_morning(9.0))
    add(this_morning(9.05), _issue, "in-person", this_morning(9.05))
    home = picked[9]
    add(this_morning(9.2), _create, "waiting", form(
        home, 4, "gift_or_sale", at(after_today, 10), [LineForm("钢琴", 1, large=True)],
        applicant=home.tenant, relation="tenant" if home.tenant else "owner",
        note="业主同意出售"), this_morning(9.2))
    home = picked[10]
    add(this_morning(9.4), _create, "confirmed", form(
        home, 0, "gift_or_sale", at(after_today, 14), [LineForm("办公桌", 1),
                                                     LineForm("办公椅", 2)]),
        this_morning(9.4))
    add(this_morning(9.5), _confirm, "confirmed", home.owner, this_morning(9.5))
    home = picked[11]
    add(this_morning(9.6), _create, "off-file", form(
        home, 2, "gift_or_sale", at(after_today, 15), [LineForm("空调", 1)],
        note="旧空调回收"), this_morning(9.6))
    add(this_morning(9.75), _confirm, "off-file", home.owner, this_morning(9.75),
        OFF_FILE_PHONE, OFF_FILE_REASON)
    add(this_morning(9.8), _issue, "off-file", this_morning(9.8))

    # Sent back this morning: the boxes at the gate are not what the slip lists.
    home = picked[12]
    add(at(last, 16), _create, "boxes", form(
        home, 6, "other", at(today, 9), [LineForm("纸箱（杂物）", 5)], note="杂物搬到车库"),
        at(last, 16))
    add(at(last, 16.2), _confirm, "boxes", home.owner, at(last, 16.2))
    add(at(last, 16.25), _issue, "boxes", at(last, 16.25))
    add(this_morning(9.3), _send_back, "boxes", "实际八箱，放行条写的是五箱", this_morning(9.3), 0)

    for _when, _order, step in sorted(steps, key=lambda step: (step[0], step[1])):
        step()
    report.slips = len(week.made)
    report.waiting = len(slips.waiting_for_confirmation(session, acting=acting))
    report.issued_today = len(slips.issued_today(session, acting=acting, now=now,
                                                 settings=settings))
    report.unfiled = len(slips.released_not_filed(session, acting=acting))
    report.unused = len(slips.unused_past_day(session, acting=acting, now=now,
                                              settings=settings))
    report.overdue = len(slips.returnables_overdue(session, acting=acting, now=now,
                                                   settings=settings))
    return report
