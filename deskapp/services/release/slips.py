"""The life of a release slip: drafted, confirmed, issued, checked at the gate, filed.

Every change is one call in the caller's transaction with its audit entry.

- ``create`` drafts a slip with its lines (checked, matched against the
  catalogue); ``revise`` makes a new revision of a draft, issued or sent-back
  slip and marks the old one superseded (kept). A revision is a draft again: the
  owner confirms the amended lines.
- ``offered_numbers`` are the numbers on file for the unit (the directory's
  residents), never a number the applicant gives. ``record_confirmation`` records
  the call; another number needs a reason, and the slip keeps it.
  ``record_in_person`` records the owner on file present with the ID checked.
- ``problems`` says what stops the issue; ``issue`` refuses without a
  confirmation and refuses each broken rule unless a supervisor overrides it.
- At the gate ``at_gate`` shows the guard the slip or why it cannot pass, in one
  line; ``tick`` ticks a line, ``release`` releases when all are ticked (of two
  guards, one wins), ``send_back`` returns it to the desk to be amended.
- ``file``, ``void``, ``mark_returned`` and the lists of the desk.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import case, update
from sqlmodel import Session, col, func, select

from deskapp.config import Settings
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.formatting import desk_zone
from deskapp.i18n import N_, _, counted
from deskapp.models import Operator, Relation, Resident, Role, Unit
from deskapp.models.release import (
    ApplicantRelation,
    ConfirmationKind,
    ReleaseLine,
    ReleasePattern,
    ReleaseReason,
    ReleaseSlip,
    SlipStatus,
)
from deskapp.services import audit, codes, directory, versions
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.custody.checks import SUPERVISORS, require_role
from deskapp.services.custody.lists import DEFAULT_PAGE, Page
from deskapp.services.privacy import mask_id_number, mask_phone
from deskapp.services.release import catalogue, checks, moving_out, rules
from deskapp.services.workcalendar import WorkCalendar

audit.register_action_labels(
    {
        "release.create": N_("Release slip drafted"),
        "release.pattern": N_("Standing release pattern approved"),
        "release.revise": N_("Release slip revised"),
        "release.confirm": N_("Release slip confirmed by the owner"),
        "release.fees_settled": N_("Moving-out fees confirmed settled"),
        "release.issue": N_("Release slip issued"),
        "release.override": N_("Release slip rule overridden"),
        "release.tick": N_("Release slip line ticked at the gate"),
        "release.release": N_("Items released at the gate"),
        "release.send_back": N_("Release slip sent back to the desk"),
        "release.file": N_("Release slip filed"),
        "release.void": N_("Release slip voided"),
        "release.returned": N_("Returnable items back"),
    }
)

_RELATION_LABELS = {
    ApplicantRelation.OWNER.value: N_("owner"),
    ApplicantRelation.TENANT.value: N_("tenant"),
    ApplicantRelation.HOUSEHOLD.value: N_("household"),
    ApplicantRelation.COMPANY_STAFF.value: N_("company staff"),
}
_REASON_LABELS = {
    ReleaseReason.MOVING_OUT.value: N_("moving out"),
    ReleaseReason.REPAIR.value: N_("repair (comes back)"),
    ReleaseReason.COMPANY_SHIPMENT.value: N_("company shipment"),
    ReleaseReason.GIFT_OR_SALE.value: N_("gift or sale"),
    ReleaseReason.OTHER.value: N_("other"),
}
_STATUS_LABELS = {
    SlipStatus.DRAFT.value: N_("waiting for confirmation"),
    SlipStatus.ISSUED.value: N_("issued"),
    SlipStatus.RELEASED.value: N_("released"),
    SlipStatus.FILED.value: N_("filed"),
    SlipStatus.SENT_BACK.value: N_("sent back to the desk"),
    SlipStatus.SUPERSEDED.value: N_("superseded"),
    SlipStatus.VOID.value: N_("voided"),
}
# Rules a supervisor may override; fees and a pattern's limits are facts, not judgement.
OVERRIDABLE = frozenset({rules.OFFICE_HOURS, rules.MOVING_OUT_NOTICE})
_AMENDABLE = (SlipStatus.DRAFT.value, SlipStatus.ISSUED.value, SlipStatus.SENT_BACK.value)


def relation_label(value: str) -> str:
    label = _RELATION_LABELS.get(value)
    return _(label) if label else value


def reason_label(value: str) -> str:
    label = _REASON_LABELS.get(value)
    return _(label) if label else value


def status_label(value: str) -> str:
    label = _STATUS_LABELS.get(value)
    return _(label) if label else value


# --- the form -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineForm:
    description: str
    quantity: int = 1
    large: bool = False
    """Flagged large by the desk even when the catalogue does not know it."""


@dataclass(frozen=True)
class SlipForm:
    """What the desk types on the slip form (field names are the form's ``field=``)."""

    unit: str
    applicant_name: str
    applicant_relation: str
    carrier_name: str
    reason: str
    planned_at: datetime
    lines: Sequence[LineForm] = ()
    carrier_id_number: str = ""
    carrier_phone: str = ""
    plate: str = ""
    driver_name: str = ""
    reason_note: str = ""
    due_back_on: date | None = None
    pattern_id: int | None = None


@dataclass(frozen=True)
class Override:
    """A supervisor's or manager's override (their PIN checked by the screen's StaffPinModal)."""

    supervisor: Operator
    reason: str


# One line an item: "三人沙发", "tea table x2", "纸箱 ×10", "冰箱 1台", "桌子*2"; a "!" at the
# end marks a large item the catalogue does not know. A bare number is part of the
# description ("iPhone 15", "55寸电视"): a quantity has its x, × or * or its measure word.
_LINE = re.compile(
    r"^(?P<description>.*?)\s*"
    r"(?:[x×*]\s*(?P<times>\d+)|(?P<count>\d+)\s*(?:件|台|张|个|把|套|箱|只|pcs))?"
    r"\s*(?P<large>[!！])?$")


def parse_lines(text: str) -> list[LineForm]:
    """The slip form's item lines, one a line: a description, then an optional quantity
    (``x2``, ``×2``, ``*2`` or ``2件``; 1 when none), then ``!`` for a large item the
    catalogue does not know. Blank lines are skipped; the checks come in ``create``."""
    lines = []
    for raw in text.splitlines():
        row = unicodedata.normalize("NFKC", raw).strip()
        if not row:
            continue
        found = _LINE.match(row)
        assert found is not None, "the pattern matches any line"
        number = found.group("times") or found.group("count")
        description = found.group("description").strip() or row
        lines.append(LineForm(description, int(number) if number else 1,
                              large=found.group("large") is not None))
    return lines


def _id(value: int | None) -> int:
    assert value is not None, "flushed records have an id"
    return value


def _choice(value: str, allowed: dict[str, str], *, field: str, message: str) -> str:
    key = (value or "").strip().lower()
    if key not in allowed:
        raise InvalidInput(message, field=field)
    return key


def _checked(session: Session, site_id: int, form: SlipForm,
             settings: Settings) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    unit = directory.get_unit(session, acting=Acting(site_id), code=form.unit)
    relation = _choice(form.applicant_relation, _RELATION_LABELS, field="applicant_relation",
                       message=_("Choose the applicant's relation to the unit: owner, tenant, "
                                 "household or company staff."))
    reason = _choice(form.reason, _REASON_LABELS, field="reason",
                     message=_("Choose the reason: moving out, repair, company shipment, gift "
                               "or sale, or other."))
    values: dict[str, Any] = {
        "unit_id": _id(unit.id),
        "applicant_name": checks.clean_name(form.applicant_name, field="applicant_name",
                                            label=_("the applicant's name")),
        "applicant_relation": relation,
        "carrier_name": checks.clean_name(form.carrier_name, field="carrier_name",
                                          label=_("the carrier's name")),
        "carrier_id_number": checks.clean_id_number(form.carrier_id_number,
                                                    field="carrier_id_number", required=True),
        "carrier_phone": checks.clean_phone(form.carrier_phone, field="carrier_phone",
                                            required=True),
        "plate": checks.clean_plate(form.plate),
        "driver_name": checks.clean_name(form.driver_name, field="driver_name",
                                         label=_("the driver's name"), required=False),
        "reason": reason,
        "reason_note": checks.clean_text(form.reason_note, field="reason_note",
                                         label=_("the note"), max_length=checks.MAX_NOTE,
                                         required=reason == ReleaseReason.OTHER.value),
        "due_back_on": form.due_back_on if reason == ReleaseReason.REPAIR.value else None,
        "planned_at": as_utc(form.planned_at),
        "pattern_id": form.pattern_id,
    }
    if reason == ReleaseReason.REPAIR.value and form.due_back_on is None:
        raise InvalidInput(_("Repair: when do the items come back? Fill in the due-back date."),
                           field="due_back_on")
    if values["plate"] and not values["driver_name"]:
        raise InvalidInput(_("A vehicle needs its driver's name."), field="driver_name")
    if not form.lines:
        raise InvalidInput(_("A release slip lists at least one item."), field="lines")
    if len(form.lines) > checks.MAX_LINES:
        raise InvalidInput(_("A release slip holds at most {count} lines.").format(
            count=checks.MAX_LINES), field="lines")
    lines = []
    for position, line in enumerate(form.lines, start=1):
        try:
            description = checks.clean_text(line.description, field="lines",
                                            label=_("the item"),
                                            max_length=checks.MAX_DESCRIPTION, required=True)
            quantity = checks.clean_quantity(line.quantity, field="lines")
        except InvalidInput as error:  # one text box holds every line: say which
            raise InvalidInput(_("Line {number}: {problem}").format(
                number=position, problem=error.message), field="lines") from None
        large, entry = catalogue.is_large(description, line.large, settings)
        lines.append({"position": position, "description": description, "quantity": quantity,
                      "large": large, "catalogue_entry": entry})
    if form.pattern_id is not None:
        pattern = session.get(ReleasePattern, form.pattern_id)
        if pattern is None or pattern.site_id != site_id or pattern.unit_id != unit.id:
            raise InvalidInput(_("This unit has no such standing pattern."), field="pattern")
    return values, lines


def _add_lines(session: Session, slip: ReleaseSlip, lines: list[dict[str, Any]]) -> None:
    for line in lines:
        session.add(ReleaseLine(site_id=slip.site_id, slip_id=_id(slip.id), **line))


def _audit_slip(slip: ReleaseSlip) -> dict[str, Any]:
    values = audit.snapshot(slip)
    values["carrier_id_number"] = mask_id_number(slip.carrier_id_number)
    values["carrier_phone"] = mask_phone(slip.carrier_phone)
    return values


@contextmanager
def _audited(session: Session, slip: ReleaseSlip, *, action: str, actor: Operator | None,
             now: datetime) -> Iterator[None]:
    """The slip changed in the block, saved, with its audit entry (before and after)."""
    before = _audit_slip(slip)
    yield
    session.add(slip)
    session.flush()
    audit.record(session, now=now, actor=actor, action=action, entity="release_slip",
                 entity_id=slip.id, site_id=slip.site_id, before=before,
                 after=_audit_slip(slip))


def _new_slip(session: Session, site_id: int, values: dict[str, Any],
              lines: list[dict[str, Any]], now: datetime, actor: Operator | None,
              **extra: Any) -> ReleaseSlip:
    slip = ReleaseSlip(site_id=site_id, status=SlipStatus.DRAFT.value, created_at=as_utc(now),
                       created_by_id=actor.id if actor else None, **values, **extra)
    session.add(slip)
    session.flush()
    slip.code = codes.draw_code(codes.CodePrefix.RELEASE.value, lambda code: session.exec(
        select(ReleaseSlip.id).where(ReleaseSlip.site_id == site_id, ReleaseSlip.code == code)
    ).first() is not None)
    session.add(slip)
    _add_lines(session, slip, lines)
    session.flush()
    return slip


def _under_pattern(session: Session, slip: ReleaseSlip, settings: Settings) -> None:
    """A company's staff member's slip goes under the unit's standing pattern when one
    covers its day, carrier and every item; otherwise the owner confirms as for anyone."""
    if slip.pattern_id is not None or \
            slip.applicant_relation != ApplicantRelation.COMPANY_STAFF.value:
        return
    calendar = WorkCalendar.from_settings(settings)
    lines = lines_of(session, _id(slip.id))
    patterns = session.exec(
        select(ReleasePattern).where(ReleasePattern.site_id == slip.site_id,
                                     ReleasePattern.unit_id == slip.unit_id)
        .order_by(col(ReleasePattern.id))
    ).all()
    for pattern in patterns:
        slip.pattern_id = pattern.id
        if rules.pattern_covers(slip, lines, pattern, calendar) is None:
            session.add(slip)
            session.flush()
            return
    slip.pattern_id = None


def patterns_of(session: Session, *, acting: Acting, unit_id: int) -> list[ReleasePattern]:
    """The unit's standing patterns, the newest first."""
    site_id = acting.site_id
    return list(session.exec(
        select(ReleasePattern).where(ReleasePattern.site_id == site_id,
                                     ReleasePattern.unit_id == unit_id)
        .order_by(col(ReleasePattern.valid_until).desc(), col(ReleasePattern.id).desc())
    ).all())


def create(session: Session, *, acting: Acting, form: SlipForm, now: datetime,
           settings: Settings) -> ReleaseSlip:
    """A draft slip with its lines, waiting for the owner's confirmation (or under the
    company's standing pattern, when one covers it)."""
    site_id = acting.site_id
    actor = acting.operator
    values, lines = _checked(session, site_id, form, settings)
    slip = _new_slip(session, site_id, values, lines, now, actor)
    _under_pattern(session, slip, settings)
    audit.record(session, now=now, actor=actor, action="release.create", entity="release_slip",
                 entity_id=slip.id, site_id=site_id,
                 after={**_audit_slip(slip), "lines": lines})
    return slip


def get_slip(session: Session, *, acting: Acting, slip_id: int) -> ReleaseSlip:
    site_id = acting.site_id
    slip = session.get(ReleaseSlip, slip_id, populate_existing=True)
    if slip is None or slip.site_id != site_id:
        raise NotFound(_("There is no such release slip."), field="slip")
    return slip


def get_by_code(session: Session, *, acting: Acting, text: str) -> ReleaseSlip:
    """The slip of a typed or scanned code; a wrong check character is caught."""
    site_id = acting.site_id
    code = codes.check_code(text)
    if code.prefix != codes.CodePrefix.RELEASE.value:
        raise InvalidInput(_("{code} is not a release slip code.").format(code=code.text),
                           field="code")
    slip = session.exec(
        select(ReleaseSlip).where(ReleaseSlip.site_id == site_id, ReleaseSlip.code == code.text)
        .execution_options(populate_existing=True)
    ).first()
    if slip is None:
        raise NotFound(_("No release slip has the code {code}.").format(code=code.text),
                       field="code")
    return slip


def lines_of(session: Session, slip_id: int) -> list[ReleaseLine]:
    return list(session.exec(
        select(ReleaseLine).where(ReleaseLine.slip_id == slip_id)
        .order_by(col(ReleaseLine.position)).execution_options(populate_existing=True)
    ).all())


def current_revision(session: Session, slip: ReleaseSlip) -> ReleaseSlip:
    """The latest revision of the slip's chain (the slip itself when none replaced it)."""
    current = slip
    while True:
        later = session.exec(
            select(ReleaseSlip).where(ReleaseSlip.supersedes_id == current.id)
        ).first()
        if later is None:
            return current
        current = later


def revise(session: Session, *, acting: Acting, slip_id: int, form: SlipForm, now: datetime,
           settings: Settings) -> ReleaseSlip:
    """A new revision (a draft with its own code) replacing the slip, which is kept."""
    site_id = acting.site_id
    actor = acting.operator
    old = get_slip(session, acting=acting, slip_id=slip_id)
    if old.status not in _AMENDABLE:
        refusal = _("Slip {code} is {status}; it cannot be amended.").format(
            code=old.code, status=status_label(old.status))
        # Say who moved it and where it went, as a request's refusal does: of two desks
        # amending the same slip, the second learns of the first one's revision.
        current = current_revision(session, old)
        last = versions.latest_change(session, entity="release_slip", entity_id=_id(current.id))
        if current.id != old.id:
            refusal += " " + _("It is now {code}.").format(code=current.code)
        if last is not None:
            refusal += " " + _("Last change: {change}.").format(
                change=versions.describe(last, desk_zone(settings.timezone)))
        raise Conflict(refusal, field="slip")
    values, lines = _checked(session, site_id, form, settings)
    before = _audit_slip(old)
    result = session.exec(
        update(ReleaseSlip)
        .where(col(ReleaseSlip.id) == old.id, col(ReleaseSlip.status).in_(_AMENDABLE))
        .values(status=SlipStatus.SUPERSEDED.value, version=col(ReleaseSlip.version) + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(old)
    if result.rowcount != 1:
        raise Conflict(_("Slip {code} changed meanwhile; open it again.").format(code=old.code),
                       field="slip")
    # Fees settled is a fact of the move, not of the lines: it carries over.
    slip = _new_slip(session, site_id, values, lines, now, actor, revision=old.revision + 1,
                     supersedes_id=old.id, fees_settled_by=old.fees_settled_by,
                     fees_settled_at=old.fees_settled_at)
    _under_pattern(session, slip, settings)
    audit.record(session, now=now, actor=actor, action="release.revise", entity="release_slip",
                 entity_id=slip.id, site_id=site_id, before=before,
                 after={**_audit_slip(slip), "lines": lines})
    return slip


# --- a company's standing pattern -----------------------------------------------------------


def add_pattern(session: Session, *, acting: Acting, unit: str, company: str,
                items: Sequence[str], carriers: Sequence[str], valid_from: date,
                valid_until: date, now: datetime, approver: Operator | None) -> ReleasePattern:
    """A company tenant's standing pre-approved pattern, approved by a supervisor or manager."""
    site_id = acting.site_id
    approver = require_role(approver, SUPERVISORS, acting=acting, field="approved_by",
                            message=_("Only a supervisor or a manager approves a standing "
                                      "pattern."))
    unit_record = directory.get_unit(session, acting=acting, code=unit)
    company = checks.clean_name(company, field="company", label=_("the company"))
    kept_items = [checks.clean_text(item, field="items", label=_("the item"),
                                    max_length=checks.MAX_DESCRIPTION, required=True)
                  for item in items]
    kept_carriers = [checks.clean_name(name, field="carriers", label=_("the carrier's name"))
                     for name in carriers]
    if not kept_items or not kept_carriers:
        raise InvalidInput(_("A standing pattern names its items and its carriers."),
                           field="items" if not kept_items else "carriers")
    if valid_until < valid_from:
        raise InvalidInput(_("The pattern ends before it starts."), field="valid_until")
    pattern = ReleasePattern(site_id=site_id, unit_id=_id(unit_record.id), company=company,
                             items="\n".join(kept_items), carriers="\n".join(kept_carriers),
                             valid_from=valid_from, valid_until=valid_until,
                             approved_by_id=approver.id, created_at=as_utc(now))
    session.add(pattern)
    session.flush()
    audit.record(session, now=now, actor=approver, action="release.pattern",
                 entity="release_pattern", entity_id=pattern.id, site_id=site_id,
                 after=audit.snapshot(pattern))
    return pattern


# --- the owner's confirmation ---------------------------------------------------------------


@dataclass(frozen=True)
class OnFileNumber:
    """A number the desk may call to confirm: a resident of the unit, on file."""

    resident_id: int
    name: str
    relation: str
    phone: str


def offered_numbers(session: Session, *, acting: Acting, slip_id: int) -> list[OnFileNumber]:
    """The owners' and tenants' numbers on file for the slip's unit, owners first.

    Only the directory's numbers: the applicant's or the carrier's typed number is
    never among them unless the directory holds it for an owner or tenant.
    """
    site_id = acting.site_id
    slip = get_slip(session, acting=acting, slip_id=slip_id)
    residents = session.exec(
        select(Resident).where(Resident.site_id == site_id, Resident.unit_id == slip.unit_id,
                               col(Resident.active).is_(True))
        .order_by(col(Resident.id))
    ).all()
    order = {Relation.OWNER.value: 0, Relation.TENANT.value: 1}
    offered = []
    for resident in sorted(residents, key=lambda r: order.get(r.relation, 2)):
        if resident.relation not in order:
            continue
        for phone in (resident.phone, resident.alt_phone):
            if phone:
                offered.append(OnFileNumber(_id(resident.id), resident.name, resident.relation,
                                            phone))
    return offered


def owners_on_file(session: Session, *, acting: Acting, slip_id: int) -> list[tuple[int, str]]:
    """The owners on file for the slip's unit (resident id, name): who may confirm in person."""
    site_id = acting.site_id
    slip = get_slip(session, acting=acting, slip_id=slip_id)
    return [(_id(resident.id), resident.name) for resident in session.exec(
        select(Resident).where(Resident.site_id == site_id, Resident.unit_id == slip.unit_id,
                               col(Resident.active).is_(True),
                               Resident.relation == Relation.OWNER.value)
        .order_by(col(Resident.id)))]


def _draft(session: Session, site_id: int, slip_id: int) -> ReleaseSlip:
    slip = get_slip(session, acting=Acting(site_id), slip_id=slip_id)
    if slip.status != SlipStatus.DRAFT.value:
        raise Conflict(_("Slip {code} is {status}; only a slip waiting to be issued takes a "
                         "confirmation.").format(code=slip.code,
                                                 status=status_label(slip.status)),
                       field="slip")
    return slip


def _resident_of(session: Session, site_id: int, slip: ReleaseSlip,
                 resident_id: int) -> Resident:
    resident = directory.find_resident(session, acting=Acting(site_id), resident_id=resident_id)
    if resident is None or resident.unit_id != slip.unit_id or not resident.active:
        raise InvalidInput(_("Confirm with an owner or tenant on file for this unit."),
                           field="confirmed_by")
    return resident


def record_confirmation(session: Session, *, acting: Acting, slip_id: int, resident_id: int,
                        now: datetime, phone: str = "",
                        off_file_reason: str = "") -> ReleaseSlip:
    """The desk's call: who confirmed (a resident on file), when, and the number called.

    ``phone`` empty means the resident's number on file. Another number needs
    ``off_file_reason``; the carrier's or applicant's own number is refused.
    """
    site_id = acting.site_id
    actor = acting.operator
    slip = _draft(session, site_id, slip_id)
    resident = _resident_of(session, site_id, slip, resident_id)
    if resident.relation not in (Relation.OWNER.value, Relation.TENANT.value):
        raise InvalidInput(_("The owner or the tenant confirms a release, not {name} ({rel}).")
                           .format(name=resident.name,
                                   rel=directory.relation_label(resident.relation)),
                           field="confirmed_by")
    on_file = [number for number in (resident.phone, resident.alt_phone) if number]
    called = checks.clean_phone(phone, field="confirmed_phone") if phone.strip() else ""
    if not called:
        if not on_file:
            raise InvalidInput(_("{name} has no number on file; type the number called and "
                                 "why.").format(name=resident.name), field="confirmed_phone")
        called = on_file[0]
    reason = ""
    if called not in on_file:
        if called == slip.carrier_phone:
            raise InvalidInput(_("That is the carrier's own number: call the owner or tenant "
                                 "on the number on file."), field="confirmed_phone")
        reason = checks.clean_text(off_file_reason, field="off_file_reason",
                                   label=_("why another number was called"),
                                   max_length=checks.MAX_NOTE, required=True)
    return _keep_confirmation(session, slip, kind=ConfirmationKind.PHONE, by=resident.name,
                      phone=called, on_file=called in on_file, reason=reason, now=now,
                      actor=actor)


def record_in_person(session: Session, *, acting: Acting, slip_id: int, resident_id: int,
                     id_checked: bool, now: datetime) -> ReleaseSlip:
    """The owner on file, at the counter with an ID checked: counts as confirmed."""
    site_id = acting.site_id
    actor = acting.operator
    slip = _draft(session, site_id, slip_id)
    resident = _resident_of(session, site_id, slip, resident_id)
    if resident.relation != Relation.OWNER.value:
        raise InvalidInput(_("Only the owner on file confirms in person; call the owner."),
                           field="confirmed_by")
    if not id_checked:
        raise InvalidInput(_("Check the owner's ID before recording the confirmation."),
                           field="id_checked")
    return _keep_confirmation(session, slip, kind=ConfirmationKind.IN_PERSON, by=resident.name,
                      phone="", on_file=True, reason="", now=now, actor=actor)


def _keep_confirmation(session: Session, slip: ReleaseSlip, *, kind: ConfirmationKind, by: str,
               phone: str, on_file: bool, reason: str, now: datetime,
               actor: Operator | None) -> ReleaseSlip:
    """The confirmation kept on the slip, with its audit entry."""
    with _audited(session, slip, action="release.confirm", actor=actor, now=now):
        slip.confirmation_kind = kind.value
        slip.confirmed_by = by
        slip.confirmed_at = as_utc(now)
        slip.confirmed_phone = phone
        slip.confirmed_on_file = on_file
        slip.off_file_reason = reason
        slip.confirmation_recorded_by_id = actor.id if actor else None
    return slip


def record_fees_settled(session: Session, *, acting: Acting, slip_id: int, confirmed_by: str,
                        now: datetime) -> ReleaseSlip:
    """Moving out: who confirmed the fees are settled (物业费已结清)."""
    site_id = acting.site_id
    actor = acting.operator
    slip = _draft(session, site_id, slip_id)
    if slip.reason != ReleaseReason.MOVING_OUT.value:
        raise InvalidInput(_("Fees are confirmed settled for a moving-out slip only."),
                           field="fees_settled_by")
    name = checks.clean_name(confirmed_by, field="fees_settled_by",
                             label=_("who confirmed the fees settled"))
    with _audited(session, slip, action="release.fees_settled", actor=actor,
                  now=now):
        slip.fees_settled_by = name
        slip.fees_settled_at = as_utc(now)
    return slip


# --- issue ----------------------------------------------------------------------------------


def _pattern(session: Session, slip: ReleaseSlip) -> ReleasePattern | None:
    return session.get(ReleasePattern, slip.pattern_id) if slip.pattern_id else None


def _confirmed(slip: ReleaseSlip, pattern_ok: bool) -> bool:
    return slip.confirmed_at is not None or pattern_ok


def problems(session: Session, *, acting: Acting, slip_id: int, settings: Settings,
             now: datetime) -> list[rules.Refusal]:
    """What stops the slip being issued, in words: the confirmation first, then each rule
    (under a standing pattern the pattern's refusal comes first)."""
    slip = get_slip(session, acting=acting, slip_id=slip_id)
    lines = lines_of(session, _id(slip.id))
    calendar = WorkCalendar.from_settings(settings)
    found = rules.evaluate(slip, lines, _pattern(session, slip), settings, calendar)
    left = moving_out.unsettled(session, slip, now)
    if left:
        found.append(rules.Refusal(rules.SETTLEMENTS, _(
            "Moving out: the unit still has {things} at the desk ({first}…); settle "
            "each or note why not before the slip is issued.").format(
                things=counted(len(left), N_("1 thing"), N_("{count} things")),
                first=f"{moving_out.kind_label(left[0].kind)} {left[0].reference}"),
            "settlement"))
    pattern_ok = slip.pattern_id is not None and not any(r.key == rules.PATTERN for r in found)
    if not _confirmed(slip, pattern_ok):
        missing = rules.Refusal("confirmation", _(
            "Confirm with the owner or tenant on the number on file before the slip is "
            "issued."), "confirmation")
        # A slip under a pattern says first why the pattern does not cover it.
        found.insert(len(found) if slip.pattern_id is not None else 0, missing)
    return found


def issue(session: Session, *, acting: Acting, slip_id: int, now: datetime,
          settings: Settings,
          override: Override | None = None) -> ReleaseSlip:
    """Issue a confirmed slip that keeps the rules (or whose broken rules are overridden)."""
    site_id = acting.site_id
    actor = acting.operator
    slip = _draft(session, site_id, slip_id)
    found = problems(session, acting=acting, slip_id=slip_id, settings=settings, now=now)
    blocking = [r for r in found if override is None or r.key not in OVERRIDABLE]
    if blocking:
        first = blocking[0]
        raise InvalidInput(first.message, field=first.field)
    before = _audit_slip(slip)
    if found and override is not None:
        require_role(override.supervisor, SUPERVISORS, acting=acting, field="override",
                     message=_("Only a supervisor or a manager overrides a release rule."))
        reason = checks.clean_text(override.reason, field="override_reason",
                                   label=_("the reason for the override"),
                                   max_length=checks.MAX_NOTE, required=True)
        slip.override_by_id = override.supervisor.id
        slip.override_reason = reason
        slip.override_rules = ",".join(r.key for r in found)
        slip.override_at = as_utc(now)
    if slip.confirmed_at is None and slip.pattern_id is not None:
        pattern = _pattern(session, slip)
        slip.confirmation_kind = ConfirmationKind.PATTERN.value
        slip.confirmed_by = pattern.company if pattern else ""
        slip.confirmed_at = as_utc(now)
    # Of two desks issuing the same draft, one wins: the status changes only from draft.
    claimed = session.exec(
        update(ReleaseSlip)
        .where(col(ReleaseSlip.id) == slip.id, col(ReleaseSlip.status) == SlipStatus.DRAFT.value)
        .values(status=SlipStatus.ISSUED.value, version=col(ReleaseSlip.version) + 1)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        raise Conflict(_("Slip {code} changed meanwhile; open it again.").format(code=slip.code),
                       field="slip")
    session.refresh(slip)  # the new version, so the next flush of the slip matches it
    slip.status = SlipStatus.ISSUED.value
    slip.issued_at = as_utc(now)
    slip.issued_by_id = actor.id if actor else None
    session.add(slip)
    session.flush()
    if slip.override_at is not None:
        audit.record(session, now=now, actor=override.supervisor if override else actor,
                     action="release.override", entity="release_slip", entity_id=slip.id,
                     site_id=site_id, after={"rules": slip.override_rules,
                                             "reason": slip.override_reason,
                                             "messages": [r.message for r in found]})
    audit.record(session, now=now, actor=actor, action="release.issue", entity="release_slip",
                 entity_id=slip.id, site_id=site_id, before=before, after=_audit_slip(slip))
    return slip


# --- what the desk may do with a slip -------------------------------------------------------

CONFIRM, SETTLE, FEES, ISSUE, AMEND, VOID, PRINT, FILE, RETURNED = (
    "confirm", "settle", "fees", "issue", "amend", "void", "print", "file", "returned")
_STEP_OF_PROBLEM = {"confirmation": CONFIRM, rules.SETTLEMENTS: SETTLE,
                    rules.FEES_SETTLED: FEES}


def desk_actions(slip: ReleaseSlip | SlipRow) -> frozenset[str]:
    """What the desk may do with the slip now (the screen shows these keys, no others)."""
    allowed: set[str] = set()
    status = slip.status
    if status == SlipStatus.DRAFT.value:
        allowed |= {CONFIRM, ISSUE}
        if slip.reason == ReleaseReason.MOVING_OUT.value:
            allowed |= {SETTLE, FEES}
    if status in _AMENDABLE:
        allowed |= {AMEND, VOID}
    if status in (SlipStatus.ISSUED.value, SlipStatus.RELEASED.value, SlipStatus.FILED.value):
        allowed.add(PRINT)
    if status == SlipStatus.RELEASED.value:
        allowed.add(FILE)
    if (slip.reason == ReleaseReason.REPAIR.value and slip.returned_at is None
            and status in (SlipStatus.RELEASED.value, SlipStatus.FILED.value)):
        allowed.add(RETURNED)
    return frozenset(allowed)


def next_step(session: Session, *, acting: Acting, slip_id: int, settings: Settings,
              now: datetime) -> str:
    """The step Enter opens: for a draft the first thing that stops the issue (the
    confirmation, what a moving-out unit still has, the fees), else the issue itself;
    a slip sent back is amended, a released one filed, a repair marked back. Empty:
    nothing for the desk to do (an issued slip waits at the gate)."""
    slip = get_slip(session, acting=acting, slip_id=slip_id)
    if slip.status == SlipStatus.DRAFT.value:
        found = {problem.key for problem in problems(session, acting=acting, slip_id=slip_id,
                                                     settings=settings, now=now)}
        # In the order the desk works: the call, what the unit still has, then the fees.
        return next((step for key, step in _STEP_OF_PROBLEM.items() if key in found), ISSUE)
    if slip.status == SlipStatus.SENT_BACK.value:
        return AMEND
    if slip.status == SlipStatus.RELEASED.value:
        return FILE
    return RETURNED if RETURNED in desk_actions(slip) else ""


def form_of(session: Session, slip: ReleaseSlip) -> SlipForm:
    """The slip as its form, for an amendment (a new revision starts from the old)."""
    return SlipForm(
        unit=directory.unit_code(session, slip.unit_id), applicant_name=slip.applicant_name,
        applicant_relation=slip.applicant_relation, carrier_name=slip.carrier_name,
        reason=slip.reason, planned_at=as_utc(slip.planned_at),
        lines=[LineForm(line.description, line.quantity,
                        large=line.large and not line.catalogue_entry)
               for line in lines_of(session, _id(slip.id))],
        carrier_id_number=slip.carrier_id_number, carrier_phone=slip.carrier_phone,
        plate=slip.plate, driver_name=slip.driver_name, reason_note=slip.reason_note,
        due_back_on=slip.due_back_on,
    )


# --- the gate -------------------------------------------------------------------------------


@dataclass(frozen=True)
class GateLine:
    id: int
    position: int
    description: str
    quantity: int
    large: bool
    ticked: bool


@dataclass(frozen=True)
class GateView:
    """What the guard sees for a code: the slip's lines, or why it cannot pass (one line)."""

    slip_id: int
    code: str
    revision: int
    unit: str
    carrier: str
    plate: str
    lines: list[GateLine] = field(default_factory=list)
    refusal: str = ""
    current_code: str = ""
    """When superseded: the code of the current revision."""

    @property
    def can_release(self) -> bool:
        return not self.refusal

    @property
    def all_ticked(self) -> bool:
        return bool(self.lines) and all(line.ticked for line in self.lines)


def _gate_refusal(session: Session, slip: ReleaseSlip, now: datetime, settings: Settings,
                  calendar: WorkCalendar, lines: Sequence[ReleaseLine]) -> tuple[str, str]:
    status = slip.status
    if status == SlipStatus.SUPERSEDED.value:
        current = current_revision(session, slip)
        return (_("Superseded: slip {code} was replaced by revision {revision}, {current}.")
                .format(code=slip.code, revision=current.revision, current=current.code),
                current.code or "")
    if status in (SlipStatus.RELEASED.value, SlipStatus.FILED.value):
        when = calendar.local(as_utc(slip.released_at or now)).strftime("%Y-%m-%d %H:%M")
        return _("Already used: slip {code} was released at {when}.").format(
            code=slip.code, when=when), ""
    if status == SlipStatus.VOID.value:
        return _("Voided: slip {code} is cancelled ({reason}).").format(
            code=slip.code, reason=slip.void_reason), ""
    if status == SlipStatus.SENT_BACK.value:
        return _("Sent back: slip {code} is being amended at the desk.").format(
            code=slip.code), ""
    if status == SlipStatus.DRAFT.value:
        return _("Not issued: slip {code} is still waiting for the owner's confirmation.")\
            .format(code=slip.code), ""
    planned = calendar.local(as_utc(slip.planned_at)).date()
    today = calendar.local(as_utc(now)).date()
    if planned != today:
        return _("Another day: slip {code} is for {day}, not today.").format(
            code=slip.code, day=planned.isoformat()), ""
    if rules.OFFICE_HOURS not in slip.override_rules.split(","):
        refusal = rules.office_hours(now, lines, calendar)
        if refusal is not None:
            return refusal.message, ""
    return "", ""


def at_gate(session: Session, *, acting: Acting, text: str, now: datetime,
            settings: Settings) -> GateView:
    """What the guard sees for a scanned or typed code (reads only)."""
    slip = get_by_code(session, acting=acting, text=text)
    return _view(session, slip, now, settings)


def _view(session: Session, slip: ReleaseSlip, now: datetime, settings: Settings) -> GateView:
    calendar = WorkCalendar.from_settings(settings)
    lines = lines_of(session, _id(slip.id))
    refusal, current = _gate_refusal(session, slip, now, settings, calendar, lines)
    return GateView(
        slip_id=_id(slip.id), code=slip.code or "", revision=slip.revision,
        unit=directory.unit_code(session, slip.unit_id), carrier=slip.carrier_name,
        plate=slip.plate,
        lines=[GateLine(_id(line.id), line.position, line.description, line.quantity,
                        line.large, line.ticked_at is not None) for line in lines],
        refusal=refusal, current_code=current,
    )


def _require_guard(guard: Operator | None, site_id: int) -> Operator:
    return require_role(guard, (Role.GUARD.value, *SUPERVISORS), acting=Acting(site_id),
                        field="guard", message=_("Only a guard on duty checks slips at the gate."))


def _passable(session: Session, site_id: int, slip_id: int, now: datetime,
              settings: Settings) -> tuple[ReleaseSlip, GateView]:
    slip = get_slip(session, acting=Acting(site_id), slip_id=slip_id)
    view = _view(session, slip, now, settings)
    if view.refusal:
        raise Conflict(view.refusal, field="code")
    return slip, view


def tick(session: Session, *, acting: Acting, slip_id: int, line_id: int, now: datetime,
         guard: Operator | None, settings: Settings) -> GateView:
    """The guard ticks a line as its items pass."""
    site_id = acting.site_id
    guard = _require_guard(guard, site_id)
    slip, _view_before = _passable(session, site_id, slip_id, now, settings)
    line = session.get(ReleaseLine, line_id, populate_existing=True)
    if line is None or line.slip_id != slip.id:
        raise NotFound(_("That line is not on this slip."), field="line")
    if line.ticked_at is None:
        line.ticked_at = as_utc(now)
        session.add(line)
        session.flush()
        audit.record(session, now=now, actor=guard, action="release.tick",
                     entity="release_slip", entity_id=slip.id, site_id=site_id,
                     after={"line": line.position, "description": line.description})
    return _view(session, slip, now, settings)


def release(session: Session, *, acting: Acting, slip_id: int, now: datetime,
            guard: Operator | None, settings: Settings) -> ReleaseSlip:
    """All lines ticked: released, with the guard and the time. Of two guards, one wins."""
    site_id = acting.site_id
    guard = _require_guard(guard, site_id)
    slip, view = _passable(session, site_id, slip_id, now, settings)
    if not view.all_ticked:
        left = sum(1 for line in view.lines if not line.ticked)
        raise InvalidInput(_("Tick every line as it passes: {count} not ticked yet.").format(
            count=left), field="lines")
    before = _audit_slip(slip)
    result = session.exec(
        update(ReleaseSlip)
        .where(col(ReleaseSlip.id) == slip.id,
               col(ReleaseSlip.status) == SlipStatus.ISSUED.value)
        .values(status=SlipStatus.RELEASED.value, released_at=as_utc(now),
                released_by_id=guard.id, version=col(ReleaseSlip.version) + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(slip)
    if result.rowcount != 1:
        raise Conflict(_view(session, slip, now, settings).refusal
                       or _("Slip {code} changed meanwhile.").format(code=slip.code),
                       field="code")
    audit.record(session, now=now, actor=guard, action="release.release",
                 entity="release_slip", entity_id=slip.id, site_id=site_id, before=before,
                 after=_audit_slip(slip))
    return slip


def send_back(session: Session, *, acting: Acting, slip_id: int, note: str, now: datetime,
              guard: Operator | None, settings: Settings) -> ReleaseSlip:
    """The items do not match the lines: back to the desk to be amended (a new revision)."""
    site_id = acting.site_id
    guard = _require_guard(guard, site_id)
    slip, _view_now = _passable(session, site_id, slip_id, now, settings)
    note = checks.clean_text(note, field="note", label=_("what does not match"),
                             max_length=checks.MAX_NOTE, required=True)
    with _audited(session, slip, action="release.send_back", actor=guard,
                  now=now):
        slip.status = SlipStatus.SENT_BACK.value
        slip.sent_back_at = as_utc(now)
        slip.sent_back_note = note
    return slip


# --- back at the desk -----------------------------------------------------------------------


def file(session: Session, *, acting: Acting, slip_id: int, now: datetime) -> ReleaseSlip:
    """A released slip back at the desk, filed (归档)."""
    actor = acting.operator
    slip = get_slip(session, acting=acting, slip_id=slip_id)
    if slip.status != SlipStatus.RELEASED.value:
        raise Conflict(_("Slip {code} is {status}; only a released slip is filed.").format(
            code=slip.code, status=status_label(slip.status)), field="slip")
    with _audited(session, slip, action="release.file", actor=actor,
                  now=now):
        slip.status = SlipStatus.FILED.value
        slip.filed_at = as_utc(now)
        slip.filed_by_id = actor.id if actor else None
    return slip


def void(session: Session, *, acting: Acting, slip_id: int, reason: str,
         now: datetime) -> ReleaseSlip:
    """Cancel a slip not yet used, with a reason (作废)."""
    actor = acting.operator
    slip = get_slip(session, acting=acting, slip_id=slip_id)
    if slip.status not in _AMENDABLE:
        raise Conflict(_("Slip {code} is {status}; it cannot be voided.").format(
            code=slip.code, status=status_label(slip.status)), field="slip")
    reason = checks.clean_text(reason, field="void_reason", label=_("the reason"),
                               max_length=checks.MAX_NOTE, required=True)
    with _audited(session, slip, action="release.void", actor=actor,
                  now=now):
        slip.status = SlipStatus.VOID.value
        slip.voided_at = as_utc(now)
        slip.voided_by_id = actor.id if actor else None
        slip.void_reason = reason
    return slip


def mark_returned(session: Session, *, acting: Acting, slip_id: int, now: datetime) -> ReleaseSlip:
    """Repair: the items came back."""
    actor = acting.operator
    slip = get_slip(session, acting=acting, slip_id=slip_id)
    if slip.reason != ReleaseReason.REPAIR.value or slip.status not in (
            SlipStatus.RELEASED.value, SlipStatus.FILED.value):
        raise Conflict(_("Only items released for repair come back."), field="slip")
    if slip.returned_at is not None:
        raise Conflict(_("Slip {code}: the items are back already.").format(code=slip.code),
                       field="slip")
    with _audited(session, slip, action="release.returned", actor=actor,
                  now=now):
        slip.returned_at = as_utc(now)
    return slip


# --- lists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlipRow:
    id: int
    code: str
    revision: int
    status: str
    unit: str
    applicant: str
    reason: str
    planned_at: datetime
    due_back_on: date | None
    returned_at: datetime | None = None


def _slip_row(slip: ReleaseSlip, unit: str | None) -> SlipRow:
    return SlipRow(_id(slip.id), slip.code or "", slip.revision, slip.status, unit or "",
                   slip.applicant_name, slip.reason, as_utc(slip.planned_at), slip.due_back_on,
                   as_utc(slip.returned_at) if slip.returned_at else None)


def _with_units(conditions: tuple[Any, ...]) -> Any:
    return (select(ReleaseSlip, Unit.code).join(Unit, col(Unit.id) == col(ReleaseSlip.unit_id))
            .where(*conditions))


_BY_DAY = (col(ReleaseSlip.planned_at), col(ReleaseSlip.id))
"""The desk's lists: by the time the items leave, the slip's id breaking a tie."""


def _rows(session: Session, *conditions: Any) -> list[SlipRow]:
    """Every slip matching ``conditions``, by the day it leaves (the whole list)."""
    found = session.exec(_with_units(conditions).order_by(*_BY_DAY)).all()
    return [_slip_row(slip, unit) for slip, unit in found]


def _clamped(offset: int, limit: int) -> tuple[int, int]:
    return max(0, offset), max(1, min(limit, MAX_PAGE))


def _page(session: Session, conditions: tuple[Any, ...], *, offset: int, limit: int,
          order: tuple[Any, ...] = _BY_DAY, most: int | None = None) -> Page[SlipRow]:
    """One page of a list: its count, then its rows by ``order`` (a total order, the id
    last, so pages neither repeat nor skip a slip). ``most`` caps the list's length."""
    offset, limit = _clamped(offset, limit)
    total = int(session.exec(select(func.count()).select_from(ReleaseSlip)
                             .where(*conditions)).one())
    if most is not None:
        total = min(total, most)
        limit = max(0, min(limit, most - offset))
    found = session.exec(_with_units(conditions).order_by(*order).offset(offset)
                         .limit(limit)).all() if limit else []
    return Page(rows=[_slip_row(slip, unit) for slip, unit in found], total=total,
                offset=offset, limit=limit)


def _day_bounds(now: datetime, settings: Settings) -> tuple[datetime, datetime]:
    calendar = WorkCalendar.from_settings(settings)
    day = calendar.local(as_utc(now)).date()
    start = calendar.at(day, datetime.min.time())
    return start, start + timedelta(days=1)


class SlipList(StrEnum):
    """The desk's lists of slips (F6), one key each."""

    AT_DESK = "desk"  # 待办: drafts (confirmed or not) and slips sent back
    ISSUED_TODAY = "today"  # 今日已开
    NOT_FILED = "not_filed"  # 已放行未归档
    UNUSED = "unused"  # 过期未用
    OVERDUE = "overdue"  # 维修逾期未还
    ALL = "all"  # 全部, 最新在前


RECENT = 200
"""How many of the latest slips the "all" list holds."""
MAX_PAGE = 500


def _at_desk(site_id: int) -> tuple[Any, ...]:
    return (ReleaseSlip.site_id == site_id,
            col(ReleaseSlip.status).in_((SlipStatus.DRAFT.value, SlipStatus.SENT_BACK.value)))


def _waiting(site_id: int) -> tuple[Any, ...]:
    return (ReleaseSlip.site_id == site_id, ReleaseSlip.status == SlipStatus.DRAFT.value,
            col(ReleaseSlip.confirmed_at).is_(None))


def _issued_on_the_day(site_id: int, now: datetime, settings: Settings) -> tuple[Any, ...]:
    """Through ``ix_release_slip_issued`` (site, issued, status): the day's slips alone, the
    count from the index, not every filed slip of the site."""
    start, end = _day_bounds(now, settings)
    return (ReleaseSlip.site_id == site_id, col(ReleaseSlip.issued_at) >= start,
            col(ReleaseSlip.issued_at) < end,
            col(ReleaseSlip.status).in_((SlipStatus.ISSUED.value, SlipStatus.RELEASED.value,
                                         SlipStatus.FILED.value)))


def _not_filed(site_id: int) -> tuple[Any, ...]:
    return (ReleaseSlip.site_id == site_id, ReleaseSlip.status == SlipStatus.RELEASED.value)


def _unused(site_id: int, now: datetime, settings: Settings) -> tuple[Any, ...]:
    start, _end = _day_bounds(now, settings)
    return (ReleaseSlip.site_id == site_id, ReleaseSlip.status == SlipStatus.ISSUED.value,
            col(ReleaseSlip.planned_at) < start)


def _returnables_overdue(site_id: int, now: datetime, settings: Settings) -> tuple[Any, ...]:
    today = WorkCalendar.from_settings(settings).local(as_utc(now)).date()
    return (ReleaseSlip.site_id == site_id, ReleaseSlip.reason == ReleaseReason.REPAIR.value,
            col(ReleaseSlip.status).in_((SlipStatus.RELEASED.value, SlipStatus.FILED.value)),
            col(ReleaseSlip.returned_at).is_(None), col(ReleaseSlip.due_back_on) < today)


def desk_list(session: Session, *, acting: Acting, view: str, now: datetime, settings: Settings,
              offset: int = 0, limit: int = DEFAULT_PAGE) -> Page[SlipRow]:
    """One page of one of the desk's lists (``SlipList``), with how many it holds.

    The same slips in the same order as the whole lists below (by the day they leave),
    but "all", which holds the latest ``RECENT`` slips in every state, newest first.
    """
    site_id = acting.site_id
    match SlipList(view):
        case SlipList.AT_DESK:
            conditions = _at_desk(site_id)
        case SlipList.ISSUED_TODAY:
            conditions = _issued_on_the_day(site_id, now, settings)
        case SlipList.NOT_FILED:
            conditions = _not_filed(site_id)
        case SlipList.UNUSED:
            conditions = _unused(site_id, now, settings)
        case SlipList.OVERDUE:
            conditions = _returnables_overdue(site_id, now, settings)
        case SlipList.ALL:
            return _page(session, (ReleaseSlip.site_id == site_id,), offset=offset,
                         limit=limit, order=(col(ReleaseSlip.id).desc(),), most=RECENT)
    return _page(session, conditions, offset=offset, limit=limit)


def waiting_for_confirmation(session: Session, *, acting: Acting) -> list[SlipRow]:
    """Drafts the owner has not confirmed yet, whole (the demo's report counts them)."""
    site_id = acting.site_id
    return _rows(session, *_waiting(site_id))


def issued_today(session: Session, *, acting: Acting, now: datetime,
                 settings: Settings) -> list[SlipRow]:
    """The slips issued today, whole; the desk pages them (``desk_list``)."""
    site_id = acting.site_id
    return _rows(session, *_issued_on_the_day(site_id, now, settings))


def released_not_filed(session: Session, *, acting: Acting) -> list[SlipRow]:
    """Released slips not filed yet, whole; the desk pages them (``desk_list``)."""
    site_id = acting.site_id
    return _rows(session, *_not_filed(site_id))


def desk_counts(session: Session, *, acting: Acting, now: datetime,
                settings: Settings) -> dict[str, int]:
    """How many slips each of the dashboard's lists holds: one count query each, on the
    same conditions as the lists themselves."""

    site_id = acting.site_id
    def count(conditions: tuple[Any, ...]) -> int:
        return int(session.exec(select(func.count()).select_from(ReleaseSlip)
                                .where(*conditions)).one())

    return {"slips_waiting": count(_waiting(site_id)),
            "slips_issued_today": count(_issued_on_the_day(site_id, now, settings)),
            "slips_unfiled": count(_not_filed(site_id))}


def unused_past_day(session: Session, *, acting: Acting, now: datetime,
                    settings: Settings) -> list[SlipRow]:
    """Issued slips whose planned day has ended unused, whole; the desk pages them."""
    site_id = acting.site_id
    return _rows(session, *_unused(site_id, now, settings))


def returnables_overdue(session: Session, *, acting: Acting, now: datetime,
                        settings: Settings) -> list[SlipRow]:
    """Items released for repair, not back by their due date, whole; the desk pages them."""
    site_id = acting.site_id
    return _rows(session, *_returnables_overdue(site_id, now, settings))


@dataclass(frozen=True)
class ReconciliationRow:
    code: str
    unit: str
    released_at: datetime
    filed: bool
    slip_id: int = 0


@dataclass(frozen=True)
class WeekPage(Page[ReconciliationRow]):
    """A page of the week's reconciliation; ``total`` slips released, ``filed`` of them
    filed (of the whole week, not of the page)."""

    filed: int = 0


def _released_in_week(site_id: int, week_start: date,
                      settings: Settings) -> tuple[Any, ...]:
    calendar = WorkCalendar.from_settings(settings)
    start = calendar.at(week_start, datetime.min.time())
    end = start + timedelta(days=7)
    return (ReleaseSlip.site_id == site_id, col(ReleaseSlip.released_at) >= start,
            col(ReleaseSlip.released_at) < end)


_BY_RELEASE = (col(ReleaseSlip.released_at), col(ReleaseSlip.id))


def _reconciliation_row(slip: ReleaseSlip, unit: str | None) -> ReconciliationRow:
    assert slip.released_at is not None, "a slip released in the week has its time"
    return ReconciliationRow(slip.code or "", unit or "", as_utc(slip.released_at),
                             slip.status == SlipStatus.FILED.value, _id(slip.id))


def weekly_reconciliation(session: Session, *, acting: Acting, week_start: date,
                          settings: Settings) -> list[ReconciliationRow]:
    """Every slip released in the week from ``week_start``, and whether it was filed:
    whole, for the report and its CSV (``reconciliation.write_week``)."""
    site_id = acting.site_id
    found = session.exec(_with_units(_released_in_week(site_id, week_start, settings))
                         .order_by(*_BY_RELEASE)).all()
    return [_reconciliation_row(slip, unit) for slip, unit in found]


def week_page(session: Session, *, acting: Acting, week_start: date, settings: Settings,
              offset: int = 0, limit: int = DEFAULT_PAGE) -> WeekPage:
    """One page of ``weekly_reconciliation`` (the same slips, the same order), with the
    week's counts of released and filed slips."""
    site_id = acting.site_id
    offset, limit = _clamped(offset, limit)
    conditions = _released_in_week(site_id, week_start, settings)
    total, filed = session.exec(
        select(func.count(), func.count(case(
            (col(ReleaseSlip.status) == SlipStatus.FILED.value, 1))))
        .select_from(ReleaseSlip).where(*conditions)).one()
    found = session.exec(_with_units(conditions).order_by(*_BY_RELEASE).offset(offset)
                         .limit(limit)).all()
    return WeekPage(rows=[_reconciliation_row(slip, unit) for slip, unit in found],
                    total=int(total), offset=offset, limit=limit, filed=int(filed or 0))
