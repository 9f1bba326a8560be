"""Handovers (交接班): assembled from the ledgers, settled item by item, counted,
signed by both operators with their own PINs, sealed, reviewed.

The life of a handover, all in the database so that a crash, a switch of
operator or a quit loses nothing and it resumes where it stopped:

1. ``start``: the outgoing operator opens it; the assembly fills its items (each
   with its default watch level and the ledger's deadline as the next action's
   time) and the public items to count. One handover at a time is open per site.
2. The outgoing operator settles each item (``settle_item``): the watch level, the
   next action, and a contingency for watch and urgent items. The incoming
   operator is named (``name_incoming``), takes each item (``take_item``; routine
   ones a group at a time, ``accept_routine``) or refuses it with a reason, and
   counts the public items (``count``); the outgoing operator explains every
   difference (``explain``).
3. ``blockers`` says in words what stops the seal. An urgent item still open in
   its ledger blocks it until it is done or a supervisor accepts carrying it
   (``carry_urgent``, with a reason and the supervisor's PIN).
4. ``sign``: each operator with their own PIN, two different people. Any change
   after a signature takes the signatures back. The second signature seals it:
   read-only through every function here, its content hashed into the audit chain
   (``verify_seals`` proves it unchanged); a correction is an ``add_addendum``.
5. A supervisor settles the refused items (``settle_refused``) and reviews the
   day's handovers with remarks (``review_day``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from deskapp.config import Settings
from deskapp.errors import AuthError, Conflict, InvalidInput, NotFound
from deskapp.formatting import desk_zone, format_when
from deskapp.i18n import N_, _
from deskapp.models import AuditEntry, Operator, Role
from deskapp.models.handover import (
    Handover,
    HandoverAddendum,
    HandoverCount,
    HandoverItem,
    HandoverState,
    ItemDecision,
    Shift,
    WatchLevel,
)
from deskapp.services import audit, operators
from deskapp.services.acting import Acting, acting_operator
from deskapp.services.clock import as_utc
from deskapp.services.handover import assembly, shifts
from deskapp.services.text import clean_text
from deskapp.services.workcalendar import WorkCalendar

audit.register_action_labels({
    "handover.start": N_("Handover started"),
    "handover.item": N_("Handover item settled"),
    "handover.incoming": N_("Incoming operator named"),
    "handover.take": N_("Handover item taken"),
    "handover.count": N_("Public items counted"),
    "handover.explain": N_("Count difference explained"),
    "handover.carry": N_("Urgent item carried by a supervisor"),
    "handover.sign": N_("Handover signed"),
    "handover.seal": N_("Handover sealed"),
    "handover.addendum": N_("Addendum to a sealed handover"),
    "handover.settle": N_("Refused handover item settled"),
    "handover.review": N_("Handovers reviewed"),
})

ENTITY = "handover"
MAX_ACTION = 200
MAX_LINE = 500
"""A contingency, a reason, an explanation, a remark: a line or two."""
MAX_ADDENDUM = 2000
MAX_COUNT = 100_000
SUPERVISORS = (Role.SUPERVISOR.value, Role.MANAGER.value)
LEVEL_ORDER = {WatchLevel.URGENT.value: 0, WatchLevel.WATCH.value: 1,
               WatchLevel.ROUTINE.value: 2}
"""The handover reads urgent first, then watch, then routine (ux.md)."""


class Side:
    OUTGOING = "outgoing"
    INCOMING = "incoming"


@dataclass(frozen=True)
class PublicItem:
    name: str
    expected: int


def public_items(settings: Settings) -> list[PublicItem]:
    """The checklist of public items (公物) from the ``public_items`` setting."""
    found = []
    for entry in settings.public_items:
        name, _sep, expected = entry.rpartition("=")
        try:
            count = int(expected)
        except ValueError:
            count = -1
        if not name.strip() or count < 0:
            raise InvalidInput(
                _("Setting public_items: {value} is not like 对讲机=4 (a name, =, a whole "
                  "number).").format(value=entry),
                field="public_items",
            )
        found.append(PublicItem(name.strip(), count))
    return found


# --- reading -----------------------------------------------------------------------


def open_handover(session: Session, *, acting: Acting) -> Handover | None:
    """The handover open at this site, if any (there is at most one)."""
    site_id = acting.site_id
    return session.exec(
        select(Handover).where(Handover.site_id == site_id,
                               Handover.state == HandoverState.OPEN.value)
    ).first()


def get_handover(session: Session, *, acting: Acting, handover_id: int) -> Handover:
    site_id = acting.site_id
    handover = session.get(Handover, handover_id)
    if handover is None or handover.site_id != site_id:
        raise NotFound(_("No handover has the number {number}.").format(number=handover_id))
    return handover


def next_action_of(item: HandoverItem, actions: dict[str, str] | None = None) -> str:
    """The item's next action: as typed, or its group's default in the reader's language
    (``actions``: ``assembly.group_actions()``, read once for many items)."""
    if item.next_action:
        return item.next_action
    return (actions if actions is not None else assembly.group_actions()).get(
        item.group, _("Follow up"))


def items_of(session: Session, handover_id: int) -> list[HandoverItem]:
    """The carried items as the handover reads them: urgent, watch, routine; then by
    the ledgers' order."""
    items = session.exec(
        select(HandoverItem).where(HandoverItem.handover_id == handover_id)
        .order_by(col(HandoverItem.position))
    ).all()
    return sorted(items, key=lambda item: (LEVEL_ORDER.get(item.level, 3), item.position))


def counts_of(session: Session, handover_id: int) -> list[HandoverCount]:
    return list(session.exec(
        select(HandoverCount).where(HandoverCount.handover_id == handover_id)
        .order_by(col(HandoverCount.position))
    ).all())


def addenda_of(session: Session, handover_id: int) -> list[HandoverAddendum]:
    return list(session.exec(
        select(HandoverAddendum).where(HandoverAddendum.handover_id == handover_id)
        .order_by(col(HandoverAddendum.at), col(HandoverAddendum.id))
    ).all())


# --- starting ----------------------------------------------------------------------


def start(
    session: Session, *, acting: Acting, now: datetime, settings: Settings,
) -> Handover:
    """Open the handover of the shift running at ``now``, assembled from live data."""
    site_id = acting.site_id
    actor = acting_operator(acting)
    existing = open_handover(session, acting=acting)
    if existing is not None:
        raise _already_open(session, existing, settings, now)
    checklist = public_items(settings)
    shift = shifts.join_current(session, acting=acting, operator=actor, now=now,
                                settings=settings)
    assert shift.id is not None and actor.id is not None
    done = session.exec(select(Handover).where(
        Handover.site_id == site_id, Handover.shift_id == shift.id,
        Handover.outgoing_id == actor.id, Handover.state == HandoverState.SEALED.value)).first()
    if done is not None:
        raise Conflict(_("You handed this shift over already (handover {number}, sealed "
                         "{time}): add an addendum to it instead.").format(
            number=done.id, time=format_when(as_utc(done.sealed_at or now), as_utc(now),
                                             desk_zone(settings.timezone))))
    window = assembly.window_at(session, acting=acting, now=now, settings=settings,
                                outgoing=[actor.id])
    handover = Handover(site_id=site_id, shift_id=shift.id, outgoing_id=actor.id,
                        started_at=as_utc(now), open_key=site_id, created_at=as_utc(now))
    try:
        with session.begin_nested():
            session.add(handover)
    except IntegrityError:  # another desk opened one a moment ago
        existing = open_handover(session, acting=acting)
        assert existing is not None
        raise _already_open(session, existing, settings, now) from None
    assert handover.id is not None
    position = 0
    for group in assembly.assemble(session, window):
        for carried in group.items:
            position += 1
            session.add(HandoverItem(
                handover_id=handover.id, position=position, group=group.group,
                record_kind=carried.record_kind, record_id=carried.record_id,
                reference=carried.reference, unit_code=carried.unit_code, what=carried.what,
                since=as_utc(carried.since),
                deadline=as_utc(carried.deadline) if carried.deadline else None,
                last_step=carried.last_step[:200], level=carried.level.value,
                floor_level=(WatchLevel.URGENT if carried.level is WatchLevel.URGENT
                             else WatchLevel.ROUTINE).value,
                next_at=as_utc(carried.deadline) if carried.deadline else None,
            ))
    for index, item in enumerate(checklist, start=1):
        session.add(HandoverCount(handover_id=handover.id, position=index, name=item.name[:64],
                                  expected=item.expected))
    audit.record(session, now=now, actor=actor, action="handover.start", entity=ENTITY,
                 entity_id=handover.id, site_id=site_id,
                 after={"shift_id": shift.id, "items": position, "counts": len(checklist)})
    return handover


def _already_open(
    session: Session, existing: Handover, settings: Settings, now: datetime
) -> Conflict:
    outgoing = session.get(Operator, existing.outgoing_id)
    return Conflict(
        _("A handover is already open: started by {name} {time}. Open it with F7 and "
          "go on from where it stopped.").format(
            name=outgoing.display_name if outgoing else "?",
            time=format_when(as_utc(existing.started_at), as_utc(now),
                             desk_zone(settings.timezone))),
    )


# --- changing an open handover -----------------------------------------------------


def _open_for_change(session: Session, *, site_id: int, handover_id: int) -> Handover:
    handover = get_handover(session, acting=Acting(site_id), handover_id=handover_id)
    if handover.state != HandoverState.OPEN.value:
        raise Conflict(_("This handover is sealed and cannot change: add an addendum "
                         "instead."))
    return handover


def _changed(handover: Handover) -> None:
    """What both signed has changed: the signatures are taken back."""
    handover.outgoing_signed_at = None
    handover.incoming_signed_at = None


def _item(session: Session, handover: Handover, item_id: int) -> HandoverItem:
    item = session.get(HandoverItem, item_id)
    if item is None or item.handover_id != handover.id:
        raise NotFound(_("That item is not in this handover."))
    return item


def _count(session: Session, handover: Handover, count_id: int) -> HandoverCount:
    found = session.get(HandoverCount, count_id)
    if found is None or found.handover_id != handover.id:
        raise NotFound(_("That public item is not in this handover."))
    return found


def _require(actor: Operator, operator_id: int | None, side: str) -> None:
    if actor.id is None or actor.id != operator_id:
        raise AuthError(_("Only the outgoing operator does this.") if side == Side.OUTGOING
                        else _("Only the incoming operator does this."))


def settle_item(
    session: Session, *, acting: Acting, handover_id: int, item_id: int,
    now: datetime, level: str, next_action: str, next_at: datetime | None, contingency: str,
) -> HandoverItem:
    """The outgoing operator's watch level, next action (and its time) and contingency.

    A change to an item the incoming operator had taken puts it back to be taken again.
    """
    site_id = acting.site_id
    actor = acting_operator(acting)
    handover = _open_for_change(session, site_id=site_id, handover_id=handover_id)
    _require(actor, handover.outgoing_id, Side.OUTGOING)
    item = _item(session, handover, item_id)
    if level not in LEVEL_ORDER:
        raise InvalidInput(_("Choose routine, watch or urgent."), field="level")
    if LEVEL_ORDER[level] > LEVEL_ORDER.get(item.floor_level, 2):
        raise InvalidInput(
            _("{item} is overdue in its ledger: it is handed over as urgent (done first, "
              "or carried by a supervisor).").format(item=item.reference or item.what[:20]),
            field="level")
    action = clean_text(next_action, field="next_action", label=_("the next action"),
                        max_length=MAX_ACTION)
    if action == assembly.group_actions().get(item.group):
        action = ""  # the group's default, kept as such: each reader reads it in their words
    plan = clean_text(contingency, field="contingency", label=_("the contingency"),
                      max_length=MAX_LINE, multiline=True)
    changed = (item.level, item.next_action, item.next_at, item.contingency) != (
        level, action, as_utc(next_at) if next_at else None, plan)
    if not changed:
        return item
    item.level, item.next_action, item.contingency = level, action, plan
    item.next_at = as_utc(next_at) if next_at else None
    if item.decision != ItemDecision.PENDING.value:
        item.decision, item.decided_at, item.refusal_reason = ItemDecision.PENDING.value, None, ""
    _changed(handover)
    session.add_all([item, handover])
    audit.record(session, now=now, actor=actor, action="handover.item", entity=ENTITY,
                 entity_id=handover.id, site_id=site_id,
                 after={"item": item.reference or item.record_id, "level": level,
                        "next_action": action, "contingency": plan})
    return item


def name_incoming(
    session: Session, *, acting: Acting, handover_id: int, login: str,
    now: datetime,
) -> Operator:
    """The operator taking over: another person, active and not locked out."""
    site_id = acting.site_id
    actor = acting_operator(acting)
    handover = _open_for_change(session, site_id=site_id, handover_id=handover_id)
    incoming = operators.find_operator(session, acting=acting, login=login)
    if incoming is None:
        raise NotFound(_("No operator signs in as {login}.").format(login=login.strip()),
                       field="incoming")
    if incoming.id == handover.outgoing_id:
        raise InvalidInput(_("The incoming operator must be someone other than the "
                             "outgoing one."), field="incoming")
    if not incoming.active or operators.is_locked(incoming, now=now):
        raise AuthError(_("{name} is disabled or locked out and cannot take over.").format(
            name=incoming.display_name), field="incoming")
    if not may_take_over(incoming):
        raise AuthError(_("{name} does not work the desk and cannot take it over.").format(
            name=incoming.display_name), field="incoming")
    if handover.incoming_id != incoming.id:
        handover.incoming_id = incoming.id
        for item in session.exec(select(HandoverItem).where(
                HandoverItem.handover_id == handover.id)).all():
            if item.decision != ItemDecision.PENDING.value:  # another person's answers
                item.decision, item.decided_at, item.refusal_reason = (
                    ItemDecision.PENDING.value, None, "")
                session.add(item)
        _changed(handover)
        session.add(handover)
        audit.record(session, now=now, actor=actor, action="handover.incoming", entity=ENTITY,
                     entity_id=handover.id, site_id=site_id, after={"incoming": incoming.login})
    return incoming


def _incoming(session: Session, handover: Handover) -> Operator:
    if handover.incoming_id is None:
        raise InvalidInput(_("Name the incoming operator first."), field="incoming")
    incoming = session.get(Operator, handover.incoming_id)
    assert incoming is not None
    return incoming


def take_item(
    session: Session, *, acting: Acting, handover_id: int, item_id: int, accept: bool,
    reason: str = "", now: datetime,
) -> HandoverItem:
    """The incoming operator accepts an item, or refuses it with a reason (the refused
    item goes to the supervisor's list)."""
    site_id = acting.site_id
    handover = _open_for_change(session, site_id=site_id, handover_id=handover_id)
    incoming = _incoming(session, handover)
    item = _item(session, handover, item_id)
    why = clean_text(reason, field="reason", label=_("the reason"), max_length=MAX_LINE,
                     required=not accept)
    item.decision = ItemDecision.ACCEPTED.value if accept else ItemDecision.REFUSED.value
    item.refusal_reason = "" if accept else why
    item.decided_at = as_utc(now)
    _changed(handover)
    session.add_all([item, handover])
    audit.record(session, now=now, actor=incoming, action="handover.take", entity=ENTITY,
                 entity_id=handover.id, site_id=site_id,
                 after={"item": item.reference or item.record_id, "decision": item.decision,
                        "reason": why})
    return item


def accept_routine(
    session: Session, *, acting: Acting, handover_id: int, group: str, now: datetime,
) -> int:
    """Accept every routine item of a group still waiting (one key); watch and urgent
    items are taken one at a time. Returns how many were accepted."""
    site_id = acting.site_id
    handover = _open_for_change(session, site_id=site_id, handover_id=handover_id)
    incoming = _incoming(session, handover)
    waiting = session.exec(select(HandoverItem).where(
        HandoverItem.handover_id == handover.id, HandoverItem.group == group,
        HandoverItem.level == WatchLevel.ROUTINE.value,
        HandoverItem.decision == ItemDecision.PENDING.value)).all()
    for item in waiting:
        item.decision, item.decided_at = ItemDecision.ACCEPTED.value, as_utc(now)
        session.add(item)
    if waiting:
        _changed(handover)
        session.add(handover)
        audit.record(session, now=now, actor=incoming, action="handover.take", entity=ENTITY,
                     entity_id=handover.id, site_id=site_id,
                     after={"group": group, "accepted": len(waiting), "level": "routine"})
    return len(waiting)


def parse_count(text: str | int) -> int:
    """A count as typed: a whole number, not negative."""
    value = str(text).strip()
    if not value.isdigit() or int(value) > MAX_COUNT:
        raise InvalidInput(_("Type the number counted: a whole number, 0 or more."),
                           field="counted")
    return int(value)


def count(
    session: Session, *, acting: Acting, handover_id: int, count_id: int, counted: str | int,
    now: datetime,
) -> HandoverCount:
    """The incoming operator's count of a public item."""
    site_id = acting.site_id
    handover = _open_for_change(session, site_id=site_id, handover_id=handover_id)
    incoming = _incoming(session, handover)
    found = _count(session, handover, count_id)
    number = parse_count(counted)
    if found.counted != number:
        found.counted = number
        _changed(handover)
        session.add_all([found, handover])
        audit.record(session, now=now, actor=incoming, action="handover.count", entity=ENTITY,
                     entity_id=handover.id, site_id=site_id,
                     after={"item": found.name, "expected": found.expected, "counted": number})
    return found


def explain(
    session: Session, *, acting: Acting, handover_id: int, count_id: int, explanation: str,
    now: datetime,
) -> HandoverCount:
    """The outgoing operator's explanation of a count that differs (on the sheet)."""
    site_id = acting.site_id
    actor = acting_operator(acting)
    handover = _open_for_change(session, site_id=site_id, handover_id=handover_id)
    _require(actor, handover.outgoing_id, Side.OUTGOING)
    found = _count(session, handover, count_id)
    text = clean_text(explanation, field="explanation", label=_("the explanation"),
                      max_length=MAX_LINE, multiline=True)
    if found.explanation != text:
        found.explanation = text
        _changed(handover)
        session.add_all([found, handover])
        audit.record(session, now=now, actor=actor, action="handover.explain", entity=ENTITY,
                     entity_id=handover.id, site_id=site_id,
                     after={"item": found.name, "explanation": text})
    return found


def _confirmed(
    session: Session, *, site_id: int, login: str, pin: str, now: datetime, settings: Settings,
) -> Operator:
    """The operator whose PIN this is (a refusal, audited, otherwise)."""
    return operators.sign_in(
        session, acting=Acting(site_id), login=login, secret=pin, now=now,
        max_failures=settings.max_failed_sign_ins,
        lockout=timedelta(minutes=settings.lockout_minutes), confirming=True,
    )


def carry_urgent(
    session: Session, *, acting: Acting, handover_id: int, item_id: int, login: str, pin: str,
    reason: str, now: datetime, settings: Settings,
) -> HandoverItem:
    """A supervisor accepts carrying an unfinished urgent item, with a reason and a PIN."""
    site_id = acting.site_id
    handover = _open_for_change(session, site_id=site_id, handover_id=handover_id)
    item = _item(session, handover, item_id)
    if not may_carry(item):
        raise InvalidInput(_("Only an urgent item is carried by a supervisor."),
                           field="carry_reason")
    why = _carry_reason(reason)
    supervisor = _supervisor_confirms(session, handover=handover, login=login, pin=pin,
                                      now=now, settings=settings)
    _carry(session, handover, item, supervisor, why, now=now)
    return item


def may_carry(item: HandoverItem) -> bool:
    """Whether a supervisor may accept carrying the item: an urgent one."""
    return item.level == WatchLevel.URGENT.value


def _carry_reason(reason: str) -> str:
    return clean_text(reason, field="carry_reason", label=_("the reason"),
                      max_length=MAX_LINE, required=True)


def _supervisor_confirms(
    session: Session, *, handover: Handover, login: str, pin: str, now: datetime,
    settings: Settings,
) -> Operator:
    supervisor = _confirmed(session, site_id=handover.site_id, login=login, pin=pin, now=now,
                            settings=settings)
    if supervisor.role not in SUPERVISORS:
        raise AuthError(_("Only a supervisor or a manager accepts carrying an urgent item."),
                        field="login")
    if supervisor.id == handover.outgoing_id:
        raise AuthError(_("The outgoing operator cannot accept carrying their own urgent "
                          "item: another supervisor or a manager does."), field="login")
    return supervisor


def _carry(session: Session, handover: Handover, item: HandoverItem, supervisor: Operator,
           why: str, *, now: datetime) -> None:
    item.carried_by_id, item.carry_reason = supervisor.id, why
    _changed(handover)
    session.add_all([item, handover])
    audit.record(session, now=now, actor=supervisor, action="handover.carry", entity=ENTITY,
                 entity_id=handover.id, site_id=handover.site_id,
                 after={"item": item.reference or item.record_id, "reason": why})


def carry_all_urgent(
    session: Session, *, acting: Acting, handover_id: int, login: str, pin: str, reason: str,
    now: datetime, settings: Settings,
) -> int:
    """A supervisor accepts carrying every urgent item not done yet, with one reason and
    one PIN (each item records it). Returns how many were carried."""
    site_id = acting.site_id
    handover = _open_for_change(session, site_id=site_id, handover_id=handover_id)
    items = items_of(session, handover_id)
    still_open = _still_carried(session, handover, items, now=now, settings=settings)
    waiting = [item for item in items if may_carry(item) and item.carried_by_id is None
               and (item.record_kind, item.record_id) in still_open]
    if not waiting:
        raise InvalidInput(_("No urgent item waits for a supervisor."), field="carry_reason")
    why = _carry_reason(reason)
    supervisor = _supervisor_confirms(session, handover=handover, login=login, pin=pin,
                                      now=now, settings=settings)
    for item in waiting:
        _carry(session, handover, item, supervisor, why, now=now)
    return len(waiting)


# --- what stops the seal -----------------------------------------------------------


@dataclass(frozen=True)
class Blocker:
    """Something that stops the seal, in words, and the item or count it is about."""

    message: str
    item_id: int | None = None
    count_id: int | None = None


def blockers(
    session: Session, *, acting: Acting, handover_id: int, now: datetime, settings: Settings,
) -> list[Blocker]:
    """What stops the handover from being signed and sealed, first things first."""
    handover = get_handover(session, acting=acting, handover_id=handover_id)
    found: list[Blocker] = []
    items = items_of(session, handover_id)
    still_open = _still_carried(session, handover, items, now=now, settings=settings)
    for item in items:
        name = item.reference or item.what[:20]
        if (item.level == WatchLevel.URGENT.value and item.carried_by_id is None
                and (item.record_kind, item.record_id) in still_open):
            found.append(Blocker(_("{item} is urgent and not done: finish it first, or a "
                                   "supervisor accepts carrying it.").format(item=name),
                                 item_id=item.id))
        if item.level != WatchLevel.ROUTINE.value and not item.contingency:
            found.append(Blocker(_("{item}: a watch or urgent item needs its contingency "
                                   "(if this happens, do that).").format(item=name),
                                 item_id=item.id))
    if handover.incoming_id is None:
        found.append(Blocker(_("Name the incoming operator.")))
    else:
        waiting = [item for item in items if item.decision == ItemDecision.PENDING.value]
        if waiting:
            found.append(Blocker(
                _("{count} item(s) not yet taken by the incoming operator.").format(
                    count=len(waiting)), item_id=waiting[0].id))
    for public in counts_of(session, handover_id):
        if public.counted is None:
            found.append(Blocker(_("{name}: not counted yet.").format(name=public.name),
                                 count_id=public.id))
        elif public.counted != public.expected and not public.explanation:
            found.append(Blocker(
                _("{name}: counted {counted}, expected {expected}: the outgoing operator "
                  "explains the difference.").format(name=public.name, counted=public.counted,
                                                     expected=public.expected),
                count_id=public.id))
    return found


def _still_carried(
    session: Session, handover: Handover, items: Sequence[HandoverItem], *, now: datetime,
    settings: Settings,
) -> set[tuple[str, int]]:
    """The urgent items' records that their ledgers still carry at ``now`` (not done)."""
    if not any(item.level == WatchLevel.URGENT.value for item in items):
        return set()
    window = assembly.window_at(session, acting=Acting(handover.site_id), now=now,
                                settings=settings,
                                outgoing=[handover.outgoing_id])
    return {(carried.record_kind, carried.record_id)
            for group in assembly.assemble(session, window) for carried in group.items}


# --- signing and the seal ----------------------------------------------------------


def sign(
    session: Session, *, acting: Acting, handover_id: int, side: str, login: str, pin: str,
    now: datetime, settings: Settings,
) -> Handover:
    """One operator's signature with their own PIN; the second one seals the handover."""
    site_id = acting.site_id
    handover = _open_for_change(session, site_id=site_id, handover_id=handover_id)
    stopping = blockers(session, acting=acting, handover_id=handover_id, now=now,
                        settings=settings)
    if stopping:
        raise InvalidInput(_("Not ready to sign: {reason}").format(reason=stopping[0].message),
                           field="sign")
    signer = _confirmed(session, site_id=site_id, login=login, pin=pin, now=now,
                        settings=settings)
    expected = handover.outgoing_id if side == Side.OUTGOING else handover.incoming_id
    if signer.id != expected:
        other = session.get(Operator, expected) if expected else None
        raise AuthError(
            (_("This is {name}'s PIN; the outgoing operator {other} signs here.")
             if side == Side.OUTGOING else
             _("This is {name}'s PIN; the incoming operator {other} signs here.")).format(
                name=signer.display_name, other=other.display_name if other else "?"),
            field="login")
    if side == Side.OUTGOING:
        handover.outgoing_signed_at = as_utc(now)
    else:
        handover.incoming_signed_at = as_utc(now)
    session.add(handover)
    audit.record(session, now=now, actor=signer, action="handover.sign", entity=ENTITY,
                 entity_id=handover.id, site_id=site_id, after={"side": side})
    if handover.outgoing_signed_at and handover.incoming_signed_at:
        _seal(session, handover, signer, now=now)
    return handover


def sealed_content(session: Session, handover: Handover) -> dict[str, Any]:
    """What the seal covers: the handover, its items and its counts as both signed.

    Left out: what a supervisor adds after the seal (settling a refused item, the
    review, addenda), each audited on its own.
    """
    def when(moment: datetime | None) -> str | None:
        return as_utc(moment).isoformat() if moment else None

    return {
        "handover": {"id": handover.id, "site_id": handover.site_id,
                     "shift_id": handover.shift_id, "outgoing_id": handover.outgoing_id,
                     "incoming_id": handover.incoming_id, "started_at": when(handover.started_at),
                     "outgoing_signed_at": when(handover.outgoing_signed_at),
                     "incoming_signed_at": when(handover.incoming_signed_at)},
        "items": [
            {"group": item.group, "record": [item.record_kind, item.record_id],
             "reference": item.reference, "unit": item.unit_code, "what": item.what,
             "since": when(item.since), "deadline": when(item.deadline),
             "last_step": item.last_step, "level": item.level,
             "next_action": item.next_action, "next_at": when(item.next_at),
             "contingency": item.contingency, "decision": item.decision,
             "decided_at": when(item.decided_at), "refusal_reason": item.refusal_reason,
             "carried_by_id": item.carried_by_id, "carry_reason": item.carry_reason}
            for item in sorted(items_of(session, handover.id or 0), key=lambda i: i.position)
        ],
        "counts": [
            {"name": public.name, "expected": public.expected, "counted": public.counted,
             "explanation": public.explanation}
            for public in counts_of(session, handover.id or 0)
        ],
    }


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _seal(session: Session, handover: Handover, signer: Operator, *, now: datetime) -> None:
    session.flush()
    handover.state = HandoverState.SEALED.value
    handover.open_key = None
    handover.sealed_at = as_utc(now)
    handover.seal_hash = content_hash(sealed_content(session, handover))
    session.add(handover)
    audit.record(session, now=now, actor=signer, action="handover.seal", entity=ENTITY,
                 entity_id=handover.id, site_id=handover.site_id,
                 after={"seal": handover.seal_hash})


def verify_seals(session: Session, *, site_id: int | None = None) -> list[str]:
    """Every sealed handover whose content no longer matches its seal, in words.

    The seal is checked against the hash kept on the handover and against the one
    written into the audit chain when it was sealed (which ``audit.verify`` proves
    untouched), so rewriting both the rows and the handover's hash is caught too.
    """
    query = select(Handover).where(Handover.state == HandoverState.SEALED.value)
    if site_id is not None:
        query = query.where(Handover.site_id == site_id)
    sealed_in_chain: dict[str, str] = {}
    for entry in session.exec(select(AuditEntry).where(
            AuditEntry.action == "handover.seal", AuditEntry.entity == ENTITY)).all():
        sealed_in_chain[entry.entity_id] = json.loads(entry.after or "{}").get("seal", "")
    problems = []
    for handover in session.exec(query.order_by(col(Handover.id))).all():
        actual = content_hash(sealed_content(session, handover))
        if actual != handover.seal_hash or sealed_in_chain.get(str(handover.id)) != actual:
            problems.append(_("Handover {number} was changed after it was sealed.").format(
                number=handover.id))
    return problems


# --- after the seal ----------------------------------------------------------------


def _sealed(session: Session, *, site_id: int, handover_id: int) -> Handover:
    handover = get_handover(session, acting=Acting(site_id), handover_id=handover_id)
    if handover.state != HandoverState.SEALED.value:
        raise Conflict(_("This handover is still open: change it instead of adding an "
                         "addendum."))
    return handover


def add_addendum(
    session: Session, *, acting: Acting, handover_id: int, text: str,
    now: datetime,
) -> HandoverAddendum:
    """A correction to a sealed handover, with who and when; the sealed text stays."""
    site_id = acting.site_id
    actor = acting_operator(acting)
    handover = _sealed(session, site_id=site_id, handover_id=handover_id)
    body = clean_text(text, field="text", label=_("the addendum"), max_length=MAX_ADDENDUM,
                      required=True, multiline=True)
    assert actor.id is not None and handover.id is not None
    addendum = HandoverAddendum(handover_id=handover.id, at=as_utc(now), operator_id=actor.id,
                                text=body)
    session.add(addendum)
    session.flush()
    audit.record(session, now=now, actor=actor, action="handover.addendum", entity=ENTITY,
                 entity_id=handover.id, site_id=site_id, after={"text": body})
    return addendum


def _require_supervisor(actor: Operator) -> None:
    if not is_supervisor(actor):
        raise AuthError(_("Only a supervisor or a manager does this."))


@dataclass(frozen=True)
class RefusedItem:
    item: HandoverItem
    handover_id: int
    refused_at: datetime | None


REFUSED_SHOWN = 50
"""The supervisor's menu of refused items shows the oldest 50: settling them shows the next."""


def _refused_waiting(site_id: int) -> tuple[Any, ...]:
    """Refused, not settled, of a sealed handover of the site: read through
    ``ix_handover_item_decision`` (decision, settled, decided), each item's handover by its
    key, never every handover's items."""
    return (HandoverItem.decision == ItemDecision.REFUSED.value,
            col(HandoverItem.settled_at).is_(None),
            Handover.site_id == site_id, Handover.state == HandoverState.SEALED.value)


def refused_waiting(session: Session, *, acting: Acting,
                    limit: int = REFUSED_SHOWN) -> list[RefusedItem]:
    """Items an incoming operator refused, not yet settled by a supervisor, oldest first
    (the oldest ``limit``; ``refused_waiting_count`` counts them all)."""
    site_id = acting.site_id
    rows = session.exec(
        select(HandoverItem, Handover.id)
        .join(Handover, col(Handover.id) == col(HandoverItem.handover_id))
        .where(*_refused_waiting(site_id))
        .order_by(col(HandoverItem.decided_at), col(HandoverItem.id))
        .limit(limit)
    ).all()
    return [RefusedItem(item, handover_id or 0, item.decided_at) for item, handover_id in rows]


def refused_waiting_count(session: Session, *, acting: Acting) -> int:
    """How many items ``refused_waiting`` lists, counted without loading them."""
    site_id = acting.site_id
    return int(session.exec(
        select(func.count()).select_from(HandoverItem)
        .join(Handover, col(Handover.id) == col(HandoverItem.handover_id))
        .where(*_refused_waiting(site_id))
    ).one())


def settle_refused(
    session: Session, *, acting: Acting, item_id: int, note: str, now: datetime,
) -> HandoverItem:
    """A supervisor takes a refused item off the list, saying what was done about it."""
    site_id = acting.site_id
    actor = acting_operator(acting)
    _require_supervisor(actor)
    item = session.get(HandoverItem, item_id)
    handover = session.get(Handover, item.handover_id) if item else None
    if item is None or handover is None or handover.site_id != site_id or \
            item.decision != ItemDecision.REFUSED.value:
        raise NotFound(_("That refused item is not on the supervisor's list."))
    if item.settled_at is not None:
        raise Conflict(_("That refused item was settled already."))
    text = clean_text(note, field="note", label=_("the note"), max_length=MAX_LINE,
                      required=True, multiline=True)
    item.settled_at, item.settled_by_id, item.settle_note = as_utc(now), actor.id, text
    session.add(item)
    audit.record(session, now=now, actor=actor, action="handover.settle", entity=ENTITY,
                 entity_id=handover.id, site_id=site_id,
                 after={"item": item.reference or item.record_id, "note": text})
    return item


def _unreviewed(site_id: int) -> tuple[Any, ...]:
    """Sealed, not reviewed: ``ix_handover_unreviewed`` (site, reviewed, state, sealed)
    holds the whole question and its order."""
    return (Handover.site_id == site_id, col(Handover.reviewed_at).is_(None),
            Handover.state == HandoverState.SEALED.value)


def unreviewed(session: Session, *, acting: Acting) -> list[Handover]:
    """Sealed handovers the supervisor has not reviewed yet, oldest first."""
    site_id = acting.site_id
    return list(session.exec(
        select(Handover).where(*_unreviewed(site_id)).order_by(col(Handover.sealed_at))
    ).all())


def unreviewed_count(session: Session, *, acting: Acting) -> int:
    """How many handovers ``unreviewed`` lists, counted from the index alone."""
    site_id = acting.site_id
    return int(session.exec(
        select(func.count()).select_from(Handover).where(*_unreviewed(site_id))
    ).one())


def review_day(
    session: Session, *, acting: Acting, day: date, remarks: str,
    now: datetime, settings: Settings,
) -> int:
    """The supervisor's daily review: sign every sealed handover of the local ``day``
    not yet reviewed, with remarks. Returns how many were signed."""
    site_id = acting.site_id
    actor = acting_operator(acting)
    _require_supervisor(actor)
    text = clean_text(remarks, field="remarks", label=_("the remarks"), max_length=MAX_LINE,
                      required=True, multiline=True)
    calendar = WorkCalendar.from_settings(settings)
    start, end = calendar.at(day, datetime.min.time()), calendar.end_of_local_day(day)
    due = [handover for handover in unreviewed(session, acting=acting)
           if handover.sealed_at and start <= as_utc(handover.sealed_at) < end]
    if not due:
        raise InvalidInput(_("No sealed handover of {day} waits for a review.").format(
            day=day.isoformat()), field="day")
    for handover in due:
        handover.reviewed_at, handover.reviewed_by_id = as_utc(now), actor.id
        handover.review_remarks = text
        session.add(handover)
    audit.record(session, now=now, actor=actor, action="handover.review", entity=ENTITY,
                 entity_id=",".join(str(handover.id) for handover in due), site_id=site_id,
                 after={"day": day.isoformat(), "remarks": text, "handovers": len(due)})
    return len(due)


# --- what the handover screen shows ------------------------------------------------


@dataclass(frozen=True)
class HandoverView:
    """The open handover as the screen shows it, with what still stops the seal."""

    handover: Handover
    shift_starts_at: datetime
    shift_ends_at: datetime
    outgoing_name: str
    incoming_name: str
    items: list[HandoverItem]
    counts: list[HandoverCount]
    blockers: list[Blocker]
    group_titles: dict[str, str]
    group_actions: dict[str, str]


def open_view(
    session: Session, *, acting: Acting, now: datetime, settings: Settings,
) -> HandoverView | None:
    """The site's open handover, read for the screen; ``None`` when none is open."""
    handover = open_handover(session, acting=acting)
    if handover is None or handover.id is None:
        return None
    shift = session.get(Shift, handover.shift_id)
    assert shift is not None
    names = {operator.id: operator.display_name for operator in session.exec(
        select(Operator).where(col(Operator.id).in_(
            [handover.outgoing_id, handover.incoming_id or handover.outgoing_id])))}
    return HandoverView(
        handover=handover, shift_starts_at=as_utc(shift.starts_at),
        shift_ends_at=as_utc(shift.ends_at), outgoing_name=names.get(handover.outgoing_id, "?"),
        incoming_name=names.get(handover.incoming_id, "") if handover.incoming_id else "",
        items=items_of(session, handover.id), counts=counts_of(session, handover.id),
        blockers=blockers(session, acting=acting, handover_id=handover.id, now=now,
                          settings=settings),
        group_titles=assembly.group_titles(), group_actions=assembly.group_actions(),
    )


def is_outgoing(handover: Handover, operator: Operator | None) -> bool:
    """Whether ``operator`` hands this handover over (settles items, explains counts)."""
    return operator is not None and operator.id == handover.outgoing_id


def is_supervisor(operator: Operator | None) -> bool:
    """Whether ``operator`` reviews, settles refused items (a supervisor or a manager)."""
    return operator is not None and operator.role in SUPERVISORS


def may_take_over(operator: Operator) -> bool:
    """Whether the operator works the desk (a guard's screen is the gate's, not the desk)."""
    return operator.role != Role.GUARD.value


def candidates(session: Session, *, acting: Acting, handover: Handover, now: datetime
               ) -> list[Operator]:
    """Who may take over: active desk staff other than the outgoing one, not locked."""
    site_id = acting.site_id
    return [
        operator for operator in session.exec(
            select(Operator).where(Operator.site_id == site_id, col(Operator.active).is_(True),
                                   Operator.id != handover.outgoing_id)
            .order_by(col(Operator.display_name))).all()
        if may_take_over(operator) and not operators.is_locked(operator, now=now)
    ]


def signer_login(session: Session, *, acting: Acting, handover_id: int, side: str) -> str:
    """The sign-in name of the operator who signs ``side`` (their PIN is asked)."""
    handover = get_handover(session, acting=acting, handover_id=handover_id)
    operator_id = handover.outgoing_id if side == Side.OUTGOING else handover.incoming_id
    operator = session.get(Operator, operator_id) if operator_id else None
    if operator is None:
        raise InvalidInput(_("Name the incoming operator first."), field="incoming")
    return operator.login


def supervisors(session: Session, *, acting: Acting, now: datetime) -> list[Operator]:
    """Who may accept carrying an urgent item: active supervisors and managers."""
    site_id = acting.site_id
    return [
        operator for operator in session.exec(
            select(Operator).where(Operator.site_id == site_id, col(Operator.active).is_(True),
                                   col(Operator.role).in_(SUPERVISORS))
            .order_by(col(Operator.role).desc(), col(Operator.display_name))).all()
        if not operators.is_locked(operator, now=now)
    ]


@dataclass(frozen=True)
class SealedLine:
    """A sealed handover as the list of past handovers shows it."""

    id: int
    shift_starts_at: datetime
    shift_ends_at: datetime
    outgoing_name: str
    incoming_name: str
    sealed_at: datetime | None
    reviewed_at: datetime | None
    reviewer_name: str
    refused_waiting: int
    addenda: int


def recent_sealed(session: Session, *, acting: Acting, limit: int = 20) -> list[SealedLine]:
    """The latest sealed handovers, newest first, with what still waits on them."""
    site_id = acting.site_id
    sealed = session.exec(
        select(Handover, Shift).join(Shift, col(Shift.id) == col(Handover.shift_id))
        .where(Handover.site_id == site_id, Handover.state == HandoverState.SEALED.value)
        .order_by(col(Handover.sealed_at).desc(), col(Handover.id).desc())
        .limit(max(1, min(limit, 200)))
    ).all()
    ids = [handover.id for handover, _shift in sealed]
    people = {handover.outgoing_id for handover, _shift in sealed} | {
        handover.incoming_id for handover, _shift in sealed if handover.incoming_id} | {
        handover.reviewed_by_id for handover, _shift in sealed if handover.reviewed_by_id}
    names = {operator.id: operator.display_name for operator in session.exec(
        select(Operator).where(col(Operator.id).in_(sorted(people))))} if people else {}
    refused: dict[int, int] = {}
    for item in session.exec(select(HandoverItem).where(
            col(HandoverItem.handover_id).in_(ids),
            HandoverItem.decision == ItemDecision.REFUSED.value,
            col(HandoverItem.settled_at).is_(None))).all():
        refused[item.handover_id] = refused.get(item.handover_id, 0) + 1
    addenda: dict[int, int] = {}
    for addendum in session.exec(select(HandoverAddendum).where(
            col(HandoverAddendum.handover_id).in_(ids))).all():
        addenda[addendum.handover_id] = addenda.get(addendum.handover_id, 0) + 1
    return [
        SealedLine(
            id=handover.id or 0, shift_starts_at=as_utc(shift.starts_at),
            shift_ends_at=as_utc(shift.ends_at),
            outgoing_name=names.get(handover.outgoing_id, "?"),
            incoming_name=names.get(handover.incoming_id or 0, "?"),
            sealed_at=as_utc(handover.sealed_at) if handover.sealed_at else None,
            reviewed_at=as_utc(handover.reviewed_at) if handover.reviewed_at else None,
            reviewer_name=names.get(handover.reviewed_by_id or 0, ""),
            refused_waiting=refused.get(handover.id or 0, 0),
            addenda=addenda.get(handover.id or 0, 0),
        )
        for handover, shift in sealed
    ]


def local_day(moment: datetime, settings: Settings) -> date:
    """The desk's local day of ``moment`` (the supervisor reviews a day's handovers)."""
    return WorkCalendar.from_settings(settings).local_day(as_utc(moment))
