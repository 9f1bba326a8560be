"""Keys (钥匙管理): the key register, issues and loans, returns, chasing.

Keys of units taken over are labelled and kept by a named custodian. An owner
collecting a key for good (发放) or borrowing one proves identity and signs.
Anyone else is asked the purpose and the return time; contractors bring the
key back the same day; sales staff need their manager's approval. The
custodian chases every key not returned on time.

A key is out at most once: lending it is a conditional update of the key's
status from ``in`` to ``out``, so two desks cannot lend the same key.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.formatting import local_day_start
from deskapp.i18n import N_, _
from deskapp.models import Operator, Role, Unit
from deskapp.models.custody import (
    BorrowerKind,
    CustodyEvent,
    EventKind,
    KeyLoan,
    KeyRecord,
    KeyStatus,
)
from deskapp.services import audit, codes, directory
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.custody import checks, core, export, lists
from deskapp.services.custody.lists import Page
from deskapp.services.privacy import mask_phone

audit.register_action_labels(
    {
        "key.register": N_("Key registered"),
        "key.issue": N_("Key issued to the owner"),
        "key.lend": N_("Key lent"),
        "key.return": N_("Key returned"),
        "key.chase": N_("Key borrower chased"),
        "key.retire": N_("Key taken off the register"),
    }
)

_KIND_LABELS = {
    BorrowerKind.OWNER.value: N_("owner"),
    BorrowerKind.RESIDENT.value: N_("resident"),
    BorrowerKind.CONTRACTOR.value: N_("contractor"),
    BorrowerKind.SALES.value: N_("sales staff"),
    BorrowerKind.STAFF.value: N_("property staff"),
    BorrowerKind.OTHER.value: N_("other"),
}
_STATUS_LABELS = {
    KeyStatus.IN.value: N_("in the cabinet"),
    KeyStatus.OUT.value: N_("out"),
    KeyStatus.ISSUED.value: N_("issued to the owner"),
    KeyStatus.RETIRED.value: N_("off the register"),
}
# Owners and residents prove who they are; everybody else says why they need the key.
_NEEDS_PURPOSE = {
    BorrowerKind.CONTRACTOR.value, BorrowerKind.SALES.value, BorrowerKind.STAFF.value,
    BorrowerKind.OTHER.value,
}


def borrower_kind_label(kind: str) -> str:
    label = _KIND_LABELS.get(kind)
    return _(label) if label else kind


def key_status_label(status: str) -> str:
    label = _STATUS_LABELS.get(status)
    return _(label) if label else status


@dataclass(frozen=True)
class Borrower:
    """Who takes the key and signs the register."""

    name: str
    kind: str = BorrowerKind.OWNER.value
    phone: str = ""
    company: str = ""
    """The contractor's company or the sales office."""
    id_checked: bool = False
    id_number: str = ""
    signed: bool = False


def _id(value: int | None) -> int:
    assert value is not None, "flushed records have an id"
    return value


def get_key(session: Session, *, acting: Acting, key_id: int) -> KeyRecord:
    site_id = acting.site_id
    key = session.get(KeyRecord, key_id, populate_existing=True)
    if key is None or key.site_id != site_id:
        raise NotFound(_("This key is not on the register."), field="key")
    return key


def get_key_by_code(session: Session, *, acting: Acting, text: str) -> KeyRecord:
    site_id = acting.site_id
    code = codes.check_code(text)
    if code.prefix != codes.CodePrefix.KEY.value:
        raise InvalidInput(
            _("{code} is not a key tag code.").format(code=code.text), field="code"
        )
    key = session.exec(
        select(KeyRecord)
        .where(KeyRecord.site_id == site_id, KeyRecord.code == code.text)
        .execution_options(populate_existing=True)
    ).first()
    if key is None:
        raise NotFound(_("No key has the code {code}.").format(code=code.text), field="code")
    return key


def open_loan(session: Session, *, key_id: int) -> KeyLoan | None:
    """The loan or issue of the key that has not come back."""
    return session.exec(
        select(KeyLoan)
        .where(KeyLoan.key_id == key_id, col(KeyLoan.returned_at).is_(None))
        .order_by(col(KeyLoan.out_at).desc())
        .execution_options(populate_existing=True)
    ).first()


def _key_audit(key: KeyRecord) -> dict[str, Any]:
    return audit.snapshot(key)


def register_key(
    session: Session,
    *,
    acting: Acting,
    unit: str,
    label: str,
    place: str,
    custodian: str,
    pieces: int = 1,
    now: datetime,
) -> KeyRecord:
    """Put a key of a unit on the register; it gets a ``K-`` tag code."""
    site_id = acting.site_id
    actor = acting.operator
    unit_record = directory.get_unit(session, acting=acting, code=unit)
    label = checks.clean_text(label, field="label", label=_("the label"),
                               max_length=directory.MAX_NAME_LENGTH, required=True)
    place = checks.clean_text(place, field="place", label=_("where it is kept"),
                               max_length=checks.MAX_PLACE, required=True)
    custodian = checks.clean_name(custodian, field="custodian", label=_("the custodian"))
    pieces = checks.clean_pieces(pieces)
    duplicate = session.exec(
        select(KeyRecord.id).where(
            KeyRecord.site_id == site_id, KeyRecord.unit_id == unit_record.id,
            KeyRecord.label == label, KeyRecord.status != KeyStatus.RETIRED.value,
        )
    ).first()
    if duplicate is not None:
        raise Conflict(
            _("{unit} already has a key labelled {label}.").format(unit=unit_record.code,
                                                                   label=label),
            field="label",
        )
    key = KeyRecord(
        site_id=site_id, unit_id=unit_record.id, label=label, place=place, custodian=custodian,
        pieces=pieces, status=KeyStatus.IN.value, registered_at=now,
        registered_by_id=actor.id if actor else None, created_at=now,
    )
    session.add(key)
    session.flush()
    key.code = codes.draw_code(codes.CodePrefix.KEY.value, lambda code: session.exec(
        select(KeyRecord.id).where(KeyRecord.site_id == site_id, KeyRecord.code == code)
    ).first() is not None)
    session.add(key)
    core.add_event(session, acting=acting, kind=EventKind.KEY_REGISTERED, now=now,
                      key_id=key.id, note=f"{unit_record.code} {label}")
    session.flush()
    audit.record(session, now=now, actor=actor, action="key.register", entity="key",
                 entity_id=key.id, site_id=site_id, after=_key_audit(key))
    return key


def _refuse_out(session: Session, key: KeyRecord, settings: Settings | None) -> Conflict:
    loan = open_loan(session, key_id=_id(key.id))
    zone = core.zone_of(settings) if settings else None
    if key.status == KeyStatus.OUT.value and loan is not None:
        due = (as_utc(loan.due_at).astimezone(zone).strftime("%Y-%m-%d %H:%M")
               if loan.due_at else "")
        since = as_utc(loan.out_at).astimezone(zone).strftime("%Y-%m-%d %H:%M")
        return Conflict(
            _("Key {code} is already out with {name} since {since} (due {due}); "
              "take it back before lending it again.").format(
                code=key.code, name=loan.borrower_name, since=since, due=due),
            field="key",
        )
    if key.status == KeyStatus.ISSUED.value:
        return Conflict(
            _("Key {code} was issued to the owner for good.").format(code=key.code), field="key"
        )
    return Conflict(
        _("Key {code} is off the register.").format(code=key.code), field="key"
    )


def _take_out(session: Session, key: KeyRecord, status: KeyStatus,
              settings: Settings | None) -> None:
    """IN → ``status``, only if the key is still in: of two desks, one wins."""
    if key.status != KeyStatus.IN.value:
        raise _refuse_out(session, key, settings)
    result = session.exec(
        update(KeyRecord)
        .where(col(KeyRecord.id) == key.id, col(KeyRecord.status) == KeyStatus.IN.value)
        .values(status=status.value, version=col(KeyRecord.version) + 1)
        .execution_options(synchronize_session=False)
    )
    session.refresh(key)
    if result.rowcount != 1:
        raise _refuse_out(session, key, settings)


def _parse_kind(value: str) -> BorrowerKind:
    try:
        return BorrowerKind(value.strip().lower())
    except ValueError:
        raise InvalidInput(
            _("Choose who borrows: owner, resident, contractor, sales, staff or other."),
            field="borrower_kind",
        ) from None


def _check_borrower(borrower: Borrower, *, id_required: bool) -> dict[str, Any]:
    name = checks.clean_name(borrower.name, field="borrower", label=_("the borrower's name"))
    phone = checks.clean_phone(borrower.phone, field="borrower_phone")
    company = checks.clean_text(borrower.company, field="company", label=_("the company"),
                                 max_length=directory.MAX_NAME_LENGTH)
    id_number = checks.clean_id_number(borrower.id_number, field="id_number")
    if id_required and not borrower.id_checked:
        raise InvalidInput(
            _("The owner proves identity: check the ID before the key is handed over."),
            field="id_checked",
        )
    if not borrower.signed:
        raise InvalidInput(_("The borrower signs the key register."), field="signed")
    return {"borrower_name": name, "borrower_phone": phone, "borrower_company": company,
            "id_checked": borrower.id_checked, "id_number": id_number, "signed": True}


def end_of_local_day(now: datetime, settings: Settings) -> datetime:
    """The last minute of the desk's local day (23:59): when contractors' keys are due."""
    day_start = local_day_start(now, core.zone_of(settings))
    # Aware arithmetic in a ZoneInfo is wall-clock: one day later is the next local midnight.
    return as_utc(day_start + timedelta(days=1)) - timedelta(minutes=1)


def issue_key(
    session: Session,
    *,
    acting: Acting,
    key_id: int,
    owner: Borrower,
    now: datetime,
    settings: Settings | None = None,
    note: str = "",
) -> KeyLoan:
    """Hand a key to its owner for good (钥匙发放), identity proved and signed."""
    site_id = acting.site_id
    actor = acting.operator
    key = get_key(session, acting=acting, key_id=key_id)
    if key.status != KeyStatus.IN.value:
        raise _refuse_out(session, key, settings)
    fields = _check_borrower(owner, id_required=True)
    text = checks.clean_text(note, field="note", label=_("the note"),
                              max_length=checks.MAX_NOTE, multiline=True)
    _take_out(session, key, KeyStatus.ISSUED, settings)
    loan = KeyLoan(
        site_id=site_id, key_id=_id(key.id), permanent=True,
        borrower_kind=BorrowerKind.OWNER.value, out_at=now,
        out_by_id=actor.id if actor else None, returned_at=None, note=text, created_at=now,
        **fields,
    )
    session.add(loan)
    session.flush()
    core.add_event(session, acting=acting, kind=EventKind.KEY_ISSUED, now=now,
                      key_id=key.id, loan_id=loan.id, note=loan.borrower_name)
    session.flush()
    audit.record(session, now=now, actor=actor, action="key.issue", entity="key",
                 entity_id=key.id, site_id=site_id, after=core.audit_view(loan))
    return loan


def lend_key(
    session: Session,
    *,
    acting: Acting,
    key_id: int,
    borrower: Borrower,
    purpose: str,
    due_at: datetime | None,
    now: datetime,
    settings: Settings,
    approved_by: Operator | None = None,
    note: str = "",
) -> KeyLoan:
    """Lend a key until ``due_at``; a key already out is refused with who has it.

    Contractors: ``due_at`` defaults to, and may not be later than, the end of the
    local day. Sales staff: ``approved_by`` must be a manager. Anyone but an owner
    or resident gives the purpose.
    """
    site_id = acting.site_id
    actor = acting.operator
    key = get_key(session, acting=acting, key_id=key_id)
    if key.status != KeyStatus.IN.value:
        raise _refuse_out(session, key, settings)
    kind = _parse_kind(borrower.kind)
    owner_like = kind in (BorrowerKind.OWNER, BorrowerKind.RESIDENT)
    fields = _check_borrower(borrower, id_required=owner_like)
    purpose = checks.clean_text(purpose, field="purpose", label=_("the purpose"),
                                 max_length=checks.MAX_SHORT,
                                 required=kind.value in _NEEDS_PURPOSE)
    day_end = end_of_local_day(now, settings)
    if kind == BorrowerKind.CONTRACTOR:
        if due_at is None:
            due_at = day_end
        elif as_utc(due_at) > day_end:
            raise InvalidInput(
                _("Contractors return keys the same day: due by 23:59 today at the latest."),
                field="due_at",
            )
    if due_at is None:
        raise InvalidInput(_("Give the time the key is due back."), field="due_at")
    due_at = as_utc(due_at)
    if due_at <= now:
        raise InvalidInput(_("The due time must be later than now."), field="due_at")
    approver_id = None
    if kind == BorrowerKind.SALES:
        approver = checks.require_role(
            approved_by, (Role.MANAGER.value,), acting=acting, field="approved_by",
            message=_("A key lent to sales staff needs a manager's approval."),
        )
        approver_id = approver.id
    text = checks.clean_text(note, field="note", label=_("the note"),
                              max_length=checks.MAX_NOTE, multiline=True)
    _take_out(session, key, KeyStatus.OUT, settings)
    loan = KeyLoan(
        site_id=site_id, key_id=_id(key.id), permanent=False, borrower_kind=kind.value,
        purpose=purpose, out_at=now, out_by_id=actor.id if actor else None, due_at=due_at,
        approved_by_id=approver_id, note=text, created_at=now, **fields,
    )
    session.add(loan)
    session.flush()
    core.add_event(session, acting=acting, kind=EventKind.KEY_LENT, now=now,
                      key_id=key.id, loan_id=loan.id, note=loan.borrower_name)
    session.flush()
    audit.record(session, now=now, actor=actor, action="key.lend", entity="key",
                 entity_id=key.id, site_id=site_id, after=core.audit_view(loan))
    return loan


def return_key(
    session: Session,
    *,
    acting: Acting,
    key_id: int,
    now: datetime,
    returned_by: str = "",
    note: str = "",
) -> KeyLoan:
    """The key is back in the cabinet; the loan is closed."""
    site_id = acting.site_id
    actor = acting.operator
    key = get_key(session, acting=acting, key_id=key_id)
    loan = open_loan(session, key_id=key_id)
    if key.status != KeyStatus.OUT.value or loan is None:
        raise Conflict(
            _("Key {code} is not out; there is nothing to return.").format(code=key.code),
            field="key",
        )
    name = checks.clean_name(returned_by, field="returned_by", label=_("who returned it"),
                              required=False) or loan.borrower_name
    text = checks.clean_text(note, field="note", label=_("the note"),
                              max_length=checks.MAX_NOTE, multiline=True)
    if text and loan.note:
        # The return note is added to the loan's note, which holds MAX_NOTE in all.
        checks.check_length(text, field="note", label=_("the note"),
                          max_length=max(0, checks.MAX_NOTE - len(loan.note) - 1))
    result = session.exec(
        update(KeyRecord)
        .where(col(KeyRecord.id) == key.id, col(KeyRecord.status) == KeyStatus.OUT.value)
        .values(status=KeyStatus.IN.value, version=col(KeyRecord.version) + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(_("Key {code} was returned already.").format(code=key.code), field="key")
    session.refresh(key)
    before = core.audit_view(loan)
    loan.returned_at = now
    loan.returned_by_id = actor.id if actor else None
    loan.returned_from = name
    if text:
        loan.note = (loan.note + "\n" + text).strip()
    session.add(loan)
    core.add_event(session, acting=acting, kind=EventKind.KEY_RETURNED, now=now,
                      key_id=key.id, loan_id=loan.id, note=name)
    session.flush()
    audit.record(session, now=now, actor=actor, action="key.return", entity="key",
                 entity_id=key.id, site_id=site_id, before=before,
                 after=core.audit_view(loan))
    return loan


def chase(
    session: Session,
    *,
    acting: Acting,
    loan_id: int,
    note: str,
    now: datetime,
) -> KeyLoan:
    """Record that the custodian chased the borrower (a call, a visit)."""
    site_id = acting.site_id
    actor = acting.operator
    loan = session.get(KeyLoan, loan_id, populate_existing=True)
    if loan is None or loan.site_id != site_id:
        raise NotFound(_("This key loan does not exist."), field="loan")
    if loan.returned_at is not None or loan.permanent:
        raise Conflict(_("This key is not out on loan; there is nobody to chase."),
                       field="loan")
    text = checks.clean_text(note, field="note", label=_("the note"),
                              max_length=checks.MAX_NOTE, required=True, multiline=True)
    loan.chased_at = now
    loan.chase_count += 1
    session.add(loan)
    core.add_event(session, acting=acting, kind=EventKind.KEY_CHASED, now=now,
                      key_id=loan.key_id, loan_id=loan.id, note=text)
    session.flush()
    audit.record(session, now=now, actor=actor, action="key.chase", entity="key",
                 entity_id=loan.key_id, site_id=site_id,
                 after={"loan": loan.id, "chase_count": loan.chase_count, "note": text})
    return loan


def retire_key(
    session: Session,
    *,
    acting: Acting,
    key_id: int,
    reason: str,
    now: datetime,
) -> KeyRecord:
    """Take a key in the cabinet off the register (lock changed, handed over to the owner…)."""
    site_id = acting.site_id
    actor = acting.operator
    key = get_key(session, acting=acting, key_id=key_id)
    text = checks.clean_text(reason, field="reason", label=_("the reason"),
                              max_length=checks.MAX_SHORT, required=True)
    before = _key_audit(key)
    _take_out(session, key, KeyStatus.RETIRED, None)
    key.retired_at = now
    key.retire_reason = text
    session.add(key)
    core.add_event(session, acting=acting, kind=EventKind.KEY_RETIRED, now=now,
                      key_id=key.id, note=text)
    session.flush()
    audit.record(session, now=now, actor=actor, action="key.retire", entity="key",
                 entity_id=key.id, site_id=site_id, before=before, after=_key_audit(key))
    return key


# --- lists ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KeyRow:
    """A key on the register, with its open loan if it is out (phone masked)."""

    id: int
    code: str
    unit_code: str
    label: str
    place: str
    custodian: str
    status: str
    loan_id: int | None = None
    borrower_name: str = ""
    borrower_kind: str = ""
    borrower_phone: str = ""
    borrower_company: str = ""
    purpose: str = ""
    out_at: datetime | None = None
    due_at: datetime | None = None
    overdue: bool = False
    chase_count: int = 0
    chased_at: datetime | None = None


def _row(key: KeyRecord, unit_code: str, loan: KeyLoan | None, now: datetime) -> KeyRow:
    if loan is None:
        return KeyRow(id=_id(key.id), code=key.code or "", unit_code=unit_code,
                      label=key.label, place=key.place, custodian=key.custodian,
                      status=key.status)
    due = as_utc(loan.due_at) if loan.due_at else None
    return KeyRow(
        id=_id(key.id), code=key.code or "", unit_code=unit_code, label=key.label,
        place=key.place, custodian=key.custodian, status=key.status, loan_id=loan.id,
        borrower_name=loan.borrower_name, borrower_kind=loan.borrower_kind,
        borrower_phone=mask_phone(loan.borrower_phone) if loan.borrower_phone else "",
        borrower_company=loan.borrower_company, purpose=loan.purpose,
        out_at=as_utc(loan.out_at), due_at=due,
        overdue=(not loan.permanent and due is not None and now > due),
        chase_count=loan.chase_count,
        chased_at=as_utc(loan.chased_at) if loan.chased_at else None,
    )


def register(
    session: Session, *, acting: Acting, now: datetime, unit: str = "",
    limit: int = lists.DEFAULT_PAGE, offset: int = 0,
) -> Page[KeyRow]:
    """The key register (keys off the register left out), by unit; ``unit`` a code prefix."""
    site_id = acting.site_id
    limit = max(1, min(limit, 500))
    conditions: list[Any] = [KeyRecord.site_id == site_id,
                             KeyRecord.status != KeyStatus.RETIRED.value]
    if unit.strip():
        prefix = directory.normalize_unit_code(unit)
        conditions += [col(Unit.code) >= prefix, col(Unit.code) < prefix + "\uffff"]
    base = select(KeyRecord, Unit.code).outerjoin(Unit, col(Unit.id) == col(KeyRecord.unit_id))
    total = session.exec(
        select(func.count()).select_from(KeyRecord)
        .outerjoin(Unit, col(Unit.id) == col(KeyRecord.unit_id)).where(*conditions)
    ).one()
    rows = session.exec(
        base.where(*conditions).order_by(col(Unit.code), col(KeyRecord.label))
        .offset(max(0, offset)).limit(limit)
    ).all()
    loans = _open_loans(session, [key.id for key, _code in rows if key.id is not None])
    return Page(
        rows=[_row(key, code or "", loans.get(_id(key.id)), now) for key, code in rows],
        total=int(total), offset=max(0, offset), limit=limit,
    )


def _open_loans(session: Session, key_ids: list[int]) -> dict[int, KeyLoan]:
    if not key_ids:
        return {}
    loans = session.exec(
        select(KeyLoan).where(col(KeyLoan.key_id).in_(key_ids),
                              col(KeyLoan.returned_at).is_(None),
                              col(KeyLoan.permanent).is_(False))
    ).all()
    return {loan.key_id: loan for loan in loans}


def keys_out(
    session: Session, *, acting: Acting, now: datetime, overdue_only: bool = False,
    limit: int = lists.DEFAULT_PAGE, offset: int = 0,
) -> Page[KeyRow]:
    """Keys out on loan, due first; ``overdue_only`` lists those to chase, with who has them."""
    site_id = acting.site_id
    limit = max(1, min(limit, 500))
    conditions: list[Any] = [KeyLoan.site_id == site_id, col(KeyLoan.returned_at).is_(None),
                             col(KeyLoan.permanent).is_(False)]
    if overdue_only:
        conditions.append(col(KeyLoan.due_at) < now)
    total = session.exec(select(func.count()).select_from(KeyLoan).where(*conditions)).one()
    rows = session.exec(
        select(KeyLoan, KeyRecord, Unit.code)
        .join(KeyRecord, col(KeyRecord.id) == col(KeyLoan.key_id))
        .outerjoin(Unit, col(Unit.id) == col(KeyRecord.unit_id))
        .where(*conditions)
        .order_by(col(KeyLoan.due_at), col(KeyLoan.id))
        .offset(max(0, offset)).limit(limit)
    ).all()
    return Page(rows=[_row(key, code or "", loan, now) for loan, key, code in rows],
                total=int(total), offset=max(0, offset), limit=limit)


def loans_of(session: Session, *, acting: Acting, key_id: int) -> list[KeyLoan]:
    """Every issue and loan of a key, newest first (the record itself: data in full)."""
    site_id = acting.site_id
    return list(session.exec(
        select(KeyLoan).where(KeyLoan.site_id == site_id, KeyLoan.key_id == key_id)
        .order_by(col(KeyLoan.out_at).desc(), col(KeyLoan.id).desc())
    ).all())


def key_timeline(session: Session, *, acting: Acting, key_id: int) -> list[CustodyEvent]:
    """The events of a key, oldest first."""
    site_id = acting.site_id
    return list(session.exec(
        select(CustodyEvent)
        .where(CustodyEvent.site_id == site_id, CustodyEvent.key_id == key_id)
        .order_by(col(CustodyEvent.at), col(CustodyEvent.id))
    ).all())


KEY_LOAN_HEADER = [
    "key_code", "unit", "label", "kind", "borrower_name", "borrower_kind", "borrower_phone",
    "borrower_company", "id_checked", "id_number", "purpose", "out_at", "out_by", "due_at",
    "approved_by", "returned_at", "returned_by", "returned_from", "chase_count", "note",
]


def export_rows(
    session: Session, *, acting: Acting, since: datetime, until: datetime,
    zone: tzinfo | None = None,
) -> tuple[list[str], Iterator[list[str]]]:
    """Key issues and loans that went out or came back in [since, until), read in
    batches as they are written."""
    site_id = acting.site_id
    logins = export.operator_logins(session, acting=acting)
    since, until = as_utc(since), as_utc(until)
    in_window = or_(
        and_(col(KeyLoan.out_at) >= since, col(KeyLoan.out_at) < until),
        and_(col(KeyLoan.returned_at) >= since, col(KeyLoan.returned_at) < until),
    )
    statement = (
        select(KeyLoan, KeyRecord, Unit.code)
        .join(KeyRecord, col(KeyRecord.id) == col(KeyLoan.key_id))
        .outerjoin(Unit, col(Unit.id) == col(KeyRecord.unit_id))
        .where(KeyLoan.site_id == site_id, in_window)
        .order_by(col(KeyLoan.out_at), col(KeyLoan.id))
        .execution_options(yield_per=export.EXPORT_BATCH)
    )

    def login(operator_id: int | None) -> str:
        return logins.get(operator_id, "") if operator_id is not None else ""

    def rows() -> Iterator[list[str]]:
        for loan, key, unit_code in session.exec(statement):
            yield [
                key.code or "", unit_code or "", key.label,
                "issue" if loan.permanent else "loan", loan.borrower_name, loan.borrower_kind,
                loan.borrower_phone, loan.borrower_company, "1" if loan.id_checked else "0",
                loan.id_number, loan.purpose, export.export_time(loan.out_at, zone),
                login(loan.out_by_id), export.export_time(loan.due_at, zone),
                login(loan.approved_by_id), export.export_time(loan.returned_at, zone),
                login(loan.returned_by_id), loan.returned_from, str(loan.chase_count),
                loan.note,
            ]

    return KEY_LOAN_HEADER, rows()
