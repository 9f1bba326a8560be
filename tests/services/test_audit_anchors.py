"""Anchors outside the database: a nightly manifest records the chain's head, and a chain
cut back with its head rewound, or emptied, no longer passes once an anchor exists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from deskapp.db import reading, snapshot, transaction
from deskapp.desk import Desk
from deskapp.errors import StorageError
from deskapp.formatting import desk_zone
from deskapp.models import AuditEntry
from deskapp.models.audit import AuditHead
from deskapp.services import audit, directory, export
from deskapp.services.acting import Acting


def _units(desk: Desk, first: int, count: int) -> None:
    with transaction(desk.engine) as session:
        for number in range(first, first + count):
            directory.add_unit(session, acting=Acting(desk.site_id), code=f"1-1-{number}",
                               now=desk.clock.now())


def _nightly(desk: Desk, out: Path) -> Path:
    with snapshot(desk.engine) as session:
        report = export.export_day(session, acting=Acting(desk.site_id), site_code="main",
                                   day=date(2026, 11, 23),
                                   zone=desk_zone(desk.settings.timezone), out_dir=out)
    return report.folder / "manifest.csv"


def _check(desk: Desk, out: Path) -> tuple[bool, list[str]]:
    with reading(desk.engine) as session:
        return audit.verify(session).ok, audit.verify_anchors(session, export.read_anchors(out))


def _edit_one(session: Session) -> None:
    session.execute(update(AuditEntry).where(col(AuditEntry.seq) == 3)
                    .values(after='{"code": "9-9-999"}'))


def _delete_a_middle_one(session: Session) -> None:
    session.execute(delete(AuditEntry).where(col(AuditEntry.seq) == 3))


def _delete_the_tail_and_rewind(session: Session) -> None:
    keep = session.exec(select(AuditEntry).where(col(AuditEntry.seq) == 2)).one()
    session.execute(delete(AuditEntry).where(col(AuditEntry.seq) > 2))
    session.execute(update(AuditHead).values(seq=2, last_hash=keep.entry_hash))


def _delete_everything(session: Session) -> None:
    session.execute(delete(AuditEntry))
    session.execute(delete(AuditHead))


def test_the_manifest_records_the_head_and_an_untouched_chain_holds_it(
        desk: Desk, tmp_path: Path) -> None:
    _units(desk, 101, 4)
    manifest = _nightly(desk, tmp_path)
    with reading(desk.engine) as session:
        seq, last_hash = audit.head(session)
    (anchor,) = export.read_anchors(tmp_path)
    assert (anchor.seq, anchor.entry_hash) == (seq, last_hash) and seq == 5
    assert anchor.source == str(manifest)
    _units(desk, 201, 2)  # the chain grows after the anchor: that is no tampering
    assert _check(desk, tmp_path) == (True, [])


@pytest.mark.parametrize(("tamper", "chain_alone_notices"), [
    (_edit_one, True),
    (_delete_a_middle_one, True),
    (_delete_the_tail_and_rewind, False),
    (_delete_everything, False),
])
def test_every_tampering_is_caught_once_an_anchor_exists(
        desk: Desk, tmp_path: Path, tamper: Callable[[Session], None],
        chain_alone_notices: bool) -> None:
    _units(desk, 101, 4)
    _nightly(desk, tmp_path)
    with transaction(desk.engine) as session:
        tamper(session)
    chain_ok, problems = _check(desk, tmp_path)
    assert chain_ok is not chain_alone_notices
    caught = not chain_ok or problems
    assert caught
    if not chain_alone_notices:  # only the anchor tells: the rewound chain looks whole
        assert problems == [f"The chain has no entry 5, which {tmp_path}/main/2026-11-23/"
                            "manifest.csv recorded: it was cut back."]


def test_an_entry_rewritten_with_a_fresh_chain_is_caught_by_its_hash(
        desk: Desk, tmp_path: Path) -> None:
    _units(desk, 101, 4)
    _nightly(desk, tmp_path)
    with transaction(desk.engine) as session:  # a forger who writes a new history on
        first = session.exec(select(AuditEntry).where(col(AuditEntry.seq) == 1)).one()
        session.execute(delete(AuditEntry).where(col(AuditEntry.seq) > 1))
        session.execute(update(AuditHead).values(seq=1, last_hash=first.entry_hash))
    for number in range(901, 905):
        _units(desk, number, 1)
    chain_ok, problems = _check(desk, tmp_path)
    assert chain_ok
    assert problems and "is not the one" in problems[0] and "rewritten" in problems[0]


def test_manifests_without_a_head_are_passed_over_and_a_broken_one_is_reported(
        tmp_path: Path) -> None:
    old = tmp_path / "main" / "2026-01-01"
    old.mkdir(parents=True)
    (old / "manifest.csv").write_text("file,rows,sha256\r\nrequests.csv,0,abc\r\n")
    assert export.read_anchors(tmp_path) == []
    (tmp_path / "main" / "2026-01-02").mkdir()
    (tmp_path / "main" / "2026-01-02" / "manifest.csv").write_bytes(b"\xff\xfe not text")
    with pytest.raises(StorageError, match="Cannot read the manifest"):
        export.read_anchors(tmp_path)
