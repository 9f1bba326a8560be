"""Loading a request for a change, writing the lines of its timeline, and saying them.

Shared by every module of the requests ledger (lifecycle, severity, deadlines,
work orders, revisits), so each step writes its event the same way.

The system's own words on a timeline line or an escalation are stored as *facts*
(``RequestEvent.facts``, ``Escalation.facts``: JSON in a Text column), not as a
phrase in the writer's language, and ``describe`` / ``escalation_reason`` say them
in the reader's language. A fact is one of:

- a ``str``: text as an operator typed it (or a name, a number), shown as is;
- an ``int``: a count, shown as digits;
- ``Label(kind, value)``: a stored code (``department``/``engineering``), said by
  ``labels.py`` (``LABEL_KINDS``);
- ``Message(key, args)``: a message by stable key (``MESSAGES``, its ``N_`` msgid)
  filled with facts;
- ``Joined(items, sep)``: facts one after the other (``"; "``, ``" · "``).

``details`` / ``reason`` keep the same words in English (or the typed text), for
the CSV export and for readers of the row that know nothing of facts. A row
without facts (typed text only, or written before 0005) is shown from them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeAlias

from sqlmodel import Session, select

from deskapp.errors import InvalidInput, NotFound
from deskapp.i18n import N_, _
from deskapp.models import Operator
from deskapp.models.requests import Escalation, EventKind, RequestEvent, ServiceRequest
from deskapp.services import audit
from deskapp.services.acting import Acting
from deskapp.services.requests import labels

# --- facts ----------------------------------------------------------------------------

MESSAGES: dict[str, str] = {
    # escalations and severity (rules.py, deadlines.py)
    "escalated": N_("To the {level}: {reason}"),
    "overdue": N_("Overdue: {deadline}"),
    "severity_changed": N_("{before} → {after}: {reason}"),
    "finding.exposure_actual": N_("Lawsuit or media exposure"),
    "finding.exposure_risk": N_("Could lead to lawsuit or media"),
    "finding.collective": N_("Collective complaint of {count} people"),
    "finding.same_subject": N_(
        "{count} different residents complained about {subject} within {days} days"),
    "finding.unresolved_fault": N_("Unresolved {days} days after receipt through our fault"),
    "finding.unresolved": N_("Unresolved {days} days after receipt"),
    "finding.repeat": N_("Complained again after {number} was closed"),
    "finding.outside_help": N_("Needs outside help"),
    "reopened_after_close": N_("Complained again after it was closed"),
    # the clock (deadlines.py)
    "clock_resumed": N_("Paused for {minutes} min; deadlines moved by as much."),
    # lifecycle and revisits
    "handed_over": N_("{before} → {after}: {reason}"),
    "with_detail": N_("{what}: {detail}"),
    "revisit_unsatisfied": N_("Unsatisfied at the revisit: {remarks}"),
    # work orders (workorders.py)
    "work_order.opened": N_("Work order: {task} ({location})"),
    "work_order.cost_agreed": N_("Material cost agreed: {amount} yuan"),
    "work_order.arrived": N_("Technician arrived"),
    "work_order.started": N_("Work started"),
    "work_order.completed": N_("Work completed: {result}"),
    "work_order.confirmed": N_("Confirmed by {name}"),
    "work_order.confirmed_rated": N_("Confirmed by {name} ({rating}/5)"),
    "work_order.cancelled": N_("Work order cancelled: {reason}"),
}
"""Every message of the system on a timeline, by stable key (the key is what is stored;
the English wording may change without touching a row)."""

LABEL_KINDS: dict[str, dict[str, str]] = {
    "channel": labels.CHANNEL_LABELS,
    "kind": labels.KIND_LABELS,
    "nature": labels.NATURE_LABELS,
    "subject": labels.SUBJECT_LABELS,
    "severity": labels.SEVERITY_LABELS,
    "exposure": labels.EXPOSURE_LABELS,
    "status": labels.STATUS_LABELS,
    "department": labels.DEPARTMENT_LABELS,
    "event": labels.EVENT_LABELS,
    "deadline": labels.DEADLINE_LABELS,
    "escalation": labels.ESCALATION_LABELS,
    "location": labels.LOCATION_LABELS,
    "work_order_status": labels.WORK_ORDER_STATUS_LABELS,
    "revisit_result": labels.REVISIT_RESULT_LABELS,
    "instruction": labels.INSTRUCTION_LABELS,
}
"""The label mappings a ``Label`` names (by a stable name, not the mapping's)."""


@dataclass(frozen=True)
class Label:
    """A stored code said in the reader's words: ``Label("department", "engineering")``."""

    kind: str
    value: str


@dataclass(frozen=True)
class Message:
    """A message of ``MESSAGES`` by key, its placeholders filled with facts."""

    key: str
    args: Mapping[str, Fact] = field(default_factory=dict)


@dataclass(frozen=True)
class Joined:
    """Facts said one after the other, with ``sep`` between them."""

    items: tuple[Fact, ...]
    sep: str


Fact: TypeAlias = str | int | Label | Message | Joined


def message(key: str, **args: Fact) -> Message:
    """``message("escalated", level=Label("escalation", "manager"), reason=...)``."""
    if key not in MESSAGES:
        raise KeyError(f"no timeline message {key!r}")
    return Message(key, dict(args))


def joined(items: list[Fact], sep: str) -> Fact:
    """One fact for several (the only one as it is, ``""`` for none)."""
    kept = [item for item in items if item != ""]
    if not kept:
        return ""
    return kept[0] if len(kept) == 1 else Joined(tuple(kept), sep)


def _english(msgid: str) -> str:
    return msgid  # the source strings are English


def render(fact: Fact, translate: Callable[[str], str] = _) -> str:
    """The fact as text: typed text exactly as typed, the system's words through
    ``translate`` (the current language by default)."""
    if isinstance(fact, str):
        return fact
    if isinstance(fact, int):
        return str(fact)
    if isinstance(fact, Label):
        msgid = LABEL_KINDS.get(fact.kind, {}).get(fact.value)
        return translate(msgid) if msgid else fact.value
    if isinstance(fact, Joined):
        return fact.sep.join(render(item, translate) for item in fact.items)
    msgid = MESSAGES[fact.key]
    values = {name: render(value, translate) for name, value in fact.args.items()}
    try:
        return translate(msgid).format(**values)
    except (KeyError, IndexError, ValueError):  # a translation that lost its placeholders
        return msgid.format(**values)


def english(fact: Fact) -> str:
    """The fact in English: what ``details`` and ``Escalation.reason`` keep."""
    return render(fact, _english)


def _encode(fact: Fact) -> Any:
    if isinstance(fact, str | int):
        return fact
    if isinstance(fact, Label):
        return {"label": fact.kind, "value": fact.value}
    if isinstance(fact, Joined):
        return {"join": [_encode(item) for item in fact.items], "sep": fact.sep}
    return {"key": fact.key, "args": {name: _encode(value) for name, value in fact.args.items()}}


def _decode(data: Any) -> Fact:
    if isinstance(data, str) or (isinstance(data, int) and not isinstance(data, bool)):
        return data
    if isinstance(data, dict):
        if set(data) == {"label", "value"}:
            return Label(str(data["label"]), str(data["value"]))
        if set(data) == {"join", "sep"} and isinstance(data["join"], list):
            return Joined(tuple(_decode(item) for item in data["join"]), str(data["sep"]))
        if set(data) == {"key", "args"} and isinstance(data["args"], dict):
            if data["key"] not in MESSAGES:
                raise ValueError(f"unknown timeline message {data['key']!r}")
            return Message(str(data["key"]),
                           {str(name): _decode(value) for name, value in data["args"].items()})
    raise ValueError(f"not a timeline fact: {data!r}")


def dumps(fact: Fact) -> str:
    """The fact as stored (JSON, text kept as typed: no ASCII escapes)."""
    return json.dumps(_encode(fact), ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> Fact:
    """The stored fact; ``ValueError`` when it is not one (a key this version lacks)."""
    return _decode(json.loads(text))


def _stored(fact: Fact) -> str | None:
    """What the ``facts`` column keeps: nothing for plain typed text."""
    return None if isinstance(fact, str) else dumps(fact)


def _said(facts: str | None, fallback: str) -> str:
    if not facts:
        return fallback
    try:
        return render(loads(facts))
    except ValueError:  # written by a newer deskapp, or damaged: the stored words
        return fallback


def describe(event: RequestEvent) -> str:
    """The event's details in the reader's language (typed text exactly as typed)."""
    return _said(event.facts, event.details)


def escalation_reason(escalation: Escalation) -> str:
    """Why the request was escalated, in the reader's language."""
    return _said(escalation.facts, escalation.reason)


def escalation_fact(escalation: Escalation) -> Fact:
    """The escalation's reason as a fact (its stored words when it has none)."""
    if escalation.facts:
        try:
            return loads(escalation.facts)
        except ValueError:
            pass
    return escalation.reason


# --- loading and writing --------------------------------------------------------------


def get_request(
    session: Session, *, acting: Acting, request_id: int, for_update: bool = False
) -> ServiceRequest:
    """The request, locked for the change on PostgreSQL when ``for_update``.

    The lock makes two desks that act on the same request at once take turns,
    so the second sees the first one's status and is refused if its step no
    longer applies (SQLite's single writer gives the same result).
    """
    site_id = acting.site_id
    query = select(ServiceRequest).where(
        ServiceRequest.id == request_id, ServiceRequest.site_id == site_id
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    request = session.exec(query).first()
    if request is None:
        raise NotFound(_("This request does not exist."), field="request")
    return request


def require_actor(actor: Operator | None) -> Operator:
    """Request steps are always somebody's (first-responder rule): no anonymous changes."""
    if actor is None or actor.id is None:
        raise InvalidInput(_("Sign in first: every step of a request is signed by an operator."))
    return actor


def add_event(
    session: Session,
    request: ServiceRequest,
    *,
    now: datetime,
    actor: Operator | None,
    kind: EventKind,
    details: Fact = "",
    from_status: str | None = None,
    to_status: str | None = None,
) -> RequestEvent:
    """One line of the timeline; ``details`` typed text or the system's words as facts."""
    assert request.id is not None, "the request was flushed"
    event = RequestEvent(
        site_id=request.site_id,
        request_id=request.id,
        at=now,
        operator_id=actor.id if actor else None,
        kind=kind.value,
        from_status=from_status,
        to_status=to_status,
        details=english(details),
        facts=_stored(details),
    )
    session.add(event)
    return event


def audit_request(
    session: Session,
    request: ServiceRequest,
    *,
    action: str,
    now: datetime,
    actor: Operator | None,
    before: dict[str, Any] | None = None,
    extra: dict[str, Any] | None = None,
) -> None:
    """The audit entry of a request step; ``code`` carries the number the desk reads out."""
    after = audit.snapshot(request) | {"code": request.number} | (extra or {})
    audit.record(
        session, now=now, actor=actor, action=action, entity="request",
        entity_id=request.id, site_id=request.site_id, before=before, after=after,
    )
