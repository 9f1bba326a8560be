"""The custody engine: one life for every item, nothing handed out twice.

The helpers at the top (``deposit``, ``storage_form``, ``SIGNED``; and ``make_staff``,
``make_unit``, ``counts`` from tests/support.py) are shared by the tests of the four ledgers.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.models import AuditEntry
from deskapp.models.custody import CustodyItem, ItemStatus, Ledger
from deskapp.services import audit, codes, dashboard, directory
from deskapp.services.acting import Acting
from deskapp.services.custody import checks, core, lists, storage
from deskapp.services.custody.checks import Collector
from tests.support import Staff, counts, make_staff, make_unit

__all__ = ["SIGNED", "Staff", "counts", "deposit", "make_staff", "make_unit", "storage_form"]


def storage_form(**changes: object) -> storage.StorageForm:
    values: dict[str, object] = {
        "depositor_name": "王建国", "description": "行李箱一个（黑色）", "shelf": "A-3",
        "phone": "13812345678", "unit": "3-2-1201", "depositor_confirmed": True,
    }
    values.update(changes)
    return storage.StorageForm(**values)  # type: ignore[arg-type]


def deposit(desk: Desk, staff: Staff, **changes: object) -> CustodyItem:
    with transaction(desk.engine) as session:
        return storage.deposit(session, acting=Acting(desk.site_id, staff.operator),
                               form=storage_form(**changes),
                               now=desk.clock.now())


SIGNED = Collector(name="王丽", relation="家属", id_checked=True, signed=True)


@pytest.fixture
def staff(desk: Desk) -> Staff:
    make_unit(desk)
    return make_staff(desk)


# --- the life of an item ----------------------------------------------------------------


def test_received_item_has_a_code_an_event_and_an_audit_entry(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff)
    assert item.code is not None and codes.check_code(item.code).prefix == "S"
    with reading(desk.engine) as session:
        events = core.timeline(session, acting=Acting(desk.site_id), item_id=item.id or 0)
        assert [event.kind for event in events] == ["received"]
        entry = audit.recent(session, acting=Acting(desk.site_id), limit=1)[0]
        assert entry.action == "storage.deposit"
        assert "13812345678" not in entry.after  # phone masked in the trail
        assert audit.describe_action("storage.deposit") == "Item left for storage"


def test_find_by_code_for_every_ledger_kind(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff)
    with reading(desk.engine) as session:
        assert lists.find_by_code(session, acting=Acting(desk.site_id), text=item.code or "") == (
            "storage", item.id,
        )
        lower = (item.code or "").replace("-", "").lower()
        assert lists.find_by_code(session, acting=Acting(desk.site_id), text=lower)[1] == item.id
        with pytest.raises(NotFound):
            lists.find_by_code(session, acting=Acting(desk.site_id), text=codes.make_code("P", 999))
        with pytest.raises(NotFound):
            lists.find_by_code(session, acting=Acting(desk.site_id), text=codes.make_code("R", 1))


def test_find_by_code_refuses_a_typo_with_the_reason(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff)
    code = item.code or ""
    typo = code[:-1] + ("0" if code[-1] != "0" else "1")
    with reading(desk.engine) as session, pytest.raises(InvalidInput) as refused:
        lists.find_by_code(session, acting=Acting(desk.site_id), text=typo)
    assert refused.value.field == "code"
    assert "check character" in refused.value.message


def test_codes_are_per_site(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff)
    with reading(desk.engine) as session, pytest.raises(NotFound):
        lists.find_by_code(session, acting=Acting(desk.site_id + 1000), text=item.code or "")


def test_move_void_and_note_are_on_the_timeline(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff)
    with transaction(desk.engine) as session:
        core.move(session, acting=Acting(desk.site_id, staff.operator), item_id=item.id or 0,
                  place="B-1",
                     now=desk.clock.now())
        core.add_note(session, acting=Acting(desk.site_id, staff.operator), item_id=item.id or 0,
                         note="电话通知王先生", now=desk.clock.now())
        core.void(session, acting=Acting(desk.site_id, staff.operator), item_id=item.id or 0,
                  reason="录入错误",
                     now=desk.clock.now())
    with reading(desk.engine) as session:
        kinds = [e.kind for e in core.timeline(session, acting=Acting(desk.site_id),
                                                  item_id=item.id or 0)]
        assert kinds == ["received", "moved", "note", "voided"]
        voided = core.get_item(session, acting=Acting(desk.site_id), item_id=item.id or 0)
        assert voided.status == ItemStatus.VOID and voided.place == "B-1"
    with transaction(desk.engine) as session, pytest.raises(Conflict) as refused:
        storage.collect(session, acting=Acting(desk.site_id, staff.operator), code=item.code or "",
                        collector=SIGNED,
                        now=desk.clock.now())
    assert "voided" in refused.value.message


def test_void_needs_a_reason(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff)
    before = counts(desk)
    with transaction(desk.engine) as session, pytest.raises(InvalidInput) as refused:
        core.void(session, acting=Acting(desk.site_id, staff.operator), item_id=item.id or 0,
                  reason="  ",
                     now=desk.clock.now())
    assert refused.value.field == "reason"
    assert counts(desk) == before


def test_a_stale_copy_cannot_hand_out_an_item_a_second_desk_already_gave(
    desk: Desk, staff: Staff
) -> None:
    """Two desks: both loaded the item as held; the second one's update finds nothing."""
    item = deposit(desk, staff)
    with reading(desk.engine) as session:
        stale = core.get_item(session, acting=Acting(desk.site_id), item_id=item.id or 0)
    with transaction(desk.engine) as session:
        storage.collect(session, acting=Acting(desk.site_id, staff.operator), code=item.code or "",
                        collector=SIGNED,
                        now=desk.clock.now())
    before = counts(desk)
    checked = checks.check_collector(SIGNED, require_id_check=True)
    with transaction(desk.engine) as session, pytest.raises(Conflict) as refused:
        session.add(stale)
        assert stale.status == ItemStatus.HELD  # what the second desk still believes
        core.release(session, acting=Acting(desk.site_id, staff.operator2), item=stale,
                     collector=checked,
                        now=desk.clock.now())
    assert "already handed over to 王丽" in refused.value.message
    assert counts(desk) == before


def test_unknown_item_is_not_found(desk: Desk, staff: Staff) -> None:
    with reading(desk.engine) as session, pytest.raises(NotFound):
        core.get_item(session, acting=Acting(desk.site_id), item_id=12345)


def test_item_of_another_ledger_is_not_found(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff)
    with reading(desk.engine) as session, pytest.raises(NotFound):
        core.get_item(session, acting=Acting(desk.site_id), item_id=item.id or 0,
                         ledger=Ledger.PARCEL.value)


# --- what was typed ---------------------------------------------------------------------


def test_text_limits_and_control_characters() -> None:
    with pytest.raises(InvalidInput) as refused:
        checks.clean_text("x" * 10_000, field="description", label="the description",
                           max_length=500)
    assert refused.value.field == "description" and "10000" in refused.value.message
    with pytest.raises(InvalidInput):
        checks.clean_text("a\x07b", field="f", label="f", max_length=50)
    assert checks.clean_text("第一行\n第二行", field="f", label="f", max_length=50,
                              multiline=True) == "第一行\n第二行"
    assert checks.clean_text("  a   b ", field="f", label="f", max_length=5) == "a b"
    with pytest.raises(InvalidInput):
        checks.clean_name("王😀", field="name", label="name")
    assert checks.clean_name("王喆", field="name", label="name") == "王喆"


def test_resident_id_numbers_are_checked() -> None:
    assert checks.clean_id_number("11010519491231002x") == "11010519491231002X"
    with pytest.raises(InvalidInput) as refused:
        checks.clean_id_number("110105194912310021")
    assert refused.value.field == "id_number" and "typo" in refused.value.message
    assert checks.clean_id_number("E12345678") == "E12345678"  # a passport
    with pytest.raises(InvalidInput):
        checks.clean_id_number("12-34")
    with pytest.raises(InvalidInput):
        checks.clean_id_number("", required=True)


def test_collector_must_sign_and_have_id_checked() -> None:
    with pytest.raises(InvalidInput) as refused:
        checks.check_collector(Collector(name="王丽", id_checked=True), require_id_check=True)
    assert refused.value.field == "signed"
    with pytest.raises(InvalidInput) as refused:
        checks.check_collector(Collector(name="王丽", signed=True), require_id_check=True)
    assert refused.value.field == "id_checked"
    with pytest.raises(InvalidInput) as refused:
        checks.check_collector(Collector(name=" ", signed=True), require_id_check=False)
    assert refused.value.field == "collector"


def test_witnesses_must_be_two_different_staff(desk: Desk, staff: Staff) -> None:
    with reading(desk.engine) as session:
        with pytest.raises(InvalidInput) as refused:
            checks.check_witnesses(session, acting=Acting(desk.site_id), witness_a=staff.operator,
                                    witness_b=staff.operator)
        assert refused.value.field == "witness_b"
        with pytest.raises(InvalidInput) as refused:
            checks.check_witnesses(session, acting=Acting(desk.site_id), witness_a=None,
                                    witness_b=staff.operator)
        assert refused.value.field == "witness_a"
        pair = checks.check_witnesses(session, acting=Acting(desk.site_id),
                                       witness_a=staff.operator, witness_b=staff.guard)
        assert pair == (staff.operator, staff.guard)


def test_the_audit_chain_holds_after_a_life(desk: Desk, staff: Staff) -> None:
    item = deposit(desk, staff)
    desk.clock.advance(timedelta(hours=2))  # type: ignore[attr-defined]
    with transaction(desk.engine) as session:
        storage.collect(session, acting=Acting(desk.site_id, staff.operator), code=item.code or "",
                        collector=SIGNED,
                        now=desk.clock.now())
    with reading(desk.engine) as session:
        assert audit.verify(session).ok


# --- dashboard and export -------------------------------------------------------------------


def test_dashboard_counts_every_ledger(desk: Desk, staff: Staff) -> None:
    from datetime import UTC, datetime

    from deskapp.services.acting import Acting
    from deskapp.services.custody import keys, lostfound, parcels

    clock = desk.clock
    deposit(desk, staff)
    clock.advance(timedelta(days=7, minutes=1))  # type: ignore[attr-defined]
    fresh = deposit(desk, staff, description="雨伞")
    with transaction(desk.engine) as session:
        key = keys.register_key(session, acting=Acting(desk.site_id, staff.operator),
                                unit="3-2-1201", label="入户门",
                                place="A-1", custodian="赵敏", now=clock.now())
        keys.lend_key(session, acting=Acting(desk.site_id, staff.operator), key_id=key.id or 0,
                      borrower=keys.Borrower(name="刘师傅", kind="contractor", signed=True),
                      purpose="维修", due_at=clock.now() + timedelta(hours=1),
                      now=clock.now(), settings=desk.settings)
        parcels.check_in(session, acting=Acting(desk.site_id, staff.operator),
                         scan="SF1234567890123", carrier="顺丰",
                         unit="3-2-1201", resident_name="王建国", shelf="B-2", consent=True,
                         now=clock.now())
        lostfound.register_found(
            session, acting=Acting(desk.site_id, staff.operator),
            form=lostfound.FoundForm(description="手机", found_where="大堂", finder="保安",
                                     valuable=True),
            now=clock.now())
    with reading(desk.engine) as session:
        counted = dashboard.custody_counts(session, acting=Acting(desk.site_id), now=clock.now(),
                                           settings=desk.settings)
        assert counted == {
            "items_held": 2, "items_overdue": 1, "keys_out": 1, "keys_overdue": 0,
            "parcels_waiting": 1, "parcels_overdue": 0, "lost_unclaimed": 1,
            "lost_for_admin": 0,
        }
        later = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
        counted = dashboard.custody_counts(session, acting=Acting(desk.site_id), now=later,
                                           settings=desk.settings)
    assert counted["keys_overdue"] == 1 and counted["parcels_overdue"] == 1
    assert counted["lost_for_admin"] == 1 and counted["items_overdue"] == 2
    # The fresh deposit is the held item that is not overdue: handed over, it leaves the
    # held count and not the overdue one.
    with transaction(desk.engine) as session:
        storage.collect(session, acting=Acting(desk.site_id, staff.operator), code=fresh.code or "",
                        collector=SIGNED,
                        now=clock.now())
    with reading(desk.engine) as session:
        counted = dashboard.custody_counts(session, acting=Acting(desk.site_id), now=clock.now(),
                                           settings=desk.settings)
    assert (counted["items_held"], counted["items_overdue"]) == (1, 1)


def test_export_rows_mask_phones_and_ids(desk: Desk, staff: Staff, tmp_path: Path) -> None:
    from datetime import date

    from deskapp.formatting import desk_zone
    from deskapp.services import export, export_ledgers
    from deskapp.services.acting import Acting
    from deskapp.services.custody import keys

    item = deposit(desk, staff, id_number="11010519491231002X")
    with transaction(desk.engine) as session:
        storage.collect(
            session, acting=Acting(desk.site_id, staff.operator), code=item.code or "",
            collector=Collector(name="王丽", id_checked=True, id_number="E12345678",
                                phone="13987650001", signed=True),
            now=desk.clock.now())
        key = keys.register_key(session, acting=Acting(desk.site_id, staff.operator),
                                unit="3-2-1201", label="入户门",
                                place="A-1", custodian="赵敏", now=desk.clock.now())
        keys.lend_key(session, acting=Acting(desk.site_id, staff.operator), key_id=key.id or 0,
                      borrower=keys.Borrower(name="王建国", kind="owner", phone="13812345678",
                                             id_checked=True, id_number="11010519491231002X",
                                             signed=True),
                      purpose="", due_at=desk.clock.now() + timedelta(days=1),
                      now=desk.clock.now(), settings=desk.settings)
    zone = desk_zone("Asia/Shanghai")
    with reading(desk.engine) as session:
        report = export.export_day(
            session, acting=Acting(desk.site_id), site_code="main", day=date(2026, 11, 23),
            zone=zone, out_dir=tmp_path, exporters=[export_ledgers.export_custody])
        empty = export.export_day(
            session, acting=Acting(desk.site_id), site_code="main", day=date(2026, 11, 24),
            zone=zone, out_dir=tmp_path, exporters=[export_ledgers.export_custody])
    line = _csv_rows(report.folder / "storage.csv")[0]
    assert line["code"] == item.code and line["owner_phone"] == "138****5678"
    assert line["owner_id_number"] == "**************002X"
    assert line["released_id_number"] == "*****5678"
    assert line["received_at"] == "2026-11-23T10:00+08:00"
    assert line["received_by"] == "wangfang" and line["released_to"] == "王丽"
    loan = _csv_rows(report.folder / "key_loans.csv")[0]
    assert loan["borrower_phone"] == "138****5678"
    assert loan["id_number"] == "**************002X"
    text = "".join(path.read_text(encoding="utf-8") for path, _rows in report.files)
    for secret in ("13812345678", "11010519491231002X", "E12345678", "13987650001"):
        assert secret not in text
    assert [(path.name, rows) for path, rows in report.files] == [
        ("storage.csv", 1), ("lost_found.csv", 0), ("parcels.csv", 0), ("key_loans.csv", 1)]
    assert [rows for _path, rows in empty.files] == [0, 0, 0, 0]


def _csv_rows(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- demo -------------------------------------------------------------------------------------


def test_demo_week_fills_every_ledger_with_some_overdue(desk: Desk, staff: Staff) -> None:
    import random
    from datetime import UTC, datetime

    from deskapp.formatting import desk_zone
    from deskapp.models import Unit
    from deskapp.services.acting import Acting
    from deskapp.services.custody import demo as custody_demo
    from deskapp.services.custody import lostfound

    names = ["王建国", "李明", "张伟", "刘洋", "陈静", "杨帆", "赵雷", "黄丽", "周杰", "吴敏"]
    with transaction(desk.engine) as session:
        for index, name in enumerate(names):
            code = f"1-1-{index + 1}01"
            unit = directory.add_unit(session, acting=Acting(desk.site_id), code=code,
                                      now=desk.clock.now())
            directory.add_resident(session, acting=Acting(desk.site_id), unit=unit, name=name,
                                   relation="owner", phone=f"138{index:04d}5678",
                                   now=desk.clock.now())
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)  # Monday 11:00 in Beijing
    _items, events_before, audited_before = counts(desk)
    with transaction(desk.engine) as session:
        units = list(session.exec(select(Unit).where(Unit.site_id == desk.site_id)).all())
        steps = custody_demo.seed_custody(
            session, acting=Acting(desk.site_id), now=now, rng=random.Random(7),
            zone=desk_zone("Asia/Shanghai"),
            operators=[staff.operator, staff.operator2, staff.supervisor, staff.manager,
                       staff.guard],
            units=units,
        )
    # Each step is one change of a ledger through its service: one event, one audit entry.
    _items, events, audited = counts(desk)
    assert steps == events - events_before == audited - audited_before
    assert steps >= 50  # a week of four ledgers, not a handful
    with reading(desk.engine) as session:
        counted = dashboard.custody_counts(session, acting=Acting(desk.site_id), now=now,
                                           settings=desk.settings)
        assert counted["items_held"] >= 2 and counted["items_overdue"] == 2
        assert counted["keys_out"] == 2 and counted["keys_overdue"] == 1
        assert counted["parcels_waiting"] > 0 and counted["parcels_overdue"] > 0
        assert counted["lost_for_admin"] == 2
        assert len(lostfound.weekly_notice(session, acting=Acting(desk.site_id), now=now,
                                           settings=desk.settings).rows) == 4
        assert audit.verify(session).ok
        entries = session.exec(select(AuditEntry).where(AuditEntry.action.startswith("key."))  # type: ignore[attr-defined]
                               .order_by(AuditEntry.seq)).all()
        assert [e.at for e in entries] == sorted(e.at for e in entries)
