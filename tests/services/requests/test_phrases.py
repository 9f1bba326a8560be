"""The standard phrases (规范用语) are named by key, so a screen never depends on their order."""

from __future__ import annotations

from deskapp import i18n
from deskapp.services.requests import phrases
from deskapp.services.requests.phrases import Phrase


def test_every_key_has_its_phrase_and_ctrl_r_goes_through_all_of_them() -> None:
    assert set(phrases.STANDARD_PHRASES) == set(Phrase)
    seen, key = [], Phrase.HELLO
    for _ in Phrase:
        seen.append(key)
        key = phrases.following(key)
    assert key == Phrase.HELLO and set(seen) == set(Phrase)
    assert [phrases.position(key) for key in seen] == list(range(1, len(Phrase) + 1))


def test_the_moments_of_a_call_name_their_phrase() -> None:
    assert phrases.phrase_text(Phrase.ASK_UNIT) == (
        "May I have your building, entrance and room number?")
    assert phrases.phrase_text(Phrase.REGISTERED, number="R-2611-0001").endswith(
        "the number is R-2611-0001.")
    assert phrases.phrase_text(Phrase.REGISTERED).endswith("the number is ….")


def test_phrases_are_said_in_the_desk_language() -> None:
    i18n.set_language("zh_CN")
    assert phrases.phrase_text(Phrase.HELLO) != "Hello, how can we help you?"
