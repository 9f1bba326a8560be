"""The printed release slip (物品放行条): what the carrier shows at the gate and the guard signs.

The slip leaves the desk in the carrier's hand, so the carrier's ID number and
phone and the number the desk called are masked. It says everything the guard
and a later reader of the filed slip need: the code (QR, Code128 and text, to
scan at the gate), the revision it replaces, the unit, applicant and carrier,
the vehicle, why the items leave and when, each item line with the large ones
marked, how the owner confirmed (another number than the one on file with its
reason), a supervisor's override with the rules overridden in words and why,
the fees settled for a move, who issued it and when, and lines to sign.

Only an issued slip is printed (issued, released or filed): a draft is not yet
confirmed, and a superseded, sent-back or voided slip must not reach the gate.
"""

from __future__ import annotations

from datetime import datetime, tzinfo
from pathlib import Path

from sqlmodel import Session

from deskapp.errors import InvalidInput
from deskapp.i18n import N_, _
from deskapp.models import Operator
from deskapp.models.release import ConfirmationKind, ReleaseReason, ReleaseSlip, SlipStatus
from deskapp.services import directory
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.printing import (
    Block,
    CodeBlock,
    Heading,
    KeyValues,
    Paragraph,
    PrintDocument,
    Signatures,
    Table,
    printed_stamp,
    save_print,
)
from deskapp.services.privacy import mask_id_number, mask_phone
from deskapp.services.release import rules, slips

TEXT_WIDTH = 80
"""The text copy of an A4 slip is laid out for a page, as the handover sheet's is."""
NONE = "—"
PRINTABLE = (SlipStatus.ISSUED.value, SlipStatus.RELEASED.value, SlipStatus.FILED.value)

_RULE_LABELS = {
    rules.OFFICE_HOURS: N_("large items leave only within office hours"),
    rules.MOVING_OUT_NOTICE: N_("moving out is applied for the set number of working days ahead"),
    rules.FEES_SETTLED: N_("moving out needs the fees settled"),
    rules.PATTERN: N_("only what the standing pattern allows"),
    rules.SETTLEMENTS: N_("what the unit has at the desk is settled before moving out"),
    "confirmation": N_("the owner's confirmation"),
}
_CONFIRMATION_LABELS = {
    ConfirmationKind.PHONE.value: N_("by phone"),
    ConfirmationKind.IN_PERSON.value: N_("the owner in person, ID checked"),
    ConfirmationKind.PATTERN.value: N_("standing pre-approved pattern"),
}


def rule_label(key: str) -> str:
    """A rule's key (``office_hours``) in words, in the current language."""
    label = _RULE_LABELS.get(key)
    return _(label) if label else key


def confirmation_label(kind: str) -> str:
    label = _CONFIRMATION_LABELS.get(kind)
    return _(label) if label else kind


def _when(moment: datetime | None, zone: tzinfo) -> str:
    if moment is None:
        return NONE
    return as_utc(moment).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _name(session: Session, operator_id: int | None) -> str:
    operator = session.get(Operator, operator_id) if operator_id is not None else None
    return operator.display_name if operator else NONE


def _printable(session: Session, slip: ReleaseSlip) -> None:
    """Refuse a slip that must not reach the gate, saying what to do instead."""
    if slip.status in PRINTABLE:
        return
    if slip.status == SlipStatus.DRAFT.value:
        message = _("Slip {code} is not issued yet: confirm it with the owner and issue it "
                    "before printing it.").format(code=slip.code)
    elif slip.status == SlipStatus.SUPERSEDED.value:
        current = slips.current_revision(session, slip)
        message = _("Slip {code} was replaced by revision {revision}, {current}: print that "
                    "one once it is issued.").format(code=slip.code, revision=current.revision,
                                                     current=current.code)
    else:
        message = _("Slip {code} is {status}; only an issued slip is printed.").format(
            code=slip.code, status=slips.status_label(slip.status))
    raise InvalidInput(message, field="slip")


def _by(name: str, moment: datetime | None, zone: tzinfo) -> str:
    """``赵敏, 2026-11-23 10:00``: who and when on one row, so the slip stays one page."""
    return _("{name}, {time}").format(name=name or NONE, time=_when(moment, zone))


def _carrier(slip: ReleaseSlip) -> str:
    """The carrier with the ID number and phone left at the desk, both masked."""
    return _("{name}, ID {id_number}, phone {phone}").format(
        name=slip.carrier_name,
        id_number=mask_id_number(slip.carrier_id_number) if slip.carrier_id_number else NONE,
        phone=mask_phone(slip.carrier_phone) if slip.carrier_phone else NONE)


def _vehicle(slip: ReleaseSlip) -> str:
    if not slip.plate:
        return _("driver {name}").format(name=slip.driver_name)
    return _("{plate}, driver {name}").format(plate=slip.plate, name=slip.driver_name or NONE)


def _head(session: Session, slip: ReleaseSlip, zone: tzinfo) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    if slip.supersedes_id is not None:
        old = session.get(ReleaseSlip, slip.supersedes_id)
        rows.append((_("Revision"), _("{revision}, replaces {code}").format(
            revision=slip.revision, code=old.code if old else NONE)))
    rows += [
        (_("Unit"), directory.unit_code(session, slip.unit_id) or NONE),
        (_("Applicant"), _("{name} ({relation})").format(
            name=slip.applicant_name, relation=slips.relation_label(slip.applicant_relation))),
        (_("Carried out by"), _carrier(slip)),
    ]
    if slip.plate or slip.driver_name:
        rows.append((_("Vehicle"), _vehicle(slip)))
    rows.append((_("Reason"), slips.reason_label(slip.reason)))
    if slip.reason_note:
        rows.append((_("Note"), slip.reason_note))
    if slip.due_back_on is not None:
        rows.append((_("Due back"), slip.due_back_on.isoformat()))
    if slip.reason == ReleaseReason.MOVING_OUT.value:
        rows.append((_("Fees settled"), _("confirmed by {name}, {time}").format(
            name=slip.fees_settled_by, time=_when(slip.fees_settled_at, zone))
            if slip.fees_settled_by else _("not confirmed")))
    rows += [
        (_("Leaves on"), _when(slip.planned_at, zone)),
        (_("Issued by"), _by(_name(session, slip.issued_by_id), slip.issued_at, zone)),
    ]
    if slip.released_at is not None:
        rows.append((_("Released at the gate"),
                     _by(_name(session, slip.released_by_id), slip.released_at, zone)))
    if slip.filed_at is not None:
        rows.append((_("Filed"), _by(_name(session, slip.filed_by_id), slip.filed_at, zone)))
    return rows


def _confirmation(slip: ReleaseSlip, zone: tzinfo) -> list[tuple[str, str]]:
    how = confirmation_label(slip.confirmation_kind) if slip.confirmation_kind else NONE
    rows: list[tuple[str, str]] = [
        (_("Confirmed by"), _("{name} ({how}), {time}").format(
            name=slip.confirmed_by or NONE, how=how, time=_when(slip.confirmed_at, zone))),
    ]
    if slip.confirmed_phone:
        called = mask_phone(slip.confirmed_phone)
        if not slip.confirmed_on_file:
            called = _("{number}, not the number on file").format(number=called)
        rows.append((_("Number called"), called))
        if not slip.confirmed_on_file:
            rows.append((_("Why this number"), slip.off_file_reason or NONE))
    return rows


def keys_of(slip: ReleaseSlip) -> list[str]:
    """The keys of the rules a supervisor overrode on ``slip``."""
    return [key for key in slip.override_rules.split(",") if key]


def _override(session: Session, slip: ReleaseSlip, zone: tzinfo) -> list[tuple[str, str]]:
    return [
        (_("Supervisor"), _by(_name(session, slip.override_by_id), slip.override_at, zone)),
        (_("Rules overridden"), _("; ").join(rule_label(key) for key in keys_of(slip)) or NONE),
        (_("Reason"), slip.override_reason or NONE),
    ]


def slip_document(
    session: Session, *, acting: Acting, slip_id: int, site_name: str, zone: tzinfo,
    printed_at: datetime | None = None, printed_by: str = "",
) -> PrintDocument:
    """The release slip ``slip_id`` to print, in the current language.

    Raises ``NotFound`` for a slip of another site or none, and ``InvalidInput``
    for a slip not issued (a draft, or one superseded, sent back or voided).
    """
    slip = slips.get_slip(session, acting=acting, slip_id=slip_id)
    _printable(session, slip)
    assert slip.id is not None and slip.code
    lines = slips.lines_of(session, slip.id)
    day = as_utc(slip.planned_at).astimezone(zone).date().isoformat()

    blocks: list[Block] = [
        CodeBlock(slip.code, label=_("Release slip code")),
        KeyValues(_head(session, slip, zone)),
        Heading(_("Items")),
        Table(
            headers=[_("Line"), _("Description"), _("Quantity"), _("Large item")],
            rows=[[str(line.position), line.description, str(line.quantity),
                   _("yes") if line.large else ""] for line in lines],
        ),
        Heading(_("The owner's confirmation")),
        KeyValues(_confirmation(slip, zone)),
    ]
    if slip.override_at is not None:
        blocks += [Heading(_("Supervisor's override")),
                   KeyValues(_override(session, slip, zone))]
    guard = _("For the guard: check every item leaving against its line. This slip is valid "
              "only on {day}. If the items do not match, do not release them: send the "
              "carrier back to the desk to amend the slip.").format(day=day)
    if any(line.large for line in lines) and rules.OFFICE_HOURS not in keys_of(slip):
        guard += "\n" + _("Large items leave only within office hours.")
    blocks += [
        Paragraph("\n" + guard),  # a blank line after the last rows
        Signatures([_("Guard: released"), _("Carrier's signature")]),
    ]
    return PrintDocument(
        title=_("Release slip"),
        subtitle=site_name,
        blocks=blocks,
        printed_at=printed_stamp(printed_at, zone) if printed_at else "",
        printed_by=printed_by,
    )


def file_name(code: str) -> str:
    """``slip-R-7K3M-Q``: a reprint replaces the earlier file of the same slip."""
    return f"slip-{code}"


def save_slip(
    doc: PrintDocument, *, folder: Path, code: str, replace_missing: bool = False
) -> tuple[Path, Path]:
    """Write ``slip-<code>.pdf`` (A4) and its ``.txt`` into ``folder``, each whole or not at
    all (``printing.save_print``).

    A character the PDF font lacks (a rare name) is refused with ``InvalidInput`` naming
    it, unless ``replace_missing``: then it prints as ``〓``, as the operator agreed.
    """
    return save_print(doc, folder=folder, name=file_name(code), paper="a4", width=TEXT_WIDTH,
                      errors="replace" if replace_missing else "strict")
