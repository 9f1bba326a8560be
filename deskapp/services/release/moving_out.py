"""Moving out (迁出): what the unit still has at the desk, settled or noted before the slip.

``outstanding`` asks the ledgers' own services: keys out on loan, stored items
and parcels waiting, open requests, found items held for the unit. Before a
moving-out slip is issued, each is recorded as settled or with why not
(``record_settlement``); ``unsettled`` names those still unanswered, which the
slip's ``problems`` refuses with.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from deskapp.errors import InvalidInput, NotFound
from deskapp.i18n import N_, _
from deskapp.models import Unit
from deskapp.models.custody import CustodyItem, ItemStatus, Ledger
from deskapp.models.release import ReleaseReason, ReleaseSettlement, ReleaseSlip, SlipStatus
from deskapp.services import audit
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.custody import keys, lists
from deskapp.services.release import checks
from deskapp.services.requests import views

audit.register_action_labels({"release.settle": N_("Moving-out item settled or noted")})

KINDS = {
    "key": N_("key out"),
    "stored": N_("stored item"),
    "parcel": N_("parcel waiting"),
    "request": N_("open request"),
    "found": N_("found item held"),
}


def kind_label(kind: str) -> str:
    label = KINDS.get(kind)
    return _(label) if label else kind


@dataclass(frozen=True)
class Outstanding:
    """One thing the unit still has at the desk, and what the desk recorded for it."""

    kind: str
    record_id: int
    reference: str
    what: str
    settled: bool | None = None
    """None: nothing recorded yet; True settled; False not settled (``note`` says why)."""
    note: str = ""


def _custody(session: Session, site_id: int, unit_id: int, ledger: Ledger, kind: str,
             now: datetime) -> list[Outstanding]:
    page = lists.item_page(session, acting=Acting(site_id), now=now, limit=500, where=[
        CustodyItem.ledger == ledger.value, CustodyItem.unit_id == unit_id,
        CustodyItem.status == ItemStatus.HELD.value])
    return [Outstanding(kind, row.id, row.code, row.description) for row in page.rows]


def outstanding(session: Session, *, acting: Acting, unit_id: int, now: datetime,
                slip_id: int | None = None) -> list[Outstanding]:
    """Everything the unit still has at the desk, with the slip's recorded answers."""
    site_id = acting.site_id
    unit = session.get(Unit, unit_id)
    if unit is None or unit.site_id != site_id:
        raise NotFound(_("There is no such unit."), field="unit")
    found: list[Outstanding] = [
        Outstanding("key", row.id, row.code, f"{row.label} — {row.borrower_name}")
        for row in keys.keys_out(session, acting=acting, now=now, limit=500).rows
        if row.unit_code == unit.code
    ]
    found += _custody(session, site_id, unit_id, Ledger.STORAGE, "stored", now)
    found += _custody(session, site_id, unit_id, Ledger.PARCEL, "parcel", now)
    context = views.unit_context(session, acting=acting, unit_id=unit_id, now=now, limit=100)
    found += [Outstanding("request", row.id, row.number, row.subject)
              for row in context.open_requests]
    found += _custody(session, site_id, unit_id, Ledger.LOST, "found", now)
    if slip_id is None:
        return found
    answers = {(s.kind, s.record_id): s for s in session.exec(
        select(ReleaseSettlement).where(ReleaseSettlement.slip_id == slip_id))}
    return [
        Outstanding(item.kind, item.record_id, item.reference, item.what,
                    answers[(item.kind, item.record_id)].settled,
                    answers[(item.kind, item.record_id)].note)
        if (item.kind, item.record_id) in answers else item
        for item in found
    ]


def unsettled(session: Session, slip: ReleaseSlip, now: datetime) -> list[Outstanding]:
    """What a moving-out slip has not answered yet (empty for any other slip)."""
    if slip.reason != ReleaseReason.MOVING_OUT.value:
        return []
    return [item for item in outstanding(session, acting=Acting(slip.site_id), unit_id=slip.unit_id,
                                         now=now, slip_id=slip.id)
            if item.settled is None]


def record_settlement(session: Session, *, acting: Acting, slip_id: int, kind: str,
                      record_id: int, settled: bool, note: str, now: datetime) -> ReleaseSettlement:
    """Settled, or why not, for one thing the moving-out unit still has at the desk."""
    site_id = acting.site_id
    actor = acting.operator
    slip = session.get(ReleaseSlip, slip_id, populate_existing=True)
    if slip is None or slip.site_id != site_id:
        raise NotFound(_("There is no such release slip."), field="slip")
    if slip.reason != ReleaseReason.MOVING_OUT.value or slip.status != SlipStatus.DRAFT.value:
        raise InvalidInput(_("Settle what the unit has at the desk on a moving-out slip "
                             "before it is issued."), field="settlement")
    item = next((i for i in outstanding(session, acting=acting, unit_id=slip.unit_id, now=now)
                 if (i.kind, i.record_id) == (kind, record_id)), None)
    if item is None:
        raise NotFound(_("That is not among what the unit has at the desk."), field="settlement")
    note = checks.clean_text(note, field="settlement_note", label=_("why not settled"),
                             max_length=checks.MAX_NOTE, required=not settled)
    entry = session.exec(select(ReleaseSettlement).where(
        ReleaseSettlement.slip_id == slip_id, ReleaseSettlement.kind == kind,
        ReleaseSettlement.record_id == record_id)).first()
    before = audit.snapshot(entry) if entry else None
    if entry is None:
        entry = ReleaseSettlement(site_id=site_id, slip_id=slip_id, kind=kind,
                                  record_id=record_id, reference=item.reference,
                                  recorded_at=as_utc(now))
    entry.settled = settled
    entry.note = note
    entry.recorded_at = as_utc(now)
    entry.recorded_by_id = actor.id if actor else None
    session.add(entry)
    session.flush()
    audit.record(session, now=now, actor=actor, action="release.settle",
                 entity="release_slip", entity_id=slip_id, site_id=site_id, before=before,
                 after=audit.snapshot(entry))
    return entry


def settlements(session: Session, *, slip_id: int) -> list[ReleaseSettlement]:
    return list(session.exec(select(ReleaseSettlement).where(
        ReleaseSettlement.slip_id == slip_id).order_by(col(ReleaseSettlement.id))))
