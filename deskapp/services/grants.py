"""Sites a supervisor or manager reads beyond their own: a head office's manager reports
on every estate of the group, a supervisor covers a neighbouring estate's desk.

A grant lets its holder read and report on the granted site; it never lets them
change that site's records (``acting.check`` holds every change to the actor's own
site). A grant is made by a manager of the granted site, is audited there, and is
withdrawn by marking it revoked, never by deleting it.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from deskapp.errors import AuthError, Conflict, NotFound
from deskapp.i18n import _
from deskapp.models import Operator, Role, Site, SiteGrant
from deskapp.services import audit
from deskapp.services.acting import Acting
from deskapp.services.clock import as_utc

#: The roles a grant may be given to: desk operators and guards serve one desk.
GRANTABLE_ROLES = frozenset({Role.SUPERVISOR.value, Role.MANAGER.value})


def _active(session: Session, operator_id: int, site_id: int) -> SiteGrant | None:
    return session.exec(select(SiteGrant).where(
        SiteGrant.operator_id == operator_id, SiteGrant.site_id == site_id,
        col(SiteGrant.revoked_at).is_(None))).first()


def grant(session: Session, *, acting: Acting, operator: Operator, now: datetime) -> SiteGrant:
    """Let ``operator`` (a supervisor or manager of another site) read and report on
    ``site_id``. ``actor``: a manager of ``site_id`` (None: the administrator)."""
    site_id = acting.site_id
    actor = acting.operator
    if session.get(Site, site_id) is None:
        raise NotFound(_("There is no such site."), field="site")
    if operator.site_id == site_id:
        raise Conflict(_("{name} already works at this site.").format(
            name=operator.display_name), field="operator")
    if operator.role not in GRANTABLE_ROLES or not operator.active:
        raise Conflict(_("Only an active supervisor or manager can be granted another "
                         "site; {name} serves one desk.").format(name=operator.display_name),
                       field="operator")
    if _active(session, operator.id or 0, site_id) is not None:
        raise Conflict(_("{name} already reads this site.").format(
            name=operator.display_name), field="operator")
    found = session.exec(select(SiteGrant).where(
        SiteGrant.operator_id == operator.id, SiteGrant.site_id == site_id)).first()
    before = audit.snapshot(found) if found is not None else None
    if found is None:
        found = SiteGrant(operator_id=operator.id or 0, site_id=site_id)
    found.granted_by_id = actor.id if actor else None
    found.granted_at = as_utc(now)
    found.revoked_at = None
    session.add(found)
    session.flush()
    audit.record(session, now=now, actor=actor, action="site.grant", entity="site_grant",
                 entity_id=found.id, site_id=site_id, before=before,
                 after=audit.snapshot(found))
    return found


def revoke(session: Session, *, acting: Acting, operator: Operator, now: datetime) -> SiteGrant:
    """Withdraw ``operator``'s grant of ``site_id`` (kept, marked revoked)."""
    site_id = acting.site_id
    actor = acting.operator
    found = _active(session, operator.id or 0, site_id)
    if found is None:
        raise NotFound(_("{name} has no grant of this site.").format(
            name=operator.display_name), field="operator")
    before = audit.snapshot(found)
    found.revoked_at = as_utc(now)
    session.add(found)
    session.flush()
    audit.record(session, now=now, actor=actor, action="site.revoke", entity="site_grant",
                 entity_id=found.id, site_id=site_id, before=before,
                 after=audit.snapshot(found))
    return found


def readable_sites(session: Session, operator: Operator) -> frozenset[int]:
    """The sites ``operator`` may read: their own, and those granted while they are an
    active supervisor or manager (a grant lapses with the role, not only when revoked)."""
    own = frozenset({operator.site_id})
    if not operator.active or operator.role not in GRANTABLE_ROLES:
        return own
    granted = session.exec(select(SiteGrant.site_id).where(
        SiteGrant.operator_id == operator.id, col(SiteGrant.revoked_at).is_(None))).all()
    return own | frozenset(granted)


def check_reading(session: Session, actor: Operator | None, site_id: int) -> None:
    """Refuse ``actor`` reading ``site_id``'s records unless it is theirs or granted."""
    if actor is None or actor.site_id == site_id or site_id in readable_sites(session, actor):
        return
    site = session.get(Site, site_id)
    raise AuthError(_("{name} may not read site {site}: a manager of that site can grant "
                      "it (deskapp site grant).").format(
                          name=actor.display_name, site=site.code if site else site_id),
                    field="site")


def grants_of(session: Session, *, acting: Acting) -> list[tuple[SiteGrant, Operator, Site]]:
    """The active grants of ``site_id``: who reads it from which site."""
    site_id = acting.site_id
    rows = session.exec(
        select(SiteGrant, Operator, Site)
        .join(Operator, col(Operator.id) == SiteGrant.operator_id)
        .join(Site, col(Site.id) == Operator.site_id)
        .where(SiteGrant.site_id == site_id, col(SiteGrant.revoked_at).is_(None))
        .order_by(col(Site.code), col(Operator.login))
    ).all()
    return [(row[0], row[1], row[2]) for row in rows]


def readable_site_list(session: Session, operator: Operator) -> list[Site]:
    """The sites ``operator`` may read, their own first, then the granted ones by code
    (the reports screen's choice of site)."""
    readable = readable_sites(session, operator)
    found = session.exec(select(Site).where(col(Site.id).in_(readable))).all()
    return sorted(found, key=lambda site: (site.id != operator.site_id, site.code))
