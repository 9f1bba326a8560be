"""Every string a person reads exists in both catalogs, translated, and compiled."""

from __future__ import annotations

import gettext
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from deskapp.i18n import LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent / "deskapp"
PLACEHOLDER = re.compile(r"\{(\w*)\}")


def _source_messages() -> set[str]:
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=[("**.py", "python")], keywords={"_": None, "N_": None}
    ):
        if isinstance(message, str) and message:
            found.add(message)
    return found


def _catalog(language: str) -> dict[str, str]:
    path = LOCALE_DIR / language / "LC_MESSAGES" / "deskapp.po"
    with path.open("rb") as handle:
        catalog = read_po(handle)
    return {str(message.id): str(message.string or "") for message in catalog if message.id}


def test_every_source_string_is_in_both_catalogs() -> None:
    source = _source_messages()
    assert len(source) > 100
    for language in ("en", "zh_CN"):
        missing = sorted(source - set(_catalog(language)))
        assert not missing, f"{language} catalog lacks {missing[:10]} (run make messages)"


def test_every_chinese_translation_is_filled_and_keeps_its_placeholders() -> None:
    chinese = _catalog("zh_CN")
    for message in _source_messages():
        translated = chinese.get(message, "")
        assert translated, f"no Chinese for {message!r}"
        assert sorted(PLACEHOLDER.findall(translated)) == sorted(PLACEHOLDER.findall(message)), (
            f"placeholders differ in {message!r} → {translated!r}"
        )


def test_compiled_catalog_matches_the_po_file() -> None:
    compiled = gettext.translation("deskapp", localedir=LOCALE_DIR, languages=["zh_CN"])
    for message, translated in _catalog("zh_CN").items():
        assert compiled.gettext(message) == translated, f"stale .mo for {message!r}: make messages"
