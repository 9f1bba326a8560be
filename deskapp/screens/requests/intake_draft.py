"""What the operator has typed on the intake form, kept outside the widgets.

A language switch (F12) recomposes the screen and a refused save must lose
nothing, so the form is read into an :class:`IntakeDraft` before anything that
rebuilds it and composed back from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from deskapp.models.requests import Channel, RequestKind
from deskapp.widgets.unit_picker import PickedUnit

DEFAULT_KIND = RequestKind.REPAIR.value
"""The commonest call at a residential desk is a repair (报修); a complaint is one key away."""

DEFAULT_CHANNEL = Channel.PHONE.value

TEXT_FIELDS = ("unit_text", "name", "phone", "subject", "summary", "wish", "location",
               "happened_text", "about")


@dataclass
class IntakeDraft:
    unit_text: str = ""
    picked: PickedUnit | None = None
    caller: str = ""
    """The chosen resident's id as text, or "" (someone else / not said)."""
    name: str = ""
    phone: str = ""
    autofilled_name: str = ""
    autofilled_phone: str = ""
    """Name and phone as filled from the directory, so a new pick may replace them."""
    kind: str = DEFAULT_KIND
    channel: str = DEFAULT_CHANNEL
    nature: str = ""
    complaint_subject: str = ""
    subject: str = ""
    summary: str = ""
    wish: str = ""
    location: str = ""
    happened_text: str = ""
    about: str = ""
    collective_people: str = ""

    def has_typing(self) -> bool:
        """Something the operator would not want cleared without being asked."""
        typed = any(getattr(self, name).strip() for name in TEXT_FIELDS)
        return typed or self.picked is not None or self.collective_people.strip() not in {"", "1"}

    def copy(self) -> IntakeDraft:
        return IntakeDraft(**{item.name: getattr(self, item.name) for item in fields(self)})

    def to_json(self) -> dict[str, Any]:
        """Plain values, for ``deskapp.recovery`` to keep through a crash."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IntakeDraft:
        """A draft kept by ``to_json``; unknown or malformed values are left out."""
        names = {item.name for item in fields(cls)}
        values = {key: value for key, value in data.items() if key in names}
        picked = values.pop("picked", None)
        draft = cls()
        for key, value in values.items():
            if isinstance(value, str):
                setattr(draft, key, value)
        if isinstance(picked, dict):
            try:
                draft.picked = PickedUnit(**picked)
            except TypeError:
                draft.picked = None
        return draft
