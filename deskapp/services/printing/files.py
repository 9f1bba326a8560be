"""Printouts saved as files: ``<name>.pdf`` beside ``<name>.txt``."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Literal

from deskapp.services.printing.document import PrintDocument

_UNSAFE = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')
MAX_NAME_LENGTH = 100


def safe_file_name(name: str) -> str:
    """``name`` usable as a file name on Linux, macOS and Windows (Chinese kept)."""
    cleaned = _UNSAFE.sub("_", name).strip(" .")[:MAX_NAME_LENGTH].strip(" .")
    return cleaned or "print"


def save_print(
    doc: PrintDocument,
    *,
    folder: Path,
    name: str,
    paper: Literal["a4", "receipt80"] = "a4",
    width: int = 32,
    encoding: str | None = None,
    errors: Literal["strict", "replace"] = "strict",
) -> tuple[Path, Path]:
    """Write ``<name>.pdf`` and ``<name>.txt`` into ``folder`` (created); return both paths.

    Both are rendered before either is written, and each file appears whole
    (written aside, then renamed), so a refusal leaves nothing half-written.
    The text file is UTF-8, or ``encoding`` when given (what the printer takes).
    ``errors="replace"``: characters the font or encoding lacks print as a
    placeholder (the operator agreed) instead of refusing the print.
    """
    from deskapp.services.printing import render_pdf
    from deskapp.services.printing.text import render_text

    pdf_bytes = render_pdf(doc, paper=paper, errors=errors)
    text = render_text(doc, width=width, encoding=encoding, errors=errors)
    text_bytes = text.encode(encoding or "utf-8")
    folder.mkdir(parents=True, exist_ok=True)
    stem = safe_file_name(name)
    pdf_path = folder / f"{stem}.pdf"
    text_path = folder / f"{stem}.txt"
    _write_whole(pdf_path, pdf_bytes)
    _write_whole(text_path, text_bytes)
    return pdf_path, text_path


def _write_whole(path: Path, data: bytes) -> None:
    handle, scratch = tempfile.mkstemp(dir=path.parent, prefix=".print-", suffix=path.suffix)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(scratch, path)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise
