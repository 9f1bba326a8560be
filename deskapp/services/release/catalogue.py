"""The large-item catalogue (大件物品): typed items matched in Chinese and English.

Each entry of ``Settings.large_item_catalogue`` is ``中文名/English name/other
names…``. A typed description is that item when it contains one of its names:
"三人沙发" holds 沙发, "a tea table" holds "tea table". Text is compared after
NFKC folding (full-width letters), case folding and collapsed spaces; a Latin
name must stand as a word (with an optional plural), so "safety helmet" is not a
safe. The longest name found wins.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from deskapp.config import Settings


@dataclass(frozen=True)
class Entry:
    chinese: str
    english: str
    names: tuple[str, ...]

    @property
    def label(self) -> str:
        """How the entry is kept on a line: ``沙发/sofa``."""
        return f"{self.chinese}/{self.english}"


def normalise(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return re.sub(r"\s+", " ", folded).strip()


@lru_cache(maxsize=8)
def entries(catalogue: tuple[str, ...]) -> tuple[Entry, ...]:
    made = []
    for raw in catalogue:
        names = tuple(name.strip() for name in raw.split("/") if name.strip())
        if not names:
            continue
        english = names[1] if len(names) > 1 else names[0]
        made.append(Entry(chinese=names[0], english=english, names=names))
    return tuple(made)


def _pattern(name: str) -> re.Pattern[str]:
    wanted = normalise(name)
    if wanted.isascii():
        return re.compile(rf"(?<![a-z0-9]){re.escape(wanted)}(?:s|es)?(?![a-z0-9])")
    return re.compile(re.escape(wanted))


@lru_cache(maxsize=512)
def _compiled(name: str) -> re.Pattern[str]:
    return _pattern(name)


def match(description: str, settings: Settings) -> Entry | None:
    """The catalogue entry the typed item is, or None."""
    text = normalise(description)
    best: tuple[int, Entry] | None = None
    for entry in entries(settings.large_item_catalogue):
        for name in entry.names:
            if _compiled(name).search(text) and (best is None or len(name) > best[0]):
                best = (len(name), entry)
    return best[1] if best else None


def is_large(description: str, flagged: bool, settings: Settings) -> tuple[bool, str]:
    """Whether a line is large (matched or flagged by hand) and the entry it matched."""
    entry = match(description, settings)
    return (flagged or entry is not None), (entry.label if entry else "")
