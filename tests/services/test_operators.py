"""Operators: PIN hashes, sign-in, the lockout at its boundaries, disabling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import AuthError, Conflict, InvalidInput
from deskapp.models import AuditEntry, Operator
from deskapp.services import operators
from deskapp.services.clock import FixedClock


def _add(desk: Desk, login: str = "wang", role: str = "operator", pin: str = "1234") -> None:
    with transaction(desk.engine) as session:
        operators.add_operator(
            session, site_id=desk.site_id, login=login, display_name="王芳", role=role,
            secret=pin, now=desk.clock.now(), actor=None,
        )


def _sign_in(desk: Desk, pin: str, login: str = "wang") -> Operator:
    with transaction(desk.engine) as session:
        return operators.sign_in(
            session, site_id=desk.site_id, login=login, secret=pin, now=desk.clock.now(),
            max_failures=5, lockout=timedelta(minutes=15),
        )


def test_pin_is_stored_only_as_a_hash_and_never_in_the_audit(desk: Desk) -> None:
    _add(desk, pin="739146")
    with reading(desk.engine) as session:
        operator = session.exec(select(Operator)).one()
        entries = session.exec(select(AuditEntry)).all()
    assert operator.secret_hash.startswith("$argon2id$")
    assert "739146" not in operator.secret_hash
    assert all("739146" not in entry.after and "argon2" not in entry.after for entry in entries)


@pytest.mark.parametrize(
    ("login", "role", "pin", "field"),
    [("x", "operator", "1234", "login"), ("wang li", "operator", "1234", "login"),
     ("wang", "boss", "1234", "role"), ("wang", "operator", "123", "secret")],
)
def test_bad_operator_input_is_refused_on_its_field(
    desk: Desk, login: str, role: str, pin: str, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        _add(desk, login=login, role=role, pin=pin)
    assert refused.value.field == field


def test_duplicate_login_is_refused(desk: Desk) -> None:
    _add(desk)
    with pytest.raises(Conflict):
        _add(desk, login="WANG")


def test_wrong_pin_says_how_many_tries_are_left(desk: Desk) -> None:
    _add(desk)
    with pytest.raises(AuthError, match="4 tries left"):
        _sign_in(desk, "0000")
    with reading(desk.engine) as session:
        operator = session.exec(select(Operator)).one()
    assert operator.failed_sign_ins == 1, "the failure survives the caller's rollback"


def test_right_pin_resets_the_failure_count(desk: Desk) -> None:
    _add(desk)
    for _attempt in range(4):
        with pytest.raises(AuthError):
            _sign_in(desk, "0000")
    assert _sign_in(desk, "1234").failed_sign_ins == 0
    with pytest.raises(AuthError, match="4 tries left"):
        _sign_in(desk, "0000")


def test_fifth_wrong_pin_locks_out_until_exactly_the_end_of_the_lockout(
    desk: Desk, clock: FixedClock
) -> None:
    _add(desk)
    for _attempt in range(4):
        with pytest.raises(AuthError, match="tries left"):
            _sign_in(desk, "0000")
    with pytest.raises(AuthError, match="locked for 15 minutes"):
        _sign_in(desk, "0000")
    clock.advance(timedelta(minutes=14, seconds=59))
    with pytest.raises(AuthError, match="locked"):
        _sign_in(desk, "1234")
    clock.advance(timedelta(seconds=1))
    assert _sign_in(desk, "1234").login == "wang"


def test_unknown_login_gets_the_same_answer_as_a_wrong_pin(desk: Desk) -> None:
    with pytest.raises(AuthError, match="Wrong sign-in name or PIN"):
        _sign_in(desk, "1234", login="nobody")


def test_disabled_operator_cannot_sign_in_and_disabling_needs_a_reason(desk: Desk) -> None:
    _add(desk)
    with transaction(desk.engine) as session, pytest.raises(InvalidInput):
        operators.disable_operator(
            session, site_id=desk.site_id, login="wang", reason=" ", now=desk.clock.now(),
            actor=None,
        )
    with transaction(desk.engine) as session:
        operators.disable_operator(
            session, site_id=desk.site_id, login="wang", reason="left", now=desk.clock.now(),
            actor=None,
        )
    with pytest.raises(AuthError, match="disabled"):
        _sign_in(desk, "1234")


def test_only_a_supervisor_unlocks_and_attempts_are_audited(desk: Desk) -> None:
    _add(desk)
    _add(desk, login="zhao", role="supervisor")
    for _attempt in range(5):
        with pytest.raises(AuthError):
            _sign_in(desk, "0000")
    with transaction(desk.engine) as session:
        clerk = operators.get_operator(session, site_id=desk.site_id, login="wang")
        with pytest.raises(AuthError):
            operators.unlock_operator(
                session, site_id=desk.site_id, login="wang", now=desk.clock.now(), actor=clerk
            )
    with transaction(desk.engine) as session:
        boss = operators.get_operator(session, site_id=desk.site_id, login="zhao")
        operators.unlock_operator(
            session, site_id=desk.site_id, login="wang", now=desk.clock.now(), actor=boss
        )
    assert _sign_in(desk, "1234").login == "wang"
    with reading(desk.engine) as session:
        actions = [entry.action for entry in session.exec(select(AuditEntry)).all()]
    assert actions.count("operator.sign_in_failed") == 4
    assert {"operator.lockout", "operator.unlock", "operator.sign_in"} <= set(actions)
