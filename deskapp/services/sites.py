"""The property (物业项目) a desk serves."""

from __future__ import annotations

import re
from datetime import datetime

from sqlmodel import Session, col, select

from deskapp.errors import Conflict, InvalidInput
from deskapp.i18n import _
from deskapp.models import Site
from deskapp.services import audit
from deskapp.services.text import clean_text

_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")


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


def list_sites(session: Session) -> list[Site]:
    return list(session.exec(select(Site).order_by(col(Site.code))).all())


def add_site(session: Session, *, code: str, name: str, now: datetime) -> Site:
    """A new site (``deskapp site add``): a short code of letters, digits, ``-`` or
    ``_``, and the name its screens and prints carry. Audited."""
    code = code.strip()
    if not _CODE.fullmatch(code):
        raise InvalidInput(_("{code} cannot be a site code: use up to 32 letters, digits, "
                             "- or _, starting with a letter or digit.").format(code=code),
                           field="code")
    name = clean_text(name, field="name", label=_("Site name"), max_length=200,
                      required=True)
    if find_site(session, code) is not None:
        raise Conflict(_("Site {code} already exists.").format(code=code), field="code")
    return ensure_site(session, code=code, name=name, now=now)


def unknown_site(session: Session, code: str) -> InvalidInput:
    """The refusal for a ``--site`` (or DESKAPP_SITE) that names no site here: a typo
    must not open an empty new site beside the real one."""
    codes = ", ".join(site.code for site in list_sites(session))
    return InvalidInput(_("No site is called {code} in this database; its sites are: "
                          "{codes}. Add one with deskapp site add {code} --name NAME.").format(
        code=code, codes=codes), field="site")
