"""A handover's life: started from the ledgers, settled, taken, counted, signed with
two PINs, sealed (read-only, proven by the audit chain), reviewed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update
from sqlmodel import select

from deskapp import i18n
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import AuthError, Conflict, DeskError, InvalidInput
from deskapp.models import AuditEntry, Operator
from deskapp.models.handover import Handover, HandoverItem, HandoverState, ItemDecision
from deskapp.services import audit
from deskapp.services.acting import Acting
from deskapp.services.handover import handovers
from deskapp.services.requests import lifecycle
from tests.services.handover.test_assembly import MID_MORNING, due_at
from tests.services.handover.test_shifts import MINUTE
from tests.services.requests.test_requests_support import new_request
from tests.support import PIN, Homes, Staff, homes_fixture, staff_fixture  # noqa: F401

SETTINGS_ITEMS = ("对讲机=4", "雨伞=6")


@pytest.fixture
def desk_of_two_items(desk: Desk) -> Desk:
    desk.settings = replace(desk.settings, public_items=SETTINGS_ITEMS)  # type: ignore[misc]
    return desk


def run(desk: Desk, call: Callable[..., Any], /, *, actor: Operator | None = None,
        **fields: Any) -> Any:
    with transaction(desk.engine) as session:
        return call(session, acting=Acting(desk.site_id, actor), **fields)


def started(desk: Desk, staff: Staff, homes: Homes) -> dict[str, Any]:
    """A handover at mid-morning by 王芳: her own request (routine), someone's overdue
    request (urgent), and the two public items of ``SETTINGS_ITEMS``."""
    own = new_request(desk, staff.operator, unit_id=homes.a.id, summary="外墙渗水")
    late = new_request(desk, staff.colleague, unit_id=homes.b.id, summary="楼上漏水")
    due_at(desk, own.id, MID_MORNING + timedelta(days=3))
    due_at(desk, late.id, MID_MORNING - MINUTE)
    handover = run(desk, handovers.start, actor=staff.operator, now=MID_MORNING,
                   settings=desk.settings)
    with reading(desk.engine) as session:
        items = {item.reference: item for item in handovers.items_of(session, handover.id)}
        counts = handovers.counts_of(session, handover.id)
    return {"id": handover.id, "own": items[own.number], "late": items[late.number],
            "late_request": late, "counts": counts}


def ready_to_sign(desk: Desk, staff: Staff, h: dict[str, Any]) -> None:
    """Everything settled: the urgent item carried by the supervisor, all taken, counted."""
    now = MID_MORNING + MINUTE
    run(desk, handovers.settle_item, handover_id=h["id"], item_id=h["late"].id,
        actor=staff.operator, now=now, level="urgent", next_action="联系工程部上门",
        next_at=None, contingency="若业主再来电，先报主管")
    run(desk, handovers.carry_urgent, handover_id=h["id"], item_id=h["late"].id,
        login="zhaomin", pin=PIN, reason="工程部明早上门", now=now, settings=desk.settings)
    run(desk, handovers.name_incoming, handover_id=h["id"], login="liuyang",
        actor=staff.operator, now=now)
    run(desk, handovers.accept_routine, handover_id=h["id"], group="requests", now=now)
    run(desk, handovers.take_item, handover_id=h["id"], item_id=h["late"].id, accept=True,
        now=now)
    for public in h["counts"]:
        run(desk, handovers.count, handover_id=h["id"], count_id=public.id,
            counted=public.expected, now=now)


def blocker_texts(desk: Desk, h: dict[str, Any]) -> list[str]:
    with reading(desk.engine) as session:
        return [b.message for b in handovers.blockers(
            session, acting=Acting(desk.site_id), handover_id=h["id"], now=MID_MORNING + MINUTE,
            settings=desk.settings)]


def sign_both(desk: Desk, h: dict[str, Any]) -> Handover:
    now = MID_MORNING + 2 * MINUTE
    run(desk, handovers.sign, handover_id=h["id"], side="outgoing", login="wangfang", pin=PIN,
        now=now, settings=desk.settings)
    return run(desk, handovers.sign, handover_id=h["id"], side="incoming", login="liuyang",
               pin=PIN, now=now, settings=desk.settings)


def test_a_started_handover_is_assembled_with_defaults_and_kept_in_the_database(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    assert (h["late"].level, h["own"].level) == ("urgent", "routine")
    assert h["late"].next_at == MID_MORNING - MINUTE  # the ledger's deadline, pre-filled
    assert h["own"].next_action == ""  # the group's default, said in the reader's words
    assert handovers.next_action_of(h["own"]) == "Follow up before the deadline"
    i18n.set_language("zh_CN")
    assert handovers.next_action_of(h["own"]) == "在期限前跟进"
    i18n.set_language("en")
    assert [(c.name, c.expected, c.counted) for c in h["counts"]] == [
        ("对讲机", 4, None), ("雨伞", 6, None)]
    with reading(desk.engine) as session:  # another session (a restart) finds it open
        resumed = handovers.open_handover(session, acting=Acting(desk.site_id))
        assert resumed is not None and resumed.id == h["id"]
        assert handovers.items_of(session, h["id"])[0].reference == \
            h["late"].reference  # urgent first


def test_a_second_handover_is_refused_while_one_is_open(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    started(desk_of_two_items, staff, homes)
    with pytest.raises(Conflict, match="already open: started by 王芳"):
        run(desk_of_two_items, handovers.start, actor=staff.colleague, now=MID_MORNING,
            settings=desk_of_two_items.settings)


def test_what_blocks_the_seal_is_said_in_words_until_it_is_gone(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    first = blocker_texts(desk, h)
    assert any("is urgent and not done" in text for text in first)
    assert any("needs its contingency" in text for text in first)
    assert "Name the incoming operator." in first
    assert "对讲机: not counted yet." in first
    ready_to_sign(desk, staff, h)
    assert blocker_texts(desk, h) == []


def test_an_urgent_item_done_in_its_ledger_no_longer_blocks(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    with transaction(desk.engine) as session:
        lifecycle.void(session, acting=Acting(desk.site_id, staff.supervisor),
                       request_id=h["late_request"].id,
                       now=MID_MORNING, reason="重复登记")
    assert not any("is urgent and not done" in text for text in blocker_texts(desk, h))


def test_a_count_that_differs_needs_the_outgoing_operators_explanation(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    radios = h["counts"][0]
    run(desk, handovers.count, handover_id=h["id"], count_id=radios.id, counted="3",
        now=MID_MORNING)
    assert blocker_texts(desk, h) == [
        "对讲机: counted 3, expected 4: the outgoing operator explains the difference."]
    with pytest.raises(AuthError):
        run(desk, handovers.explain, handover_id=h["id"], count_id=radios.id,
            explanation="维修中", actor=staff.colleague, now=MID_MORNING)
    run(desk, handovers.explain, handover_id=h["id"], count_id=radios.id,
        explanation="一台送修，工程部签收", actor=staff.operator, now=MID_MORNING)
    assert blocker_texts(desk, h) == []


@pytest.mark.parametrize("typed", ["3.5", "-1", "三", "", "100001"])
def test_a_count_must_be_a_whole_number_not_negative(
    desk_of_two_items: Desk, staff: Staff, homes: Homes, typed: str,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    run(desk, handovers.name_incoming, handover_id=h["id"], login="liuyang",
        actor=staff.operator, now=MID_MORNING)
    with pytest.raises(InvalidInput) as refused:
        run(desk, handovers.count, handover_id=h["id"], count_id=h["counts"][0].id,
            counted=typed, now=MID_MORNING)
    assert refused.value.field == "counted"


def test_only_routine_items_are_accepted_together(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    run(desk, handovers.name_incoming, handover_id=h["id"], login="liuyang",
        actor=staff.operator, now=MID_MORNING)
    assert run(desk, handovers.accept_routine, handover_id=h["id"], group="requests",
               now=MID_MORNING) == 1
    with reading(desk.engine) as session:
        decisions = {i.reference: i.decision for i in handovers.items_of(session, h["id"])}
    assert decisions == {h["own"].reference: "accepted", h["late"].reference: "pending"}


def test_a_refusal_needs_a_reason_and_goes_to_the_supervisors_list_once_sealed(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    with pytest.raises(InvalidInput) as refused:
        run(desk, handovers.take_item, handover_id=h["id"], item_id=h["own"].id,
            accept=False, reason=" ", now=MID_MORNING)
    assert refused.value.field == "reason"
    run(desk, handovers.take_item, handover_id=h["id"], item_id=h["own"].id, accept=False,
        reason="不了解此单，请主管另派", now=MID_MORNING)
    sign_both(desk, h)
    with reading(desk.engine) as session:
        [waiting] = handovers.refused_waiting(session, acting=Acting(desk.site_id))
    assert waiting.item.reference == h["own"].reference
    with pytest.raises(AuthError):
        run(desk, handovers.settle_refused, item_id=waiting.item.id, actor=staff.operator,
            note="已改派", now=MID_MORNING)
    run(desk, handovers.settle_refused, item_id=waiting.item.id, actor=staff.supervisor,
        note="改派给刘洋跟进", now=MID_MORNING)
    with reading(desk.engine) as session:
        assert handovers.refused_waiting(session, acting=Acting(desk.site_id)) == []
        # Settling after the seal is the supervisor's own act: the seal still holds.
        assert handovers.verify_seals(session) == []


def test_the_incoming_operator_must_be_someone_else_and_able_to_sign(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    with pytest.raises(InvalidInput, match="someone other"):
        run(desk, handovers.name_incoming, handover_id=h["id"], login="wangfang",
            actor=staff.operator, now=MID_MORNING)
    with transaction(desk.engine) as session:
        session.exec(update(type(staff.colleague)).where(  # type: ignore[call-overload]
            type(staff.colleague).id == staff.colleague.id).values(active=False))
    with pytest.raises(AuthError, match="disabled or locked"):
        run(desk, handovers.name_incoming, handover_id=h["id"], login="liuyang",
            actor=staff.operator, now=MID_MORNING)


def test_each_side_signs_with_its_own_pin_and_the_second_signature_seals(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    now = MID_MORNING + 2 * MINUTE
    with pytest.raises(AuthError, match="Wrong sign-in name or PIN"):
        run(desk, handovers.sign, handover_id=h["id"], side="outgoing", login="wangfang",
            pin="9999", now=now, settings=desk.settings)
    with pytest.raises(AuthError, match="the incoming operator 刘洋 signs here"):
        run(desk, handovers.sign, handover_id=h["id"], side="incoming", login="wangfang",
            pin=PIN, now=now, settings=desk.settings)
    sealed = sign_both(desk, h)
    assert sealed.state == HandoverState.SEALED.value and len(sealed.seal_hash) == 64
    with reading(desk.engine) as session:
        seal = session.exec(select(AuditEntry).where(AuditEntry.action == "handover.seal")).one()
        assert sealed.seal_hash in (seal.after or "")
        assert audit.verify(session).ok and handovers.verify_seals(session) == []
        assert handovers.open_handover(session, acting=Acting(desk.site_id)) is None


def test_five_wrong_pins_lock_the_signer_out_and_the_handover_is_kept(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    for _attempt in range(desk.settings.max_failed_sign_ins):
        with pytest.raises(AuthError):
            run(desk, handovers.sign, handover_id=h["id"], side="outgoing",
                login="wangfang", pin="0000", now=MID_MORNING, settings=desk.settings)
    with pytest.raises(AuthError, match="locked"):
        run(desk, handovers.sign, handover_id=h["id"], side="outgoing", login="wangfang",
            pin=PIN, now=MID_MORNING, settings=desk.settings)
    with reading(desk.engine) as session:
        kept = handovers.open_handover(session, acting=Acting(desk.site_id))
        assert kept is not None and kept.outgoing_signed_at is None
        assert blocker_texts(desk, h) == []


def test_a_change_after_a_signature_takes_the_signature_back(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    run(desk, handovers.sign, handover_id=h["id"], side="outgoing", login="wangfang",
        pin=PIN, now=MID_MORNING, settings=desk.settings)
    run(desk, handovers.count, handover_id=h["id"], count_id=h["counts"][1].id, counted=5,
        now=MID_MORNING)
    with reading(desk.engine) as session:
        handover = handovers.get_handover(session, acting=Acting(desk.site_id), handover_id=h["id"])
        assert handover.outgoing_signed_at is None


def _changes(desk: Desk, staff: Staff, h: dict[str, Any]) -> list[Callable[[], Any]]:
    item, public = h["own"], h["counts"][0]
    return [
        lambda: run(desk, handovers.settle_item, handover_id=h["id"], item_id=item.id,
                    actor=staff.operator, now=MID_MORNING, level="watch", next_action="x",
                    next_at=None, contingency="y"),
        lambda: run(desk, handovers.take_item, handover_id=h["id"], item_id=item.id,
                    accept=True, now=MID_MORNING),
        lambda: run(desk, handovers.accept_routine, handover_id=h["id"], group="requests",
                    now=MID_MORNING),
        lambda: run(desk, handovers.count, handover_id=h["id"], count_id=public.id,
                    counted=1, now=MID_MORNING),
        lambda: run(desk, handovers.explain, handover_id=h["id"], count_id=public.id,
                    explanation="z", actor=staff.operator, now=MID_MORNING),
        lambda: run(desk, handovers.name_incoming, handover_id=h["id"], login="zhaomin",
                    actor=staff.operator, now=MID_MORNING),
        lambda: run(desk, handovers.carry_urgent, handover_id=h["id"], item_id=item.id,
                    login="zhaomin", pin=PIN, reason="r", now=MID_MORNING,
                    settings=desk.settings),
        lambda: run(desk, handovers.sign, handover_id=h["id"], side="outgoing",
                    login="wangfang", pin=PIN, now=MID_MORNING, settings=desk.settings),
    ]


def test_every_service_refuses_to_change_a_sealed_handover(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    sign_both(desk, h)
    for change in _changes(desk, staff, h):
        with pytest.raises(Conflict, match="sealed"):
            change()
    run(desk, handovers.add_addendum, handover_id=h["id"], actor=staff.supervisor,
        text="补记：对讲机一台充电中", now=MID_MORNING)
    with reading(desk.engine) as session:
        assert [a.text for a in handovers.addenda_of(session, h["id"])] == [
            "补记：对讲机一台充电中"]
        assert handovers.verify_seals(session) == []


def test_a_row_edited_behind_the_seal_is_caught(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    sign_both(desk, h)
    with transaction(desk.engine) as session:
        session.exec(update(HandoverItem).where(  # type: ignore[call-overload]
            HandoverItem.id == h["own"].id).values(decision=ItemDecision.REFUSED.value))
    with reading(desk.engine) as session:
        assert handovers.verify_seals(session) == [
            f"Handover {h['id']} was changed after it was sealed."]
    # Rewriting the handover's own hash too is caught by the hash in the audit chain.
    with transaction(desk.engine) as session:
        sealed = session.get(Handover, h["id"])
        assert sealed is not None
        sealed.seal_hash = handovers.content_hash(handovers.sealed_content(session, sealed))
        session.add(sealed)
    with reading(desk.engine) as session:
        assert len(handovers.verify_seals(session)) == 1


def test_a_ten_thousand_character_contingency_is_refused_and_the_item_kept(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    with pytest.raises(InvalidInput) as refused:
        run(desk, handovers.settle_item, handover_id=h["id"], item_id=h["late"].id,
            actor=staff.operator, now=MID_MORNING, level="urgent", next_action="跟进",
            next_at=None, contingency="字" * 10_000)
    assert refused.value.field == "contingency"
    with reading(desk.engine) as session:
        kept = session.get(HandoverItem, h["late"].id)
        assert kept is not None and kept.contingency == ""


def test_the_supervisor_reviews_the_days_sealed_handovers(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    sign_both(desk, h)
    day = MID_MORNING.date()
    with pytest.raises(AuthError):
        run(desk, handovers.review_day, day=day, actor=staff.operator, remarks="ok",
            now=MID_MORNING, settings=desk.settings)
    with pytest.raises(DeskError, match="No sealed handover"):
        run(desk, handovers.review_day, day=day - timedelta(days=1), actor=staff.supervisor,
            remarks="ok", now=MID_MORNING, settings=desk.settings)
    assert run(desk, handovers.review_day, day=day, actor=staff.supervisor,
               remarks="交接完整", now=MID_MORNING, settings=desk.settings) == 1
    with reading(desk.engine) as session:
        assert handovers.unreviewed(session, acting=Acting(desk.site_id)) == []


def test_a_supervisor_carries_every_unfinished_urgent_item_with_one_pin(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    second = new_request(desk, staff.colleague, unit_id=homes.c.id, summary="电梯困人")
    due_at(desk, second.id, MID_MORNING - timedelta(hours=3))
    h = started(desk, staff, homes)
    with pytest.raises(InvalidInput, match="Only an urgent item"):
        run(desk, handovers.carry_urgent, handover_id=h["id"], item_id=h["own"].id,
            login="zhaomin", pin=PIN, reason="r", now=MID_MORNING, settings=desk.settings)
    with pytest.raises(AuthError, match="Only a supervisor"):
        run(desk, handovers.carry_all_urgent, handover_id=h["id"], login="liuyang", pin=PIN,
            reason="工程部明早上门", now=MID_MORNING, settings=desk.settings)
    assert run(desk, handovers.carry_all_urgent, handover_id=h["id"], login="zhaomin",
               pin=PIN, reason="工程部明早上门", now=MID_MORNING, settings=desk.settings) == 2
    assert not any("is urgent and not done" in text for text in blocker_texts(desk, h))
    with pytest.raises(InvalidInput, match="No urgent item waits"):
        run(desk, handovers.carry_all_urgent, handover_id=h["id"], login="zhaomin", pin=PIN,
            reason="again", now=MID_MORNING, settings=desk.settings)


def test_a_guard_does_not_take_over_the_desk(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    with pytest.raises(AuthError, match="does not work the desk"):
        run(desk, handovers.name_incoming, handover_id=h["id"], login="sunqiang",
            actor=staff.operator, now=MID_MORNING)
    with reading(desk.engine) as session:
        handover = handovers.get_handover(session, acting=Acting(desk.site_id), handover_id=h["id"])
        assert "sunqiang" not in [operator.login for operator in handovers.candidates(
            session, acting=Acting(desk.site_id), handover=handover, now=MID_MORNING)]


def test_an_overdue_item_is_not_handed_over_as_less_than_urgent(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    with pytest.raises(InvalidInput, match="is overdue in its ledger") as refused:
        run(desk, handovers.settle_item, handover_id=h["id"], item_id=h["late"].id,
            actor=staff.operator, now=MID_MORNING, level="routine", next_action="跟进",
            next_at=None, contingency="")
    assert refused.value.field == "level"
    # A routine item may be raised, and lowered again.
    for level in ("watch", "routine"):
        run(desk, handovers.settle_item, handover_id=h["id"], item_id=h["own"].id,
            actor=staff.operator, now=MID_MORNING, level=level, next_action="跟进",
            next_at=None, contingency="若有变化报主管")


def test_the_outgoing_supervisor_does_not_carry_her_own_urgent_item(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    late = new_request(desk, staff.colleague, unit_id=homes.b.id, summary="楼上漏水")
    due_at(desk, late.id, MID_MORNING - MINUTE)
    handover = run(desk, handovers.start, actor=staff.supervisor, now=MID_MORNING,
                   settings=desk.settings)
    with reading(desk.engine) as session:
        [item] = handovers.items_of(session, handover.id)
    with pytest.raises(AuthError, match="cannot accept carrying their own"):
        run(desk, handovers.carry_urgent, handover_id=handover.id, item_id=item.id,
            login="zhaomin", pin=PIN, reason="明早处理", now=MID_MORNING, settings=desk.settings)
    run(desk, handovers.carry_urgent, handover_id=handover.id, item_id=item.id,
        login="chenjie", pin=PIN, reason="明早处理", now=MID_MORNING, settings=desk.settings)


def test_a_shift_handed_over_is_not_handed_over_again_by_the_same_operator(
    desk_of_two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = desk_of_two_items
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    sign_both(desk, h)
    with pytest.raises(Conflict, match="handed this shift over already"):
        run(desk, handovers.start, actor=staff.operator, now=MID_MORNING + timedelta(hours=1),
            settings=desk.settings)
    # The next shift is another handover.
    run(desk, handovers.start, actor=staff.operator, now=MID_MORNING + timedelta(hours=8),
        settings=desk.settings)
