"""Who may do what, and where: one rule for every change, checked where every change goes.

Every change of state has its audit entry (``audit.record``), so that is where the
acting operator is held to the site and to their role, once for all services:

- an operator acts only on their own site's records, and only while active (a
  supervisor or manager granted another site reads it, ``grants``, but changes
  nothing there);
- a guard acts only at the gate: ticking a release slip's lines, releasing the
  slip or sending it back, and taking back what a repair slip lent out (the desk
  opens only the gate to a guard's sign-in, ``DeskApp.may_open``; this is the
  same rule for every other way in);
- only a manager adds or disables operators, grants a site, exports personal data
  unmasked, or runs and entrusts the commands that change the desk
  (``command_tokens``).

A refusal raises before the transaction commits, so the change it would have
made is rolled back with it. ``actor`` None is the system (the sweep, a migration)
or the administrator at the command line.
"""

from __future__ import annotations

from dataclasses import dataclass

from deskapp.errors import AuthError
from deskapp.i18n import _
from deskapp.models import Operator, Role


@dataclass(frozen=True)
class Acting:
    """Who acts, and at which site: the context every service call carries.

    ``operator`` None is the system (the sweep, a migration) or the administrator
    at the command line; the site is always named, so no call reads or writes a
    site by leaving it out.
    """

    site_id: int
    operator: Operator | None = None


def acting_operator(acting: Acting) -> Operator:
    """The operator a step must be signed by, or a refusal that says to sign in."""
    if acting.operator is None:
        raise AuthError(_("Sign in first."), field="operator")
    return acting.operator


#: Steps only some roles take, whoever else is signed in.
ROLES_OF_ACTION: dict[str, frozenset[str]] = {
    "operator.add": frozenset({Role.MANAGER.value}),
    "operator.disable": frozenset({Role.MANAGER.value}),
    "export.unmasked": frozenset({Role.MANAGER.value}),
    "site.grant": frozenset({Role.MANAGER.value}),
    "site.revoke": frozenset({Role.MANAGER.value}),
    "command.run": frozenset({Role.MANAGER.value}),
    "command_token.create": frozenset({Role.MANAGER.value}),
    "command_token.revoke": frozenset({Role.MANAGER.value}),
}

#: What a guard may do: the gate's steps, and their own sign-in at a desk.
GATE_ACTIONS: frozenset[str] = frozenset({
    "release.tick", "release.release", "release.send_back", "release.returned",
})
SIGN_IN_ACTIONS: frozenset[str] = frozenset({
    "operator.sign_in", "operator.sign_in_failed", "operator.confirm", "operator.lockout",
    "operator.sign_in_locked", "operator.sign_in_disabled", "operator.sign_in_unknown",
})


def may(actor: Operator, action: str) -> bool:
    """Whether ``actor``'s role allows ``action`` (the site is checked by ``check``)."""
    if actor.role == Role.GUARD.value and action not in GATE_ACTIONS | SIGN_IN_ACTIONS:
        return False
    roles = ROLES_OF_ACTION.get(action)
    return roles is None or actor.role in roles


def changes_here(acting: Acting) -> bool:
    """Whether the acting operator may change the site's records at all: their own
    site's (a site granted to them they read only). The system (no operator) may."""
    return acting.operator is None or acting.operator.site_id == acting.site_id


def check_site(actor: Operator, site_id: int) -> None:
    """Refuse ``actor`` changing anything of another site than their own (also what is
    not audited itself: counting them among a shift's workers)."""
    if not changes_here(Acting(site_id, actor)):
        raise AuthError(_("{name} works at another site and cannot change this site's "
                          "records: sign in at this site's desk.").format(
                              name=actor.display_name), field="operator")


def check(actor: Operator | None, *, site_id: int | None, action: str) -> None:
    """Refuse ``action`` by ``actor`` on ``site_id``'s records, with what to do instead."""
    if actor is None:
        return
    if site_id is not None:
        check_site(actor, site_id)
    if not actor.active:
        raise AuthError(_("{name} is disabled: a manager can enable the sign-in again.")
                        .format(name=actor.display_name), field="operator")
    if actor.role == Role.GUARD.value and not may(actor, action):
        raise AuthError(_("{name} keeps the gate: a guard checks release slips there, and "
                          "the desk's own work is signed by desk staff.").format(
                              name=actor.display_name), field="operator")
    if not may(actor, action):
        raise AuthError(_("Only a manager may do this: ask the service center's manager."),
                        field="operator")
