"""The change of shift in the nightly export: handovers, their items and counts, the duty log.

Four tables for a window (one local day, or a range), each with its state at export
time:

- ``handovers``: started, sealed or reviewed within the window, or one of whose
  refused items a supervisor settled within it;
- ``handover_items`` and ``handover_counts``: the items and public-item counts of
  those handovers;
- ``duty_log``: the entries written within the window (by ``at``).

Operators are named by their sign-in name, as in the other ledgers' files. These
tables hold no phone or ID number fields; typed text (an entry, a contingency, an
explanation) is exported as typed, as a request's summary is.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from deskapp.models import Operator, Unit
from deskapp.models.handover import (
    DutyLogEntry,
    Handover,
    HandoverCount,
    HandoverItem,
    Shift,
)
from deskapp.services.clock import as_utc
from deskapp.services.export import Table, Window, local_text

HANDOVER_COLUMNS = [
    "handover", "state", "shift_starts_at", "shift_ends_at", "outgoing", "incoming",
    "started_at", "outgoing_signed_at", "incoming_signed_at", "sealed_at", "seal_hash",
    "reviewed_at", "reviewed_by", "review_remarks",
]
ITEM_COLUMNS = [
    "handover", "position", "group", "record_kind", "reference", "unit", "what", "since",
    "deadline", "last_step", "level", "next_action", "next_at", "contingency", "decision",
    "decided_at", "refusal_reason", "carried_by", "carry_reason", "settled_at", "settled_by",
    "settle_note",
]
COUNT_COLUMNS = ["handover", "position", "name", "expected", "counted", "explanation"]
DUTY_LOG_COLUMNS = [
    "entry", "shift_starts_at", "at", "operator", "anomaly", "unit", "record_kind",
    "record_ref", "text",
]


def _time(value: datetime | None, zone: tzinfo) -> str:
    return local_text(as_utc(value), zone) if value is not None else ""


def _within(column: Any, window: Window) -> Any:
    return and_(col(column) >= window.since, col(column) < window.until)


def _logins(session: Session, site_id: int) -> dict[int, str]:
    rows = session.exec(select(Operator.id, Operator.login).where(Operator.site_id == site_id))
    return {operator_id: login for operator_id, login in rows if operator_id is not None}


_CHUNK = 500
"""Handovers per ``IN (…)`` of the item and count queries."""


def export_handovers(session: Session, site_id: int, window: Window) -> list[Table]:
    """The window's handovers, their items and counts, and the duty log, as four tables
    whose rows are read in batches as they are written."""
    logins = _logins(session, site_id)
    zone = window.zone

    def login(operator_id: int | None) -> str:
        return logins.get(operator_id, "") if operator_id is not None else ""

    settled_within = select(HandoverItem.handover_id).where(
        _within(HandoverItem.settled_at, window))
    touched = (
        select(Handover, Shift)
        .join(Shift, col(Shift.id) == col(Handover.shift_id))
        .where(Handover.site_id == site_id, or_(
            _within(Handover.started_at, window), _within(Handover.sealed_at, window),
            _within(Handover.reviewed_at, window), col(Handover.id).in_(settled_within)))
        .order_by(col(Handover.started_at), col(Handover.id))
    )

    def touched_ids() -> Iterator[list[int]]:
        """The touched handovers' ids, a chunk at a time, in the handovers' order."""
        ids = session.execute(touched.with_only_columns(col(Handover.id))
                           .execution_options(yield_per=_CHUNK))
        for chunk in ids.partitions():
            yield [handover_id for (handover_id,) in chunk]

    def handover_rows() -> Iterator[list[str]]:
        for handover, shift in session.exec(touched.execution_options(yield_per=_CHUNK)):
            yield [
                str(handover.id), handover.state, _time(shift.starts_at, zone),
                _time(shift.ends_at, zone), login(handover.outgoing_id),
                login(handover.incoming_id), _time(handover.started_at, zone),
                _time(handover.outgoing_signed_at, zone),
                _time(handover.incoming_signed_at, zone), _time(handover.sealed_at, zone),
                handover.seal_hash, _time(handover.reviewed_at, zone),
                login(handover.reviewed_by_id), handover.review_remarks,
            ]

    def item_rows() -> Iterator[list[str]]:
        for ids in touched_ids():
            for item in session.exec(
                select(HandoverItem).where(col(HandoverItem.handover_id).in_(ids))
                .order_by(col(HandoverItem.handover_id), col(HandoverItem.position))
            ):
                yield [
                    str(item.handover_id), str(item.position), item.group, item.record_kind,
                    item.reference, item.unit_code, item.what, _time(item.since, zone),
                    _time(item.deadline, zone), item.last_step, item.level,
                    item.next_action, _time(item.next_at, zone), item.contingency,
                    item.decision, _time(item.decided_at, zone), item.refusal_reason,
                    login(item.carried_by_id), item.carry_reason,
                    _time(item.settled_at, zone), login(item.settled_by_id),
                    item.settle_note,
                ]

    def count_rows() -> Iterator[list[str]]:
        for ids in touched_ids():
            for public in session.exec(
                select(HandoverCount).where(col(HandoverCount.handover_id).in_(ids))
                .order_by(col(HandoverCount.handover_id), col(HandoverCount.position))
            ):
                yield [
                    str(public.handover_id), str(public.position), public.name,
                    str(public.expected), "" if public.counted is None else str(public.counted),
                    public.explanation,
                ]

    def duty_rows() -> Iterator[list[str]]:
        entries = session.exec(
            select(DutyLogEntry, Shift.starts_at, Unit.code)
            .join(Shift, col(Shift.id) == col(DutyLogEntry.shift_id))
            .outerjoin(Unit, col(Unit.id) == col(DutyLogEntry.unit_id))
            .where(DutyLogEntry.site_id == site_id, _within(DutyLogEntry.at, window))
            .order_by(col(DutyLogEntry.at), col(DutyLogEntry.id))
            .execution_options(yield_per=_CHUNK)
        )
        for entry, shift_start, unit_code in entries:
            yield [
                str(entry.id), _time(shift_start, zone), _time(entry.at, zone),
                login(entry.operator_id), "1" if entry.anomaly else "0", unit_code or "",
                entry.record_kind, entry.record_ref, entry.text,
            ]

    return [
        Table("handovers", HANDOVER_COLUMNS, handover_rows()),
        Table("handover_items", ITEM_COLUMNS, item_rows()),
        Table("handover_counts", COUNT_COLUMNS, count_rows(),
              numbers=frozenset({"position", "expected", "counted"})),
        Table("duty_log", DUTY_LOG_COLUMNS, duty_rows()),
    ]
