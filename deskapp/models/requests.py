"""placeholder: tables of the requests ledger (being built)"""

from __future__ import annotations
