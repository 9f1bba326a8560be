"""Random days at the desk (a hypothesis state machine over the services), with the desk's
invariants checked after every step:

- nothing is handed out twice;
- no record lacks its audit entry;
- the audit chain verifies;
- no request waiting for its reply loses its deadline.

The steps are what a desk does all day, in any order: deposit an item, hand it out,
try to hand it out again, register a request, answer it, resolve it, void one. A
refusal (the service says no, with a reason) is a normal outcome of a step; a
traceback or a broken invariant is a failure.
"""

from __future__ import annotations

import itertools
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import func
from sqlmodel import col, select

from deskapp.db import reading, transaction
from deskapp.desk import Desk, open_desk
from deskapp.errors import DeskError
from deskapp.models import AuditEntry
from deskapp.models.custody import CustodyEvent, CustodyItem, EventKind
from deskapp.models.requests import RequestDeadline, ServiceRequest
from deskapp.services import audit
from deskapp.services.acting import Acting
from deskapp.services.custody import storage
from deskapp.services.custody.checks import Collector
from deskapp.services.requests import lifecycle
from tests.services.custody.test_custody import storage_form
from tests.support import make_staff, make_unit

TEXTS = st.sampled_from(["行李箱一个", "纸箱两个（易碎）", "'; DROP TABLE x; --", "雨伞"])


class DeskDay(RuleBasedStateMachine):
    held = Bundle("held")
    released = Bundle("released")
    open_requests = Bundle("open_requests")

    def __init__(self, desk: Desk, actor: Any) -> None:
        super().__init__()
        self.desk, self.actor = desk, actor
        self.refusals = 0

    def teardown(self) -> None:
        self.desk.engine.dispose()

    def _now(self) -> Any:
        return self.desk.clock.now()

    # --- custody ------------------------------------------------------------------

    @rule(target=held, description=TEXTS)
    def deposit(self, description: str) -> str:
        with transaction(self.desk.engine) as session:
            item = storage.deposit(session, acting=Acting(self.desk.site_id, self.actor),
                                   form=storage_form(description=description),
                                   now=self._now())
            return item.code or ""

    @rule(target=released, code=consumes(held))
    def collect(self, code: str) -> str:
        with transaction(self.desk.engine) as session:
            storage.collect(session, acting=Acting(self.desk.site_id, self.actor), code=code,
                            collector=Collector(name="王丽", relation="家属", id_checked=True,
                                                signed=True),
                            now=self._now())
        return code

    @rule(code=released)
    def collect_again(self, code: str) -> None:
        try:
            with transaction(self.desk.engine) as session:
                storage.collect(session, acting=Acting(self.desk.site_id, self.actor), code=code,
                                collector=Collector(name="李四", id_checked=True, signed=True),
                                now=self._now())
        except DeskError:
            self.refusals += 1
            return
        raise AssertionError(f"{code} was handed out a second time")

    # --- requests -----------------------------------------------------------------

    @rule(target=open_requests, kind=st.sampled_from(["complaint", "repair", "inquiry"]))
    def register(self, kind: str) -> int:
        with transaction(self.desk.engine) as session:
            created = lifecycle.create_request(
                session, acting=Acting(self.desk.site_id, self.actor), settings=self.desk.settings,
                now=self._now(), kind=kind, summary="楼道灯不亮",
                unit_code="3-2-1201")
            assert created.id is not None
            return created.id

    @rule(request_id=open_requests, step=st.sampled_from(["answer", "resolve", "void"]))
    def handle(self, request_id: int, step: str) -> None:
        try:
            with transaction(self.desk.engine) as session:
                if step == "answer":
                    lifecycle.answer_resident(session, acting=Acting(self.desk.site_id, self.actor),
                                              request_id=request_id, now=self._now(),
                                              text="已派工程部")
                elif step == "resolve":
                    lifecycle.resolve(session, acting=Acting(self.desk.site_id, self.actor),
                                      request_id=request_id, settings=self.desk.settings,
                                      now=self._now(), result="已修好")
                else:
                    lifecycle.void(session, acting=Acting(self.desk.site_id, self.actor),
                                   request_id=request_id,
                                   now=self._now(), reason="重复登记")
        except DeskError:
            self.refusals += 1  # not allowed in its state: refused, nothing written

    # --- invariants -----------------------------------------------------------------

    @invariant()
    def nothing_is_handed_out_twice(self) -> None:
        with reading(self.desk.engine) as session:
            twice = session.exec(
                select(CustodyEvent.item_id).where(CustodyEvent.kind == EventKind.RELEASED.value)
                .group_by(col(CustodyEvent.item_id)).having(func.count() > 1)).all()
        assert twice == []

    @invariant()
    def every_record_has_its_audit_entry(self) -> None:
        with reading(self.desk.engine) as session:
            audited = {(entity, entity_id) for entity, entity_id in session.exec(
                select(AuditEntry.entity, AuditEntry.entity_id))}
            items = session.exec(select(CustodyItem.id)).all()
            requests = session.exec(select(ServiceRequest.id)).all()
        assert all(("custody_item", str(item)) in audited for item in items)
        assert all(("request", str(request)) in audited for request in requests)

    @invariant()
    def the_chain_verifies(self) -> None:
        with reading(self.desk.engine) as session:
            result = audit.verify(session)
        assert result.ok, result.reason

    @invariant()
    def no_request_waiting_for_its_reply_loses_its_deadline(self) -> None:
        # Received (or reopened) and not answered: the reply deadline runs. A request
        # answered but not resolved has no deadline running today; whether one should
        # (domain.md: "followed until the resident is satisfied") is a question for
        # the desk, left open (issue 18's note), not asserted here.
        with reading(self.desk.engine) as session:
            open_ids = set(session.exec(select(ServiceRequest.id).where(
                col(ServiceRequest.is_open),
                col(ServiceRequest.status).in_(["received", "reopened"]))).all())
            running = set(session.exec(select(RequestDeadline.request_id).where(
                col(RequestDeadline.met_at).is_(None),
                col(RequestDeadline.cancelled_at).is_(None))).all())
        assert open_ids <= running


def test_random_days_at_the_desk_keep_its_invariants(
        desk: Desk, backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    from tests.conftest import _empty_pg

    days = itertools.count()

    def fresh_day() -> DeskDay:
        """Each example starts from an empty desk: a day never depends on the last."""
        if backend == "sqlite":
            folder = tmp_path / f"day-{next(days)}"
            folder.mkdir()
            shutil.copy(request.getfixturevalue("sqlite_template"), folder / "desk.db")
            settings_ = replace(desk.settings, data_dir=folder)
        else:
            _empty_pg(desk.settings.effective_database_url)
            settings_ = desk.settings
        day_desk = open_desk(settings_, clock=desk.clock)
        make_unit(day_desk, "3-2-1201")
        return DeskDay(day_desk, make_staff(day_desk).operator)

    run_state_machine_as_test(
        fresh_day,
        settings=settings(max_examples=12, stateful_step_count=12, deadline=None,
                          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                 HealthCheck.too_slow]))
