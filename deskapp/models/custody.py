"""placeholder: tables of the custody ledger (being built)"""

from __future__ import annotations
