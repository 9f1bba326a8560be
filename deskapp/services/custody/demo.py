"""A week of custody work for the demo site, in Chinese, through the ordinary services.

Items left for storage and collected (two left at the start of the week and
still held: overdue), a cash deposit under a supervisor's exception, a lost
ticket; found items registered, claimed with ID, a phone and cash not claimed
the same day, a hand-over to the admin office; keys registered, lent to
contractors, sales staff and an owner, yesterday's contractor key not back
(overdue, chased); a steady stream of parcels, most picked up, some waiting
more than three days.

``plan_custody`` returns the week as ``(when, step)`` pairs so the demo can
merge them into its own day-by-day play and keep the audit trail in time
order; ``seed_custody`` plays them on their own, in order.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import partial
from typing import Any

from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.formatting import local_day_start
from deskapp.models import Operator, Resident, Role, Unit
from deskapp.services.acting import Acting
from deskapp.services.custody import keys, lostfound, parcels, storage
from deskapp.services.custody.checks import Collector

Step = tuple[datetime, Callable[[], object]]

DAYS = 7
CARRIERS = ("顺丰", "京东", "中通", "圆通", "韵达", "申通", "极兔", "邮政EMS")
TRACKING_PREFIX = {"顺丰": "SF", "京东": "JD", "中通": "7731", "圆通": "YT", "韵达": "4310",
                   "申通": "7730", "极兔": "JT", "邮政EMS": "EM"}
STORED = ("行李箱一个（黑色，24寸）", "纸箱一个，内有书籍", "婴儿推车一辆", "装修图纸一卷",
          "快递文件袋两个", "电脑包一个", "鲜花一束（当天取）", "钓鱼竿包一个", "羽毛球拍两副",
          "保温箱一个（已清空）")
CONDITIONS = ("完好", "外箱有压痕", "拉杆略松", "完好，已封口")
FOUND = (
    ("黑色钱包，内有银行卡两张", "3号楼电梯间", "保洁 张阿姨", False),
    ("儿童水壶（粉色）", "中心花园滑梯旁", "保安 李强", False),
    ("华为手机一部（蓝色外壳）", "南门岗亭", "保安 孙强", True),
    ("钥匙一串（三把，带小熊挂件）", "地下车库B2", "保洁 刘姐", False),
    ("折叠雨伞（格子）", "会所大堂", "客服 王芳", False),
    ("现金 200 元（信封装）", "1号楼信报箱旁", "保洁 张阿姨", True),
)
KEY_LABELS = ("入户门", "入户门（备用）")
CONTRACTOR_A = keys.Borrower(name="刘师傅", kind="contractor", company="美家装饰",
                             phone="13900001234", signed=True)
CONTRACTOR_B = keys.Borrower(name="陈工", kind="contractor", company="安居水电",
                             phone="13600005678", signed=True)
CONTRACTOR_C = keys.Borrower(name="赵师傅", kind="contractor", company="宏达防水", signed=True)
SALES = keys.Borrower(name="周婷", kind="sales", company="链家", phone="13700004321",
                      signed=True)
OWNER = keys.Borrower(name="林晓燕", kind="owner", phone="13500006789", id_checked=True,
                      signed=True)


@dataclass
class _Week:
    """What the steps share: the session, the staff, and the records made so far."""

    session: Session
    site_id: int
    settings: Settings
    desk: list[Operator]
    supervisor: Operator
    manager: Operator
    rng: random.Random
    made: dict[str, Any] = field(default_factory=dict)

    def on_duty(self, when: datetime) -> Operator:
        """The morning operator of that local day until 13:00, the afternoon one after
        (who keeps the desk in the evening too). The guard keeps the gate, not the desk."""
        local = when.astimezone(self.zone)
        return self.desk[(local.toordinal() + (1 if local.hour >= 13 else 0)) % len(self.desk)]

    @property
    def zone(self) -> tzinfo:
        from deskapp.formatting import desk_zone

        return desk_zone(self.settings.timezone)


# --- the steps -------------------------------------------------------------------------------


def _deposit(week: _Week, label: str, form: storage.StorageForm, when: datetime,
             exception_note: str = "") -> None:
    week.made[label] = storage.deposit(
        week.session, acting=Acting(week.site_id, week.on_duty(when)), form=form, now=when,
        exception_by=week.supervisor if exception_note else None, exception_note=exception_note,
    )


def _collect(week: _Week, label: str, name: str, when: datetime) -> None:
    storage.collect(
        week.session, acting=Acting(week.site_id, week.on_duty(when)),
        code=week.made[label].code or "",
        collector=Collector(name=name, relation="本人", id_checked=True, signed=True),
        now=when, settings=week.settings,
    )


def _release_lost_ticket(week: _Week, label: str, name: str, when: datetime) -> None:
    storage.release_without_ticket(
        week.session, acting=Acting(week.site_id, week.on_duty(when)),
        item_id=week.made[label].id or 0,
        collector=Collector(name=name, relation="本人", id_checked=True, signed=True),
        supervisor=week.supervisor, note="寄存票遗失，核对身份证与寄存登记一致，主管同意放行",
        now=when, settings=week.settings,
    )


def _register_found(week: _Week, label: str, form: lostfound.FoundForm, when: datetime) -> None:
    week.made[label] = lostfound.register_found(
        week.session, acting=Acting(week.site_id, week.on_duty(when)), form=form, now=when
    )


def _claim(week: _Week, label: str, name: str, phone: str, when: datetime) -> None:
    lostfound.claim(
        week.session, acting=Acting(week.site_id, week.on_duty(when)),
        item_id=week.made[label].id or 0,
        claimant=Collector(name=name, phone=phone, id_checked=True,
                           id_number=demo_id_number(week.rng), signed=True),
        description_check="能准确说出物品特征及内有物品", now=when,
        settings=week.settings,
    )


def _to_admin(week: _Week, label: str, when: datetime) -> None:
    lostfound.hand_over(week.session, acting=Acting(week.site_id, week.on_duty(when)),
                        item_ids=[week.made[label].id or 0],
                        receiver="行政部 周敏", now=when,
                        settings=week.settings)


def _register_key(week: _Week, label: str, unit: Unit, index: int, when: datetime) -> None:
    week.made[label] = keys.register_key(
        week.session, acting=Acting(week.site_id, week.supervisor), unit=unit.code,
        label=KEY_LABELS[index % 2],
        place=f"钥匙柜 A-{index + 1:02d}", custodian=week.supervisor.display_name,
        pieces=1 + index % 3, now=when,
    )


def _lend(week: _Week, label: str, borrower: keys.Borrower, purpose: str,
          due: datetime | None, when: datetime, approved: bool) -> None:
    if label not in week.made:
        return
    week.made["loan-" + label] = keys.lend_key(
        week.session, acting=Acting(week.site_id, week.on_duty(when)),
        key_id=week.made[label].id or 0, borrower=borrower,
        purpose=purpose, due_at=due, now=when, settings=week.settings,
        approved_by=week.manager if approved else None,
    )


def _give_back(week: _Week, label: str, when: datetime) -> None:
    if label in week.made:
        keys.return_key(week.session, acting=Acting(week.site_id, week.on_duty(when)),
                        key_id=week.made[label].id or 0,
                        now=when)


def _chase(week: _Week, label: str, when: datetime) -> None:
    loan = week.made.get("loan-" + label)
    if loan is not None and loan.returned_at is None:
        keys.chase(week.session, acting=Acting(week.site_id, week.supervisor), loan_id=loan.id or 0,
                   note="电话联系陈工，答应今天上午送回", now=when)


def _check_in(week: _Week, label: str, unit: Unit, name: str, phone: str, carrier: str,
              tracking: str, shelf: str, when: datetime) -> None:
    week.made[label] = parcels.check_in(
        week.session, acting=Acting(week.site_id, week.on_duty(when)), scan=tracking,
        carrier=carrier, unit=unit.code,
        resident_name=name, shelf=shelf, consent=True, now=when,
        settings=week.settings, phone=phone,
    )


def _pick_up(week: _Week, label: str, name: str, when: datetime) -> None:
    parcels.pick_up(week.session, acting=Acting(week.site_id, week.on_duty(when)),
                    item_id=week.made[label].id or 0,
                    collector=Collector(name=name, signed=True), now=when,
                    settings=week.settings)


# --- the plan ---------------------------------------------------------------------------------


def demo_id_number(rng: random.Random) -> str:
    """A made-up 18-character resident ID whose check character is right."""
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    body = (f"3201{rng.randrange(1, 99):02d}19{rng.randrange(60, 99)}"
            f"{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}{rng.randrange(1000):03d}")
    total = sum(int(digit) * weight for digit, weight in zip(body, weights, strict=True))
    return body + "10X98765432"[total % 11]


def _people(session: Session, *, site_id: int, units: Sequence[Unit]) -> list[
    tuple[Unit, str, str]
]:
    """(unit, name, phone) of the residents with a phone in ``units``."""
    by_id = {unit.id: unit for unit in units}
    rows = session.exec(
        select(Resident)
        .where(Resident.site_id == site_id, col(Resident.active).is_(True),
               col(Resident.unit_id).in_(list(by_id)), Resident.phone != "")
        .order_by(col(Resident.id))
    ).all()
    return [(by_id[row.unit_id], row.name, row.phone) for row in rows]


def plan_custody(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    rng: random.Random,
    zone: tzinfo,
    operators: Sequence[Operator],
    units: Sequence[Unit],
    settings: Settings | None = None,
) -> list[Step]:
    """The week before ``now`` as ``(when, step)`` pairs in time order (none after ``now``).

    ``operators`` must hold an operator, a supervisor and a manager (a guard is not needed:
    the desk's work is the desk staff's);
    ``units`` should have residents with phones (the demo's directory).
    """
    site_id = acting.site_id
    desk = [o for o in operators if o.role == Role.OPERATOR.value]
    supervisor = next((o for o in operators if o.role == Role.SUPERVISOR.value), None)
    manager = next((o for o in operators if o.role == Role.MANAGER.value), None)
    people = _people(session, site_id=site_id, units=units)
    if not people or not desk or supervisor is None or manager is None:
        return []
    week = _Week(
        session=session, site_id=site_id,
        settings=settings or replace(Settings(), timezone=str(zone)), desk=desk,
        supervisor=supervisor, manager=manager, rng=rng,
    )
    rng.shuffle(people)
    person = itertools.cycle(people)
    first_day = local_day_start(now, zone) - timedelta(days=DAYS)
    steps: list[Step] = []

    def at(day: int, hours: float) -> datetime:
        return (first_day + timedelta(days=day, hours=hours)).astimezone(UTC).replace(
            microsecond=0
        )

    def add(when: datetime, step: Callable[..., None], *args: Any) -> None:
        if when < now:
            steps.append((when, partial(step, week, *args)))

    # Storage: ten items; the first two came the day before the week and are still held
    # (overdue after storage_overdue_days = 7, whatever the hour the demo is seeded).
    for index in range(10):
        when = at(-1, 8.5 + index * 0.1) if index < 2 else at(rng.randrange(1, DAYS),
                                                               8.5 + rng.random() * 8.5)
        unit, name, phone = next(person)
        form = storage.StorageForm(
            depositor_name=name, description=STORED[index], shelf=f"A-{index % 6 + 1}",
            phone=phone, unit=unit.code, may_collect=rng.choice(("", "家人凭票可取")),
            pieces=rng.choice((1, 1, 2)), condition=rng.choice(CONDITIONS),
            depositor_confirmed=True,
        )
        add(when, _deposit, f"storage{index}", form, when)
        if index >= 2 and rng.random() < 0.7:
            back = when + timedelta(hours=rng.choice((3, 20, 26, 48)))
            add(back, _collect, f"storage{index}", name, back)
    unit, name, phone = next(person)
    cash = storage.StorageForm(depositor_name=name, description="现金 3000 元（信封封存）",
                               shelf="保险柜", phone=phone, unit=unit.code, category="cash",
                               depositor_confirmed=True)
    add(at(2, 10.2), _deposit, "cash", cash, at(2, 10.2),
        "业主急事外出，主管在场清点封存，当日取回")
    add(at(2, 17.2), _collect, "cash", name, at(2, 17.2))
    unit, name, phone = next(person)
    suitcase = storage.StorageForm(depositor_name=name, description="行李箱一个（银色）",
                                   shelf="A-2", phone=phone, unit=unit.code,
                                   depositor_confirmed=True)
    add(at(3, 9.4), _deposit, "lost-ticket", suitcase, at(3, 9.4))
    add(at(4, 16.5), _release_lost_ticket, "lost-ticket", name, at(4, 16.5))

    # Lost and found: one find a day; two claimed, the child's bottle handed to admin.
    for index, (what, where, finder, valuable) in enumerate(FOUND):
        when = at(index + 1, 9 + rng.random() * 7)
        found = lostfound.FoundForm(description=what, found_where=where, finder=finder,
                                    found_at=when - timedelta(minutes=20), valuable=valuable,
                                    place="保险柜" if valuable else "失物柜")
        add(when, _register_found, f"found{index}", found, when)
        if index in (0, 3):
            _unit, owner, owner_phone = next(person)
            add(when + timedelta(hours=5), _claim, f"found{index}", owner, owner_phone,
                when + timedelta(hours=5))
    add(at(DAYS - 1, 15.5), _to_admin, "found1", at(DAYS - 1, 15.5))

    # Keys: registered on the first morning, then lent and mostly returned.
    by_id = {unit.id: unit for unit, _name, _phone in people}
    key_units = list(by_id.values())[:8]
    for index, unit in enumerate(key_units):
        add(at(0, 8.7 + index * 0.05), _register_key, f"key{index}", unit, index,
            at(0, 8.7 + index * 0.05))
    yesterday = DAYS - 1
    loans = (
        # key, borrower, purpose, out (day, hour), due (day, hour) or None, back or None
        (0, CONTRACTOR_A, "厨房水电改造", (1, 9.0), None, (1, 17.0), False),
        (1, SALES, "带客户看房", (2, 14.0), (2, 16.0), (2, 15.6), True),
        (4, CONTRACTOR_C, "外墙渗水排查", (3, 10.0), None, (3, 16.2), False),
        (2, CONTRACTOR_B, "卫生间防水检测", (yesterday, 9.5), (yesterday, 17.5), None, False),
        (3, OWNER, "", (yesterday, 10.5), (DAYS, 18.0), None, False),
    )
    for key_index, borrower, purpose, out, due, back_at, approved in loans:
        label = f"key{key_index}"
        due_at = at(*due) if due is not None else None
        add(at(*out), _lend, label, borrower, purpose, due_at, at(*out), approved)
        if back_at is not None:
            add(at(*back_at), _give_back, label, at(*back_at))
    add(at(DAYS, 8.6), _chase, "key2", at(DAYS, 8.6))

    # Parcels: four a day; most picked up within two days, some wait (overdue after three).
    used: set[str] = set()
    for index in range(28):
        day = index * DAYS // 28
        when = at(day, 9 + rng.random() * 8)
        unit, name, phone = next(person)
        carrier = rng.choice(CARRIERS)
        prefix = TRACKING_PREFIX[carrier]
        tracking = ""
        while not tracking or tracking in used:
            tracking = prefix + "".join(rng.choice("0123456789") for _ in range(15 - len(prefix)))
        used.add(tracking)
        add(when, _check_in, f"parcel{index}", unit, name, phone, carrier, tracking,
            f"B-{index % 8 + 1}", when)
        if rng.random() < (0.55 if day < 3 else 0.75):
            back = when + timedelta(hours=rng.choice((2, 5, 22, 28, 46)))
            add(back, _pick_up, f"parcel{index}", name, back)
    return sorted(steps, key=lambda step: step[0])


def seed_custody(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    rng: random.Random,
    zone: tzinfo,
    operators: Sequence[Operator],
    units: Sequence[Unit],
    settings: Settings | None = None,
) -> int:
    """Play the custody week before ``now`` in the caller's transaction; the steps taken."""
    steps = plan_custody(session, acting=acting, now=now, rng=rng, zone=zone,
                         operators=operators, units=units, settings=settings)
    for _when, step in steps:
        step()
    return len(steps)
