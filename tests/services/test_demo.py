"""The demo site: believable, every role, a week of activity, only into an empty database.

``demo_desk`` is the demo as ``_seed(desk)`` leaves it (seed 2026, at the desk's morning),
seeded once per worker and copied for each test (tests/support.py); ``demo_report`` is
what that seeding reported.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import col, func, select

from deskapp import i18n
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict
from deskapp.models import AuditEntry, Operator, Relation, Resident, Role, Site, Unit
from deskapp.services import audit, demo, directory, operators, sites
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc

SHANGHAI = ZoneInfo("Asia/Shanghai")
CJK = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
MOBILE = re.compile(r"^1[358][0-9]{9}$")


def _seed(desk: Desk, *, site_id: int | None = None, now: datetime | None = None,
          rng_seed: int = 2026) -> demo.DemoReport:
    with transaction(desk.engine) as session:
        return demo.seed_demo(
            session, acting=Acting(site_id or desk.site_id), now=now or desk.clock.now(),
            rng_seed=rng_seed,
        )


def _other_site(desk: Desk, code: str) -> int:
    with transaction(desk.engine) as session:
        site = sites.ensure_site(session, code=code, name=code, now=desk.clock.now())
        assert site.id is not None
        return site.id


def _residents(desk: Desk, site_id: int) -> list[Resident]:
    with reading(desk.engine) as session:
        return list(
            session.exec(
                select(Resident).where(Resident.site_id == site_id).order_by(col(Resident.id))
            ).all()
        )


def _unit_codes(desk: Desk, site_id: int) -> list[str]:
    with reading(desk.engine) as session:
        return list(
            session.exec(
                select(Unit.code).where(Unit.site_id == site_id).order_by(col(Unit.id))
            ).all()
        )


def test_demo_operators_cover_every_role_with_distinct_pins() -> None:
    entries = demo.DEMO_OPERATORS
    roles = Counter(entry.role for entry in entries)
    assert set(roles) == set(Role)
    assert roles[Role.OPERATOR] >= 2
    assert all(re.fullmatch(r"[0-9]{4,6}", entry.pin) for entry in entries)
    assert len({entry.pin for entry in entries}) == len(entries)
    assert len({entry.login for entry in entries}) == len(entries)
    assert all(CJK.match(entry.display_name) for entry in entries)


def test_demo_seeds_a_few_hundred_units_with_chinese_residents(
    demo_desk: Desk, demo_report: demo.DemoReport
) -> None:
    desk, report = demo_desk, demo_report
    codes = _unit_codes(desk, desk.site_id)
    people = _residents(desk, desk.site_id)
    assert 200 <= len(codes) <= 500 and len(codes) == report.units
    assert len(people) == report.residents > len(codes)
    assert {code.split("-")[0] for code in codes} == {"1", "2", "3"}
    assert {tuple(code.split("-")[:2]) for code in codes} == {
        (building, entrance) for building in "123" for entrance in "12"
    }
    assert "3-2-1201" in codes
    assert all(directory.UNIT_PATTERN.match(code) for code in codes)
    assert all(CJK.match(person.name) for person in people)
    assert all(person.name[0] in demo.SURNAMES for person in people)
    names = "".join(person.name for person in people)
    assert all(rare in names for rare in "喆堃犇淼昊玥")


def test_demo_residents_have_owners_relations_and_mobile_phones(
    demo_desk: Desk, demo_report: demo.DemoReport
) -> None:
    desk, report = demo_desk, demo_report
    people = _residents(desk, desk.site_id)
    relations = Counter(person.relation for person in people)
    assert set(relations) == {relation.value for relation in Relation}
    units_with_owner = {p.unit_id for p in people if p.relation == Relation.OWNER}
    assert len(units_with_owner) >= 0.8 * report.units
    phones = [p.phone for p in people if p.phone] + [p.alt_phone for p in people if p.alt_phone]
    assert all(MOBILE.match(phone) for phone in phones)
    assert len(set(phones)) == len(phones)
    assert sum(1 for p in people if p.alt_phone) >= 10
    assert all(p.phone for p in people if p.alt_phone)
    assert all(p.phone_tail == p.phone[-4:] for p in people)


def test_demo_has_every_role_and_each_operator_signs_in_with_its_pin(
    demo_desk: Desk, demo_report: demo.DemoReport
) -> None:
    desk, report = demo_desk, demo_report
    assert report.operators == list(demo.DEMO_OPERATORS)
    with reading(desk.engine) as session:
        roles = set(session.exec(select(Operator.role)).all())
    assert roles == {role.value for role in Role}
    for entry in demo.DEMO_OPERATORS:
        with transaction(desk.engine) as session:
            signed = operators.sign_in(
                session, acting=Acting(desk.site_id), login=entry.login, secret=entry.pin,
                now=desk.clock.now(),
            )
        assert signed.display_name == entry.display_name
        assert signed.role == entry.role.value


def test_demo_marks_the_site_and_leaves_a_verified_week_of_audit(demo_desk: Desk) -> None:
    desk = demo_desk
    now = desk.clock.now()
    with reading(desk.engine) as session:
        site = session.get(Site, desk.site_id)
        assert site is not None and site.is_demo
        assert audit.verify(session).ok
        entries = session.exec(
            select(AuditEntry).where(col(AuditEntry.seq) > 1).order_by(col(AuditEntry.seq))
        ).all()
    assert entries[0].action == "operator.add" and entries[-1].action == "site.mark_demo"
    moments = [as_utc(entry.at) for entry in entries]
    assert len({moment.date() for moment in moments}) >= 7
    # The directory's week is written in time order; the ledgers' weeks are played after it
    # (a PIN confirming a step, as the handovers' signatures, is part of its ledger's week).
    def directory_work(entry: AuditEntry) -> bool:
        return entry.entity in {"operator", "unit", "resident"} and \
            entry.action != "operator.confirm"

    directory_moments = [
        moment for entry, moment in zip(entries, moments, strict=True) if directory_work(entry)
    ]
    assert directory_moments == sorted(directory_moments), "the week is written in time order"
    assert all(moment <= now for moment in moments)
    ledger_actions = {entry.action.split(".")[0] for entry in entries}
    assert {"request", "storage", "parcel"} <= ledger_actions, ledger_actions
    # Each of the 7 days before today (desk time) has sign-ins and residents registered,
    # all within the desk's working day.
    today = now.astimezone(SHANGHAI).date()
    week = {today - timedelta(days=back) for back in range(1, 8)}
    by_day: dict[object, Counter[str]] = {}
    for entry, moment in zip(entries[:-1], moments[:-1], strict=True):
        if not directory_work(entry):
            continue  # the desk is staffed in shifts beyond office hours
        local = moment.astimezone(SHANGHAI)
        assert 7 <= local.hour < 19, (entry.action, local)
        by_day.setdefault(local.date(), Counter())[entry.action] += 1
    assert week <= set(by_day)
    for day in week:
        assert by_day[day]["operator.sign_in"] >= 2
        assert by_day[day]["resident.add"] >= 10
    signed_in = {entry.actor for entry in entries if entry.action == "operator.sign_in"}
    assert signed_in == {entry.login for entry in demo.DEMO_OPERATORS}


def test_demo_is_refused_on_a_database_with_data_and_writes_nothing(demo_desk: Desk) -> None:
    desk = demo_desk
    with reading(desk.engine) as session:
        before = session.exec(select(func.count()).select_from(AuditEntry)).one()
    with pytest.raises(Conflict):
        _seed(desk)
    with reading(desk.engine) as session:
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == before


def test_demo_is_refused_when_the_site_has_only_an_operator(desk: Desk) -> None:
    with transaction(desk.engine) as session:
        operators.add_operator(
            session, acting=Acting(desk.site_id), login="boss", display_name="老板", role="manager",
            secret="9876", now=desk.clock.now(),
        )
    i18n.set_language("zh_CN")
    with pytest.raises(Conflict) as refused:
        _seed(desk)
    assert "演示数据" in refused.value.message
    with reading(desk.engine) as session:
        assert session.exec(select(func.count()).select_from(Unit)).one() == 0
        site = session.get(Site, desk.site_id)
        assert site is not None and not site.is_demo


def test_demo_is_the_same_for_the_same_seed_whatever_the_zone_of_now(demo_desk: Desk) -> None:
    desk = demo_desk  # seeded with the same seed at desk.clock.now(), given in UTC
    other_id = _other_site(desk, "other")
    # The same instant, given in Beijing time: the same demo, at the same stored times.
    _seed(desk, site_id=other_id, now=desk.clock.now().astimezone(SHANGHAI))

    def people(site_id: int) -> list[tuple[str, str, str, str, datetime]]:
        return [
            (p.name, p.relation, p.phone, p.alt_phone, as_utc(p.created_at))
            for p in _residents(desk, site_id)
        ]

    assert people(desk.site_id) == people(other_id)
    assert _unit_codes(desk, desk.site_id) == _unit_codes(desk, other_id)

    def found(site_id: int, query: str) -> list[tuple[str, str, str]]:
        with reading(desk.engine) as session:
            hits = directory.lookup(session, acting=Acting(site_id), query=query)
        return [(hit.unit_code, hit.name, hit.masked_phone) for hit in hits]

    for query in ("王", "3-2-12", "1-1-101", "张"):
        assert found(desk.site_id, query) == found(other_id, query)
        assert found(desk.site_id, query)


def test_demo_differs_with_another_seed(demo_desk: Desk) -> None:
    desk = demo_desk  # seeded with rng_seed=2026
    other_id = _other_site(desk, "other")
    _seed(desk, site_id=other_id, rng_seed=7)
    assert _unit_codes(desk, desk.site_id) == _unit_codes(desk, other_id)
    names = [p.name for p in _residents(desk, desk.site_id)]
    assert names != [p.name for p in _residents(desk, other_id)]


def test_the_sign_in_screen_stops_offering_a_demo_login_once_it_is_disabled(
    demo_desk: Desk,
) -> None:
    with reading(demo_desk.engine) as session:
        offered = [entry.login for entry in demo.offered_sign_ins(
            session, acting=Acting(demo_desk.site_id))]
    assert offered == [entry.login for entry in demo.DEMO_OPERATORS]
    with transaction(demo_desk.engine) as session:
        manager = operators.get_operator(session, acting=Acting(demo_desk.site_id), login="chenjie")
        operators.disable_operator(session, acting=Acting(demo_desk.site_id, manager),
                                   login="liuyang",
                                   reason="left", now=demo_desk.clock.now())
    with reading(demo_desk.engine) as session:
        offered = [entry.login for entry in demo.offered_sign_ins(
            session, acting=Acting(demo_desk.site_id))]
    assert "liuyang" not in offered and "wangfang" in offered


def test_a_site_that_is_not_a_demo_offers_no_sign_in(desk: Desk) -> None:
    with reading(desk.engine) as session:
        assert demo.offered_sign_ins(session, acting=Acting(desk.site_id)) == []
