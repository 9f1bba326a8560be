"""Operators: adding, disabling, unlocking, and signing in with a PIN behind a lockout."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text
from sqlmodel import col, func, select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import AuthError, Conflict, InvalidInput
from deskapp.models import AuditEntry, Operator, Unit
from deskapp.services import directory, operators
from deskapp.services.acting import Acting
from deskapp.services.clock import FixedClock, as_utc

PIN = "2468"
WRONG = "1357"


def _add(
    desk: Desk,
    login: str = "li.na",
    *,
    role: str = "operator",
    secret: str = PIN,
    display_name: str = "李娜",
    actor: Operator | None = None,
) -> Operator:
    with transaction(desk.engine) as session:
        return operators.add_operator(
            session, acting=Acting(desk.site_id, actor), login=login, display_name=display_name,
            role=role,
            secret=secret, now=desk.clock.now(),
        )


def _sign_in(desk: Desk, login: str = "li.na", secret: str = PIN) -> Operator:
    with transaction(desk.engine) as session:
        return operators.sign_in(
            session, acting=Acting(desk.site_id), login=login, secret=secret, now=desk.clock.now(),
            max_failures=desk.settings.max_failed_sign_ins, lockout=desk.lockout,
        )


def _refused(desk: Desk, login: str = "li.na", secret: str = WRONG) -> AuthError:
    with pytest.raises(AuthError) as refusal:
        _sign_in(desk, login, secret)
    return refusal.value


def _refused_with(desk: Desk, *, lockout: timedelta) -> AuthError:
    with pytest.raises(AuthError) as refusal, transaction(desk.engine) as session:
        operators.sign_in(session, acting=Acting(desk.site_id), login="li.na", secret=WRONG,
                          now=desk.clock.now(), max_failures=5, lockout=lockout)
    return refusal.value


def _stored(desk: Desk, login: str = "li.na") -> Operator:
    with reading(desk.engine) as session:
        return operators.get_operator(session, acting=Acting(desk.site_id), login=login)


def _lock_out(desk: Desk, login: str = "li.na") -> AuthError:
    for _attempt in range(desk.settings.max_failed_sign_ins - 1):
        _refused(desk, login)
    return _refused(desk, login)


def _actions(desk: Desk) -> list[str]:
    with reading(desk.engine) as session:
        return list(
            session.exec(select(AuditEntry.action).order_by(col(AuditEntry.seq))).all()
        )


def _operator_count(desk: Desk) -> int:
    with reading(desk.engine) as session:
        return int(session.exec(select(func.count()).select_from(Operator)).one())


# --- adding ---------------------------------------------------------------------------


def test_added_operator_is_stored_with_a_lowercase_login_and_audited(desk: Desk) -> None:
    _add(desk, " Li.Na ", role=" Supervisor ")
    stored = _stored(desk, "li.na")
    assert stored.login == "li.na"
    assert stored.role == "supervisor"
    assert stored.active and stored.failed_sign_ins == 0 and stored.locked_until is None
    assert _actions(desk) == ["site.create", "operator.add"]


def test_a_second_operator_with_the_same_login_is_refused_and_nothing_is_written(
    desk: Desk,
) -> None:
    _add(desk, "li.na")
    with pytest.raises(Conflict) as refusal:
        _add(desk, "LI.NA", display_name="另一个李娜", secret="9999")
    assert refusal.value.field == "login"
    assert "li.na" in refusal.value.message
    assert _operator_count(desk) == 1
    assert _stored(desk).display_name == "李娜"
    assert _actions(desk).count("operator.add") == 1


@pytest.mark.parametrize(
    "login",
    ["", "a", "1abc", "_abc", "li na", "li@na", "李娜", "a" * 33],
)
def test_an_invalid_login_is_refused(desk: Desk, login: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        _add(desk, login)
    assert refusal.value.field == "login"
    assert _operator_count(desk) == 0


@pytest.mark.parametrize("login", ["ab", "a" * 32, "z9_.-x"])
def test_logins_of_two_to_thirty_two_allowed_characters_are_accepted(
    desk: Desk, login: str
) -> None:
    assert _add(desk, login).login == login


def test_a_pin_of_three_characters_is_refused_and_four_are_enough(desk: Desk) -> None:
    with pytest.raises(InvalidInput) as refusal:
        _add(desk, "li.na", secret="123")
    assert refusal.value.field == "secret"
    assert "4" in refusal.value.message
    assert _operator_count(desk) == 0
    _add(desk, "li.na", secret="1234")
    assert _sign_in(desk, "li.na", "1234").login == "li.na"


def test_a_secret_longer_than_128_characters_is_refused(desk: Desk) -> None:
    with pytest.raises(InvalidInput) as refusal:
        _add(desk, "li.na", secret="x" * 129)
    assert refusal.value.field == "secret"
    _add(desk, "li.na", secret="x" * 128)
    assert _operator_count(desk) == 1


@pytest.mark.parametrize("role", ["admin", "", "root", "operators"])
def test_an_unknown_role_is_refused(desk: Desk, role: str) -> None:
    with pytest.raises(InvalidInput) as refusal:
        _add(desk, "li.na", role=role)
    assert refusal.value.field == "role"
    assert _operator_count(desk) == 0


@pytest.mark.parametrize("name", ["", "   ", "名" * 65])
def test_a_display_name_that_is_empty_or_longer_than_64_is_refused(
    desk: Desk, name: str
) -> None:
    with pytest.raises(InvalidInput) as refusal:
        _add(desk, "li.na", display_name=name)
    assert refusal.value.field == "name"
    assert _operator_count(desk) == 0


def test_the_pin_is_stored_only_as_an_argon2_hash_and_never_in_the_audit(desk: Desk) -> None:
    secret = "4826-pin"  # '-' is not in argon2's base64 alphabet: cannot occur in a hash
    _add(desk, "li.na", secret=secret)
    stored = _stored(desk)
    assert stored.secret_hash.startswith("$argon2id$")
    assert secret not in stored.secret_hash
    assert PasswordHasher().verify(stored.secret_hash, secret)
    with desk.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM operator")).all()
        entries = connection.execute(text("SELECT before, after FROM audit_entry")).all()
    assert all(secret not in str(value) for row in rows for value in row)
    for before, after in entries:
        for dumped in (before, after):
            assert secret not in dumped
            assert stored.secret_hash not in dumped
            assert "secret" not in dumped
    with reading(desk.engine) as session:
        added = session.exec(select(AuditEntry).where(AuditEntry.action == "operator.add")).one()
    assert json.loads(added.after)["login"] == "li.na"


# --- signing in -----------------------------------------------------------------------


def test_the_right_pin_signs_in(desk: Desk) -> None:
    added = _add(desk)
    signed = _sign_in(desk, "Li.Na ", PIN)
    assert signed.id == added.id


def test_an_unknown_login_is_refused_like_a_wrong_pin(desk: Desk) -> None:
    _add(desk)
    refusal = _refused(desk, "nobody", PIN)
    assert isinstance(refusal, operators.SignInRefused)
    assert refusal.field == "secret"
    assert refusal.message == "Wrong sign-in name or PIN."


def test_a_wrong_pin_and_an_unknown_login_get_one_and_the_same_answer(desk: Desk) -> None:
    """No count of tries left for a known name: it would tell a stranger the name exists."""
    _add(desk)
    unknown = _refused(desk, "nobody", WRONG)
    for _attempt in range(desk.settings.max_failed_sign_ins - 1):
        wrong = _refused(desk, "li.na", WRONG)
        assert (type(wrong), wrong.message, wrong.field) == (
            type(unknown), unknown.message, unknown.field)
        assert "left" not in wrong.message


def test_the_right_pin_resets_the_failure_counter(desk: Desk) -> None:
    _add(desk)
    for _attempt in range(4):
        _refused(desk)
    assert _stored(desk).failed_sign_ins == 4
    _sign_in(desk)
    assert _stored(desk).failed_sign_ins == 0
    # Only failures in a row count: four more wrong PINs still do not lock.
    for _attempt in range(4):
        assert "locked" not in _refused(desk).message
    assert _sign_in(desk).login == "li.na"


def test_the_fifth_wrong_pin_in_a_row_locks_the_operator_out(desk: Desk) -> None:
    _add(desk)
    for _attempt in range(4):
        assert "locked" not in _refused(desk).message
        assert _stored(desk).locked_until is None
    lockout = _refused(desk)
    assert "locked for 15 minutes" in lockout.message
    stored = _stored(desk)
    assert stored.locked_until is not None
    assert as_utc(stored.locked_until) == desk.clock.now() + timedelta(minutes=15)


def test_the_right_pin_is_refused_during_a_lockout(desk: Desk) -> None:
    _add(desk)
    _lock_out(desk)
    refusal = _refused(desk, "li.na", PIN)
    assert "locked" in refusal.message
    assert _stored(desk).locked_until is not None


def test_the_lockout_ends_exactly_after_the_lockout_minutes(
    desk: Desk, clock: FixedClock
) -> None:
    _add(desk)
    _lock_out(desk)
    clock.advance(timedelta(minutes=14))
    assert "locked" in _refused(desk, "li.na", PIN).message
    clock.advance(timedelta(seconds=59))
    assert "locked" in _refused(desk, "li.na", PIN).message
    clock.advance(timedelta(seconds=1))
    assert _sign_in(desk).login == "li.na"
    assert _stored(desk).locked_until is None


def test_after_a_lockout_ends_the_count_of_wrong_pins_starts_again(
    desk: Desk, clock: FixedClock
) -> None:
    _add(desk)
    _lock_out(desk)
    clock.advance(desk.lockout)
    for _attempt in range(desk.settings.max_failed_sign_ins - 1):
        assert _refused(desk).message == "Wrong sign-in name or PIN."
    assert "locked" in _refused(desk).message


@pytest.mark.parametrize(
    ("left", "minutes"),
    [
        pytest.param(timedelta(minutes=15), "15 more minutes.", id="15m00s"),
        pytest.param(timedelta(minutes=14, seconds=30), "15 more minutes.", id="14m30s"),
        pytest.param(timedelta(minutes=1, seconds=1), "2 more minutes.", id="1m01s"),
        pytest.param(timedelta(minutes=1), "1 more minute.", id="1m00s"),
        pytest.param(timedelta(seconds=1), "1 more minute.", id="0m01s"),
    ],
)
def test_a_locked_out_operator_is_told_the_minutes_left_rounded_up_in_good_english(
    desk: Desk, clock: FixedClock, left: timedelta, minutes: str
) -> None:
    _add(desk)
    _lock_out(desk)
    clock.advance(desk.lockout - left)
    refused = _refused(desk, "li.na", PIN).message
    assert f"is locked for {minutes} A manager can unlock it now" in refused


@pytest.mark.parametrize(("lockout", "told"), [(1, "locked for 1 minute."),
                                                (2, "locked for 2 minutes.")])
def test_the_lockout_names_its_minutes_in_good_english(
    desk: Desk, lockout: int, told: str
) -> None:
    _add(desk)
    for _attempt in range(4):
        _refused_with(desk, lockout=timedelta(minutes=lockout))
    assert told in _refused_with(desk, lockout=timedelta(minutes=lockout)).message


def test_a_wrong_pin_is_remembered_although_the_callers_transaction_rolls_back(
    desk: Desk,
) -> None:
    _add(desk)
    with pytest.raises(AuthError), transaction(desk.engine) as session:
        operators.sign_in(
            session, acting=Acting(desk.site_id), login="li.na", secret=WRONG, now=desk.clock.now(),
        )
    with reading(desk.engine) as session:
        stored = operators.get_operator(session, acting=Acting(desk.site_id), login="li.na")
        assert stored.failed_sign_ins == 1
    assert _actions(desk)[-1] == "operator.sign_in_failed"


def test_a_lockout_is_remembered_although_each_callers_transaction_rolls_back(
    desk: Desk,
) -> None:
    _add(desk)
    _lock_out(desk)  # each attempt in its own transaction, each ended by the refusal
    stored = _stored(desk)
    assert stored.locked_until is not None
    assert stored.failed_sign_ins == 0


def _units(desk: Desk) -> list[str]:
    with reading(desk.engine) as session:
        return list(session.exec(select(Unit.code)).all())


def test_a_refusal_does_not_commit_the_callers_earlier_work(desk: Desk) -> None:
    """The failure has a unit of work of its own: the caller's rollback takes back
    the caller's work, and only that."""
    _add(desk)
    with pytest.raises(operators.SignInRefused), transaction(desk.engine) as session:
        directory.add_unit(session, acting=Acting(desk.site_id), code="3-2-1201",
                           now=desk.clock.now())
        operators.sign_in(session, acting=Acting(desk.site_id), login="li.na", secret=WRONG,
                          now=desk.clock.now())
    assert _units(desk) == []
    assert _stored(desk).failed_sign_ins == 1
    assert _actions(desk)[-2:] == ["operator.add", "operator.sign_in_failed"]


def test_a_refusal_leaves_the_callers_earlier_work_uncommitted_but_not_lost(
    desk: Desk,
) -> None:
    _add(desk)
    with transaction(desk.engine) as session:
        directory.add_unit(session, acting=Acting(desk.site_id), code="3-2-1201",
                           now=desk.clock.now())
        with pytest.raises(operators.SignInRefused):
            operators.sign_in(session, acting=Acting(desk.site_id), login="li.na", secret=WRONG,
                              now=desk.clock.now())
        assert _units(desk) == []  # another connection does not see it yet
        assert session.exec(select(Unit.code)).all() == ["3-2-1201"]  # the caller still has it
    assert _units(desk) == ["3-2-1201"]
    assert _stored(desk).failed_sign_ins == 1
    assert _actions(desk)[-2:] == ["unit.add", "operator.sign_in_failed"]


def test_a_disabled_operator_cannot_sign_in(desk: Desk) -> None:
    _add(desk)
    with transaction(desk.engine) as session:
        operators.disable_operator(
            session, acting=Acting(desk.site_id), login="li.na", reason="left the company",
            now=desk.clock.now(),
        )
    refusal = _refused(desk, "li.na", PIN)
    assert "disabled" in refusal.message
    assert refusal.field == "login"
    assert "operator.sign_in" not in _actions(desk)


def test_a_pin_hashed_with_cheaper_parameters_is_rehashed_at_sign_in(desk: Desk) -> None:
    _add(desk)
    old_hash = _stored(desk).secret_hash
    operators.configure_hashing("desk")
    try:
        _sign_in(desk)
    finally:
        operators.configure_hashing("cheapest")
    new_hash = _stored(desk).secret_hash
    assert new_hash != old_hash
    assert "m=65536" in new_hash
    assert _sign_in(desk).login == "li.na"


# --- the audit of sign-ins --------------------------------------------------------------


def test_sign_ins_wrong_pins_and_the_lockout_are_audited(desk: Desk) -> None:
    added = _add(desk)
    _sign_in(desk)
    _lock_out(desk)
    assert _actions(desk) == [
        "site.create",
        "operator.add",
        "operator.sign_in",
        *["operator.sign_in_failed"] * 4,
        "operator.lockout",
    ]
    with reading(desk.engine) as session:
        entries = session.exec(
            select(AuditEntry)
            .where(col(AuditEntry.action).startswith("operator.sign_in"))
            .order_by(col(AuditEntry.seq))
        ).all()
        signed, failed = entries[0], entries[1]
        lockout = session.exec(
            select(AuditEntry).where(AuditEntry.action == "operator.lockout")
        ).one()
    assert signed.operator_id == added.id and signed.actor == "li.na"
    assert failed.operator_id is None and failed.actor == "li.na"
    assert failed.entity == "operator" and failed.entity_id == str(added.id)
    assert lockout.entity_id == str(added.id) and lockout.site_id == desk.site_id


def _last_entry(desk: Desk) -> AuditEntry:
    with reading(desk.engine) as session:
        return session.exec(select(AuditEntry).order_by(col(AuditEntry.seq).desc())).first()


def test_an_attempt_with_an_unknown_login_is_audited_with_the_login_and_not_the_pin(
    desk: Desk,
) -> None:
    _refused(desk, "Stranger", "97531")
    entry = _last_entry(desk)
    assert entry.action == "operator.sign_in_unknown"
    assert entry.operator_id is None and entry.actor == "stranger"
    assert json.loads(entry.after)["login"] == "stranger"
    assert entry.site_id == desk.site_id
    assert "97531" not in entry.before + entry.after + entry.actor + entry.entity_id


def test_an_attempt_on_a_disabled_operator_is_audited(desk: Desk) -> None:
    added = _add(desk)
    with transaction(desk.engine) as session:
        operators.disable_operator(
            session, acting=Acting(desk.site_id), login="li.na", reason="left the company",
            now=desk.clock.now(),
        )
    _refused(desk, "li.na", PIN)
    entry = _last_entry(desk)
    assert entry.action == "operator.sign_in_disabled"
    assert entry.entity_id == str(added.id) and json.loads(entry.after)["login"] == "li.na"
    assert PIN not in entry.after


def test_an_attempt_during_a_lockout_is_audited_although_the_caller_rolls_back(
    desk: Desk,
) -> None:
    added = _add(desk)
    _lock_out(desk)
    _refused(desk, "li.na", PIN)
    entry = _last_entry(desk)
    assert entry.action == "operator.sign_in_locked"
    assert entry.entity_id == str(added.id) and json.loads(entry.after)["login"] == "li.na"
    assert PIN not in entry.after


def test_an_overlong_login_tried_is_audited_to_the_columns_width_with_its_length(
    desk: Desk,
) -> None:
    _refused(desk, "x" * 65, PIN)
    entry = _last_entry(desk)
    assert entry.action == "operator.sign_in_unknown"
    assert entry.actor == "x" * 64
    assert json.loads(entry.after) == {"login": "x" * 64, "login_length": 65}


# --- disabling and unlocking ------------------------------------------------------------


def test_disabling_needs_a_reason(desk: Desk) -> None:
    _add(desk)
    with pytest.raises(InvalidInput) as refusal, transaction(desk.engine) as session:
        operators.disable_operator(
            session, acting=Acting(desk.site_id), login="li.na", reason="   ",
            now=desk.clock.now(),
        )
    assert refusal.value.field == "reason"
    assert _stored(desk).active


def test_an_operator_cannot_disable_themselves(desk: Desk) -> None:
    supervisor = _add(desk, "zhang.wei", role="supervisor")
    with pytest.raises(Conflict), transaction(desk.engine) as session:
        operators.disable_operator(
            session, acting=Acting(desk.site_id, supervisor), login="zhang.wei", reason="testing",
            now=desk.clock.now(),
        )
    assert _stored(desk, "zhang.wei").active
    assert "operator.disable" not in _actions(desk)


def test_disabling_is_audited_with_the_reason_and_without_the_pin_hash(desk: Desk) -> None:
    manager = _add(desk, "zhang.wei", role="manager")  # only a manager manages operators
    _add(desk, "li.na")
    with transaction(desk.engine) as session:
        operators.disable_operator(
            session, acting=Acting(desk.site_id, manager), login="li.na", reason="离职",
            now=desk.clock.now(),
        )
    assert not _stored(desk).active
    with reading(desk.engine) as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "operator.disable")
        ).one()
    before, after = json.loads(entry.before), json.loads(entry.after)
    assert before["active"] is True and after["active"] is False
    assert after["reason"] == "离职"
    assert entry.actor == "zhang.wei"
    assert "secret_hash" not in before and "secret_hash" not in after


def test_disabling_a_disabled_operator_is_refused(desk: Desk) -> None:
    _add(desk)
    with transaction(desk.engine) as session:
        operators.disable_operator(
            session, acting=Acting(desk.site_id), login="li.na", reason="left",
            now=desk.clock.now(),
        )
    with pytest.raises(Conflict), transaction(desk.engine) as session:
        operators.disable_operator(
            session, acting=Acting(desk.site_id), login="li.na", reason="left again",
            now=desk.clock.now(),
        )
    assert _actions(desk).count("operator.disable") == 1


@pytest.mark.parametrize("role", ["operator", "guard"])
def test_only_a_supervisor_or_manager_can_unlock(desk: Desk, role: str) -> None:
    colleague = _add(desk, "wang.fang", role=role, secret="8642")
    _add(desk, "li.na")
    _lock_out(desk)
    with pytest.raises(AuthError), transaction(desk.engine) as session:
        operators.unlock_operator(
            session, acting=Acting(desk.site_id, colleague), login="li.na", now=desk.clock.now(),
        )
    assert _stored(desk).locked_until is not None
    assert "locked" in _refused(desk, "li.na", PIN).message
    assert "operator.unlock" not in _actions(desk)


@pytest.mark.parametrize("role", ["supervisor", "manager"])
def test_a_supervisor_or_manager_unlocks_at_once(desk: Desk, role: str) -> None:
    boss = _add(desk, "zhang.wei", role=role, secret="8642")
    _add(desk, "li.na")
    _lock_out(desk)
    with transaction(desk.engine) as session:
        operators.unlock_operator(
            session, acting=Acting(desk.site_id, boss), login="li.na", now=desk.clock.now(),
        )
    assert _sign_in(desk).login == "li.na"
    with reading(desk.engine) as session:
        entry = session.exec(
            select(AuditEntry).where(AuditEntry.action == "operator.unlock")
        ).one()
    assert entry.actor == "zhang.wei"


def test_the_administrator_at_the_command_line_can_unlock(desk: Desk) -> None:
    _add(desk)
    _lock_out(desk)
    with transaction(desk.engine) as session:
        operators.unlock_operator(
            session, acting=Acting(desk.site_id), login="li.na", now=desk.clock.now(),
        )
    assert _sign_in(desk).login == "li.na"


def test_a_pin_that_confirms_a_step_is_audited_as_a_confirmation(desk: Desk) -> None:
    from deskapp.services import audit as audit_service
    from deskapp.services.acting import Acting

    with transaction(desk.engine) as session:
        operators.add_operator(
            session, acting=Acting(desk.site_id), login="zhao", display_name="赵主管",
            role="supervisor", secret="1234", now=desk.clock.now(),
        )
    with transaction(desk.engine) as session:
        operators.sign_in(session, acting=Acting(desk.site_id), login="zhao", secret="1234",
                          now=desk.clock.now(), confirming=True)
    with reading(desk.engine) as session:
        last = audit_service.recent(session, acting=Acting(desk.site_id), limit=1)[0]
    assert last.action == "operator.confirm"
    assert audit_service.describe_action(last.action) == "Confirmed with PIN"


def test_the_last_active_manager_of_a_site_is_not_disabled(desk: Desk) -> None:
    # A site with no active manager takes its first one without a sign-in: a site that
    # had managers must never get back there.
    first = _add(desk, "zhang.wei", role="manager", display_name="张伟")
    _add(desk, "chen.jie", role="manager", display_name="陈杰")
    with transaction(desk.engine) as session:
        operators.disable_operator(session, acting=Acting(desk.site_id, first),
                                   login="chen.jie", reason="离职", now=desk.clock.now())
    with pytest.raises(Conflict) as refused, transaction(desk.engine) as session:
        operators.disable_operator(session, acting=Acting(desk.site_id), login="zhang.wei",
                                   reason="离职", now=desk.clock.now())
    assert refused.value.message == ("张伟 is the site's last active manager: add "
                                     "another manager before disabling them.")
    assert _stored(desk, "zhang.wei").active
    assert _actions(desk).count("operator.disable") == 1
