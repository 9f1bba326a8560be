"""The desk's one text policy (services/text.py): what every ledger keeps and prints."""

from __future__ import annotations

import pytest

from deskapp.errors import InvalidInput
from deskapp.services import text
from deskapp.services.custody import checks as custody_checks
from deskapp.services.requests import checks


def _refusal(value: str, **options: object) -> InvalidInput:
    values: dict[str, object] = {"field": "description", "label": "the description",
                                 "max_length": 500}
    values.update(options)
    with pytest.raises(InvalidInput) as refused:
        text.clean_text(value, **values)  # type: ignore[arg-type]
    return refused.value


def test_every_ledger_checks_its_text_with_the_one_policy() -> None:
    assert custody_checks.clean_text is text.clean_text
    assert checks.clean_text is text.clean_text


def test_exactly_the_limit_is_kept_whole() -> None:
    assert text.clean_text("漏" * 500, field="description", label="the description",
                           max_length=500) == "漏" * 500


def test_one_character_more_is_refused_with_the_field_and_the_limit() -> None:
    refused = _refusal("漏" * 501)
    assert refused.field == "description"
    assert refused.message == ("The description: at most 500 characters, this one has 501. "
                               "Shorten it.")


def test_the_limit_counts_the_text_as_kept_trimmed_and_with_single_spaces() -> None:
    assert text.clean_text("  a" + " " * 5 + "b  ", field="f", label="f", max_length=3) == "a b"
    assert text.clean_text("王\u3000芳", field="f", label="f", max_length=3) == "王 芳"


@pytest.mark.parametrize(
    "value", ["行李箱😀", "👍🏻", "🇨🇳", "热☀", "好的✅", "家\u200d人", "❤\ufe0f"]
)
def test_emoji_are_refused_naming_the_field(value: str) -> None:
    refused = _refusal(value)
    assert refused.field == "description"
    assert refused.message == "The description: emoji cannot be printed; describe it in words."


@pytest.mark.parametrize("value", [
    "abc\u202egnp.exe",  # right-to-left override
    "王\u200b芳",  # zero-width space
    "a\u2066b",  # left-to-right isolate
    "行李\x07箱",  # bell
    "a\x1b[31mb",  # terminal escape
    "a\u2028b",  # line separator
    "a\ue000b",  # private use
])
def test_control_and_invisible_formatting_characters_are_refused(value: str) -> None:
    refused = _refusal(value, multiline=True)
    assert refused.field == "description"
    assert refused.message.startswith("The description: contains control or invisible")


def test_only_a_multiline_field_takes_line_breaks_and_tabs() -> None:
    assert text.clean_text("第一行\r\n\t第二行", field="f", label="f", max_length=50,
                           multiline=True) == "第一行\n\t第二行"
    for value in ("第一行\n第二行", "甲\t乙"):
        assert "control" in _refusal(value).message


def test_desk_symbols_and_rare_characters_of_names_are_kept() -> None:
    kept = "★紧急 ※ 王喆𠮷"
    assert text.clean_text(kept, field="f", label="f", max_length=50) == kept


def test_a_required_field_left_empty_is_refused_by_name() -> None:
    refused = _refusal("   ", required=True, label="who may collect", field="may_collect")
    assert (refused.field, refused.message) == ("may_collect", "Who may collect: fill this in.")


def test_check_length_refuses_instead_of_cutting() -> None:
    assert text.check_length("x" * 500, field="note", label="the note", max_length=500)
    with pytest.raises(InvalidInput) as refused:
        text.check_length("x" * 501, field="note", label="the note", max_length=500)
    assert refused.value.message == (
        "The note: at most 500 characters, this one has 501. Shorten it.")
