"""Fixtures and helpers shared by the tests of the requests ledger (no tests here)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import select

from deskapp.config import Settings
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models import AuditEntry, Operator
from deskapp.models.requests import ServiceRequest
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle
from tests.support import Homes, Staff, homes_fixture, staff_fixture

# The staff and homes live in tests/support.py with the other shared builders.
__all__ = ["Homes", "Staff", "audit_actions", "count", "homes_fixture", "load", "new_request",
           "settings_of", "staff_fixture"]


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
            session, acting=Acting(desk.site_id, actor), settings=settings or desk.settings,
            now=now or desk.clock.now(), **values,
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
