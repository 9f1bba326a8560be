"""A believable demo site (演示数据): three buildings, a few hundred units and
residents, operators of every role, and a week of activity.

Everything goes through the ordinary services, so the demo is audited like
real work and exercises the same rules.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from deskapp.errors import Conflict
from deskapp.i18n import _
from deskapp.models import Operator, Role, Site, Unit
from deskapp.services import audit, directory, operators


@dataclass(frozen=True)
class DemoOperator:
    login: str
    display_name: str
    role: str
    pin: str


DEMO_OPERATORS: tuple[DemoOperator, ...] = (
    DemoOperator("wangfang", "王芳", Role.OPERATOR.value, "1111"),
    DemoOperator("liuyang", "刘洋", Role.OPERATOR.value, "2222"),
    DemoOperator("zhaomin", "赵敏", Role.SUPERVISOR.value, "3333"),
    DemoOperator("chenjie", "陈杰", Role.MANAGER.value, "4444"),
    DemoOperator("sunqiang", "孙强", Role.GUARD.value, "5555"),
)

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明",
    "超", "秀英", "桂兰", "志强", "建华", "晓燕", "海燕", "雪梅", "子涵", "浩然", "一诺",
    "喆", "堃", "犇", "淼", "昊", "玥", "思远", "雨桐",
)
BUILDINGS = ("1", "2", "3")
ENTRANCES = ("1", "2")
FLOORS = range(1, 13)
ROOMS_PER_FLOOR = 4
DEMO_DAYS = 7
DEMO_SITE_NAME = "锦绣花园物业服务中心"


@dataclass
class DemoReport:
    units: int = 0
    residents: int = 0
    operators: list[DemoOperator] = field(default_factory=list)


def _name(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + rng.choice(GIVEN)


def _mobile(rng: random.Random, used: set[str]) -> str:
    while True:
        number = rng.choice(("13", "15", "18")) + str(rng.randint(0, 9)) + (
            f"{rng.randint(0, 99_999_999):08d}"
        )
        if number not in used:
            used.add(number)
            return number


def seed_demo(
    session: Session, *, site_id: int, now: datetime, rng_seed: int = 2026
) -> DemoReport:
    """Seed an empty site; refused when it already has operators or units."""
    has_operators = session.exec(
        select(func.count()).select_from(Operator).where(Operator.site_id == site_id)
    ).one()
    has_units = session.exec(
        select(func.count()).select_from(Unit).where(Unit.site_id == site_id)
    ).one()
    if has_operators or has_units:
        raise Conflict(
            _("The database already has data; demo data goes only into an empty database.")
        )
    rng = random.Random(rng_seed)
    report = DemoReport()
    # Midnight UTC is 08:00 at a Chinese desk: the demo's week runs in office hours.
    week_ago = (now - timedelta(days=DEMO_DAYS)).replace(hour=0, minute=0, second=0, microsecond=0)
    staff: dict[str, Operator] = {}
    for entry in DEMO_OPERATORS:
        staff[entry.login] = operators.add_operator(
            session, site_id=site_id, login=entry.login, display_name=entry.display_name,
            role=entry.role, secret=entry.pin, now=week_ago, actor=None,
        )
        report.operators.append(entry)
    manager = staff["chenjie"]
    desk_staff = [staff["wangfang"], staff["liuyang"]]
    codes = [
        f"{building}-{entrance}-{floor}{room:02d}"
        for building in BUILDINGS
        for entrance in ENTRANCES
        for floor in FLOORS
        for room in range(1, ROOMS_PER_FLOOR + 1)
    ]
    used_phones: set[str] = set()
    for index, code in enumerate(codes):
        day = index * DEMO_DAYS // len(codes)
        when = week_ago + timedelta(days=day, hours=1 + (index % 8))
        actor = manager if day == 0 else desk_staff[day % 2]
        unit = directory.add_unit(session, site_id=site_id, code=code, now=when, actor=actor)
        report.units += 1
        if rng.random() < 0.08:
            continue  # not yet handed over: nobody listed
        family = rng.choice(SURNAMES)
        rented = rng.random() < 0.2
        people = [("tenant" if rented else "owner", _name(rng, family))]
        for _extra in range(rng.choice((0, 1, 1, 2))):
            people.append(("household", _name(rng, None if rented else family)))
        seen_names: set[str] = set()
        for relation, name in people:
            if name in seen_names:
                continue
            seen_names.add(name)
            listed = relation != "household" or rng.random() < 0.5
            phone = _mobile(rng, used_phones) if listed else ""
            alt = _mobile(rng, used_phones) if phone and rng.random() < 0.15 else ""
            directory.add_resident(
                session, site_id=site_id, unit=unit, name=name, relation=relation,
                phone=phone, alt_phone=alt, now=when, actor=actor,
            )
            report.residents += 1
    for day in range(1, DEMO_DAYS + 1):
        for shift, entry in enumerate((DEMO_OPERATORS[0], DEMO_OPERATORS[1], DEMO_OPERATORS[2])):
            when = week_ago + timedelta(days=day, hours=shift * 4)
            if when > now:
                continue
            operators.sign_in(
                session, site_id=site_id, login=entry.login, secret=entry.pin, now=when
            )
    site = session.get(Site, site_id)
    assert site is not None
    before = audit.snapshot(site)
    site.is_demo = True
    site.name = DEMO_SITE_NAME
    session.add(site)
    session.flush()
    audit.record(
        session, now=now, actor=None, action="site.mark_demo", entity="site",
        entity_id=site_id, site_id=site_id, before=before, after=audit.snapshot(site),
    )
    return report
