"""A believable week of requests for the demo site (演示数据: 诉求, 维修单, 回访).

Every request goes through the ordinary services, and all steps of all
requests are played in time order, so the audit trail reads like a real week:
complaints about leaks, lifts and noise, repairs with work orders, inquiries,
help requests, a collective complaint, one that went to the press, some closed
after a revisit, some overdue and escalated by the final sweep.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.models import Operator, Resident, Role, Unit
from deskapp.models.requests import ServiceRequest
from deskapp.services.acting import Acting
from deskapp.services.requests import deadlines, lifecycle, revisits, rules, workorders


@dataclass(frozen=True)
class Template:
    kind: str
    subject: str
    summary: str
    wish: str = ""
    location: str = ""
    complaint_subject: str | None = None
    nature: str | None = None
    department: str = "engineering"
    about: str = ""


TEMPLATES: dict[str, Template] = {
    "leak": Template("complaint", "楼上漏水", "卫生间天花板漏水，怀疑楼上防水层破损，已经两天了",
                     "尽快找楼上业主协调维修", "卫生间", "equipment", "valid"),
    "lift": Template("complaint", "电梯故障", "电梯频繁停梯，昨晚老人被困十分钟",
                     "彻底检修电梯并给个说法", "本单元电梯", "equipment", "valid",
                     about="工程部"),
    "noise": Template("complaint", "夜间噪音", "楼上装修晚上十点后还在施工，影响孩子休息",
                      "禁止夜间施工", "楼上", "quality", "venting", "security"),
    "guard": Template("complaint", "保安态度", "东门保安态度生硬，不让外卖员进小区还出言不逊",
                      "保安道歉并加强培训", "东门岗亭", "attitude", "valid", "security",
                      about="东门保安"),
    "garbage": Template("complaint", "垃圾清运不及时", "楼下垃圾桶满了没人清理，气味很大",
                        "每天按时清运", "单元门口", "quality", "valid", "cleaning"),
    "parking": Template("complaint", "车位被占", "自家车位被外来车辆占用，联系不上车主",
                        "帮忙联系挪车", "地下车库B区", "incident", "help_seeking", "security"),
    "tap": Template("repair", "厨房水龙头漏水", "厨房水龙头关不紧，一直滴水", "上门维修", "厨房"),
    "lock": Template("repair", "入户门锁损坏", "入户门锁芯卡住，钥匙转不动", "尽快换锁芯",
                     "入户门"),
    "drain": Template("repair", "下水道堵塞", "卫生间地漏堵塞，洗澡积水", "疏通", "卫生间"),
    "lobby_light": Template("repair", "大堂灯不亮", "单元大堂顶灯不亮，晚上很黑", "",
                            "单元大堂"),
    "fee": Template("inquiry", "物业费缴纳", "咨询物业费可否按季度缴纳，支持哪些付款方式"),
    "renovation": Template("inquiry", "装修审批", "咨询装修申请需要准备哪些材料，押金多少"),
    "fall": Template("help", "老人摔倒", "家中老人在卫生间摔倒，需要帮忙扶起并联系120",
                     "立即派人", "卫生间", department="security"),
    "locked_out": Template("help", "钥匙锁在家里", "出门忘带钥匙，孩子一个人在家", "帮忙开锁",
                           department="security"),
    "playground": Template("suggestion", "增设儿童设施", "建议在中心花园增加儿童滑梯和沙池"),
    "hood": Template("paid_service", "清洗油烟机", "油烟机需要深度清洗", "周末上门", "厨房"),
}


@dataclass(frozen=True)
class Scenario:
    """A template and its steps: (hours after receipt, step name)."""

    template: str
    day: int
    hour: float
    steps: tuple[tuple[float, str], ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


CLOSED_PATH = ((0.5, "dispatch"), (5, "reply"), (6, "answer"), (24, "resolve"),
               (50, "revisit_ok"), (51, "close"))
REPAIR_DONE = ((0.2, "work_order"), (2.1, "start"), (3, "complete"), (3.2, "confirm"),
               (4, "resolve"), (30, "revisit_ok"), (31, "close"))

SCENARIOS: tuple[Scenario, ...] = (
    Scenario("leak", 0, 9.2, CLOSED_PATH),
    Scenario("tap", 0, 10.5, REPAIR_DONE),
    Scenario("fee", 0, 14.0, ((0.1, "answer"), (0.2, "resolve"), (0.3, "close"))),
    Scenario("noise", 1, 9.8, ((1, "dispatch"), (20, "reply"), (22, "answer"), (30, "resolve"),
                               (80, "revisit_bad"), (82, "dispatch"))),
    Scenario("lock", 1, 11.0, REPAIR_DONE),
    Scenario("guard", 1, 15.5, ((0.5, "dispatch"), (3, "reply"), (4, "resolve"))),
    Scenario("garbage", 2, 8.7, CLOSED_PATH),
    Scenario("lift", 2, 10.1, ((0.3, "dispatch_superior"), (1.5, "report"), (26, "reply"),
                               (27, "defer"))),
    Scenario("garbage", 2, 13.4, ((0.5, "dispatch"), (4, "reply"), (5, "resolve"))),
    Scenario("fall", 2, 19.6, ((0.1, "dispatch"), (0.5, "reply"), (0.6, "resolve"),
                               (40, "revisit_ok"), (41, "close"))),
    Scenario("lift", 3, 9.0, ((0.5, "dispatch"),), {"collective_people": 6}),
    Scenario("renovation", 3, 10.2, ((0.1, "answer"), (0.2, "resolve"), (0.3, "close"))),
    Scenario("drain", 3, 14.8, ((0.3, "work_order"), (2.2, "start"), (3, "complete"),
                                (3.2, "confirm"), (3.5, "resolve"))),
    Scenario("parking", 4, 8.9, ((0.2, "dispatch"),)),
    Scenario("garbage", 4, 11.3, ((0.5, "dispatch"),)),
    Scenario("hood", 4, 15.0, ((0.2, "work_order_paid"), (26, "agree"), (26.1, "start"),
                               (28, "complete"), (28.2, "confirm"), (29, "resolve"))),
    Scenario("noise", 5, 10.0, ((0.2, "pause"),)),
    Scenario("lift", 5, 16.2, ((0.2, "dispatch"),), {"exposure": "actual"}),
    Scenario("playground", 5, 17.0, ((0.5, "answer"),)),
    Scenario("locked_out", 6, 8.4, ((0.1, "dispatch"), (0.4, "reply"), (0.5, "resolve"))),
    Scenario("lobby_light", 6, 9.3, ((0.2, "work_order_public"),)),
    Scenario("fee", 6, 9.9, ((0.05, "void"),)),
    Scenario("tap", 6, 10.4, ()),
    Scenario("leak", 6, 11.1, ()),
)


@dataclass
class RequestsDemoReport:
    requests: int = 0
    work_orders: int = 0
    revisits: int = 0
    escalations: int = 0


def seed_requests(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    rng: random.Random,
    zone: tzinfo,
    operators: dict[str, Operator],
    units: Sequence[Unit] | None = None,
    settings: Settings | None = None,
    days: int = 7,
) -> RequestsDemoReport:
    """Seed the week before ``now`` with requests in every state (see ``SCENARIOS``).

    ``operators`` maps sign-in names to the demo's operators (desk operators take
    the requests, the supervisor acknowledges nothing so escalations stay open);
    ``units`` are the demo's units (default: all units of the site).
    """
    site_id = acting.site_id
    settings = settings or Settings()
    desk_staff = [op for op in operators.values() if op.role == Role.OPERATOR]
    if not desk_staff:
        raise ValueError("seed_requests needs at least one operator")
    all_units = list(units) if units is not None else list(
        session.exec(select(Unit).where(Unit.site_id == site_id).order_by(col(Unit.id))).all())
    if not all_units:
        raise ValueError("seed_requests needs units")
    local_now = now.astimezone(zone)
    first_day = local_now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(
        days=days)
    report = RequestsDemoReport()
    plan: list[tuple[datetime, int, Callable[[datetime], None]]] = []

    for index, scenario in enumerate(SCENARIOS):
        template = TEMPLATES[scenario.template]
        received = (first_day + timedelta(days=scenario.day, hours=scenario.hour,
                                          minutes=rng.randrange(0, 20))).astimezone(UTC)
        received = received.replace(second=0, microsecond=0)
        if received >= now:
            continue
        actor = desk_staff[(scenario.day + (scenario.hour >= 13)) % len(desk_staff)]
        unit = None if template.location == "单元大堂" else rng.choice(all_units)
        holder: dict[str, int] = {}
        plan.append((received, index, _creator(session, site_id, settings, template, scenario,
                                               unit, actor, holder, report)))
        for offset, step in scenario.steps:
            when = (received + timedelta(hours=offset)).replace(second=0, microsecond=0)
            if when < now:
                plan.append((when, index, _stepper(session, site_id, settings, step, template,
                                                   actor, holder, report)))
    for when, _index, action in sorted(plan, key=lambda item: (item[0], item[1])):
        action(when)
    rules.sweep(session, acting=acting, now=now, settings=settings)
    report.escalations = len(deadlines.open_escalations(session, acting=acting, limit=1000))
    return report


def _creator(
    session: Session, site_id: int, settings: Settings, template: Template, scenario: Scenario,
    unit: Unit | None, actor: Operator, holder: dict[str, int], report: RequestsDemoReport,
) -> Callable[[datetime], None]:
    def create(when: datetime) -> None:
        resident = None
        if unit is not None:
            resident = session.exec(
                select(Resident).where(Resident.unit_id == unit.id,
                                       col(Resident.active).is_(True),
                                       col(Resident.phone) != "")
            ).first()
        contact: dict[str, Any] = {"contact_name": "保洁员刘阿姨",
                                   "contact_phone": "13500006688"}
        if unit is not None:
            contact = ({"resident_id": resident.id} if resident is not None
                       else {"contact_name": "住户", "contact_phone": "13500001234"})
        request = lifecycle.create_request(
            session, acting=Acting(site_id, actor), settings=settings, now=when,
            kind=template.kind, summary=template.summary, subject=template.subject,
            wish=template.wish, location=template.location, about=template.about,
            unit_id=unit.id if unit else None,
            complaint_subject=template.complaint_subject, nature=template.nature,
            channel="walk_in" if scenario.hour % 2 > 1 else "phone",
            **contact, **scenario.extra,
        )
        assert request.id is not None
        holder["id"] = request.id
        report.requests += 1

    return create


def _stepper(
    session: Session, site_id: int, settings: Settings, step: str, template: Template,
    actor: Operator, holder: dict[str, int], report: RequestsDemoReport,
) -> Callable[[datetime], None]:
    def run(when: datetime) -> None:
        request_id = holder["id"]
        common: dict[str, Any] = {"acting": Acting(site_id, actor), "request_id": request_id,
                                  "now": when}
        timed = common | {"settings": settings}
        if step in ("dispatch", "dispatch_superior"):
            lifecycle.dispatch(session, **timed, department=template.department,
                              assignee="李师傅" if template.department == "engineering" else "",
                              needs_superior=step == "dispatch_superior")
        elif step == "report":
            lifecycle.department_report(session, **common,
                                       text="需请示经理，已联系电梯维保公司")
        elif step == "reply":
            lifecycle.department_reply(session, **common, text="已派人处理完毕")
        elif step == "defer":
            lifecycle.defer(session, **timed, reason="需维保公司出具检测报告")
        elif step == "answer":
            lifecycle.answer_resident(session, **common, text="已电话答复业户")
        elif step == "resolve":
            lifecycle.resolve(session, **timed, result="已处理完毕，业户认可")
        elif step in ("revisit_ok", "revisit_bad"):
            revisits.record_revisit(
                session, **timed,
                result="satisfied" if step == "revisit_ok" else "unsatisfied",
                remarks="" if step == "revisit_ok" else "晚上仍有噪音", resident_confirmed=True,
            )
            report.revisits += 1
        elif step == "close":
            lifecycle.close(session, **timed)
        elif step == "void":
            lifecycle.void(session, **common, reason="重复登记")
        elif step == "pause":
            deadlines.pause_clock(session, **common, reason="业主出差，下周回来再约")
        elif step.startswith("work_order"):
            workorders.open_work_order(
                session, **timed, task=template.summary,
                location="public" if step == "work_order_public" else "in_home",
                appointment_at=when + timedelta(hours=2), technician="李师傅",
                paid=step == "work_order_paid",
                material_cost_fen=5_000 if step == "work_order_paid" else 0,
            )
            report.work_orders += 1
        else:
            _work_order_step(session, site_id, step, request_id, when, actor)

    return run


def _work_order_step(session: Session, site_id: int, step: str, request_id: int,
                     when: datetime, actor: Operator) -> None:
    order_id = session.exec(
        select(workorders.WorkOrder.id).where(workorders.WorkOrder.request_id == request_id)
        .order_by(col(workorders.WorkOrder.id).desc())
    ).first()
    assert order_id is not None
    common: dict[str, Any] = {"acting": Acting(site_id, actor), "work_order_id": order_id,
                              "now": when}
    if step == "agree":
        workorders.agree_cost(session, **common, material_cost_fen=6_800)
    elif step == "start":
        workorders.start_work(session, **common)
    elif step == "complete":
        workorders.complete_work(session, **common, result="已修复，试用正常")
    elif step == "confirm":
        order = workorders.get_work_order(session, acting=Acting(site_id), work_order_id=order_id)
        request = session.get(ServiceRequest, request_id)
        assert request is not None
        if order.location == "public":
            workorders.confirm_work(session, **common, confirmed_by="保洁领班王姐")
        else:
            workorders.confirm_work(session, **common, rating=5,
                                    confirmed_by=request.contact_name or "业主")
    else:  # pragma: no cover - a scenario names an unknown step
        raise ValueError(step)
