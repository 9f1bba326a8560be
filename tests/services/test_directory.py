"""Units and residents: codes, phones and names at their limits; lookup as the phone rings."""

from __future__ import annotations

import pytest
from sqlmodel import col, func, select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.models import AuditEntry, Resident, Unit
from deskapp.services import directory, sites
from deskapp.services.acting import Acting


def _unit(desk: Desk, code: str, *, site_id: int | None = None) -> Unit:
    site = site_id or desk.site_id
    with transaction(desk.engine) as session:
        found = directory.find_unit(session, acting=Acting(site), code=code)
        if found is not None:
            return found
        return directory.add_unit(
            session, acting=Acting(site), code=code, now=desk.clock.now()
        )


def _resident(
    desk: Desk,
    code: str,
    name: str,
    *,
    relation: str = "owner",
    phone: str = "",
    alt_phone: str = "",
    site_id: int | None = None,
) -> Resident:
    site = site_id or desk.site_id
    unit = _unit(desk, code, site_id=site)
    with transaction(desk.engine) as session:
        return directory.add_resident(
            session, acting=Acting(site), unit=unit, name=name, relation=relation, phone=phone,
            alt_phone=alt_phone, now=desk.clock.now(),
        )


def _lookup(desk: Desk, query: str, *, limit: int = 10, site_id: int | None = None) -> list[
    directory.LookupHit
]:
    with reading(desk.engine) as session:
        return directory.lookup(
            session, acting=Acting(site_id or desk.site_id), query=query, limit=limit
        )


def _count(desk: Desk, model: type[Unit] | type[Resident]) -> int:
    with reading(desk.engine) as session:
        return int(session.exec(select(func.count()).select_from(model)).one())


def _audit_count(desk: Desk, action: str) -> int:
    with reading(desk.engine) as session:
        return int(
            session.exec(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
            ).one()
        )


@pytest.fixture
def people(desk: Desk) -> Desk:
    """A few units and residents whose names and phones overlap on purpose."""
    _resident(desk, "3-2-1201", "王建国", phone="138 1234 5678")
    _resident(desk, "3-2-1201", "王丽", relation="家属", phone="13987650001")
    _resident(desk, "3-2-1202", "李明", relation="tenant", phone="13600001111",
              alt_phone="010-6543-2222")
    _resident(desk, "12-1-301", "张伟", phone="15900005678")
    _resident(desk, "3-1-1201", "欧阳建国", phone="18600003333")
    return desk


# --- unit codes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "3-2-1201", "3 2 1201", "3－2－1201", "３－２－１２０１", " 3/2/1201 ", "3—2—1201",
        "3_2_1201",
    ],
)
def test_unit_codes_are_normalized_whatever_the_separator_or_width(typed: str) -> None:
    assert directory.normalize_unit_code(typed) == "3-2-1201"
    assert directory.parse_unit_code(typed) == ("3", "2", "1201")


def test_a_unit_is_stored_under_its_normalized_code(desk: Desk) -> None:
    unit = _unit(desk, "3－2 1201")
    assert unit.code == "3-2-1201"
    assert (unit.building, unit.entrance, unit.room) == ("3", "2", "1201")
    assert _unit(desk, "3 2 1201").id == unit.id


def test_letters_in_a_unit_code_are_upper_cased(desk: Desk) -> None:
    unit = _unit(desk, "a-b-101")
    assert unit.code == "A-B-101"
    assert (unit.building, unit.entrance) == ("A", "B")


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "   ",
        "3-2",
        "3-2-1",  # a room has at least 2 digits
        "3-2-123456",  # and at most 5
        "12345-1-101",  # a building at most 4 characters
        "1-ABCD-101",  # an entrance at most 3
        "3-2-12A",  # a room is digits only
        "3-2-1201-5",
        "三-2-1201",
        "3.2.1201",
    ],
)
def test_an_invalid_unit_code_is_refused_on_the_unit_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        directory.parse_unit_code(typed)
    assert refusal.value.field == "unit"
    assert "building-entrance-room" in refusal.value.message


def test_a_unit_with_an_invalid_code_is_not_written(desk: Desk) -> None:
    with pytest.raises(InvalidInput) as refusal, transaction(desk.engine) as session:
        directory.add_unit(session, acting=Acting(desk.site_id), code="3-2", now=desk.clock.now())
    assert refusal.value.field == "unit"
    assert _count(desk, Unit) == 0
    assert _audit_count(desk, "unit.add") == 0


@pytest.mark.parametrize("typed", ["1-1-01", "1-1-12345", "ABCD-1-101", "1-ABC-101"])
def test_unit_codes_at_the_longest_and_shortest_parts_are_accepted(
    desk: Desk, typed: str
) -> None:
    assert _unit(desk, typed).code == typed


def test_a_duplicate_unit_is_refused_and_nothing_is_written(desk: Desk) -> None:
    _unit(desk, "3-2-1201")
    with pytest.raises(Conflict) as refusal, transaction(desk.engine) as session:
        directory.add_unit(session, acting=Acting(desk.site_id), code="3 2 1201",
                           now=desk.clock.now())
    assert refusal.value.field == "unit"
    assert _count(desk, Unit) == 1
    assert _audit_count(desk, "unit.add") == 1


def test_an_unknown_room_is_not_found_on_the_unit_field(desk: Desk) -> None:
    with pytest.raises(NotFound) as refusal, reading(desk.engine) as session:
        directory.get_unit(session, acting=Acting(desk.site_id), code="3 2 1201")
    assert refusal.value.field == "unit"
    assert "3-2-1201" in refusal.value.message


# --- phones -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("13812345678", "13812345678"),
        ("138 1234 5678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("+8613812345678", "13812345678"),
        ("(010) 6543-2222", "01065432222"),
        ("１３８１２３４５６７８", "13812345678"),
        ("1234567", "1234567"),  # 7 digits: the shortest
        ("1" * 15, "1" * 15),  # 15 digits: the longest
    ],
)
def test_a_phone_keeps_only_its_digits(typed: str, digits: str) -> None:
    assert directory.normalize_phone(typed) == digits


@pytest.mark.parametrize(
    "typed", ["123456", "1" * 16, "1381234abcd", "phone", "138.1234.5678", "+86"]
)
def test_what_is_not_a_phone_is_refused_on_the_phone_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        directory.normalize_phone(typed)
    assert refusal.value.field == "phone"


def test_a_resident_with_a_bad_phone_is_refused_and_nothing_is_written(desk: Desk) -> None:
    _unit(desk, "3-2-1201")
    with pytest.raises(InvalidInput) as refusal:
        _resident(desk, "3-2-1201", "王建国", phone="138abc")
    assert refusal.value.field == "phone"
    assert _count(desk, Resident) == 0


def test_a_residents_phones_are_stored_as_digits_with_their_last_four(desk: Desk) -> None:
    resident = _resident(desk, "3-2-1201", "王建国", phone="+86 138 1234 5678",
                         alt_phone="(010) 6543-2222")
    assert (resident.phone, resident.phone_tail) == ("13812345678", "5678")
    assert (resident.alt_phone, resident.alt_phone_tail) == ("01065432222", "2222")


# --- names and relations ------------------------------------------------------------------


def test_a_name_of_64_characters_is_kept_and_65_refused(desk: Desk) -> None:
    assert _resident(desk, "1-1-101", "王" * 64).name == "王" * 64
    with pytest.raises(InvalidInput) as refusal:
        _resident(desk, "1-1-101", "李" * 65)
    assert refusal.value.field == "name"
    assert "64" in refusal.value.message
    assert _count(desk, Resident) == 1


def test_a_10000_character_name_is_refused_clearly_and_nothing_is_written(desk: Desk) -> None:
    _unit(desk, "1-1-101")
    with pytest.raises(InvalidInput) as refusal:
        _resident(desk, "1-1-101", "长" * 10_000)
    assert refusal.value.message == "A name may have at most 64 characters."
    assert refusal.value.field == "name"
    assert _count(desk, Resident) == 0
    assert _audit_count(desk, "resident.add") == 0


@pytest.mark.parametrize(
    "name", ["王\x00建国", "王\x07建国", "\x1b[31m王建国", "王\u202e建国", "王\u200b建国"]
)
def test_control_characters_in_a_name_are_refused(desk: Desk, name: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        _resident(desk, "1-1-101", name)
    assert refusal.value.field == "name"
    assert "control" in refusal.value.message
    assert _count(desk, Resident) == 0


def test_spaces_in_a_name_are_collapsed_and_an_empty_name_refused(desk: Desk) -> None:
    assert _resident(desk, "1-1-101", "  Li \t  Ming \n").name == "Li Ming"
    with pytest.raises(InvalidInput) as refusal:
        _resident(desk, "1-1-101", " \t ")
    assert refusal.value.field == "name"


@pytest.mark.parametrize(
    ("word", "relation"),
    [("owner", "owner"), ("业主", "owner"), ("Tenant", "tenant"), ("租户", "tenant"),
     ("household member", "household"), ("家属", "household"), ("住户", "household")],
)
def test_relations_are_understood_in_english_and_chinese(word: str, relation: str) -> None:
    assert directory.parse_relation(word) == relation


def test_a_resident_is_stored_with_the_relation_understood(desk: Desk) -> None:
    assert _resident(desk, "1-1-101", "王丽", relation=" 家属 ").relation == "household"


def test_an_unknown_relation_is_refused(desk: Desk) -> None:
    with pytest.raises(InvalidInput) as refusal:
        _resident(desk, "1-1-101", "王建国", relation="friend")
    assert refusal.value.field == "relation"


def test_the_same_name_twice_in_a_unit_is_refused_but_allowed_in_another(desk: Desk) -> None:
    _resident(desk, "1-1-101", "王建国")
    with pytest.raises(Conflict) as refusal:
        _resident(desk, "1-1-101", " 王建国 ")
    assert refusal.value.field == "name"
    _resident(desk, "1-1-102", "王建国")
    assert _count(desk, Resident) == 2


# --- lookup -------------------------------------------------------------------------------


def test_lookup_by_unit_prefix_lists_the_units_shortest_first(people: Desk) -> None:
    hits = _lookup(people, "3-2-120")
    assert [hit.unit_code for hit in hits] == ["3-2-1201", "3-2-1202"]
    assert all(hit.resident_id is None for hit in hits)
    assert [hit.unit_code for hit in _lookup(people, "3 2 120")] == ["3-2-1201", "3-2-1202"]
    assert [hit.unit_code for hit in _lookup(people, "１２-１")] == ["12-1-301"]


def test_a_unit_found_by_its_room_names_the_people_living_there(people: Desk) -> None:
    hits = {hit.unit_code: hit.people for hit in _lookup(people, "3-2-120")}
    # Owner before household (relation order), then by name; an empty unit names nobody.
    assert hits == {"3-2-1201": "王建国、王丽", "3-2-1202": "李明"}
    assert all(hit.people == "" for hit in _lookup(people, "王"))


def test_lookup_by_name_prefix(people: Desk) -> None:
    hits = _lookup(people, "王")
    assert sorted(hit.name for hit in hits) == ["王丽", "王建国"]
    assert {hit.unit_code for hit in hits} == {"3-2-1201"}
    assert len({hit.resident_id for hit in hits}) == len(hits)


def test_lookup_by_a_chinese_substring_of_the_name(people: Desk) -> None:
    hits = _lookup(people, "建国")
    assert sorted((hit.name, hit.unit_code) for hit in hits) == [
        ("欧阳建国", "3-1-1201"),
        ("王建国", "3-2-1201"),
    ]


def test_lookup_by_the_last_four_phone_digits_finds_everyone_with_them(people: Desk) -> None:
    hits = _lookup(people, "5678")
    assert sorted((hit.name, hit.masked_phone) for hit in hits) == [
        ("张伟", "159****5678"),
        ("王建国", "138****5678"),
    ]


@pytest.mark.parametrize("typed", ["12345678", "1234 5678", "138-1234-5678", "13812345678"])
def test_lookup_by_more_phone_digits_narrows_to_the_number(people: Desk, typed: str) -> None:
    hits = _lookup(people, typed)
    assert [(hit.name, hit.unit_code) for hit in hits] == [("王建国", "3-2-1201")]


def test_lookup_finds_a_resident_by_the_alternative_phone(people: Desk) -> None:
    for typed in ("2222", "6543-2222"):
        hits = _lookup(people, typed)
        assert [hit.name for hit in hits] == ["李明"]
        assert hits[0].masked_phone == "136****1111"
        assert hits[0].relation == "tenant"


def test_lookup_hits_never_show_a_whole_phone_number(people: Desk) -> None:
    hits = _lookup(people, "王") + _lookup(people, "5678") + _lookup(people, "2222")
    assert {hit.masked_phone for hit in hits} == {
        "138****5678", "139****0001", "159****5678", "136****1111"
    }
    shown = repr(hits)
    for phone in ("13812345678", "13987650001", "15900005678", "13600001111", "01065432222"):
        assert phone not in shown


@pytest.mark.parametrize("query", ["", "   ", "\u3000"])
def test_an_empty_query_finds_nothing(people: Desk, query: str) -> None:
    assert _lookup(people, query) == []


@pytest.mark.parametrize("query", ["%", "_", "王%", "\\"])
def test_like_wildcards_in_a_query_are_taken_literally(people: Desk, query: str) -> None:
    assert _lookup(people, query) == []


def test_lookup_returns_at_most_limit_hits(desk: Desk) -> None:
    for room in range(101, 116):
        _unit(desk, f"5-1-{room}")
    assert [hit.unit_code for hit in _lookup(desk, "5-1")] == [
        f"5-1-{room}" for room in range(101, 111)
    ]
    assert len(_lookup(desk, "5-1", limit=3)) == 3
    assert len(_lookup(desk, "5-1", limit=15)) == 15


def test_lookup_by_phone_returns_at_most_limit_hits(desk: Desk) -> None:
    for number in range(12):
        _resident(desk, f"7-1-{101 + number}", f"邻居{number:02d}", phone=f"13{number:03d}004321")
    assert len(_lookup(desk, "4321", limit=5)) == 5
    assert len(_lookup(desk, "4321", limit=20)) == 12


def test_lookup_stays_within_its_site(people: Desk) -> None:
    with transaction(people.engine) as session:
        north = sites.ensure_site(session, code="north", name="北区", now=people.clock.now())
    assert north.id is not None and north.id != people.site_id
    _resident(people, "3-2-1201", "王建国", phone="13812345678", site_id=north.id)
    _resident(people, "8-8-808", "赵北", phone="13700008888", site_id=north.id)
    with reading(people.engine) as session:
        main_units = set(session.exec(
            select(Unit.id).where(Unit.site_id == people.site_id)
        ).all())
    for query in ("3-2-1201", "王建国", "5678", "13812345678"):
        hits = _lookup(people, query)
        assert hits, query
        assert {hit.unit_id for hit in hits} <= main_units, query
    for query in ("8-8", "赵北", "8888"):
        assert _lookup(people, query) == [], query
        assert len(_lookup(people, query, site_id=north.id)) == 1, query
    with reading(people.engine) as session:
        assert directory.counts(session, acting=Acting(people.site_id)) == (4, 5)
        assert directory.counts(session, acting=Acting(north.id)) == (2, 2)


def test_residents_who_moved_out_are_not_found(people: Desk) -> None:
    with transaction(people.engine) as session:
        resident = session.exec(select(Resident).where(Resident.name == "王建国")).one()
        resident.active = False
        session.add(resident)
    assert "王建国" not in [hit.name for hit in _lookup(people, "王")]
    assert [hit.name for hit in _lookup(people, "建国")] == ["欧阳建国"]
    assert [hit.name for hit in _lookup(people, "5678")] == ["张伟"]
    assert _lookup(people, "13812345678") == []
    # The unit itself is still there.
    assert [hit.unit_code for hit in _lookup(people, "3-2-1201")] == ["3-2-1201"]


def test_a_resident_who_moved_out_may_be_listed_again(desk: Desk) -> None:
    first = _resident(desk, "1-1-101", "王建国")
    with transaction(desk.engine) as session:
        stored = session.get(Resident, first.id)
        assert stored is not None
        stored.active = False
        session.add(stored)
    again = _resident(desk, "1-1-101", "王建国")
    assert again.id != first.id
    with reading(desk.engine) as session:
        active = session.exec(select(Resident).where(col(Resident.active).is_(True))).all()
    assert [resident.id for resident in active] == [again.id]


def test_the_unit_card_lists_only_residents_still_living_there(people: Desk) -> None:
    with reading(people.engine) as session:
        unit = directory.get_unit(session, acting=Acting(people.site_id), code="3-2-1201")
    with transaction(people.engine) as session:
        resident = session.exec(select(Resident).where(Resident.name == "王丽")).one()
        resident.active = False
        session.add(resident)
    with reading(people.engine) as session:
        assert unit.id is not None
        card = directory.unit_card(session, acting=Acting(people.site_id), unit_id=unit.id)
        assert [resident.name for resident in card.residents] == ["王建国"]
        assert directory.counts(session, acting=Acting(people.site_id)) == (4, 4)


def test_a_unit_of_another_site_has_no_card_here(people: Desk) -> None:
    with transaction(people.engine) as session:
        north = sites.ensure_site(session, code="north", name="北区", now=people.clock.now())
    assert north.id is not None
    other = _unit(people, "9-9-909", site_id=north.id)
    assert other.id is not None
    with pytest.raises(NotFound), reading(people.engine) as session:
        directory.unit_card(session, acting=Acting(people.site_id), unit_id=other.id)
