"""Rules the screens ask the services about instead of deciding them: who can take a
request over, which severities alarm, what storage takes only by exception, when a
ticket exists, what a pick in the unit picker suggests."""

from __future__ import annotations

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput
from deskapp.models.custody import StorageCategory
from deskapp.models.requests import Severity
from deskapp.services.acting import Acting
from deskapp.services.custody import storage
from deskapp.services.custody.checks import Collector
from deskapp.services.requests import lifecycle, rules
from tests.services.requests.test_requests_support import new_request
from tests.support import Homes, Staff, homes_fixture, staff_fixture  # noqa: F401 (fixtures)


def test_a_request_is_handed_only_to_other_desk_staff(desk: Desk, staff: Staff,
                                                      homes: Homes) -> None:
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    with reading(desk.engine) as session:
        candidates = lifecycle.handover_candidates(session, acting=Acting(desk.site_id),
                                                   request_id=request.id or 0)
    logins = {person.login for person in candidates}
    assert staff.guard.login not in logins and staff.operator.login not in logins
    assert {staff.colleague.login, staff.supervisor.login, staff.manager.login} <= logins
    with transaction(desk.engine) as session, pytest.raises(InvalidInput) as refused:
        lifecycle.hand_over(session, acting=Acting(desk.site_id, staff.operator),
                            request_id=request.id or 0,
                            now=desk.clock.now(),
                            to_operator_id=staff.guard.id or 0, reason="换班")
    assert refused.value.field == "owner"


def test_hot_and_major_alarm_general_and_important_do_not() -> None:
    assert [rules.is_alarming(value) for value in Severity] == [False, False, True, True]
    assert rules.is_alarming("major") and not rules.is_alarming("")


def test_only_an_ordinary_item_is_stored_without_a_supervisor() -> None:
    assert [storage.needs_exception(category) for category in StorageCategory] == [
        category != StorageCategory.ORDINARY for category in StorageCategory]
    assert not storage.needs_exception("ordinary")


def _deposit(desk: Desk, staff: Staff, homes: Homes) -> int:
    form = storage.StorageForm(depositor_name="张伟", description="一箱书", shelf="A-3",
                               phone="13812345678", unit=homes.a.code,
                               depositor_confirmed=True)
    with transaction(desk.engine) as session:
        item = storage.deposit(session, acting=Acting(desk.site_id, staff.operator), form=form,
                               now=desk.clock.now())
    assert item.id is not None
    return item.id


def test_a_ticket_exists_only_while_the_item_is_held(desk: Desk, staff: Staff,
                                                     homes: Homes) -> None:
    item_id = _deposit(desk, staff, homes)
    with reading(desk.engine) as session:
        item, unit_code = storage.ticket_item(session, acting=Acting(desk.site_id), item_id=item_id)
        assert storage.has_ticket(item) and unit_code == homes.a.code
        assert storage.to_collect(session, acting=Acting(desk.site_id),
                                  code=item.code or "").id == item_id
    with transaction(desk.engine) as session:
        storage.collect(session, acting=Acting(desk.site_id, staff.operator), code=item.code or "",
                        collector=Collector(name="张伟", id_checked=True, signed=True),
                        now=desk.clock.now(), settings=desk.settings)
    with reading(desk.engine) as session:
        with pytest.raises(InvalidInput, match="no ticket to print"):
            storage.ticket_item(session, acting=Acting(desk.site_id), item_id=item_id)
        with pytest.raises(Conflict):
            storage.to_collect(session, acting=Acting(desk.site_id), code=item.code or "")
        with pytest.raises(InvalidInput) as typo:
            storage.to_collect(session, acting=Acting(desk.site_id), code="S-0000-0")
    assert typo.value.field == "code"


def test_a_pick_suggests_the_person_or_the_only_resident(desk: Desk, staff: Staff,
                                                         homes: Homes) -> None:
    with reading(desk.engine) as session:
        def pick(unit_id: int | None, resident_id: int | None = None) -> storage.Depositor:
            return storage.depositor_from_pick(session, acting=Acting(desk.site_id),
                                               unit_id=unit_id or 0, resident_id=resident_id)

        picked = pick(homes.a.id, homes.li.id)
        only = pick(homes.b.id)
        several = pick(homes.a.id)
        nobody = pick(homes.empty.id)
    assert (picked.name, picked.overwrite) == ("李娜", True)
    assert (only.name, only.overwrite, only.others) == ("王芳", False, ())
    assert several.name == "" and set(several.others) == {"张伟", "李娜"}
    assert nobody == storage.Depositor()
