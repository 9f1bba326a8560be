"""No site reads another's records (issue 18, point 3): a walk over every service.

Two sites share one database: the desk's own (A) and ``north`` (B), each with records in
every ledger, made through the services by an operator of that site. Every public
function of ``deskapp/services/**`` that takes a ``session`` and a keyword ``acting``
(the site and the operator, ``acting.Acting``; or, for the few of
``LOOSE_SITE_OR_OPERATOR``, a keyword ``site_id``) is named in exactly one table below;
``test_every_service_taking_a_site_is_classified`` fails on one that is in none (a new
service must be placed here), and ``test_every_classified_function_still_exists`` on a
name that is no longer a service.

- ``READERS_BY_ID``: asked at site A for one of B's records (its id, code, number,
  login), they refuse (a ``DeskError``) or return nothing of B's.
- ``LIST_READERS``: asked at site A, they return exactly what they returned before B's
  records existed (the module's desk is snapshotted between the two sites' records), and
  nothing that carries B's site id or B's text.

Each walk has its control: the same by-id call with B's own site id finds B's record,
and the same list at B (which holds more records than A) answers otherwise than at A,
except where a table below says why not.
- ``WRITERS``: change state. Those signed by an operator are refused for an operator of
  another site by the one rule in ``acting`` (``tests/services/test_acting.py``); a
  handful per ledger is called here at site B with A's operator, and must raise
  ``AuthError``; the few without an actor are called at A with B's ids and refuse.
- ``NOT_RECORD_READERS``: seeders, exports, reports, sweeps, the search index and audit
  plumbing; the exports and reports are called, and A's output holds nothing of B.

Every call runs in a ``reading`` session, which commits nothing: the module's desk only
ever holds what the fixture built.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import pkgutil
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, SQLModel, select

import deskapp.services
from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import AuthError, DeskError
from deskapp.formatting import desk_zone
from deskapp.models import Operator
from deskapp.models.handover import HandoverItem
from deskapp.models.release import ReleaseLine
from deskapp.services import (
    audit,
    command_tokens,
    dashboard,
    demo,
    directory,
    export,
    grants,
    importer,
    instructions,
    operators,
    reports,
    search,
    sites,
)
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock
from deskapp.services.custody import core, keys, lists, lostfound, parcels, storage
from deskapp.services.custody import export as custody_export
from deskapp.services.custody.checks import Collector, check_witnesses
from deskapp.services.handover import assembly, dutylog, handovers, sheet, shifts
from deskapp.services.release import moving_out, reconciliation, slip_print, slips
from deskapp.services.release.slips import LineForm, SlipForm
from deskapp.services.reports import monthly, periods, quarterly
from deskapp.services.requests import (
    deadlines,
    lifecycle,
    revisits,
    rules,
    timeline,
    views,
    workorders,
)
from tests.conftest import BACKENDS, DESK_MORNING, open_empty_desk

PIN = "1234"
TODAY = date(2026, 11, 23)  # the desk's local day (DESK_MORNING in Beijing)

EXPORTED_LEDGERS = ("requests", "request_events", "storage", "lost_found", "parcels",
                    "key_loans", "handovers", "handover_items", "handover_counts", "duty_log",
                    "release_slips", "release_lines", "release_settlements")


# --- the two sites -----------------------------------------------------------------------


@dataclass
class Records:
    """One site's staff and one record of each ledger, with the ids and codes that name
    them."""

    site_id: int
    operator: Operator
    colleague: Operator
    manager: Operator
    guard: Operator
    unit_id: int
    unit_code: str
    resident_id: int
    request_id: int
    request_number: str
    work_order_id: int
    storage_id: int
    storage_code: str
    parcel_id: int
    parcel_code: str
    tracking: str
    lost_id: int
    lost_code: str
    key_id: int
    key_code: str
    loan_id: int
    slip_id: int
    slip_code: str
    slip_line_id: int
    draft_slip_id: int
    shift_id: int
    shift_starts_at: datetime
    duty_id: int
    instruction_id: int
    handover_id: int
    handover_item_ids: list[int]
    token_id: int
    token_secret: str
    depositor: str
    markers: set[str] = field(default_factory=set)
    """Text only this site's records carry: B's must never appear in A's answers."""


def _populate(desk: Desk, site_id: int, *, tag: str, units: tuple[str, str],
              people: tuple[str, str], tracking: str, prefix: str,
              second: str = "") -> Records:
    """Staff, two units with residents, and one record in every ledger at ``site_id``,
    each written by an operator of that site (as test_* of each ledger makes them).
    With a ``second`` tracking number, a second record in most ledgers: the site's
    counts then differ from the other's, so a list that counted both would show it."""
    now = desk.clock.now()
    settings = desk.settings
    with transaction(desk.engine) as session:
        def staff(login: str, name: str, role: str) -> Operator:
            return operators.add_operator(session, acting=Acting(site_id), login=login,
                                          display_name=name, role=role, secret=PIN, now=now)

        operator = staff(f"{prefix}op", f"{tag}值班", "operator")
        colleague = staff(f"{prefix}op2", f"{tag}同事", "operator")
        manager = staff(f"{prefix}mgr", f"{tag}经理", "manager")
        guard = staff(f"{prefix}guard", f"{tag}保安", "guard")
        made = [directory.add_unit(session, acting=Acting(site_id, operator), code=code,
                                   now=now) for code in units]
        resident = directory.add_resident(session, acting=Acting(site_id, operator), unit=made[0],
                                          name=people[0], relation="owner",
                                          phone="13812345678", now=now)
        directory.add_resident(session, acting=Acting(site_id, operator), unit=made[1],
                               name=people[1],
                               relation="tenant", phone="13900001111", now=now)
        unit_id = made[0].id or 0
        request = lifecycle.create_request(
            session, acting=Acting(site_id, operator), settings=settings, now=now,
            kind="repair", summary=f"{tag}卫生间漏水", unit_id=unit_id,
            resident_id=resident.id, contact_name=people[0], contact_phone="13812345678")
        order = workorders.open_work_order(
            session, acting=Acting(site_id, operator), request_id=request.id or 0,
            settings=settings,
            now=now, task=f"{tag}换水管", location="in_home",
            appointment_at=now + timedelta(hours=3), technician=f"{tag}师傅")
        item = storage.deposit(session, acting=Acting(site_id, operator), now=now,
                               form=storage.StorageForm(
                                   depositor_name=people[0], description=f"{tag}行李箱",
                                   shelf="A-3", phone="13812345678", unit=units[0],
                                   depositor_confirmed=True))
        parcel = parcels.log_parcel(
            session, acting=Acting(site_id, operator),
            form=parcels.ParcelForm(carrier="京东", tracking_number=tracking, unit=units[0],
                                    resident_name=people[0], shelf="B-2",
                                    phone="13812345678", description=f"{tag}小件"),
            consent=True, now=now)
        lost = lostfound.register_found(
            session, acting=Acting(site_id, operator),
            form=lostfound.FoundForm(description=f"{tag}黑色钱包", found_where=f"{tag}大堂",
                                     finder=f"{tag}保安", valuable=True),
            now=now)
        key = keys.register_key(session, acting=Acting(site_id, operator), unit=units[0],
                                label=f"{tag}入户门", place="A-1", custodian=f"{tag}经理",
                                now=now)
        loan = keys.lend_key(session, acting=Acting(site_id, operator), key_id=key.id or 0,
                             borrower=keys.Borrower(name=f"{tag}刘师傅", kind="contractor",
                                                    signed=True),
                             purpose=f"{tag}维修", due_at=now + timedelta(hours=1), now=now,
                             settings=settings)
        slip = slips.create(session, acting=Acting(site_id, operator), now=now,
                            settings=settings, form=SlipForm(
                                unit=units[0], applicant_name=people[0],
                                applicant_relation="owner", carrier_name=f"{tag}周师傅",
                                carrier_id_number="11010519491231002X",
                                carrier_phone="13955556666", plate="京A12345",
                                driver_name=f"{tag}周师傅", reason="gift_or_sale",
                                planned_at=now + timedelta(hours=4),
                                lines=(LineForm(f"{tag}三人沙发", 1),)))
        slips.record_confirmation(session, acting=Acting(site_id, operator), slip_id=slip.id or 0,
                                  resident_id=resident.id or 0, now=now)
        slip = slips.issue(session, acting=Acting(site_id, operator), slip_id=slip.id or 0, now=now,
                           settings=settings)
        draft = slips.create(session, acting=Acting(site_id, operator), now=now,
                             settings=settings, form=SlipForm(
                                 unit=units[0], applicant_name=people[0],
                                 applicant_relation="owner", carrier_name=f"{tag}吴师傅",
                                 carrier_id_number="11010519491231002X",
                                 carrier_phone="13955556666", plate="京C11111",
                                 driver_name=f"{tag}吴师傅", reason="gift_or_sale",
                                 planned_at=now + timedelta(hours=6),
                                 lines=(LineForm(f"{tag}冰箱", 1),)))
        slips.add_pattern(session, acting=Acting(site_id), unit=units[0], company=f"{tag}公司",
                          items=[f"{tag}样品"], carriers=[f"{tag}孙师傅"],
                          valid_from=TODAY, valid_until=date(2027, 6, 30), now=now,
                          approver=manager)
        entry = dutylog.write_entry(session, acting=Acting(site_id, operator), now=now,
                                    settings=settings, text=f"{tag}电梯异响，已报工程部",
                                    anomaly=True, unit=units[0])
        instruction = instructions.add_instruction(
            session, acting=Acting(site_id, operator), unit_id=unit_id, kind="hold_parcels",
            expires_on=date(2027, 6, 30), given_by=people[0], now=now,
            settings=settings)
        token, secret = command_tokens.create_token(session, acting=Acting(site_id, manager),
                                                    label=f"{tag}夜间导出", now=now)
        if second:
            _second_records(session, site_id, operator, now, settings, tag=tag,
                            unit=units[1], person=people[1], tracking=second,
                            unit_id=made[1].id or 0)
        handover = handovers.start(session, acting=Acting(site_id, operator), now=now,
                                   settings=settings)
        shift = shifts.current_shift(session, acting=Acting(site_id), now=now, settings=settings)
        item_ids = list(session.exec(select(HandoverItem.id).where(
            HandoverItem.handover_id == handover.id)).all())
        line = session.exec(select(ReleaseLine.id).where(
            ReleaseLine.slip_id == slip.id)).first()
        records = Records(
            site_id=site_id, operator=operator, colleague=colleague, manager=manager, guard=guard,
            unit_id=unit_id, unit_code=units[0], resident_id=resident.id or 0,
            request_id=request.id or 0, request_number=request.number or "",
            work_order_id=order.id or 0, storage_id=item.id or 0,
            storage_code=item.code or "", parcel_id=parcel.id or 0,
            parcel_code=parcel.code or "", tracking=tracking, lost_id=lost.id or 0,
            lost_code=lost.code or "", key_id=key.id or 0, key_code=key.code or "",
            loan_id=loan.id or 0, slip_id=slip.id or 0, slip_code=slip.code or "",
            slip_line_id=line or 0, draft_slip_id=draft.id or 0, shift_id=shift.id or 0,
            shift_starts_at=shift.starts_at, duty_id=entry.id or 0,
            instruction_id=instruction.id or 0, handover_id=handover.id or 0,
            handover_item_ids=[i for i in item_ids if i is not None], token_id=token.id or 0,
            token_secret=secret, depositor=people[0])
    records.markers = {tag, *units, *people, tracking, f"{prefix}op", f"{prefix}mgr"}
    return records


def _second_records(session: Session, site_id: int, operator: Operator, now: datetime,
                    settings: Any, *, tag: str, unit: str, person: str, tracking: str,
                    unit_id: int) -> None:
    directory.add_unit(session, acting=Acting(site_id, operator), code=unit[:-1] + "3", now=now)
    lifecycle.create_request(
        session, acting=Acting(site_id, operator), settings=settings, now=now,
        kind="repair", summary=f"{tag}厨房漏水", unit_id=unit_id, contact_name=person,
        contact_phone="13900001111")
    storage.deposit(session, acting=Acting(site_id, operator), now=now,
                    form=storage.StorageForm(depositor_name=person, description=f"{tag}纸箱",
                                             shelf="A-4", phone="13900001111", unit=unit,
                                             depositor_confirmed=True))
    parcels.log_parcel(
        session, acting=Acting(site_id, operator),
        form=parcels.ParcelForm(carrier="顺丰", tracking_number=tracking, unit=unit,
                                resident_name=person, shelf="B-3", phone="13900001111"),
        consent=True, now=now)
    lostfound.register_found(
        session, acting=Acting(site_id, operator),
        form=lostfound.FoundForm(description=f"{tag}红色钱包", found_where=f"{tag}电梯",
                                 finder=f"{tag}保洁"),
        now=now)
    key = keys.register_key(session, acting=Acting(site_id, operator), unit=unit,
                            label=f"{tag}车库门",
                            place="A-2", custodian=f"{tag}经理", now=now)
    keys.lend_key(session, acting=Acting(site_id, operator), key_id=key.id or 0,
                  borrower=keys.Borrower(name=f"{tag}王师傅", kind="contractor", signed=True),
                  purpose=f"{tag}装修", due_at=now + timedelta(hours=2), now=now,
                  settings=settings)
    slips.create(session, acting=Acting(site_id, operator), now=now, settings=settings,
                 form=SlipForm(unit=unit, applicant_name=person, applicant_relation="tenant",
                               carrier_name=f"{tag}郑师傅",
                               carrier_id_number="11010519491231002X",
                               carrier_phone="13955556666", plate="京B54321",
                               driver_name=f"{tag}郑师傅", reason="gift_or_sale",
                               planned_at=now + timedelta(hours=5),
                               lines=(LineForm(f"{tag}书柜", 1),)))
    dutylog.write_entry(session, acting=Acting(site_id, operator), now=now,
                        settings=settings, text=f"{tag}电梯再次异响", anomaly=True)


@dataclass
class World:
    desk: Desk
    a: Records
    b: Records
    out: Path
    before: dict[str, Any]
    """What each list reader, export and report answered at A before B had records."""
    at_b: dict[str, Any] = field(default_factory=dict)
    """The same calls with B's site id: what B's desk sees."""
    after: dict[str, Any] = field(default_factory=dict)
    """The same at A once B's records were written (before any test ran its calls: some
    refused calls audit their attempt at A, on purpose, in a unit of work of their own)."""

    @property
    def now(self) -> datetime:
        return self.desk.clock.now()


# --- what an answer holds ----------------------------------------------------------------


def plain(value: Any) -> Any:
    """``value`` as plain data (records, dataclasses, pages, iterators unfolded), so two
    answers compare and their text and site ids can be searched."""
    if isinstance(value, (str, int, float, bool, type(None), datetime, date, enum.Enum)):
        return value
    if isinstance(value, SQLModel):
        return {"__type": type(value).__name__, **{k: plain(v) for k, v in
                                                    value.model_dump().items()}}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"__type": type(value).__name__,
                **{f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dict):
        return {str(plain(k)): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset, Iterator)):
        items = [plain(v) for v in value]
        return sorted(items, key=repr) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, Path):
        return str(value)
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))


def traces_of(answer: Any, other: Records) -> list[str]:
    """Where ``answer`` (plain data) carries ``other``'s site id or text."""
    found: list[str] = []

    def walk(value: Any, where: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key == "site_id" and item == other.site_id:
                    found.append(f"{where}.site_id={item}")
                walk(item, f"{where}.{key}")
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{where}[{index}]")
        elif isinstance(value, str):
            hits = [m for m in other.markers if m and m in value]
            if hits:
                found.append(f"{where}: {value!r} (has {hits})")

    walk(answer, "answer")
    return found


def differences(before: Any, after: Any, where: str = "answer") -> list[str]:
    """The paths at which two plain answers differ, with both values."""
    if isinstance(before, dict) and isinstance(after, dict):
        return [line for key in sorted(set(before) | set(after))
                for line in differences(before.get(key), after.get(key), f"{where}.{key}")]
    if isinstance(before, list) and isinstance(after, list) and len(before) == len(after):
        return [line for index, (x, y) in enumerate(zip(before, after, strict=True))
                for line in differences(x, y, f"{where}[{index}]")]
    return [] if before == after else [f"{where}: {before!r} -> {after!r}"]


# --- the tables ---------------------------------------------------------------------------

Call = Callable[[Session, World], Any]
"""A call at site A of one of B's records, or a site call (``w.a.site_id``)."""


def _s(w: World) -> Any:
    return w.desk.settings


def _zone(w: World) -> Any:
    return desk_zone(w.desk.settings.timezone)


def _period() -> periods.Period:
    return periods.month(2026, 11)


#: At site A, with one of B's records' ids or codes.
READERS_BY_ID: dict[str, Call] = {
    "command_tokens.act_as": lambda s, w: command_tokens.act_as(
        s, acting=Acting(w.a.site_id), operator_id=w.b.manager.id or 0, command="export",
        now=w.now),
    "command_tokens.act_with_token": lambda s, w: command_tokens.act_with_token(
        s, acting=Acting(w.a.site_id), secret=w.b.token_secret, now=w.now, command="export"),
    "custody.checks.check_witnesses": lambda s, w: check_witnesses(
        s, acting=Acting(w.a.site_id), witness_a=w.b.operator, witness_b=w.b.colleague),
    "custody.core.get_by_code": lambda s, w: core.get_by_code(
        s, acting=Acting(w.a.site_id), text=w.b.storage_code, ledger="storage"),
    "custody.core.get_item": lambda s, w: core.get_item(
        s, acting=Acting(w.a.site_id), item_id=w.b.storage_id),
    "custody.core.timeline": lambda s, w: core.timeline(
        s, acting=Acting(w.a.site_id), item_id=w.b.storage_id),
    "custody.keys.get_key": lambda s, w: keys.get_key(s, acting=Acting(w.a.site_id),
                                                      key_id=w.b.key_id),
    "custody.keys.get_key_by_code": lambda s, w: keys.get_key_by_code(
        s, acting=Acting(w.a.site_id), text=w.b.key_code),
    "custody.keys.key_timeline": lambda s, w: keys.key_timeline(
        s, acting=Acting(w.a.site_id), key_id=w.b.key_id),
    "custody.keys.loans_of": lambda s, w: keys.loans_of(s, acting=Acting(w.a.site_id),
                                                        key_id=w.b.key_id),
    "custody.lists.find_by_code": lambda s, w: lists.find_by_code(
        s, acting=Acting(w.a.site_id), text=w.b.parcel_code),
    "custody.parcels.find_tracking": lambda s, w: parcels.find_tracking(
        s, acting=Acting(w.a.site_id), text=w.b.tracking, now=w.now, settings=_s(w)),
    "custody.parcels.has_standing_consent": lambda s, w: parcels.has_standing_consent(
        s, acting=Acting(w.a.site_id), unit_id=w.b.unit_id, now=w.now, settings=_s(w)),
    "custody.parcels.to_pick_up": lambda s, w: parcels.to_pick_up(
        s, acting=Acting(w.a.site_id), item_id=w.b.parcel_id),
    "custody.storage.depositor_from_pick": lambda s, w: storage.depositor_from_pick(
        s, acting=Acting(w.a.site_id), unit_id=w.b.unit_id, resident_id=w.b.resident_id),
    "custody.storage.find_lost_ticket": lambda s, w: storage.find_lost_ticket(
        s, acting=Acting(w.a.site_id), query=w.b.depositor, now=w.now, settings=_s(w)),
    "custody.storage.record": lambda s, w: storage.record(
        s, acting=Acting(w.a.site_id), item_id=w.b.storage_id, now=w.now, settings=_s(w)),
    "custody.storage.ticket_item": lambda s, w: storage.ticket_item(
        s, acting=Acting(w.a.site_id), item_id=w.b.storage_id),
    "custody.storage.to_collect": lambda s, w: storage.to_collect(
        s, acting=Acting(w.a.site_id), code=w.b.storage_code),
    "directory.find_resident": lambda s, w: directory.find_resident(
        s, acting=Acting(w.a.site_id), resident_id=w.b.resident_id),
    "directory.find_unit": lambda s, w: directory.find_unit(s, acting=Acting(w.a.site_id),
                                                            code=w.b.unit_code),
    "directory.get_unit": lambda s, w: directory.get_unit(s, acting=Acting(w.a.site_id),
                                                          code=w.b.unit_code),
    "directory.lookup": lambda s, w: directory.lookup(s, acting=Acting(w.a.site_id),
                                                      query=w.b.unit_code),
    "directory.unit_card": lambda s, w: directory.unit_card(s, acting=Acting(w.a.site_id),
                                                            unit_id=w.b.unit_id),
    "export.authorize_unmasked": lambda s, w: export.authorize_unmasked(
        s, acting=Acting(w.a.site_id), login=w.b.manager.login, secret=PIN, now=w.now,
        ledger="storage", window=export.Window(day=TODAY, since=w.now - timedelta(days=1),
                                               until=w.now + timedelta(days=1),
                                               zone=_zone(w)),
        out_file=w.out / "unmasked.csv"),
    "handover.dutylog.anomalies": lambda s, w: dutylog.anomalies(
        s, acting=Acting(w.a.site_id), shift_id=w.b.shift_id),
    "handover.dutylog.shift_log": lambda s, w: dutylog.shift_log(
        s, acting=Acting(w.a.site_id), shift_id=w.b.shift_id),
    "handover.handovers.blockers": lambda s, w: handovers.blockers(
        s, acting=Acting(w.a.site_id), handover_id=w.b.handover_id, now=w.now, settings=_s(w)),
    "handover.handovers.candidates": lambda s, w: handovers.candidates(
        s, acting=Acting(w.a.site_id), handover=handovers.get_handover(
            s, acting=Acting(w.b.site_id), handover_id=w.b.handover_id), now=w.now),
    "handover.handovers.get_handover": lambda s, w: handovers.get_handover(
        s, acting=Acting(w.a.site_id), handover_id=w.b.handover_id),
    "handover.handovers.signer_login": lambda s, w: handovers.signer_login(
        s, acting=Acting(w.a.site_id), handover_id=w.b.handover_id, side="outgoing"),
    "handover.sheet.handover_document": lambda s, w: sheet.handover_document(
        s, acting=Acting(w.a.site_id), handover_id=w.b.handover_id, settings=_s(w), now=w.now),
    "handover.shifts.shift_starting": lambda s, w: shifts.shift_starting(
        s, acting=Acting(w.a.site_id), starts_at=w.b.shift_starts_at),
    "instructions.active_instructions": lambda s, w: instructions.active_instructions(
        s, acting=Acting(w.a.site_id), unit_id=w.b.unit_id, now=w.now),
    "operators.find_operator": lambda s, w: operators.find_operator(
        s, acting=Acting(w.a.site_id), login=w.b.operator.login),
    "operators.get_operator": lambda s, w: operators.get_operator(
        s, acting=Acting(w.a.site_id), login=w.b.operator.login),
    "operators.sign_in": lambda s, w: operators.sign_in(
        s, acting=Acting(w.a.site_id), login=w.b.operator.login, secret=PIN, now=w.now),
    "release.moving_out.outstanding": lambda s, w: moving_out.outstanding(
        s, acting=Acting(w.a.site_id), unit_id=w.b.unit_id, now=w.now),
    "release.slip_print.slip_document": lambda s, w: slip_print.slip_document(
        s, acting=Acting(w.a.site_id), slip_id=w.b.slip_id, site_name="A", zone=_zone(w)),
    "release.slips.at_gate": lambda s, w: slips.at_gate(
        s, acting=Acting(w.a.site_id), text=w.b.slip_code, now=w.now, settings=_s(w)),
    "release.slips.get_by_code": lambda s, w: slips.get_by_code(
        s, acting=Acting(w.a.site_id), text=w.b.slip_code),
    "release.slips.get_slip": lambda s, w: slips.get_slip(s, acting=Acting(w.a.site_id),
                                                          slip_id=w.b.slip_id),
    "release.slips.next_step": lambda s, w: slips.next_step(
        s, acting=Acting(w.a.site_id), slip_id=w.b.draft_slip_id, settings=_s(w), now=w.now),
    "release.slips.offered_numbers": lambda s, w: slips.offered_numbers(
        s, acting=Acting(w.a.site_id), slip_id=w.b.slip_id),
    "release.slips.owners_on_file": lambda s, w: slips.owners_on_file(
        s, acting=Acting(w.a.site_id), slip_id=w.b.slip_id),
    "release.slips.patterns_of": lambda s, w: slips.patterns_of(
        s, acting=Acting(w.a.site_id), unit_id=w.b.unit_id),
    "release.slips.problems": lambda s, w: slips.problems(
        s, acting=Acting(w.a.site_id), slip_id=w.b.draft_slip_id, settings=_s(w), now=w.now),
    "requests.lifecycle.handover_candidates": lambda s, w: lifecycle.handover_candidates(
        s, acting=Acting(w.a.site_id), request_id=w.b.request_id),
    "requests.revisits.revisit_history": lambda s, w: revisits.revisit_history(
        s, acting=Acting(w.a.site_id), request_id=w.b.request_id),
    "requests.timeline.get_request": lambda s, w: timeline.get_request(
        s, acting=Acting(w.a.site_id), request_id=w.b.request_id),
    "requests.views.request_card": lambda s, w: views.request_card(
        s, acting=Acting(w.a.site_id), request_id=w.b.request_id, now=w.now),
    "requests.views.require_request_number": lambda s, w: views.require_request_number(
        s, acting=Acting(w.a.site_id), number=w.b.request_number),
    "requests.views.rows_by_ids": lambda s, w: views.rows_by_ids(
        s, acting=Acting(w.a.site_id), ids=[w.b.request_id], now=w.now),
    "requests.views.unit_context": lambda s, w: views.unit_context(
        s, acting=Acting(w.a.site_id), unit_id=w.b.unit_id, now=w.now),
    "requests.workorders.get_work_order": lambda s, w: workorders.get_work_order(
        s, acting=Acting(w.a.site_id), work_order_id=w.b.work_order_id),
}

#: At site A: rows, pages and counts. Each answer must be the one given before B existed.
LIST_READERS: dict[str, Call] = {
    "audit.recent": lambda s, w: audit.recent(s, acting=Acting(w.a.site_id), limit=500),
    "command_tokens.list_tokens": lambda s, w: command_tokens.list_tokens(
        s, acting=Acting(w.a.site_id)),
    "command_tokens.site_has_manager": lambda s, w: command_tokens.site_has_manager(
        s, acting=Acting(w.a.site_id)),
    "custody.export.export_items": lambda s, w: custody_export.export_items(
        s, acting=Acting(w.a.site_id), ledger=core.Ledger.STORAGE, since=w.now - timedelta(days=1),
        until=w.now + timedelta(days=1),
        columns=custody_export.COMMON_HEAD + custody_export.COMMON_TAIL),
    "custody.export.operator_logins": lambda s, w: custody_export.operator_logins(
        s, acting=Acting(w.a.site_id)),
    "custody.keys.export_rows": lambda s, w: keys.export_rows(
        s, acting=Acting(w.a.site_id), since=w.now - timedelta(days=1),
        until=w.now + timedelta(days=1)),
    "custody.keys.keys_out": lambda s, w: keys.keys_out(s, acting=Acting(w.a.site_id), now=w.now),
    "custody.keys.register": lambda s, w: keys.register(s, acting=Acting(w.a.site_id), now=w.now),
    "custody.lists.count_items": lambda s, w: lists.count_items(s, acting=Acting(w.a.site_id),
                                                                where=[]),
    "custody.lists.item_page": lambda s, w: lists.item_page(s, acting=Acting(w.a.site_id),
                                                            where=[], now=w.now),
    "custody.lostfound.disposal_list": lambda s, w: lostfound.disposal_list(
        s, acting=Acting(w.a.site_id), now=w.now + timedelta(days=400), settings=_s(w)),
    "custody.lostfound.disposal_page": lambda s, w: lostfound.disposal_page(
        s, acting=Acting(w.a.site_id), now=w.now + timedelta(days=400), settings=_s(w)),
    "custody.lostfound.export_rows": lambda s, w: lostfound.export_rows(
        s, acting=Acting(w.a.site_id), since=w.now - timedelta(days=1),
        until=w.now + timedelta(days=1)),
    "custody.lostfound.handover_list": lambda s, w: lostfound.handover_list(
        s, acting=Acting(w.a.site_id), now=w.now + timedelta(days=2), settings=_s(w)),
    "custody.lostfound.handover_page": lambda s, w: lostfound.handover_page(
        s, acting=Acting(w.a.site_id), now=w.now + timedelta(days=2), settings=_s(w)),
    "custody.lostfound.lost_items": lambda s, w: lostfound.lost_items(
        s, acting=Acting(w.a.site_id), now=w.now, settings=_s(w)),
    "custody.lostfound.notice_page": lambda s, w: lostfound.notice_page(
        s, acting=Acting(w.a.site_id), now=w.now, settings=_s(w)),
    "custody.lostfound.search": lambda s, w: lostfound.search(
        s, acting=Acting(w.a.site_id), query="钱包", now=w.now, settings=_s(w)),
    "custody.lostfound.valuables_for_admin": lambda s, w: lostfound.valuables_for_admin(
        s, acting=Acting(w.a.site_id), now=w.now + timedelta(days=2), settings=_s(w)),
    "custody.lostfound.weekly_notice": lambda s, w: lostfound.weekly_notice(
        s, acting=Acting(w.a.site_id), now=w.now, settings=_s(w)),
    "custody.parcels.export_rows": lambda s, w: parcels.export_rows(
        s, acting=Acting(w.a.site_id), since=w.now - timedelta(days=1),
        until=w.now + timedelta(days=1)),
    "custody.parcels.overdue_count": lambda s, w: parcels.overdue_count(
        s, acting=Acting(w.a.site_id), now=w.now + timedelta(days=30), settings=_s(w)),
    "custody.parcels.waiting": lambda s, w: parcels.waiting(
        s, acting=Acting(w.a.site_id), now=w.now, settings=_s(w)),
    "custody.storage.export_rows": lambda s, w: storage.export_rows(
        s, acting=Acting(w.a.site_id), since=w.now - timedelta(days=1),
        until=w.now + timedelta(days=1)),
    "custody.storage.held": lambda s, w: storage.held(s, acting=Acting(w.a.site_id), now=w.now,
                                                      settings=_s(w)),
    "custody.storage.history": lambda s, w: storage.history(
        s, acting=Acting(w.a.site_id), now=w.now, settings=_s(w)),
    "custody.storage.overdue_count": lambda s, w: storage.overdue_count(
        s, acting=Acting(w.a.site_id), now=w.now + timedelta(days=30), settings=_s(w)),
    "dashboard.custody_counts": lambda s, w: dashboard.custody_counts(
        s, acting=Acting(w.a.site_id), now=w.now, settings=_s(w)),
    "dashboard.desk_summary": lambda s, w: dashboard.desk_summary(
        s, acting=Acting(w.a.site_id), now=w.now, settings=_s(w)),
    "dashboard.handover_counts": lambda s, w: dashboard.handover_counts(
        s, acting=Acting(w.a.site_id)),
    "dashboard.open_escalations": lambda s, w: dashboard.open_escalations(
        s, acting=Acting(w.a.site_id)),
    "dashboard.release_counts": lambda s, w: dashboard.release_counts(
        s, acting=Acting(w.a.site_id), now=w.now, settings=_s(w)),
    "demo.offered_sign_ins": lambda s, w: demo.offered_sign_ins(s, acting=Acting(w.a.site_id)),
    "directory.counts": lambda s, w: directory.counts(s, acting=Acting(w.a.site_id)),
    "grants.grants_of": lambda s, w: grants.grants_of(s, acting=Acting(w.a.site_id)),
    "handover.assembly.window_at": lambda s, w: assembly.window_at(
        s, acting=Acting(w.a.site_id), now=w.now, settings=_s(w)),
    "handover.dutylog.search_log": lambda s, w: dutylog.search_log(
        s, acting=Acting(w.a.site_id), query="电梯"),
    "handover.handovers.open_handover": lambda s, w: handovers.open_handover(
        s, acting=Acting(w.a.site_id)),
    "handover.handovers.open_view": lambda s, w: handovers.open_view(
        s, acting=Acting(w.a.site_id), now=w.now, settings=_s(w)),
    "handover.handovers.recent_sealed": lambda s, w: handovers.recent_sealed(
        s, acting=Acting(w.a.site_id)),
    "handover.handovers.refused_waiting": lambda s, w: handovers.refused_waiting(
        s, acting=Acting(w.a.site_id)),
    "handover.handovers.refused_waiting_count": lambda s, w:
        handovers.refused_waiting_count(s, acting=Acting(w.a.site_id)),
    "handover.handovers.supervisors": lambda s, w: handovers.supervisors(
        s, acting=Acting(w.a.site_id), now=w.now),
    "handover.handovers.unreviewed": lambda s, w: handovers.unreviewed(
        s, acting=Acting(w.a.site_id)),
    "handover.handovers.unreviewed_count": lambda s, w: handovers.unreviewed_count(
        s, acting=Acting(w.a.site_id)),
    "handover.handovers.verify_seals": lambda s, w: handovers.verify_seals(
        s, site_id=w.a.site_id),
    "handover.shifts.current_shift": lambda s, w: shifts.current_shift(
        s, acting=Acting(w.a.site_id), now=w.now, settings=_s(w)),
    "handover.shifts.recent": lambda s, w: shifts.recent(s, acting=Acting(w.a.site_id)),
    "operators.display_names": lambda s, w: operators.display_names(s, acting=Acting(w.a.site_id)),
    "operators.list_operators": lambda s, w: operators.list_operators(
        s, acting=Acting(w.a.site_id)),
    "release.slips.desk_counts": lambda s, w: slips.desk_counts(
        s, acting=Acting(w.a.site_id), now=w.now, settings=_s(w)),
    "release.slips.desk_list": lambda s, w: [
        slips.desk_list(s, acting=Acting(w.a.site_id), view=view.value, now=w.now, settings=_s(w))
        for view in slips.SlipList],
    "release.slips.issued_today": lambda s, w: slips.issued_today(
        s, acting=Acting(w.a.site_id), now=w.now, settings=_s(w)),
    "release.slips.released_not_filed": lambda s, w: slips.released_not_filed(
        s, acting=Acting(w.a.site_id)),
    "release.slips.returnables_overdue": lambda s, w: slips.returnables_overdue(
        s, acting=Acting(w.a.site_id), now=w.now + timedelta(days=30), settings=_s(w)),
    "release.slips.unused_past_day": lambda s, w: slips.unused_past_day(
        s, acting=Acting(w.a.site_id), now=w.now + timedelta(days=2), settings=_s(w)),
    "release.slips.waiting_for_confirmation": lambda s, w: slips.waiting_for_confirmation(
        s, acting=Acting(w.a.site_id)),
    "release.slips.week_page": lambda s, w: slips.week_page(
        s, acting=Acting(w.a.site_id), week_start=TODAY, settings=_s(w)),
    "release.slips.weekly_reconciliation": lambda s, w: slips.weekly_reconciliation(
        s, acting=Acting(w.a.site_id), week_start=TODAY, settings=_s(w)),
    "requests.deadlines.dashboard_counts": lambda s, w: deadlines.dashboard_counts(
        s, acting=Acting(w.a.site_id), now=w.now, next_shift_end=w.now + timedelta(days=30)),
    "requests.deadlines.open_escalations": lambda s, w: deadlines.open_escalations(
        s, acting=Acting(w.a.site_id)),
    "requests.deadlines.overdue_unescalated": lambda s, w: [
        deadlines.overdue_unescalated(s, acting=Acting(w.a.site_id), now=w.now + timedelta(days=30),
                                      level=level, cause_prefix="")
        for level in deadlines.EscalationLevel],
    "requests.revisits.revisits_due": lambda s, w: revisits.revisits_due(
        s, acting=Acting(w.a.site_id), now=w.now + timedelta(days=30)),
    "requests.views.queue": lambda s, w: views.queue(s, acting=Acting(w.a.site_id), now=w.now),
    "requests.views.search_requests": lambda s, w: views.search_requests(
        s, acting=Acting(w.a.site_id), query="漏水", now=w.now),
    "search.search_ids": lambda s, w: [
        search.search_ids(s, acting=Acting(w.a.site_id), entity=entity, query="漏水")
        for entity in ("request", "custody_item", "duty_log_entry")],
}

def _import_at_b(session: Session, w: World) -> Any:
    """``import_units`` at B by A's operator. The importer reports each line's refusal
    as a rejected line rather than raising: the refusal is raised here, only when the
    import wrote nothing and a line was refused as another site's."""
    report = importer.import_units(
        session, acting=Acting(w.b.site_id, w.a.operator), now=w.now,
        text="unit,name,relation,phone,alt_phone\n9-9-998,冒名,owner,13800001111,\n")
    refusals = [line.reason for line in report.rejected
                if "works at another site" in line.reason]
    if report.written or not refusals:
        return report
    raise AuthError(refusals[0])


_BY_ACTING = "refused for an actor of another site by acting (test_acting.py)"

#: Change state. A callable is called at site B with A's operator (or, with no actor, at
#: A with B's ids) and must be refused; a string says why it is not called here.
WRITERS: dict[str, Call | str] = {
    # directory, importer, operators, grants, tokens, instructions, export permission
    "directory.add_unit": lambda s, w: directory.add_unit(
        s, acting=Acting(w.b.site_id, w.a.operator), code="9-9-999", now=w.now),
    "directory.add_resident": _BY_ACTING,
    "importer.import_units": lambda s, w: _import_at_b(s, w),
    "operators.add_operator": _BY_ACTING,
    "operators.disable_operator": lambda s, w: operators.disable_operator(
        s, acting=Acting(w.b.site_id, w.a.manager), login=w.b.colleague.login, reason="调岗",
        now=w.now),
    "operators.unlock_operator": _BY_ACTING,
    "grants.grant": lambda s, w: grants.grant(s, acting=Acting(w.b.site_id, w.a.manager),
                                              operator=w.a.manager,
                                              now=w.now),
    "grants.revoke": _BY_ACTING,
    "command_tokens.create_token": _BY_ACTING,
    "command_tokens.revoke_token": lambda s, w: command_tokens.revoke_token(
        s, acting=Acting(w.b.site_id, w.a.manager), token_id=w.b.token_id, now=w.now),
    "instructions.add_instruction": _BY_ACTING,
    "instructions.void_instruction": lambda s, w: instructions.void_instruction(
        s, acting=Acting(w.b.site_id, w.a.operator), instruction_id=w.b.instruction_id,
        reason="撤销",
        now=w.now),
    "export.allow_unmasked": _BY_ACTING,
    # custody
    "custody.core.add_event": _BY_ACTING,
    "custody.core.add_note": lambda s, w: core.add_note(
        s, acting=Acting(w.b.site_id, w.a.operator), item_id=w.b.storage_id, note="看看",
        now=w.now),
    "custody.core.dispose": _BY_ACTING,
    "custody.core.hand_to_admin": _BY_ACTING,
    "custody.core.move": lambda s, w: core.move(
        s, acting=Acting(w.b.site_id, w.a.operator), item_id=w.b.storage_id, place="C-1",
        now=w.now),
    "custody.core.receive": _BY_ACTING,
    "custody.core.release": _BY_ACTING,
    "custody.core.void": _BY_ACTING,
    "custody.keys.chase": _BY_ACTING,
    "custody.keys.issue_key": _BY_ACTING,
    "custody.keys.lend_key": _BY_ACTING,
    "custody.keys.register_key": _BY_ACTING,
    "custody.keys.retire_key": _BY_ACTING,
    "custody.keys.return_key": lambda s, w: keys.return_key(
        s, acting=Acting(w.b.site_id, w.a.operator), key_id=w.b.key_id, now=w.now),
    "custody.lostfound.claim": lambda s, w: lostfound.claim(
        s, acting=Acting(w.b.site_id, w.a.operator), item_id=w.b.lost_id,
        claimant=Collector(name="冒领人", id_checked=True, id_number="11010519491231002X",
                           phone="13800001111", signed=True),
        description_check="黑色钱包", now=w.now),
    "custody.lostfound.dispose": _BY_ACTING,
    "custody.lostfound.hand_over": _BY_ACTING,
    "custody.lostfound.register_found": _BY_ACTING,
    "custody.parcels.check_in": _BY_ACTING,
    "custody.parcels.log_parcel": _BY_ACTING,
    "custody.parcels.notify": _BY_ACTING,
    "custody.parcels.pick_up": lambda s, w: parcels.pick_up(
        s, acting=Acting(w.b.site_id, w.a.operator), item_id=w.b.parcel_id,
        collector=Collector(name="冒领人", id_checked=True, signed=True), now=w.now),
    "custody.parcels.pick_up_by_code": _BY_ACTING,
    "custody.storage.collect": lambda s, w: storage.collect(
        s, acting=Acting(w.b.site_id, w.a.operator), code=w.b.storage_code,
        collector=Collector(name="冒领人", id_checked=True, signed=True), now=w.now),
    "custody.storage.deposit": _BY_ACTING,
    "custody.storage.release_without_ticket": _BY_ACTING,
    # handover
    "handover.dutylog.write_entry": lambda s, w: dutylog.write_entry(
        s, acting=Acting(w.b.site_id, w.a.operator), now=w.now, settings=_s(w),
        text="越界记录"),
    "handover.handovers.start": _BY_ACTING,
    "handover.handovers.add_addendum": _BY_ACTING,
    "handover.handovers.explain": _BY_ACTING,
    "handover.handovers.name_incoming": lambda s, w: handovers.name_incoming(
        s, acting=Acting(w.b.site_id, w.a.operator), handover_id=w.b.handover_id,
        login=w.b.colleague.login,
        now=w.now),
    "handover.handovers.review_day": _BY_ACTING,
    "handover.handovers.settle_item": _BY_ACTING,
    "handover.handovers.settle_refused": _BY_ACTING,
    "handover.shifts.join_current": lambda s, w: shifts.join_current(
        s, acting=Acting(w.b.site_id), operator=w.a.operator, now=w.now, settings=_s(w)),
    # handover steps without an actor: A's desk, B's handover.
    "handover.handovers.accept_routine": lambda s, w: handovers.accept_routine(
        s, acting=Acting(w.a.site_id), handover_id=w.b.handover_id, group="custody", now=w.now),
    "handover.handovers.take_item": lambda s, w: handovers.take_item(
        s, acting=Acting(w.a.site_id), handover_id=w.b.handover_id,
        item_id=w.b.handover_item_ids[0], accept=True, now=w.now),
    "handover.handovers.count": lambda s, w: handovers.count(
        s, acting=Acting(w.a.site_id), handover_id=w.b.handover_id, count_id=1, counted=1,
        now=w.now),
    "handover.handovers.sign": lambda s, w: handovers.sign(
        s, acting=Acting(w.a.site_id), handover_id=w.b.handover_id, side="outgoing",
        login=w.b.operator.login, pin=PIN, now=w.now, settings=_s(w)),
    "handover.handovers.carry_urgent": lambda s, w: handovers.carry_urgent(
        s, acting=Acting(w.a.site_id), handover_id=w.b.handover_id,
        item_id=w.b.handover_item_ids[0], login=w.b.manager.login, pin=PIN, reason="急",
        now=w.now, settings=_s(w)),
    "handover.handovers.carry_all_urgent": lambda s, w: handovers.carry_all_urgent(
        s, acting=Acting(w.a.site_id), handover_id=w.b.handover_id, login=w.b.manager.login,
        pin=PIN, reason="急", now=w.now, settings=_s(w)),
    # release
    "release.moving_out.record_settlement": _BY_ACTING,
    "release.slips.add_pattern": _BY_ACTING,
    "release.slips.create": _BY_ACTING,
    "release.slips.file": _BY_ACTING,
    "release.slips.issue": _BY_ACTING,
    "release.slips.mark_returned": _BY_ACTING,
    "release.slips.record_confirmation": lambda s, w: slips.record_confirmation(
        s, acting=Acting(w.b.site_id, w.a.operator), slip_id=w.b.draft_slip_id,
        resident_id=w.b.resident_id,
        now=w.now),
    "release.slips.record_fees_settled": _BY_ACTING,
    "release.slips.record_in_person": _BY_ACTING,
    "release.slips.release": _BY_ACTING,
    "release.slips.revise": _BY_ACTING,
    "release.slips.send_back": _BY_ACTING,
    "release.slips.tick": lambda s, w: slips.tick(
        s, acting=Acting(w.b.site_id), slip_id=w.b.slip_id, line_id=w.b.slip_line_id, now=w.now,
        guard=w.a.guard, settings=_s(w)),
    "release.slips.void": lambda s, w: slips.void(
        s, acting=Acting(w.b.site_id, w.a.operator), slip_id=w.b.slip_id, reason="作废", now=w.now),
    # requests
    "requests.deadlines.acknowledge_escalation": _BY_ACTING,
    "requests.deadlines.pause_clock": lambda s, w: deadlines.pause_clock(
        s, acting=Acting(w.b.site_id, w.a.operator), request_id=w.b.request_id, reason="等业主",
        now=w.now),
    "requests.deadlines.resume_clock": _BY_ACTING,
    "requests.lifecycle.add_note": lambda s, w: lifecycle.add_note(
        s, acting=Acting(w.b.site_id, w.a.operator), request_id=w.b.request_id, now=w.now,
        text="越界"),
    "requests.lifecycle.answer_resident": _BY_ACTING,
    "requests.lifecycle.classify": _BY_ACTING,
    "requests.lifecycle.close": _BY_ACTING,
    "requests.lifecycle.create_request": _BY_ACTING,
    "requests.lifecycle.defer": _BY_ACTING,
    "requests.lifecycle.department_reply": _BY_ACTING,
    "requests.lifecycle.department_report": _BY_ACTING,
    "requests.lifecycle.dispatch": _BY_ACTING,
    "requests.lifecycle.edit_request": _BY_ACTING,
    "requests.lifecycle.hand_over": lambda s, w: lifecycle.hand_over(
        s, acting=Acting(w.b.site_id, w.a.manager), request_id=w.b.request_id, now=w.now,
        to_operator_id=w.b.colleague.id or 0, reason="交接"),
    "requests.lifecycle.reopen": _BY_ACTING,
    "requests.lifecycle.resolve": _BY_ACTING,
    "requests.lifecycle.void": _BY_ACTING,
    "requests.revisits.record_revisit": _BY_ACTING,
    "requests.rules.lower_severity": _BY_ACTING,
    "requests.rules.raise_severity": _BY_ACTING,
    "requests.workorders.agree_cost": _BY_ACTING,
    "requests.workorders.cancel_work_order": _BY_ACTING,
    "requests.workorders.complete_work": _BY_ACTING,
    "requests.workorders.confirm_work": _BY_ACTING,
    "requests.workorders.open_work_order": _BY_ACTING,
    "requests.workorders.record_arrival": _BY_ACTING,
    "requests.workorders.start_work": lambda s, w: workorders.start_work(
        s, acting=Acting(w.b.site_id, w.a.operator), work_order_id=w.b.work_order_id, now=w.now),
}

#: Neither a record reader nor a refused writer. A callable is an export or report called
#: at A: its answer must be the one given before B existed and hold nothing of B's.
NOT_RECORD_READERS: dict[str, Call | str] = {
    "audit.record": "appends the audit entry of a change the calling service already "
                    "checked; it reads nothing",
    "custody.demo.plan_custody": "demo seeder: plans the demo site's custody records",
    "custody.demo.seed_custody": "demo seeder",
    "demo.seed_demo": "demo seeder: fills an empty site from fixed data",
    "handover.demo.seed_handovers": "demo seeder",
    "release.demo.seed_release": "demo seeder",
    "requests.demo.seed_requests": "demo seeder",
    "search.index_record": "search-index upkeep, called inside a service's own write",
    "search.drop_record": "search-index upkeep, called inside a service's own write",
    "requests.rules.sweep": lambda s, w: _without_ids(plain(rules.sweep(
        s, acting=Acting(w.a.site_id), now=w.now + timedelta(days=30), settings=_s(w)))),
    "export.export_day": lambda s, w: _files(export.export_day(
        s, acting=Acting(w.a.site_id), site_code="a", day=TODAY, zone=_zone(w),
        out_dir=w.out / "day"), w.out / "day"),
    "export.export_range": lambda s, w: [_files(export.export_range(
        s, acting=Acting(w.a.site_id), ledger=ledger, out_file=w.out / "range" / f"{ledger}.csv",
        window=export.Window(day=None, since=w.now - timedelta(days=2),
                             until=w.now + timedelta(days=2), zone=_zone(w))),
        w.out / "range") for ledger in EXPORTED_LEDGERS],
    "release.reconciliation.write_week": lambda s, w: _files(reconciliation.write_week(
        s, acting=Acting(w.a.site_id), site_code="a", week_start=TODAY, settings=_s(w),
        out_dir=w.out / "week"), w.out / "week"),
    "reports.report_sheet": lambda s, w: reports.report_sheet(
        s, acting=Acting(w.a.site_id), period=_period(), zone=_zone(w), now=w.now),
    "reports.monthly.monthly_report": lambda s, w: monthly.monthly_report(
        s, acting=Acting(w.a.site_id), period=_period(), zone=_zone(w), now=w.now),
    "reports.quarterly.quarterly_report": lambda s, w: quarterly.quarterly_report(
        s, acting=Acting(w.a.site_id), period=periods.quarter(2026, 4), zone=_zone(w), now=w.now),
}


def _without_ids(answer: Any) -> Any:
    """A sweep's report without the ids of the escalations it wrote: the session is
    rolled back, and PostgreSQL does not give a rolled-back sequence value again."""
    if isinstance(answer, dict):
        return {key: _without_ids(value) for key, value in answer.items()
                if not (key == "id" and answer.get("__type") == "Escalation")}
    if isinstance(answer, list):
        return [_without_ids(value) for value in answer]
    return answer


def _files(_report: Any, folder: Path) -> dict[str, str]:
    """What an export wrote under ``folder``: each file's text, by its relative path.

    A manifest's last two columns (``audit_seq``, ``audit_hash``) are left out: they
    anchor the export in the database's one audit chain (``audit.head``), whose head
    moves with every site's changes by design; they name no record of B's."""
    files: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8-sig", errors="replace")
            if path.name == "manifest.csv":
                text = "\n".join(",".join(line.split(",")[:-2])
                                 for line in text.splitlines())
            files[str(path.relative_to(folder))] = text
    return files


TABLES: dict[str, dict[str, Any]] = {
    "READERS_BY_ID": READERS_BY_ID, "LIST_READERS": LIST_READERS, "WRITERS": WRITERS,
    "NOT_RECORD_READERS": NOT_RECORD_READERS,
}

#: Known leaks, by function: the call is expected to fail (``xfail(strict=True)``).
LEAKS: dict[str, str] = {}


def _snapshot_calls() -> dict[str, Call]:
    return {**LIST_READERS, **{name: call for name, call in NOT_RECORD_READERS.items()
                                if callable(call)}}


# --- the walk over deskapp.services ------------------------------------------------------


def public_services() -> Iterator[tuple[str, inspect.Signature]]:
    """``module.function`` and signature of every public function under
    ``deskapp/services``, named by where it is defined."""
    prefix = deskapp.services.__name__ + "."
    for info in pkgutil.walk_packages(deskapp.services.__path__, prefix):
        module = importlib.import_module(info.name)
        for name, function in inspect.getmembers(module, inspect.isfunction):
            if not name.startswith("_") and function.__module__ == module.__name__:
                yield f"{info.name.removeprefix(prefix)}.{name}", inspect.signature(function)


def services_taking_a_site() -> set[str]:
    """Every public service with a ``session`` and the keyword ``acting`` (its site and
    its operator), or the keyword ``site_id`` (the few of ``LOOSE_SITE_OR_OPERATOR``)."""
    found: set[str] = set()
    for name, signature in public_services():
        site = signature.parameters.get("acting") or signature.parameters.get("site_id")
        if ("session" in signature.parameters and site is not None
                and site.kind is inspect.Parameter.KEYWORD_ONLY):
            found.add(name)
    return found


#: Functions that still take a site or an operator loose, and why: the rules themselves,
#: the one place every change is checked, and the export's tables, which the export
#: (it takes ``acting``) calls with the site it has checked.
LOOSE_SITE_OR_OPERATOR = {
    "acting.check": "the rule itself: the operator held to the record's site",
    "acting.check_site": "the rule itself",
    "acting.may": "the rule itself: a role and a step",
    "audit.record": "where every change is checked: the record's own site and signer",
    "grants.check_reading": "the reading rule itself",
    "export.exported_table": "a table of the export, for the site export_day checked",
    "export_ledgers.export_custody": "a table of the export",
    "export_ledgers.export_requests": "a table of the export",
    "handover.export.export_handovers": "a table of the export",
    "release.export.export_release_slips": "a table of the export",
    "handover.handovers.verify_seals": "the audit's check of every site's seals at once",
    "sites.get_site": "a site by its id: the site itself, not a record of it",
    "requests.deadlines.record_escalation": "a step inside a service already checked",
    "requests.lifecycle.reopen_row": "a step inside a service already checked",
    "requests.rules.apply_rules": "a step inside a service already checked",
    "requests.rules.apply_rules_with_group": "a step inside a service already checked",
    "requests.rules.raise_by_rule": "a step inside a service already checked",
    "requests.timeline.add_event": "a step inside a service already checked",
    "requests.timeline.audit_request": "a step inside a service already checked",
    "requests.timeline.require_actor": "a step inside a service already checked",
}


def test_services_take_their_site_and_operator_as_one_acting() -> None:
    loose = sorted(name for name, signature in public_services()
                   if {"site_id", "actor"} & set(signature.parameters)
                   and name not in LOOSE_SITE_OR_OPERATOR)
    assert loose == [], (
        f"services taking site_id or actor loose: {loose} (take ``acting: Acting``, or "
        "name the function and why in LOOSE_SITE_OR_OPERATOR)")
    stale = sorted(name for name in LOOSE_SITE_OR_OPERATOR
                   if name not in {found for found, _ in public_services()})
    assert stale == []


def test_every_service_taking_a_site_is_classified() -> None:
    classified = [name for table in TABLES.values() for name in table]
    doubled = sorted({name for name in classified if classified.count(name) > 1})
    assert doubled == [], f"in more than one table: {doubled}"
    missing = sorted(services_taking_a_site() - set(classified))
    assert missing == [], (
        f"services taking acting in no table of {__name__}: {missing} "
        "(put each in READERS_BY_ID, LIST_READERS, WRITERS or NOT_RECORD_READERS)")


def test_every_classified_function_still_exists() -> None:
    gone = sorted({name for table in TABLES.values() for name in table}
                  - services_taking_a_site())
    assert gone == [], f"named in the tables but no longer a service taking a site: {gone}"


# --- the desk: A, snapshot, then B ---------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def world(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[World]:
    """Site A with its records, every list reader's answer at A, then site B with its
    own. Built once per engine: the tests only read (their sessions commit nothing)."""
    folder = tmp_path_factory.mktemp("site-walk")
    desk = open_empty_desk(str(request.param), folder, request, FixedClock(DESK_MORNING))
    a = _populate(desk, desk.site_id, tag="南南", units=("3-2-1201", "3-2-1202"),
                  people=("张南南", "李南南"), tracking="JD0012345678901", prefix="a")
    out = folder / "out"
    before = _answers_at_a(World(desk=desk, a=a, b=a, out=out / "before", before={}))
    with transaction(desk.engine) as session:
        north = sites.add_site(session, code="north", name="北区", now=desk.clock.now())
        assert north.id is not None
        north_id = north.id
    b = _populate(desk, north_id, tag="北北", units=("9-9-901", "9-9-902"),
                  people=("周北北", "吴北北"), tracking="YT9876543210987", prefix="b",
                  second="SF1234567890123")
    b.markers |= {code for code in (b.storage_code, b.parcel_code, b.lost_code, b.key_code,
                                    b.slip_code, b.request_number, b.token_secret)
                  if code and code not in {a.storage_code, a.parcel_code, a.lost_code,
                                           a.key_code, a.slip_code, a.request_number}}
    walked = World(desk=desk, a=a, b=b, out=out, before=before)
    walked.after = _answers_at_a(dataclasses.replace(walked, out=out / "after"))
    walked.at_b = _answers_at_a(dataclasses.replace(at_b(walked), out=out / "at-b"))
    yield walked
    desk.engine.dispose()


def at_b(w: World) -> World:
    """``w`` with B's site id where the calls name A's: the calls then ask B's desk."""
    return dataclasses.replace(w, a=dataclasses.replace(w.a, site_id=w.b.site_id))


def _answers_at_a(w: World) -> dict[str, Any]:
    """Every list reader's, export's and report's answer at A, as plain data."""
    answers: dict[str, Any] = {}
    for name, call in _snapshot_calls().items():
        here = dataclasses.replace(w, out=w.out / name)
        here.out.mkdir(parents=True)
        with reading(w.desk.engine) as session:
            try:
                answers[name] = plain(call(session, here))
            except DeskError as error:
                answers[name] = f"refused: {error}"
    return answers


def _cases(table: dict[str, Any]) -> list[Any]:
    return [pytest.param(name, id=name, marks=[pytest.mark.xfail(
        strict=True, reason=f"leak: {LEAKS[name]}")] if name in LEAKS else [])
        for name, call in table.items() if callable(call)]


def test_the_two_sites_hold_their_own_records(world: World) -> None:
    """The walk means something only if B's records are really there, at B."""
    with reading(world.desk.engine) as session:
        at_b = plain(lists.item_page(session, acting=Acting(world.b.site_id), where=[],
                                     now=world.now))
        assert traces_of(at_b, world.b) != []
        assert traces_of(at_b, world.a) == []
        got = timeline.get_request(session, acting=Acting(world.b.site_id),
                                   request_id=world.b.request_id)
        assert got.site_id == world.b.site_id
    assert world.a.site_id != world.b.site_id


@pytest.mark.parametrize("name", _cases(READERS_BY_ID))
def test_a_reader_at_one_site_does_not_find_anothers_record(world: World,
                                                            name: str) -> None:
    with reading(world.desk.engine) as session:
        try:
            answer = plain(READERS_BY_ID[name](session, world))
        except DeskError:
            return  # refused: B's record is not found at A
        leaked = traces_of(answer, world.b)
    assert leaked == [], f"{name} at site A returned B's record: {leaked}"


#: By-id readers that find nothing at B either (so their refusal at A proves less), and
#: why the answer at B is empty or refused.
FOUND_AT_B_EXEMPT: dict[str, str] = {
    "requests.revisits.revisit_history": "no revisit at either site (a revisit follows a "
                                         "resolved request): empty at B too",
}


@pytest.mark.parametrize("name", [n for n in READERS_BY_ID if n not in FOUND_AT_B_EXEMPT])
def test_the_same_call_at_the_records_own_site_finds_it(world: World, name: str) -> None:
    """The control of the by-id walk: with B's own site id, each call finds B's record,
    so a refusal at A is the site's doing, not a wrong argument's."""
    with reading(world.desk.engine) as session:
        answer = plain(READERS_BY_ID[name](session, at_b(world)))
    assert answer not in (None, "", [], {}, 0, False), f"{name} found nothing at B"


#: List readers whose answer at B is the same as at A, and why.
_NO_SEALED = "no sealed handover (nor refused item) at either site: the same empty answer"
_NO_RELEASED = ("no slip released through the gate at either site (the week's "
                "reconciliation lists released slips): the same empty answer")
SAME_AT_BOTH: dict[str, str] = {
    "command_tokens.site_has_manager": "each site has a manager: True at both",
    "dashboard.handover_counts": _NO_SEALED,
    "dashboard.open_escalations": "no escalation at either site",
    "requests.deadlines.open_escalations": "no escalation at either site",
    "demo.offered_sign_ins": "neither site is a demo site: no sign-in offered at either",
    "grants.grants_of": "no site granted at either site",
    "handover.handovers.recent_sealed": _NO_SEALED,
    "handover.handovers.refused_waiting": _NO_SEALED,
    "handover.handovers.refused_waiting_count": _NO_SEALED,
    "handover.handovers.unreviewed": _NO_SEALED,
    "handover.handovers.unreviewed_count": _NO_SEALED,
    "handover.handovers.verify_seals": _NO_SEALED + " (no broken seal)",
    "requests.revisits.revisits_due": "no revisit due at either site",
    "release.slips.released_not_filed": _NO_RELEASED,
    "release.slips.week_page": _NO_RELEASED,
    "release.slips.weekly_reconciliation": _NO_RELEASED,
    "release.reconciliation.write_week": _NO_RELEASED,
    "release.slips.returnables_overdue": "no returnable (repair) slip at either site",
}


@pytest.mark.parametrize("name", [n for n in _snapshot_calls() if n not in SAME_AT_BOTH])
def test_the_same_list_at_the_other_site_differs(world: World, name: str) -> None:
    """The control of the list walk: B (with more records) gets another answer, so A's
    unchanged answer is the site's doing, not a call that sees nothing."""
    assert world.at_b[name] != world.after[name]


@pytest.mark.parametrize("name", _cases(_snapshot_calls()))
def test_a_list_at_one_site_is_unchanged_by_anothers_records(world: World,
                                                             name: str) -> None:
    answer = world.after[name]
    assert traces_of(answer, world.b) == [], answer
    assert answer == world.before[name], differences(world.before[name], answer)


@pytest.mark.parametrize("name", _cases(WRITERS))
def test_a_change_at_another_site_is_refused(world: World, name: str) -> None:
    call = WRITERS[name]
    assert callable(call)
    # With an actor, the one rule in ``acting`` refuses; without, a lookup of the site's
    # own records (or a check of the guard's site) does.
    expected = AuthError if "actor" in _parameters(name) else DeskError
    with reading(world.desk.engine) as session, pytest.raises(expected) as refused:
        call(session, world)
    if expected is AuthError:
        assert "works at another site" in refused.value.message


def _parameters(name: str) -> set[str]:
    module_name, _, function = name.rpartition(".")
    module = importlib.import_module(f"{deskapp.services.__name__}.{module_name}")
    return set(inspect.signature(getattr(module, function)).parameters)


def test_every_table_entry_with_no_call_says_why() -> None:
    for table in (WRITERS, NOT_RECORD_READERS):
        for name, call in table.items():
            assert callable(call) or (isinstance(call, str) and len(call) > 10), name

