"""Translation of every string a person reads (gettext catalogs, en and zh_CN).

Source strings are English. ``_`` looks a string up in the current language at
call time, so a language switch takes effect on the next render. ``N_`` marks
a string for the catalog where it must stay untranslated until shown (class
attributes, bindings); such strings are passed through ``_`` when displayed.
"""

from __future__ import annotations

import gettext
from pathlib import Path

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
DOMAIN = "deskapp"

_current_language = "en"
_translations: dict[str, gettext.NullTranslations] = {}


def _load(language: str) -> gettext.NullTranslations:
    if language not in _translations:
        _translations[language] = gettext.translation(
            DOMAIN, localedir=LOCALE_DIR, languages=[language], fallback=True
        )
    return _translations[language]


def set_language(language: str) -> None:
    """Switch the interface language for everything rendered from now on."""
    global _current_language
    translations = _load(language)
    if language != "en" and isinstance(translations, gettext.NullTranslations) and not isinstance(
        translations, gettext.GNUTranslations
    ):
        from deskapp.errors import StorageError

        raise StorageError(
            f"No compiled message catalog for {language} in {LOCALE_DIR}: "
            "reinstall deskapp (make run) or run make messages."
        )
    _current_language = language


def current_language() -> str:
    return _current_language


def _(message: str) -> str:
    """The message in the current language (the English source when untranslated)."""
    return _load(_current_language).gettext(message)


def counted(count: int, one: str, many: str) -> str:
    """``one`` (an ``N_`` msgid for exactly one thing) or ``many`` (with ``{count}``),
    translated and filled in: "1 parcel", "2 parcels"; Chinese needs no plural."""
    return _(one if count == 1 else many).format(count=count)


def N_(message: str) -> str:
    """Mark ``message`` for extraction without translating it now."""
    return message
