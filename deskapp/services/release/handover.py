"""What the release slips hand to the next shift (``services.handover.assembly``).

Issued slips not used whose planned time falls before the shift handing over
ends (the guard may still see them, or they lapse unused: due by the end of
their planned day), and slips released at the gate but not yet filed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from deskapp.i18n import N_, _
from deskapp.models import Unit
from deskapp.models.release import ReleaseSlip, SlipStatus
from deskapp.services.clock import as_utc
from deskapp.services.handover.assembly import Carried, Contribution, Window
from deskapp.services.workcalendar import WorkCalendar

MAX_CARRIED = 500

_ISSUED_STEP = N_("Release slip issued")
_RELEASED_STEP = N_("Items released at the gate")


def _what(slip: ReleaseSlip) -> str:
    return f"{slip.applicant_name} → {slip.carrier_name}"


def _unused(session: Session, window: Window) -> list[Carried]:
    calendar = WorkCalendar.from_settings(window.settings)
    found = session.exec(
        select(ReleaseSlip, Unit.code).join(Unit, col(Unit.id) == col(ReleaseSlip.unit_id))
        .where(ReleaseSlip.site_id == window.site_id,
               ReleaseSlip.status == SlipStatus.ISSUED.value,
               col(ReleaseSlip.planned_at) < window.shift_ends_at)
        .order_by(col(ReleaseSlip.planned_at), col(ReleaseSlip.id)).limit(MAX_CARRIED)
    ).all()
    carried = []
    for slip, unit in found:
        day = calendar.local(as_utc(slip.planned_at)).date()
        day_ends = calendar.at(day, datetime.min.time()) + timedelta(days=1)
        carried.append(Carried(record_kind="release_slip", record_id=slip.id or 0,
                               reference=slip.code or "", unit_code=unit or "",
                               what=_what(slip), since=as_utc(slip.planned_at),
                               deadline=day_ends, last_step=_ISSUED_STEP))
    return carried


def _not_filed(session: Session, window: Window) -> list[Carried]:
    found = session.exec(
        select(ReleaseSlip, Unit.code).join(Unit, col(Unit.id) == col(ReleaseSlip.unit_id))
        .where(ReleaseSlip.site_id == window.site_id,
               ReleaseSlip.status == SlipStatus.RELEASED.value,
               col(ReleaseSlip.released_at) < window.now)
        .order_by(col(ReleaseSlip.released_at), col(ReleaseSlip.id)).limit(MAX_CARRIED)
    ).all()
    return [Carried(record_kind="release_slip", record_id=slip.id or 0,
                    reference=slip.code or "", unit_code=unit or "", what=_what(slip),
                    since=as_utc(slip.released_at or window.now), deadline=None,
                    last_step=_RELEASED_STEP)
            for slip, unit in found]


CONTRIBUTIONS = [
    Contribution(group="release_unused", title=lambda: _("Release slips issued, not used"),
                 gather=_unused, action=lambda: _("Tell the gate, or void it after its day")),
    Contribution(group="release_unfiled", title=lambda: _("Release slips released, not filed"),
                 gather=_not_filed, action=lambda: _("Collect the slip from the gate and file it")),
]
