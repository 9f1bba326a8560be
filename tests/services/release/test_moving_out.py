"""Moving out: what the unit still has at the desk is settled or noted before the slip."""

from __future__ import annotations

import pytest

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import InvalidInput
from deskapp.services.acting import Acting
from deskapp.services.custody import keys, storage
from deskapp.services.custody.keys import Borrower
from deskapp.services.release import moving_out, slips
from tests.services.release.test_slips import confirm, create, form, issue, local
from tests.support import Homes, Staff, homes_fixture, staff_fixture  # noqa: F401

MOVE = dict(reason="moving_out", planned_at=local("2026-11-27T10:00"))  # Mon → Fri: 4 days


def test_the_unit_s_keys_out_and_stored_items_are_settled_or_noted_before_the_issue(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        key = keys.register_key(session, acting=Acting(desk.site_id, staff.operator),
                                unit="3-2-1201", label="入户门",
                                place="钥匙柜 A-12", custodian="赵敏", now=now)
        keys.lend_key(session, acting=Acting(desk.site_id, staff.operator), key_id=key.id or 0,
                      borrower=Borrower(name="刘师傅", kind="contractor", company="美家装饰",
                                        phone="13900001234", signed=True),
                      purpose="拆除", due_at=None, now=now,
                      settings=desk.settings)
        stored = storage.deposit(session, acting=Acting(desk.site_id, staff.operator), now=now,
                                 form=storage.StorageForm(
                                     depositor_name="张伟", description="一箱书", shelf="A-1",
                                     phone="13812345678", unit="3-2-1201",
                                     depositor_confirmed=True))
        storage.deposit(session, acting=Acting(desk.site_id, staff.operator), now=now,
                        form=storage.StorageForm(depositor_name="王芳", description="雨伞",
                                                 shelf="A-2", phone="13700002222",
                                                 unit="3-2-1202", depositor_confirmed=True))
    slip = create(desk, staff, form(**MOVE))  # type: ignore[arg-type]
    confirm(desk, staff, slip, homes)
    with transaction(desk.engine) as session:
        slips.record_fees_settled(session, acting=Acting(desk.site_id, staff.operator),
                                  slip_id=slip.id or 0,
                                  confirmed_by="财务 黄丽", now=now)
    with reading(desk.engine) as session:
        left = moving_out.outstanding(session, acting=Acting(desk.site_id), unit_id=homes.a.id or 0,
                                      now=now, slip_id=slip.id)
    assert [(item.kind, item.reference, item.settled) for item in left] == [
        ("key", key.code, None), ("stored", stored.code, None)]  # not the other unit's umbrella
    with pytest.raises(InvalidInput, match="still has 2 things at the desk") as refused:
        issue(desk, staff, slip)
    assert refused.value.field == "settlement"
    with transaction(desk.engine) as session:
        with pytest.raises(InvalidInput) as refused:
            moving_out.record_settlement(session, acting=Acting(desk.site_id, staff.operator),
                                         slip_id=slip.id or 0,
                                         kind="key", record_id=key.id or 0, settled=False,
                                         note="", now=now)
        assert refused.value.field == "settlement_note"
        moving_out.record_settlement(session, acting=Acting(desk.site_id, staff.operator),
                                     slip_id=slip.id or 0,
                                     kind="key", record_id=key.id or 0, settled=False,
                                     note="施工方明天归还，已告知业主", now=now)
        moving_out.record_settlement(session, acting=Acting(desk.site_id, staff.operator),
                                     slip_id=slip.id or 0,
                                     kind="stored", record_id=stored.id or 0, settled=True,
                                     note="", now=now)
    assert issue(desk, staff, slip).status == "issued"
    with reading(desk.engine) as session:
        answered = moving_out.outstanding(session, acting=Acting(desk.site_id),
                                          unit_id=homes.a.id or 0, now=now, slip_id=slip.id)
    assert [(item.kind, item.settled, item.note) for item in answered] == [
        ("key", False, "施工方明天归还，已告知业主"), ("stored", True, "")]


def test_an_empty_unit_has_nothing_to_settle(desk: Desk, staff: Staff, homes: Homes) -> None:
    with reading(desk.engine) as session:
        assert moving_out.outstanding(session, acting=Acting(desk.site_id),
                                      unit_id=homes.empty.id or 0, now=desk.clock.now()) == []
