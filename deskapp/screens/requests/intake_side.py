"""What the intake form shows beside itself: the unit's people, open requests and
standing instructions, and the standard phrase (规范用语) for the moment of the call.

Both are read-only panels; the operator never tabs into them (they are not
focusable), so Enter and Tab stay on the form.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from deskapp.formatting import format_duration
from deskapp.i18n import _
from deskapp.models import Resident
from deskapp.services import directory
from deskapp.services.privacy import mask_phone
from deskapp.services.requests.labels import (
    INSTRUCTION_LABELS,
    KIND_LABELS,
    STATUS_LABELS,
    label,
)
from deskapp.services.requests.phrases import (
    STANDARD_PHRASES,
    Phrase,
    following,
    phrase_text,
    position,
)
from deskapp.services.requests.views import UnitContext

CALLER_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9")
"""People of the unit are numbered with these keys, in the panel and in the caller choice."""


RELATION_ORDER = {"owner": 0, "tenant": 1, "household": 2}


def ordered_people(residents: Sequence[Resident]) -> list[Resident]:
    """Owners first, then tenants, then household: the likeliest caller gets key 1."""
    return sorted(residents, key=lambda person: (RELATION_ORDER.get(person.relation, 9),
                                                 person.name))


class SidePanel(VerticalScroll, can_focus=False):
    """A scrolling column the focus chain skips."""


def unit_lines(context: UnitContext, *, now: datetime) -> Content:
    """The unit panel: people (masked phones), open requests with age, instructions."""
    parts: list[Content] = [
        Content.from_markup("[b]$title[/b]", title=_("Unit {code}").format(code=context.unit.code)),
        Content.from_markup("[b]$title[/b]", title=_("People")),
    ]
    if not context.residents:
        parts.append(Content(_("Nobody is listed in this unit.")))
    for key, resident in zip(CALLER_KEYS, ordered_people(context.residents), strict=False):
        phone = mask_phone(resident.phone) if resident.phone else ""
        parts.append(Content.from_markup(
            " [b]$key[/b] $name  [dim]$relation[/dim]  $phone", key=key, name=resident.name,
            relation=directory.relation_label(resident.relation), phone=phone,
        ))
    parts.append(Content.from_markup(
        "[b]$title[/b]", title=_("Open requests ({count})").format(
            count=len(context.open_requests)),
    ))
    if not context.open_requests:
        parts.append(Content(_("None.")))
    for row in context.open_requests:
        age = format_duration(now - row.received_at)
        line = Content.from_markup(
            " $number  $kind · $status · $age", number=row.number,
            kind=label(KIND_LABELS, row.kind), status=label(STATUS_LABELS, row.status), age=age,
        )
        if row.overdue:
            line = line + Content.from_markup("  [$error]⚠ $word[/]", word=_("overdue"))
        parts.append(line)
        if row.subject:
            parts.append(Content.from_markup("   [dim]$subject[/dim]", subject=row.subject))
    parts.append(Content.from_markup("[b]$title[/b]", title=_("Standing instructions")))
    if not context.instructions:
        parts.append(Content(_("None.")))
    for instruction in context.instructions:
        parts.append(Content.from_markup(
            " [$warning]![/] $kind  [dim]$until[/dim]",
            kind=label(INSTRUCTION_LABELS, instruction.kind),
            until=_("until {day}").format(day=instruction.expires_on),
        ))
        if instruction.text:
            parts.append(Content.from_markup("   $text", text=instruction.text))
    return Content("\n").join(parts)


def visitor_lines() -> Content:
    return Content.from_markup(
        "[b]$title[/b]\n$hint", title=_("Visitor without a unit"),
        hint=_("Ask for a name and a phone number; both are needed."),
    )


def empty_lines() -> Content:
    return Content(_("Type a room (3-2-12…), a name or the last 4 digits of a phone, "
                     "then Enter. Enter on an empty field: a visitor without a unit."))


class PhraseHint(Static):
    """One standard phrase at a time: the one for the moment, or the next with ctrl+r."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.key = Phrase.HELLO
        self.number = ""

    def show_phrase(self, key: Phrase, *, number: str = "") -> None:
        self.key = key
        if number:
            self.number = number
        self.update(Content.from_markup(
            "[b]$title[/b] [dim]($place/$count · ctrl+r)[/dim]\n$phrase",
            title=_("Say:"), place=str(position(key)), count=str(len(STANDARD_PHRASES)),
            phrase=phrase_text(key, number=self.number),
        ))

    def next_phrase(self) -> None:
        self.show_phrase(following(self.key))
