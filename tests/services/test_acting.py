"""Who may change what, and where (issue 18, point 3): one rule in ``acting``, checked
where every change is audited, so every ledger's services refuse the same way and a
refused change leaves nothing behind."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import AuthError
from deskapp.models import AuditEntry, Operator, Unit
from deskapp.models.requests import ServiceRequest
from deskapp.services import acting, directory, operators, sites
from deskapp.services.acting import Acting
from deskapp.services.custody import storage
from deskapp.services.requests import lifecycle
from tests.services.requests.test_requests_support import (  # noqa: F401 (fixtures)
    Homes,
    Staff,
    homes_fixture,
    new_request,
    staff_fixture,
)


def _entries(desk: Desk) -> int:
    with reading(desk.engine) as session:
        return int(session.exec(select(func.count()).select_from(AuditEntry)).one())


def _other_site(desk: Desk) -> int:
    with transaction(desk.engine) as session:
        site = sites.add_site(session, code="north", name="北区", now=desk.clock.now())
        assert site.id is not None
        return site.id


def test_an_operator_of_one_site_cannot_write_another_sites_records(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    north = _other_site(desk)
    before = _entries(desk)
    with pytest.raises(AuthError) as refused, transaction(desk.engine) as session:
        directory.add_unit(session, acting=Acting(north, staff.operator), code="9-9-909",
                           now=desk.clock.now())
    assert "works at another site" in refused.value.message
    assert staff.operator.display_name in refused.value.message
    with pytest.raises(AuthError), transaction(desk.engine) as session:
        lifecycle.create_request(session, acting=Acting(north, staff.operator),
                                 settings=desk.settings,
                                 now=desk.clock.now(), kind="inquiry",
                                 summary="问路", contact_name="路人", contact_phone="13800001111")
    # Nothing of either was written: no unit, no request, no audit entry.
    with reading(desk.engine) as session:
        assert session.exec(select(Unit).where(Unit.site_id == north)).all() == []
        assert session.exec(select(ServiceRequest)
                            .where(ServiceRequest.site_id == north)).all() == []
    assert _entries(desk) == before


def test_every_ledger_refuses_the_stranger_the_same_way(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    north = _other_site(desk)
    with transaction(desk.engine) as session:
        unit = directory.add_unit(session, acting=Acting(north), code="9-9-909",
                                  now=desk.clock.now())
    with pytest.raises(AuthError) as refused, transaction(desk.engine) as session:
        storage.deposit(session, acting=Acting(north, staff.operator), now=desk.clock.now(),
                        form=storage.StorageForm(depositor_name="王先生", description="行李箱",
                                                 shelf="A1", phone="13800002222",
                                                 unit=unit.code, depositor_confirmed=True))
    assert "works at another site" in refused.value.message


def test_a_disabled_operator_changes_nothing(desk: Desk, staff: Staff, homes: Homes) -> None:
    with transaction(desk.engine) as session:
        operators.disable_operator(session, acting=Acting(desk.site_id, staff.manager),
                                   login=staff.colleague.login, reason="调岗",
                                   now=desk.clock.now())
        gone = session.get(Operator, staff.colleague.id)
        assert gone is not None and not gone.active
        session.expunge(gone)
    with pytest.raises(AuthError) as refused:
        new_request(desk, gone, unit_id=homes.a.id)
    assert "is disabled" in refused.value.message


@pytest.mark.parametrize("role", ["operator", "supervisor", "guard"])
def test_only_a_manager_adds_or_disables_operators(desk: Desk, staff: Staff,
                                                   role: str) -> None:
    actor = {"operator": staff.operator, "supervisor": staff.supervisor,
             "guard": staff.guard}[role]
    with pytest.raises(AuthError) as refused, transaction(desk.engine) as session:
        operators.add_operator(session, acting=Acting(desk.site_id, actor), login="newbie",
                               display_name="新人", role="operator", secret="2468",
                               now=desk.clock.now())
    expected = "keeps the gate" if role == "guard" else "Only a manager"
    assert expected in refused.value.message
    with pytest.raises(AuthError), transaction(desk.engine) as session:
        operators.disable_operator(session, acting=Acting(desk.site_id, actor),
                                   login=staff.colleague.login, reason="调岗",
                                   now=desk.clock.now())
    with transaction(desk.engine) as session:
        added = operators.add_operator(session, acting=Acting(desk.site_id, staff.manager),
                                       login="newbie",
                                       display_name="新人", role="operator", secret="2468",
                                       now=desk.clock.now())
    assert added.active


def test_a_guard_changes_nothing_at_the_desk(desk: Desk, staff: Staff, homes: Homes) -> None:
    """A guard checks slips at the gate; a request, a deposit or a duty-log line in a
    guard's name is refused, whichever screen or command it came from, and leaves
    nothing behind. (The gate's own steps are the release tests'.)"""
    from deskapp.services.acting import Acting
    from deskapp.services.handover import dutylog

    before = _entries(desk)
    attempts = {
        "request": lambda session: lifecycle.create_request(
            session, acting=Acting(desk.site_id, staff.guard), settings=desk.settings,
            now=desk.clock.now(),
            kind="inquiry", summary="问路", contact_name="路人",
            contact_phone="13800001111"),
        "deposit": lambda session: storage.deposit(
            session, acting=Acting(desk.site_id, staff.guard), now=desk.clock.now(),
            form=storage.StorageForm(depositor_name="张伟", description="雨伞", shelf="A-3",
                                     phone="13812345678", unit=homes.a.code,
                                     depositor_confirmed=True)),
        "duty log": lambda session: dutylog.write_entry(
            session, acting=Acting(desk.site_id, staff.guard), now=desk.clock.now(),
            settings=desk.settings, text="巡查南门岗，正常"),
    }
    for what, attempt in attempts.items():
        with pytest.raises(AuthError) as refused, transaction(desk.engine) as session:
            attempt(session)
        assert "keeps the gate" in refused.value.message, what
        assert staff.guard.display_name in refused.value.message, what
    assert _entries(desk) == before
    assert acting.may(staff.guard, "release.tick")
    assert acting.may(staff.guard, "release.release")
    assert not acting.may(staff.guard, "storage.deposit")
    assert acting.may(staff.operator, "storage.deposit")


def test_a_step_that_must_be_signed_is_refused_with_nobody_signed_in(desk: Desk) -> None:
    from deskapp.services.handover import dutylog

    before = _entries(desk)
    with transaction(desk.engine) as session, pytest.raises(AuthError) as refused:
        dutylog.write_entry(session, acting=Acting(desk.site_id), now=desk.clock.now(),
                            settings=desk.settings, text="地下车库积水")
    assert refused.value.message == "Sign in first."
    assert refused.value.field == "operator"
    assert _entries(desk) == before
