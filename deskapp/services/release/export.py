"""The release slips in the exports: every revision the window touched, and its lines.

Three tables for a window (one local day, or a range), each row with its state at
export time:

- ``release_slips``: one row per revision whose life touched the day: drafted,
  confirmed, overridden, fees confirmed, a line ticked at the gate, issued,
  released, sent back, filed, voided, back from repair, a moving-out settlement
  recorded, or superseded (a later revision drafted that day);
- ``release_lines``: the item lines of those revisions;
- ``release_settlements``: for a moving-out slip, what the unit still had at the desk
  and how each was settled, or why not.

Operators are named by their sign-in name, as in the other ledgers' files; the
slip keeps no operator for sending back or for the items' return, so those two
come from the slip's audit entries. The carrier's ID number and phone and the
number the desk called are masked by the export layer (by their columns' names). Yes/no columns
are ``1``/``0`` (empty for a confirmation not recorded yet), as in the other
files.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from deskapp.models import AuditEntry, Operator, Unit
from deskapp.models.release import (
    ReleaseLine,
    ReleasePattern,
    ReleaseSettlement,
    ReleaseSlip,
)
from deskapp.services.clock import as_utc
from deskapp.services.export import Table, Window, local_text

SLIP_COLUMNS = [
    "code", "revision", "supersedes", "status", "unit", "applicant_name", "applicant_relation",
    "carrier_name", "carrier_id_number", "carrier_phone", "plate", "driver_name", "reason",
    "reason_note", "due_back_on", "planned_at", "pattern", "created_at", "created_by",
    "confirmation_kind", "confirmed_by", "confirmed_at", "confirmed_phone",
    "confirmed_on_file", "off_file_reason", "confirmation_recorded_by", "override_by",
    "override_rules", "override_reason", "override_at", "fees_settled_by", "fees_settled_at",
    "issued_at", "issued_by", "released_at", "released_by", "sent_back_at", "sent_back_by",
    "sent_back_note", "filed_at", "filed_by", "voided_at", "voided_by", "void_reason",
    "returned_at", "returned_by",
]
LINE_COLUMNS = ["code", "position", "description", "quantity", "large", "catalogue_entry",
                "ticked_at"]
SETTLEMENT_COLUMNS = ["code", "kind", "reference", "settled", "note", "recorded_at",
                      "recorded_by"]

_STEPS_BY_AUDIT = {"release.send_back": "sent_back_by", "release.returned": "returned_by"}
_CHUNK = 500
"""Slips per ``IN (…)`` of the audit and line queries."""


def _time(value: datetime | None, zone: tzinfo) -> str:
    return local_text(as_utc(value), zone) if value is not None else ""


def _within(column: Any, window: Window) -> Any:
    return and_(col(column) >= window.since, col(column) < window.until)


def _touched(window: Window) -> Any:
    """A revision whose life touched the window (see the module's docstring)."""
    moments = (ReleaseSlip.created_at, ReleaseSlip.confirmed_at, ReleaseSlip.override_at,
               ReleaseSlip.fees_settled_at, ReleaseSlip.issued_at, ReleaseSlip.released_at,
               ReleaseSlip.sent_back_at, ReleaseSlip.filed_at, ReleaseSlip.voided_at,
               ReleaseSlip.returned_at)
    ticked = select(ReleaseLine.slip_id).where(_within(ReleaseLine.ticked_at, window))
    settled = select(ReleaseSettlement.slip_id).where(
        _within(ReleaseSettlement.recorded_at, window))
    superseded = select(ReleaseSlip.supersedes_id).where(
        _within(ReleaseSlip.created_at, window), col(ReleaseSlip.supersedes_id).is_not(None))
    return or_(*(_within(moment, window) for moment in moments),
               col(ReleaseSlip.id).in_(ticked), col(ReleaseSlip.id).in_(settled),
               col(ReleaseSlip.id).in_(superseded))


def _audited_steps(session: Session, site_id: int, ids: Sequence[int]) -> dict[
        tuple[int, str], str]:
    """Who sent each slip back and who took its items back, by (slip id, column)."""
    found: dict[tuple[int, str], str] = {}
    if ids:
        rows = session.exec(
            select(AuditEntry.entity_id, AuditEntry.action, AuditEntry.actor)
            .where(AuditEntry.site_id == site_id, AuditEntry.entity == "release_slip",
                   col(AuditEntry.action).in_(list(_STEPS_BY_AUDIT)),
                   col(AuditEntry.entity_id).in_([str(slip_id) for slip_id in ids]))
            .order_by(col(AuditEntry.seq))
        ).all()
        for entity_id, action, actor in rows:
            found[(int(entity_id), _STEPS_BY_AUDIT[action])] = actor
    return found


def export_release_slips(session: Session, site_id: int, window: Window) -> list[Table]:
    """The window's release slips (one row per revision), their lines and settlements,
    as three tables whose rows are read a chunk of slips at a time as they are written."""
    zone = window.zone
    logins = {operator_id: login for operator_id, login in session.exec(
        select(Operator.id, Operator.login).where(Operator.site_id == site_id))
        if operator_id is not None}

    def login(operator_id: int | None) -> str:
        return logins.get(operator_id, "") if operator_id is not None else ""

    touched = (
        select(ReleaseSlip, Unit.code)
        .join(Unit, col(Unit.id) == col(ReleaseSlip.unit_id))
        .where(ReleaseSlip.site_id == site_id, _touched(window))
        .order_by(col(ReleaseSlip.id))
        .execution_options(yield_per=_CHUNK)
    )

    def touched_chunks() -> Iterator[tuple[list[int], dict[int | None, str]]]:
        """The touched slips a chunk at a time: their ids and codes."""
        ids = session.execute(touched.with_only_columns(col(ReleaseSlip.id),
                                                       col(ReleaseSlip.code)))
        for chunk in ids.partitions():
            yield ([slip_id for slip_id, _code in chunk],
                   {slip_id: code or "" for slip_id, code in chunk})

    companies = dict(session.exec(select(ReleasePattern.id, ReleasePattern.company).where(
        ReleasePattern.site_id == site_id)).all())

    def slip_rows() -> Iterator[list[str]]:
        for chunk in session.exec(touched).partitions():
            codes: dict[int | None, str] = {slip.id: slip.code or "" for slip, _unit in chunk}
            earlier = [slip.supersedes_id for slip, _unit in chunk
                       if slip.supersedes_id is not None and slip.supersedes_id not in codes]
            if earlier:
                codes.update((slip_id, code or "") for slip_id, code in session.exec(
                    select(ReleaseSlip.id, ReleaseSlip.code)
                    .where(col(ReleaseSlip.id).in_(earlier))))
            steps = _audited_steps(session, site_id,
                                   [slip.id for slip, _unit in chunk if slip.id is not None])
            for slip, unit in chunk:
                yield _slip_row(slip, unit, codes, steps, companies, login, zone)

    def line_rows() -> Iterator[list[str]]:
        for ids, codes in touched_chunks():
            for line in session.exec(
                select(ReleaseLine).where(col(ReleaseLine.slip_id).in_(ids))
                .order_by(col(ReleaseLine.slip_id), col(ReleaseLine.position))
            ):
                yield [
                    codes.get(line.slip_id, ""), str(line.position), line.description,
                    str(line.quantity), "1" if line.large else "0", line.catalogue_entry,
                    _time(line.ticked_at, zone),
                ]

    def settlement_rows() -> Iterator[list[str]]:
        for ids, codes in touched_chunks():
            for entry in session.exec(
                select(ReleaseSettlement).where(col(ReleaseSettlement.slip_id).in_(ids))
                .order_by(col(ReleaseSettlement.slip_id), col(ReleaseSettlement.id))
            ):
                yield [
                    codes.get(entry.slip_id, ""), entry.kind, entry.reference,
                    "1" if entry.settled else "0", entry.note,
                    _time(entry.recorded_at, zone), login(entry.recorded_by_id),
                ]

    return [
        Table("release_slips", SLIP_COLUMNS, slip_rows(), numbers=frozenset({"revision"})),
        Table("release_lines", LINE_COLUMNS, line_rows(),
              numbers=frozenset({"position", "quantity"})),
        Table("release_settlements", SETTLEMENT_COLUMNS, settlement_rows()),
    ]


def _slip_row(slip: ReleaseSlip, unit: str | None, codes: dict[int | None, str],
              steps: dict[tuple[int, str], str], companies: dict[int | None, str],
              login: Callable[[int | None], str], zone: tzinfo) -> list[str]:
    confirmed = slip.confirmed_at is not None
    return [
        slip.code or "", str(slip.revision),
        codes.get(slip.supersedes_id, "") if slip.supersedes_id is not None else "",
        slip.status, unit or "", slip.applicant_name, slip.applicant_relation,
        slip.carrier_name, slip.carrier_id_number, slip.carrier_phone, slip.plate,
        slip.driver_name, slip.reason, slip.reason_note,
        slip.due_back_on.isoformat() if slip.due_back_on else "",
        _time(slip.planned_at, zone),
        companies.get(slip.pattern_id, "") if slip.pattern_id is not None else "",
        _time(slip.created_at, zone), login(slip.created_by_id),
        slip.confirmation_kind, slip.confirmed_by, _time(slip.confirmed_at, zone),
        slip.confirmed_phone,
        ("1" if slip.confirmed_on_file else "0") if confirmed else "",
        slip.off_file_reason, login(slip.confirmation_recorded_by_id),
        login(slip.override_by_id), slip.override_rules, slip.override_reason,
        _time(slip.override_at, zone), slip.fees_settled_by,
        _time(slip.fees_settled_at, zone), _time(slip.issued_at, zone),
        login(slip.issued_by_id), _time(slip.released_at, zone),
        login(slip.released_by_id), _time(slip.sent_back_at, zone),
        steps.get((slip.id or 0, "sent_back_by"), ""), slip.sent_back_note,
        _time(slip.filed_at, zone), login(slip.filed_by_id), _time(slip.voided_at, zone),
        login(slip.voided_by_id), slip.void_reason, _time(slip.returned_at, zone),
        steps.get((slip.id or 0, "returned_by"), ""),
    ]
