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
from tests.services.test_export import _export, _operator, _read, _request


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
