"""``deskapp audit verify`` proves the sealed handovers too: a row edited behind a seal
fails the check with one line per problem, next to a broken chain's own line."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import text, update
from typer.testing import CliRunner

from deskapp.cli import build_cli
from deskapp.db import transaction
from deskapp.desk import Desk
from deskapp.models.handover import HandoverCount, HandoverItem
from tests.services.handover.test_handovers import (
    SETTINGS_ITEMS,
    ready_to_sign,
    sign_both,
    started,
)
from tests.support import Homes, Staff, homes_fixture, staff_fixture  # noqa: F401 (fixtures)

runner = CliRunner()


@pytest.fixture
def two_items(desk: Desk) -> Desk:
    """The desk of ``test_handovers``: its checklist is 对讲机=4 and 雨伞=6."""
    desk.settings = replace(desk.settings, public_items=SETTINGS_ITEMS)  # type: ignore[misc]
    return desk


def verify(desk: Desk) -> tuple[int, str]:
    """The command against the test's own database (its SQLite file, or PostgreSQL)."""
    settings = desk.settings
    where = ["--database-url", settings.database_url] if settings.database_url else []
    result = runner.invoke(build_cli(), ["--data-dir", str(settings.data_dir), *where,
                                         "audit", "verify"])
    return result.exit_code, result.output


def test_sealed_handovers_pass_and_one_edited_behind_its_seal_fails(
    two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = two_items
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    sign_both(desk, h)
    code, out = verify(desk)
    assert code == 0, out
    assert "chain intact" in out and "Sealed handovers: unchanged since their seal." in out

    with transaction(desk.engine) as session:
        session.exec(update(HandoverItem).where(  # type: ignore[call-overload]
            HandoverItem.id == h["own"].id).values(decision="refused"))
    code, out = verify(desk)
    assert code == 1
    assert out.strip().splitlines() == [
        f"Error: Handover {h['id']} was changed after it was sealed."]


def test_a_broken_chain_and_a_broken_seal_each_get_their_line(
    two_items: Desk, staff: Staff, homes: Homes,
) -> None:
    desk = two_items
    h = started(desk, staff, homes)
    ready_to_sign(desk, staff, h)
    sign_both(desk, h)
    with transaction(desk.engine) as session:
        session.exec(update(HandoverCount).where(  # type: ignore[call-overload]
            HandoverCount.id == h["counts"][0].id).values(counted=0))
        session.exec(text("UPDATE audit_entry SET actor = 'mallory' WHERE seq = 2"))
    code, out = verify(desk)
    assert code == 1
    lines = out.strip().splitlines()
    assert len(lines) == 2 and "Traceback" not in out
    assert lines[0].startswith("Error: Audit entry 2 breaks the chain")
    assert lines[1] == f"Error: Handover {h['id']} was changed after it was sealed."
