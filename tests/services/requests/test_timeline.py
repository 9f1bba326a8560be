"""The timeline and the escalations speak the reader's language: the system's words are
stored as facts and said when shown, typed text comes back exactly as typed, and rows
written before the facts (schema 0005) are shown as they were stored."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import text
from sqlmodel import select

from deskapp import i18n, migrate
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models.requests import Escalation, RequestEvent, ServiceRequest
from deskapp.services import dashboard
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle, rules, timeline, workorders
from deskapp.services.requests.views import RequestCard, request_card
from tests.services.requests.test_requests_support import (  # noqa: F401 (fixtures)
    Homes,
    Staff,
    homes_fixture,
    new_request,
    staff_fixture,
)

#: Written in the first language, read in the second.
CROSSED = [pytest.param("zh_CN", "en", id="zh-written-en-read"),
           pytest.param("en", "zh_CN", id="en-written-zh-read")]

#: Typed by an operator: placeholders, a percent sign, both scripts (a reason is one line).
TYPED = "门锁坏了 {reason} {0} {} 100% — call 李师傅 明天 9:00 再来"
#: Typed in a field of several lines (a note, a result).
TYPED_LINES = TYPED + "\n  第二行 {level}"


def _card(desk: Desk, request_id: int | None) -> RequestCard:
    with reading(desk.engine) as session:
        return request_card(session, acting=Acting(desk.site_id), request_id=request_id or 0,
                            now=desk.clock.now())


def _details(desk: Desk, request_id: int | None, kind: str) -> list[str]:
    return [line.details for line in _card(desk, request_id).timeline if line.kind == kind]


def _stored_events(desk: Desk, request_id: int | None, kind: str) -> list[RequestEvent]:
    with reading(desk.engine) as session:
        return list(session.exec(
            select(RequestEvent).where(RequestEvent.request_id == request_id,
                                       RequestEvent.kind == kind)
            .order_by(RequestEvent.id)  # type: ignore[arg-type]
        ).all())


# --- escalations ----------------------------------------------------------------------

HOT = {
    "en": ("general → hot: Collective complaint of 3 people",
           "To the supervisor: Collective complaint of 3 people",
           "Collective complaint of 3 people"),
    "zh_CN": ("一般 → 热点：3 人集体投诉", "上报客服主管：3 人集体投诉", "3 人集体投诉"),
}


@pytest.mark.parametrize(("written", "read"), CROSSED)
def test_an_escalation_reads_in_the_readers_language(desk: Desk, staff: Staff, homes: Homes,
                                                      written: str, read: str):
    i18n.set_language(written)
    request = new_request(desk, staff.operator, unit_id=homes.a.id, collective_people=3)
    i18n.set_language(read)
    severity, escalated, reason = HOT[read]
    assert _details(desk, request.id, "severity_raised") == [severity]
    assert _details(desk, request.id, "escalated") == [escalated]
    assert [e.reason for e in _card(desk, request.id).escalations] == [reason]
    with reading(desk.engine) as session:
        lines = dashboard.open_escalations(session, acting=Acting(desk.site_id))
    assert [(line.number, line.level, line.reason) for line in lines] == [
        (request.number, "supervisor", reason)]


OVERDUE = {
    "en": ("To the supervisor: Overdue: reply to the resident", "Overdue: reply to the resident"),
    "zh_CN": ("上报客服主管：已超时：答复业户", "已超时：答复业户"),
}


@pytest.mark.parametrize(("written", "read"), CROSSED)
def test_an_overdue_escalation_of_the_sweep_reads_in_the_readers_language(
        desk: Desk, staff: Staff, homes: Homes, written: str, read: str):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair")
    i18n.set_language(written)
    with transaction(desk.engine) as session:
        report = rules.sweep(session, acting=Acting(desk.site_id), settings=desk.settings,
                             now=desk.clock.now() + timedelta(hours=25))
    assert [e.cause.split(":")[0] for e in report.escalations] == ["overdue"]
    i18n.set_language(read)
    escalated, reason = OVERDUE[read]
    assert _details(desk, request.id, "escalated") == [escalated]
    assert [e.reason for e in _card(desk, request.id).escalations] == [reason]


def test_an_escalation_is_stored_in_english_beside_its_facts(desk: Desk, staff: Staff,
                                                              homes: Homes):
    """``details`` and ``reason`` stay readable without facts (the CSV export, old readers)."""
    i18n.set_language("zh_CN")
    request = new_request(desk, staff.operator, unit_id=homes.a.id, collective_people=3)
    [event] = _stored_events(desk, request.id, "escalated")
    assert event.details == "To the supervisor: Collective complaint of 3 people"
    assert json.loads(event.facts or "")["key"] == "escalated"
    with reading(desk.engine) as session:
        [escalation] = session.exec(select(Escalation)).all()
    assert (escalation.cause, escalation.reason) == ("severity:hot",
                                                     "Collective complaint of 3 people")


def test_a_reason_typed_for_a_raise_by_hand_is_kept_as_typed(desk: Desk, staff: Staff,
                                                              homes: Homes):
    i18n.set_language("zh_CN")
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    with transaction(desk.engine) as session:
        rules.raise_severity(session, acting=Acting(desk.site_id, staff.operator),
                             request_id=request.id or 0,
                             severity="major", reason=TYPED, now=desk.clock.now(),
                             settings=desk.settings)
    for language, to_manager in (("en", "To the manager: "), ("zh_CN", "上报经理：")):
        i18n.set_language(language)
        assert [e.reason for e in _card(desk, request.id).escalations] == [TYPED]
        assert _details(desk, request.id, "escalated") == [to_manager + TYPED]
    with reading(desk.engine) as session:
        [escalation] = session.exec(select(Escalation)).all()
    assert (escalation.reason, escalation.facts) == (TYPED, None)


# --- work orders and dispatch ---------------------------------------------------------

WORK = {
    "en": ["Work order: 更换厨房水龙头 (in-home)", "Technician arrived",
           "Material cost agreed: 35.00 yuan", "Work started", f"Work completed: {TYPED_LINES}",
           "Confirmed by 李娜 (5/5)"],
    "zh_CN": ["维修单：更换厨房水龙头（入户）", "维修人员已到场", "材料费已确认：35.00 元",
              "开始维修", f"完工：{TYPED_LINES}", "确认人：李娜（5/5）"],
}


@pytest.mark.parametrize(("written", "read"), CROSSED)
def test_work_order_steps_read_in_the_readers_language(desk: Desk, staff: Staff, homes: Homes,
                                                        written: str, read: str):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair")
    now = desk.clock.now()
    i18n.set_language(written)
    with transaction(desk.engine) as session:
        order = workorders.open_work_order(
            session, acting=Acting(desk.site_id, staff.operator), request_id=request.id or 0,
            settings=desk.settings,
            now=now, task="更换厨房水龙头", location="in_home",
            appointment_at=now + timedelta(minutes=30), paid=True)
        assert order.id is not None
        common: dict[str, Any] = {"acting": Acting(desk.site_id, staff.operator),
                                  "work_order_id": order.id, "now": now}
        workorders.record_arrival(session, **common)
        workorders.agree_cost(session, material_cost_fen=3500, **common)
        workorders.start_work(session, **common)
        workorders.complete_work(session, result=TYPED_LINES, **common)
        workorders.confirm_work(session, confirmed_by="李娜", rating=5, **common)
    i18n.set_language(read)
    assert _details(desk, request.id, "work_order") == WORK[read]


def test_a_cancelled_work_order_keeps_its_typed_reason(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair")
    now = desk.clock.now()
    i18n.set_language("zh_CN")
    with transaction(desk.engine) as session:
        order = workorders.open_work_order(
            session, acting=Acting(desk.site_id, staff.operator), request_id=request.id or 0,
            settings=desk.settings,
            now=now, task="修门", location="public",
            appointment_at=now + timedelta(minutes=30))
        workorders.cancel_work_order(session, acting=Acting(desk.site_id, staff.operator),
                                     work_order_id=order.id or 0,
                                     reason=TYPED, now=now)
    i18n.set_language("en")
    assert _details(desk, request.id, "work_order") == [
        "Work order: 修门 (public area)", f"Work order cancelled: {TYPED}"]


DISPATCH = {"en": f"engineering · 李师傅: {TYPED_LINES}",
            "zh_CN": f"工程部 · 李师傅：{TYPED_LINES}"}


@pytest.mark.parametrize(("written", "read"), CROSSED)
def test_a_dispatch_names_the_department_in_the_readers_language(
        desk: Desk, staff: Staff, homes: Homes, written: str, read: str):
    request = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair")
    plain = new_request(desk, staff.operator, unit_id=homes.a.id, kind="repair")
    i18n.set_language(written)
    with transaction(desk.engine) as session:
        lifecycle.dispatch(session, acting=Acting(desk.site_id, staff.operator),
                           request_id=request.id or 0,
                           settings=desk.settings, now=desk.clock.now(),
                           department="engineering", assignee="李师傅", note=TYPED_LINES)
        lifecycle.dispatch(session, acting=Acting(desk.site_id, staff.operator),
                           request_id=plain.id or 0,
                           settings=desk.settings, now=desk.clock.now(),
                           department="security")
    i18n.set_language(read)
    assert _details(desk, request.id, "dispatched") == [DISPATCH[read]]
    assert _details(desk, plain.id, "dispatched") == [
        {"en": "security", "zh_CN": "保安部"}[read]]


# --- typed text -----------------------------------------------------------------------


def test_typed_text_comes_back_byte_identical_in_both_languages(desk: Desk, staff: Staff,
                                                                 homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    i18n.set_language("zh_CN")
    common: dict[str, Any] = {"acting": Acting(desk.site_id, staff.operator),
                              "request_id": request.id or 0, "now": desk.clock.now()}
    with transaction(desk.engine) as session:
        lifecycle.add_note(session, text=TYPED_LINES, **common)
        lifecycle.hand_over(session, to_operator_id=staff.operator2.id or 0, reason=TYPED,
                            **common)
    owners = f"{staff.operator.display_name} → {staff.operator2.display_name}"
    expected = {"en": f"{owners}: {TYPED}", "zh_CN": f"{owners}：{TYPED}"}
    for language in ("en", "zh_CN"):
        i18n.set_language(language)
        note = _details(desk, request.id, "note")
        assert note == [TYPED_LINES]
        assert note[0].encode() == TYPED_LINES.encode()
        assert _details(desk, request.id, "handed_over") == [expected[language]]
    [stored] = _stored_events(desk, request.id, "handed_over")
    assert TYPED in (stored.facts or "")  # kept raw in the JSON, not escaped
    assert json.loads(stored.facts or "")["args"]["reason"] == TYPED
    [note_row] = _stored_events(desk, request.id, "note")
    assert (note_row.details, note_row.facts) == (TYPED_LINES, None)


def test_facts_round_trip_every_kind() -> None:
    fact = timeline.message(
        "escalated", level=timeline.Label("escalation", "manager"),
        reason=timeline.joined([timeline.message("finding.collective", count=12),
                                TYPED, timeline.Label("severity", "major")], "; "))
    assert timeline.loads(timeline.dumps(fact)) == fact
    assert timeline.english(fact) == (
        f"To the manager: Collective complaint of 12 people; {TYPED}; major")
    i18n.set_language("zh_CN")
    assert timeline.render(fact) == f"上报经理：12 人集体投诉; {TYPED}; 重大"
    assert timeline.render(timeline.Label("department", "no-such-code")) == "no-such-code"


# --- rows from before the facts -------------------------------------------------------


def _old_event(desk: Desk, request_id: int | None, *, details: str,
               facts: str | None = None) -> None:
    with transaction(desk.engine) as session:
        request = session.get(ServiceRequest, request_id)
        assert request is not None
        session.add(RequestEvent(site_id=desk.site_id, request_id=request.id or 0,
                                 at=desk.clock.now(), kind="escalated", details=details,
                                 facts=facts))


def test_an_old_row_without_facts_shows_its_details(desk: Desk, staff: Staff, homes: Homes):
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    _old_event(desk, request.id, details="上报客服主管：已超时：答复业户")
    _old_event(desk, request.id, details="To the supervisor: something",
               facts='{"key":"written_by_a_newer_deskapp","args":{}}')
    for language in ("en", "zh_CN"):
        i18n.set_language(language)
        assert _details(desk, request.id, "escalated") == [
            "上报客服主管：已超时：答复业户", "To the supervisor: something"]


def test_rows_written_before_0005_keep_their_words(desk: Desk, staff: Staff, homes: Homes):
    """Down to 0004 and up again: the column comes back empty, every row shows its details,
    an escalation its reason."""
    i18n.set_language("zh_CN")
    request = new_request(desk, staff.operator, unit_id=homes.a.id, collective_people=3)
    config = migrate.alembic_config(desk.engine)
    try:
        with desk.engine.connect() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0004")
        with desk.engine.begin() as connection:
            connection.execute(text(
                "UPDATE request_event SET details = :old WHERE kind = 'escalated'"),
                {"old": "上报客服主管：3 人集体投诉"})
            connection.execute(text("UPDATE request_escalation SET reason = :old"),
                               {"old": "3 人集体投诉"})
    finally:
        migrate.upgrade(desk.engine, backup=False)
    assert migrate.schema_status(desk.engine).up_to_date
    with reading(desk.engine) as session:
        assert all(event.facts is None for event in session.exec(select(RequestEvent)).all())
    i18n.set_language("en")
    assert _details(desk, request.id, "escalated") == ["上报客服主管：3 人集体投诉"]
    assert _details(desk, request.id, "severity_raised") == [
        "general → hot: Collective complaint of 3 people"]
    assert [e.reason for e in _card(desk, request.id).escalations] == ["3 人集体投诉"]
