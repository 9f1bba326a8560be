"""The command line's sign-in in the tests: a manager, and a token file standing for them.

Every command that reads personal data or changes state takes a manager's sign-in
(docs/operations.md). The tests give it as cron does, with a token file named in
``DESKAPP_TOKEN_FILE`` (``sign_in_as``); ``tests/cli/test_signin.py`` goes through the
PIN prompt as well.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from deskapp.cli import build_cli
from deskapp.config import load_settings
from deskapp.db import transaction
from deskapp.desk import open_desk
from deskapp.services import command_tokens, operators
from deskapp.services.acting import Acting

MANAGER_PIN = "9999"


@pytest.fixture(autouse=True)
def _no_sign_in_from_outside(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's own environment signs no test in."""
    for name in ("DESKAPP_TOKEN_FILE", "DESKAPP_AS", "DESKAPP_PIN_FILE"):
        monkeypatch.delenv(name, raising=False)
    yield


def add_first_manager(data_dir: Path, login: str = "boss", *, pin: str = MANAGER_PIN,
                      site: str | None = None) -> None:
    """The site's first manager, through the command, as on a new database (no sign-in)."""
    where = ["--site", site] if site else []
    result = CliRunner().invoke(build_cli(), ["--data-dir", str(data_dir), *where, "operator",
                                              "add", login, "--name", "经理", "--role",
                                              "manager", "--pin", pin])
    assert result.exit_code == 0, result.output


def make_token(data_dir: Path, login: str, *, out: Path | None = None, site: str = "main",
               database_url: str | None = None, label: str = "tests") -> Path:
    """A token file for the manager ``login``, made through the service (mode 600)."""
    settings = load_settings(data_dir=data_dir, database_url=database_url, site_code=site,
                             password_hash_profile="cheapest")
    desk = open_desk(settings)
    path = out or data_dir.parent / f"{data_dir.name}.{site}.{login}.token"
    try:
        with transaction(desk.engine) as session:
            actor = operators.get_operator(session, acting=Acting(desk.site_id), login=login)
            _token, secret = command_tokens.create_token(
                session, acting=Acting(desk.site_id, actor), label=label, now=desk.clock.now())
            command_tokens.write_token_file(path, secret)
    finally:
        desk.engine.dispose()
    return path


SignInAs = Callable[..., Path]


@pytest.fixture
def sign_in_as(monkeypatch: pytest.MonkeyPatch) -> SignInAs:
    """``sign_in_as(data_dir, login)``: every command of the test acts as that manager,
    through a token file in ``DESKAPP_TOKEN_FILE``; returns the file."""

    def sign(data_dir: Path, login: str, **options: object) -> Path:
        path = make_token(data_dir, login, **options)  # type: ignore[arg-type]
        monkeypatch.setenv("DESKAPP_TOKEN_FILE", str(path))
        return path

    return sign


@pytest.fixture
def managed(tmp_path: Path, sign_in_as: SignInAs) -> Path:
    """An empty data folder (cheap hashes) whose site has a manager ``boss``, signed in."""
    folder = tmp_path / "data"
    folder.mkdir()
    (folder / "settings.toml").write_text('password_hash_profile = "cheapest"\n')
    add_first_manager(folder)
    sign_in_as(folder, "boss")
    return folder
