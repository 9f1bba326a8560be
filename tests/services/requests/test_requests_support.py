"""Fixtures and helpers shared by the tests of the requests ledger (no tests here)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import func
from sqlmodel import select

from deskapp.config import Settings
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models import AuditEntry, Operator, Resident, Unit
from deskapp.models.requests import ServiceRequest
from deskapp.services import directory, operators
from deskapp.services.requests import lifecycle


@dataclass
class Staff:
    operator: Operator
    colleague: Operator
    supervisor: Operator
    manager: Operator
    guard: Operator


@dataclass
class Homes:
    """Units with residents: 3-2-1201 (张伟 13812345678, 李娜), 3-2-1202 (王芳), 1-1-101 (赵强),
    2-1-301 (陈杰), 2-1-302 (no one)."""

    a: Unit
    b: Unit
    c: Unit
    d: Unit
    empty: Unit
    zhang: Resident
    li: Resident
    wang: Resident
    zhao: Resident
    chen: Resident


@pytest.fixture(name="staff")
def staff_fixture(desk: Desk) -> Staff:
    now = desk.clock.now()
    made = {}
    with transaction(desk.engine) as session:
        for login, name, role in (
            ("wangfang", "王芳", "operator"), ("liuyang", "刘洋", "operator"),
            ("zhaomin", "赵敏", "supervisor"), ("chenjie", "陈杰", "manager"),
            ("sunqiang", "孙强", "guard"),
        ):
            made[login] = operators.add_operator(
                session, site_id=desk.site_id, login=login, display_name=name, role=role,
                secret="1234", now=now, actor=None,
            )
    return Staff(made["wangfang"], made["liuyang"], made["zhaomin"], made["chenjie"],
                 made["sunqiang"])


@pytest.fixture(name="homes")
def homes_fixture(desk: Desk) -> Homes:
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        def unit(code: str) -> Unit:
            return directory.add_unit(session, site_id=desk.site_id, code=code, now=now,
                                      actor=None)

        def person(u: Unit, name: str, phone: str) -> Resident:
            return directory.add_resident(session, site_id=desk.site_id, unit=u, name=name,
                                          relation="owner", phone=phone, now=now, actor=None)

        a, b, c, d, empty = (unit(code) for code in
                             ("3-2-1201", "3-2-1202", "1-1-101", "2-1-301", "2-1-302"))
        return Homes(a, b, c, d, empty,
                     person(a, "张伟", "13812345678"), person(a, "李娜", "13900001111"),
                     person(b, "王芳", "13700002222"), person(c, "赵强", "15000003333"),
                     person(d, "陈杰", "18600004444"))


def settings_of(desk: Desk, **changes: Any) -> Settings:
    return replace(desk.settings, **changes)


def new_request(
    desk: Desk, actor: Operator, *, now: datetime | None = None,
    settings: Settings | None = None, **fields: Any,
) -> ServiceRequest:
    values: dict[str, Any] = {"kind": "complaint", "summary": "卫生间漏水，楼上渗水"}
    values.update(fields)
    with transaction(desk.engine) as session:
        return lifecycle.create_request(
            session, site_id=desk.site_id, settings=settings or desk.settings,
            now=now or desk.clock.now(), actor=actor, **values,
        )


def load(desk: Desk, request_id: int | None) -> ServiceRequest:
    assert request_id is not None
    with reading(desk.engine) as session:
        found = session.get(ServiceRequest, request_id)
        assert found is not None
        return found


def count(desk: Desk, model: Any) -> int:
    with reading(desk.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def audit_actions(desk: Desk, prefix: str = "request.") -> list[str]:
    with reading(desk.engine) as session:
        return [entry.action for entry in session.exec(
            select(AuditEntry).order_by(AuditEntry.seq)  # type: ignore[arg-type]
        ).all() if entry.action.startswith(prefix)]
