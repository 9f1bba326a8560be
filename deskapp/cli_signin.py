"""The command line's sign-in: which manager a command acts as.

At a terminal the manager gives their sign-in name (``--as`` / ``DESKAPP_AS``, or asked
for) and their PIN (asked for, never shown, never an option): ``operators.sign_in``
checks it exactly as the desk does, so a wrong PIN counts towards the lockout and is
audited. With nobody at the keyboard (cron), ``DESKAPP_TOKEN_FILE`` names a token file
made by ``deskapp token create``. Either way the manager is the ``actor`` of what the
command changes, and the command itself is audited naming them (``command.run``).

Which commands need it, and why, is the table in docs/operations.md.
"""

from __future__ import annotations

import getpass
import os
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from deskapp.config import Settings
from deskapp.errors import AuthError, StorageError
from deskapp.i18n import _

if TYPE_CHECKING:
    from deskapp.desk import Desk
    from deskapp.models import Operator

TOKEN_FILE_VARIABLE = "DESKAPP_TOKEN_FILE"
AS_VARIABLE = "DESKAPP_AS"
RETIRED_PIN_FILE_VARIABLE = "DESKAPP_PIN_FILE"
"""Named a file holding a manager's PIN, until tokens replaced it; now refused with help."""

_AS_KEY = "deskapp.as"

def remember_login(ctx: typer.Context, login: str | None) -> None:
    """Keep ``--as`` for the subcommand (the option belongs to ``deskapp`` itself)."""
    ctx.meta[_AS_KEY] = login


def command_of(ctx: typer.Context) -> str:
    """The command as typed after ``deskapp`` (``export nightly``), for the audit entry."""
    return " ".join(ctx.command_path.split()[1:])


def manager(ctx: typer.Context, desk: Desk, *, login: str | None = None,
            pin_only: bool = False) -> Operator:
    """The active manager of the desk's site who signs in for this command.

    ``login``: a sign-in name the command itself was given (``export --manager``).
    ``pin_only``: a token may not stand in (``token create``: a token makes no token)."""
    return _sign_in(ctx, desk.engine, site_id=desk.site_id, site_code=desk.settings.site_code,
                    settings=desk.settings, now=desk.clock.now, login=login,
                    pin_only=pin_only)


def manager_unless_first(ctx: typer.Context, desk: Desk) -> Operator | None:
    """A manager's sign-in, or ``None`` while the site has no active manager to give one
    (the site is being set up: its first manager, the demo)."""
    from deskapp.db import reading
    from deskapp.services import command_tokens
    from deskapp.services.acting import Acting

    with reading(desk.engine) as session:
        if not command_tokens.site_has_manager(session, acting=Acting(desk.site_id)):
            return None
    return manager(ctx, desk)


def manager_of_database(ctx: typer.Context, engine: Any, settings: Settings) -> Operator | None:
    """The sign-in of a command that does not open the desk (backup, restore): checked in
    the database as it is, without upgrading it. ``None`` for a database with no site
    yet: there is nothing in it to protect."""
    from deskapp import migrate
    from deskapp.db import reading
    from deskapp.services import sites
    from deskapp.services.clock import SystemClock

    status = migrate.schema_status(engine)
    if status.empty:
        return None
    if not status.known:
        raise StorageError(_("This database was written by a newer deskapp (schema "
                             "{revision}): install that version to work on it.").format(
            revision=status.current))
    if not status.up_to_date:
        raise StorageError(_("The database's schema is older than this deskapp, so a "
                             "sign-in cannot be checked in it: run deskapp db upgrade first "
                             "(it writes a backup copy before it changes anything)."))
    with reading(engine) as session:
        site = sites.find_site(session, settings.site_code)
        if site is None:
            if not sites.list_sites(session):
                return None
            raise sites.unknown_site(session, settings.site_code)
        site_id = site.id
    assert site_id is not None
    return _sign_in(ctx, engine, site_id=site_id, site_code=settings.site_code,
                    settings=settings, now=SystemClock().now, login=None, pin_only=False)


def _sign_in(ctx: typer.Context, engine: Any, *, site_id: int, site_code: str,
             settings: Settings, now: Callable[[], datetime], login: str | None,
             pin_only: bool) -> Operator:
    from deskapp.db import reading, transaction
    from deskapp.services import command_tokens, operators
    from deskapp.services.acting import Acting

    command = command_of(ctx)
    with reading(engine) as session:
        if not command_tokens.site_has_manager(session, acting=Acting(site_id)):
            raise command_tokens.no_manager_yet(site_code)
    wanted = ctx.meta.get(_AS_KEY) or login
    if not pin_only:
        token_file = os.environ.get(TOKEN_FILE_VARIABLE, "")
        if token_file:
            secret = command_tokens.read_token_file(Path(token_file))
            with transaction(engine) as session:
                return command_tokens.act_with_token(
                    session, acting=Acting(site_id), secret=secret, now=now(), command=command,
                    expected_login=wanted)
        if os.environ.get(RETIRED_PIN_FILE_VARIABLE):
            raise AuthError(_("DESKAPP_PIN_FILE is no longer read (a PIN in a file signs "
                              "anyone in at the desk): make a token with deskapp token "
                              "create --label LABEL --out FILE, name that file in "
                              "DESKAPP_TOKEN_FILE, and delete the PIN file."), field="token")
    chosen, pin = _ask(command, wanted, pin_only=pin_only)
    with transaction(engine) as session:
        signed = operators.sign_in(
            session, acting=Acting(site_id), login=chosen, secret=pin, now=now(),
            max_failures=settings.max_failed_sign_ins,
            lockout=timedelta(minutes=settings.lockout_minutes))
        operator_id = signed.id
    assert operator_id is not None
    with transaction(engine) as session:
        return command_tokens.act_as(session, acting=Acting(site_id), operator_id=operator_id,
                                     command=command, now=now())


def _ask(command: str, login: str | None, *, pin_only: bool) -> tuple[str, str]:
    """The sign-in name (unless given) and the PIN, typed at the terminal."""
    asked_name = login is None
    try:
        chosen = login or str(typer.prompt(_("Sign-in name")))
        asked_name = False
        with warnings.catch_warnings():
            # A PIN piped in (no terminal to hide it on) is read all the same; getpass's
            # warning would print a line of its own source code beside the prompt.
            warnings.simplefilter("ignore", getpass.GetPassWarning)
            pin = str(typer.prompt(_("PIN of {login}").format(login=chosen),
                                   hide_input=True))
    except typer.Abort:
        if asked_name:
            typer.echo()  # end the prompt's line (the PIN prompt ends its own)
        if pin_only:
            raise AuthError(_("deskapp {command} takes a manager's PIN: run it at a "
                              "terminal.").format(command=command), field="secret") from None
        raise AuthError(_("deskapp {command} takes a manager's sign-in: run it at a terminal "
                          "(it asks for the PIN), or name a token file in DESKAPP_TOKEN_FILE "
                          "(deskapp token create makes one).").format(command=command),
                        field="secret") from None
    return chosen, pin


def manager_for_new_site(ctx: typer.Context, engine: Any, settings: Settings) -> Operator | None:
    """``site add``: a manager of the site named by ``--site`` (the default site) signs in;
    a database with no manager at any site yet (a new one) needs none."""
    from deskapp.db import reading
    from deskapp.services import command_tokens, sites
    from deskapp.services.clock import SystemClock

    with reading(engine) as session:
        if not command_tokens.database_has_manager(session):
            return None
        site = sites.find_site(session, settings.site_code)
        if site is None:
            raise sites.unknown_site(session, settings.site_code)
        site_id = site.id
    assert site_id is not None
    return _sign_in(ctx, engine, site_id=site_id, site_code=settings.site_code,
                    settings=settings, now=SystemClock().now, login=None, pin_only=False)


def add_token_commands(cli: typer.Typer) -> None:
    """Register ``deskapp token create|list|revoke``."""
    from deskapp.cli import _open, guarded

    token_cli = typer.Typer(help=_("Token files that let a scheduled job (cron) act for a "
                                   "manager."), no_args_is_help=True)
    cli.add_typer(token_cli, name="token")

    @token_cli.command("create", help=_("Write a new token to FILE (mode 600, never "
                                        "overwritten); the manager signs in with their PIN."))
    @guarded
    def token_create(
        ctx: typer.Context,
        label: Annotated[str, typer.Option("--label", help=_("What the token is for, e.g. "
                                                             "nightly."))],
        out: Annotated[Path, typer.Option("--out", help=_("File to write the token to; "
                                                          "name it in DESKAPP_TOKEN_FILE."))],
    ) -> None:
        from deskapp.db import transaction
        from deskapp.errors import Conflict
        from deskapp.services import command_tokens
        from deskapp.services.acting import Acting

        if out.exists() or out.is_symlink():
            raise Conflict(_("{path} already exists: a token file is never overwritten. "
                             "Choose another name, or delete the old file once its token is "
                             "revoked.").format(path=out), field="out")
        desk = _open(ctx)
        actor = manager(ctx, desk, pin_only=True)
        written = False
        try:
            with transaction(desk.engine) as session:
                token, secret = command_tokens.create_token(
                    session, acting=Acting(desk.site_id, actor), label=label, now=desk.clock.now())
                command_tokens.write_token_file(out, secret)
                written = True
        except BaseException:
            if written:  # the token was not kept: neither is its file
                out.unlink(missing_ok=True)
            raise
        typer.echo(_("Token {id} ({label}) for {name} written to {path} (mode 600). Name "
                     "that file in DESKAPP_TOKEN_FILE for the scheduled job; withdraw it with "
                     "deskapp token revoke {id}.").format(
            id=token.id, label=token.label, name=actor.display_name, path=out))

    @token_cli.command("list", help=_("List the site's tokens: for whom, last used, "
                                      "revoked."))
    @guarded
    def token_list(ctx: typer.Context) -> None:
        from deskapp.db import reading
        from deskapp.formatting import desk_zone, format_when
        from deskapp.services import command_tokens
        from deskapp.services.acting import Acting
        from deskapp.services.text import column

        desk = _open(ctx)
        manager(ctx, desk)
        with reading(desk.engine) as session:
            rows = command_tokens.list_tokens(session, acting=Acting(desk.site_id))
        if not rows:
            typer.echo(_("No tokens yet: a manager makes one with deskapp token create "
                         "--label LABEL --out FILE."))
            return
        now, zone = desk.clock.now(), desk_zone(desk.settings.timezone)
        for row in rows:
            used = (_("last used {time}").format(time=format_when(row.last_used_at, now, zone))
                    if row.last_used_at else _("never used"))
            state = (_("revoked {time}").format(time=format_when(row.revoked_at, now, zone))
                     if row.revoked_at else _("active"))
            made = _("made {time}").format(time=format_when(row.created_at, now, zone))
            typer.echo(f"{row.id:>4}  {column(row.label, 16)} "
                       f"{column(row.login, 12)} {made}  {used}  {state}")

    @token_cli.command("revoke", help=_("Withdraw a token: its file signs no one in any "
                                        "more (the token is kept in the records)."))
    @guarded
    def token_revoke(ctx: typer.Context,
                     token_id: Annotated[int, typer.Argument(metavar="ID", help=_(
                         "The token's number, as deskapp token list shows it."))]) -> None:
        from deskapp.db import transaction
        from deskapp.services import command_tokens
        from deskapp.services.acting import Acting

        desk = _open(ctx)
        actor = manager(ctx, desk)
        with transaction(desk.engine) as session:
            token = command_tokens.revoke_token(session, acting=Acting(desk.site_id, actor),
                                                token_id=token_id, now=desk.clock.now())
        typer.echo(_("Token {id} ({label}) revoked: its file signs no one in any more; "
                     "delete the file.").format(id=token.id, label=token.label))
