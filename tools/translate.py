"""Extract the strings, fill Chinese translations from JSON files, compile the catalogs.

    .venv/bin/python tools/translate.py [zh.json ...]

Each JSON file maps an English msgid to its Simplified-Chinese text. Only empty
translations are filled (``--force`` overwrites). Several people (or helpers)
may run this at once: a lock file serialises the extract/update/compile steps.
"""

from __future__ import annotations

import fcntl
import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALE = ROOT / "deskapp" / "locale"
ZH_PO = LOCALE / "zh_CN" / "LC_MESSAGES" / "deskapp.po"
BIN = Path(sys.executable).parent


def run(*args: str) -> None:
    subprocess.run([str(BIN / args[0]), *args[1:]], cwd=ROOT, check=True)


def main(argv: list[str]) -> int:
    force = "--force" in argv
    files = [Path(arg) for arg in argv if arg != "--force"]
    translations: dict[str, str] = {}
    for file in files:
        translations.update(json.loads(file.read_text(encoding="utf-8")))
    with open("/tmp/deskapp-translate.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        pot = str(LOCALE / "deskapp.pot")
        run("pybabel", "-q", "extract", "-F", "babel.cfg", "-k", "_", "-k", "N_", "-o", pot,
            "--no-location", "--sort-output", "--project", "deskapp", "deskapp")
        run("pybabel", "-q", "update", "-i", pot, "-d", str(LOCALE), "-D", "deskapp",
            "--no-fuzzy-matching", "--ignore-obsolete")
        with ZH_PO.open("rb") as handle:
            catalog = read_po(handle, locale="zh_CN")
        filled, missing = 0, []
        for message in catalog:
            if not message.id or not isinstance(message.id, str):
                continue
            if message.id in translations and (force or not message.string):
                message.string = translations[message.id]
                filled += 1
            if not message.string:
                missing.append(message.id)
        with ZH_PO.open("wb") as handle:
            write_po(handle, catalog, sort_output=True, width=100, omit_header=False)
        run("pybabel", "-q", "compile", "-d", str(LOCALE), "-D", "deskapp", "--use-fuzzy")
    print(f"filled {filled}; still without Chinese: {len(missing)}")
    for msgid in missing:
        print("  ", json.dumps(msgid, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
