"""Standing instructions of a unit: recorded with an expiry day, listed while active,
voided with a reason."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.services import instructions
from deskapp.services.acting import Acting
from deskapp.services.requests.views import unit_context
from tests.services.requests.test_requests_support import (  # noqa: F401 (fixtures)
    Homes,
    Staff,
    homes_fixture,
    staff_fixture,
)

TODAY = date(2026, 11, 23)  # the desk's local day in the fixtures


def _add(desk: Desk, staff: Staff, unit_id: int | None, kind: str, expires_on: date,
         text: str = "") -> int:
    with transaction(desk.engine) as session:
        made = instructions.add_instruction(
            session, acting=Acting(desk.site_id, staff.operator), unit_id=unit_id or 0, kind=kind,
            expires_on=expires_on, text=text, given_by="张伟", now=desk.clock.now())
        assert made.id is not None
        return made.id


def _active(desk: Desk, unit_id: int | None, days_later: int = 0) -> list[str]:
    with reading(desk.engine) as session:
        return [i.kind for i in instructions.active_instructions(
            session, acting=Acting(desk.site_id), unit_id=unit_id or 0,
            now=desk.clock.now() + timedelta(days=days_later))]


def test_an_instruction_holds_through_its_last_day(desk: Desk, staff: Staff, homes: Homes):
    _add(desk, staff, homes.a.id, "hold_parcels", TODAY + timedelta(days=2))
    _add(desk, staff, homes.a.id, "do_not_disclose", TODAY)
    assert _active(desk, homes.a.id) == ["do_not_disclose", "hold_parcels"]
    assert _active(desk, homes.a.id, days_later=1) == ["hold_parcels"]
    assert _active(desk, homes.a.id, days_later=2) == ["hold_parcels"]
    assert _active(desk, homes.a.id, days_later=3) == []
    assert _active(desk, homes.b.id) == []
    with reading(desk.engine) as session:
        context = unit_context(session, acting=Acting(desk.site_id), unit_id=homes.a.id or 0,
                               now=desk.clock.now())
    assert [i.kind for i in context.instructions] == ["do_not_disclose", "hold_parcels"]


def test_bad_instructions_are_refused(desk: Desk, staff: Staff, homes: Homes):
    for kind, expires, text, field in (
        ("permit_entry", TODAY - timedelta(days=1), "", "expires_on"),
        ("permit_entry", TODAY + timedelta(days=800), "", "expires_on"),
        ("walk_the_dog", TODAY, "", "kind"),
        ("other", TODAY, "", "text"),
        ("other", TODAY, "浇花🌸", "text"),
    ):
        with pytest.raises(InvalidInput) as refused:
            _add(desk, staff, homes.a.id, kind, expires, text)
        assert refused.value.field == field
    with pytest.raises(NotFound):
        _add(desk, staff, 99999, "permit_entry", TODAY)
    assert _active(desk, homes.a.id) == []


def test_void_with_a_reason(desk: Desk, staff: Staff, homes: Homes):
    made = _add(desk, staff, homes.a.id, "permit_entry", TODAY + timedelta(days=30),
                "允许维修人员入户，钥匙在前台")

    def void(reason: str) -> None:
        with transaction(desk.engine) as session:
            instructions.void_instruction(session, acting=Acting(desk.site_id, staff.operator),
                                          instruction_id=made,
                                          reason=reason, now=desk.clock.now())

    with pytest.raises(InvalidInput):
        void("")
    void("业主取消")
    assert _active(desk, homes.a.id) == []
    with pytest.raises(Conflict):
        void("again")
