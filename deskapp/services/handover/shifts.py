"""Shifts: from one of the ``shift_starts`` to the next, and who worked each.

A shift is written the first time somebody works in it (signs in, or writes in
the duty log), so two desks starting the same shift share one row: the second
insert meets the unique start and reads the first desk's row instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.models import Operator
from deskapp.models.handover import Shift, ShiftOperator
from deskapp.services import acting as acting_rules
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.workcalendar import WorkCalendar


@dataclass(frozen=True)
class ShiftTimes:
    """The shift running at a moment, and when the one after it ends."""

    starts_at: datetime
    ends_at: datetime
    next_ends_at: datetime


def times_at(calendar: WorkCalendar, now: datetime) -> ShiftTimes:
    """The shift running at ``now`` (a start is in the shift it begins)."""
    now = as_utc(now)
    ends_at = calendar.next_shift_end(now)
    return ShiftTimes(starts_at=calendar.shift_start(now), ends_at=ends_at,
                      next_ends_at=calendar.next_shift_end(ends_at))


def current_shift(session: Session, *, acting: Acting, now: datetime, settings: Settings) -> Shift:
    """The shift running at ``now``, written if nobody has worked in it yet."""
    site_id = acting.site_id
    times = times_at(WorkCalendar.from_settings(settings), now)
    found = shift_starting(session, acting=acting, starts_at=times.starts_at)
    if found is not None:
        return found
    shift = Shift(site_id=site_id, starts_at=times.starts_at, ends_at=times.ends_at,
                  created_at=as_utc(now))
    try:
        with session.begin_nested():
            session.add(shift)
    except IntegrityError:  # another desk wrote it a moment ago
        found = shift_starting(session, acting=acting, starts_at=times.starts_at)
        assert found is not None
        return found
    return shift


def shift_starting(session: Session, *, acting: Acting, starts_at: datetime) -> Shift | None:
    site_id = acting.site_id
    return session.exec(
        select(Shift).where(Shift.site_id == site_id, Shift.starts_at == starts_at)
    ).first()


def join(session: Session, *, shift: Shift, operator: Operator, now: datetime) -> None:
    """Count ``operator`` among those who worked ``shift`` (once)."""
    assert shift.id is not None and operator.id is not None
    if _member(session, shift.id, operator.id):
        return
    try:
        with session.begin_nested():
            session.add(ShiftOperator(shift_id=shift.id, operator_id=operator.id,
                                      joined_at=as_utc(now)))
    except IntegrityError:  # the same operator at a second desk, a moment ago
        pass


def _member(session: Session, shift_id: int, operator_id: int) -> bool:
    return session.exec(
        select(ShiftOperator.id).where(ShiftOperator.shift_id == shift_id,
                                       ShiftOperator.operator_id == operator_id)
    ).first() is not None


def join_current(
    session: Session, *, acting: Acting, operator: Operator, now: datetime, settings: Settings
) -> Shift:
    """The shift running at ``now``, with ``operator`` (of this site) counted among who
    worked it."""
    site_id = acting.site_id
    acting_rules.check_site(operator, site_id)
    shift = current_shift(session, acting=acting, now=now, settings=settings)
    join(session, shift=shift, operator=operator, now=now)
    return shift


def operators_of(session: Session, shift_id: int) -> list[Operator]:
    """Who worked the shift, in the order they joined it."""
    return list(session.exec(
        select(Operator).join(ShiftOperator, col(ShiftOperator.operator_id) == col(Operator.id))
        .where(ShiftOperator.shift_id == shift_id)
        .order_by(col(ShiftOperator.joined_at), col(ShiftOperator.id))
    ).all())


def recent(session: Session, *, acting: Acting, limit: int = 20) -> list[Shift]:
    """The latest shifts worked, newest first (the duty log lists one at a time)."""
    site_id = acting.site_id
    return list(session.exec(
        select(Shift).where(Shift.site_id == site_id)
        .order_by(col(Shift.starts_at).desc()).limit(limit)
    ).all())
