"""The duty log (值班记录): what happened during a shift, written as it happens.

An entry is free text, optionally about a unit or a record (a request by its
number, a stored, found or parcel item or a key by its code), and marked as an
anomaly (异常) or routine. The shift's anomalies are carried into its handover.
Entries are never edited or deleted: a correction is a new entry. They are
searched through the Chinese search seam (``services.search``), as requests are.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, or_
from sqlmodel import Session, col, func, select

from deskapp.config import Settings
from deskapp.errors import InvalidInput, NotFound
from deskapp.i18n import N_, _
from deskapp.models import Operator, Unit
from deskapp.models.handover import DutyLogEntry, LinkedRecord, WatchLevel
from deskapp.services import audit, directory, search
from deskapp.services.acting import Acting, acting_operator
from deskapp.services.clock import as_utc
from deskapp.services.custody import lists
from deskapp.services.custody.lists import Page
from deskapp.services.handover import shifts
from deskapp.services.handover.assembly import Carried, Contribution, Window
from deskapp.services.requests import views
from deskapp.services.text import clean_text

audit.register_action_labels({"duty.write": N_("Duty log written")})

ENTITY = "duty_log"
ANOMALY_STEP = N_("written in the duty log as an anomaly")
MAX_TEXT = 2000
"""A duty-log entry is a few sentences; a longer text belongs in a request."""
MAX_LIST = 500
_REQUEST_NUMBER = re.compile(r"^\d{6}-\d{1,4}$")


@dataclass(frozen=True)
class DutyLine:
    """A duty-log entry as the log lists it."""

    id: int
    shift_id: int
    at: datetime
    operator_name: str
    text: str
    anomaly: bool
    unit_code: str
    record_ref: str


def write_entry(
    session: Session,
    *,
    acting: Acting,
    now: datetime,
    settings: Settings,
    text: str,
    anomaly: bool = False,
    unit: str = "",
    record: str = "",
) -> DutyLogEntry:
    """Write one entry into the shift running at ``now``; its writer joins the shift."""
    site_id = acting.site_id
    actor = acting_operator(acting)
    text = clean_text(text, field="text", label=_("the entry"), max_length=MAX_TEXT,
                      required=True, multiline=True)
    unit_record = directory.get_unit(session, acting=acting, code=unit) if unit.strip() \
        else None
    record_kind, record_id, record_ref = _linked(session, site_id=site_id, text=record)
    shift = shifts.join_current(session, acting=acting, operator=actor, now=now,
                                settings=settings)
    assert shift.id is not None and actor.id is not None
    entry = DutyLogEntry(
        site_id=site_id, shift_id=shift.id, at=as_utc(now), operator_id=actor.id, text=text,
        anomaly=anomaly, unit_id=unit_record.id if unit_record else None,
        record_kind=record_kind, record_id=record_id, record_ref=record_ref,
        created_at=as_utc(now),
    )
    session.add(entry)
    session.flush()
    assert entry.id is not None
    search.index_record(session, acting=acting, entity=ENTITY, entity_id=entry.id,
                        text=" ".join(part for part in (
                            text, unit_record.code if unit_record else "", record_ref) if part))
    audit.record(
        session, now=now, actor=actor, action="duty.write", entity=ENTITY, entity_id=entry.id,
        site_id=site_id,
        after={"shift_id": shift.id, "text": text, "anomaly": anomaly,
               "unit": unit_record.code if unit_record else "", "record": record_ref},
    )
    return entry


def _linked(session: Session, *, site_id: int, text: str) -> tuple[str, int | None, str]:
    """``(kind, id, as typed)`` of the record an entry is about; nothing when empty."""
    ref = text.strip().upper()
    if not ref:
        return LinkedRecord.NONE.value, None, ""
    try:
        if _REQUEST_NUMBER.match(ref):
            day, sequence = ref.split("-")
            number = f"{day}-{int(sequence):04d}"
            return (LinkedRecord.REQUEST.value,
                    views.require_request_number(session, acting=Acting(site_id), number=number),
                    number)
        ledger, record_id = lists.find_by_code(session, acting=Acting(site_id), text=ref)
    except NotFound as missing:  # the ledger's own words, beside the record field
        raise NotFound(missing.message, field="record") from None
    except InvalidInput:
        raise InvalidInput(
            _("{text} is neither a request number (261202-0001) nor a ticket, parcel or key "
              "code. Check it, or leave the record empty.").format(text=text.strip()),
            field="record",
        ) from None
    kind = LinkedRecord.KEY if ledger == lists.KEY_LEDGER else LinkedRecord.CUSTODY
    return kind.value, record_id, ref


@dataclass(frozen=True)
class ShiftLog(Page[DutyLine]):
    """A page of a shift's log; ``total`` entries in the shift (matching the query), and
    ``anomalies`` of them marked as anomaly (of the whole shift, not of the page)."""

    anomalies: int = 0


def _select_lines(conditions: list[Any]) -> Any:
    return (select(DutyLogEntry, Operator.display_name, Unit.code)
            .join(Operator, col(Operator.id) == col(DutyLogEntry.operator_id))
            .outerjoin(Unit, col(Unit.id) == col(DutyLogEntry.unit_id))
            .where(*conditions))


_OLDEST_FIRST = (col(DutyLogEntry.at), col(DutyLogEntry.id))


def _before(session: Session, conditions: list[Any], *, shift_id: int,
            entry_id: int) -> int | None:
    """How many of the entries matching ``conditions`` come before this one of the shift
    (None: it is not in the shift)."""
    entry = session.get(DutyLogEntry, entry_id)
    if entry is None or entry.shift_id != shift_id:
        return None
    return int(session.exec(
        select(func.count()).select_from(DutyLogEntry)
        .where(*conditions, or_(col(DutyLogEntry.at) < entry.at,
                                and_(col(DutyLogEntry.at) == entry.at,
                                     col(DutyLogEntry.id) < entry_id)))).one())


def shift_log(
    session: Session,
    *,
    acting: Acting,
    shift_id: int,
    query: str = "",
    offset: int = 0,
    limit: int = lists.DEFAULT_PAGE,
    newest: bool = False,
    around: int | None = None,
) -> ShiftLog:
    """A page of a shift's entries, oldest first; ``query`` keeps those that contain its
    words. ``newest``: the last page (the latest entries, still oldest first);
    ``around``: the page with that entry in its middle, or the last page when the entry
    is among the latest (``offset`` when it is not in the list)."""
    site_id = acting.site_id
    limit = max(1, min(limit, MAX_LIST))
    conditions: list[Any] = [DutyLogEntry.site_id == site_id, DutyLogEntry.shift_id == shift_id]
    if query.strip():
        ids = search.search_ids(session, acting=acting, entity=ENTITY, query=query,
                                limit=search.MAX_LIMIT)
        if not ids:
            return ShiftLog(rows=[], total=0, offset=0, limit=limit)
        conditions.append(col(DutyLogEntry.id).in_(ids))
    total, anomalies = session.exec(
        select(func.count(), func.count(case((col(DutyLogEntry.anomaly).is_(True), 1))))
        .select_from(DutyLogEntry).where(*conditions)).one()
    total = int(total)
    last = max(0, total - limit)
    position = (_before(session, conditions, shift_id=shift_id, entry_id=around)
                if around is not None else None)
    if position is not None:
        offset = min(max(0, position - limit // 2), last)
    elif newest:
        offset = last
    offset = max(0, offset)
    rows = session.exec(_select_lines(conditions).order_by(*_OLDEST_FIRST)
                        .offset(offset).limit(limit)).all()
    return ShiftLog(rows=[_line(entry, name, code) for entry, name, code in rows],
                    total=total, offset=offset, limit=limit, anomalies=int(anomalies or 0))


def anomalies(session: Session, *, acting: Acting, shift_id: int) -> list[DutyLine]:
    """The shift's anomalies (异常), oldest first, which its handover carries to the next
    shift: up to ``MAX_LIST`` of them, as the handover has always carried."""
    site_id = acting.site_id
    rows = session.exec(
        _select_lines([DutyLogEntry.site_id == site_id, DutyLogEntry.shift_id == shift_id,
                       col(DutyLogEntry.anomaly).is_(True)])
        .order_by(*_OLDEST_FIRST).limit(MAX_LIST)
    ).all()
    return [_line(entry, name, code) for entry, name, code in rows]


def search_log(session: Session, *, acting: Acting, query: str, limit: int = 50) -> list[DutyLine]:
    """Entries of any shift that contain every word of ``query``, newest first."""
    site_id = acting.site_id
    ids = search.search_ids(session, acting=acting, entity=ENTITY, query=query,
                            limit=max(1, min(limit, MAX_LIST)))
    if not ids:
        return []
    rows = session.exec(
        _select_lines([DutyLogEntry.site_id == site_id, col(DutyLogEntry.id).in_(ids)])
        .order_by(col(DutyLogEntry.at).desc(), col(DutyLogEntry.id).desc())
    ).all()
    return [_line(entry, name, code) for entry, name, code in rows]


def _line(entry: DutyLogEntry, operator_name: str, unit_code: str | None) -> DutyLine:
    return DutyLine(id=entry.id or 0, shift_id=entry.shift_id, at=entry.at,
                    operator_name=operator_name, text=entry.text, anomaly=entry.anomaly,
                    unit_code=unit_code or "", record_ref=entry.record_ref)


def _carried_anomalies(session: Session, window: Window) -> list[Carried]:
    """The handing-over shift's anomalies: the next shift must hear of each."""
    if window.shift_id is None:
        return []
    return [
        Carried(record_kind=ENTITY, record_id=line.id, reference=line.record_ref,
                unit_code=line.unit_code, what=f"{line.text} ({line.operator_name})",
                since=as_utc(line.at), deadline=None, last_step=ANOMALY_STEP)
        for line in anomalies(session, acting=Acting(window.site_id), shift_id=window.shift_id)
    ]


CONTRIBUTIONS = [
    Contribution(group="anomalies", title=lambda: _("Anomalies in the duty log"),
                 gather=_carried_anomalies, least=WatchLevel.WATCH),
]
