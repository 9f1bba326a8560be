"""No lost update: two desks correcting the same request, in two sessions and in two
processes, on each engine. The second save is refused with what changed and who changed
it; nothing of it is written; saving again on the version it was told of applies it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import col, select

from deskapp.db import reading, sqlite_path, transaction
from deskapp.desk import Desk
from deskapp.formatting import desk_zone
from deskapp.models import AuditEntry, Operator
from deskapp.models.requests import ServiceRequest
from deskapp.services import audit, versions
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle
from tests.services.requests.test_requests_support import (  # noqa: F401 (fixtures)
    Homes,
    Staff,
    homes_fixture,
    load,
    new_request,
    staff_fixture,
)

ROOT = Path(__file__).resolve().parents[2]


def _edit(desk: Desk, actor: Operator, request_id: int, *, seen: int | None,
          **fields: str) -> ServiceRequest:
    with transaction(desk.engine) as session:
        return lifecycle.edit_request(session, acting=Acting(desk.site_id, actor),
                                      request_id=request_id,
                                      now=desk.clock.now(), seen_version=seen,
                                      settings=desk.settings, **fields)


def _edits_on_file(desk: Desk, request_id: int) -> int:
    with reading(desk.engine) as session:
        return len(session.exec(select(AuditEntry).where(
            col(AuditEntry.action) == "request.edit",
            col(AuditEntry.entity_id) == str(request_id))).all())


def test_every_save_counts_the_version_up(desk: Desk, staff: Staff, homes: Homes) -> None:
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    opened = request.version
    edited = _edit(desk, staff.operator, request.id, seen=opened, summary="厨房漏水")
    assert edited.version == opened + 1
    assert load(desk, request.id).version == opened + 1


def test_the_second_desk_is_refused_with_what_changed_and_who(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    request = new_request(desk, staff.operator, unit_id=homes.a.id, location="卫生间")
    opened = request.version  # both desks open the card here
    _edit(desk, staff.operator, request.id, seen=opened, summary="厨房水管爆裂",
          location="厨房")
    with pytest.raises(versions.ChangedMeanwhile) as refused:
        _edit(desk, staff.colleague, request.id, seen=opened, summary="卫生间漏水，已止水")
    message = refused.value.message
    assert request.number in message
    assert staff.operator.display_name in message  # who
    assert "summary “厨房水管爆裂”" in message and "place “厨房”" in message  # what, now
    assert refused.value.version == opened + 1
    [change] = refused.value.changes
    assert set(change.fields) == {"summary", "location"}
    kept = load(desk, request.id)
    assert kept.summary == "厨房水管爆裂"  # nothing of the second save was written
    assert _edits_on_file(desk, request.id) == 1
    # Told of the change, the second operator saves again on the version now on file.
    again = _edit(desk, staff.colleague, request.id, seen=refused.value.version,
                  summary="卫生间漏水，已止水")
    assert again.summary == "卫生间漏水，已止水"
    assert again.location == "厨房"  # the first desk's place was not touched
    with reading(desk.engine) as session:
        assert audit.verify(session).ok


def test_the_refusal_gives_the_time_in_the_desks_zone(desk: Desk, staff: Staff,
                                                      homes: Homes) -> None:
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    opened = request.version
    _edit(desk, staff.operator, request.id, seen=opened, summary="厨房漏水")
    with pytest.raises(versions.ChangedMeanwhile) as refused:
        _edit(desk, staff.colleague, request.id, seen=opened, summary="阳台漏水")
    local = desk.clock.now().astimezone(desk_zone(desk.settings.timezone))
    assert f"at {local:%H:%M}" in refused.value.message


def test_a_form_that_holds_what_is_on_file_saves_nothing_and_is_not_refused(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    opened = request.version
    _edit(desk, staff.operator, request.id, seen=opened, summary="厨房漏水")
    same = _edit(desk, staff.colleague, request.id, seen=opened, summary="厨房漏水")
    assert same.version == opened + 1
    assert _edits_on_file(desk, request.id) == 1


def test_several_changes_are_counted_and_the_last_ones_named(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    opened = request.version
    for number, text in enumerate(["一", "二", "三", "四", "五"]):
        _edit(desk, staff.operator, request.id, seen=opened + number, summary=f"第{text}次")
    with pytest.raises(versions.ChangedMeanwhile) as refused:
        _edit(desk, staff.colleague, request.id, seen=opened, summary="我的版本")
    assert len(refused.value.changes) == 5
    assert "5 changes" in refused.value.message
    assert "第五次" in refused.value.message and "第一次" not in refused.value.message


def test_without_a_form_the_cli_and_the_rules_save_as_before(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    _edit(desk, staff.operator, request.id, seen=request.version, summary="厨房漏水")
    saved = _edit(desk, staff.colleague, request.id, seen=None, summary="阳台")
    assert saved.version == request.version + 2


def test_two_sessions_in_flight_cannot_overwrite_each_other(
        desk: Desk, staff: Staff, homes: Homes) -> None:
    """Below the forms: SQLAlchemy checks the version in every UPDATE of the row."""
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    with reading(desk.engine) as first_session:
        first = first_session.get(ServiceRequest, request.id)
        assert first is not None
        first_session.expunge(first)
    _edit(desk, staff.colleague, request.id, seen=request.version, summary="厨房漏水")
    with transaction(desk.engine) as session:
        stale = session.merge(first, load=False)
        stale.summary = "被覆盖的描述"
        with pytest.raises(StaleDataError):
            session.flush()
        session.rollback()
    assert load(desk, request.id).summary == "厨房漏水"


OTHER_DESK = """
import sys
from deskapp.config import load_settings
from deskapp.db import transaction
from deskapp.desk import open_desk
from deskapp.models import Operator
from deskapp.services.acting import Acting
from deskapp.services.requests import lifecycle
from sqlmodel import select

data_dir, url, login, request_id, seen = sys.argv[1:6]
desk = open_desk(load_settings(data_dir=data_dir, database_url=url or None,
                               password_hash_profile="cheapest"))
with transaction(desk.engine) as session:
    actor = session.exec(select(Operator).where(Operator.login == login)).one()
    lifecycle.edit_request(session, acting=Acting(desk.site_id, actor),
                           request_id=int(request_id), now=desk.clock.now(), seen_version=int(seen),
                           settings=desk.settings, summary="另一台前台写的描述")
print("saved", flush=True)
"""


def test_two_processes_the_second_desk_is_refused(desk: Desk, staff: Staff,
                                                  homes: Homes) -> None:
    request = new_request(desk, staff.operator, unit_id=homes.a.id)
    url = "" if sqlite_path(desk.engine) else desk.settings.effective_database_url
    other = subprocess.run(
        [sys.executable, "-c", OTHER_DESK, str(desk.settings.data_dir), url,
         staff.operator.login, str(request.id), str(request.version)],
        cwd=ROOT, text=True, capture_output=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert other.returncode == 0, other.stderr
    assert other.stdout.strip() == "saved"
    with pytest.raises(versions.ChangedMeanwhile) as refused:
        _edit(desk, staff.colleague, request.id, seen=request.version, summary="这台前台的描述")
    assert staff.operator.display_name in refused.value.message
    assert "另一台前台写的描述" in refused.value.message
    assert load(desk, request.id).summary == "另一台前台写的描述"
