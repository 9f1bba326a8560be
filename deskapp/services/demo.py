"""A believable demo site (演示数据): three buildings, a few hundred units and
residents, operators of every role, and a week of activity.

Everything goes through the ordinary services, so the demo is audited like
real work and exercises the same rules. The week is played day by day in the
desk's local time: the guard and the morning operator sign in, the directory
is entered from the paper forms through office hours, the afternoon operator
takes over, the supervisor signs in to review the day. The audit trail is
therefore in time order, as a real week's would be.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import func
from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.errors import Conflict
from deskapp.formatting import desk_zone, local_day_start
from deskapp.i18n import _
from deskapp.models import Operator, Relation, Role, Site, Unit
from deskapp.services import audit, codes, directory, operators
from deskapp.services.acting import Acting
from deskapp.services.custody import demo as custody_demo
from deskapp.services.handover import demo as handover_demo
from deskapp.services.release import demo as release_demo
from deskapp.services.requests import demo as requests_demo


@dataclass(frozen=True)
class DemoOperator:
    """A demo account; the PINs are public (the sign-in screen of a demo site shows them)."""

    login: str
    display_name: str
    role: Role
    pin: str


DEMO_OPERATORS: tuple[DemoOperator, ...] = (
    DemoOperator("wangfang", "王芳", Role.OPERATOR, "1111"),
    DemoOperator("liuyang", "刘洋", Role.OPERATOR, "2222"),
    DemoOperator("zhaomin", "赵敏", Role.SUPERVISOR, "3333"),
    DemoOperator("chenjie", "陈杰", Role.MANAGER, "4444"),
    DemoOperator("sunqiang", "孙强", Role.GUARD, "5555"),
)

def offered_sign_ins(session: Session, *, acting: Acting) -> list[DemoOperator]:
    """The demo sign-ins the sign-in screen may show: none off a demo site, and none
    of an operator disabled since (their PIN must not stay on the screen)."""
    site_id = acting.site_id
    site = session.get(Site, site_id)
    if site is None or not site.is_demo:
        return []
    active = {op.login for op in operators.list_operators(
        session, acting=acting, include_disabled=False)}
    return [entry for entry in DEMO_OPERATORS if entry.login in active]


DEMO_SITE_NAME = "锦绣花园物业服务中心"
DEMO_ZONE = "Asia/Shanghai"
DEMO_DAYS = 7
BUILDINGS = ("1", "2", "3")
ENTRANCES = ("1", "2")
FLOORS = range(1, 13)
ROOMS_PER_FLOOR = 4

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
# Given names of grown-ups and of children, and now and then one with a rarer character
# (喆 堃 犇 玥 are outside GB2312, 淼 昊 are uncommon), as real directories have them.
ADULT_GIVEN = (
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明",
    "超", "霞", "平", "刚", "桂英", "秀英", "桂兰", "志强", "建华", "建国", "国庆", "晓燕",
    "海燕", "雪梅", "丽娟", "春梅", "红霞", "玉兰", "文博",
)
CHILD_GIVEN = (
    "子涵", "浩然", "一诺", "雨桐", "思远", "梓萱", "欣怡", "宇轩", "俊杰", "诗涵", "子轩",
    "若曦", "梓睿", "嘉怡",
)
RARE_GIVEN = ("喆", "堃", "犇", "淼", "昊", "玥", "一喆", "昊天", "玥彤", "淼淼", "子堃", "文犇")
RARE_SHARE = 0.06
MOBILE_PREFIXES = ("13", "15", "18")

# Shares of the units: nobody listed yet (not handed over), let to a tenant.
EMPTY_SHARE = 0.05
RENTED_SHARE = 0.2
ALT_PHONE_SHARE = 0.15


@dataclass
class DemoReport:
    units: int = 0
    residents: int = 0
    operators: list[DemoOperator] = field(default_factory=list)
    requests: int = 0
    custody_steps: int = 0
    handovers: handover_demo.HandoverDemoReport = field(
        default_factory=handover_demo.HandoverDemoReport)
    slips: release_demo.ReleaseDemoReport = field(
        default_factory=release_demo.ReleaseDemoReport)


@dataclass(frozen=True)
class _Person:
    name: str
    relation: Relation
    phone: str
    alt_phone: str


def _mobile(rng: random.Random, used: set[str]) -> str:
    """An 11-digit mobile number (13x, 15x, 18x), unique within the demo."""
    while True:
        number = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(1_000_000_000):09d}"
        if number not in used:
            used.add(number)
            return number


def _given(rng: random.Random, pool: tuple[str, ...]) -> str:
    return rng.choice(RARE_GIVEN if rng.random() < RARE_SHARE else pool)


def _household(rng: random.Random, used_phones: set[str]) -> list[_Person]:
    """The people of one unit: an owner, perhaps a tenant, family members."""
    if rng.random() < EMPTY_SHARE:
        return []
    people: list[tuple[str, Relation, bool]] = []  # name, relation, has a phone
    family = rng.choice(SURNAMES)
    people.append((family + _given(rng, ADULT_GIVEN), Relation.OWNER, True))
    if rng.random() < RENTED_SHARE:
        tenant_family = rng.choice(SURNAMES)
        people.append((tenant_family + _given(rng, ADULT_GIVEN), Relation.TENANT, True))
        if rng.random() < 0.4:
            people.append((tenant_family + _given(rng, CHILD_GIVEN), Relation.HOUSEHOLD, False))
    else:
        if rng.random() < 0.6:  # the spouse keeps their own surname
            people.append((rng.choice(SURNAMES) + _given(rng, ADULT_GIVEN), Relation.HOUSEHOLD,
                           rng.random() < 0.7))
        for _child in range(rng.choice((0, 0, 1, 1, 2))):
            people.append((family + _given(rng, CHILD_GIVEN), Relation.HOUSEHOLD,
                           rng.random() < 0.2))
    result: list[_Person] = []
    seen: set[str] = set()
    for name, relation, reachable in people:
        if name in seen:
            continue  # the desk lists a name once per unit
        seen.add(name)
        phone = _mobile(rng, used_phones) if reachable else ""
        alt = _mobile(rng, used_phones) if phone and rng.random() < ALT_PHONE_SHARE else ""
        result.append(_Person(name, relation, phone, alt))
    return result


def _unit_codes() -> list[str]:
    return [
        f"{building}-{entrance}-{floor}{room:02d}"
        for building in BUILDINGS
        for entrance in ENTRANCES
        for floor in FLOORS
        for room in range(1, ROOMS_PER_FLOOR + 1)
    ]


def _ensure_empty(session: Session, site_id: int) -> None:
    operator_count = session.exec(
        select(func.count()).select_from(Operator).where(Operator.site_id == site_id)
    ).one()
    unit_count = session.exec(
        select(func.count()).select_from(Unit).where(Unit.site_id == site_id)
    ).one()
    if operator_count or unit_count:
        raise Conflict(
            _("The database already has data; demo data goes only into an empty database.")
        )


def seed_demo(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    rng_seed: int = 2026,
    zone: tzinfo | None = None,
    settings: Settings | None = None,
) -> DemoReport:
    """Seed an empty site with the week before ``now``; refused when it has operators or units.

    ``zone`` is the desk's time zone (default Asia/Shanghai): the week's work happens in
    its office hours. Everything is written in the caller's transaction.
    """
    site_id = acting.site_id
    if now.utcoffset() is None:
        raise ValueError("seed_demo needs a timezone-aware time")
    # The same seed gives the same tickets: a demo's codes are examples, not secrets.
    with codes.drawn_from(random.Random(rng_seed)):
        return _seed_demo(session, site_id=site_id, now=now, rng_seed=rng_seed, zone=zone,
                          settings=settings)


def _seed_demo(
    session: Session,
    *,
    site_id: int,
    now: datetime,
    rng_seed: int,
    zone: tzinfo | None,
    settings: Settings | None,
) -> DemoReport:
    _ensure_empty(session, site_id)
    zone = zone or desk_zone(DEMO_ZONE)
    rng = random.Random(rng_seed)
    report = DemoReport()
    today = local_day_start(now, zone)
    first_day = today - timedelta(days=DEMO_DAYS)

    def at(day: int, hours: float) -> datetime:
        # Wall-clock arithmetic in the desk's zone, stored as UTC.
        return (first_day + timedelta(days=day, hours=hours)).astimezone(UTC)

    staff: dict[str, Operator] = {}
    for entry in DEMO_OPERATORS:
        staff[entry.login] = operators.add_operator(
            session, acting=Acting(site_id), login=entry.login, display_name=entry.display_name,
            role=entry.role.value, secret=entry.pin, now=at(0, 7),
        )
        report.operators.append(entry)
    pins = {entry.login: entry.pin for entry in DEMO_OPERATORS}
    desk_staff = [e.login for e in DEMO_OPERATORS if e.role is Role.OPERATOR]
    supervisor = next(e.login for e in DEMO_OPERATORS if e.role is Role.SUPERVISOR)
    manager = next(e.login for e in DEMO_OPERATORS if e.role is Role.MANAGER)
    guard = next(e.login for e in DEMO_OPERATORS if e.role is Role.GUARD)

    codes = _unit_codes()
    used_phones: set[str] = set()
    for day in range(DEMO_DAYS):
        morning, afternoon = desk_staff[day % 2], desk_staff[(day + 1) % 2]
        # (hours after local midnight, 0 = sign-in / 1 = unit, sign-in name or unit code)
        events: list[tuple[float, int, str]] = [
            (7.75 + rng.random() / 6, 0, morning),
            (12.75 + rng.random() / 6, 0, afternoon),
            (17.5 + rng.random() / 3, 0, supervisor),
        ]
        if day % 3 == 0:
            events.append((7.5 + rng.random() / 6, 0, guard))
        if day in (0, 4):
            events.append((8.25 + rng.random() / 2, 0, manager))
        todays = codes[day * len(codes) // DEMO_DAYS : (day + 1) * len(codes) // DEMO_DAYS]
        # The directory is entered from the paper forms between 08:30 and 17:15.
        moments = sorted(8.5 + rng.random() * 8.75 for _code in todays)
        events += [(hours, 1, code) for hours, code in zip(moments, todays, strict=True)]
        on_duty = morning
        for hours, kind, what in sorted(events):
            when = at(day, hours).replace(microsecond=0)
            if kind == 0:
                operators.sign_in(
                    session, acting=Acting(site_id), login=what, secret=pins[what], now=when
                )
                if what in desk_staff:
                    on_duty = what
                continue
            actor = staff[on_duty]
            unit = directory.add_unit(session, acting=Acting(site_id, actor), code=what, now=when)
            report.units += 1
            for person in _household(rng, used_phones):
                directory.add_resident(
                    session, acting=Acting(site_id, actor), unit=unit, name=person.name,
                    relation=person.relation.value, phone=person.phone,
                    alt_phone=person.alt_phone, now=when,
                )
                report.residents += 1

    # The week's shifts: the duty log, and a handover wherever one desk operator hands
    # over to the other. Played before the ledgers' weeks, which a handover would
    # otherwise gather from the end of the week (see services/handover/demo.py); with a
    # random generator of its own, so the ledgers' weeks stay as they were.
    report.handovers = handover_demo.seed_handovers(
        session, acting=Acting(site_id), now=now, rng=random.Random(f"{rng_seed}:handovers"),
        operators=staff, pins=pins,
        settings=settings or replace(Settings(), timezone=str(zone)),
    )

    # Every ledger's week, played over the directory just built (their audit entries
    # follow the directory's, though their times fall inside the same week).
    units = list(
        session.exec(select(Unit).where(Unit.site_id == site_id).order_by(col(Unit.id))).all()
    )
    report.requests = requests_demo.seed_requests(
        session, acting=Acting(site_id), now=now, rng=rng, zone=zone, operators=staff, units=units,
        settings=settings,
    ).requests
    report.custody_steps = custody_demo.seed_custody(
        session, acting=Acting(site_id), now=now, rng=rng, zone=zone,
        operators=list(staff.values()),
        units=units, settings=settings,
    )
    # The release slips' week comes last: a moving-out slip notes what its unit still has
    # at the desk, as the other ledgers' weeks leave it; its own generator keeps theirs.
    report.slips = release_demo.seed_release(
        session, acting=Acting(site_id), now=now, rng=random.Random(f"{rng_seed}:release"),
        operators=staff, settings=settings or replace(Settings(), timezone=str(zone)),
    )

    site = session.get(Site, site_id)
    assert site is not None, "the desk opened this site"
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
