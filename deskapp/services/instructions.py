"""Standing instructions of a unit (业户委托): permission to enter (允许入户), do not
disclose presence (不透露在家), hold parcels (代收快件), other.

Recorded at the desk with the last day they hold; shown at intake while
active; voided with a reason, never deleted.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from deskapp.config import Settings
from deskapp.errors import Conflict, InvalidInput, NotFound
from deskapp.formatting import desk_zone
from deskapp.i18n import _
from deskapp.models import Unit
from deskapp.models.requests import InstructionKind, StandingInstruction
from deskapp.services import audit
from deskapp.services.acting import Acting
from deskapp.services.requests.checks import clean_text, parse_choice, required_reason
from deskapp.services.requests.timeline import require_actor

MAX_TEXT = 500
MAX_VALID_DAYS = 366 * 2
"""Instructions are renewed at least every two years, so stale ones do not linger."""


def _today(now: datetime, settings: Settings | None) -> date:
    zone = desk_zone(settings.timezone if settings else "Asia/Shanghai")
    return now.astimezone(zone).date()


def add_instruction(
    session: Session, *, acting: Acting, unit_id: int, kind: str, expires_on: date,
    text: str = "", given_by: str = "", now: datetime,
    settings: Settings | None = None,
) -> StandingInstruction:
    """Record an instruction that holds up to and including ``expires_on`` (local day)."""
    site_id = acting.site_id
    actor = acting.operator
    actor = require_actor(actor)
    parsed = parse_choice(InstructionKind, kind, field="kind", label=_("instruction"))
    text = clean_text(text, field="text", label=_("instruction"), max_length=MAX_TEXT,
                      required=parsed is InstructionKind.OTHER, multiline=True)
    given_by = clean_text(given_by, field="given_by", label=_("name"), max_length=64)
    today = _today(now, settings)
    if expires_on < today:
        raise InvalidInput(_("The expiry date lies in the past."), field="expires_on")
    if expires_on > today + timedelta(days=MAX_VALID_DAYS):
        raise InvalidInput(_("An instruction holds at most two years; choose an earlier date."),
                           field="expires_on")
    unit = session.get(Unit, unit_id)
    if unit is None or unit.site_id != site_id:
        raise NotFound(_("This unit does not exist; pick it again."), field="unit")
    instruction = StandingInstruction(
        site_id=site_id, unit_id=unit_id, kind=parsed.value, text=text, given_by=given_by,
        expires_on=expires_on.isoformat(), recorded_at=now, recorded_by_id=actor.id,
    )
    session.add(instruction)
    session.flush()
    audit.record(
        session, now=now, actor=actor, action="instruction.add", entity="instruction",
        entity_id=instruction.id, site_id=site_id,
        after=audit.snapshot(instruction) | {"code": unit.code},
    )
    return instruction


def active_instructions(
    session: Session, *, acting: Acting, unit_id: int, now: datetime,
    settings: Settings | None = None,
) -> list[StandingInstruction]:
    """Instructions of the unit not voided and not past their last day."""
    site_id = acting.site_id
    today = _today(now, settings).isoformat()
    return list(
        session.exec(
            select(StandingInstruction)
            .where(
                StandingInstruction.site_id == site_id,
                StandingInstruction.unit_id == unit_id,
                col(StandingInstruction.is_active).is_(True),
                col(StandingInstruction.expires_on) >= today,
            )
            .order_by(col(StandingInstruction.kind), col(StandingInstruction.recorded_at))
        ).all()
    )


def void_instruction(
    session: Session, *, acting: Acting, instruction_id: int, reason: str, now: datetime,
) -> StandingInstruction:
    site_id = acting.site_id
    actor = acting.operator
    actor = require_actor(actor)
    reason = required_reason(reason)
    instruction = session.get(StandingInstruction, instruction_id)
    if instruction is None or instruction.site_id != site_id:
        raise NotFound(_("This instruction does not exist."), field="instruction")
    if not instruction.is_active:
        raise Conflict(_("This instruction was already voided."), field="instruction")
    before = audit.snapshot(instruction)
    instruction.is_active = False
    instruction.voided_at = now
    instruction.voided_by_id = actor.id
    instruction.void_reason = reason
    session.add(instruction)
    session.flush()
    audit.record(
        session, now=now, actor=actor, action="instruction.void", entity="instruction",
        entity_id=instruction.id, site_id=site_id, before=before,
        after=audit.snapshot(instruction),
    )
    return instruction
