"""Operators of the desk: adding, disabling, and signing in with a PIN.

PINs and passwords are stored only as argon2id hashes. Five wrong PINs in a
row (a setting) lock the operator out for a while: with a 4-digit PIN the
lockout, not the hash, is what protects the desk.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST
from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, col, select

from deskapp.db import transaction
from deskapp.errors import AuthError, Conflict, InvalidInput, NotFound
from deskapp.formatting import format_when
from deskapp.i18n import _
from deskapp.models import Operator, Role
from deskapp.services import audit
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc
from deskapp.services.text import clean_text

LOGIN_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
MIN_SECRET_LENGTH = 4
_SECRET_FIELDS = frozenset({"secret_hash"})
MAX_TRIED_LOGIN = 64  # AuditEntry.actor: the longest sign-in name tried that is audited whole

_hasher = PasswordHasher()


def configure_hashing(profile: str) -> None:
    """``desk`` for real use; ``cheapest`` only where many operators are made (tests, demo)."""
    global _hasher
    if profile == "cheapest":
        _hasher = PasswordHasher.from_parameters(CHEAPEST)
    elif profile == "desk":
        _hasher = PasswordHasher()
    else:
        raise InvalidInput(_("Unknown password hash profile {name}.").format(name=profile))


def role_label(role: str) -> str:
    labels: dict[str, str] = {
        Role.OPERATOR: _("operator"),
        Role.SUPERVISOR: _("supervisor"),
        Role.MANAGER: _("manager"),
        Role.GUARD: _("guard"),
    }
    return labels.get(role, role)


def parse_role(value: str) -> Role:
    try:
        return Role(value.strip().lower())
    except ValueError:
        raise InvalidInput(
            _("Unknown role {role}: use operator, supervisor, manager or guard.").format(
                role=value
            ),
            field="role",
        ) from None


def _check_secret(secret: str) -> None:
    if len(secret) < MIN_SECRET_LENGTH:
        raise InvalidInput(
            _("A PIN needs at least {count} characters.").format(count=MIN_SECRET_LENGTH),
            field="secret",
        )
    if len(secret) > 128:
        raise InvalidInput(_("A PIN or password may have at most 128 characters."), field="secret")


def add_operator(
    session: Session,
    *,
    acting: Acting,
    login: str,
    display_name: str,
    role: str,
    secret: str,
    now: datetime,
) -> Operator:
    site_id = acting.site_id
    actor = acting.operator
    login = login.strip().lower()
    display_name = display_name.strip()
    if not LOGIN_PATTERN.match(login):
        raise InvalidInput(
            _("Sign-in name {login} is not valid: 2 to 32 letters, digits, dot, dash or "
              "underscore, starting with a letter.").format(login=login),
            field="login",
        )
    if not display_name or len(display_name) > 64:
        raise InvalidInput(_("Give the operator's name (at most 64 characters)."), field="name")
    # The name reaches the footer, the prints and the CLI's lists: the one text policy.
    display_name = clean_text(display_name, field="name", label=_("operator's name"),
                              max_length=64)
    parsed_role = parse_role(role)
    _check_secret(secret)
    if find_operator(session, acting=acting, login=login) is not None:
        raise Conflict(
            _("An operator with sign-in name {login} already exists.").format(login=login),
            field="login",
        )
    operator = Operator(
        site_id=site_id,
        login=login,
        display_name=display_name,
        role=parsed_role.value,
        secret_hash=_hasher.hash(secret),
        created_at=now,
    )
    session.add(operator)
    try:
        session.flush()
    except IntegrityError as error:
        raise Conflict(
            _("An operator with sign-in name {login} already exists.").format(login=login),
            field="login",
        ) from error
    audit.record(
        session,
        now=now,
        actor=actor,
        action="operator.add",
        entity="operator",
        entity_id=operator.id,
        site_id=site_id,
        after=audit.snapshot(operator, exclude=_SECRET_FIELDS),
    )
    return operator


def find_operator(session: Session, *, acting: Acting, login: str) -> Operator | None:
    site_id = acting.site_id
    return session.exec(
        select(Operator).where(Operator.site_id == site_id, Operator.login == login.strip().lower())
    ).first()


def get_operator(session: Session, *, acting: Acting, login: str) -> Operator:
    operator = find_operator(session, acting=acting, login=login)
    if operator is None:
        raise NotFound(_("No operator with sign-in name {login}.").format(login=login))
    return operator


def display_names(session: Session, *, acting: Acting) -> dict[int, str]:
    """Every operator's name by id, for timelines and records (disabled ones too)."""
    site_id = acting.site_id
    rows = session.exec(
        select(Operator.id, Operator.display_name).where(Operator.site_id == site_id)
    ).all()
    return {operator_id: name for operator_id, name in rows if operator_id is not None}


def list_operators(
    session: Session, *, acting: Acting, include_disabled: bool = True
) -> list[Operator]:
    site_id = acting.site_id
    query = select(Operator).where(Operator.site_id == site_id)
    if not include_disabled:
        query = query.where(col(Operator.active).is_(True))
    return list(session.exec(query.order_by(col(Operator.login))).all())


def disable_operator(
    session: Session, *, acting: Acting, login: str, reason: str, now: datetime,
) -> Operator:
    site_id = acting.site_id
    actor = acting.operator
    if not reason.strip():
        raise InvalidInput(_("Give a reason for disabling the operator."), field="reason")
    reason = clean_text(reason, field="reason", label=_("reason"), max_length=500)
    operator = get_operator(session, acting=acting, login=login)
    if not operator.active:
        raise Conflict(_("Operator {login} is already disabled.").format(login=operator.login))
    if actor is not None and actor.id == operator.id:
        raise Conflict(_("You cannot disable yourself; ask a supervisor."))
    if operator.role == Role.MANAGER.value and not _another_active_manager(session, operator):
        # A site with no active manager is one being set up, whose first manager is
        # added without a sign-in (``command_tokens.site_has_manager``): never reopen it.
        raise Conflict(_("{name} is the site's last active manager: add another manager "
                         "before disabling them.").format(name=operator.display_name))
    before = audit.snapshot(operator, exclude=_SECRET_FIELDS)
    operator.active = False
    session.add(operator)
    session.flush()
    after = audit.snapshot(operator, exclude=_SECRET_FIELDS) | {"reason": reason}
    audit.record(
        session, now=now, actor=actor, action="operator.disable", entity="operator",
        entity_id=operator.id, site_id=site_id, before=before, after=after,
    )
    return operator


def _another_active_manager(session: Session, operator: Operator) -> bool:
    return session.exec(
        select(Operator.id).where(Operator.site_id == operator.site_id,
                                  Operator.role == Role.MANAGER.value,
                                  col(Operator.active).is_(True),
                                  Operator.id != operator.id).limit(1)
    ).first() is not None


def sign_in(
    session: Session,
    *,
    acting: Acting,
    login: str,
    secret: str,
    now: datetime,
    max_failures: int = 5,
    lockout: timedelta = timedelta(minutes=15),
    confirming: bool = False,
) -> Operator:
    """The operator, if the PIN is right; a refusal with the reason otherwise.

    ``confirming``: the PIN approves or witnesses a step (a supervisor's exception,
    a disposal's witness) without taking over the desk; audited as such.

    Every attempt is audited, the refused ones with the sign-in name tried (never
    the PIN). A wrong PIN and an unknown name get the same answer, so the answer
    does not tell a stranger which names exist. A refusal is itself a change of
    state (the failure count, perhaps a lockout, the audit entry): it is written
    in a unit of work of its own on the same engine, once the caller's has ended
    (``_after_callers_unit``), so the caller's rollback does not forget it and the
    caller's own uncommitted work is neither committed nor lost by it.
    """
    site_id = acting.site_id
    tried = login.strip().lower()
    operator = find_operator(session, acting=acting, login=login)
    if operator is None:
        _hasher.hash(secret)  # same cost as a wrong PIN: no hint whether the name exists
        _record_refusal(session, site_id=site_id, tried=tried, operator_id=None,
                        action="operator.sign_in_unknown", now=now, confirming=confirming)
        raise SignInRefused(_wrong_name_or_pin(), field="secret")
    if not operator.active:
        _record_refusal(session, site_id=site_id, tried=tried, operator_id=operator.id,
                        action="operator.sign_in_disabled", now=now, confirming=confirming)
        raise SignInRefused(
            _("Operator {login} is disabled; ask a supervisor.").format(login=operator.login),
            field="login",
        )
    if is_locked(operator, now=now):
        assert operator.locked_until is not None
        seconds_left = (as_utc(operator.locked_until) - now).total_seconds()
        _record_refusal(session, site_id=site_id, tried=tried, operator_id=operator.id,
                        action="operator.sign_in_locked", now=now, confirming=confirming)
        raise SignInRefused(
            _locked_message(operator.login, max(1, math.ceil(seconds_left / 60)), more=True),
            field="secret",
        )
    try:
        _hasher.verify(operator.secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return _refuse(session, operator, tried=tried, now=now, max_failures=max_failures,
                       lockout=lockout, confirming=confirming)
    if _hasher.check_needs_rehash(operator.secret_hash):
        operator.secret_hash = _hasher.hash(secret)
    operator.failed_sign_ins = 0
    operator.locked_until = None
    session.add(operator)
    audit.record(
        session, now=now, actor=operator,
        action="operator.confirm" if confirming else "operator.sign_in", entity="operator",
        entity_id=operator.id, site_id=site_id,
    )
    return operator


class SignInRefused(AuthError):
    """A refused sign-in; the attempt is recorded on its own, whatever the caller does next."""


def _wrong_name_or_pin() -> str:
    """The one answer to a wrong PIN and to an unknown sign-in name alike."""
    return _("Wrong sign-in name or PIN.")


def _locked_message(login: str, minutes: int, *, more: bool) -> str:
    """The lockout, with its minutes in the right English number (one minute, 2 minutes)."""
    if more:
        if minutes == 1:
            text = _("Too many wrong PINs: {login} is locked for 1 more minute. "
                     "A manager can unlock it now: deskapp operator unlock.")
        else:
            text = _("Too many wrong PINs: {login} is locked for {minutes} more minutes. "
                     "A manager can unlock it now: deskapp operator unlock.")
    elif minutes == 1:
        text = _("Too many wrong PINs: {login} is locked for 1 minute. "
                 "A manager can unlock it now: deskapp operator unlock.")
    else:
        text = _("Too many wrong PINs: {login} is locked for {minutes} minutes. "
                 "A manager can unlock it now: deskapp operator unlock.")
    return text.format(login=login, minutes=minutes)


_PENDING = "deskapp.sign_in.pending"
"""``session.info`` key: the refusals to write once the caller's unit of work ends."""


def _after_callers_unit(session: Session, write: Callable[[Engine], None]) -> None:
    """Run ``write`` with the session's engine once the caller's transaction has ended.

    Ended whichever way: committed, rolled back (the usual case: the refusal is an
    exception) or closed. Only then are the caller's locks released (SQLite's write
    lock, the audit chain's head row), so the refusal's own unit of work can take them.
    """
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    pending: list[Callable[[], None]] | None = session.info.get(_PENDING)
    if pending is None:
        pending = session.info[_PENDING] = []
        event.listen(session, "after_transaction_end", _write_pending)
    pending.append(lambda: write(engine))


def _write_pending(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:  # a savepoint ended, not the caller's unit of work
        return
    pending = session.info.get(_PENDING) or []
    while pending:
        pending.pop(0)()


def _tried_values(tried: str, confirming: bool) -> dict[str, object]:
    """The sign-in name as typed (to the column's width) - never the PIN."""
    values: dict[str, object] = {"login": tried[:MAX_TRIED_LOGIN]}
    if len(tried) > MAX_TRIED_LOGIN:
        values["login_length"] = len(tried)
    if confirming:
        values["confirming"] = True
    return values


def _record_refusal(
    session: Session, *, site_id: int, tried: str, operator_id: int | None, action: str,
    now: datetime, confirming: bool,
) -> None:
    """Audit a refused attempt (unknown name, disabled or locked operator) on its own."""
    after = _tried_values(tried, confirming)

    def write(engine: Engine) -> None:
        with transaction(engine) as own:
            audit.record(
                own, now=now, actor=None, actor_label=tried[:MAX_TRIED_LOGIN] or "?",
                action=action, entity="operator",
                entity_id=operator_id if operator_id is not None else "",
                site_id=site_id, after=after,
            )

    _after_callers_unit(session, write)


def _refuse(
    session: Session, operator: Operator, *, tried: str, now: datetime, max_failures: int,
    lockout: timedelta, confirming: bool,
) -> Operator:
    """A wrong PIN: count it (perhaps lock the operator out) and audit it, on its own."""
    operator_id, login, site_id = operator.id, operator.login, operator.site_id
    after = _tried_values(tried, confirming)

    def write(engine: Engine) -> None:
        with transaction(engine) as own:
            row = own.exec(
                select(Operator).where(Operator.id == operator_id).with_for_update()
            ).one()
            row.failed_sign_ins += 1
            locked = row.failed_sign_ins >= max_failures
            if locked:
                row.locked_until = now + lockout
                row.failed_sign_ins = 0
            own.add(row)
            audit.record(
                own, now=now, actor=None, actor_label=login,
                action="operator.lockout" if locked else "operator.sign_in_failed",
                entity="operator", entity_id=operator_id, site_id=site_id, after=after,
            )

    _after_callers_unit(session, write)
    if operator.failed_sign_ins + 1 >= max_failures:
        message = _locked_message(login, int(lockout.total_seconds() // 60), more=False)
    else:
        message = _wrong_name_or_pin()
    raise SignInRefused(message, field="secret")


def unlock_operator(
    session: Session, *, acting: Acting, login: str, now: datetime
) -> Operator:
    """Lift a lockout; ``actor`` None is the administrator at the command line."""
    site_id = acting.site_id
    actor = acting.operator
    if actor is not None and actor.role not in (Role.SUPERVISOR, Role.MANAGER):
        raise AuthError(_("Only a supervisor or manager can unlock an operator."))
    operator = get_operator(session, acting=acting, login=login)
    operator.locked_until = None
    operator.failed_sign_ins = 0
    session.add(operator)
    audit.record(
        session, now=now, actor=actor, action="operator.unlock", entity="operator",
        entity_id=operator.id, site_id=site_id,
    )
    return operator


class NotOnDuty(AuthError):
    """The operator signed in at this desk was disabled or locked since: sign them out."""


def on_duty(session: Session, *, operator_id: int, now: datetime) -> Operator:
    """The signed-in operator as the database has them now; refused once disabled or locked.

    Checked at every action of the desk, so a supervisor's ``operator disable`` (or a
    lockout from another desk) ends a session that is still open.
    """
    operator = session.get(Operator, operator_id)
    if operator is None or not operator.active:
        raise NotOnDuty(_("Your operator account was disabled: sign in again."))
    if is_locked(operator, now=now):
        raise NotOnDuty(_("Your operator account is locked: sign in again."))
    return operator


def is_locked(operator: Operator, *, now: datetime) -> bool:
    """Locked out by too many wrong PINs, and the lockout not over yet."""
    return operator.locked_until is not None and as_utc(operator.locked_until) > now


def state_label(operator: Operator, *, now: datetime, zone: tzinfo) -> str:
    """How ``operator list`` names an operator's state: active, disabled, locked until …"""
    if not operator.active:
        return _("disabled")
    if is_locked(operator, now=now):
        assert operator.locked_until is not None
        return _("locked until {time}").format(
            time=format_when(as_utc(operator.locked_until), now, zone))
    return _("active")
