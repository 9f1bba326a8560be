"""Codes read out and typed: every single typo and every swap of neighbours is caught."""

from __future__ import annotations

import pytest

from deskapp.errors import InvalidInput
from deskapp.services import codes
from deskapp.services.codes import ALPHABET, CODE_PATTERN, CodePrefix, check_code, make_code


def _symbols(code: str) -> str:
    return code.replace("-", "")


def _dashed(symbols: str) -> str:
    return f"{symbols[0]}-{symbols[1:-1]}-{symbols[-1]}"


def test_code_looks_like_a_ticket_and_reads_back() -> None:
    code = make_code("S", 1)
    assert CODE_PATTERN.match(code)
    assert len(_symbols(code)) == 6
    checked = check_code(code)
    assert (checked.prefix, checked.text) == ("S", code)


@pytest.mark.parametrize("number", [1, 2, 31, 32, 1023, 32**4 - 1, 32**4, 32**5, 32**6 - 1])
def test_every_width_round_trips_and_stays_short(number: int) -> None:
    for prefix in CodePrefix:
        code = make_code(prefix.value, number)
        assert len(_symbols(code)) <= 8
        assert check_code(code).text == code


def test_consecutive_numbers_do_not_look_alike() -> None:
    first, second = make_code("S", 12), make_code("S", 13)
    differing = sum(a != b for a, b in zip(first, second, strict=True))
    assert differing >= 2


def test_no_look_alike_symbols_in_codes() -> None:
    for number in range(1, 2000):
        body = _symbols(make_code("P", number))[1:]
        assert not set(body) & set("ILOU")


@pytest.mark.parametrize(
    "typed", ["s-{b}-{c}", "S{b}{c}", " s {b} {c} ", "S-{b}{c}", "Ｓ-{b}-{c}"]
)
def test_lenient_typing_is_accepted(typed: str) -> None:
    code = make_code("S", 4242)
    body, check = code.split("-")[1], code.split("-")[2]
    text = typed.format(b=body.lower() if typed.startswith("s") else body, c=check)
    assert check_code(text).text == code


def test_o_and_i_typed_for_zero_and_one_are_read_as_crockford_does() -> None:
    code = next(
        make_code("K", n) for n in range(1, 5000) if "0" in make_code("K", n).split("-")[1]
    )
    assert check_code(code.replace("0", "O")).text == code


def test_every_single_substitution_is_caught() -> None:
    code = _symbols(make_code("S", 777))
    for position in range(1, len(code)):
        for symbol in ALPHABET:
            if symbol == code[position]:
                continue
            typo = code[:position] + symbol + code[position + 1 :]
            with pytest.raises(InvalidInput) as refused:
                check_code(_dashed(typo))
            assert refused.value.field == "code"


def test_every_prefix_substitution_is_caught() -> None:
    code = _symbols(make_code("S", 777))
    for prefix in CodePrefix:
        if prefix.value == "S":
            continue
        with pytest.raises(InvalidInput):
            check_code(prefix.value + code[1:])


def test_every_adjacent_transposition_is_caught() -> None:
    checked = 0
    for number in (777, 32**4 + 5, 99):
        code = _symbols(make_code("P", number))
        for position in range(1, len(code) - 1):
            a, b = code[position], code[position + 1]
            if a == b:
                continue
            swapped = code[:position] + b + a + code[position + 2 :]
            with pytest.raises(InvalidInput):
                check_code(_dashed(swapped))
            checked += 1
    assert checked >= 10


def test_exhaustive_over_all_pairs_of_neighbours() -> None:
    """The algebra, not luck: every pair a != b swapped, inside the body and with the check."""
    for a in ALPHABET:
        for b in ALPHABET:
            if a == b:
                continue
            body = "7" + a + b + "K"
            good = "S" + body + codes.check_symbol("S", body)
            swapped = good[:2] + b + a + good[4:]
            assert codes.check_symbol("S", swapped[1:-1]) != swapped[-1]
            # the last body symbol swapped with the check symbol
            tail = "S7K" + a + b
            if codes.check_symbol("S", tail[1:-1] + "") != b:
                continue
            assert codes.check_symbol("S", "7K" + b) != a


def test_the_reason_names_the_typo() -> None:
    code = make_code("S", 9)
    last = code[-1]
    wrong = ALPHABET[(ALPHABET.index(last) + 1) % 32]
    with pytest.raises(InvalidInput) as refused:
        check_code(code[:-1] + wrong)
    assert "check character does not match" in refused.value.message


@pytest.mark.parametrize("text", ["", "hello", "X-1234-5", "S-12-3", "S-1234567-8", "S-12U4-5"])
def test_what_is_not_a_code_is_refused(text: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_code(text)
    assert refused.value.field == "code"


def test_a_padded_body_is_not_a_second_spelling() -> None:
    code = make_code("S", 5)
    body = code.split("-")[1]
    padded = "0" + body
    text = f"S-{padded}-{codes.check_symbol('S', padded)}"
    # A code is its text, not a number it spells: the padded body is another code,
    # which no record has, not a second way to reach ticket 5.
    assert check_code(text).text == text != code


def test_make_code_refuses_nonsense() -> None:
    with pytest.raises(ValueError):
        make_code("X", 1)
    with pytest.raises(ValueError):
        make_code("S", 0)
    with pytest.raises(ValueError):
        make_code("S", 32**6)


def test_scan_pattern_takes_printed_codes_but_not_words() -> None:
    code = make_code("P", 321)
    assert codes.SCAN_PATTERN.match(code)
    assert CODE_PATTERN.match("Parcel")  # the lenient pattern would; the check usually refuses
    for word in ("Parcel", "parcel", "S7K3MQ", "s-7k3m-q"):
        assert not codes.SCAN_PATTERN.match(word)


def test_drawn_codes_are_checked_distinct_and_not_the_same_in_every_database() -> None:
    import random

    given: set[str] = set()
    with codes.drawn_from(random.Random(7)):
        first_here = codes.draw_code("S", given.__contains__)
    with codes.drawn_from(random.Random(8)):
        first_there = codes.draw_code("S", given.__contains__)
    assert first_here != first_there  # the first ticket of two databases
    for _ticket in range(2000):
        code = codes.draw_code("P", given.__contains__)
        assert check_code(code).text == code and len(code) == len("P-12345-X")
        assert code not in given
        given.add(code)
    system = {codes.draw_code("K", lambda _code: False) for _draw in range(50)}
    assert len(system) == 50  # the desk's own source: the system's secrets


def test_a_taken_code_is_drawn_again() -> None:
    import random

    with codes.drawn_from(random.Random(3)):
        taken = codes.draw_code("S", lambda _code: False)
    with codes.drawn_from(random.Random(3)):
        again = codes.draw_code("S", lambda code: code == taken)
    assert again != taken and check_code(again).text == again


def test_a_drawn_body_with_leading_zeros_reads_back() -> None:
    code = f"L-00000-{codes.check_symbol('L', '00000')}"
    assert check_code(code).text == code
