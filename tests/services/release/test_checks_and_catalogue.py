"""What a slip accepts as typed (plates, quantities, ID numbers) and the large-item catalogue."""

from __future__ import annotations

import pytest

from deskapp.config import Settings
from deskapp.errors import InvalidInput
from deskapp.services.release import catalogue, checks

SETTINGS = Settings()
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def with_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return first17 + "10X98765432"[total % 11]


@pytest.mark.parametrize(("typed", "kept"), [
    ("京A12345", "京A12345"), ("粤B·D12345", "粤BD12345"), ("沪AD12345", "沪AD12345"),
    ("川A12345D", "川A12345D"), (" 京a 12345 ", "京A12345"), ("", ""),
])
def test_plates_are_plates(typed: str, kept: str) -> None:
    assert checks.clean_plate(typed) == kept


@pytest.mark.parametrize("typed", ["ABC", "京12345", "京A1234", "京A123456", "A12345", "京I12345"])
def test_what_is_not_a_plate_is_refused_on_its_field(typed: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        checks.clean_plate(typed)
    assert refused.value.field == "plate"
    assert "not a vehicle plate" in refused.value.message


@pytest.mark.parametrize("quantity", [0, 10_000, -1, True])
def test_a_quantity_outside_one_to_9999_is_refused(quantity: int) -> None:
    with pytest.raises(InvalidInput, match="between 1 and 9999"):
        checks.clean_quantity(quantity)


def test_quantities_at_the_bounds_are_kept() -> None:
    assert checks.clean_quantity(1) == 1
    assert checks.clean_quantity(9999) == 9999


def test_id_numbers_check_digit_and_birth_date() -> None:
    good = "11010519491231002X"
    assert checks.clean_id_number(good) == good
    with pytest.raises(InvalidInput, match="does not add up"):
        checks.clean_id_number("110105194912310021")
    impossible = with_check_digit("11010519490231002")  # 31 February
    with pytest.raises(InvalidInput, match="no possible birth date") as refused:
        checks.clean_id_number(impossible, field="carrier_id_number")
    assert refused.value.field == "carrier_id_number"
    assert checks.clean_id_number(with_check_digit("11010519490228002"))  # 28 February is fine


@pytest.mark.parametrize(("typed", "entry"), [
    ("三人沙发", "沙发/sofa"), ("Sofa", "沙发/sofa"), ("two sofas", "沙发/sofa"),
    ("tea table", "茶几/tea table"), ("实木茶几", "茶几/tea table"),
    ("ＴＶ 55寸", "电视/TV"), ("液晶电视机", "电视/TV"), ("office chair x2", "办公椅/office chair"),
    ("办公椅", "办公椅/office chair"), ("a big safe", "保险柜/safe"), ("复印机", "复印机/copier"),
    ("Water Dispenser", "饮水机/water dispenser"), ("file  cabinet", "文件柜/file cabinet"),
])
def test_typed_items_match_the_catalogue_in_chinese_and_english(typed: str, entry: str) -> None:
    found = catalogue.match(typed, SETTINGS)
    assert found is not None and found.label == entry


@pytest.mark.parametrize("typed", ["safety helmet", "一箱书", "desktop plant", "衣服"])
def test_small_things_are_not_large(typed: str) -> None:
    assert catalogue.match(typed, SETTINGS) is None
    assert catalogue.is_large(typed, False, SETTINGS) == (False, "")
    assert catalogue.is_large(typed, True, SETTINGS) == (True, "")
