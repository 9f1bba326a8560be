"""Who may do what, and where: one rule for every change, checked where every change goes.

Every change of state has its audit entry (``audit.record``), so that is where the
acting operator is held to the site and to their role, once for all services:

- an operator acts only on their own site's records, and only while active;
- only a manager adds or disables operators, or exports personal data unmasked.

(The desk already opens only the gate to a guard's sign-in, ``DeskApp.may_open``;
the services do not refuse a guard yet, because the demo's nights are kept by the
guard at the desk: parcels handed out, the duty log, the night's handover.)

A refusal raises before the transaction commits, so the change it would have
made is rolled back with it. ``actor`` None is the system (the sweep, a migration)
or the administrator at the command line.
"""

from __future__ import annotations

from deskapp.errors import AuthError
from deskapp.i18n import _
from deskapp.models import Operator, Role

#: Steps only some roles take, whoever else is signed in.
ROLES_OF_ACTION: dict[str, frozenset[str]] = {
    "operator.add": frozenset({Role.MANAGER.value}),
    "operator.disable": frozenset({Role.MANAGER.value}),
    "export.unmasked": frozenset({Role.MANAGER.value}),
}


def may(actor: Operator, action: str) -> bool:
    """Whether ``actor``'s role allows ``action`` (the site is checked by ``check``)."""
    roles = ROLES_OF_ACTION.get(action)
    return roles is None or actor.role in roles


def check(actor: Operator | None, *, site_id: int | None, action: str) -> None:
    """Refuse ``action`` by ``actor`` on ``site_id``'s records, with what to do instead."""
    if actor is None:
        return
    if site_id is not None and actor.site_id != site_id:
        raise AuthError(_("{name} works at another site and cannot change this site's "
                          "records: sign in at this site's desk.").format(
                              name=actor.display_name), field="operator")
    if not actor.active:
        raise AuthError(_("{name} is disabled: a manager can enable the sign-in again.")
                        .format(name=actor.display_name), field="operator")
    if not may(actor, action):
        raise AuthError(_("Only a manager may do this: ask the service center's manager."),
                        field="operator")
