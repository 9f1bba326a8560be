"""The demo site: believable, every role, a week of activity, only into an empty database."""

from __future__ import annotations

import pytest
from sqlmodel import col, func, select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict
from deskapp.models import AuditEntry, Operator, Resident, Role, Site, Unit
from deskapp.services import audit, demo, operators


def _seed(desk: Desk) -> demo.DemoReport:
    with transaction(desk.engine) as session:
        return demo.seed_demo(session, site_id=desk.site_id, now=desk.clock.now())


def test_demo_seeds_a_few_hundred_units_with_chinese_residents(desk: Desk) -> None:
    report = _seed(desk)
    with reading(desk.engine) as session:
        units = session.exec(select(func.count()).select_from(Unit)).one()
        names = session.exec(select(Resident.name)).all()
    assert 200 <= units <= 500 and units == report.units
    assert len(names) == report.residents > units
    assert all("\u4e00" <= name[0] <= "\u9fff" for name in names)


def test_demo_has_every_role_and_each_operator_signs_in_with_its_pin(desk: Desk) -> None:
    _seed(desk)
    with reading(desk.engine) as session:
        roles = set(session.exec(select(Operator.role)).all())
    assert roles == {role.value for role in Role}
    for entry in demo.DEMO_OPERATORS:
        with transaction(desk.engine) as session:
            signed = operators.sign_in(
                session, site_id=desk.site_id, login=entry.login, secret=entry.pin,
                now=desk.clock.now(),
            )
        assert signed.display_name == entry.display_name


def test_demo_marks_the_site_and_leaves_a_verified_week_of_audit(desk: Desk) -> None:
    _seed(desk)
    with reading(desk.engine) as session:
        site = session.get(Site, desk.site_id)
        assert site is not None and site.is_demo
        assert audit.verify(session).ok
        moments = session.exec(
            select(AuditEntry.at).where(col(AuditEntry.action) != "site.create")
        ).all()
    days = {moment.date() for moment in moments}
    assert len(days) >= 7


def test_demo_is_refused_on_a_database_with_data_and_writes_nothing(desk: Desk) -> None:
    _seed(desk)
    with reading(desk.engine) as session:
        before = session.exec(select(func.count()).select_from(AuditEntry)).one()
    with pytest.raises(Conflict):
        _seed(desk)
    with reading(desk.engine) as session:
        assert session.exec(select(func.count()).select_from(AuditEntry)).one() == before


def test_demo_is_the_same_for_the_same_seed_and_phones_are_unique(desk: Desk) -> None:
    from deskapp.services import sites

    _seed(desk)
    with transaction(desk.engine) as session:
        other = sites.ensure_site(session, code="other", name="Other", now=desk.clock.now())
        other_id = other.id
    with transaction(desk.engine) as session:
        demo.seed_demo(session, site_id=other_id, now=desk.clock.now())  # type: ignore[arg-type]

    def people(site_id: int) -> list[tuple[str, str]]:
        with reading(desk.engine) as session:
            rows = session.exec(
                select(Resident.name, Resident.phone)
                .where(Resident.site_id == site_id)
                .order_by(col(Resident.id))
            ).all()
        return [(name, phone) for name, phone in rows]

    first, second = people(desk.site_id), people(other_id)  # type: ignore[arg-type]
    assert first == second
    phones = [phone for _name, phone in first if phone]
    assert len(set(phones)) == len(phones)
