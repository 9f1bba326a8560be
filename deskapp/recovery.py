"""Drafts kept through a crash: what a form held when the desk stopped unexpectedly.

When an error nobody foresaw ends the app (``DeskApp._handle_exception``), every
task screen that holds typing writes it here first; the screen reads it back the
next time it opens, so the call being typed is not lost. One JSON file a screen,
under ``<data folder>/recovery/``, taken (read and removed) when restored.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def recovery_folder(data_dir: Path) -> Path:
    return Path(data_dir) / "recovery"


def keep(data_dir: Path, name: str, draft: dict[str, Any]) -> Path:
    """Write ``draft`` for screen ``name`` (beside its final name, then renamed)."""
    folder = recovery_folder(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{name}.json"
    partial = target.with_suffix(".json.partial")
    partial.write_text(json.dumps(draft, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(partial, target)
    return target


def take(data_dir: Path, name: str) -> dict[str, Any] | None:
    """The draft kept for screen ``name``, removed from disk; ``None`` when there is none."""
    target = recovery_folder(data_dir) / f"{name}.json"
    try:
        draft = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    target.unlink(missing_ok=True)
    return draft if isinstance(draft, dict) else None
