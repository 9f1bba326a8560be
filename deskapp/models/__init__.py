"""SQLModel tables. Field constraints only; the rules live in ``deskapp.services``.

Importing this package registers every table on ``SQLModel.metadata``, which
Alembic compares against when a migration is generated.
"""

# The ledgers' modules register their tables on import; use their classes from there.
from deskapp.models import custody, handover, release, requests, search  # noqa: F401
from deskapp.models.access import CommandToken, SiteGrant
from deskapp.models.audit import AuditEntry, AuditHead
from deskapp.models.people import Operator, Relation, Resident, Role, Unit
from deskapp.models.site import Site

__all__ = [
    "AuditEntry",
    "AuditHead",
    "CommandToken",
    "Operator",
    "Relation",
    "Resident",
    "Role",
    "Site",
    "SiteGrant",
    "Unit",
]
