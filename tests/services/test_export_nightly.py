"""The nightly export is boringly reliable: a re-run gives the same bytes, the manifest says
what schema and which window it holds, and a failure on the way leaves no file behind."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from deskapp.desk import Desk
from deskapp.errors import StorageError
from deskapp.services import export
from tests.services.test_export import DAY, _export, _operator, _read, _request


def _digests(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.iterdir())}


def test_a_rerun_is_byte_identical_and_the_manifest_names_its_window(
        desk: Desk, tmp_path: Path) -> None:
    operator = _operator(desk)
    _request(desk, operator, "卫生间漏水")
    first = _digests(_export(desk, tmp_path / "one").folder)
    second = _digests(_export(desk, tmp_path / "two").folder)
    assert first == second and "requests.csv" in first
    manifest = _read(tmp_path / "one" / "main" / "2026-11-23" / "manifest.csv")
    assert {(row["window_since"], row["window_until"]) for row in manifest} == {
        ("2026-11-23T00:00+08:00", "2026-11-24T00:00+08:00")}


def test_a_failure_half_way_leaves_no_file(desk: Desk, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    _request(desk, _operator(desk), "卫生间漏水")
    real = export._write_csv
    calls: list[Path] = []

    def full_disk(partial: Path, header: list[str], rows: Iterable[list[str]], *,
                  excel: bool) -> None:
        calls.append(partial)

        def failing() -> Iterator[list[str]]:
            yield from rows
            raise OSError(28, "No space left on device")

        real(partial, header, failing() if len(calls) == 3 else rows, excel=excel)

    monkeypatch.setattr(export, "_write_csv", full_disk)
    with pytest.raises(StorageError, match="No space left on device"):
        _export(desk, tmp_path)
    assert len(calls) == 3  # the third file failed as it was written, and the export stopped
    assert list((tmp_path / "main" / "2026-11-23").iterdir()) == []


def test_a_request_saved_during_the_export_is_in_all_its_files_or_in_none(
        desk: Desk, tmp_path: Path) -> None:
    from deskapp.db import snapshot
    from deskapp.formatting import desk_zone
    from deskapp.services import export_ledgers
    from deskapp.services.acting import Acting

    operator = _operator(desk)
    before = _request(desk, operator, "卫生间漏水")
    saved_meanwhile: list[str] = []

    def requests_with_a_desk_saving_between_the_files(
            session: object, site_id: int, window: export.Window) -> Iterator[export.Table]:
        requests, events = export_ledgers.export_requests(session, site_id, window)  # type: ignore[arg-type]
        yield requests  # requests.csv is written now
        saved_meanwhile.append(_request(desk, operator, "写在导出中途"))  # another desk
        yield events

    with snapshot(desk.engine) as session:
        report = export.export_day(
            session, acting=Acting(desk.site_id), site_code="main", day=DAY,
            zone=desk_zone(desk.settings.timezone), out_dir=tmp_path,
            exporters=[requests_with_a_desk_saving_between_the_files])
    assert saved_meanwhile  # the other desk did save, while the export ran
    requests = {row["number"] for row in _read(report.folder / "requests.csv")}
    events = {row["number"] for row in _read(report.folder / "request_events.csv")}
    assert requests == events == {before}
