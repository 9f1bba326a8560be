"""The audit trail: written with every change, hash-chained, tamper-evident."""

from __future__ import annotations

from sqlalchemy import text
from sqlmodel import select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.models import AuditEntry
from deskapp.services import audit, directory
from deskapp.services.acting import Acting


def _add_units(desk: Desk, count: int) -> None:
    with transaction(desk.engine) as session:
        for number in range(count):
            directory.add_unit(
                session, acting=Acting(desk.site_id), code=f"1-1-{101 + number}",
                now=desk.clock.now(),
            )


def test_every_change_writes_an_entry_in_order(desk: Desk) -> None:
    _add_units(desk, 3)
    with reading(desk.engine) as session:
        entries = session.exec(select(AuditEntry).order_by(AuditEntry.seq)).all()
        actions = [entry.action for entry in entries]
        assert actions == ["site.create", "unit.add", "unit.add", "unit.add"]
        assert [entry.seq for entry in entries] == [1, 2, 3, 4]
        assert audit.verify(session).ok


def test_a_failed_change_leaves_no_entry(desk: Desk) -> None:
    try:
        with transaction(desk.engine) as session:
            directory.add_unit(
                session, acting=Acting(desk.site_id), code="1-1-101", now=desk.clock.now()
            )
            raise RuntimeError("power cut")
    except RuntimeError:
        pass
    with reading(desk.engine) as session:
        assert directory.find_unit(session, acting=Acting(desk.site_id), code="1-1-101") is None
        assert audit.verify(session).checked == 1


def test_verify_names_the_first_edited_entry(desk: Desk) -> None:
    _add_units(desk, 4)
    with desk.engine.begin() as connection:
        connection.execute(text("UPDATE audit_entry SET after = '{}' WHERE seq = 3"))
    with reading(desk.engine) as session:
        result = audit.verify(session)
    assert not result.ok
    assert result.broken_seq == 3


def test_verify_notices_a_removed_last_entry(desk: Desk) -> None:
    _add_units(desk, 2)
    with desk.engine.begin() as connection:
        connection.execute(text("DELETE FROM audit_entry WHERE seq = 3"))
    with reading(desk.engine) as session:
        result = audit.verify(session)
    assert not result.ok
    assert result.broken_seq == 3
