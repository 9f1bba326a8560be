"""The handover's assembly: what the incoming operator takes over, from live data.

Nothing in a handover is retyped. Each ledger contributes its open business
through one small interface, a ``Contribution``: a group name and a function
that reads the ledger for a ``Window`` (the moment, the outgoing shift's end,
the next shift's end, who is handing over) and returns ``Carried`` items. The
assembly asks every contribution in ``contributions()`` and never knows a
ledger's tables; a ledger added later appears in the handover by listing its
contribution there, and no screen changes.

Each carried item says what its ledger knows: the unit, since when, the next
deadline and the last step. Its default watch level follows from the deadline:
overdue is urgent, due before the shift being taken over ends is watch, the rest
routine.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from sqlmodel import Session

from deskapp.config import Settings
from deskapp.i18n import _
from deskapp.models.handover import WatchLevel
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.handover import shifts
from deskapp.services.workcalendar import WorkCalendar


@dataclass(frozen=True)
class Window:
    """The moment of a handover, as every ledger's contribution reads it."""

    site_id: int
    now: datetime
    shift_ends_at: datetime
    """The end of the shift handing over (the next shift start after ``now``)."""
    next_shift_ends_at: datetime
    """The end of the shift being taken over: "due before the next shift ends"."""
    outgoing: frozenset[int]
    """Ids of the operators handing over: their own open requests are carried."""
    shift_id: int | None
    """The shift handing over (its duty-log anomalies are carried), if it was worked."""
    settings: Settings


@dataclass(frozen=True)
class Carried:
    """One thing the incoming operator takes over, as its ledger knows it."""

    record_kind: str
    """What the record is (``request``, ``custody``, ``key_loan``, ``duty_log``)."""
    record_id: int
    reference: str
    """The number or code an operator reads out (261202-0001, S-5DD7-7)."""
    unit_code: str
    what: str
    """One line: the summary, the description, the entry."""
    since: datetime
    deadline: datetime | None
    last_step: str
    """The record's last step as its label's message id (the English source text, an
    ``N_`` string), stored so and said in each reader's language (``step_label``)."""
    level: WatchLevel = WatchLevel.ROUTINE
    """The default watch level (``default_level``), set by the assembly."""


@dataclass(frozen=True)
class Contribution:
    """A ledger's part in the handover: a group and how to read it."""

    group: str
    """A short name of the group (``requests``, ``keys``) kept with each carried item."""
    title: Callable[[], str]
    """The group's heading in the reader's language (called when shown)."""
    gather: Callable[[Session, Window], list[Carried]]
    """The ledger's open business at the window, in the order the group lists it."""
    least: WatchLevel = WatchLevel.ROUTINE
    """The lowest level an item of the group defaults to (an anomaly is watched)."""
    action: Callable[[], str] = lambda: _("Follow up")
    """The next action an item of the group starts with, in the reader's language."""


@dataclass(frozen=True)
class CarriedGroup:
    group: str
    title: str
    items: list[Carried]
    action: str
    """The next action its items start with."""


_RANK = {WatchLevel.ROUTINE: 0, WatchLevel.WATCH: 1, WatchLevel.URGENT: 2}


def default_level(
    deadline: datetime | None, window: Window, least: WatchLevel = WatchLevel.ROUTINE
) -> WatchLevel:
    """Overdue is urgent; due before the shift being taken over ends is watch; else
    routine, or ``least`` when that is higher."""
    level = WatchLevel.ROUTINE
    if deadline is not None:
        deadline = as_utc(deadline)
        if deadline < window.now:
            level = WatchLevel.URGENT
        elif deadline < window.next_shift_ends_at:
            level = WatchLevel.WATCH
    return max(level, least, key=_RANK.__getitem__)


def contributions() -> list[Contribution]:
    """Every ledger's contribution, in the order the handover reads them."""
    from deskapp.services.custody.handover import CONTRIBUTIONS as CUSTODY
    from deskapp.services.handover.dutylog import CONTRIBUTIONS as DUTY_LOG
    from deskapp.services.release.handover import CONTRIBUTIONS as RELEASE
    from deskapp.services.requests.handover import CONTRIBUTIONS as REQUESTS

    return [*REQUESTS, *CUSTODY, *RELEASE, *DUTY_LOG]


def window_at(
    session: Session, *, acting: Acting, now: datetime, settings: Settings,
    outgoing: Iterable[int] = (),
) -> Window:
    """The window of a handover at ``now`` by ``outgoing`` (ids; none: nobody's own)."""
    site_id = acting.site_id
    now = as_utc(now)
    times = shifts.times_at(WorkCalendar.from_settings(settings), now)
    shift = shifts.shift_starting(session, acting=acting, starts_at=times.starts_at)
    return Window(site_id=site_id, now=now, shift_ends_at=times.ends_at,
                  next_shift_ends_at=times.next_ends_at, outgoing=frozenset(outgoing),
                  shift_id=shift.id if shift else None, settings=settings)


def assemble(
    session: Session, window: Window, *, only: Sequence[Contribution] | None = None
) -> list[CarriedGroup]:
    """Every contribution's carried items at ``window``, each with its default level."""
    groups = []
    for contribution in only if only is not None else contributions():
        items = [
            replace(item, level=default_level(item.deadline, window, contribution.least))
            for item in contribution.gather(session, window)
        ]
        groups.append(CarriedGroup(group=contribution.group, title=contribution.title(),
                                   items=items, action=contribution.action()))
    return groups


def level_label(level: WatchLevel) -> str:
    return {WatchLevel.ROUTINE: _("routine"), WatchLevel.WATCH: _("watch"),
            WatchLevel.URGENT: _("urgent")}[level]


def group_titles() -> dict[str, str]:
    """Each group's heading in the reader's language."""
    return {contribution.group: contribution.title() for contribution in contributions()}


def group_actions() -> dict[str, str]:
    """Each group's default next action in the reader's language: an item that keeps
    it stores no text, so every reader reads it in their own language."""
    return {contribution.group: contribution.action() for contribution in contributions()}


def step_label(last_step: str) -> str:
    """A carried item's last step in the reader's language, capitalised as a label."""
    label = _(last_step) if last_step else ""
    return label[:1].upper() + label[1:]
