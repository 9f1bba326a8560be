"""A week of shifts for the demo site: the duty log (值班记录) and the handovers (交接班).

Seven days of the ``shift_starts`` shifts (by default 00:00, 08:00, 16:00), each with
what its people wrote in the duty log, routine and anomalies (异常): the two desk
operators take the day and the evening shift in turn, as the demo's sign-ins have
them, and the one with that day's evening keeps its night (00:00-08:00) too, writing
what the guards' patrols reported: the guard keeps the gate, not the desk's books.
Where the desk passes from one operator to the other (by default at 16:00) the
outgoing operator hands over:
the shift's anomalies settled with a next action (and a contingency when watched),
the incoming operator takes each and counts the public items (公物), both sign with
their own PINs, and the supervisor reviews the day's handovers the next morning.

On purpose the week holds one count that differs, explained by the outgoing
operator; a refused item the supervisor settled the next morning, and one still on
the supervisor's list; and the latest handover not yet reviewed. None is left open.

The week is played before the other ledgers' weeks. A handover gathers the ledgers
as they stand when it starts, and those weeks are played whole after the directory
(not day by day), so a handover played after them would carry records from later in
the week; played first, the handovers carry the duty log's anomalies.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session

from deskapp.config import Settings
from deskapp.models import Operator, Role
from deskapp.models.handover import HandoverState, WatchLevel
from deskapp.services.acting import Acting
from deskapp.services.handover import dutylog, handovers
from deskapp.services.workcalendar import WorkCalendar

DAYS = 7
NOON = time(12, 0)
"""The day shift is the one running at noon; the night's end before it, the evening's
begin after it."""
SIGNED_BEFORE_END = timedelta(minutes=1)
"""The outgoing operator signs a minute before the end, the incoming one 30 s later."""
REVIEW_AT = time(9, 0)
"""The supervisor reviews the handovers of the day before from 09:00 (within 40 minutes)."""


@dataclass(frozen=True)
class Anomaly:
    """An anomaly of a day shift, and how the handover at its end deals with it."""

    text: str
    level: str = WatchLevel.WATCH.value
    """How the outgoing operator settles it: watched, or routine once it is dealt with."""
    next_action: str = ""
    contingency: str = ""
    next_hours: float | None = None
    """When the next action is due, in hours after the handover."""
    unit: str = ""
    refusal: str = ""
    """The incoming operator refuses it with this reason (it goes to the supervisor)."""
    settle_note: str = ""
    """The supervisor settles the refusal the next morning with this note; left on the
    supervisor's list when empty."""


WATCH, ROUTINE = WatchLevel.WATCH.value, WatchLevel.ROUTINE.value

DAY_ANOMALIES: tuple[tuple[Anomaly, ...], ...] = (
    (Anomaly("3号楼2单元电梯运行时有异响，已报工程部，电梯维保公司下午到场检查",
             next_action="跟进维保检查结果", next_hours=17,
             contingency="若电梯停梯或困人，立即拨打维保24小时电话并报主管"),),
    (Anomaly("地下车库B区入口积水约3厘米，已放置警示牌，通知保洁清理、工程部疏通排水沟",
             next_action="交班后复查积水是否清理",
             contingency="若积水扩大影响车辆进出，通知保安疏导并报工程部值班"),
     Anomaly("业主反映楼道声控灯不亮，工程部已更换灯泡", level=ROUTINE,
             next_action="已处理，仅告知", unit="1-1-301")),
    (Anomaly("2号楼1单元门禁刷卡无反应，已临时设为常开，通知工程部联系门禁厂家",
             next_action="跟进门禁厂家维修时间",
             contingency="常开期间请保安加强巡查，若有陌生人尾随进入立即报保安",
             refusal="门禁厂家尚未确认维修时间，晚班无法跟进，请主管协调",
             settle_note="已联系门禁厂家，今天上午十点上门维修；维修前保安加强巡查"),),
    (Anomaly("1号楼2单元消防通道堆放纸箱杂物，已电话通知该户业主当天清理",
             next_action="晚间巡查时确认是否清理", unit="1-2-502",
             contingency="若仍未清理，拍照留存并报主管发整改通知"),),
    (Anomaly("中心花园东侧三盏路灯不亮，工程部已更换灯具，试亮正常", level=ROUTINE,
             next_action="已处理，仅告知"),),
    (Anomaly("地下车库B2排风机噪音大，附近业主来电反映，已报工程部检查",
             next_action="跟进工程部检查结果", next_hours=18,
             contingency="若夜间噪音扰民再有来电，做好解释并记录，明早报主管"),),
    (Anomaly("3号楼大堂天花板渗水，已放置接水桶和警示牌，报工程部",
             next_action="跟进工程部查找渗水源",
             contingency="若渗水加大，通知保洁每小时清理地面并报工程部值班",
             refusal="渗水源尚未查明，工程部未到场，接班无法承诺处理时间，请主管安排"),
     Anomaly("3号楼2单元电梯异响复现，维保公司已预约明早复查",
             next_action="明早配合维保复查", next_hours=17,
             contingency="若电梯停梯或困人，立即拨打维保24小时电话并报主管")),
)
"""The day shift's anomalies, one tuple per day of the week."""

NIGHT_ANOMALY = (4, "凌晨地下车库B区一辆车防盗报警器持续鸣响，已电话联系车主处理，报警解除")
"""(day, text): the night's one anomaly, dealt with before the morning."""

NIGHT_ROUTINE = (
    "夜间巡查：各楼栋单元门、消防通道正常",
    "巡查地下车库：照明、排水正常，无异常停放车辆",
    "监控室巡视各路监控画面，无异常",
    "巡查周界围墙及南门岗，正常",
)
DAY_ROUTINE = (
    "巡查大堂、电梯厅及信报箱区域，正常",
    "开具装修出入证两张，已登记",
    "接待业主咨询停车月卡办理，已解答",
    "巡查中心花园及儿童游乐区，设施正常",
    "保洁完成大堂及电梯轿厢清洁，已检查",
    "消防控制室例行检查，设备运行正常",
)
EVENING_ROUTINE = (
    "晚间巡查各单元大堂及电梯，正常",
    "巡查中心花园，路灯开启正常",
    "外卖、快递人员出入登记，正常",
    "巡查地下车库出入口，道闸运行正常",
)

COUNT_DIFFERENCE = (3, "对讲机", "一台对讲机电池鼓包，已交工程部更换电池，工程部张工签收")
"""(day, public item, the outgoing operator's explanation): one item counted short."""

REVIEW_REMARKS = ("已阅，交接清楚。", "已阅，异常事项已跟进。", "已阅。")
REVIEW_COUNTED = "已阅，对讲机送修已与工程部核实。"
REVIEW_SETTLED = "已阅，被拒事项已协调处理。"


@dataclass
class HandoverDemoReport:
    duty_entries: int = 0
    anomalies: int = 0
    sealed: int = 0
    reviewed: int = 0
    unreviewed: int = 0
    refused_waiting: int = 0
    count_differences: int = 0


@dataclass(frozen=True)
class _Shift:
    day: int
    """The day of the week it starts on (0 is the first)."""
    starts_at: datetime
    ends_at: datetime
    kind: str
    """``night`` (ends by noon), ``day`` (runs at noon) or ``evening`` (starts after it)."""
    worker: Operator | None


@dataclass
class _Week:
    """What the steps share."""

    session: Session
    site_id: int
    settings: Settings
    pins: dict[str, str]
    supervisor: Operator
    report: HandoverDemoReport
    anomaly_of: dict[int, Anomaly] = field(default_factory=dict)
    """The scripted anomaly of each duty-log entry written, by the entry's id."""


Step = tuple[datetime, int, Callable[[], object]]


def seed_handovers(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    rng: random.Random,
    operators: dict[str, Operator],
    pins: dict[str, str],
    settings: Settings | None = None,
    handover_days: int = DAYS,
) -> HandoverDemoReport:
    """Play the week of shifts before ``now`` (the ``DAYS`` local days before today) in
    the caller's transaction, in time order.

    ``operators`` maps sign-in names to the demo's staff, in the demo's order (two desk
    operators and a supervisor; a guard is not needed) and ``pins`` their PINs,
    with which they sign the handovers. To be played before the other ledgers' weeks.
    """
    site_id = acting.site_id
    settings = settings or Settings()
    staff = list(operators.values())
    desk = [op for op in staff if op.role == Role.OPERATOR.value]
    supervisor = next((op for op in staff if op.role == Role.SUPERVISOR.value), None)
    if len(desk) < 2 or supervisor is None:
        raise ValueError("seed_handovers needs two desk operators and a supervisor")
    calendar = WorkCalendar.from_settings(settings)
    first_day = now.astimezone(calendar.zone).date() - timedelta(days=DAYS)
    week = _Week(session=session, site_id=site_id, settings=settings, pins=pins,
                 supervisor=supervisor, report=HandoverDemoReport())
    steps: list[Step] = []

    def add(when: datetime, step: Callable[[], object]) -> None:
        if when < now:
            steps.append((when, len(steps), step))

    shifts = [shift for day in range(DAYS)
              for shift in _shifts_of(calendar, day, first_day + timedelta(days=day), desk)]
    sealed_on: dict[date, int] = {}  # the local day of each seal: that day of the week
    for shift, following in zip(shifts, [*shifts[1:], None], strict=True):
        for when, entry in _entries(shift, rng):
            add(when, _writer(week, shift, when, entry))
        if (shift.kind == "day" and following is not None and shift.worker is not None
                and following.worker is not None and following.worker.id != shift.worker.id
                and shift.day >= DAYS - handover_days and shift.ends_at <= now):
            # The outgoing operator starts 15 minutes before the end of the shift.
            started = shift.ends_at - timedelta(minutes=15 - rng.randrange(3))
            add(started, _handing_over(week, shift, following.worker, started))
            sealed_on[calendar.local_day(shift.ends_at - SIGNED_BEFORE_END)] = shift.day
    # The supervisor reviews each day's handovers the next morning; not the latest's yet.
    for local_day, day in list(sealed_on.items())[:-1]:
        morning = calendar.at(local_day + timedelta(days=1), REVIEW_AT) + timedelta(
            minutes=rng.randrange(40))
        add(morning, _reviewer(week, day, local_day, morning))
    for _when, _order, step in sorted(steps, key=lambda step: (step[0], step[1])):
        step()
    week.report.unreviewed = len(handovers.unreviewed(session, acting=acting))
    week.report.refused_waiting = len(handovers.refused_waiting(session, acting=acting))
    return week.report


def _shifts_of(calendar: WorkCalendar, day: int, local_day: date, desk: Sequence[Operator]
               ) -> list[_Shift]:
    """The shifts starting on ``local_day``: the night's and those after noon (the
    evening's desk operator), the one running at noon (the day's desk operator, as the
    demo's sign-ins have them)."""
    morning, evening = desk[day % 2], desk[(day + 1) % 2]
    noon = calendar.at(local_day, NOON)
    found = []
    for start in calendar.shift_starts:
        starts_at = calendar.at(local_day, start)
        ends_at = calendar.next_shift_end(starts_at)
        if starts_at <= noon < ends_at:
            found.append(_Shift(day, starts_at, ends_at, "day", morning))
        elif ends_at <= noon:
            found.append(_Shift(day, starts_at, ends_at, "night", evening))
        else:
            found.append(_Shift(day, starts_at, ends_at, "evening", evening))
    return found


def _entries(shift: _Shift, rng: random.Random) -> list[tuple[datetime, Anomaly | str]]:
    """What the shift's worker writes, and when: routine lines and the day's anomalies."""
    if shift.worker is None:
        return []
    length = shift.ends_at - shift.starts_at

    def at(share: float) -> datetime:
        moment = shift.starts_at + length * share + timedelta(minutes=rng.randrange(20))
        return moment.replace(second=0, microsecond=0)

    lines: list[tuple[datetime, Anomaly | str]] = []
    if shift.kind == "night":
        first, second = rng.sample(NIGHT_ROUTINE, 2)
        lines.append((at(0.2), first))
        if shift.day == NIGHT_ANOMALY[0]:
            lines.append((at(0.35), Anomaly(NIGHT_ANOMALY[1])))
        lines.append((at(0.6), second))
    elif shift.kind == "day":
        first, second = rng.sample(DAY_ROUTINE, 2)
        lines.append((at(0.1), first))
        for index, anomaly in enumerate(DAY_ANOMALIES[shift.day % len(DAY_ANOMALIES)]):
            lines.append((at(0.3 + 0.2 * index), anomaly))
        lines.append((at(0.75), second))
    else:
        first, second = rng.sample(EVENING_ROUTINE, 2)
        lines.extend([(at(0.2), first), (at(0.6), second)])
    return lines


def _writer(week: _Week, shift: _Shift, when: datetime,
            entry: Anomaly | str) -> Callable[[], object]:
    def write() -> None:
        assert shift.worker is not None
        anomaly = entry if isinstance(entry, Anomaly) else None
        written = dutylog.write_entry(
            week.session, acting=Acting(week.site_id, shift.worker), now=when,
            settings=week.settings, text=anomaly.text if anomaly else str(entry),
            anomaly=anomaly is not None, unit=anomaly.unit if anomaly else "",
        )
        week.report.duty_entries += 1
        if anomaly is not None:
            assert written.id is not None
            week.anomaly_of[written.id] = anomaly
            week.report.anomalies += 1

    return write


def _handing_over(week: _Week, shift: _Shift, incoming: Operator,
                  started: datetime) -> Callable[[], object]:
    """The handover at the end of ``shift``, from ``started``: the anomalies settled,
    taken (or refused), the public items counted, signed by both."""

    def hand_over() -> None:
        session, site_id, settings = week.session, week.site_id, week.settings
        outgoing = shift.worker
        assert outgoing is not None
        handover = handovers.start(session, acting=Acting(site_id, outgoing), now=started,
                                   settings=settings)
        assert handover.id is not None
        common: dict[str, Any] = {"acting": Acting(site_id), "handover_id": handover.id}
        by_outgoing: dict[str, Any] = {"acting": Acting(site_id, outgoing),
                                       "handover_id": handover.id}
        items = handovers.items_of(session, handover.id)
        scripted = {item.id: week.anomaly_of[item.record_id] for item in items
                    if item.record_kind == dutylog.ENTITY and item.record_id in week.anomaly_of}
        # Nothing else is carried: the other ledgers' weeks are played afterwards.
        for minute, item in enumerate(items, start=1):
            anomaly = scripted.get(item.id)
            if anomaly is None:
                continue
            handovers.settle_item(
                session, **by_outgoing, item_id=item.id or 0,
                now=started + timedelta(minutes=min(minute, 8)), level=anomaly.level,
                next_action=anomaly.next_action, contingency=anomaly.contingency,
                next_at=None if anomaly.next_hours is None
                else shift.ends_at + timedelta(hours=anomaly.next_hours),
            )
        arrived = shift.ends_at - timedelta(minutes=5)  # the incoming comes 5 minutes early
        handovers.name_incoming(session, **by_outgoing, login=incoming.login, now=arrived)
        taking = arrived + timedelta(minutes=1)
        for group in sorted({item.group for item in items}):
            handovers.accept_routine(session, **common, group=group, now=taking)
        for item in handovers.items_of(session, handover.id):
            if item.level != ROUTINE:
                refusal = scripted[item.id].refusal if item.id in scripted else ""
                handovers.take_item(session, **common, item_id=item.id or 0,
                                    accept=not refusal, reason=refusal, now=taking)
        counting = taking + timedelta(minutes=1)
        short_day, short_name, explanation = COUNT_DIFFERENCE
        for public in handovers.counts_of(session, handover.id):
            short = shift.day == short_day and public.name == short_name and public.expected
            handovers.count(session, **common, count_id=public.id or 0,
                            counted=public.expected - 1 if short else public.expected,
                            now=counting)
            if short:
                handovers.explain(session, **by_outgoing, count_id=public.id or 0,
                                  explanation=explanation,
                                  now=counting + timedelta(minutes=1))
                week.report.count_differences += 1
        signing = shift.ends_at - SIGNED_BEFORE_END
        handovers.sign(session, **common, side=handovers.Side.OUTGOING, login=outgoing.login,
                       pin=week.pins[outgoing.login], now=signing, settings=settings)
        sealed = handovers.sign(session, **common, side=handovers.Side.INCOMING,
                                login=incoming.login, pin=week.pins[incoming.login],
                                now=signing + timedelta(seconds=30), settings=settings)
        assert sealed.state == HandoverState.SEALED.value
        week.report.sealed += 1

    return hand_over


def _reviewer(week: _Week, day: int, sealed_on: date,
              when: datetime) -> Callable[[], object]:
    """The supervisor's morning after ``sealed_on`` (the ``day`` of the week): the
    refusals the script settles, then that day's handovers reviewed with remarks."""

    def review() -> None:
        session, site_id = week.session, week.site_id
        settled = False
        for waiting in handovers.refused_waiting(session, acting=Acting(site_id)):
            item = waiting.item
            anomaly = week.anomaly_of.get(item.record_id) \
                if item.record_kind == dutylog.ENTITY else None
            if anomaly is not None and anomaly.settle_note:
                handovers.settle_refused(session, acting=Acting(site_id, week.supervisor),
                                         item_id=item.id or 0,
                                         note=anomaly.settle_note,
                                         now=when - timedelta(minutes=1))
                settled = True
        remarks = (REVIEW_SETTLED if settled else
                   REVIEW_COUNTED if day == COUNT_DIFFERENCE[0] else
                   REVIEW_REMARKS[day % len(REVIEW_REMARKS)])
        week.report.reviewed += handovers.review_day(
            session, acting=Acting(site_id, week.supervisor), day=sealed_on, remarks=remarks,
            now=when, settings=week.settings)

    return review
