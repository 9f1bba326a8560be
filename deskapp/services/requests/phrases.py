"""The standard phrases (规范用语) an operator says on a call, by stable key.

The intake form shows the one for the moment of the call (``Phrase.ASK_NAME``
once the unit is known, ``Phrase.REGISTERED`` after saving) and ctrl+r steps
through all of them in this order. Screens name a phrase by its key, never by
its position, so adding or reordering phrases here changes no screen.
"""

from __future__ import annotations

from enum import StrEnum

from deskapp.i18n import N_, _


class Phrase(StrEnum):
    HELLO = "hello"
    GREETING = "greeting"
    ASK_UNIT = "ask_unit"
    ASK_NAME = "ask_name"
    REPEAT = "repeat"
    REGISTERED = "registered"
    PROMISE = "promise"
    APOLOGY = "apology"
    PLEASE_WAIT = "please_wait"
    ANYTHING_ELSE = "anything_else"
    GOODBYE = "goodbye"


STANDARD_PHRASES: dict[Phrase, str] = {
    Phrase.HELLO: N_("Hello, how can we help you?"),
    Phrase.GREETING: N_("Hello, this is the property service center. How can we help you?"),
    Phrase.ASK_UNIT: N_("May I have your building, entrance and room number?"),
    Phrase.ASK_NAME: N_("May I have your name and a phone number where we can reach you?"),
    Phrase.REPEAT: N_("Let me repeat what you said to make sure I have it right."),
    Phrase.REGISTERED: N_("We have registered your request; the number is {number}."),
    Phrase.PROMISE: N_("We will send someone and get back to you within 24 hours."),
    Phrase.APOLOGY: N_("I am sorry for the trouble this has caused you."),
    Phrase.PLEASE_WAIT: N_("Please wait a moment, I will check for you."),
    Phrase.ANYTHING_ELSE: N_("Thank you for your call. Is there anything else we can do for you?"),
    Phrase.GOODBYE: N_("Thank you for your understanding and support. Goodbye."),
}
"""Every phrase (msgids, translated when shown), in the order ctrl+r goes through them."""

_ORDER = list(STANDARD_PHRASES)


def phrase_text(key: Phrase, *, number: str = "") -> str:
    """The phrase in the desk's language; ``{number}`` is the request's number (or …)."""
    return _(STANDARD_PHRASES[key]).format(number=number or "…")


def position(key: Phrase) -> int:
    """1 for the first phrase, as the hint counts them (``3/11``)."""
    return _ORDER.index(key) + 1


def following(key: Phrase) -> Phrase:
    """The phrase after ``key``, the first again after the last."""
    return _ORDER[position(key) % len(_ORDER)]
