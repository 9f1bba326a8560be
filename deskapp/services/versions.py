"""No lost update: a save made on what a form showed is refused once the record moved on.

Every editable record carries ``version`` (``models.base.version_column``), counted up
by each UPDATE. A form keeps the version it was opened with and hands it to the
service as ``seen_version``; ``check_seen`` refuses the save when the record is newer,
with what changed since and who changed it, read from the record's audit entries
(each holds the record before and after, version included). The refusal carries the
version now on file: the form keeps everything typed, and saving again, once the
operator has compared, applies it on top of the newer record.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from sqlmodel import Session, col, select

from deskapp.errors import Conflict
from deskapp.i18n import N_, _
from deskapp.models import AuditEntry, Operator
from deskapp.services.clock import as_utc

#: Changes a person did not make and need not compare (bookkeeping of every write).
UNSHOWN = frozenset({"version", "updated_at", "code", "contact_phone_tail", "next_due_at"})

#: How a changed field is named in the refusal; a field not named here shows its key.
FIELD_LABELS: dict[str, str] = {
    "subject": N_("subject"),
    "summary": N_("summary"),
    "wish": N_("wish"),
    "location": N_("place"),
    "happened_text": N_("when it happened"),
    "happened_at": N_("when it happened"),
    "about": N_("about whom"),
    "contact_name": N_("contact"),
    "contact_phone": N_("contact phone"),
    "channel": N_("channel"),
    "status": N_("status"),
    "severity": N_("severity"),
    "department": N_("department"),
    "assignee": N_("person in the department"),
    "result": N_("handling result"),
    "department_reply": N_("department reply"),
    "owner_id": N_("owner"),
    "kind": N_("kind"),
    "nature": N_("nature"),
    "complaint_subject": N_("complaint subject"),
    "paused_at": N_("paused clock"),
    "voided_reason": N_("void reason"),
}

#: The most changes a refusal lists (the newest); the card holds the whole story.
SHOWN_CHANGES = 3
_SHOWN_VALUE = 30


@dataclass(frozen=True)
class Change:
    """One saved change since the form was opened: who, when, which fields, now what."""

    at: datetime
    by: str
    fields: tuple[str, ...]
    values: tuple[tuple[str, str], ...]
    """(field, value now) for the text fields changed, shortened."""


class ChangedMeanwhile(Conflict):
    """The record changed after the form was opened; ``version`` is the one on file now."""

    def __init__(self, message: str, *, version: int, changes: list[Change],
                 field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.version = version
        self.changes = changes


def _loaded(text: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _short(value: object) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= _SHOWN_VALUE else text[: _SHOWN_VALUE - 1] + "…"


def changes_since(session: Session, *, entity: str, entity_id: int, version: int,
                  limit: int = 50) -> list[Change]:
    """The audited changes of a record that took it past ``version``, oldest first."""
    entries = session.exec(
        select(AuditEntry)
        .where(col(AuditEntry.entity) == entity, col(AuditEntry.entity_id) == str(entity_id))
        .order_by(col(AuditEntry.seq).desc())
        .limit(limit)
    ).all()
    names = _display_names(session, {e.operator_id for e in entries if e.operator_id})
    found: list[Change] = []
    for entry in entries:
        before, after = _loaded(entry.before), _loaded(entry.after)
        if int(after.get("version") or 0) <= version and version >= 0:
            break  # newest first: everything older the form had seen already
        changed = [key for key in after if key not in UNSHOWN and before.get(key) != after[key]]
        values = tuple((key, _short(after[key])) for key in changed
                       if isinstance(after[key], str) and after[key] and key in FIELD_LABELS)
        by = names.get(entry.operator_id or 0, entry.actor)
        found.append(Change(at=as_utc(entry.at), by=by, fields=tuple(changed), values=values))
    return list(reversed(found))


def latest_change(session: Session, *, entity: str, entity_id: int) -> Change | None:
    """The newest audited change of a record: who moved it last, and when."""
    found = changes_since(session, entity=entity, entity_id=entity_id, version=-1, limit=1)
    return found[-1] if found else None


def _display_names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = [i for i in ids if i]
    if not wanted:
        return {}
    rows = session.exec(select(Operator.id, Operator.display_name)
                        .where(col(Operator.id).in_(wanted))).all()
    return {int(person_id): name for person_id, name in rows if person_id is not None}


def field_label(key: str) -> str:
    return _(FIELD_LABELS[key]) if key in FIELD_LABELS else key


def describe(change: Change, zone: tzinfo) -> str:
    """``王芳 at 10:32: summary “…”, place “…”`` in the desk's language."""
    shown = dict(change.values)
    parts = [f"{field_label(key)} “{shown[key]}”" if key in shown else field_label(key)
             for key in change.fields if key in FIELD_LABELS]  # bookkeeping keys unsaid
    what = _(", ").join(parts) if parts else _("its details")
    return _("{who} at {time}: {what}").format(
        who=change.by, time=change.at.astimezone(zone).strftime("%H:%M"), what=what)


def check_seen(session: Session, record: Any, *, seen_version: int | None, entity: str,
               name: str, zone: tzinfo) -> None:
    """Refuse a save made on ``seen_version`` when ``record`` has moved on since.

    ``record`` is the row as locked for the save; ``name`` is what the desk calls it
    (a request's number). ``None`` means the caller showed no form (the CLI, a rule).
    """
    if seen_version is None or record.version == seen_version:
        return
    changes = changes_since(session, entity=entity, entity_id=record.id, version=seen_version)
    shown = "; ".join(describe(change, zone) for change in changes[-SHOWN_CHANGES:])
    if len(changes) > SHOWN_CHANGES:
        shown = _("{count} changes, the last: {changes}").format(count=len(changes),
                                                                 changes=shown)
    raise ChangedMeanwhile(
        _("{name} was changed while you were typing ({changes}). Nothing of yours was "
          "saved, and your text is still in the form: compare it with the card, then "
          "ctrl+s saves what you changed over theirs.").format(
              name=name, changes=shown or _("by another desk")),
        version=int(record.version), changes=changes, field=None,
    )
