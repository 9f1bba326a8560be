"""Hostile input, proven by properties: whatever a person (or a pasted document) types into
a service is stored as the text policy keeps it and read back so, or refused with a
message that names the field, and then nothing at all is written.

Strategies mix what breaks desks: control characters and terminal escapes, emoji,
right-to-left overrides, zero-width joiners, quotes and SQL-looking text, Chinese, and
very long strings (10,000 characters and more).
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from sqlmodel import Session, select

from deskapp.db import reading, transaction
from deskapp.desk import Desk
from deskapp.errors import Conflict, InvalidInput
from deskapp.models import AuditEntry
from deskapp.services import directory, sites
from deskapp.services.acting import Acting
from deskapp.services.custody import storage
from deskapp.services.handover import dutylog
from deskapp.services.requests import lifecycle
from tests.services.custody.test_custody import storage_form
from tests.support import Staff, make_staff, make_unit

PIECES = [
    "卫生间漏水", "'; DROP TABLE service_request; --", '"引号"', "Robert'); --", "\x1b[31mred",
    "\u202eevil", "a\u200bb", "🙂", "👨‍👩‍👧", "\x00", "\t", "\n", "\r\n", " ", "\u3000",
    "x" * 10_000, "中" * 5_001, "=HYPERLINK(\"x\")", "%s%n", "\\", "NULL", "<b>",
]
hostile = st.lists(
    st.one_of(st.sampled_from(PIECES), st.text(max_size=12)), min_size=0, max_size=4,
).map("".join)

PROPERTY = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture
def staff(desk: Desk) -> Staff:
    make_unit(desk, "3-2-1201")
    return make_staff(desk)


def _entries(desk: Desk) -> int:
    with reading(desk.engine) as session:
        return int(session.exec(select(func.count()).select_from(AuditEntry)).one())


def _stored_or_refused(desk: Desk, write: Callable[[Session], Any],
                       read: Callable[[Any], str], typed: str) -> None:
    """The property: stored as the policy keeps it, or refused and nothing written."""
    before = _entries(desk)
    try:
        with transaction(desk.engine) as session:
            record = write(session)
            kept = read(record)
    except (InvalidInput, Conflict) as refusal:  # a resident already listed: a refusal too
        event("refused")
        assert refusal.message and refusal.field  # a message a person can act on
        assert "Traceback" not in refusal.message
        assert _entries(desk) == before  # no half-written record, no stray audit entry
        return
    event("stored")
    assert _entries(desk) > before  # stored, and audited
    expected = unicodedata.normalize("NFC", typed).replace("\r\n", "\n").strip()
    # Kept as typed, but for the policy's trimming of spaces (a one-line field joins runs).
    assert "".join(kept.split()) == "".join(expected.split())
    assert not any(unicodedata.category(char) in ("Cc", "Cf") and char not in "\n\t"
                   for char in kept)


@PROPERTY
@given(typed=hostile)
def test_a_request_summary_and_contact(desk: Desk, staff: Staff, typed: str) -> None:
    def write(session: Session) -> Any:
        return lifecycle.create_request(
            session, acting=Acting(desk.site_id, staff.operator), settings=desk.settings,
            now=desk.clock.now(),
            kind="repair", summary=typed, unit_code="3-2-1201",
            contact_name="张伟")

    _stored_or_refused(desk, write, lambda request: request.summary, typed)


@PROPERTY
@given(typed=hostile)
def test_a_residents_name(desk: Desk, staff: Staff, typed: str) -> None:
    def write(session: Session) -> Any:
        unit = directory.get_unit(session, acting=Acting(desk.site_id), code="3-2-1201")
        return directory.add_resident(session, acting=Acting(desk.site_id), unit=unit, name=typed,
                                      relation="owner", now=desk.clock.now())

    _stored_or_refused(desk, write, lambda resident: resident.name, typed)


@PROPERTY
@given(typed=hostile)
def test_a_stored_items_description(desk: Desk, staff: Staff, typed: str) -> None:
    def write(session: Session) -> Any:
        return storage.deposit(session, acting=Acting(desk.site_id, staff.operator),
                               form=storage_form(description=typed), now=desk.clock.now())

    _stored_or_refused(desk, write, lambda item: item.description, typed)


@PROPERTY
@given(typed=hostile)
def test_a_duty_log_entry(desk: Desk, staff: Staff, typed: str) -> None:
    def write(session: Session) -> Any:
        return dutylog.write_entry(session, acting=Acting(desk.site_id, staff.operator),
                                   now=desk.clock.now(), settings=desk.settings, text=typed)

    _stored_or_refused(desk, write, lambda entry: entry.text, typed)


SITE_CODES = itertools.count(1)


@PROPERTY
@given(typed=hostile)
def test_a_sites_name(desk: Desk, typed: str) -> None:
    code = f"site{next(SITE_CODES)}"

    def write(session: Session) -> Any:
        return sites.add_site(session, code=code, name=typed, now=desk.clock.now())

    _stored_or_refused(desk, write, lambda site: site.name, typed)
