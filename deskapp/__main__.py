"""``python -m deskapp``; and the quick way into the desk.

``deskapp`` with no command (at most the options ``--data-dir``, ``--database-url``,
``--lang`` and ``--site``) opens the desk without the command line's machinery: typer
(60-90 ms in a terminal) and the database layer are not imported before the sign-in
screen is drawn (docs/performance.md, Cold start). Anything else (a command,
``--help``, an option typer must judge) goes to ``deskapp.cli``, as before.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from contextlib import suppress
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from deskapp.config import Settings
    from deskapp.desk import Desk

#: The options of ``deskapp`` itself (``deskapp.cli``'s top-level callback), by the
#: ``load_settings`` argument each one sets.
DESK_OPTIONS = {
    "--database-url": "database_url",
    "--data-dir": "data_dir",
    "--lang": "language",
    "--site": "site_code",
}


def desk_options(argv: list[str]) -> dict[str, str] | None:
    """The top-level options when ``argv`` only opens the desk; ``None`` for anything
    else, which the command line (typer) parses and answers as it always has."""
    options: dict[str, str] = {}
    index = 0
    while index < len(argv):
        name, equals, value = argv[index].partition("=")
        if name not in DESK_OPTIONS:
            return None
        if not equals:
            if index + 1 >= len(argv) or argv[index + 1].startswith("-"):
                return None  # typer says what is missing
            index += 1
            value = argv[index]
        options[DESK_OPTIONS[name]] = value
        index += 1
    return options


def hold_typing() -> Callable[[], None]:
    """Keys typed while the desk starts (a name, Tab, PIN and Enter right after the
    command) wait for the app as typed: not echoed on the terminal (a PIN would stay
    in its scrollback), Enter kept as Enter (the terminal would make it ctrl+j), no line
    buffering. Returns what puts the terminal back as it was; Textual sets its own mode
    meanwhile and restores this one when it ends."""
    if not sys.stdin.isatty():
        return lambda: None
    import termios

    fd = sys.stdin.fileno()
    try:
        before = termios.tcgetattr(fd)
        held = termios.tcgetattr(fd)
        held[0] &= ~termios.ICRNL
        held[3] &= ~(termios.ECHO | termios.ICANON)
        termios.tcsetattr(fd, termios.TCSANOW, held)  # NOW: what is typed stays queued
    except termios.error:
        return lambda: None

    def restore() -> None:
        with suppress(termios.error):
            termios.tcsetattr(fd, termios.TCSADRAIN, before)

    return restore


_restore_terminal: Callable[[], None] = lambda: None  # noqa: E731


def _fail(message: str) -> int:
    """One line on the terminal, as the app prints a desk it cannot open."""
    from deskapp.app import print_refusal

    return print_refusal(message)


def _first_run(settings: Settings) -> Desk:
    """The first start of an empty database, on the terminal: the CLI's own dialogue
    (``deskapp.cli._first_run``), its refusals ending the process as they end a
    command."""
    import typer

    from deskapp.cli import _first_run as on_terminal

    _restore_terminal()  # the questions are answered on the terminal as it was
    try:
        desk: Desk = on_terminal(settings)
    except typer.Exit as done:
        raise SystemExit(done.exit_code) from None
    except typer.Abort:
        print("\nAborted!", file=sys.stderr)
        raise SystemExit(1) from None
    return desk


def open_the_desk(options: dict[str, str]) -> int:
    """``deskapp`` with ``options`` only: the desk in this terminal; the exit status."""
    global _restore_terminal
    _restore_terminal = hold_typing()
    try:
        return _open_the_desk(options)
    finally:
        _restore_terminal()


def _open_the_desk(options: dict[str, str]) -> int:
    from deskapp import i18n
    from deskapp.config import load_settings, normalize_language
    from deskapp.errors import DeskError

    early = options.get("language") or os.environ.get("DESKAPP_LANG", "")
    if early:  # the settings' own errors in the language asked for (cli._early_language)
        with suppress(DeskError):
            i18n.set_language(normalize_language(early))
    try:
        settings = load_settings(**options)
        i18n.set_language(settings.language)
    except DeskError as error:
        return _fail(error.message)
    from deskapp.app import run_desk

    return run_desk(settings, first_run=_first_run)


def main() -> None:
    options = desk_options(sys.argv[1:])
    if options is None:
        from deskapp.cli import main as command_line

        command_line()
        return
    try:
        status = open_the_desk(options)
    except KeyboardInterrupt:  # ctrl+c before the sign-in screen took the keys
        print("\nAborted!", file=sys.stderr)
        status = 130
    sys.exit(status)


if __name__ == "__main__":
    main()
