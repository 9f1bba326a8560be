"""Who is acting for a command run at the command line: a manager who typed their PIN,
or a token file that stands for a manager when nobody is at the keyboard (cron).

A token is a random secret (``secrets.token_urlsafe(32)``) written once to a file of
mode 0600; the database keeps only its SHA-256 (``CommandToken``), so a copy of the
database (a backup) lets no one act with it. A token acts only at its own site, only
until it is revoked, and only while its manager is an active manager; each use is
recorded (``last_used_at``, and the ``command.run`` audit entry naming the manager and
the command). A lockout, which guards the PIN against guessing, does not stop a token.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from deskapp.errors import AuthError, Conflict, InvalidInput, NotFound, StorageError
from deskapp.i18n import _
from deskapp.models import CommandToken, Operator, Role, Site
from deskapp.services import acting as acting_rules
from deskapp.services import audit, operators
from deskapp.services.acting import Acting, acting_operator
from deskapp.services.clock import as_utc
from deskapp.services.text import clean_text

# Who may take these steps (managers) is ``acting.ROLES_OF_ACTION``'s rule.
COMMAND_ACTION = "command.run"
"""The audit action of a command run by a signed-in manager (PIN or token)."""
CREATE_ACTION = "command_token.create"
REVOKE_ACTION = "command_token.revoke"

# Their labels are in ``audit.ACTION_LABELS``: the desk's recent activity names them,
# and the desk never imports this module.

MAX_LABEL = 64


def secret_digest(secret: str) -> str:
    """What the database keeps of a token's secret."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def site_has_manager(session: Session, *, acting: Acting) -> bool:
    """Whether anyone can sign in for a manager's command at this site.

    Until then the site is being set up: its first manager is added without a sign-in."""
    site_id = acting.site_id
    return session.exec(
        select(Operator.id).where(Operator.site_id == site_id,
                                  Operator.role == Role.MANAGER.value,
                                  col(Operator.active).is_(True)).limit(1)
    ).first() is not None


def database_has_manager(session: Session) -> bool:
    """Whether any site of the database has an active manager (``site add`` on a new one)."""
    return session.exec(
        select(Operator.id).where(Operator.role == Role.MANAGER.value,
                                  col(Operator.active).is_(True)).limit(1)
    ).first() is not None


def no_manager_yet(site_code: str) -> AuthError:
    """The refusal of a manager's command at a site that has no manager to sign in."""
    return AuthError(_("Site {site} has no manager yet, so nobody can sign in for this "
                       "command: add the first one with deskapp --site {site} operator add "
                       "LOGIN --name NAME --role manager.").format(site=site_code),
                     field="operator")


def _refuse_unless_manager(operator: Operator, *, site_id: int) -> None:
    """Held to the role and the site by ``acting``, with the command line's own words."""
    if not acting_rules.may(operator, COMMAND_ACTION):
        raise AuthError(_("The role of {login} is {role}: this command takes a manager's "
                          "sign-in. Ask the service center's manager to run it.").format(
            login=operator.login, role=operators.role_label(operator.role)), field="operator")
    acting_rules.check(operator, site_id=site_id, action=COMMAND_ACTION)


def act_as(
    session: Session, *, acting: Acting, operator_id: int, command: str, now: datetime,
) -> Operator:
    """The manager who just signed in with their PIN, now acting for ``command``.

    Refused (``AuthError``) for anyone who is not an active manager of the site; the
    command is audited (``command.run``) naming them."""
    site_id = acting.site_id
    operator = session.get(Operator, operator_id)
    if operator is None:
        raise NotFound(_("That operator no longer exists: sign in again."))
    _refuse_unless_manager(operator, site_id=site_id)
    audit.record(session, now=now, actor=operator, action=COMMAND_ACTION, entity="operator",
                 entity_id=operator.id, site_id=site_id,
                 after={"command": command, "via": "pin"})
    return operator


def act_with_token(
    session: Session, *, acting: Acting, secret: str, now: datetime, command: str,
    expected_login: str | None = None,
) -> Operator:
    """The manager a token's secret stands for, acting for ``command`` at ``site_id``.

    Refused when the secret is unknown, revoked, of another site, or its manager is
    disabled or no longer a manager; ``expected_login`` (``--as``) must be that manager.
    The use is recorded: ``last_used_at`` and a ``command.run`` audit entry."""
    site_id = acting.site_id
    token = session.exec(
        select(CommandToken).where(CommandToken.secret_sha256 == secret_digest(secret))
    ).first()
    if token is None:
        raise AuthError(_("The token file holds no token of this database: make one with "
                          "deskapp token create --label LABEL --out FILE, and name that file "
                          "in DESKAPP_TOKEN_FILE."), field="token")
    if token.revoked_at is not None:
        raise AuthError(_("Token {id} ({label}) was revoked: make a new one with deskapp "
                          "token create, and put its file in place of this one.").format(
            id=token.id, label=token.label), field="token")
    if token.site_id != site_id:
        site = session.get(Site, token.site_id)
        code = site.code if site is not None else "?"
        raise AuthError(_("Token {id} ({label}) was made for site {site}: run the command "
                          "with --site {site}, or make a token at this site with deskapp "
                          "token create.").format(id=token.id, label=token.label, site=code),
                        field="token")
    operator = session.get(Operator, token.operator_id)
    assert operator is not None  # a foreign key
    if not operator.active or not acting_rules.may(operator, COMMAND_ACTION):
        raise AuthError(_("Token {id} ({label}) acts for {name}, who is no longer an active "
                          "manager: a manager makes a new one with deskapp token create, "
                          "and revokes this one with deskapp token revoke {id}.").format(
            id=token.id, label=token.label, name=operator.display_name), field="token")
    if expected_login is not None and expected_login.strip().lower() != operator.login:
        raise AuthError(_("The token in DESKAPP_TOKEN_FILE signs in as {login}, not as "
                          "{wanted}: drop --as (or DESKAPP_AS), or use {wanted}'s own token.")
                        .format(login=operator.login, wanted=expected_login), field="token")
    acting_rules.check(operator, site_id=site_id, action=COMMAND_ACTION)
    token.last_used_at = now
    session.add(token)
    audit.record(session, now=now, actor=operator, action=COMMAND_ACTION, entity="operator",
                 entity_id=operator.id, site_id=site_id,
                 after={"command": command, "via": "token", "token": token.id,
                        "label": token.label})
    return operator


def create_token(
    session: Session, *, acting: Acting, label: str, now: datetime,
) -> tuple[CommandToken, str]:
    """A new token for ``actor`` (a manager of the site), and its secret, shown only now.

    The caller writes the secret to its file (``write_token_file``) before committing,
    so that a token whose file could not be written is not kept either."""
    site_id = acting.site_id
    actor = acting_operator(acting)
    label = clean_text(label, field="label", label=_("label"), max_length=MAX_LABEL,
                       required=True)
    _refuse_unless_manager(actor, site_id=site_id)
    secret = secrets.token_urlsafe(32)
    token = CommandToken(operator_id=actor.id or 0, site_id=site_id, label=label,
                         secret_sha256=secret_digest(secret), created_at=now)
    session.add(token)
    session.flush()
    audit.record(session, now=now, actor=actor, action=CREATE_ACTION, entity="command_token",
                 entity_id=token.id, site_id=site_id,
                 after={"label": label, "login": actor.login})
    return token, secret


def revoke_token(
    session: Session, *, acting: Acting, token_id: int, now: datetime,
) -> CommandToken:
    """Withdraw a token of the site: from now on its file signs no one in. Kept, not deleted."""
    site_id = acting.site_id
    actor = acting_operator(acting)
    token = session.get(CommandToken, token_id)
    if token is None or token.site_id != site_id:
        raise NotFound(_("No token {id} at this site: deskapp token list shows the site's "
                         "tokens.").format(id=token_id), field="token")
    if token.revoked_at is not None:
        raise Conflict(_("Token {id} ({label}) is already revoked.").format(
            id=token.id, label=token.label), field="token")
    token.revoked_at = now
    session.add(token)
    session.flush()
    audit.record(session, now=now, actor=actor, action=REVOKE_ACTION, entity="command_token",
                 entity_id=token.id, site_id=site_id, after={"label": token.label})
    return token


@dataclass(frozen=True)
class TokenRow:
    """One token as ``deskapp token list`` shows it (never its secret)."""

    id: int
    label: str
    login: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def list_tokens(session: Session, *, acting: Acting) -> list[TokenRow]:
    site_id = acting.site_id
    rows = session.exec(
        select(CommandToken, Operator)
        .join(Operator, col(Operator.id) == col(CommandToken.operator_id))
        .where(CommandToken.site_id == site_id)
        .order_by(col(CommandToken.id))
    ).all()
    return [TokenRow(id=token.id or 0, label=token.label, login=operator.login,
                     name=operator.display_name, created_at=as_utc(token.created_at),
                     last_used_at=as_utc(token.last_used_at) if token.last_used_at else None,
                     revoked_at=as_utc(token.revoked_at) if token.revoked_at else None)
            for token, operator in rows]


def write_token_file(path: Path, secret: str) -> None:
    """Write the secret to a new file only its owner can read; never over an existing one."""
    try:
        handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise Conflict(_("{path} already exists: a token file is never overwritten. Choose "
                         "another name, or delete the old file once its token is revoked.")
                       .format(path=path), field="out") from None
    except OSError as error:
        raise StorageError(_("Cannot write the token file {path}: {reason}").format(
            path=path, reason=error.strerror or error)) from error
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(handle, 0o600)  # whatever the umask
        os.write(handle, (secret + "\n").encode("ascii"))
        os.fsync(handle)
    except OSError as error:
        os.close(handle)
        path.unlink(missing_ok=True)
        raise StorageError(_("Cannot write the token file {path}: {reason}").format(
            path=path, reason=error.strerror or error)) from error
    os.close(handle)


def read_token_file(path: Path) -> str:
    """The secret in a token file; refused if others than its owner may read it, if it
    is not this user's own, or if it is a link (checked on the file opened, not on its
    name: nothing can be swapped between the check and the read)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    try:
        handle = os.open(path, flags)
    except FileNotFoundError:
        raise AuthError(_("DESKAPP_TOKEN_FILE names {path}, which does not exist: point it at "
                          "the file deskapp token create wrote.").format(path=path),
                        field="token") from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise AuthError(_("DESKAPP_TOKEN_FILE names {path}, which is a link: point it "
                              "at the token file itself.").format(path=path),
                            field="token") from None
        raise AuthError(_("Cannot read the token file {path}: {reason}").format(
            path=path, reason=error.strerror or error), field="token") from error
    status = os.fstat(handle)
    if not stat.S_ISREG(status.st_mode):  # a folder, a pipe: nothing to read from it
        os.close(handle)
        raise AuthError(_("DESKAPP_TOKEN_FILE names {path}, which is not a file: point it at "
                          "the file deskapp token create wrote.").format(path=path),
                        field="token")
    with os.fdopen(handle, "rb") as opened:  # closed however this ends
        if os.name == "posix" and status.st_mode & 0o077:
            raise AuthError(_("The token file {path} can be read by other users (mode "
                              "{mode:o}): run chmod 600 {path}; if someone may have copied "
                              "it, revoke the token (deskapp token revoke ID) and make a new "
                              "one.").format(path=path, mode=stat.S_IMODE(status.st_mode)),
                            field="token")
        if os.name == "posix" and status.st_uid != os.geteuid():
            raise AuthError(_("The token file {path} belongs to another user: the job must "
                              "run as the user who owns its token file.").format(path=path),
                            field="token")
        try:
            secret = opened.read(4096).decode("ascii").strip()
        except (OSError, UnicodeDecodeError) as error:
            reason = getattr(error, "strerror", None) or error
            raise AuthError(_("Cannot read the token file {path}: {reason}").format(
                path=path, reason=reason), field="token") from error
    if not secret:
        raise InvalidInput(_("The token file {path} is empty: point DESKAPP_TOKEN_FILE at "
                             "the file deskapp token create wrote.").format(path=path),
                           field="token")
    return secret
