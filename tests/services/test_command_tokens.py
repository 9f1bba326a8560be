"""Command tokens: a secret only the file holds, acting for one manager at one site until
revoked, each use recorded; and who may act for a command (``act_as``). Both engines."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from sqlmodel import select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import AuthError, Conflict, DeskError, NotFound
from deskapp.models import AuditEntry, CommandToken
from deskapp.services import command_tokens, operators, sites
from deskapp.services.acting import Acting
from tests.support import Staff, staff_fixture  # noqa: F401 (fixtures)


def made(desk: Desk, staff: Staff, label: str = "nightly") -> tuple[int, str]:
    with transaction(desk.engine) as session:
        token, secret = command_tokens.create_token(
            session, acting=Acting(desk.site_id, staff.manager), label=label, now=desk.clock.now())
        assert token.id is not None
        return token.id, secret


def act(desk: Desk, secret: str, *, site_id: int | None = None) -> str:
    with transaction(desk.engine) as session:
        return command_tokens.act_with_token(
            session, acting=Acting(site_id or desk.site_id), secret=secret, now=desk.clock.now(),
            command="sweep").login


def test_the_database_keeps_only_the_secrets_sha256(desk: Desk, staff: Staff) -> None:
    token_id, secret = made(desk, staff)
    assert len(secret) >= 43  # 32 random bytes, URL-safe
    with reading(desk.engine) as session:
        row = session.get(CommandToken, token_id)
        assert row is not None
        assert row.secret_sha256 == hashlib.sha256(secret.encode()).hexdigest()
        assert row.operator_id == staff.manager.id and row.label == "nightly"
        trail = " ".join(f"{entry.before} {entry.after}" for entry in
                         session.exec(select(AuditEntry)).all())
    assert secret not in trail


def test_a_token_acts_for_its_manager_and_records_the_use(desk: Desk, staff: Staff) -> None:
    token_id, secret = made(desk, staff)
    assert act(desk, secret) == "chenjie"
    with reading(desk.engine) as session:
        row = session.get(CommandToken, token_id)
        assert row is not None and row.last_used_at is not None
        entry = session.exec(select(AuditEntry).where(
            AuditEntry.action == command_tokens.COMMAND_ACTION)).one()
    assert entry.actor == "chenjie" and entry.site_id == desk.site_id


@pytest.mark.parametrize("who", ["operator", "supervisor", "guard"])
def test_only_a_manager_makes_a_token(desk: Desk, staff: Staff, who: str) -> None:
    with transaction(desk.engine) as session, pytest.raises(AuthError, match="The role of"):
        command_tokens.create_token(session, acting=Acting(desk.site_id, getattr(staff, who)),
                                    label="x",
                                    now=desk.clock.now())


def test_refusals_unknown_revoked_other_site(desk: Desk, staff: Staff) -> None:
    with pytest.raises(AuthError, match="holds no token of this database"):
        act(desk, "not-a-token")
    token_id, secret = made(desk, staff)
    with transaction(desk.engine) as session:
        north = sites.add_site(session, code="north", name="北区", now=desk.clock.now())
    with pytest.raises(AuthError, match="was made for site main"):
        act(desk, secret, site_id=north.id)
    with transaction(desk.engine) as session:
        command_tokens.revoke_token(session, acting=Acting(desk.site_id, staff.manager),
                                    token_id=token_id,
                                    now=desk.clock.now())
    with pytest.raises(AuthError, match="was revoked"):
        act(desk, secret)
    with transaction(desk.engine) as session, pytest.raises(Conflict):
        command_tokens.revoke_token(session, acting=Acting(desk.site_id, staff.manager),
                                    token_id=token_id,
                                    now=desk.clock.now())
    with transaction(desk.engine) as session, pytest.raises(NotFound):
        command_tokens.revoke_token(session, acting=Acting(north.id or 0, staff.manager),
                                    token_id=token_id,
                                    now=desk.clock.now())


def test_a_disabled_manager_is_no_one_to_act_for(desk: Desk, staff: Staff) -> None:
    _token_id, secret = made(desk, staff)
    with transaction(desk.engine) as session:
        # The last active manager is not disabled (operators.disable_operator): another
        # one is named first, and the site keeps a manager to sign in for its commands.
        operators.add_operator(session, acting=Acting(desk.site_id), login="boss",
                               role="manager", display_name="经理", secret="9999",
                               now=desk.clock.now())
        operators.disable_operator(session, acting=Acting(desk.site_id), login="chenjie",
                                   reason="left", now=desk.clock.now())
        assert command_tokens.site_has_manager(session, acting=Acting(desk.site_id))
    with pytest.raises(AuthError, match="no longer an active manager"):
        act(desk, secret)
    with transaction(desk.engine) as session, pytest.raises(AuthError):
        command_tokens.act_as(session, acting=Acting(desk.site_id),
                              operator_id=staff.manager.id or 0,
                              command="sweep", now=desk.clock.now())


def test_act_as_holds_the_signed_in_operator_to_the_role(desk: Desk, staff: Staff) -> None:
    with transaction(desk.engine) as session:
        assert command_tokens.act_as(session, acting=Acting(desk.site_id),
                                     operator_id=staff.manager.id or 0, command="sweep",
                                     now=desk.clock.now()).login == "chenjie"
    with transaction(desk.engine) as session, pytest.raises(AuthError, match="is supervisor"):
        command_tokens.act_as(session, acting=Acting(desk.site_id),
                              operator_id=staff.supervisor.id or 0, command="sweep",
                              now=desk.clock.now())


def test_the_token_file_is_new_private_and_read_only_when_private(tmp_path: Path) -> None:
    path = tmp_path / "nightly.token"
    old = os.umask(0)
    try:
        command_tokens.write_token_file(path, "s3cret")
    finally:
        os.umask(old)
    assert (path.stat().st_mode & 0o777) == 0o600
    assert command_tokens.read_token_file(path) == "s3cret"
    with pytest.raises(Conflict, match="never overwritten"):
        command_tokens.write_token_file(path, "other")
    assert command_tokens.read_token_file(path) == "s3cret"
    path.chmod(0o640)
    with pytest.raises(AuthError, match=f"mode 640\\): run chmod 600 {path}"):
        command_tokens.read_token_file(path)
    with pytest.raises(DeskError, match="does not exist"):
        command_tokens.read_token_file(tmp_path / "missing")


def test_a_token_file_is_refused_through_a_link_or_of_another_owner(tmp_path: Path) -> None:
    path = tmp_path / "nightly.token"
    command_tokens.write_token_file(path, "s3cret")
    link = tmp_path / "link.token"
    link.symlink_to(path)
    with pytest.raises(AuthError, match="which is a link"):
        command_tokens.read_token_file(link)
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(AuthError, match="not a file"):
        command_tokens.read_token_file(folder)
    if os.geteuid() == 0:  # only root can give a file away: the suite runs as root here
        os.chown(path, 4321, 4321)
        with pytest.raises(AuthError, match="belongs to another user"):
            command_tokens.read_token_file(path)
