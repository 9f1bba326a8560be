"""The property (物业项目) a desk serves."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from deskapp.models import Site
from deskapp.services import audit


def ensure_site(session: Session, *, code: str, name: str, now: datetime) -> Site:
    """The site with ``code``, created (and audited) on first use."""
    site = session.exec(select(Site).where(Site.code == code)).first()
    if site is not None:
        return site
    site = Site(code=code, name=name, created_at=now)
    session.add(site)
    session.flush()
    audit.record(
        session,
        now=now,
        actor=None,
        action="site.create",
        entity="site",
        entity_id=site.id,
        site_id=site.id,
        after=audit.snapshot(site),
    )
    return site


def find_site(session: Session, code: str) -> Site | None:
    return session.exec(select(Site).where(Site.code == code)).first()


def get_site(session: Session, site_id: int) -> Site | None:
    """The site a desk serves, by id (its name heads the screens and the prints)."""
    return session.get(Site, site_id)
