"""Keys (钥匙): register, issue, loans with due times, contractors, sales, overdue keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.models import Operator
from deskapp.models.custody import KeyLoan, KeyRecord, KeyStatus
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from deskapp.services.custody import keys, lists
from deskapp.services.custody.keys import Borrower
from tests.services.custody.test_custody import Staff, counts, make_staff, make_unit

OWNER = Borrower(name="王建国", kind="owner", phone="13812345678", id_checked=True,
                 id_number="11010519491231002X", signed=True)
CONTRACTOR = Borrower(name="刘师傅", kind="contractor", company="美家装饰", phone="13900001234",
                      signed=True)


def _local(text: str) -> datetime:
    return datetime.fromisoformat(text + "+08:00").astimezone(UTC)


@pytest.fixture
def staff(desk: Desk) -> Staff:
    make_unit(desk)
    make_unit(desk, "3-2-1202")
    return make_staff(desk)


def _key(desk: Desk, staff: Staff, unit: str = "3-2-1201", label: str = "入户门") -> KeyRecord:
    with transaction(desk.engine) as session:
        return keys.register_key(session, acting=Acting(desk.site_id, staff.operator), unit=unit,
                                 label=label,
                                 place="钥匙柜 A-12", custodian="赵敏", pieces=2,
                                 now=desk.clock.now())


def _lend(desk: Desk, staff: Staff, key: KeyRecord, borrower: Borrower = CONTRACTOR, *,
          purpose: str = "装修水电改造", due_at: datetime | None = None,
          approved_by: Operator | None = None) -> KeyLoan:
    with transaction(desk.engine) as session:
        return keys.lend_key(session, acting=Acting(desk.site_id, staff.operator),
                             key_id=key.id or 0,
                             borrower=borrower, purpose=purpose, due_at=due_at,
                             now=desk.clock.now(),
                             settings=desk.settings, approved_by=approved_by)


def _loan_count(desk: Desk) -> int:
    with reading(desk.engine) as session:
        return int(session.exec(select(func.count()).select_from(KeyLoan)).one())


def test_register_gives_a_k_code_and_refuses_a_duplicate(desk: Desk, staff: Staff) -> None:
    key = _key(desk, staff)
    assert (key.code or "").startswith("K-") and key.status == KeyStatus.IN
    with reading(desk.engine) as session:
        assert lists.find_by_code(session, acting=Acting(desk.site_id), text=key.code or "") == (
            "key", key.id)
        assert keys.get_key_by_code(session, acting=Acting(desk.site_id), text=key.code or "").id \
            == key.id
    with pytest.raises(Conflict) as refused:
        _key(desk, staff)
    assert refused.value.field == "label"
    _key(desk, staff, label="信箱")
    with pytest.raises(NotFound):
        _key(desk, staff, unit="9-9-909")


def test_issue_to_the_owner_needs_identity_and_is_for_good(desk: Desk, staff: Staff) -> None:
    key = _key(desk, staff)
    with transaction(desk.engine) as session, pytest.raises(InvalidInput) as refused:
        keys.issue_key(session, acting=Acting(desk.site_id, staff.operator), key_id=key.id or 0,
                       owner=Borrower(name="王建国", signed=True), now=desk.clock.now())
    assert refused.value.field == "id_checked"
    with transaction(desk.engine) as session:
        loan = keys.issue_key(session, acting=Acting(desk.site_id, staff.operator),
                              key_id=key.id or 0, owner=OWNER,
                              now=desk.clock.now())
    assert loan.permanent and loan.id_number == "11010519491231002X"
    with pytest.raises(Conflict) as refused:
        _lend(desk, staff, key)
    assert "issued to the owner" in refused.value.message


def test_a_contractor_key_is_due_at_the_end_of_the_local_day(
    desk: Desk, staff: Staff
) -> None:
    key = _key(desk, staff)
    loan = _lend(desk, staff, key)
    assert loan.due_at == _local("2026-11-23T23:59:00")
    assert loan.borrower_company == "美家装饰"


@pytest.mark.parametrize(
    ("due", "allowed"),
    [("2026-11-23T23:59", True), ("2026-11-24T00:00", False), ("2026-11-24T00:01", False),
     ("2026-11-23T18:00", True)],
)
def test_a_contractor_may_not_keep_a_key_past_midnight(
    desk: Desk, staff: Staff, due: str, allowed: bool
) -> None:
    key = _key(desk, staff)
    if allowed:
        assert _lend(desk, staff, key, due_at=_local(due)).due_at == _local(due)
    else:
        with pytest.raises(InvalidInput) as refused:
            _lend(desk, staff, key, due_at=_local(due))
        assert refused.value.field == "due_at"
        assert _loan_count(desk) == 0


def test_the_end_of_the_day_follows_the_local_calendar(desk: Desk, clock: FixedClock) -> None:
    clock.advance(_local("2026-11-23T23:30") - clock.now())
    assert keys.end_of_local_day(clock.now(), desk.settings) == _local("2026-11-23T23:59")
    clock.advance(timedelta(minutes=30))  # 00:00 Tuesday: a new day
    assert keys.end_of_local_day(clock.now(), desk.settings) == _local("2026-11-24T23:59")


@pytest.mark.parametrize(
    ("borrower", "purpose", "due_at", "field"),
    [
        (Borrower(name="王建国", kind="owner", signed=True), "", "2026-11-24T10:00",
         "id_checked"),
        (CONTRACTOR, "", None, "purpose"),
        (Borrower(name="小李", kind="staff", signed=True), "查水表", None, "due_at"),
        (Borrower(name="小李", kind="staff", signed=True), "查水表", "2026-11-23T10:00",
         "due_at"),
        (Borrower(name="小李", kind="staff"), "查水表", "2026-11-23T12:00", "signed"),
        (Borrower(name="", kind="staff", signed=True), "查水表", "2026-11-23T12:00", "borrower"),
        (Borrower(name="小李", kind="alien", signed=True), "查水表", "2026-11-23T12:00",
         "borrower_kind"),
    ],
)
def test_bad_loans_are_refused_and_the_key_stays_in(
    desk: Desk, staff: Staff, borrower: Borrower, purpose: str, due_at: str | None, field: str
) -> None:
    key = _key(desk, staff)
    before = counts(desk)
    with pytest.raises(InvalidInput) as refused:
        _lend(desk, staff, key, borrower, purpose=purpose,
              due_at=_local(due_at) if due_at else None)
    assert refused.value.field == field
    assert counts(desk) == before and _loan_count(desk) == 0
    with reading(desk.engine) as session:
        assert keys.get_key(session, acting=Acting(desk.site_id),
                            key_id=key.id or 0).status == KeyStatus.IN


def test_an_owner_borrows_with_identity_and_a_due_time(desk: Desk, staff: Staff) -> None:
    key = _key(desk, staff)
    loan = _lend(desk, staff, key, OWNER, purpose="", due_at=_local("2026-11-25T18:00"))
    assert loan.borrower_kind == "owner" and not loan.permanent


def test_sales_staff_need_a_managers_approval(desk: Desk, staff: Staff) -> None:
    key = _key(desk, staff)
    sales = Borrower(name="周婷", kind="sales", company="链家", signed=True)
    due = _local("2026-11-23T17:00")
    for approver in (None, staff.operator, staff.supervisor):
        with pytest.raises(InvalidInput) as refused:
            _lend(desk, staff, key, sales, purpose="带客户看房", due_at=due,
                  approved_by=approver)
        assert refused.value.field == "approved_by"
    loan = _lend(desk, staff, key, sales, purpose="带客户看房", due_at=due,
                 approved_by=staff.manager)
    assert loan.approved_by_id == staff.manager.id


def test_a_key_already_out_cannot_be_lent_again(desk: Desk, staff: Staff) -> None:
    key = _key(desk, staff)
    _lend(desk, staff, key)
    before = counts(desk)
    with pytest.raises(Conflict) as refused:
        _lend(desk, staff, key, OWNER, due_at=_local("2026-11-24T10:00"))
    assert "already out with 刘师傅" in refused.value.message
    assert "23:59" in refused.value.message
    with transaction(desk.engine) as session, pytest.raises(Conflict):
        keys.issue_key(session, acting=Acting(desk.site_id, staff.operator), key_id=key.id or 0,
                       owner=OWNER,
                       now=desk.clock.now())
    assert counts(desk) == before and _loan_count(desk) == 1


def test_two_desks_lending_the_same_key_one_wins(desk: Desk, staff: Staff) -> None:
    key = _key(desk, staff)
    with reading(desk.engine) as session:
        stale = keys.get_key(session, acting=Acting(desk.site_id), key_id=key.id or 0)
    _lend(desk, staff, key)
    with transaction(desk.engine) as session, pytest.raises(Conflict) as refused:
        session.add(stale)
        assert stale.status == KeyStatus.IN  # the second desk still sees it in
        keys._take_out(session, stale, KeyStatus.OUT, desk.settings)
    assert "刘师傅" in refused.value.message


def test_return_closes_the_loan_and_a_second_return_is_refused(
    desk: Desk, staff: Staff, clock: FixedClock
) -> None:
    key = _key(desk, staff)
    _lend(desk, staff, key)
    clock.advance(timedelta(hours=5))
    with transaction(desk.engine) as session:
        loan = keys.return_key(session, acting=Acting(desk.site_id, staff.operator2),
                               key_id=key.id or 0,
                               now=clock.now(), returned_by="刘师傅徒弟")
    assert loan.returned_at == clock.now() and loan.returned_from == "刘师傅徒弟"
    with transaction(desk.engine) as session, pytest.raises(Conflict):
        keys.return_key(session, acting=Acting(desk.site_id, staff.operator2), key_id=key.id or 0,
                        now=clock.now())
    again = _lend(desk, staff, key)  # back in the cabinet: can go out again
    assert again.id != loan.id
    with reading(desk.engine) as session:
        kinds = [e.kind for e in keys.key_timeline(session, acting=Acting(desk.site_id),
                                                   key_id=key.id or 0)]
        assert kinds == ["key_registered", "key_lent", "key_returned", "key_lent"]
        assert len(keys.loans_of(session, acting=Acting(desk.site_id), key_id=key.id or 0)) == 2


def test_overdue_keys_are_listed_with_who_has_them(
    desk: Desk, staff: Staff, clock: FixedClock
) -> None:
    first = _key(desk, staff)
    second = _key(desk, staff, unit="3-2-1202")
    loan = _lend(desk, staff, first, due_at=_local("2026-11-23T18:00"))
    _lend(desk, staff, second, OWNER, due_at=_local("2026-11-26T18:00"))
    clock.advance(_local("2026-11-23T18:00") - clock.now())
    with reading(desk.engine) as session:
        assert keys.keys_out(session, acting=Acting(desk.site_id), now=clock.now(),
                             overdue_only=True).total == 0
        out = keys.keys_out(session, acting=Acting(desk.site_id), now=clock.now())
        assert [row.id for row in out.rows] == [first.id, second.id]
    clock.advance(timedelta(minutes=1))
    with reading(desk.engine) as session:
        overdue = keys.keys_out(session, acting=Acting(desk.site_id), now=clock.now(),
                                overdue_only=True)
    assert [row.borrower_name for row in overdue.rows] == ["刘师傅"]
    assert overdue.rows[0].borrower_phone == "139****1234" and overdue.rows[0].overdue
    assert overdue.rows[0].unit_code == "3-2-1201"
    with transaction(desk.engine) as session:
        keys.chase(session, acting=Acting(desk.site_id, staff.supervisor), loan_id=loan.id or 0,
                   note="电话联系刘师傅，答应明早归还", now=clock.now())
    with reading(desk.engine) as session:
        row = keys.keys_out(session, acting=Acting(desk.site_id), now=clock.now(),
                            overdue_only=True).rows[0]
    assert row.chase_count == 1 and row.chased_at == clock.now()


def test_register_list_shows_where_each_key_is(desk: Desk, staff: Staff) -> None:
    first = _key(desk, staff)
    second = _key(desk, staff, unit="3-2-1202")
    _lend(desk, staff, second)
    with reading(desk.engine) as session:
        page = keys.register(session, acting=Acting(desk.site_id), now=desk.clock.now())
        assert [(row.id, row.status, row.borrower_name) for row in page.rows] == [
            (first.id, "in", ""), (second.id, "out", "刘师傅"),
        ]
        only = keys.register(session, acting=Acting(desk.site_id), now=desk.clock.now(),
                             unit="3-2-1202")
        assert [row.id for row in only.rows] == [second.id] and only.total == 1


def test_retire_needs_a_reason_and_a_key_in_the_cabinet(desk: Desk, staff: Staff) -> None:
    key = _key(desk, staff)
    with transaction(desk.engine) as session, pytest.raises(InvalidInput):
        keys.retire_key(session, acting=Acting(desk.site_id, staff.supervisor), key_id=key.id or 0,
                        reason="",
                        now=desk.clock.now())
    with transaction(desk.engine) as session:
        retired = keys.retire_key(session, acting=Acting(desk.site_id, staff.supervisor),
                                  key_id=key.id or 0,
                                  reason="业主换锁", now=desk.clock.now())
    assert retired.status == KeyStatus.RETIRED
    with pytest.raises(Conflict):
        _lend(desk, staff, key)
    _key(desk, staff)  # the label is free again
