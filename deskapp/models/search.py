"""placeholder: the search index table (being built)"""

from __future__ import annotations
