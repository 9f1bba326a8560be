"""Which ledgers the nightly export writes, and how each becomes a table."""

from __future__ import annotations

from deskapp.services.export import Exporter

EXPORTERS: list[Exporter] = []
