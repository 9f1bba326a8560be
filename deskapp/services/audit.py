"""The audit trail: every change of state, append-only and hash-chained.

``record`` is called by every service that changes state, inside the same
session, so the change and its entry are committed together. ``verify``
recomputes the chain and names the first entry that does not fit.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from deskapp.db import announce_change
from deskapp.i18n import N_, _
from deskapp.models import AuditEntry, AuditHead, Operator
from deskapp.services import acting as acting_rules
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc

GENESIS_HASH = "0" * 64


def snapshot(record: Any, *, exclude: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
    """The fields of a model as plain JSON values, for ``before`` and ``after``."""
    data = record.model_dump()
    return {key: _plain(value) for key, value in data.items() if key not in exclude}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    return value


def _dump(values: dict[str, Any] | None) -> str:
    if values is None:
        return ""
    return json.dumps(values, ensure_ascii=False, sort_keys=True, default=str)


def _entry_hash(entry: AuditEntry) -> str:
    payload = json.dumps(
        [
            entry.seq,
            entry.site_id,
            as_utc(entry.at).isoformat(),
            entry.operator_id,
            entry.actor,
            entry.action,
            entry.entity,
            entry.entity_id,
            entry.before,
            entry.after,
            entry.prev_hash,
        ],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def record(
    session: Session,
    *,
    now: datetime,
    actor: Operator | None,
    action: str,
    entity: str,
    entity_id: object,
    site_id: int | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    actor_label: str | None = None,
) -> AuditEntry:
    """Append one entry to the chain in the caller's transaction.

    Every change comes here, so here the actor is held to the site and the role
    (``acting.check``): a refusal rolls the whole change back with it."""
    acting_rules.check(actor, site_id=site_id, action=action)
    head = _locked_head(session)
    entry = AuditEntry(
        seq=head.seq + 1,
        site_id=site_id,
        at=as_utc(now),
        operator_id=actor.id if actor else None,
        actor=actor.login if actor else (actor_label or "system"),
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before=_dump(before),
        after=_dump(after),
        prev_hash=head.last_hash or GENESIS_HASH,
        entry_hash="",
    )
    entry.entry_hash = _entry_hash(entry)
    head.seq = entry.seq
    head.last_hash = entry.entry_hash
    session.add(entry)
    session.add(head)
    session.flush()
    announce_change(session)  # every change has its entry: the other desks hear of it
    return entry


def _locked_head(session: Session) -> AuditHead:
    head = session.exec(
        select(AuditHead)
        .where(AuditHead.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if head is None:
        head = AuditHead(id=1, seq=0, last_hash="")
        session.add(head)
        session.flush()
    return head


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    checked: int
    broken_seq: int | None = None
    reason: str = ""


def verify(session: Session, *, batch: int = 5000) -> VerifyResult:
    """Walk the chain in order; stop at the first entry whose hash or link is wrong."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    while True:
        entries = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.seq) > last_seq)
            .order_by(col(AuditEntry.seq))
            .limit(batch)
        ).all()
        if not entries:
            break
        for entry in entries:
            if entry.seq != expected_seq:
                missing = _("entry {seq} is missing").format(seq=expected_seq)
                return VerifyResult(False, checked, expected_seq, missing)
            if entry.prev_hash != expected_prev:
                return VerifyResult(
                    False, checked, entry.seq, _("it does not link to the entry before it")
                )
            if _entry_hash(entry) != entry.entry_hash:
                return VerifyResult(
                    False, checked, entry.seq, _("its content was changed after it was written")
                )
            expected_prev = entry.entry_hash
            expected_seq += 1
            checked += 1
            last_seq = entry.seq
    head = session.get(AuditHead, 1)
    if head is not None and head.seq != checked:
        return VerifyResult(
            False,
            checked,
            checked + 1,
            _("the chain ends at entry {seq} but {expected} were written").format(
                seq=checked, expected=head.seq
            ),
        )
    return VerifyResult(True, checked)


@dataclass(frozen=True)
class Anchor:
    """The chain's head as it was written outside the database (a nightly manifest):
    entry ``seq`` had hash ``entry_hash``. ``source`` says where it was found."""

    seq: int
    entry_hash: str
    source: str


def head(session: Session) -> tuple[int, str]:
    """The chain's last sequence number and hash (``0, ""`` before the first entry)."""
    current = session.get(AuditHead, 1)
    return (current.seq, current.last_hash) if current is not None else (0, "")


def verify_anchors(session: Session, anchors: list[Anchor]) -> list[str]:
    """What the anchors prove against the chain: one sentence per anchored head the
    chain no longer holds. A chain cut back and its head rewound verifies on its own;
    it cannot bring back an entry a manifest outside the database has recorded."""
    problems = []
    for anchor in sorted(anchors, key=lambda anchor: anchor.seq):
        if anchor.seq == 0:
            continue  # anchored before the first entry: nothing to hold
        entry = session.exec(select(AuditEntry).where(AuditEntry.seq == anchor.seq)).first()
        if entry is None:
            problems.append(_("The chain has no entry {seq}, which {source} recorded: it was "
                              "cut back.").format(seq=anchor.seq, source=anchor.source))
        elif entry.entry_hash != anchor.entry_hash:
            problems.append(_("Entry {seq} is not the one {source} recorded: the chain was "
                              "rewritten.").format(seq=anchor.seq, source=anchor.source))
    return problems


def recent(session: Session, *, acting: Acting, limit: int = 20) -> list[AuditEntry]:
    site_id = acting.site_id
    return list(
        session.exec(
            select(AuditEntry)
            .where(AuditEntry.site_id == site_id)
            .order_by(col(AuditEntry.seq).desc())
            .limit(limit)
        ).all()
    )


ACTION_LABELS = {
    "site.create": N_("Site created"),
    "site.mark_demo": N_("Demo data loaded"),
    "site.grant": N_("Site granted to another site's supervisor or manager"),
    "site.revoke": N_("Site grant withdrawn"),
    "operator.add": N_("Operator added"),
    "operator.disable": N_("Operator disabled"),
    "operator.unlock": N_("Operator unlocked"),
    "operator.sign_in": N_("Signed in"),
    "operator.confirm": N_("Confirmed with PIN"),
    "operator.sign_in_failed": N_("Wrong PIN"),
    "operator.sign_in_unknown": N_("Sign-in with an unknown name"),
    "operator.sign_in_disabled": N_("Sign-in of a disabled operator refused"),
    "operator.sign_in_locked": N_("Sign-in during a lockout refused"),
    "operator.lockout": N_("Locked out"),
    # Here, not in the export module: the desk's recent activity names it, and the desk
    # never imports the export.
    "export.unmasked": N_("Export with personal data in full"),
    # A manager's command at the command line, and its tokens (``command_tokens``).
    "command.run": N_("Command run at the command line"),
    "command_token.create": N_("Command token made"),
    "command_token.revoke": N_("Command token revoked"),
    "unit.add": N_("Unit added"),
    "resident.add": N_("Resident added"),
}


def register_action_labels(labels: dict[str, str]) -> None:
    """Let a ledger's service module name its actions (msgids marked with ``N_``)."""
    ACTION_LABELS.update(labels)


def describe_record(entry: AuditEntry) -> str:
    """What the entry is about, as a person names it: a room, a sign-in name, a person."""
    for text in (entry.after, entry.before):
        if not text:
            continue
        try:
            values = json.loads(text)
        except ValueError:
            continue
        for key in ("code", "login", "name"):
            if isinstance(values, dict) and values.get(key):
                return str(values[key])
    if entry.entity == "operator" and entry.actor:
        return entry.actor
    return f"#{entry.entity_id}"


def describe_action(action: str) -> str:
    """The entry's action as the desk says it (the code itself when unknown)."""
    label = ACTION_LABELS.get(action)
    return _(label) if label else action
