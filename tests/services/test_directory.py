"""Units and residents: codes, phones, names at their limits; lookup as the phone rings."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput
from deskapp.models import Resident
from deskapp.services import directory, sites


def _resident(desk: Desk, code: str, name: str, phone: str = "", alt: str = "",
              relation: str = "owner", site_id: int | None = None) -> None:
    site = site_id or desk.site_id
    with transaction(desk.engine) as session:
        unit = directory.find_unit(session, site_id=site, code=code) or directory.add_unit(
            session, site_id=site, code=code, now=desk.clock.now(), actor=None
        )
        directory.add_resident(
            session, site_id=site, unit=unit, name=name, relation=relation, phone=phone,
            alt_phone=alt, now=desk.clock.now(), actor=None,
        )


def _lookup(desk: Desk, query: str, limit: int = 10) -> list[directory.LookupHit]:
    with reading(desk.engine) as session:
        return directory.lookup(session, site_id=desk.site_id, query=query, limit=limit)


@pytest.mark.parametrize("typed", ["3-2-1201", "3 2 1201", "3－2－1201", " 3/2/1201 "])
def test_unit_codes_are_normalized(typed: str) -> None:
    assert directory.normalize_unit_code(typed) == "3-2-1201"
    assert directory.parse_unit_code(typed) == ("3", "2", "1201")


@pytest.mark.parametrize("typed", ["", "3-2", "3-2-1201-5", "三-2-1201", "3-2-12a"])
def test_bad_unit_codes_are_refused_on_the_unit_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        directory.parse_unit_code(typed)
    assert refused.value.field == "unit"


def test_letter_buildings_are_upper_case() -> None:
    assert directory.normalize_unit_code("a-1-101") == "A-1-101"


@pytest.mark.parametrize(
    ("typed", "digits"),
    [("138 1234 5678", "13812345678"), ("+86 138-1234-5678", "13812345678"),
     ("0571-8888 1234", "057188881234"), ("1234567", "1234567")],
)
def test_phones_keep_their_digits(typed: str, digits: str) -> None:
    assert directory.normalize_phone(typed) == digits


@pytest.mark.parametrize("typed", ["123456", "1380013800a", "1" * 16, "電話"])
def test_what_is_not_a_phone_is_refused(typed: str) -> None:
    with pytest.raises(InvalidInput):
        directory.normalize_phone(typed)


def test_duplicate_unit_is_refused(desk: Desk) -> None:
    _resident(desk, "1-1-101", "王芳")
    with transaction(desk.engine) as session, pytest.raises(Conflict):
        directory.add_unit(session, site_id=desk.site_id, code="1 1 101",
                           now=desk.clock.now(), actor=None)


def test_name_of_64_characters_is_kept_and_65_refused(desk: Desk) -> None:
    _resident(desk, "1-1-101", "王" * 64)
    with pytest.raises(InvalidInput, match="at most 64"):
        _resident(desk, "1-1-102", "王" * 65)


def test_a_10000_character_name_is_refused_and_nothing_is_written(desk: Desk) -> None:
    with pytest.raises(InvalidInput):
        _resident(desk, "1-1-101", "长" * 10_000)
    with reading(desk.engine) as session:
        assert directory.find_unit(session, site_id=desk.site_id, code="1-1-101") is None


def test_control_characters_in_a_name_are_refused(desk: Desk) -> None:
    with pytest.raises(InvalidInput, match="control"):
        _resident(desk, "1-1-101", "王\x07芳")


def test_lookup_by_room_prefix_name_substring_and_phone_digits(desk: Desk) -> None:
    _resident(desk, "3-2-1201", "张伟", phone="13812345678")
    _resident(desk, "3-2-1202", "李小明", phone="13900001111", alt="15088885678")
    _resident(desk, "1-1-101", "王芳", phone="13700002222")
    assert [hit.unit_code for hit in _lookup(desk, "3-2-12")] == ["3-2-1201", "3-2-1202"]
    assert [hit.name for hit in _lookup(desk, "李")] == ["李小明"]
    assert [hit.name for hit in _lookup(desk, "小明")] == ["李小明"]
    by_phone = _lookup(desk, "5678")
    assert {hit.name for hit in by_phone} == {"张伟", "李小明"}, "phone or alt phone"
    assert _lookup(desk, "12345678")[0].masked_phone == "138****5678"
    assert _lookup(desk, "") == []
    assert _lookup(desk, "3-2", limit=1)[0].unit_code == "3-2-1201"


def test_lookup_never_crosses_sites_or_finds_people_who_moved_out(desk: Desk) -> None:
    with transaction(desk.engine) as session:
        other = sites.ensure_site(session, code="north", name="北区", now=desk.clock.now())
    _resident(desk, "1-1-101", "王芳", phone="13700002222", site_id=other.id)
    _resident(desk, "1-1-102", "赵六", phone="13700003333")
    assert _lookup(desk, "王芳") == []
    assert _lookup(desk, "1-1-101") == []
    with transaction(desk.engine) as session:
        resident = session.exec(select(Resident).where(Resident.name == "赵六")).one()
        resident.active = False
        session.add(resident)
    assert _lookup(desk, "赵六") == []
    assert _lookup(desk, "3333") == []


def test_counts_are_per_site(desk: Desk) -> None:
    _resident(desk, "1-1-101", "王芳")
    _resident(desk, "1-1-101", "王小芳", relation="家属")
    with reading(desk.engine) as session:
        assert directory.counts(session, site_id=desk.site_id) == (1, 2)
        assert session.exec(select(func.count()).select_from(Resident)).one() == 2
