"""The embedded Chinese font (Noto Sans SC from pylopdf-fonts-zh-cn), loaded once.

The PDF carries a subset of this font, so it shows Chinese on a machine with
no Chinese font installed. Parsing the 16 MB OpenType font costs ~0.2 s, so
the parsed font is kept for the life of the process and each new PDF gets a
copy with fresh per-document state (fpdf2 subsets the font in place when it
writes a PDF, so that part cannot be shared). Should a future fpdf2 change its
font object, ``attach_font`` falls back to fpdf2's own ``add_font``.
"""

from __future__ import annotations

import copy
import importlib.resources
import logging
import threading
from functools import cache
from io import BytesIO
from pathlib import Path
from typing import Any

FONT_FAMILY = "notosanssc"
FONT_PACKAGE = "pylopdf_fonts_zh_cn"
FONT_FILE = "NotoSansSC-Regular.otf"

_log = logging.getLogger(__name__)
_lock = threading.Lock()
_template: Any = None


@cache
def font_path() -> Path:
    """Where the installed font file lives (a plain file inside site-packages)."""
    resource = importlib.resources.files(FONT_PACKAGE) / FONT_FILE
    return Path(str(resource))


@cache
def _font_bytes() -> bytes:
    return font_path().read_bytes()


@cache
def font_codepoints() -> frozenset[int]:
    """Every code point the font has a glyph for."""
    from fontTools.ttLib import TTFont

    return frozenset(TTFont(BytesIO(_font_bytes()), lazy=True).getBestCmap())


def missing_glyphs(texts: list[str] | str) -> str:
    """The distinct printable characters the font lacks, in order of appearance.

    fpdf2 drops such characters silently, so callers check first.
    """
    if isinstance(texts, str):
        texts = [texts]
    have = font_codepoints()
    seen: dict[str, None] = {}
    for text in texts:
        for char in text:
            if ord(char) not in have and not char.isspace() and char not in seen:
                seen[char] = None
    return "".join(seen)


def _load_template() -> Any:
    global _template
    with _lock:
        if _template is None:
            from fpdf import FPDF

            scratch = FPDF()
            scratch.add_font(FONT_FAMILY, fname=str(font_path()))
            _template = scratch.fonts[FONT_FAMILY]
        return _template


def attach_font(pdf: Any) -> None:
    """Give ``pdf`` the Chinese font as family ``FONT_FAMILY``, reusing the parsed font."""
    try:
        from fontTools.ttLib import TTFont
        from fpdf.fonts import SubsetMap

        template = _load_template()
        font = copy.copy(template)
        font.i = len(pdf.fonts) + 1
        # The subsetter rewrites this object when the PDF is written: one per document.
        font.ttfont = TTFont(BytesIO(_font_bytes()), recalcTimestamp=False, lazy=True)
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        font._hbfont = None
        pdf.fonts[FONT_FAMILY] = font
        if font.is_cff and font.is_cid_keyed:
            pdf._set_min_pdf_version("1.6")
    except (AttributeError, ImportError, TypeError) as error:  # fpdf2 internals moved
        _log.warning("falling back to loading the font per document: %s", error)
        pdf.fonts.pop(FONT_FAMILY, None)
        pdf.add_font(FONT_FAMILY, fname=str(font_path()))
