"""Search at scale, by the shape of its queries on a generated table of 10,000 requests:
what was typed is recognised before the words search runs, each lookup goes through
its index, the rows are read by primary key, and a word of middling frequency is read
from the index a page at a time instead of every hit being fetched and sorted."""

from __future__ import annotations

import random
from collections.abc import Iterator
from contextlib import AbstractContextManager
from datetime import timedelta

import pytest
from sqlalchemy import insert
from sqlalchemy import text as sql

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models import Unit
from deskapp.models.requests import ServiceRequest
from deskapp.services import directory, operators, search
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from deskapp.services.requests import views
from tests.conftest import BACKENDS, DESK_MORNING, open_empty_desk
from tests.support import statements_sent

ROWS = 10_000
WINDOW_WORD = "窗户关不上"  # one request in 40: 250 hits, few among the newest


@pytest.fixture(scope="module", params=BACKENDS)
def big(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
        ) -> Iterator[Desk]:
    """The 10,000 requests, built once per engine for the module: the tests only read."""
    desk = open_empty_desk(str(request.param), tmp_path_factory.mktemp("search-scale"), request,
                           FixedClock(DESK_MORNING))
    yield _generate(desk)
    desk.engine.dispose()


def _generate(desk: Desk) -> Desk:
    rng = random.Random(20261203)
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        owner = operators.add_operator(
            session, acting=Acting(desk.site_id), login="wangfang", display_name="王芳",
            role="operator", secret="1111", now=now)
    codes = [f"{b}-{e}-{f}{r:02d}" for b in range(1, 6) for e in range(1, 3)
             for f in range(1, 11) for r in range(1, 3)]
    with desk.engine.begin() as connection:
        connection.execute(insert(Unit.__table__), [  # type: ignore[attr-defined]
            {"site_id": desk.site_id, "code": code, "building": code.split("-")[0],
             "entrance": code.split("-")[1], "room": code.split("-")[2], "created_at": now}
            for code in codes])
        unit_ids = {code: unit_id for unit_id, code in connection.execute(
            sql("SELECT id, code FROM unit WHERE site_id = :site"), {"site": desk.site_id})}
        first_id = 1 + (connection.execute(
            sql("SELECT coalesce(max(id), 0) FROM service_request")).scalar() or 0)
        requests, texts = [], []
        for index in range(ROWS):
            received = now - timedelta(minutes=ROWS - index)
            code = rng.choice(codes)
            phone = f"138{rng.randrange(10**8):08d}"
            summary = WINDOW_WORD if index % 40 == 0 else rng.choice(["漏水", "电梯异响", "噪音"])
            number = f"{received:%y%m%d}-{index:04d}"
            requests.append({
                "site_id": desk.site_id, "number": number, "received_at": received,
                "unit_id": unit_ids[code], "contact_name": "王芳", "contact_phone": phone,
                "contact_phone_tail": phone[-4:], "kind": "repair", "summary": summary,
                "wish": "", "department_reply": "", "result": "", "owner_id": owner.id,
                "created_at": received, "updated_at": received})
            body = "\n".join([number, code, "王芳", summary])
            texts.append({"site_id": desk.site_id, "entity": "request",
                          "entity_id": first_id + index, "text": body,
                          "pairs": search.pairs(body)})
        connection.execute(insert(ServiceRequest.__table__), requests)  # type: ignore[attr-defined]
        connection.execute(insert(search.SearchText.__table__), texts)  # type: ignore[attr-defined]
    return desk


def statements(desk: Desk) -> AbstractContextManager[list[str]]:
    """The SQL sent while the block runs (``support.statements_sent``)."""
    return statements_sent(desk.engine)


def _search(desk: Desk, query: str) -> list[views.QueueRow]:
    with reading(desk.engine) as session:
        return views.search_requests(session, acting=Acting(desk.site_id), query=query,
                                     now=desk.clock.now())


def _newest(desk: Desk, where: str, params: dict[str, object]) -> list[str]:
    with desk.engine.connect() as connection:
        return [str(number) for (number,) in connection.execute(sql(
            f"SELECT number FROM service_request WHERE site_id = :site AND {where}"
            " ORDER BY received_at DESC, id DESC LIMIT 50"), {"site": desk.site_id, **params})]


def test_a_room_is_answered_by_its_units_and_never_taken_for_a_phone(big: Desk) -> None:
    with statements(big) as sent:
        found = _search(big, "3-2-601")
    assert [row.number for row in found] == _newest(
        big, "unit_id = (SELECT id FROM unit WHERE code = '3-2-601')", {})
    assert all(row.unit_code == "3-2-601" for row in found)
    assert not [statement for statement in sent if "contact_phone_tail" in statement]
    assert not [statement for statement in sent if "search_fts" in statement
                or "search_vector" in statement]  # the room filled the page


def test_a_request_number_is_one_lookup(big: Desk) -> None:
    number = _newest(big, "1 = 1", {})[7]
    with statements(big) as sent:
        assert [row.number for row in _search(big, number)] == [number]
    assert not [statement for statement in sent if "contact_phone_tail" in statement
                or "search_text" in statement]


def test_phone_digits_go_through_the_tail_newest_first(big: Desk) -> None:
    with big.engine.connect() as connection:
        phone = str(connection.execute(sql(
            "SELECT contact_phone FROM service_request ORDER BY id DESC LIMIT 1 OFFSET 99")
        ).scalar())
    with statements(big) as sent:
        found = _search(big, phone)
    assert [row.number for row in found] == _newest(big, "contact_phone = :phone",
                                                    {"phone": phone})
    assert [statement for statement in sent if "contact_phone_tail" in statement]
    assert not [statement for statement in sent if "search_text" in statement]


def test_a_middling_word_is_read_a_page_at_a_time(
        big: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(search, "NEWEST_WINDOW", 100)  # 2 or 3 hits there: not enough
    with statements(big) as sent:
        found = _search(big, WINDOW_WORD)
    assert [row.number for row in found] == _newest(big, "summary = :word",
                                                    {"word": WINDOW_WORD})
    index_reads = [statement for statement in sent
                   if "search_fts" in statement or "search_vector" in statement]
    assert index_reads and all("LIMIT" in statement for statement in index_reads)
    if big.engine.dialect.name == "sqlite":
        assert len(index_reads) <= 2  # a page of 64 holds the 50 newest of 250


def test_the_rows_are_read_by_primary_key(big: Desk) -> None:
    ids = list(range(200, 400, 4))
    with statements(big) as sent, reading(big.engine) as session:
        rows = views.rows_by_ids(session, acting=Acting(big.site_id), ids=ids, now=big.clock.now())
    assert [row.id for row in rows] == sorted(ids, reverse=True)
    (statement,) = [statement for statement in sent if "FROM service_request" in statement]
    assert "ORDER BY" not in statement
    if big.engine.dialect.name == "sqlite":
        with big.engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
            plan = " ".join(str(row[-1]) for row in connection.exec_driver_sql(
                "EXPLAIN QUERY PLAN " + statement, (1, 200, *ids)).all())  # substr's 1, 200
        assert "ix_service_request_received" not in plan
        assert "INTEGER PRIMARY KEY" in plan, plan


@pytest.mark.parametrize("query, index", [
    ("SELECT id FROM service_request WHERE site_id = 1 AND contact_phone_tail = '1234'"
     " ORDER BY received_at DESC LIMIT 250", "ix_service_request_phone_tail"),
    ("SELECT id FROM service_request WHERE site_id = 1 AND unit_id = 7"
     " AND received_at >= '1970-01-01' ORDER BY received_at DESC LIMIT 50",
     "ix_service_request_unit"),
])
def test_each_lookup_walks_its_own_index_newest_first(
        big: Desk, query: str, index: str) -> None:
    if big.engine.dialect.name != "sqlite":
        pytest.skip("the plan's words are SQLite's")
    with big.engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        plan = " ".join(str(row[-1]) for row in
                        connection.exec_driver_sql("EXPLAIN QUERY PLAN " + query).all())
    assert index in plan and "TEMP B-TREE" not in plan, plan


@pytest.mark.parametrize("typed, room, phone", [
    ("3-2-601", "3-2-601", None), ("3 2 601", "3-2-601", None), ("3-2", "3-2", None),
    ("a-1-101", "A-1-101", None), ("138-1234-5678", None, "13812345678"),
    ("1201", None, "1201"), ("261123", None, "261123"), ("123", None, None),
    ("漏水", None, None), ("(010) 6123 4567", None, "01061234567"),
])
def test_what_reads_as_a_room_and_what_as_a_phone(
        typed: str, room: str | None, phone: str | None) -> None:
    assert directory.room_prefix(typed) == room
    assert directory.phone_digits(typed) == phone


def test_the_lookup_takes_a_room_for_a_room_not_for_a_phone_tail(desk: Desk) -> None:
    now = desk.clock.now()
    with transaction(desk.engine) as session:
        room = directory.add_unit(session, acting=Acting(desk.site_id), code="3-2-601", now=now)
        elsewhere = directory.add_unit(session, acting=Acting(desk.site_id), code="1-1-101",
                                       now=now)
        directory.add_resident(session, acting=Acting(desk.site_id), unit=elsewhere, name="李娜",
                               relation="owner", phone="13800002601", now=now)
    with reading(desk.engine) as session:
        by_room = directory.lookup(session, acting=Acting(desk.site_id), query="3-2-601")
        by_tail = directory.lookup(session, acting=Acting(desk.site_id), query="2601")
    assert [(hit.unit_id, hit.name) for hit in by_room] == [(room.id, "")]
    assert [(hit.unit_code, hit.name) for hit in by_tail] == [("1-1-101", "李娜")]
