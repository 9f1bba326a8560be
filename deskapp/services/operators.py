"""Operators of the desk: adding, disabling, and signing in with a PIN.

PINs and passwords are stored only as argon2id hashes. Five wrong PINs in a
row (a setting) lock the operator out for a while: with a 4-digit PIN the
lockout, not the hash, is what protects the desk.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from argon2.profiles import CHEAPEST
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from deskapp.errors import AuthError, Conflict, InvalidInput, NotFound
from deskapp.i18n import _
from deskapp.models import Operator, Role
from deskapp.services import audit
from deskapp.services.clock import as_utc

LOGIN_PATTERN = re.compile(r"^[a-z][a-z0-9_.-]{1,31}$")
MIN_SECRET_LENGTH = 4
_SECRET_FIELDS = frozenset({"secret_hash"})

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
    site_id: int,
    login: str,
    display_name: str,
    role: str,
    secret: str,
    now: datetime,
    actor: Operator | None,
) -> Operator:
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
    parsed_role = parse_role(role)
    _check_secret(secret)
    if find_operator(session, site_id=site_id, login=login) is not None:
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


def find_operator(session: Session, *, site_id: int, login: str) -> Operator | None:
    return session.exec(
        select(Operator).where(Operator.site_id == site_id, Operator.login == login.strip().lower())
    ).first()


def get_operator(session: Session, *, site_id: int, login: str) -> Operator:
    operator = find_operator(session, site_id=site_id, login=login)
    if operator is None:
        raise NotFound(_("No operator with sign-in name {login}.").format(login=login))
    return operator


def display_names(session: Session, *, site_id: int) -> dict[int, str]:
    """Every operator's name by id, for timelines and records (disabled ones too)."""
    rows = session.exec(
        select(Operator.id, Operator.display_name).where(Operator.site_id == site_id)
    ).all()
    return {operator_id: name for operator_id, name in rows if operator_id is not None}


def list_operators(
    session: Session, *, site_id: int, include_disabled: bool = True
) -> list[Operator]:
    query = select(Operator).where(Operator.site_id == site_id)
    if not include_disabled:
        query = query.where(col(Operator.active).is_(True))
    return list(session.exec(query.order_by(col(Operator.login))).all())


def disable_operator(
    session: Session, *, site_id: int, login: str, reason: str, now: datetime,
    actor: Operator | None,
) -> Operator:
    reason = reason.strip()
    if not reason:
        raise InvalidInput(_("Give a reason for disabling the operator."), field="reason")
    operator = get_operator(session, site_id=site_id, login=login)
    if not operator.active:
        raise Conflict(_("Operator {login} is already disabled.").format(login=operator.login))
    if actor is not None and actor.id == operator.id:
        raise Conflict(_("You cannot disable yourself; ask a supervisor."))
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


def sign_in(
    session: Session,
    *,
    site_id: int,
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

    Every attempt is audited. A wrong PIN is itself the change of state (the
    failure count, perhaps a lockout), so it is committed before the refusal
    is raised: the caller's rollback must not forget a failed attempt.
    """
    operator = find_operator(session, site_id=site_id, login=login)
    if operator is None:
        _hasher.hash(secret)  # same cost either way: no hint whether the name exists
        raise AuthError(_("Wrong sign-in name or PIN."), field="secret")
    if not operator.active:
        raise AuthError(
            _("Operator {login} is disabled; ask a supervisor.").format(login=operator.login),
            field="login",
        )
    if operator.locked_until is not None and as_utc(operator.locked_until) > now:
        seconds_left = (as_utc(operator.locked_until) - now).total_seconds()
        minutes = max(1, math.ceil(seconds_left / 60))
        raise AuthError(
            _("Too many wrong PINs: {login} is locked for {minutes} more minutes. "
              "A supervisor can unlock it now.").format(login=operator.login, minutes=minutes),
            field="secret",
        )
    try:
        _hasher.verify(operator.secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return _refuse(session, operator, now=now, max_failures=max_failures, lockout=lockout)
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
    """A wrong PIN: the failure is recorded, so the caller commits before showing it."""


def _refuse(
    session: Session, operator: Operator, *, now: datetime, max_failures: int, lockout: timedelta
) -> Operator:
    operator.failed_sign_ins += 1
    locked = operator.failed_sign_ins >= max_failures
    if locked:
        operator.locked_until = now + lockout
        operator.failed_sign_ins = 0
    session.add(operator)
    audit.record(
        session, now=now, actor=None, actor_label=operator.login,
        action="operator.lockout" if locked else "operator.sign_in_failed",
        entity="operator", entity_id=operator.id, site_id=operator.site_id,
    )
    session.commit()
    if locked:
        message = _(
            "Too many wrong PINs: {login} is locked for {minutes} minutes. "
            "A supervisor can unlock it now."
        ).format(login=operator.login, minutes=int(lockout.total_seconds() // 60))
    else:
        left = max_failures - operator.failed_sign_ins
        message = _("Wrong sign-in name or PIN. {left} tries left before a lockout.").format(
            left=left
        )
    raise SignInRefused(message, field="secret")


def unlock_operator(
    session: Session, *, site_id: int, login: str, now: datetime, actor: Operator | None
) -> Operator:
    """Lift a lockout; ``actor`` None is the administrator at the command line."""
    if actor is not None and actor.role not in (Role.SUPERVISOR, Role.MANAGER):
        raise AuthError(_("Only a supervisor or manager can unlock an operator."))
    operator = get_operator(session, site_id=site_id, login=login)
    operator.locked_until = None
    operator.failed_sign_ins = 0
    session.add(operator)
    audit.record(
        session, now=now, actor=actor, action="operator.unlock", entity="operator",
        entity_id=operator.id, site_id=site_id,
    )
    return operator
